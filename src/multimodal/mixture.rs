//! A mixture of Gaussian and multivariate Student-t components with exact log density: the
//! independent proposal q of the mode jumps, one component per mode found. A t component
//! (heavier tails than a Gaussian) keeps the importance weights p/q bounded on a mode whose
//! tails are polynomial, where a Gaussian's are not (docs/multimodal.md).

use crate::rng::fill_standard_normal;
use nalgebra::{DMatrix, DVector};
use statrs::function::gamma::{digamma, ln_gamma};

/// N(loc, L Lᵀ) when `nu` is infinite, else the multivariate t_ν(loc, L Lᵀ) (scale matrix
/// L Lᵀ), L lower triangular.
#[derive(Debug, Clone)]
pub struct Component {
    /// Centre.
    pub loc: Vec<f64>,
    /// Lower Cholesky factor of the scale matrix (the covariance for a Gaussian).
    pub chol: DMatrix<f64>,
    /// Degrees of freedom; `f64::INFINITY` for a Gaussian.
    pub nu: f64,
    /// log |det L|.
    log_det: f64,
}

impl Component {
    /// N(loc, L Lᵀ); `None` unless L has a positive, finite diagonal.
    pub fn gaussian(loc: Vec<f64>, chol: DMatrix<f64>) -> Option<Self> {
        Self::student_t(loc, chol, f64::INFINITY)
    }

    /// t_ν(loc, L Lᵀ) (a Gaussian for ν = ∞); `None` unless L has a positive, finite diagonal
    /// and ν > 0.
    pub fn student_t(loc: Vec<f64>, chol: DMatrix<f64>, nu: f64) -> Option<Self> {
        let diag = chol.diagonal();
        if !diag.iter().all(|v| *v > 0.0 && v.is_finite())
            || !loc.iter().all(|v| v.is_finite())
            || !(nu > 0.0)
        {
            return None;
        }
        let log_det = diag.iter().map(|v| v.ln()).sum();
        Some(Component {
            loc,
            chol,
            nu,
            log_det,
        })
    }

    /// The same family and centre with the scale multiplied by `c`.
    pub fn scaled(&self, c: f64) -> Option<Self> {
        Self::student_t(self.loc.clone(), &self.chol * c, self.nu)
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.loc.len()
    }

    /// L⁻¹(θ − loc): θ in this component's whitened coordinates.
    pub fn whiten(&self, theta: &[f64]) -> Vec<f64> {
        let r = DVector::from_iterator(self.dim(), theta.iter().zip(&self.loc).map(|(a, b)| a - b));
        self.chol.solve_lower_triangular(&r).map_or_else(
            || vec![f64::NAN; self.dim()],
            |v| v.iter().copied().collect(),
        )
    }

    /// The exact log density at θ.
    pub fn log_density(&self, theta: &[f64]) -> f64 {
        let d = self.dim() as f64;
        let z2: f64 = self.whiten(theta).iter().map(|v| v * v).sum();
        if self.nu.is_infinite() {
            return -0.5 * d * (2.0 * std::f64::consts::PI).ln() - self.log_det - 0.5 * z2;
        }
        let nu = self.nu;
        ln_gamma(0.5 * (nu + d))
            - ln_gamma(0.5 * nu)
            - 0.5 * d * (nu * std::f64::consts::PI).ln()
            - self.log_det
            - 0.5 * (nu + d) * (z2 / nu).ln_1p()
    }

    /// θ = loc + L z √(ν/g) for a standard normal z and g ~ χ²_ν (g/ν = 1 for a Gaussian).
    pub fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        let mut z = vec![0.0; self.dim()];
        fill_standard_normal(rng, &mut z);
        let x = &self.chol * DVector::from_vec(z);
        let s = if self.nu.is_infinite() {
            1.0
        } else {
            let g = rand_distr::Distribution::sample(
                &rand_distr::ChiSquared::new(self.nu).expect("ν > 0"),
                rng,
            );
            (self.nu / g).sqrt()
        };
        for (t, (m, v)) in theta.iter_mut().zip(self.loc.iter().zip(x.iter())) {
            *t = m + s * v;
        }
    }

    /// The covariance's diagonal: diag(L Lᵀ) times ν/(ν − 2); for ν ≤ 3 that of ν = 3 (the
    /// HMC metric needs a finite scale; a t with ν ≤ 2 has no variance).
    pub fn variances(&self) -> Vec<f64> {
        let f = if self.nu.is_infinite() {
            1.0
        } else {
            let nu = self.nu.max(3.0);
            nu / (nu - 2.0)
        };
        (0..self.dim())
            .map(|i| f * (0..=i).map(|j| self.chol[(i, j)].powi(2)).sum::<f64>())
            .collect()
    }

    /// E[log |L⁻¹(θ − loc)|²] for θ drawn from this component: ψ(d/2) + ln 2 for a Gaussian
    /// (log χ²_d), ψ(d/2) − ψ(ν/2) + ln ν for a t.
    pub fn mean_log_radius2(&self) -> f64 {
        let d = self.dim() as f64;
        if self.nu.is_infinite() {
            digamma(0.5 * d) + std::f64::consts::LN_2
        } else {
            digamma(0.5 * d) - digamma(0.5 * self.nu) + self.nu.ln()
        }
    }
}

/// Σ_k w_k f_k.
#[derive(Debug, Clone)]
pub struct Mixture {
    /// The components.
    pub components: Vec<Component>,
    /// Their weights (sum to 1).
    pub weights: Vec<f64>,
}

impl Mixture {
    /// log w_k + log f_k(θ) for every k.
    fn joint(&self, theta: &[f64]) -> Vec<f64> {
        self.components
            .iter()
            .zip(&self.weights)
            .map(|(c, w)| w.ln() + c.log_density(theta))
            .collect()
    }

    /// log q(θ) = log Σ_k w_k f_k(θ), exactly (log-sum-exp).
    pub fn log_density(&self, theta: &[f64]) -> f64 {
        crate::autodiff::math::log_sum_exp(&self.joint(theta))
    }

    /// The component most responsible for θ (its mode).
    pub fn classify(&self, theta: &[f64]) -> usize {
        let j = self.joint(theta);
        (0..j.len())
            .max_by(|&a, &b| j[a].total_cmp(&j[b]))
            .unwrap_or(0)
    }

    /// A draw θ ~ q.
    pub fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        let u: f64 = rand::RngExt::random(rng);
        let mut acc = 0.0;
        let mut k = self.weights.len() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                k = i;
                break;
            }
        }
        self.components[k].sample(rng, theta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The t component's density integrates to 1 (1-d quadrature) and its draws have the
    /// mean log radius it claims.
    #[test]
    fn the_t_component_is_normalized_and_samples_itself() {
        let c = Component::student_t(vec![0.5], DMatrix::from_element(1, 1, 2.0), 4.0).unwrap();
        let h = 0.01;
        let total: f64 = (-200_000..200_000)
            .map(|i| c.log_density(&[0.5 + i as f64 * h]).exp() * h)
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        let c = Component::student_t(vec![0.0; 3], DMatrix::identity(3, 3), 5.0).unwrap();
        let mut rng = crate::rng::seeded(1, 0);
        let n = 20_000;
        let mut x = vec![0.0; 3];
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            c.sample(&mut rng, &mut x);
            let l = x.iter().map(|v| v * v).sum::<f64>().ln();
            s += l;
            s2 += l * l;
        }
        let mean = s / n as f64;
        let se = ((s2 / n as f64 - mean * mean) / n as f64).sqrt();
        assert!(
            (mean - c.mean_log_radius2()).abs() < 4.0 * se,
            "{mean} vs {}",
            c.mean_log_radius2()
        );
    }
}
