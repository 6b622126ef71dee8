//! Posterior draws with leakage correction: [`NpeEstimator::sample`] draws from q(θ | x) (the
//! mixture, for an ensemble) and, for estimators that keep a box for rejection, rejects the
//! draws outside it until enough are accepted, reporting the acceptance rate.

use super::{NpeError, NpeEstimator};

/// Leakage-correction settings for [`NpeEstimator::sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSettings {
    /// Seed of the draws.
    pub seed: u64,
    /// Give up when more than this many draws per requested sample were needed.
    pub max_draws_per_sample: usize,
    /// Acceptance rate below which [`PosteriorSamples::low_acceptance`] is set.
    pub warn_acceptance: f64,
}

impl Default for SampleSettings {
    fn default() -> Self {
        SampleSettings {
            seed: 0,
            max_draws_per_sample: 1000,
            warn_acceptance: 0.01,
        }
    }
}

/// Posterior draws after leakage correction.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSamples {
    /// Row-major draws, `num_samples × dim`.
    pub samples: Vec<f64>,
    /// Dimension of θ.
    pub dim: usize,
    /// Draws made (accepted + rejected).
    pub num_drawn: usize,
    /// Fraction of draws inside the prior support.
    pub acceptance_rate: f64,
    /// Whether the acceptance rate fell below the warning threshold.
    pub low_acceptance: bool,
}

impl PosteriorSamples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len() / self.dim
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
    /// Sample i.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.samples[i * self.dim..(i + 1) * self.dim]
    }
}

impl NpeEstimator {
    /// Draws `n` posterior samples given `x` (inside the support by construction), rejecting
    /// draws outside a box kept for rejection (when the estimator has one) until `n` are
    /// accepted.
    pub fn sample(
        &self,
        x: &[f64],
        n: usize,
        settings: &SampleSettings,
    ) -> Result<PosteriorSamples, NpeError> {
        let d = self.theta_dim();
        let mut samples = Vec::with_capacity(n * d);
        let mut drawn = 0usize;
        let mut generated = 0usize;
        let max_draws = n.saturating_mul(settings.max_draws_per_sample).max(1000);
        while samples.len() < n * d {
            let missing = n - samples.len() / d;
            let rate = if drawn == 0 {
                1.0
            } else {
                (samples.len() / d) as f64 / drawn as f64
            };
            let batch = ((missing as f64 / rate.max(1e-3)) * 1.1).ceil() as usize + 16;
            let batch = batch.min(max_draws.saturating_sub(generated));
            if batch == 0 {
                return Err(NpeError::Leakage {
                    num_accepted: samples.len() / d,
                    num_drawn: drawn,
                    rate,
                });
            }
            let draws = self.sample_unconstrained(x, batch, settings.seed, generated as u64)?;
            generated += batch;
            for row in draws.chunks(d) {
                if samples.len() == n * d {
                    break;
                }
                drawn += 1;
                if self.bounds.as_ref().is_none_or(|b| b.contains(row)) {
                    samples.extend_from_slice(row);
                }
            }
        }
        // Draws after the n-th acceptance were never examined and do not count.
        let acceptance_rate = if drawn == 0 {
            1.0
        } else {
            n as f64 / drawn as f64
        };
        Ok(PosteriorSamples {
            samples,
            dim: d,
            num_drawn: drawn,
            acceptance_rate,
            low_acceptance: acceptance_rate < settings.warn_acceptance,
        })
    }
}
