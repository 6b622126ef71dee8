//! The per-item implementations of the batched [`Bijection`] methods: what a layer without a
//! batched path of its own does (one call per item, one tape of
//! [`tape_len`](Bijection::tape_len) per item), and the reference the batched layers are
//! checked against.
//!
//! Batches are row-major: item j's input is `x[j·d..(j+1)·d]`, its context
//! `context[j·c..(j+1)·c]` (c = [`context_dim`](Bijection::context_dim), empty when 0).

use super::{Bijection, assert_len};

/// Item j's part of a row-major batch of rows of `width`.
#[inline]
pub(crate) fn row(data: &[f64], width: usize, j: usize) -> &[f64] {
    &data[j * width..(j + 1) * width]
}

/// As [`row`], mutably.
#[inline]
pub(crate) fn row_mut(data: &mut [f64], width: usize, j: usize) -> &mut [f64] {
    &mut data[j * width..(j + 1) * width]
}

#[track_caller]
fn check<B: Bijection + ?Sized>(
    b: &B,
    n: usize,
    x: &[f64],
    context: &[f64],
    y: &[f64],
    tape: &[f64],
) {
    let (d, c) = (b.dim(), b.context_dim());
    assert_len("batch inputs", x.len(), n * d);
    assert_len("batch outputs", y.len(), n * d);
    assert_len("batch contexts", context.len(), n * c);
    assert_len("batch tape", tape.len(), n * b.tape_len());
}

/// [`Bijection::transform_batch`], one item at a time.
#[track_caller]
pub fn transform_per_item<B: Bijection + ?Sized>(
    b: &B,
    params: &[f64],
    x: &[f64],
    context: &[f64],
    y: &mut [f64],
    log_det: &mut [f64],
    tape: &mut [f64],
) {
    let (n, d, c, tl) = (log_det.len(), b.dim(), b.context_dim(), b.tape_len());
    check(b, n, x, context, y, tape);
    for j in 0..n {
        let (xj, cj) = (row(x, d, j), row(context, c, j));
        let t = row_mut(tape, tl, j);
        log_det[j] = b.transform(params, xj, cj, row_mut(y, d, j), t);
    }
}

/// [`Bijection::inverse_batch`], one item at a time.
#[track_caller]
pub fn inverse_per_item<B: Bijection + ?Sized>(
    b: &B,
    params: &[f64],
    y: &[f64],
    context: &[f64],
    x: &mut [f64],
    log_det: &mut [f64],
    tape: &mut [f64],
) {
    let (n, d, c, tl) = (log_det.len(), b.dim(), b.context_dim(), b.tape_len());
    check(b, n, x, context, y, tape);
    for j in 0..n {
        let (yj, cj) = (row(y, d, j), row(context, c, j));
        let t = row_mut(tape, tl, j);
        log_det[j] = b.inverse(params, yj, cj, row_mut(x, d, j), t);
    }
}

/// [`Bijection::vjp_batch`], one item at a time (parameter gradients added item after item).
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn vjp_per_item<B: Bijection + ?Sized>(
    b: &B,
    params: &[f64],
    x: &[f64],
    context: &[f64],
    tape: &mut [f64],
    gy: &[f64],
    g_log_det: &[f64],
    gx: &mut [f64],
    mut g_context: Option<&mut [f64]>,
    mut gparams: Option<&mut [f64]>,
) {
    let (n, d, c, tl) = (g_log_det.len(), b.dim(), b.context_dim(), b.tape_len());
    check(b, n, x, context, gy, tape);
    assert_len("batch input cotangents", gx.len(), n * d);
    for j in 0..n {
        let (xj, cj, gyj) = (row(x, d, j), row(context, c, j), row(gy, d, j));
        let gc = g_context.as_deref_mut().map(|g| row_mut(g, c, j));
        let t = row_mut(tape, tl, j);
        let gxj = row_mut(gx, d, j);
        b.vjp(
            params,
            xj,
            cj,
            t,
            gyj,
            g_log_det[j],
            gxj,
            gc,
            gparams.as_deref_mut(),
        );
    }
}
