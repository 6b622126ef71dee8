//! One masked dense layer of a [`Made`](super::Made), stored compactly: only allowed
//! connections are parameters, and every row's mask is a prefix of the inputs.

use crate::linalg::{axpy, dot};
use rand_distr::{Distribution, StandardNormal};

/// One dense layer with row-prefix masks: row r reads `prefix[r]` autoregressive inputs and all
/// `dense_cols` trailing (context) inputs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MaskedLayer {
    pub(super) rows: usize,
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
    pub(super) fn new(prefix: Vec<usize>, dense_cols: usize, has_bias: bool) -> Self {
        let mut row_offset = Vec::with_capacity(prefix.len());
        let mut off = 0;
        for &p in &prefix {
            row_offset.push(off);
            off += p + dense_cols;
        }
        MaskedLayer {
            rows: prefix.len(),
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
