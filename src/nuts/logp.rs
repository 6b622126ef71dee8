//! The density NUTS sees: the target itself, or its pull-back through a flow
//! (log p(T(z)) + log|det J_T(z)|), as a nuts-rs `CpuLogpFunc` that counts its evaluations;
//! for a warm start ([`super::warm`]) in the coordinates y = z ⊘ σ of the saved metric's scales
//! σ (the log-density is unchanged, the gradient is σ ⊙ ∇_z).

use crate::density::{DensityError, LogDensity, guarded_log_density};
use crate::flow::Flow;
use nuts_rs::{CpuLogpFunc, HasDims};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A [`DensityError`] in the form nuts-rs wants: recoverable errors are divergences.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(super) struct LogpErr(pub(super) DensityError);

impl nuts_rs::LogpError for LogpErr {
    fn is_recoverable(&self) -> bool {
        self.0.is_recoverable()
    }
}

/// The target, or its pull-back through `flow`; `num_evals` counts gradient evaluations.
pub(super) struct LatentLogp<'a, D: ?Sized> {
    density: &'a D,
    flow: Option<&'a Flow>,
    theta: Vec<f64>,
    grad_theta: Vec<f64>,
    tape: Vec<f64>,
    num_constrained: usize,
    num_evals: Arc<AtomicU64>,
    /// The warm start's scales σ (z = σ ⊙ y), with a buffer for z; `None`: y = z.
    scale: Option<(Vec<f64>, Vec<f64>)>,
}

impl<'a, D: LogDensity + ?Sized> LatentLogp<'a, D> {
    pub(super) fn new(
        density: &'a D,
        flow: Option<&'a Flow>,
        num_constrained: usize,
        num_evals: Arc<AtomicU64>,
    ) -> Self {
        let d = density.dim();
        LatentLogp {
            density,
            flow,
            theta: vec![0.0; d],
            grad_theta: vec![0.0; d],
            tape: flow.map_or_else(Vec::new, |f| f.new_tape()),
            num_constrained,
            num_evals,
            scale: None,
        }
    }

    /// Runs in the coordinates y = z ⊘ `scales`.
    pub(super) fn with_scales(mut self, scales: Vec<f64>) -> Self {
        let d = scales.len();
        self.scale = Some((scales, vec![0.0; d]));
        self
    }

    /// The log-density and z-gradient at z.
    fn latent(&mut self, z: &[f64], grad: &mut [f64]) -> Result<f64, LogpErr> {
        let Some(flow) = self.flow else {
            return guarded_log_density(self.density, z, grad).map_err(LogpErr);
        };
        let ld = flow.forward(z, &mut self.theta, &mut self.tape);
        let lp = guarded_log_density(self.density, &self.theta, &mut self.grad_theta)
            .map_err(LogpErr)?;
        flow.pull_back(z, &mut self.tape, &self.grad_theta, grad);
        let total = lp + ld;
        if !total.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(LogpErr(DensityError::recoverable(
                "non-finite latent density or gradient",
            )));
        }
        Ok(total)
    }
}

impl<D: LogDensity + ?Sized> HasDims for LatentLogp<'_, D> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([
            (
                "unconstrained_parameter".to_string(),
                self.theta.len() as u64,
            ),
            (
                "expanded_parameter".to_string(),
                (self.num_constrained + self.theta.len()) as u64 + 1,
            ),
        ])
    }
}

impl<D: LogDensity + ?Sized> CpuLogpFunc for LatentLogp<'_, D> {
    type LogpError = LogpErr;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.theta.len()
    }

    fn logp(&mut self, y: &[f64], grad: &mut [f64]) -> Result<f64, LogpErr> {
        self.num_evals.fetch_add(1, Ordering::Relaxed);
        let Some((scales, mut z)) = self.scale.take() else {
            return self.latent(y, grad);
        };
        for ((zi, yi), si) in z.iter_mut().zip(y).zip(&scales) {
            *zi = si * yi;
        }
        let result = self.latent(&z, grad);
        for (g, si) in grad.iter_mut().zip(&scales) {
            *g *= si;
        }
        self.scale = Some((scales, z));
        result
    }

    /// [constrained values…, unconstrained θ = T(z)…, log|det J_T(z)|] (θ = z and 0 without a
    /// flow), so that the target's log density is the latent one minus the last entry.
    fn expand_vector<R: rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        y: &[f64],
    ) -> Result<Vec<f64>, nuts_rs::CpuMathError> {
        let scaled: Vec<f64>;
        let z = match &self.scale {
            Some((scales, _)) => {
                scaled = y.iter().zip(scales).map(|(yi, si)| yi * si).collect();
                &scaled[..]
            }
            None => y,
        };
        let ld = match self.flow {
            Some(flow) => flow.forward(z, &mut self.theta, &mut self.tape),
            None => {
                self.theta.copy_from_slice(z);
                0.0
            }
        };
        let d = self.theta.len();
        let mut out = vec![0.0; self.num_constrained + d + 1];
        let density = self.density;
        let theta = &self.theta;
        catch_unwind(AssertUnwindSafe(|| {
            density.constrain(theta, &mut out[..self.num_constrained])
        }))
        .map_err(|_| {
            nuts_rs::CpuMathError::ExpandError("the model's constrain() panicked".into())
        })?;
        out[self.num_constrained..self.num_constrained + d].copy_from_slice(&self.theta);
        out[self.num_constrained + d] = ld;
        Ok(out)
    }
}
