//! The batched calls of a [`Chain`]: each layer's batched call in turn over all n items.
//!
//! Batch tape layout for n items: every layer's input (layer after layer, n × d each), every
//! layer's batch tape, then 2 · n · d of cotangent scratch and n log-determinants.

use super::{Bijection, Chain, assert_len};

/// Named parts of a chain's batch tape.
struct Parts<'a> {
    inputs: &'a mut [f64],
    layer_tapes: &'a mut [f64],
    ga: &'a mut [f64],
    gb: &'a mut [f64],
    ld: &'a mut [f64],
}

impl Chain {
    /// Sum of the layers' batch tapes for n items.
    fn layer_tapes_len(&self, n: usize) -> usize {
        self.layers().iter().map(|l| l.batch_tape_len(n)).sum()
    }

    pub(super) fn chain_batch_tape_len(&self, n: usize) -> usize {
        let d = self.dim();
        self.layers().len() * n * d + self.layer_tapes_len(n) + 2 * n * d + n
    }

    #[track_caller]
    fn split_batch<'a>(&self, n: usize, tape: &'a mut [f64]) -> Parts<'a> {
        let (d, k) = (self.dim(), self.layers().len());
        assert_len("batch tape", tape.len(), self.chain_batch_tape_len(n));
        let (inputs, rest) = tape.split_at_mut(k * n * d);
        let (layer_tapes, rest) = rest.split_at_mut(self.layer_tapes_len(n));
        let (ga, rest) = rest.split_at_mut(n * d);
        let (gb, ld) = rest.split_at_mut(n * d);
        Parts {
            inputs,
            layer_tapes,
            ga,
            gb,
            ld,
        }
    }

    /// The context layer `i` reads over a batch: the chain's, or none.
    fn batch_context<'a>(&self, i: usize, context: &'a [f64]) -> &'a [f64] {
        if self.layers()[i].context_dim() == 0 {
            &[]
        } else {
            context
        }
    }

    #[track_caller]
    fn check_batch(&self, n: usize, x: &[f64], context: &[f64], y: &[f64]) {
        assert_len("batch inputs", x.len(), n * self.dim());
        assert_len("batch outputs", y.len(), n * self.dim());
        assert_len("batch contexts", context.len(), n * self.context_dim());
    }

    pub(super) fn chain_transform_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        let (n, k) = (log_det.len(), self.layers().len());
        let nd = n * self.dim();
        self.check_batch(n, x, context, y);
        let t = self.split_batch(n, tape);
        t.inputs[..nd].copy_from_slice(x);
        log_det.fill(0.0);
        let mut off = 0;
        for (i, layer) in self.layers().iter().enumerate() {
            let len = layer.batch_tape_len(n);
            let lt = &mut t.layer_tapes[off..off + len];
            off += len;
            let (p, c) = (&params[self.param_range(i)], self.batch_context(i, context));
            if i + 1 < k {
                let (cur, next) = t.inputs[i * nd..(i + 2) * nd].split_at_mut(nd);
                layer.transform_batch(p, cur, c, next, t.ld, lt);
            } else {
                layer.transform_batch(p, &t.inputs[i * nd..], c, y, t.ld, lt);
            }
            log_det.iter_mut().zip(&*t.ld).for_each(|(a, b)| *a += b);
        }
    }

    pub(super) fn chain_inverse_batch(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        let (n, k) = (log_det.len(), self.layers().len());
        let nd = n * self.dim();
        self.check_batch(n, x, context, y);
        let t = self.split_batch(n, tape);
        log_det.fill(0.0);
        let mut end = t.layer_tapes.len();
        for (i, layer) in self.layers().iter().enumerate().rev() {
            let len = layer.batch_tape_len(n);
            let lt = &mut t.layer_tapes[end - len..end];
            end -= len;
            let (p, c) = (&params[self.param_range(i)], self.batch_context(i, context));
            if i + 1 < k {
                let (cur, next) = t.inputs[i * nd..(i + 2) * nd].split_at_mut(nd);
                layer.inverse_batch(p, next, c, cur, t.ld, lt);
            } else {
                layer.inverse_batch(p, y, c, &mut t.inputs[i * nd..], t.ld, lt);
            }
            log_det.iter_mut().zip(&*t.ld).for_each(|(a, b)| *a += b);
        }
        x.copy_from_slice(&t.inputs[..nd]);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn chain_vjp_batch(
        &self,
        params: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: &[f64],
        gx: &mut [f64],
        mut g_context: Option<&mut [f64]>,
        mut gparams: Option<&mut [f64]>,
    ) {
        let n = g_log_det.len();
        let nd = n * self.dim();
        assert_len("batch cotangents", gy.len(), nd);
        assert_len("batch input cotangents", gx.len(), nd);
        let t = self.split_batch(n, tape);
        let (mut ga, mut gb) = (t.ga, t.gb);
        ga.copy_from_slice(gy);
        let mut end = t.layer_tapes.len();
        for (i, layer) in self.layers().iter().enumerate().rev() {
            let len = layer.batch_tape_len(n);
            let lt = &mut t.layer_tapes[end - len..end];
            end -= len;
            let range = self.param_range(i);
            let p = &params[range.clone()];
            let c = self.batch_context(i, context);
            let gp = match (&mut gparams, self.is_frozen(i)) {
                (Some(g), false) => Some(&mut g[range]),
                _ => None,
            };
            let gc = match layer.context_dim() {
                0 => None,
                _ => g_context.as_deref_mut(),
            };
            let x = &t.inputs[i * nd..(i + 1) * nd];
            layer.vjp_batch(p, x, c, lt, ga, g_log_det, gb, gc, gp);
            std::mem::swap(&mut ga, &mut gb);
        }
        gx.copy_from_slice(ga);
    }
}
