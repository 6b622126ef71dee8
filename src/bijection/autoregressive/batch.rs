//! The layer over a batch of n items: one batched conditioner pass (matrix–matrix products, see
//! `Made::forward_batch`) per transform, d per inverse, one backward; the transformer item by
//! item. Same results as the single-item path to rounding (the property registry checks it).

use super::{MaskedAutoregressive, Tape};
use crate::bijection::{Transformer, assert_len};

impl<T: Transformer> MaskedAutoregressive<T> {
    /// [`split`](Self::split) for a batch tape of `n` items: the conditioner's batch tape, the
    /// outputs and their cotangents (n × P·d each), then one item's raw, raw cotangent and
    /// transformer scratch; `a` holds one transformer scratch per item and coordinate when the
    /// transformer keeps a forward state ([`Transformer::forward_state_len`] > 0), so the
    /// backward pass finds it in place; `b` is unused.
    fn split_batch<'a>(&self, n: usize, tape: &'a mut [f64]) -> Tape<'a> {
        let (d, p) = (self.made.dim(), self.raw_scale.len());
        assert_len("batch tape", tape.len(), self.batched_tape_len(n));
        let (made, rest) = tape.split_at_mut(self.made.batch_tape_len(n));
        let (a, rest) = rest.split_at_mut(self.states_len(n));
        let (out, rest) = rest.split_at_mut(n * p * d);
        let (g_out, rest) = rest.split_at_mut(n * p * d);
        let (raw, rest) = rest.split_at_mut(p);
        let (g_raw, scratch) = rest.split_at_mut(p);
        Tape {
            made,
            out,
            g_out,
            raw,
            g_raw,
            a,
            b: &mut [],
            scratch,
        }
    }

    /// Length of the per-item-and-coordinate scratches of a batch of `n`.
    fn states_len(&self, n: usize) -> usize {
        match self.transformer.forward_state_len() {
            0 => 0,
            _ => n * self.made.dim() * self.transformer.scratch_len(),
        }
    }

    /// The transformer scratch of item-coordinate `k` in a batch tape.
    #[inline]
    fn scratch_of<'a>(
        &self,
        k: usize,
        states: &'a mut [f64],
        shared: &'a mut [f64],
    ) -> &'a mut [f64] {
        match states.is_empty() {
            true => shared,
            false => {
                let len = self.transformer.scratch_len();
                &mut states[k * len..(k + 1) * len]
            }
        }
    }

    pub(super) fn batched_tape_len(&self, n: usize) -> usize {
        let (d, p) = (self.made.dim(), self.raw_scale.len());
        let fixed = 2 * p + self.transformer.scratch_len();
        self.made.batch_tape_len(n) + self.states_len(n) + 2 * n * p * d + fixed
    }

    /// One batched conditioner pass, then the transformer item by item.
    pub(super) fn batched_transform(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        let (d, n) = (self.made.dim(), log_det.len());
        let pd = self.raw_scale.len() * d;
        assert_len("batch outputs", y.len(), n * d);
        let t = self.split_batch(n, tape);
        self.made.forward_batch(params, x, context, t.out, t.made);
        for j in 0..n {
            let out = &t.out[j * pd..(j + 1) * pd];
            let mut ld = 0.0;
            for i in 0..d {
                self.gather(out, i, t.raw);
                let k = j * d + i;
                let scratch = self.scratch_of(k, t.a, t.scratch);
                let (yi, l) = self.transformer.forward(t.raw, x[k], scratch);
                y[k] = yi;
                ld += l;
            }
            log_det[j] = ld;
        }
    }

    /// d batched conditioner passes (coordinate i of every item is final after pass i).
    pub(super) fn batched_inverse(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        let (d, n) = (self.made.dim(), log_det.len());
        let pd = self.raw_scale.len() * d;
        assert_len("batch outputs", y.len(), n * d);
        let t = self.split_batch(n, tape);
        x.fill(0.0);
        log_det.fill(0.0);
        for i in 0..d {
            self.made.forward_batch(params, x, context, t.out, t.made);
            for j in 0..n {
                self.gather(&t.out[j * pd..(j + 1) * pd], i, t.raw);
                let (xi, l) = self.transformer.inverse(t.raw, y[j * d + i], t.scratch);
                x[j * d + i] = xi;
                log_det[j] += l;
            }
        }
    }

    /// The transformer's VJP item by item, then one batched conditioner backward pass.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn batched_vjp(
        &self,
        _params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: &[f64],
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        let (d, n) = (self.made.dim(), g_log_det.len());
        let pd = self.raw_scale.len() * d;
        assert_len("batch cotangents", gy.len(), n * d);
        assert_len("batch input cotangents", gx.len(), n * d);
        let t = self.split_batch(n, tape);
        // gx starts as the direct part ∂L/∂x_i through τ's argument; the conditioner adds the
        // rest.
        for j in 0..n {
            let out = &t.out[j * pd..(j + 1) * pd];
            let g_out = &mut t.g_out[j * pd..(j + 1) * pd];
            for i in 0..d {
                self.gather(out, i, t.raw);
                let k = j * d + i;
                let scratch = self.scratch_of(k, t.a, t.scratch);
                let (xi, gyi, gld) = (x[k], gy[k], g_log_det[j]);
                gx[k] = self
                    .transformer
                    .backward_after_forward(t.raw, xi, gyi, gld, scratch, t.g_raw);
                self.scatter(t.g_raw, i, g_out);
            }
        }
        self.made
            .backward_batch(x, context, t.made, t.g_out, gx, g_context, gparams);
    }
}
