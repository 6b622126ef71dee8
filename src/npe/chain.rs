//! Composition of conditional bijections with one flat parameter vector, in the density
//! direction: layer 0 reads θ, the last layer writes z. Every layer sees the same context.
//! The tape holds each layer's input and tape, so one backward pass yields the parameter
//! gradient of log q(θ | x).

use crate::bijection::{ConditionalBijection, ConditionalSpec, assert_len};

/// A sequence of conditional bijections.
///
/// ```
/// use flowpost::bijection::{Activation, ConditionalBijection, Permutation, Unconditioned};
/// use flowpost::npe::{ConditionalChain, MafAffine};
/// let chain = ConditionalChain::new(vec![
///     Box::new(MafAffine::new(2, 1, &[8], Activation::Relu)),
///     Box::new(Unconditioned::new(Box::new(Permutation::reversal(2)), 1)),
///     Box::new(MafAffine::new(2, 1, &[8], Activation::Relu)),
/// ]);
/// assert_eq!(chain.num_params(), 2 * MafAffine::new(2, 1, &[8], Activation::Relu).num_params());
/// ```
#[derive(Debug)]
pub struct ConditionalChain {
    dim: usize,
    context_dim: usize,
    layers: Vec<Box<dyn ConditionalBijection>>,
    param_offsets: Vec<usize>,
    tape_offsets: Vec<usize>,
    tape_len: usize,
}

impl ConditionalChain {
    /// Composes `layers` (applied in order in the density direction θ → z).
    #[track_caller]
    pub fn new(layers: Vec<Box<dyn ConditionalBijection>>) -> Self {
        assert!(!layers.is_empty(), "a chain needs at least one layer");
        let dim = layers[0].dim();
        let context_dim = layers[0].context_dim();
        assert!(
            layers
                .iter()
                .all(|l| l.dim() == dim && l.context_dim() == context_dim),
            "all layers must have the same dimension and context dimension"
        );
        let mut param_offsets = vec![0];
        let mut tape_offsets = vec![layers.len() * dim];
        for l in &layers {
            param_offsets.push(param_offsets.last().unwrap() + l.num_params());
            tape_offsets.push(tape_offsets.last().unwrap() + l.tape_len());
        }
        let tape_len = tape_offsets.last().unwrap() + 2 * dim;
        ConditionalChain {
            dim,
            context_dim,
            layers,
            param_offsets,
            tape_offsets,
            tape_len,
        }
    }

    /// The layers in density order.
    pub fn layers(&self) -> &[Box<dyn ConditionalBijection>] {
        &self.layers
    }

    /// The range of layer `i`'s parameters in the flat vector.
    pub fn param_range(&self, i: usize) -> std::ops::Range<usize> {
        self.param_offsets[i]..self.param_offsets[i + 1]
    }

    fn tape_range(&self, i: usize) -> std::ops::Range<usize> {
        self.tape_offsets[i]..self.tape_offsets[i + 1]
    }
}

impl ConditionalBijection for ConditionalChain {
    fn dim(&self) -> usize {
        self.dim
    }

    fn context_dim(&self) -> usize {
        self.context_dim
    }

    fn num_params(&self) -> usize {
        *self.param_offsets.last().unwrap()
    }

    fn tape_len(&self) -> usize {
        self.tape_len
    }

    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        assert_len("chain params", params.len(), self.num_params());
        for (i, l) in self.layers.iter().enumerate() {
            l.init_params(&mut params[self.param_range(i)], rng);
        }
    }

    fn forward(&self, p: &[f64], theta: &[f64], c: &[f64], z: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim;
        assert_len("chain params", p.len(), self.num_params());
        assert_len("chain input", theta.len(), d);
        assert_len("chain context", c.len(), self.context_dim);
        assert_len("chain output", z.len(), d);
        assert_len("chain tape", tape.len(), self.tape_len);
        let (inputs, rest) = tape.split_at_mut(self.tape_offsets[0]);
        inputs[..d].copy_from_slice(theta);
        let base = self.tape_offsets[0];
        let mut ld = 0.0;
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            let r = self.tape_range(i);
            let lt = &mut rest[r.start - base..r.end - base];
            let (before, after) = inputs.split_at_mut((i + 1) * d);
            let input = &before[i * d..];
            let output = if i + 1 < n { &mut after[..d] } else { &mut *z };
            ld += l.forward(&p[self.param_range(i)], input, c, output, lt);
        }
        ld
    }

    fn inverse(&self, p: &[f64], z: &[f64], c: &[f64], theta: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim;
        assert_len("chain output", z.len(), d);
        assert_len("chain input", theta.len(), d);
        assert_len("chain tape", tape.len(), self.tape_len);
        let n = self.layers.len();
        let scratch_start = self.tape_len - 2 * d;
        let (head, scratch) = tape.split_at_mut(scratch_start);
        let (a, b) = scratch.split_at_mut(d);
        a.copy_from_slice(z);
        let base = self.tape_offsets[0];
        let layer_tapes = &mut head[base..];
        let mut ld = 0.0;
        let (mut cur, mut next) = (a, b);
        for i in (0..n).rev() {
            let r = self.tape_range(i);
            let lt = &mut layer_tapes[r.start - base..r.end - base];
            ld += self.layers[i].inverse(&p[self.param_range(i)], cur, c, next, lt);
            std::mem::swap(&mut cur, &mut next);
        }
        theta.copy_from_slice(cur);
        ld
    }

    fn backward(
        &self,
        p: &[f64],
        _theta: &[f64],
        c: &[f64],
        tape: &mut [f64],
        gz: &[f64],
        g_ld: f64,
        g_theta: &mut [f64],
        mut g_context: Option<&mut [f64]>,
        mut gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim;
        assert_len("chain g_output", gz.len(), d);
        assert_len("chain g_input", g_theta.len(), d);
        let scratch_start = self.tape_len - 2 * d;
        let (head, scratch) = tape.split_at_mut(scratch_start);
        let (inputs, layer_tapes) = head.split_at_mut(self.tape_offsets[0]);
        let base = self.tape_offsets[0];
        let (a, b) = scratch.split_at_mut(d);
        a.copy_from_slice(gz);
        let (mut g_out, mut g_in) = (a, b);
        for i in (0..self.layers.len()).rev() {
            let r = self.tape_range(i);
            let lt = &mut layer_tapes[r.start - base..r.end - base];
            let pr = self.param_range(i);
            let gp = gparams.as_deref_mut().map(|g| &mut g[pr.clone()]);
            self.layers[i].backward(
                &p[pr],
                &inputs[i * d..(i + 1) * d],
                c,
                lt,
                g_out,
                g_ld,
                g_in,
                g_context.as_deref_mut(),
                gp,
            );
            std::mem::swap(&mut g_out, &mut g_in);
        }
        g_theta.copy_from_slice(g_out);
    }

    fn spec(&self) -> ConditionalSpec {
        ConditionalSpec::Chain {
            layers: self.layers.iter().map(|l| l.spec()).collect(),
        }
    }
}
