//! The conditional masked autoregressive rational-quadratic spline layer (the autoregressive
//! variant of Durkan et al. 2019's neural spline flow) in the density direction:
//! z_i = g_i(θ_i), where g_i is the [`RqSpline`] whose 3K − 1 parameters are outputs of a
//! [`Made`] reading θ_{<i} and the context c (width and height outputs scaled by
//! 1/√hidden, as in nflows). Identity outside [−B, B] (linear tails).
//! Density evaluation is one network pass; sampling inverts coordinate by coordinate.

use super::spline::{RqSpline, SplineScratch};
use crate::bijection::{Activation, ConditionalBijection, ConditionalSpec, Made};

/// Conditional autoregressive rational-quadratic spline layer.
///
/// ```
/// use flowpost::bijection::{Activation, ConditionalBijection};
/// use flowpost::npe::MafSpline;
/// let layer = MafSpline::new(2, 1, &[8], Activation::Relu, 5, 3.0);
/// let mut params = vec![0.0; layer.num_params()];
/// layer.init_params(&mut params, &mut flowpost::rng::seeded(0, 0));
/// let mut tape = vec![0.0; layer.tape_len()];
/// let (theta, ctx, mut z, mut back) = ([0.3, -1.2], [0.5], [0.0; 2], [0.0; 2]);
/// let ld = layer.forward(&params, &theta, &ctx, &mut z, &mut tape);
/// let ld2 = layer.inverse(&params, &z, &ctx, &mut back, &mut tape);
/// assert!((back[1] - theta[1]).abs() < 1e-12 && (ld - ld2).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MafSpline {
    made: Made,
    spline: RqSpline,
}

impl MafSpline {
    /// A layer on ℝ^`dim`, context of `context_dim`, MADE hidden widths `hidden`, `num_bins`
    /// bins on [−`tail_bound`, `tail_bound`].
    #[track_caller]
    pub fn new(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        activation: Activation,
        num_bins: usize,
        tail_bound: f64,
    ) -> Self {
        let spline = RqSpline::new(num_bins, tail_bound);
        MafSpline {
            made: Made::new(dim, context_dim, hidden, spline.num_raw(), activation),
            spline,
        }
    }

    /// The underlying network.
    pub fn made(&self) -> &Made {
        &self.made
    }

    /// The spline shape.
    pub fn spline(&self) -> &RqSpline {
        &self.spline
    }

    fn raw_len(&self) -> usize {
        self.spline.num_raw()
    }

    /// Scale applied to the network's width and height outputs: 1/√(last hidden width), as in
    /// the reference implementation (nflows), so bin shapes move slowly relative to the
    /// derivatives during training.
    fn bin_scale(&self) -> f64 {
        1.0 / (*self.made.hidden().last().expect("MADE has hidden layers") as f64).sqrt()
    }

    fn gather(&self, out: &[f64], i: usize, raw: &mut [f64]) {
        let d = self.dim();
        let k2 = 2 * self.spline.num_bins;
        let scale = self.bin_scale();
        for (p, r) in raw.iter_mut().enumerate() {
            *r = out[p * d + i] * if p < k2 { scale } else { 1.0 };
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Option<SplineScratch>> = const { std::cell::RefCell::new(None) };
}

fn with_scratch<R>(spline: &RqSpline, f: impl FnOnce(&mut SplineScratch) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fresh = match slot.as_ref() {
            Some(s) => s.num_bins() != spline.num_bins,
            None => true,
        };
        if fresh {
            *slot = Some(spline.scratch());
        }
        f(slot.as_mut().unwrap())
    })
}

/// Tape layout: [MADE tape | outputs (Pd) | output cotangent (Pd) | raw (P) | g_raw (P) |
/// direct input cotangent (d)], P = 3K − 1.
impl ConditionalBijection for MafSpline {
    fn dim(&self) -> usize {
        self.made.dim()
    }

    fn context_dim(&self) -> usize {
        self.made.context_dim()
    }

    fn num_params(&self) -> usize {
        self.made.num_params()
    }

    fn tape_len(&self) -> usize {
        let p = self.raw_len();
        self.made.tape_len() + 2 * p * self.dim() + 2 * p + self.dim()
    }

    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        self.made.init_params(params, rng, 0.01);
    }

    fn forward(&self, p: &[f64], theta: &[f64], c: &[f64], z: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        let np = self.raw_len();
        crate::bijection::assert_len("z", z.len(), d);
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let (out, rest) = rest.split_at_mut(np * d);
        let raw = &mut rest[np * d..np * d + np];
        self.made.forward(p, theta, c, out, mt);
        with_scratch(&self.spline, |s| {
            let mut ld = 0.0;
            for i in 0..d {
                self.gather(out, i, raw);
                let (zi, l) = self.spline.forward(raw, theta[i], s);
                z[i] = zi;
                ld += l;
            }
            ld
        })
    }

    fn inverse(&self, p: &[f64], z: &[f64], c: &[f64], theta: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        let np = self.raw_len();
        crate::bijection::assert_len("theta", theta.len(), d);
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let (out, rest) = rest.split_at_mut(np * d);
        let raw = &mut rest[np * d..np * d + np];
        theta.fill(0.0);
        with_scratch(&self.spline, |s| {
            let mut ld = 0.0;
            for i in 0..d {
                self.made.forward(p, theta, c, out, mt);
                self.gather(out, i, raw);
                let (ti, l) = self.spline.inverse(raw, z[i], s);
                theta[i] = ti;
                ld += l;
            }
            ld
        })
    }

    fn backward(
        &self,
        p: &[f64],
        theta: &[f64],
        c: &[f64],
        tape: &mut [f64],
        gz: &[f64],
        g_ld: f64,
        g_theta: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim();
        let np = self.raw_len();
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let (out, rest) = rest.split_at_mut(np * d);
        let (g_out, rest) = rest.split_at_mut(np * d);
        let (raw, rest) = rest.split_at_mut(np);
        let (g_raw, direct) = rest.split_at_mut(np);
        let k2 = 2 * self.spline.num_bins;
        let scale = self.bin_scale();
        with_scratch(&self.spline, |s| {
            for i in 0..d {
                self.gather(out, i, raw);
                direct[i] = self.spline.backward(raw, theta[i], gz[i], g_ld, s, g_raw);
                for (q, g) in g_raw.iter().enumerate() {
                    g_out[q * d + i] = *g * if q < k2 { scale } else { 1.0 };
                }
            }
        });
        self.made
            .backward(p, theta, c, mt, g_out, g_theta, g_context, gparams);
        for i in 0..d {
            g_theta[i] += direct[i];
        }
    }

    fn spec(&self) -> ConditionalSpec {
        ConditionalSpec::MafSpline {
            dim: self.dim(),
            context_dim: self.context_dim(),
            hidden: self.made.hidden().to_vec(),
            activation: self.made.activation(),
            num_bins: self.spline.num_bins,
            tail_bound: self.spline.tail_bound,
        }
    }
}
