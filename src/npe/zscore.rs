//! Z-scoring: per-coordinate mean and standard deviation from the training set, so the flow
//! sees θ and x on a unit scale (as `sbi` does with `z_score_theta`/`z_score_x`).

use super::NpeError;

/// Per-coordinate affine standardization u = (v − mean) / std.
///
/// ```
/// use flowpost::npe::Standardizer;
/// let s = Standardizer::fit([[1.0, 10.0], [3.0, 10.0]].iter().map(|r| &r[..]), 2);
/// assert_eq!(s.mean, vec![2.0, 10.0]);
/// assert_eq!(s.std[1], 1.0); // a constant column keeps unit scale
/// let mut u = [0.0; 2];
/// s.apply(&[3.0, 12.0], &mut u);
/// assert!((u[0] - 1.0 / 2f64.sqrt()).abs() < 1e-15 && u[1] == 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardizer {
    /// Means.
    pub mean: Vec<f64>,
    /// Standard deviations (unbiased; 1 for a constant column).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Mean and unbiased standard deviation of `rows` (each of length `dim`), summed in order.
    pub fn fit<'a>(rows: impl Iterator<Item = &'a [f64]> + Clone, dim: usize) -> Self {
        let mut mean = vec![0.0; dim];
        let mut n = 0usize;
        for r in rows.clone() {
            mean.iter_mut().zip(r).for_each(|(m, v)| *m += v);
            n += 1;
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0.0; dim];
        for r in rows {
            for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let std = var
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let sd = (s / (n.saturating_sub(1)).max(1) as f64).sqrt();
                if sd.is_finite() && sd > 1e-12 * m.abs().max(1.0) {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        Standardizer { mean, std }
    }

    /// The identity on ℝ^dim.
    pub fn identity(dim: usize) -> Self {
        Standardizer {
            mean: vec![0.0; dim],
            std: vec![1.0; dim],
        }
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// u = (v − mean) / std.
    pub fn apply(&self, v: &[f64], u: &mut [f64]) {
        for i in 0..self.mean.len() {
            u[i] = (v[i] - self.mean[i]) / self.std[i];
        }
    }

    /// v = mean + std · u.
    pub fn invert(&self, u: &[f64], v: &mut [f64]) {
        for i in 0..self.mean.len() {
            v[i] = self.mean[i] + self.std[i] * u[i];
        }
    }

    /// Σ log std: log q(v) = log q(u) − this.
    pub fn log_scale(&self) -> f64 {
        self.std.iter().map(|s| s.ln()).sum()
    }

    /// Checks lengths, finiteness and positive scales (for data read from a file).
    pub fn validate(&self, what: &str, dim: usize) -> Result<(), NpeError> {
        super::error::dim_check(&format!("{what} mean"), dim, self.mean.len())?;
        super::error::dim_check(&format!("{what} std"), dim, self.std.len())?;
        super::error::finite_check(&format!("{what} mean"), &self.mean)?;
        if let Some(i) = self.std.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(NpeError::NonFinite {
                what: format!("{what} std (must be positive and finite)"),
                index: i,
            });
        }
        Ok(())
    }
}

/// How x is preprocessed before z-scoring (the same map is applied to x_o).
///
/// ```
/// use flowpost::npe::XTransform;
/// let mut out = [0.0; 2];
/// XTransform::Log1p.apply(&[0.0, 9.0], &mut out).unwrap();
/// assert_eq!(out, [0.0, 10f64.ln()]);
/// assert_eq!(XTransform::Log1p.apply(&[3.0, -1.0], &mut out).unwrap_err().0, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XTransform {
    /// x as it is (then z-scored).
    #[default]
    Identity,
    /// log(1 + x) for counts and other heavy-tailed non-negative data (then z-scored); x must
    /// be > −1.
    Log1p,
}

impl XTransform {
    /// Writes the preprocessed `x` into `out`; the error gives the first column it cannot take.
    pub fn apply(&self, x: &[f64], out: &mut [f64]) -> Result<(), (usize, &'static str)> {
        match self {
            XTransform::Identity => out.copy_from_slice(x),
            XTransform::Log1p => {
                for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
                    if v <= -1.0 {
                        return Err((i, "log1p preprocessing needs x > -1"));
                    }
                    *o = v.ln_1p();
                }
            }
        }
        Ok(())
    }

    /// Whether this is the identity (not written to estimator files).
    pub fn is_identity(&self) -> bool {
        *self == XTransform::Identity
    }
}
