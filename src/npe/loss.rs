//! The training objective: the mean negative log-likelihood −log q(θ | x) of z-scored pairs
//! and its parameter gradient over a minibatch. Items are processed in fixed chunks (in
//! parallel, one workspace per chunk, no allocation per item) and the chunk sums are added in
//! chunk order, so the result does not depend on the thread count.

use super::estimator::standard_normal_log_density;
use crate::bijection::Bijection;
use rayon::prelude::*;

/// Per-chunk scratch: gradient accumulator, tape, latent and input-cotangent buffers.
pub(crate) struct Workspace {
    grad: Vec<f64>,
    tape: Vec<f64>,
    z: Vec<f64>,
    g_theta: Vec<f64>,
    loss: f64,
}

impl Workspace {
    fn new(flow: &dyn Bijection) -> Self {
        Workspace {
            grad: vec![0.0; flow.num_params()],
            tape: vec![0.0; flow.tape_len()],
            z: vec![0.0; flow.dim()],
            g_theta: vec![0.0; flow.dim()],
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

/// Mean loss (and mean gradient into `grad`) over `items`, in fixed chunks.
pub(crate) fn batch_loss(
    flow: &dyn Bijection,
    params: &[f64],
    data: &Data,
    items: &[usize],
    chunk: usize,
    workspaces: &mut Vec<Workspace>,
    grad: Option<&mut [f64]>,
) -> f64 {
    let num_chunks = items.len().div_ceil(chunk);
    while workspaces.len() < num_chunks {
        workspaces.push(Workspace::new(flow));
    }
    let with_grad = grad.is_some();
    workspaces[..num_chunks]
        .par_iter_mut()
        .zip(items.par_chunks(chunk))
        .for_each(|(ws, c)| chunk_loss(flow, params, data, c, ws, with_grad));
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
