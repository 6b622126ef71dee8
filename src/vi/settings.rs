//! Settings of the variational fit: the gradient estimator and [`ViSettings`].

use super::InitSettings;
use crate::optim::{AdamSettings, WarmupSchedule};

/// Gradient estimator of the ELBO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradientEstimator {
    /// The plain reparameterization gradient.
    Reparameterized,
    /// Sticking the landing: the path derivative only.
    StickingTheLanding,
    /// Sticking the landing up to [`AUTO_STL_MAX_DIM`] dimensions, the plain gradient above
    /// (the transposed solve costs d network passes per IAF layer and draw).
    Auto,
}

/// Largest dimension for which [`GradientEstimator::Auto`] uses sticking the landing.
pub const AUTO_STL_MAX_DIM: usize = 16;

impl GradientEstimator {
    /// The estimator actually used in dimension `dim`.
    pub fn resolve(self, dim: usize) -> GradientEstimator {
        match self {
            GradientEstimator::Auto if dim <= AUTO_STL_MAX_DIM => {
                GradientEstimator::StickingTheLanding
            }
            GradientEstimator::Auto => GradientEstimator::Reparameterized,
            other => other,
        }
    }
}

/// Settings of the variational fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViSettings {
    /// Draws per step.
    pub batch_size: usize,
    /// Step budget.
    pub max_steps: usize,
    /// Never stop on a plateau before this many steps.
    pub min_steps: usize,
    /// Adam settings (learning rate, clipping).
    pub adam: AdamSettings,
    /// Linear learning-rate warm-up.
    pub warmup: WarmupSchedule,
    /// Gradient estimator.
    pub estimator: GradientEstimator,
    /// Steps per window of the plateau test.
    pub window: usize,
    /// Windows without improvement that make a plateau.
    pub patience: usize,
    /// Factor applied to the learning rate at each plateau.
    pub lr_decay: f64,
    /// Plateaus (learning-rate decays) before stopping.
    pub num_decays: usize,
    /// Fresh draws for the final ELBO estimate and the Pareto k-hat.
    pub num_psis_draws: usize,
    /// Fail if more than this fraction of a window's draws fail.
    pub max_failure_fraction: f64,
    /// Stop when the variance of log p − log q over the draws falls below this (the flow is then
    /// the target up to a KL of about half of it): before the first step, and per window.
    pub converged_variance: f64,
    /// When the best Gaussian candidate's log-weight variance is below this, the flow is that
    /// Gaussian (no IAF layers, standard normal base); only its elementwise affine is trained.
    pub gaussian_variance: f64,
    /// The Gaussian initialization.
    pub init: InitSettings,
}

impl Default for ViSettings {
    fn default() -> Self {
        ViSettings {
            batch_size: 32,
            max_steps: 3000,
            min_steps: 300,
            adam: AdamSettings {
                learning_rate: 1e-2,
                clip_norm: Some(100.0),
                ..Default::default()
            },
            warmup: WarmupSchedule {
                warmup_steps: 50,
                warmup_start: 0.1,
            },
            estimator: GradientEstimator::Auto,
            window: 100,
            patience: 2,
            lr_decay: 0.5,
            num_decays: 4,
            num_psis_draws: 1000,
            max_failure_fraction: 0.5,
            converged_variance: 2e-3,
            gaussian_variance: 0.5,
            init: InitSettings::default(),
        }
    }
}

impl ViSettings {
    /// The settings for continuing the fit of a flow that was trained before (for other data
    /// of the same model): Adam moves every parameter by about the learning rate in its first
    /// steps whatever the gradient, so the fresh schedule's 10⁻² would undo a trained flow.
    /// The refit starts at the learning rate of the schedule's last plateau
    /// (`learning_rate · lr_decay^(num_decays − 1)`), decays once, and may stop on a plateau
    /// after one window.
    ///
    /// ```
    /// use flowpost::vi::ViSettings;
    /// let refit = ViSettings::default().for_refit();
    /// assert_eq!(refit.adam.learning_rate, 1.25e-3);
    /// assert_eq!(refit.num_decays, 1);
    /// ```
    pub fn for_refit(&self) -> ViSettings {
        let mut s = self.clone();
        s.adam.learning_rate *= self.lr_decay.powi(self.num_decays.saturating_sub(1) as i32);
        s.num_decays = self.num_decays.min(1);
        s.min_steps = self.min_steps.min(self.window);
        s
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        if self.batch_size == 0 {
            return bad("vi.batch_size", "must be at least 1");
        }
        let steps = crate::rng::streams::VI_STEP.len;
        if self.max_steps as u64 > steps {
            return bad("vi.max_steps", &format!("must be at most {steps}"));
        }
        if self.patience == 0 {
            return bad("vi.patience", "must be at least 1");
        }
        if self.window == 0 {
            return bad("vi.window", "must be at least 1");
        }
        if !(self.lr_decay > 0.0 && self.lr_decay < 1.0) {
            return bad("vi.lr_decay", "must be in (0, 1)");
        }
        if !(0.0..=1.0).contains(&self.max_failure_fraction) {
            return bad("vi.max_failure_fraction", "must be in [0, 1]");
        }
        if !(self.converged_variance >= 0.0) {
            return bad("vi.converged_variance", "must be non-negative");
        }
        if !(self.gaussian_variance >= 0.0) {
            return bad("vi.gaussian_variance", "must be non-negative");
        }
        if self.num_psis_draws < 10 {
            return bad("vi.num_psis_draws", "must be at least 10");
        }
        self.adam
            .validate()
            .map_err(|e| crate::Error::settings(&format!("vi.adam.{}", e.field), &e.reason))
    }
}
