//! Composition of bijections with one flat parameter vector: the transform applies layer 0
//! first and the last layer last, and every conditional layer reads the chain's context
//! (context-free layers ignore it). The chain owns the parameter layout (layer after layer)
//! and a tape layout holding every layer's input, so one backward pass serves both the
//! parameter gradient (variational fit, NPE training) and the input gradient (NeuTra).
//!
//! A layer can be *frozen*: it takes part in transform/inverse/VJP with respect to its input,
//! but receives no parameter gradient (a fixed Gaussian preconditioner, say).

use super::{Bijection, LayerSpec, assert_len};

/// A sequence of bijections with one flat parameter vector.
///
/// ```
/// use flowpost::bijection::{Bijection, Chain, ElementwiseAffine, Permutation};
/// let chain = Chain::new(vec![
///     Box::new(Permutation::reversal(2)),
///     Box::new(ElementwiseAffine::new(2)),
/// ]);
/// let params = [0.0, 1.0, 0.0, 0.0]; // loc = (0, 1), unit scales
/// let mut tape = vec![0.0; chain.tape_len()];
/// let mut y = [0.0; 2];
/// chain.transform(&params, &[5.0, 7.0], &[], &mut y, &mut tape);
/// assert_eq!(y, [7.0, 6.0]);
/// ```
#[derive(Debug)]
pub struct Chain {
    dim: usize,
    context_dim: usize,
    layers: Vec<Box<dyn Bijection>>,
    frozen: Vec<bool>,
    layout: ChainLayout,
}

/// Where each layer's parameters sit in the flat vector, and the tape layout of a chain of n
/// layers in dimension d: n layer inputs (n·d), then each layer's own tape, then 2·d of scratch
/// for cotangents.
#[derive(Debug, Clone)]
struct ChainLayout {
    dim: usize,
    param_offsets: Vec<usize>,
    tape_offsets: Vec<usize>,
    tape_len: usize,
}

impl ChainLayout {
    /// The layout of layers with these (parameter count, tape length) pairs.
    fn new(dim: usize, sizes: impl ExactSizeIterator<Item = (usize, usize)>) -> Self {
        let mut param_offsets = vec![0];
        let mut tape_offsets = vec![sizes.len() * dim];
        for (np, nt) in sizes {
            param_offsets.push(param_offsets.last().unwrap() + np);
            tape_offsets.push(tape_offsets.last().unwrap() + nt);
        }
        let tape_len = tape_offsets.last().unwrap() + 2 * dim;
        ChainLayout {
            dim,
            param_offsets,
            tape_offsets,
            tape_len,
        }
    }

    fn num_params(&self) -> usize {
        *self.param_offsets.last().unwrap()
    }

    /// The range of layer `i`'s parameters in the flat vector.
    fn param_range(&self, i: usize) -> std::ops::Range<usize> {
        self.param_offsets[i]..self.param_offsets[i + 1]
    }

    /// Splits a tape into (layer inputs, layer tapes, scratch).
    fn split_tape<'a>(&self, tape: &'a mut [f64]) -> (&'a mut [f64], &'a mut [f64], &'a mut [f64]) {
        let n = self.param_offsets.len() - 1;
        let (inputs, rest) = tape.split_at_mut(n * self.dim);
        let (layer_tapes, scratch) = rest.split_at_mut(self.tape_offsets[n] - self.tape_offsets[0]);
        (inputs, layer_tapes, scratch)
    }

    /// Layer `i`'s own tape within the layer-tapes part of [`split_tape`](Self::split_tape).
    fn layer_tape<'a>(&self, layer_tapes: &'a mut [f64], i: usize) -> &'a mut [f64] {
        let base = self.tape_offsets[0];
        &mut layer_tapes[self.tape_offsets[i] - base..self.tape_offsets[i + 1] - base]
    }
}

impl Chain {
    /// Composes `layers` (applied in order by the transform).
    #[track_caller]
    pub fn new(layers: Vec<Box<dyn Bijection>>) -> Self {
        let n = layers.len();
        Self::with_frozen(layers, vec![false; n])
    }

    /// As [`new`](Chain::new), with a frozen flag per layer. The chain's context dimension is
    /// that of its conditional layers (0 if there are none); they must agree.
    #[track_caller]
    pub fn with_frozen(layers: Vec<Box<dyn Bijection>>, frozen: Vec<bool>) -> Self {
        let context_dim = layers.iter().map(|l| l.context_dim()).max().unwrap_or(0);
        Self::with_context(layers, frozen, context_dim)
    }

    /// As [`with_frozen`](Chain::with_frozen) with an explicit context dimension, which every
    /// conditional layer must have (context-free layers ignore the context).
    #[track_caller]
    pub(crate) fn with_context(
        layers: Vec<Box<dyn Bijection>>,
        frozen: Vec<bool>,
        context_dim: usize,
    ) -> Self {
        assert!(!layers.is_empty(), "a chain needs at least one layer");
        assert_eq!(layers.len(), frozen.len(), "one frozen flag per layer");
        let dim = layers[0].dim();
        assert!(
            layers.iter().all(|l| l.dim() == dim),
            "all layers must have the same dimension"
        );
        assert!(
            layers
                .iter()
                .all(|l| l.context_dim() == 0 || l.context_dim() == context_dim),
            "all conditional layers must have the same context dimension"
        );
        let layout = ChainLayout::new(dim, layers.iter().map(|l| (l.num_params(), l.tape_len())));
        Chain {
            dim,
            context_dim,
            layers,
            frozen,
            layout,
        }
    }

    /// The layers, in transform order.
    pub fn layers(&self) -> &[Box<dyn Bijection>] {
        &self.layers
    }

    /// Whether layer `i` is frozen.
    pub fn is_frozen(&self, i: usize) -> bool {
        self.frozen[i]
    }

    /// The range of layer `i`'s parameters in the flat vector.
    pub fn param_range(&self, i: usize) -> std::ops::Range<usize> {
        self.layout.param_range(i)
    }

    /// A zeroed tape of the right length.
    pub fn new_tape(&self) -> Vec<f64> {
        vec![0.0; self.layout.tape_len]
    }

    /// Checks the slice lengths of a transform or an inverse.
    #[track_caller]
    fn check_lengths(&self, params: &[f64], x: &[f64], context: &[f64], y: &[f64], tape: &[f64]) {
        assert_len("params", params.len(), self.num_params());
        assert_len("x", x.len(), self.dim);
        assert_len("context", context.len(), self.context_dim);
        assert_len("y", y.len(), self.dim);
        assert_len("tape", tape.len(), self.layout.tape_len);
    }

    /// The context layer `i` reads: the chain's, or none for a context-free layer.
    fn context_of<'a>(&self, i: usize, context: &'a [f64]) -> &'a [f64] {
        if self.layers[i].context_dim() == 0 {
            &[]
        } else {
            context
        }
    }
}

impl Clone for Chain {
    fn clone(&self) -> Self {
        match self.spec().build() {
            Ok(b) => *b.into_chain().expect("a chain's spec builds a chain"),
            Err(e) => unreachable!("a chain's own spec is valid: {e}"),
        }
    }
}

impl Bijection for Chain {
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
        self.layout.tape_len
    }

    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        assert_len("params", params.len(), self.num_params());
        for (i, l) in self.layers.iter().enumerate() {
            l.init_params(&mut params[self.param_range(i)], rng);
        }
    }

    fn transform(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        tape: &mut [f64],
    ) -> f64 {
        let (d, n) = (self.dim, self.layers.len());
        self.check_lengths(params, x, context, y, tape);
        let (inputs, layer_tapes, _) = self.layout.split_tape(tape);
        inputs[..d].copy_from_slice(x);
        let mut log_det = 0.0;
        for i in 0..n {
            let p = &params[self.param_range(i)];
            let c = self.context_of(i, context);
            let lt = self.layout.layer_tape(layer_tapes, i);
            if i + 1 < n {
                let (cur, next) = inputs[i * d..(i + 2) * d].split_at_mut(d);
                log_det += self.layers[i].transform(p, cur, c, next, lt);
            } else {
                log_det += self.layers[i].transform(p, &inputs[i * d..(i + 1) * d], c, y, lt);
            }
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
        let (d, n) = (self.dim, self.layers.len());
        self.check_lengths(params, x, context, y, tape);
        let (inputs, layer_tapes, _) = self.layout.split_tape(tape);
        let mut log_det = 0.0;
        // Layer i's input is recovered into slot i; the last layer inverts y itself.
        for i in (0..n).rev() {
            let p = &params[self.param_range(i)];
            let c = self.context_of(i, context);
            let lt = self.layout.layer_tape(layer_tapes, i);
            if i + 1 < n {
                let (cur, next) = inputs[i * d..(i + 2) * d].split_at_mut(d);
                log_det += self.layers[i].inverse(p, next, c, cur, lt);
            } else {
                let cur = &mut inputs[i * d..(i + 1) * d];
                log_det += self.layers[i].inverse(p, y, c, cur, lt);
            }
        }
        x.copy_from_slice(&inputs[..d]);
        log_det
    }

    fn vjp(
        &self,
        params: &[f64],
        _x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        mut g_context: Option<&mut [f64]>,
        mut gparams: Option<&mut [f64]>,
    ) {
        let (d, n) = (self.dim, self.layers.len());
        assert_len("gy", gy.len(), d);
        assert_len("gx", gx.len(), d);
        let (inputs, layer_tapes, scratch) = self.layout.split_tape(tape);
        let (mut ga, mut gb) = scratch.split_at_mut(d);
        ga.copy_from_slice(gy);
        for i in (0..n).rev() {
            let range = self.param_range(i);
            let p = &params[range.clone()];
            let c = self.context_of(i, context);
            let lt = self.layout.layer_tape(layer_tapes, i);
            let gp = match (&mut gparams, self.frozen[i]) {
                (Some(g), false) => Some(&mut g[range]),
                _ => None,
            };
            let gc = match self.layers[i].context_dim() {
                0 => None,
                _ => g_context.as_deref_mut(),
            };
            let x = &inputs[i * d..(i + 1) * d];
            self.layers[i].vjp(p, x, c, lt, ga, g_log_det, gb, gc, gp);
            std::mem::swap(&mut ga, &mut gb);
        }
        gx.copy_from_slice(ga);
    }

    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        _x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        // J = J_n ⋯ J_1, so Jᵀu = v is solved layer by layer from the input side.
        let (d, n) = (self.dim, self.layers.len());
        let (inputs, layer_tapes, scratch) = self.layout.split_tape(tape);
        let (mut ga, mut gb) = scratch.split_at_mut(d);
        ga.copy_from_slice(v);
        for i in 0..n {
            let p = &params[self.param_range(i)];
            let c = self.context_of(i, context);
            let lt = self.layout.layer_tape(layer_tapes, i);
            let x = &inputs[i * d..(i + 1) * d];
            self.layers[i].solve_jacobian_transpose(p, x, c, lt, ga, gb);
            std::mem::swap(&mut ga, &mut gb);
        }
        u.copy_from_slice(ga);
    }

    fn batch_tape_len(&self, n: usize) -> usize {
        self.chain_batch_tape_len(n)
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
        assert_len("params", params.len(), self.num_params());
        self.chain_transform_batch(params, x, context, y, log_det, tape);
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
        assert_len("params", params.len(), self.num_params());
        self.chain_inverse_batch(params, y, context, x, log_det, tape);
    }

    fn vjp_batch(
        &self,
        params: &[f64],
        _x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: &[f64],
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        self.chain_vjp_batch(params, context, tape, gy, g_log_det, gx, g_context, gparams);
    }

    /// The layers' specs, a context-free layer of a conditional chain wrapped as
    /// [`LayerSpec::Unconditioned`] (the file format records the context it ignores), and the
    /// frozen flags if any layer is frozen.
    fn spec(&self) -> LayerSpec {
        let layers = self
            .layers
            .iter()
            .map(|l| match (l.context_dim(), self.context_dim) {
                (0, c) if c > 0 => LayerSpec::Unconditioned {
                    context_dim: c,
                    layer: Box::new(l.spec()),
                },
                _ => l.spec(),
            })
            .collect();
        let frozen = match self.frozen.contains(&true) {
            true => self.frozen.clone(),
            false => Vec::new(),
        };
        LayerSpec::Chain { layers, frozen }
    }
}
