//! The monotone rational-quadratic spline of Durkan, Bekasov, Murray & Papamakarios (2019),
//! "Neural Spline Flows", with linear tails: on [−B, B] the map is a spline of K rational-
//! quadratic pieces through knots (x_k, y_k) with positive derivatives δ_k; outside it is the
//! identity (δ_0 = δ_K = 1 keeps the derivative continuous at ±B).
//!
//! One coordinate's spline is read from 3K − 1 unconstrained numbers `raw`: K bin widths, K
//! bin heights (each through a softmax, floored at a minimum fraction) and K − 1 interior
//! derivatives δ = δ_min + softplus(r + c), with c chosen so that r = 0 gives δ = 1. All-zero
//! `raw` is therefore the identity. Inside bin k, with ξ = (x − x_k)/w_k and s_k = h_k/w_k:
//!
//! y = y_k + h_k [s_k ξ² + δ_k ξ(1−ξ)] / [s_k + (δ_{k+1} + δ_k − 2 s_k) ξ(1−ξ)],
//!
//! and the inverse solves a quadratic in ξ (eq. 6 and appendix A of the paper). The
//! vector-Jacobian product with respect to `x` and `raw` is hand-written (reverse mode through
//! the 7 local quantities of the bin, then the cumulative sums and the softmax).
//!
//! As the transformer of a masked autoregressive layer, the width and height outputs of the
//! conditioner are scaled by 1/√(last hidden width), as in the reference implementation
//! (nflows), so bin shapes move slowly relative to the derivatives during training.

use super::spline_bin::{Bin, eval, local_vjp};
use super::{MadeInit, Transformer};
use crate::bijection::{LayerSpec, Made};

/// Output gain of the spline conditioners at initialization.
const SPLINE_OUTPUT_GAIN: f64 = 0.01;

/// The floor δ_min of the interior derivatives that [`RqSpline::new`] sets.
const DEFAULT_MIN_DERIVATIVE: f64 = 1e-3;

/// Shape of the spline: bins, tail bound, floors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RqSpline {
    /// Number of bins K.
    pub num_bins: usize,
    /// Tail bound B.
    pub tail_bound: f64,
    /// Smallest bin width as a fraction of 2B.
    pub min_bin_width: f64,
    /// Smallest bin height as a fraction of 2B.
    pub min_bin_height: f64,
    /// Smallest interior derivative.
    pub min_derivative: f64,
}

/// Knots and derivatives of one spline, derived from `raw`, and their cotangents: named views
/// of the scratch slice.
struct Buffers<'a> {
    pw: &'a mut [f64],
    ph: &'a mut [f64],
    cw: &'a mut [f64],
    ch: &'a mut [f64],
    delta: &'a mut [f64],
    /// σ(r + c) of the interior derivatives' raw inputs (softplus′), for the backward pass.
    sig: &'a mut [f64],
    gcw: &'a mut [f64],
    gch: &'a mut [f64],
    gdelta: &'a mut [f64],
}

fn softmax(u: &[f64], p: &mut [f64]) {
    let m = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (pi, &ui) in p.iter_mut().zip(u) {
        *pi = (ui - m).exp();
        s += *pi;
    }
    p.iter_mut().for_each(|pi| *pi /= s);
}

impl RqSpline {
    /// A spline with `num_bins` bins on [−`tail_bound`, `tail_bound`] and the floors of the
    /// reference implementation (1e-3 each).
    ///
    /// ```
    /// use flowpost::bijection::{RqSpline, Transformer};
    /// let s = RqSpline::new(8, 3.0);
    /// let raw = vec![0.0; s.num_raw()];
    /// let mut scratch = vec![0.0; s.scratch_len()];
    /// let (y, log_det) = s.forward(&raw, 0.7, &mut scratch);
    /// assert!((y - 0.7).abs() < 1e-12 && log_det.abs() < 1e-12); // zero raw = identity
    /// ```
    #[track_caller]
    pub fn new(num_bins: usize, tail_bound: f64) -> Self {
        assert!(num_bins >= 1, "a spline needs at least one bin");
        assert!(
            tail_bound > 0.0 && tail_bound.is_finite(),
            "tail bound must be positive"
        );
        RqSpline {
            num_bins,
            tail_bound,
            min_bin_width: 1e-3,
            min_bin_height: 1e-3,
            min_derivative: DEFAULT_MIN_DERIVATIVE,
        }
    }

    fn buffers<'a>(&self, scratch: &'a mut [f64]) -> Buffers<'a> {
        let k = self.num_bins;
        let (pw, rest) = scratch.split_at_mut(k);
        let (ph, rest) = rest.split_at_mut(k);
        let (cw, rest) = rest.split_at_mut(k + 1);
        let (ch, rest) = rest.split_at_mut(k + 1);
        let (delta, rest) = rest.split_at_mut(k + 1);
        let (sig, rest) = rest.split_at_mut(k + 1);
        let (gcw, rest) = rest.split_at_mut(k + 1);
        let (gch, gdelta) = rest.split_at_mut(k + 1);
        Buffers {
            pw,
            ph,
            cw,
            ch,
            delta,
            sig,
            gcw,
            gch,
            gdelta: &mut gdelta[..k + 1],
        }
    }

    /// c with δ_min + softplus(c) = 1. For the default floor (every spline [`new`](Self::new)
    /// builds) it is computed once per process, by the same expression, so bit-identical.
    fn derivative_shift(&self) -> f64 {
        static DEFAULT_SHIFT: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
        let shift = |min_derivative: f64| (1.0 - min_derivative).exp_m1().ln();
        if self.min_derivative == DEFAULT_MIN_DERIVATIVE {
            *DEFAULT_SHIFT.get_or_init(|| shift(DEFAULT_MIN_DERIVATIVE))
        } else {
            shift(self.min_derivative)
        }
    }

    fn knots(&self, raw: &[f64], s: &mut Buffers) {
        let k = self.num_bins;
        let b = self.tail_bound;
        debug_assert_eq!(raw.len(), self.num_raw());
        softmax(&raw[..k], s.pw);
        softmax(&raw[k..2 * k], s.ph);
        for (c, p, min) in [
            (&mut *s.cw, &*s.pw, self.min_bin_width),
            (&mut *s.ch, &*s.ph, self.min_bin_height),
        ] {
            c[0] = -b;
            let mut acc = 0.0;
            for j in 0..k - 1 {
                acc += min + (1.0 - min * k as f64) * p[j];
                c[j + 1] = -b + 2.0 * b * acc;
            }
            c[k] = b;
        }
        s.delta[0] = 1.0;
        s.delta[k] = 1.0;
    }

    /// The knot derivatives δ_j, δ_{j+1} bounding bin `j` and their softplus slopes σ (the
    /// interior ones from `raw`; δ_0 = δ_K = 1): only the bin that holds the point is ever
    /// read, so the other K − 3 softplus evaluations are skipped. Each value is computed by the
    /// same formula as when all of them were, so results are bit-identical.
    fn bin_derivatives(&self, raw: &[f64], s: &mut Buffers, bin: usize) {
        let k = self.num_bins;
        let shift = self.derivative_shift();
        for j in bin.max(1)..(bin + 2).min(k) {
            let a = raw[2 * k + j - 1] + shift;
            // softplus(a) and its derivative σ(a) from one exponential.
            let e = (-a.abs()).exp();
            s.delta[j] = self.min_derivative + a.max(0.0) + e.ln_1p();
            s.sig[j] = if a >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
        }
    }

    fn bin(&self, knots: &[f64], v: f64) -> usize {
        let k = self.num_bins;
        let mut i = 0;
        while i + 1 < k && knots[i + 1] <= v {
            i += 1;
        }
        i
    }

    fn local(&self, s: &Buffers, k: usize) -> Bin {
        Bin {
            k,
            xk: s.cw[k],
            wk: s.cw[k + 1] - s.cw[k],
            yk: s.ch[k],
            hk: s.ch[k + 1] - s.ch[k],
            dk: s.delta[k],
            dk1: s.delta[k + 1],
        }
    }

    fn inside(&self, v: f64) -> bool {
        v >= -self.tail_bound && v <= self.tail_bound
    }
}

impl Transformer for RqSpline {
    /// 3K − 1.
    fn num_raw(&self) -> usize {
        3 * self.num_bins - 1
    }

    fn scratch_len(&self) -> usize {
        2 * self.num_bins + 7 * (self.num_bins + 1)
    }

    fn raw_scale(&self, p: usize, last_hidden: usize) -> f64 {
        if p < 2 * self.num_bins {
            1.0 / (last_hidden as f64).sqrt()
        } else {
            1.0
        }
    }

    fn conditioner_init(&self) -> MadeInit {
        MadeInit {
            output_gain: SPLINE_OUTPUT_GAIN,
            hidden_bias_std: 0.0,
        }
    }

    fn forward(&self, raw: &[f64], x: f64, scratch: &mut [f64]) -> (f64, f64) {
        if !self.inside(x) {
            return (x, 0.0);
        }
        let mut s = self.buffers(scratch);
        self.knots(raw, &mut s);
        let k = self.bin(s.cw, x);
        self.bin_derivatives(raw, &mut s, k);
        eval(&self.local(&s, k), x)
    }

    fn inverse(&self, raw: &[f64], y: f64, scratch: &mut [f64]) -> (f64, f64) {
        if !self.inside(y) {
            return (y, 0.0);
        }
        let mut s = self.buffers(scratch);
        self.knots(raw, &mut s);
        let k = self.bin(s.ch, y);
        self.bin_derivatives(raw, &mut s, k);
        let b = self.local(&s, k);
        let sk = b.hk / b.wk;
        let dy = y - b.yk;
        let q = b.dk1 + b.dk - 2.0 * sk;
        let a = b.hk * (sk - b.dk) + dy * q;
        let bb = b.hk * b.dk - dy * q;
        let c = -sk * dy;
        let disc = (bb * bb - 4.0 * a * c).max(0.0);
        let mut x = b.xk + (2.0 * c / (-bb - disc.sqrt())).clamp(0.0, 1.0) * b.wk;
        // Two Newton steps on the forward map polish the closed form, which loses digits to
        // cancellation when a bin is extremely steep or flat.
        let (lo, hi) = (b.xk, b.xk + b.wk);
        for _ in 0..2 {
            let (yx, ld) = eval(&b, x);
            let step = (yx - y) / ld.exp();
            if !step.is_finite() || step == 0.0 {
                break;
            }
            x = (x - step).clamp(lo, hi);
        }
        let (_, ld) = eval(&b, x);
        (x, ld)
    }

    fn backward(
        &self,
        raw: &[f64],
        x: f64,
        gy: f64,
        gld: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64 {
        if self.inside(x) {
            let mut s = self.buffers(scratch);
            self.knots(raw, &mut s);
            let k = self.bin(s.cw, x);
            self.bin_derivatives(raw, &mut s, k);
        }
        self.backward_after_forward(raw, x, gy, gld, scratch, g_raw)
    }

    /// The softmax probabilities, knots, derivatives and softplus slopes: 6K + 4 numbers.
    fn forward_state_len(&self) -> usize {
        6 * self.num_bins + 4
    }

    fn backward_after_forward(
        &self,
        _raw: &[f64],
        x: f64,
        gy: f64,
        gld: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64 {
        g_raw.fill(0.0);
        if !self.inside(x) {
            return gy;
        }
        let kb = self.num_bins;
        let s = self.buffers(scratch);
        let b = self.local(&s, self.bin(s.cw, x));
        let l = local_vjp(&b, x, gy, gld);
        s.gcw.fill(0.0);
        s.gch.fill(0.0);
        s.gdelta.fill(0.0);
        let k = b.k;
        s.gcw[k] += l.xk - l.wk;
        s.gcw[k + 1] += l.wk;
        s.gch[k] += l.yk - l.hk;
        s.gch[k + 1] += l.hk;
        s.gdelta[k] += l.dk;
        s.gdelta[k + 1] += l.dk1;
        let two_b = 2.0 * self.tail_bound;
        for (off, gc, p, min) in [
            (0, &*s.gcw, &*s.pw, self.min_bin_width),
            (kb, &*s.gch, &*s.ph, self.min_bin_height),
        ] {
            // c_m = −B + 2B Σ_{j<m} w_j for 1 ≤ m ≤ K−1: ∂/∂w_j = 2B Σ_{m=j+1}^{K−1} ḡc_m.
            let scale = (1.0 - min * kb as f64) * two_b;
            let mut acc = 0.0;
            // ḡp_j = scale · suffix_j, then softmax backward.
            let mut dotp = 0.0;
            for j in (0..kb).rev() {
                let gpj = scale * acc;
                g_raw[off + j] = gpj;
                dotp += p[j] * gpj;
                if j >= 1 {
                    acc += gc[j];
                }
            }
            for j in 0..kb {
                g_raw[off + j] = p[j] * (g_raw[off + j] - dotp);
            }
        }
        // Only the bin's two knot derivatives have a nonzero cotangent (the rest of g_raw
        // stays 0), and only theirs were computed by the forward pass.
        for j in k.max(1)..(k + 2).min(kb) {
            g_raw[2 * kb + j - 1] = s.gdelta[j] * s.sig[j];
        }
        l.x
    }

    fn output_vjp(
        &self,
        raw: &[f64],
        x: f64,
        gy: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64 {
        let (_, log_slope) = self.forward(raw, x, scratch);
        self.backward(raw, x, gy, 0.0, scratch, g_raw);
        log_slope.exp()
    }

    fn spec(&self, made: &Made) -> LayerSpec {
        LayerSpec::MafSpline {
            dim: made.dim(),
            context_dim: made.context_dim(),
            hidden: made.hidden().to_vec(),
            activation: made.activation(),
            num_bins: self.num_bins,
            tail_bound: self.tail_bound,
        }
    }
}
