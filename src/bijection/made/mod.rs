//! MADE: a masked autoencoder whose outputs for coordinate i see only inputs 1…i−1.
//!
//! Germain, Gregor, Murray, Larochelle (2015), "MADE: Masked Autoencoder for Distribution
//! Estimation". Inputs have degrees 1…d (identity order; put a [`Permutation`](super::Permutation)
//! between layers for other orders), hidden units degrees in 1…d−1, and a connection exists
//! where the degree does not decrease (strictly increases into the outputs). Optional context
//! inputs (an observation, for conditional flows) have degree 0 and reach every hidden unit;
//! with a context, hidden degrees run over 0…d−1 instead, so that degree-0 units (context only)
//! reach the first coordinate's outputs as well.
//!
//! Hidden degrees are assigned in sorted order, so every mask row is a *prefix* of the previous
//! layer: weights are stored compactly (only allowed connections are parameters), and a matrix
//! row is one contiguous dot product. A direct masked linear connection from the inputs (and the
//! context) to the
//! outputs lets the network represent linear autoregressive maps (a Cholesky factor) exactly.
//!
//! Outputs are laid out `out[p * d + i]` for output kind p (e.g. shift, scale) and coordinate i.

mod activation;
mod batch;
mod layer;

use super::assert_len;
pub use activation::Activation;
use layer::MaskedLayer;

/// A masked autoregressive network ℝ^d (+ context ℝ^c) → ℝ^(k·d).
///
/// ```
/// use flowpost::bijection::{Activation, Made};
/// let made = Made::new(3, 0, &[8, 8], 2, Activation::Elu);
/// let mut params = vec![0.0; made.num_params()];
/// let mut rng = flowpost::rng::seeded(1, 0);
/// made.init_params(&mut params, &mut rng, 1.0);
/// let mut tape = vec![0.0; made.tape_len()];
/// let mut out = [0.0; 6];
/// made.forward(&params, &[0.1, 0.2, 0.3], &[], &mut out, &mut tape);
/// // output 0 (coordinate 1) sees no input: it is the bias alone, zero at init.
/// assert_eq!(out[0], 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    dim: usize,
    context_dim: usize,
    hidden: Vec<usize>,
    outputs_per_dim: usize,
    activation: Activation,
    layers: Vec<MaskedLayer>,
    output: MaskedLayer,
    direct: MaskedLayer,
    /// Whether the direct connection is there (see [`Made::without_direct`]).
    has_direct: bool,
    param_offsets: Vec<usize>,
    num_params: usize,
    max_width: usize,
}

impl Made {
    /// A MADE over `dim` autoregressive inputs and `context_dim` context inputs, with the given
    /// hidden widths and `outputs_per_dim` outputs per coordinate.
    #[track_caller]
    pub fn new(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        outputs_per_dim: usize,
        activation: Activation,
    ) -> Self {
        assert!(dim > 0, "MADE needs at least one input");
        assert!(
            !hidden.is_empty() && hidden.iter().all(|&h| h > 0),
            "hidden widths must be > 0"
        );
        let degrees: Vec<Vec<usize>> = hidden
            .iter()
            .map(|&h| {
                (0..h)
                    .map(|k| {
                        if dim == 1 {
                            0
                        } else if context_dim > 0 {
                            // Degree 0 units see only the context and feed every output, so
                            // the first coordinate is conditioned on the context too.
                            k * dim / h
                        } else {
                            1 + k * (dim - 1) / h
                        }
                    })
                    .collect()
            })
            .collect();
        let mut layers = Vec::with_capacity(hidden.len());
        // First layer: inputs have degrees 1..=d; unit of degree m sees inputs 1..=m.
        layers.push(MaskedLayer::new(degrees[0].clone(), dim, context_dim, true));
        for l in 1..hidden.len() {
            let prev = &degrees[l - 1];
            let prefix = degrees[l]
                .iter()
                .map(|&m| prev.partition_point(|&q| q <= m))
                .collect();
            layers.push(MaskedLayer::new(prefix, hidden[l - 1], 0, true));
        }
        let last = &degrees[hidden.len() - 1];
        let out_rows = outputs_per_dim * dim;
        // Output for coordinate i (degree i+1) sees hidden units of degree <= i.
        let out_prefix = (0..out_rows)
            .map(|r| last.partition_point(|&q| q <= r % dim))
            .collect();
        let output = MaskedLayer::new(out_prefix, hidden[hidden.len() - 1], 0, true);
        // The direct connection also reads the context: a conditional MADE can then represent
        // outputs linear in (x_{<i}, context) exactly (e.g. a linear-Gaussian posterior mean).
        let direct_prefix = (0..out_rows).map(|r| r % dim).collect();
        let direct = MaskedLayer::new(direct_prefix, dim, context_dim, false);
        let mut param_offsets = Vec::new();
        let mut off = 0;
        for l in layers.iter().chain([&output, &direct]) {
            param_offsets.push(off);
            off += l.num_params();
        }
        let max_width = *hidden.iter().max().unwrap();
        Made {
            dim,
            context_dim,
            hidden: hidden.to_vec(),
            outputs_per_dim,
            activation,
            layers,
            output,
            direct,
            has_direct: true,
            param_offsets,
            num_params: off,
            max_width,
        }
    }

    /// The same network without the direct masked linear connection from the inputs to the
    /// outputs. That connection has d² parameters (k·d outputs, output i reading inputs < i),
    /// which at d = 1000 dominate the cost of a pass and at d = 10,000 the memory (100 M weights
    /// a layer); without it the network costs O(d·h). Unconditional networks only.
    ///
    /// ```
    /// use flowpost::bijection::{Activation, Made};
    /// let full = Made::new(100, 0, &[32, 32], 2, Activation::Elu);
    /// let lean = Made::new(100, 0, &[32, 32], 2, Activation::Elu).without_direct();
    /// assert_eq!(full.num_params() - lean.num_params(), 2 * 100 * 99 / 2);
    /// assert!(!lean.has_direct());
    /// ```
    #[track_caller]
    pub fn without_direct(mut self) -> Self {
        assert_eq!(
            self.context_dim, 0,
            "a conditional MADE keeps its direct connection"
        );
        let removed = self.direct.num_params();
        self.direct = MaskedLayer::new(vec![0; self.direct.rows], 0, 0, false);
        self.has_direct = false;
        let n = self.param_offsets.len() - 1;
        debug_assert_eq!(self.param_offsets[n] + removed, self.num_params);
        self.num_params -= removed;
        self
    }

    /// Whether the network has the direct connection (see [`Made::without_direct`]).
    pub fn has_direct(&self) -> bool {
        self.has_direct
    }

    /// Number of autoregressive inputs d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of context inputs.
    pub fn context_dim(&self) -> usize {
        self.context_dim
    }

    /// Hidden widths.
    pub fn hidden(&self) -> &[usize] {
        &self.hidden
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Outputs per coordinate.
    pub fn outputs_per_dim(&self) -> usize {
        self.outputs_per_dim
    }

    /// Number of parameters (only allowed connections count).
    pub fn num_params(&self) -> usize {
        self.num_params
    }

    /// Scratch length for `forward` + `backward`: the hidden activations and two deltas.
    pub fn tape_len(&self) -> usize {
        self.hidden.iter().sum::<usize>() + 2 * self.max_width
    }

    /// Random hidden weights (variance 1/fan-in), output and direct weights scaled by
    /// `output_gain` (small values make the network start near zero output), zero biases.
    pub fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng, output_gain: f64) {
        self.init_params_spread(params, rng, output_gain, 0.0);
    }

    /// As [`init_params`](Made::init_params), with hidden biases drawn from N(0, `bias_std`²):
    /// with zero biases every first-layer unit's kink (w·u + b = 0) passes through the origin,
    /// so the network starts piecewise linear only near 0; random biases spread the kinks over
    /// the inputs' range (|u| of a few units), where the function must bend in the tails.
    pub fn init_params_spread(
        &self,
        params: &mut [f64],
        rng: &mut dyn rand::Rng,
        output_gain: f64,
        bias_std: f64,
    ) {
        assert_len("MADE params", params.len(), self.num_params);
        for (l, layer) in self.layers.iter().enumerate() {
            let off = self.param_offsets[l];
            layer.init(
                &mut params[off..off + layer.num_params()],
                rng,
                1.0,
                bias_std,
            );
        }
        let n = self.layers.len();
        let off = self.param_offsets[n];
        self.output.init(
            &mut params[off..off + self.output.num_params()],
            rng,
            output_gain,
            0.0,
        );
        let off = self.param_offsets[n + 1];
        params[off..off + self.direct.num_params()].fill(0.0);
    }

    fn layer_params<'a>(&self, params: &'a [f64], index: usize, layer: &MaskedLayer) -> &'a [f64] {
        &params[self.param_offsets[index]..self.param_offsets[index] + layer.num_params()]
    }

    /// Computes the outputs; records hidden activations in `tape`.
    #[track_caller]
    pub fn forward(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        out: &mut [f64],
        tape: &mut [f64],
    ) {
        assert_len("MADE params", params.len(), self.num_params);
        assert_len("MADE input", x.len(), self.dim);
        assert_len("MADE context", context.len(), self.context_dim);
        assert_len("MADE output", out.len(), self.outputs_per_dim * self.dim);
        assert_len("MADE tape", tape.len(), self.tape_len());
        let mut start = 0;
        for (l, layer) in self.layers.iter().enumerate() {
            let (prev, rest) = tape.split_at_mut(start);
            let h = &mut rest[..layer.rows];
            let p = self.layer_params(params, l, layer);
            if l == 0 {
                layer.apply(p, x, context, h, false);
            } else {
                let prev_h = &prev[start - self.hidden[l - 1]..];
                layer.apply(p, prev_h, &[], h, false);
            }
            for a in h.iter_mut() {
                *a = self.activation.apply(*a);
            }
            start += layer.rows;
        }
        let n = self.layers.len();
        let last = &tape[start - self.hidden[n - 1]..start];
        self.output.apply(
            self.layer_params(params, n, &self.output),
            last,
            &[],
            out,
            false,
        );
        if self.has_direct {
            self.direct.apply(
                self.layer_params(params, n + 1, &self.direct),
                x,
                context,
                out,
                true,
            );
        }
    }

    /// Back-propagates `g_out` = ∂L/∂out: writes ∂L/∂x into `gx`, adds ∂L/∂context into
    /// `g_context` and ∂L/∂params into `gparams` when given. Reads the activations `forward`
    /// left in `tape` (and leaves them intact: only the delta scratch is overwritten).
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn backward(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        g_out: &[f64],
        gx: &mut [f64],
        mut g_context: Option<&mut [f64]>,
        mut gparams: Option<&mut [f64]>,
    ) {
        assert_len("MADE gx", gx.len(), self.dim);
        assert_len("MADE g_out", g_out.len(), self.outputs_per_dim * self.dim);
        let n = self.layers.len();
        let acts_len: usize = self.hidden.iter().sum();
        let (acts, scratch) = tape.split_at_mut(acts_len);
        let (mut da, mut db) = scratch.split_at_mut(self.max_width);
        gx.fill(0.0);
        let last_start = acts_len - self.hidden[n - 1];
        // Direct connection and output layer.
        if self.has_direct {
            let gp = gparams.as_deref_mut().map(|g| {
                let o = self.param_offsets[n + 1];
                &mut g[o..o + self.direct.num_params()]
            });
            self.direct.backward(
                self.layer_params(params, n + 1, &self.direct),
                x,
                context,
                g_out,
                Some(gx),
                g_context.as_deref_mut(),
                gp,
            );
        }
        let width = self.hidden[n - 1];
        da[..width].fill(0.0);
        {
            let gp = gparams.as_deref_mut().map(|g| {
                let o = self.param_offsets[n];
                &mut g[o..o + self.output.num_params()]
            });
            self.output.backward(
                self.layer_params(params, n, &self.output),
                &acts[last_start..],
                &[],
                g_out,
                Some(&mut da[..width]),
                None,
                gp,
            );
        }
        // Hidden layers, last to first: da holds ∂L/∂(activation of layer l).
        let mut end = acts_len;
        for l in (0..n).rev() {
            let rows = self.hidden[l];
            let start = end - rows;
            let a = &acts[start..end];
            for k in 0..rows {
                da[k] *= self.activation.derivative_from_output(a[k]);
            }
            let p = self.layer_params(params, l, &self.layers[l]);
            let gp = gparams.as_deref_mut().map(|g| {
                let o = self.param_offsets[l];
                &mut g[o..o + self.layers[l].num_params()]
            });
            if l == 0 {
                // gx already holds the direct part; the first layer adds its own.
                self.layers[0].backward(
                    p,
                    x,
                    context,
                    &da[..rows],
                    Some(&mut *gx),
                    g_context.as_deref_mut(),
                    gp,
                );
            } else {
                let prev_rows = self.hidden[l - 1];
                db[..prev_rows].fill(0.0);
                let prev_a = &acts[start - prev_rows..start];
                self.layers[l].backward(
                    p,
                    prev_a,
                    &[],
                    &da[..rows],
                    Some(&mut db[..prev_rows]),
                    None,
                    gp,
                );
                std::mem::swap(&mut da, &mut db);
            }
            end = start;
        }
    }
}
