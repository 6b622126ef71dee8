//! Stochastic optimization: Adam (Kingma & Ba 2015) with bias correction, global-norm gradient
//! clipping and a learning-rate schedule. argmin has no stochastic optimizer, hence this one.
//!
//! Convention: [`Adam::step`] *minimizes* (params −= lr · m̂ / (√v̂ + ε)); pass −∇ELBO to
//! maximize an ELBO.
//!
//! Training loops (VI and NPE) keep their best point with [`KeepBest`].

mod keep_best;

pub use keep_best::KeepBest;

/// Adam hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamSettings {
    /// Base learning rate.
    pub learning_rate: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub epsilon: f64,
    /// Clip the gradient to this global L2 norm before the update (`None`: no clipping).
    pub clip_norm: Option<f64>,
}

impl Default for AdamSettings {
    fn default() -> Self {
        AdamSettings {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            clip_norm: None,
        }
    }
}

/// Invalid optimizer settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid optimizer setting `{field}`: {reason}")]
#[non_exhaustive]
pub struct OptimSettingsError {
    /// The offending field.
    pub field: &'static str,
    /// Why it is invalid.
    pub reason: String,
}

impl AdamSettings {
    /// Checks ranges: lr > 0, β ∈ [0, 1), ε > 0, clip norm > 0.
    pub fn validate(&self) -> Result<(), OptimSettingsError> {
        let err = |field, reason: &str| {
            Err(OptimSettingsError {
                field,
                reason: reason.into(),
            })
        };
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return err("learning_rate", "must be positive and finite");
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return err("beta1", "must be in [0, 1)");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return err("beta2", "must be in [0, 1)");
        }
        if !(self.epsilon > 0.0) {
            return err("epsilon", "must be positive");
        }
        if let Some(c) = self.clip_norm
            && !(c > 0.0)
        {
            return err("clip_norm", "must be positive");
        }
        Ok(())
    }
}

/// Adam state for a flat parameter vector.
///
/// ```
/// use flowpost::optim::{Adam, AdamSettings};
/// // Minimize (x − 3)².
/// let mut adam = Adam::new(1, AdamSettings { learning_rate: 0.1, ..Default::default() });
/// let mut x = [0.0];
/// for _ in 0..500 {
///     let g = [2.0 * (x[0] - 3.0)];
///     adam.step(&mut x, &g, 1.0);
/// }
/// assert!((x[0] - 3.0).abs() < 1e-3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    settings: AdamSettings,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
    scratch: Vec<f64>,
}

impl Adam {
    /// Fresh state for `n` parameters.
    pub fn new(n: usize, settings: AdamSettings) -> Self {
        Adam {
            settings,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
            scratch: vec![0.0; n],
        }
    }

    /// Number of steps taken.
    pub fn num_steps(&self) -> u64 {
        self.t
    }

    /// One update with the gradient `grad` of the objective to minimize, at learning rate
    /// `settings.learning_rate × lr_factor`. Returns the gradient's global norm before clipping.
    #[track_caller]
    pub fn step(&mut self, params: &mut [f64], grad: &[f64], lr_factor: f64) -> f64 {
        assert_eq!(params.len(), self.m.len(), "parameter length");
        assert_eq!(grad.len(), self.m.len(), "gradient length");
        let s = self.settings;
        self.scratch.copy_from_slice(grad);
        let norm = match s.clip_norm {
            Some(c) => clip_by_global_norm(&mut self.scratch, c),
            None => global_norm(&self.scratch),
        };
        self.t += 1;
        let t = self.t as f64;
        let c1 = 1.0 - s.beta1.powf(t);
        let c2 = 1.0 - s.beta2.powf(t);
        let lr = s.learning_rate * lr_factor;
        for i in 0..params.len() {
            let g = self.scratch[i];
            self.m[i] = s.beta1 * self.m[i] + (1.0 - s.beta1) * g;
            self.v[i] = s.beta2 * self.v[i] + (1.0 - s.beta2) * g * g;
            let m_hat = self.m[i] / c1;
            let v_hat = self.v[i] / c2;
            params[i] -= lr * m_hat / (v_hat.sqrt() + s.epsilon);
        }
        norm
    }
}

/// ‖g‖₂.
pub fn global_norm(grad: &[f64]) -> f64 {
    grad.iter().map(|g| g * g).sum::<f64>().sqrt()
}

/// Rescales `grad` in place so its L2 norm is at most `max_norm`; returns the norm before.
pub fn clip_by_global_norm(grad: &mut [f64], max_norm: f64) -> f64 {
    let norm = global_norm(grad);
    if norm > max_norm {
        let s = max_norm / norm;
        grad.iter_mut().for_each(|g| *g *= s);
    }
    norm
}

/// A learning-rate multiplier over steps: linear warm-up from `warmup_start` to 1 over
/// `warmup_steps`, then constant (decays come from plateau detection in the caller).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WarmupSchedule {
    /// Steps of linear warm-up.
    pub warmup_steps: u64,
    /// Multiplier at step 0.
    pub warmup_start: f64,
}

impl WarmupSchedule {
    /// Multiplier at `step` (0-based).
    pub fn factor(&self, step: u64) -> f64 {
        if step >= self.warmup_steps || self.warmup_steps == 0 {
            1.0
        } else {
            let f = step as f64 / self.warmup_steps as f64;
            self.warmup_start + (1.0 - self.warmup_start) * f
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_has_size_lr_whatever_the_gradient_scale() {
        for scale in [1e-3, 1.0, 1e6] {
            let mut adam = Adam::new(
                2,
                AdamSettings {
                    learning_rate: 0.01,
                    ..Default::default()
                },
            );
            let mut x = [0.0, 0.0];
            adam.step(&mut x, &[scale, -scale], 1.0);
            assert!(
                (x[0] + 0.01).abs() < 1e-6 && (x[1] - 0.01).abs() < 1e-6,
                "{x:?}"
            );
        }
    }

    #[test]
    fn minimizes_an_ill_conditioned_quadratic() {
        let mut adam = Adam::new(
            2,
            AdamSettings {
                learning_rate: 0.05,
                ..Default::default()
            },
        );
        let mut x = [5.0, -5.0];
        for _ in 0..3000 {
            let g = [2.0 * 100.0 * (x[0] - 1.0), 2.0 * 0.01 * (x[1] + 2.0)];
            adam.step(&mut x, &g, 1.0);
        }
        assert!(
            (x[0] - 1.0).abs() < 1e-2 && (x[1] + 2.0).abs() < 1e-2,
            "{x:?}"
        );
    }

    #[test]
    fn clipping_bounds_the_norm_and_keeps_direction() {
        let mut g = [3.0, 4.0];
        assert_eq!(clip_by_global_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15);
        let mut small = [0.3, 0.4];
        clip_by_global_norm(&mut small, 1.0);
        assert_eq!(small, [0.3, 0.4]);
    }

    #[test]
    fn warmup_is_linear_then_flat() {
        let s = WarmupSchedule {
            warmup_steps: 10,
            warmup_start: 0.1,
        };
        assert!((s.factor(0) - 0.1).abs() < 1e-15);
        assert!((s.factor(5) - 0.55).abs() < 1e-15);
        assert_eq!(s.factor(10), 1.0);
        assert_eq!(s.factor(1000), 1.0);
    }

    #[test]
    fn settings_are_validated() {
        assert!(AdamSettings::default().validate().is_ok());
        let bad = AdamSettings {
            learning_rate: -1.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "learning_rate");
        let bad = AdamSettings {
            beta2: 1.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "beta2");
        let bad = AdamSettings {
            clip_norm: Some(0.0),
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "clip_norm");
    }
}
