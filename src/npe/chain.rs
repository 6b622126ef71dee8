//! Composition of conditional bijections with one flat parameter vector, in the density
//! direction: layer 0 reads θ, the last layer writes z. Every layer sees the same context.
//! The tape holds each layer's input and tape, so one backward pass yields the parameter
//! gradient of log q(θ | x).

use crate::bijection::ChainLayout;
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
    layout: ChainLayout,
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
        let layout = ChainLayout::new(dim, layers.iter().map(|l| (l.num_params(), l.tape_len())));
        ConditionalChain {
            dim,
            context_dim,
            layers,
            layout,
        }
    }

    /// The layers in density order.
    pub fn layers(&self) -> &[Box<dyn ConditionalBijection>] {
        &self.layers
    }

    /// The range of layer `i`'s parameters in the flat vector.
    pub fn param_range(&self, i: usize) -> std::ops::Range<usize> {
        self.layout.param_range(i)
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
        self.layout.num_params()
    }

    fn tape_len(&self) -> usize {
        self.layout.tape_len()
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
        assert_len("chain tape", tape.len(), self.layout.tape_len());
        let (inputs, layer_tapes, _) = self.layout.split_tape(tape);
        inputs[..d].copy_from_slice(theta);
        let mut ld = 0.0;
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            let lt = self.layout.layer_tape(layer_tapes, i);
            let p = &p[self.param_range(i)];
            if i + 1 < n {
                let (cur, next) = inputs[i * d..(i + 2) * d].split_at_mut(d);
                ld += l.forward(p, cur, c, next, lt);
            } else {
                ld += l.forward(p, &inputs[i * d..(i + 1) * d], c, z, lt);
            }
        }
        ld
    }

    fn inverse(&self, p: &[f64], z: &[f64], c: &[f64], theta: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim;
        assert_len("chain output", z.len(), d);
        assert_len("chain input", theta.len(), d);
        assert_len("chain tape", tape.len(), self.layout.tape_len());
        let (_, layer_tapes, scratch) = self.layout.split_tape(tape);
        let (a, b) = scratch.split_at_mut(d);
        a.copy_from_slice(z);
        let mut ld = 0.0;
        let (mut cur, mut next) = (a, b);
        for i in (0..self.layers.len()).rev() {
            let lt = self.layout.layer_tape(layer_tapes, i);
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
        let (inputs, layer_tapes, scratch) = self.layout.split_tape(tape);
        let (a, b) = scratch.split_at_mut(d);
        a.copy_from_slice(gz);
        let (mut g_out, mut g_in) = (a, b);
        for i in (0..self.layers.len()).rev() {
            let lt = self.layout.layer_tape(layer_tapes, i);
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
