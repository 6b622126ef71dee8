//! The masked autoregressive layer: y_i = τ(x_i; raw_i(x_{<i}, c)), with the raw parameters
//! of coordinate i computed by a [`Made`] conditioner from the preceding coordinates and the
//! context, and τ a [`Transformer`] ([`Affine`] or [`RqSpline`]).
//!
//! The transform is one conditioner pass; the inverse needs d passes (coordinate i is final
//! after pass i). Which direction is cheap is what distinguishes the two classic flows, and it
//! is decided by the flow using the layer, not by the layer: the inverse autoregressive flow
//! (IAF, Kingma et al. 2016) transforms latent → target, so sampling is cheap (the NeuTra
//! [`Flow`](crate::flow::Flow)); the masked autoregressive flow (MAF, Papamakarios et al. 2017)
//! and the autoregressive neural spline flow (Durkan et al. 2019) transform θ → z, so density
//! evaluation is cheap (the NPE estimator). The Jacobian is lower triangular with diagonal
//! τ′(x_i).

mod batch;

use super::{Activation, Affine, Bijection, LayerSpec, Made, RqSpline, Transformer, assert_len};

/// A masked autoregressive layer on ℝ^d with a context in ℝ^c.
///
/// ```
/// use flowpost::bijection::{Activation, Bijection, MaskedAutoregressive};
/// let layer = MaskedAutoregressive::iaf(3, &[16], Activation::Elu, 5.0);
/// let mut params = vec![0.0; layer.num_params()];
/// layer.init_params(&mut params, &mut flowpost::rng::seeded(0, 0));
/// let mut tape = vec![0.0; layer.tape_len()];
/// let (x, mut y, mut back) = ([0.5, -1.0, 2.0], [0.0; 3], [0.0; 3]);
/// let ld = layer.transform(&params, &x, &[], &mut y, &mut tape);
/// let ld2 = layer.inverse(&params, &y, &[], &mut back, &mut tape);
/// assert!((back[2] - x[2]).abs() < 1e-12 && (ld - ld2).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedAutoregressive<T: Transformer> {
    made: Made,
    transformer: T,
    /// [`Transformer::raw_scale`] of each conditioner output kind.
    raw_scale: Vec<f64>,
}

/// The parts of a layer's tape: [conditioner tape | outputs (P·d) | output cotangent (P·d) |
/// raw (P) | raw cotangent (P) | two d-vectors | transformer scratch].
struct Tape<'a> {
    made: &'a mut [f64],
    out: &'a mut [f64],
    g_out: &'a mut [f64],
    raw: &'a mut [f64],
    g_raw: &'a mut [f64],
    a: &'a mut [f64],
    b: &'a mut [f64],
    scratch: &'a mut [f64],
}

impl<T: Transformer> MaskedAutoregressive<T> {
    /// A layer on ℝ^`dim` given a context of `context_dim` (0: unconditional), whose
    /// conditioner has the given hidden widths and nonlinearity.
    #[track_caller]
    pub fn new(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        activation: Activation,
        transformer: T,
    ) -> Self {
        let num_raw = transformer.num_raw();
        let made = Made::new(dim, context_dim, hidden, num_raw, activation);
        let last = *hidden.last().expect("MADE has hidden layers");
        let raw_scale = (0..num_raw)
            .map(|p| transformer.raw_scale(p, last))
            .collect();
        MaskedAutoregressive {
            made,
            transformer,
            raw_scale,
        }
    }

    /// The same layer without the conditioner's direct input → output connection
    /// ([`Made::without_direct`]): O(d·h) instead of O(d² + d·h) per pass. Unconditional
    /// layers only.
    #[track_caller]
    pub fn without_direct(mut self) -> Self {
        self.made = self.made.without_direct();
        self
    }

    /// The conditioner.
    pub fn made(&self) -> &Made {
        &self.made
    }

    /// The transformer.
    pub fn transformer(&self) -> &T {
        &self.transformer
    }

    fn split<'a>(&self, tape: &'a mut [f64]) -> Tape<'a> {
        let (d, p) = (self.made.dim(), self.raw_scale.len());
        let (made, rest) = tape.split_at_mut(self.made.tape_len());
        let (out, rest) = rest.split_at_mut(p * d);
        let (g_out, rest) = rest.split_at_mut(p * d);
        let (raw, rest) = rest.split_at_mut(p);
        let (g_raw, rest) = rest.split_at_mut(p);
        let (a, rest) = rest.split_at_mut(d);
        let (b, scratch) = rest.split_at_mut(d);
        Tape {
            made,
            out,
            g_out,
            raw,
            g_raw,
            a,
            b,
            scratch,
        }
    }

    /// [`split`](Self::split) after checking the lengths of a transform's or an inverse's
    /// slices.
    #[track_caller]
    fn split_checked<'a>(&self, x: &[f64], y: &[f64], tape: &'a mut [f64]) -> Tape<'a> {
        assert_len("x", x.len(), self.dim());
        assert_len("y", y.len(), self.dim());
        assert_len("tape", tape.len(), self.tape_len());
        self.split(tape)
    }

    /// Coordinate i's raw parameters from the conditioner outputs (laid out `out[p·d + i]`).
    #[inline]
    fn gather(&self, out: &[f64], i: usize, raw: &mut [f64]) {
        let d = self.made.dim();
        for (p, r) in raw.iter_mut().enumerate() {
            *r = out[p * d + i] * self.raw_scale[p];
        }
    }

    /// Coordinate i's raw cotangent into the output cotangent.
    #[inline]
    fn scatter(&self, g_raw: &[f64], i: usize, g_out: &mut [f64]) {
        let d = self.made.dim();
        for (p, g) in g_raw.iter().enumerate() {
            g_out[p * d + i] = *g * self.raw_scale[p];
        }
    }
}

impl MaskedAutoregressive<Affine> {
    /// The affine IAF layer ([`Affine::iaf`]), unconditional.
    pub fn iaf(dim: usize, hidden: &[usize], activation: Activation, max_log_scale: f64) -> Self {
        Self::new(dim, 0, hidden, activation, Affine::iaf(max_log_scale))
    }

    /// The affine MAF layer ([`Affine::maf`]) given a context of `context_dim`.
    pub fn maf(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        activation: Activation,
        max_log_scale: f64,
    ) -> Self {
        Self::new(
            dim,
            context_dim,
            hidden,
            activation,
            Affine::maf(max_log_scale),
        )
    }
}

impl MaskedAutoregressive<RqSpline> {
    /// The autoregressive rational-quadratic spline layer: `num_bins` bins on
    /// [−`tail_bound`, `tail_bound`], given a context of `context_dim`.
    pub fn spline(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        activation: Activation,
        num_bins: usize,
        tail_bound: f64,
    ) -> Self {
        let spline = RqSpline::new(num_bins, tail_bound);
        Self::new(dim, context_dim, hidden, activation, spline)
    }
}

impl<T: Transformer> Bijection for MaskedAutoregressive<T> {
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
        let (d, p) = (self.made.dim(), self.raw_scale.len());
        self.made.tape_len() + 2 * p * d + 2 * p + 2 * d + self.transformer.scratch_len()
    }

    /// Conditioner weights as the transformer asks ([`Transformer::conditioner_init`]): the
    /// layer starts as, or close to, the identity.
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        let init = self.transformer.conditioner_init();
        self.made
            .init_params_spread(params, rng, init.output_gain, init.hidden_bias_std);
    }

    fn transform(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        tape: &mut [f64],
    ) -> f64 {
        let d = self.dim();
        let t = self.split_checked(x, y, tape);
        self.made.forward(params, x, context, t.out, t.made);
        let mut log_det = 0.0;
        for i in 0..d {
            self.gather(t.out, i, t.raw);
            let (yi, ld) = self.transformer.forward(t.raw, x[i], t.scratch);
            y[i] = yi;
            log_det += ld;
        }
        log_det
    }

    fn inverse(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        tape: &mut [f64],
    ) -> f64 {
        let d = self.dim();
        let t = self.split_checked(x, y, tape);
        x.fill(0.0);
        let mut log_det = 0.0;
        // Output i depends on x_{<i} only, so after pass i coordinate i is final.
        for i in 0..d {
            self.made.forward(params, x, context, t.out, t.made);
            self.gather(t.out, i, t.raw);
            let (xi, ld) = self.transformer.inverse(t.raw, y[i], t.scratch);
            x[i] = xi;
            log_det += ld;
        }
        log_det
    }

    fn vjp(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim();
        assert_len("gy", gy.len(), d);
        assert_len("gx", gx.len(), d);
        let t = self.split(tape);
        // `a` holds the direct part ∂L/∂x_i through τ's argument; the conditioner adds the rest.
        for i in 0..d {
            self.gather(t.out, i, t.raw);
            t.a[i] = self
                .transformer
                .backward(t.raw, x[i], gy[i], g_log_det, t.scratch, t.g_raw);
            self.scatter(t.g_raw, i, t.g_out);
        }
        self.made
            .backward(params, x, context, t.made, t.g_out, gx, g_context, gparams);
        for (g, direct) in gx.iter_mut().zip(t.a.iter()) {
            *g += direct;
        }
    }

    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        // J = diag(τ′) + N with N strictly lower triangular, so u = (v − Nᵀu)/τ′ is exact after
        // at most d sweeps (Nᵀ is nilpotent); Nᵀu is a conditioner backward pass. `b` holds τ′,
        // `a` the pass's result.
        let d = self.dim();
        let t = self.split(tape);
        for (i, slope) in t.b.iter_mut().enumerate() {
            self.gather(t.out, i, t.raw);
            *slope = self
                .transformer
                .output_vjp(t.raw, x[i], 0.0, t.scratch, t.g_raw);
        }
        for i in 0..d {
            u[i] = v[i] / t.b[i];
        }
        for _ in 0..d {
            for i in 0..d {
                self.gather(t.out, i, t.raw);
                self.transformer
                    .output_vjp(t.raw, x[i], u[i], t.scratch, t.g_raw);
                self.scatter(t.g_raw, i, t.g_out);
            }
            self.made
                .backward(params, x, context, t.made, t.g_out, t.a, None, None);
            let mut changed = false;
            for i in 0..d {
                let next = (v[i] - t.a[i]) / t.b[i];
                changed |= next != u[i];
                u[i] = next;
            }
            if !changed {
                break;
            }
        }
    }

    fn spec(&self) -> LayerSpec {
        self.transformer.spec(&self.made)
    }

    fn batch_tape_len(&self, n: usize) -> usize {
        self.batched_tape_len(n)
    }

    fn transform_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        self.batched_transform(params, x, context, y, log_det, tape)
    }

    fn inverse_batch(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        self.batched_inverse(params, y, context, x, log_det, tape)
    }

    fn vjp_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: &[f64],
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        self.batched_vjp(
            params, x, context, tape, gy, g_log_det, gx, g_context, gparams,
        )
    }
}
