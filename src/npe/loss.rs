//! The training objective: the mean negative log-likelihood −log q(θ | x) of z-scored pairs
//! and its parameter gradient over a minibatch. Items are processed in fixed chunks (in
//! parallel, one workspace per chunk, no allocation per item) and the chunk sums are added in
//! chunk order, so the result does not depend on the thread count. A chunk goes through the
//! flow's batched calls ([`Bijection::transform_batch`], matrix–matrix products in the
//! conditioners) or, for reference, item by item.

use super::estimator::standard_normal_log_density;
use crate::bijection::Bijection;
use rayon::prelude::*;

/// Per-chunk scratch: gradient accumulator, tape, latent and input-cotangent buffers (for a
/// whole chunk on the batched path), gathered rows and log-det buffers.
pub(crate) struct Workspace {
    grad: Vec<f64>,
    tape: Vec<f64>,
    z: Vec<f64>,
    g_theta: Vec<f64>,
    theta: Vec<f64>,
    x: Vec<f64>,
    log_det: Vec<f64>,
    g_log_det: Vec<f64>,
    loss: f64,
}

impl Workspace {
    /// Scratch for chunks of up to `chunk` items (`None`: the per-item path).
    fn new(flow: &dyn Bijection, chunk: Option<usize>) -> Self {
        let (d, c) = (flow.dim(), flow.context_dim());
        let (n, tape) = match chunk {
            Some(n) => (n, flow.batch_tape_len(n)),
            None => (1, flow.tape_len()),
        };
        Workspace {
            grad: vec![0.0; flow.num_params()],
            tape: vec![0.0; tape],
            z: vec![0.0; n * d],
            g_theta: vec![0.0; n * d],
            theta: vec![0.0; n * d],
            x: vec![0.0; n * c],
            log_det: vec![0.0; n],
            g_log_det: vec![-1.0; n],
            loss: 0.0,
        }
    }
}

/// Standardized training data: θ and x rows in flat arrays.
pub(crate) struct Data {
    pub(crate) theta: Vec<f64>,
    pub(crate) x: Vec<f64>,
    pub(crate) dt: usize,
    pub(crate) dx: usize,
}

impl Data {
    fn row(&self, i: usize) -> (&[f64], &[f64]) {
        (
            &self.theta[i * self.dt..(i + 1) * self.dt],
            &self.x[i * self.dx..(i + 1) * self.dx],
        )
    }
}

/// −log q(θ | x) (z-scored θ) of `items`, summed in order; with `grad`, adds its gradient.
fn chunk_loss(
    flow: &dyn Bijection,
    params: &[f64],
    data: &Data,
    items: &[usize],
    ws: &mut Workspace,
    with_grad: bool,
) {
    ws.loss = 0.0;
    if with_grad {
        ws.grad.fill(0.0);
    }
    for &i in items {
        let (t, x) = data.row(i);
        let ld = flow.transform(params, t, x, &mut ws.z, &mut ws.tape);
        ws.loss -= standard_normal_log_density(&ws.z) + ld;
        if with_grad {
            // ∂(−log N(z))/∂z = z, ∂(−ld)/∂ld = −1.
            let gz = std::mem::take(&mut ws.z);
            flow.vjp(
                params,
                t,
                x,
                &mut ws.tape,
                &gz,
                -1.0,
                &mut ws.g_theta,
                None,
                Some(&mut ws.grad),
            );
            ws.z = gz;
        }
    }
}

/// The same as [`chunk_loss`] through the flow's batched calls: the chunk's rows gathered into
/// one n × d and one n × c block, one batched transform and one batched VJP.
fn chunk_loss_batched(
    flow: &dyn Bijection,
    params: &[f64],
    data: &Data,
    items: &[usize],
    ws: &mut Workspace,
    with_grad: bool,
) {
    let (n, dt, dx) = (items.len(), data.dt, data.dx);
    for (j, &i) in items.iter().enumerate() {
        let (t, x) = data.row(i);
        ws.theta[j * dt..(j + 1) * dt].copy_from_slice(t);
        ws.x[j * dx..(j + 1) * dx].copy_from_slice(x);
    }
    let (theta, x) = (&ws.theta[..n * dt], &ws.x[..n * dx]);
    let tape = &mut ws.tape[..flow.batch_tape_len(n)];
    let (z, log_det) = (&mut ws.z[..n * dt], &mut ws.log_det[..n]);
    flow.transform_batch(params, theta, x, z, log_det, tape);
    ws.loss = 0.0;
    for (zj, ld) in z.chunks(dt).zip(log_det.iter()) {
        ws.loss -= standard_normal_log_density(zj) + ld;
    }
    if with_grad {
        ws.grad.fill(0.0);
        // ∂(−log N(z))/∂z = z, ∂(−ld)/∂ld = −1.
        let g_theta = &mut ws.g_theta[..n * dt];
        let gld = &ws.g_log_det[..n];
        let gp = Some(&mut ws.grad[..]);
        flow.vjp_batch(params, theta, x, tape, z, gld, g_theta, None, gp);
    }
}

/// How [`batch_loss`] runs its chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunking {
    /// Items per chunk (the unit of the fixed-order reduction).
    pub(crate) size: usize,
    /// Through the flow's batched calls (else item by item).
    pub(crate) batched: bool,
}

/// Mean loss (and mean gradient into `grad`) over `items`, in fixed chunks.
pub(crate) fn batch_loss(
    flow: &dyn Bijection,
    params: &[f64],
    data: &Data,
    items: &[usize],
    chunking: Chunking,
    workspaces: &mut Vec<Workspace>,
    grad: Option<&mut [f64]>,
) -> f64 {
    let chunk = chunking.size;
    let num_chunks = items.len().div_ceil(chunk);
    while workspaces.len() < num_chunks {
        let n = chunking.batched.then_some(chunk);
        workspaces.push(Workspace::new(flow, n));
    }
    let with_grad = grad.is_some();
    let run = if chunking.batched {
        chunk_loss_batched
    } else {
        chunk_loss
    };
    workspaces[..num_chunks]
        .par_iter_mut()
        .zip(items.par_chunks(chunk))
        .for_each(|(ws, c)| run(flow, params, data, c, ws, with_grad));
    let n = items.len() as f64;
    if let Some(g) = grad {
        g.fill(0.0);
        for ws in &workspaces[..num_chunks] {
            g.iter_mut().zip(&ws.grad).for_each(|(a, b)| *a += b);
        }
        g.iter_mut().for_each(|a| *a /= n);
    }
    workspaces[..num_chunks].iter().map(|w| w.loss).sum::<f64>() / n
}
