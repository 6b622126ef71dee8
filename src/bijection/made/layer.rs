//! One masked dense layer of a [`Made`](super::Made), stored compactly: only allowed
//! connections are parameters, and every row's mask is a prefix of the inputs. The batched
//! path expands the weights into a dense matrix (zeros where masked) and runs matrix–matrix
//! products over the items; the dense weight gradient is gathered back into the compact layout.

use crate::linalg::{View, axpy, dot, gemm};
use rand_distr::{Distribution, StandardNormal};

/// One dense layer with row-prefix masks: row r reads `prefix[r]` autoregressive inputs and all
/// `dense_cols` trailing (context) inputs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MaskedLayer {
    pub(super) rows: usize,
    /// Width of the autoregressive part of the input (the largest possible prefix).
    cols: usize,
    /// Width of the always-connected part of the input (context; only for the first layer).
    dense_cols: usize,
    prefix: Vec<usize>,
    /// Offset of each row's weights within the layer's parameters.
    row_offset: Vec<usize>,
    /// Weights then biases (biases absent for the direct connection).
    num_weights: usize,
    has_bias: bool,
}

impl MaskedLayer {
    /// A layer reading `cols` autoregressive inputs (row r its first `prefix[r]`) and
    /// `dense_cols` context inputs.
    pub(super) fn new(prefix: Vec<usize>, cols: usize, dense_cols: usize, has_bias: bool) -> Self {
        debug_assert!(prefix.iter().all(|&p| p <= cols));
        let mut row_offset = Vec::with_capacity(prefix.len());
        let mut off = 0;
        for &p in &prefix {
            row_offset.push(off);
            off += p + dense_cols;
        }
        MaskedLayer {
            rows: prefix.len(),
            cols,
            dense_cols,
            prefix,
            row_offset,
            num_weights: off,
            has_bias,
        }
    }

    pub(super) fn num_params(&self) -> usize {
        self.num_weights + if self.has_bias { self.rows } else { 0 }
    }

    /// out[r] (+)= b[r] + W[r, ..] · (ar[..prefix], ctx)
    pub(super) fn apply(
        &self,
        p: &[f64],
        ar: &[f64],
        ctx: &[f64],
        out: &mut [f64],
        accumulate: bool,
    ) {
        for r in 0..self.rows {
            let w = &p[self.row_offset[r]..self.row_offset[r] + self.prefix[r] + self.dense_cols];
            let (w_ar, w_ctx) = w.split_at(self.prefix[r]);
            let mut s = dot(w_ar, &ar[..self.prefix[r]]) + dot(w_ctx, ctx);
            if self.has_bias {
                s += p[self.num_weights + r];
            }
            if accumulate {
                out[r] += s;
            } else {
                out[r] = s;
            }
        }
    }

    /// Given δ = ∂L/∂out: g_ar += Wᵀδ (prefix part), g_ctx += Wᵀδ (dense part), gp += δ ⊗ input.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn backward(
        &self,
        p: &[f64],
        ar: &[f64],
        ctx: &[f64],
        delta: &[f64],
        g_ar: Option<&mut [f64]>,
        g_ctx: Option<&mut [f64]>,
        gp: Option<&mut [f64]>,
    ) {
        if let Some(g_ar) = g_ar {
            for r in 0..self.rows {
                let w = &p[self.row_offset[r]..self.row_offset[r] + self.prefix[r]];
                axpy(delta[r], w, &mut g_ar[..self.prefix[r]]);
            }
        }
        if let Some(g_ctx) = g_ctx {
            for r in 0..self.rows {
                let start = self.row_offset[r] + self.prefix[r];
                axpy(delta[r], &p[start..start + self.dense_cols], g_ctx);
            }
        }
        if let Some(gp) = gp {
            for r in 0..self.rows {
                let off = self.row_offset[r];
                let pre = self.prefix[r];
                axpy(delta[r], &ar[..pre], &mut gp[off..off + pre]);
                axpy(
                    delta[r],
                    ctx,
                    &mut gp[off + pre..off + pre + self.dense_cols],
                );
                if self.has_bias {
                    gp[self.num_weights + r] += delta[r];
                }
            }
        }
    }

    /// Length of the dense weight matrix, `rows × (cols + dense_cols)` row-major.
    pub(super) fn dense_len(&self) -> usize {
        self.rows * (self.cols + self.dense_cols)
    }

    /// Writes the dense weight matrix (zeros at masked connections) into `w`.
    pub(super) fn densify(&self, p: &[f64], w: &mut [f64]) {
        let width = self.cols + self.dense_cols;
        if width == 0 {
            return; // a layer reading nothing (a MADE without its direct connection)
        }
        for (r, row) in w[..self.dense_len()].chunks_mut(width).enumerate() {
            let (pre, off) = (self.prefix[r], self.row_offset[r]);
            row[..pre].copy_from_slice(&p[off..off + pre]);
            row[pre..self.cols].fill(0.0);
            row[self.cols..].copy_from_slice(&p[off + pre..off + pre + self.dense_cols]);
        }
    }

    /// The batched [`apply`](Self::apply) over `n` items: out (n × rows) (+)= [ar | ctx] · Wᵀ
    /// (+ bias), with `w` from [`densify`](Self::densify), `ar` n × cols and `ctx`
    /// n × dense_cols.
    #[allow(clippy::too_many_arguments)] // the GEMM views: input, output, their strides, the batch
    pub(super) fn apply_batch(
        &self,
        p: &[f64],
        w: &[f64],
        n: usize,
        ar: &[f64],
        ctx: &[f64],
        out: &mut [f64],
        accumulate: bool,
    ) {
        let (rows, cols, dc) = (self.rows, self.cols, self.dense_cols);
        let width = cols + dc;
        let out = &mut out[..n * rows];
        let mut acc = accumulate;
        if self.has_bias && !accumulate {
            let bias = &p[self.num_weights..self.num_weights + rows];
            out.chunks_mut(rows).for_each(|o| o.copy_from_slice(bias));
            acc = true;
        }
        let w_ar = View::new(w, rows, cols, width);
        gemm(out, rows, acc, View::new(ar, n, cols, cols), w_ar.t());
        if dc > 0 {
            let w_ctx = View::new(&w[cols..], rows, dc, width);
            gemm(out, rows, true, View::new(ctx, n, dc, dc), w_ctx.t());
        }
    }

    /// The batched [`backward`](Self::backward) over `n` items with δ (n × rows): adds δ · W
    /// into `g_ar` (n × cols) and `g_ctx` (n × dense_cols), and δᵀ · [ar | ctx] (masked
    /// entries dropped) and the column sums of δ into `gp`, using `dw` (length
    /// [`dense_len`](Self::dense_len)) as scratch.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn backward_batch(
        &self,
        w: &[f64],
        n: usize,
        ar: &[f64],
        ctx: &[f64],
        delta: &[f64],
        g_ar: Option<&mut [f64]>,
        g_ctx: Option<&mut [f64]>,
        gp: Option<(&mut [f64], &mut [f64])>,
    ) {
        let (rows, cols, dc) = (self.rows, self.cols, self.dense_cols);
        let width = cols + dc;
        let d = View::new(delta, n, rows, rows);
        if let Some(g) = g_ar {
            gemm(g, cols, true, d, View::new(w, rows, cols, width));
        }
        if let (Some(g), true) = (g_ctx, dc > 0) {
            gemm(g, dc, true, d, View::new(&w[cols..], rows, dc, width));
        }
        if let Some((gp, dw)) = gp {
            gemm(dw, width, false, d.t(), View::new(ar, n, cols, cols));
            if dc > 0 {
                gemm(
                    &mut dw[cols..],
                    width,
                    false,
                    d.t(),
                    View::new(ctx, n, dc, dc),
                );
            }
            for (r, row) in dw[..self.dense_len()].chunks(width).enumerate() {
                let (pre, off) = (self.prefix[r], self.row_offset[r]);
                gp[off..off + pre]
                    .iter_mut()
                    .zip(&row[..pre])
                    .for_each(|(g, v)| *g += v);
                gp[off + pre..off + pre + dc]
                    .iter_mut()
                    .zip(&row[cols..])
                    .for_each(|(g, v)| *g += v);
            }
            if self.has_bias {
                let gb = &mut gp[self.num_weights..self.num_weights + rows];
                for item in delta[..n * rows].chunks(rows) {
                    gb.iter_mut().zip(item).for_each(|(g, v)| *g += v);
                }
            }
        }
    }

    /// Weights N(0, gain²/fan-in); biases N(0, bias_std²) (no draws when `bias_std` is 0).
    pub(super) fn init(&self, p: &mut [f64], rng: &mut dyn rand::Rng, gain: f64, bias_std: f64) {
        for r in 0..self.rows {
            let fan_in = (self.prefix[r] + self.dense_cols).max(1) as f64;
            let std = gain / fan_in.sqrt();
            let off = self.row_offset[r];
            for w in &mut p[off..off + self.prefix[r] + self.dense_cols] {
                let z: f64 = StandardNormal.sample(rng);
                *w = std * z;
            }
        }
        if self.has_bias {
            for b in &mut p[self.num_weights..self.num_weights + self.rows] {
                *b = if bias_std > 0.0 {
                    let z: f64 = StandardNormal.sample(rng);
                    bias_std * z
                } else {
                    0.0
                };
            }
        }
    }
}
