//! The MADE over a batch of n items: every masked layer is one matrix–matrix product over the
//! items (weights expanded to dense matrices with zeros at masked connections), forward and
//! backward. Same results as n calls of [`Made::forward`] / [`Made::backward`] up to the
//! order of floating-point sums.
//!
//! Batch tape layout: [activations, layer after layer, each n × width | two deltas of
//! n × max width | dense weights of every layer (hidden, output, direct) | one dense weight
//! gradient].

use super::Made;
use crate::bijection::assert_len;

/// Named parts of a batch tape.
struct BatchTape<'a> {
    acts: &'a mut [f64],
    da: &'a mut [f64],
    db: &'a mut [f64],
    dense: &'a mut [f64],
    dw: &'a mut [f64],
}

impl Made {
    /// Every masked layer in parameter order: hidden layers, output, direct connection.
    fn all_layers(&self) -> impl Iterator<Item = &super::MaskedLayer> {
        self.layers.iter().chain([&self.output, &self.direct])
    }

    /// Scratch length of [`forward_batch`](Made::forward_batch) +
    /// [`backward_batch`](Made::backward_batch) for `n` items.
    pub fn batch_tape_len(&self, n: usize) -> usize {
        let acts: usize = self.hidden.iter().sum();
        let dense: usize = self.all_layers().map(|l| l.dense_len()).sum();
        let dw = self.all_layers().map(|l| l.dense_len()).max().unwrap_or(0);
        n * (acts + 2 * self.max_width) + dense + dw
    }

    fn split_batch<'a>(&self, n: usize, tape: &'a mut [f64]) -> BatchTape<'a> {
        let acts: usize = self.hidden.iter().sum();
        let dense: usize = self.all_layers().map(|l| l.dense_len()).sum();
        let (acts, rest) = tape.split_at_mut(n * acts);
        let (da, rest) = rest.split_at_mut(n * self.max_width);
        let (db, rest) = rest.split_at_mut(n * self.max_width);
        let (dense, dw) = rest.split_at_mut(dense);
        BatchTape {
            acts,
            da,
            db,
            dense,
            dw,
        }
    }

    /// Offset of layer `index`'s dense weights within the dense part of the tape.
    fn dense_offset(&self, index: usize) -> usize {
        self.all_layers().take(index).map(|l| l.dense_len()).sum()
    }

    /// [`forward`](Made::forward) for `n` items at once: `x` is n × d, `context` n × c and
    /// `out` n × (k·d), row-major; records activations and dense weights in `tape` (length
    /// [`batch_tape_len`](Made::batch_tape_len)`(n)`).
    #[track_caller]
    pub fn forward_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        out: &mut [f64],
        tape: &mut [f64],
    ) {
        let (d, c) = (self.dim, self.context_dim);
        let n = x.len() / d;
        assert_len("MADE params", params.len(), self.num_params);
        assert_len("MADE inputs", x.len(), n * d);
        assert_len("MADE contexts", context.len(), n * c);
        assert_len("MADE outputs", out.len(), n * self.outputs_per_dim * d);
        assert_len("MADE batch tape", tape.len(), self.batch_tape_len(n));
        let t = self.split_batch(n, tape);
        let mut off = 0;
        for (i, layer) in self.all_layers().enumerate() {
            let p = self.layer_params(params, i, layer);
            layer.densify(p, &mut t.dense[off..off + layer.dense_len()]);
            off += layer.dense_len();
        }
        let mut start = 0;
        for (l, layer) in self.layers.iter().enumerate() {
            let (prev, rest) = t.acts.split_at_mut(start);
            let h = &mut rest[..n * layer.rows];
            let p = self.layer_params(params, l, layer);
            let w = &t.dense[self.dense_offset(l)..];
            if l == 0 {
                layer.apply_batch(p, w, n, x, context, h, false);
            } else {
                let prev_h = &prev[start - n * self.hidden[l - 1]..];
                layer.apply_batch(p, w, n, prev_h, &[], h, false);
            }
            let act = self.activation;
            h.iter_mut().for_each(|a| *a = act.apply(*a));
            start += n * layer.rows;
        }
        let nl = self.layers.len();
        let last = &t.acts[start - n * self.hidden[nl - 1]..start];
        let (po, pd) = (
            self.layer_params(params, nl, &self.output),
            self.layer_params(params, nl + 1, &self.direct),
        );
        let (wo, wd) = (
            &t.dense[self.dense_offset(nl)..],
            &t.dense[self.dense_offset(nl + 1)..],
        );
        self.output.apply_batch(po, wo, n, last, &[], out, false);
        if self.has_direct {
            self.direct.apply_batch(pd, wd, n, x, context, out, true);
        }
    }

    /// [`backward`](Made::backward) for `n` items at once, after
    /// [`forward_batch`](Made::forward_batch) with the same inputs and tape (which holds the
    /// weights, so no parameters are passed): *adds* ∂L/∂x into
    /// `gx` (n × d), ∂L/∂context into `g_context` (n × c) and ∂L/∂params, summed over the
    /// items, into `gparams`.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn backward_batch(
        &self,
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        g_out: &[f64],
        gx: &mut [f64],
        mut g_context: Option<&mut [f64]>,
        mut gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim;
        let n = x.len() / d;
        assert_len("MADE gx", gx.len(), n * d);
        assert_len("MADE g_out", g_out.len(), n * self.outputs_per_dim * d);
        assert_len("MADE batch tape", tape.len(), self.batch_tape_len(n));
        let nl = self.layers.len();
        let t = self.split_batch(n, tape);
        let (acts, dense, dw) = (&*t.acts, &*t.dense, t.dw);
        let (mut da, mut db) = (t.da, t.db);
        let offsets = &self.param_offsets;
        // The parameter-gradient slice of layer `i` and the weight-gradient scratch.
        macro_rules! gp {
            ($i:expr, $layer:expr) => {
                gparams.as_deref_mut().map(|g| {
                    (
                        &mut g[offsets[$i]..offsets[$i] + $layer.num_params()],
                        &mut *dw,
                    )
                })
            };
        }
        if self.has_direct {
            let wd = &dense[self.dense_offset(nl + 1)..];
            let gp = gp!(nl + 1, self.direct);
            let gc = g_context.as_deref_mut();
            self.direct
                .backward_batch(wd, n, x, context, g_out, Some(&mut *gx), gc, gp);
        }
        let acts_len = acts.len();
        let width = self.hidden[nl - 1];
        let last = &acts[acts_len - n * width..];
        da[..n * width].fill(0.0);
        let wo = &dense[self.dense_offset(nl)..];
        let gp = gp!(nl, self.output);
        let g = Some(&mut da[..n * width]);
        self.output
            .backward_batch(wo, n, last, &[], g_out, g, None, gp);
        // Hidden layers, last to first: da holds ∂L/∂(activations of layer l).
        let mut end = acts_len;
        for l in (0..nl).rev() {
            let rows = self.hidden[l];
            let start = end - n * rows;
            let a = &acts[start..end];
            let act = self.activation;
            da[..n * rows]
                .iter_mut()
                .zip(a)
                .for_each(|(g, &v)| *g *= act.derivative_from_output(v));
            let layer = &self.layers[l];
            let w = &dense[self.dense_offset(l)..];
            let gp = gp!(l, layer);
            let delta = &da[..n * rows];
            if l == 0 {
                let gc = g_context.as_deref_mut();
                layer.backward_batch(w, n, x, context, delta, Some(&mut *gx), gc, gp);
            } else {
                let prev_rows = self.hidden[l - 1];
                db[..n * prev_rows].fill(0.0);
                let prev_a = &acts[start - n * prev_rows..start];
                let g = Some(&mut db[..n * prev_rows]);
                layer.backward_batch(w, n, prev_a, &[], delta, g, None, gp);
                std::mem::swap(&mut da, &mut db);
            }
            end = start;
        }
    }
}
