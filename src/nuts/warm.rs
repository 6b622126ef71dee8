//! Warm starts: what a chain's warmup learned (its adapted step size, the diagonal of its
//! adapted inverse mass matrix, where it ended), kept after a run and reused by the next run
//! of the same model.
//!
//! nuts-rs takes an initial step size but not an initial mass matrix, so a warm chain runs on
//! the density rescaled by the saved metric, y = z ⊘ σ with σ² the saved inverse mass diagonal:
//! in y the saved metric is the identity, nuts-rs's adaptation starts from where the last run
//! ended rather than from the first draw's gradient, and a short warmup finishes it. The chain
//! starts at the saved final position, so there is no burn-in to pay. Everything a run reports
//! (its metric, its final positions) is mapped back to the unscaled coordinates, so a warm run's
//! adaptation is itself a warm start for the next one.

/// One chain's adaptation at the end of its warmup and where it ended, in the coordinates
/// NUTS ran in (the flow's latent space for NeuTra and auto, the unconstrained space for NUTS).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChainAdaptation {
    /// The chain's number in its run (1-based, as in the CSV file names).
    pub chain: usize,
    /// The adapted step size (without nuts-rs's per-draw jitter).
    pub step_size: f64,
    /// The diagonal of the adapted inverse mass matrix (for a low-rank metric, its diagonal
    /// part).
    pub inv_mass_diag: Vec<f64>,
    /// The chain's last draw.
    pub position: Vec<f64>,
}

/// The adaptation of an earlier run, reused by [`NutsSettings::warm_start`](super::NutsSettings::warm_start):
/// this run's chain `c` (0-based, counted in the whole run) continues `chains[c % chains.len()]`.
///
/// ```
/// use flowpost::nuts::{ChainAdaptation, WarmStart};
/// let warm = WarmStart {
///     chains: vec![ChainAdaptation { chain: 1, step_size: 0.7, inv_mass_diag: vec![1.0, 4.0], position: vec![0.1, -0.3] }],
/// };
/// assert!(warm.validate(2).is_ok());
/// assert!(warm.validate(3).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WarmStart {
    /// One entry per chain of the earlier run.
    pub chains: Vec<ChainAdaptation>,
}

impl WarmStart {
    /// Checks that every entry is usable for a `dim`-dimensional density: a positive finite
    /// step size, a positive finite metric and a finite position of length `dim`.
    pub fn validate(&self, dim: usize) -> Result<(), crate::Error> {
        let bad = |reason: String| Err(crate::Error::settings("warm_start", &reason));
        if self.chains.is_empty() {
            return bad("holds no chain".into());
        }
        for c in &self.chains {
            let name = format!("chain {}", c.chain);
            if !(c.step_size.is_finite() && c.step_size > 0.0) {
                return bad(format!(
                    "{name}: step size {} is not positive and finite",
                    c.step_size
                ));
            }
            if c.inv_mass_diag.len() != dim || c.position.len() != dim {
                return bad(format!(
                    "{name}: {} metric entries and {} position entries for a density of dimension {dim}",
                    c.inv_mass_diag.len(),
                    c.position.len()
                ));
            }
            if let Some(i) = c
                .inv_mass_diag
                .iter()
                .position(|v| !(v.is_finite() && *v > 0.0))
            {
                return bad(format!(
                    "{name}: inverse mass matrix entry {} is {}, not positive and finite",
                    i + 1,
                    c.inv_mass_diag[i]
                ));
            }
            if let Some(i) = c.position.iter().position(|v| !v.is_finite()) {
                return bad(format!("{name}: position entry {} is not finite", i + 1));
            }
        }
        Ok(())
    }

    /// The adaptation chain `chain` (0-based, in the whole run) continues.
    pub fn for_chain(&self, chain: usize) -> &ChainAdaptation {
        &self.chains[chain % self.chains.len()]
    }
}

impl ChainAdaptation {
    /// The metric's scales σ = √(inverse mass diagonal): the warm chain's coordinates are
    /// y = z ⊘ σ.
    pub(super) fn scales(&self) -> Vec<f64> {
        self.inv_mass_diag.iter().map(|v| v.sqrt()).collect()
    }
}
