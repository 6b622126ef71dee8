//! posteriordb `gp_pois_regr-gp_pois_regr`: a latent Gaussian process with Poisson counts,
//! differentiated by forward-mode autodiff (the Cholesky factor's derivative with respect to
//! the hyperparameters is what a hand-written gradient would need).

use flowpost::DensityError;
#[cfg(doc)]
use flowpost::LogDensity;
use flowpost::autodiff::{AdScalar, ForwardAd, GenericLogDensity};
use flowpost::transforms::LowerBound;
use serde::Deserialize;

use crate::data::GP_POIS_REGR;
use crate::math::{check_len, indexed};
use crate::{BuiltinModel, ModelError};

/// `rho ~ gamma(25, 4)`, `alpha ~ normal(0, 2)` (both > 0), `f_tilde ~ normal(0, 1)`,
/// `f = L·f_tilde` with `L = cholesky(alpha²·exp(−(x_i − x_j)²/(2 rho²)) + 1e-10·I)`,
/// `k ~ poisson_log(f)`. N = 11. Unconstrained: `log rho`, `log alpha`, `f_tilde[1..N]`;
/// reported (as the reference draws store them): `rho`, `alpha`, `f[1..N]`.
///
/// This type is the generic log-density; [`GpPoisRegr::with_gradient`] wraps it in
/// [`ForwardAd`] (4 derivative directions per pass, 4 passes), which is the [`LogDensity`].
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::GpPoisRegr::new().unwrap().with_gradient();
/// assert_eq!(m.dim(), 13);
/// assert_eq!(m.param_names()[2], "f[1]");
/// ```
#[derive(Debug, Clone)]
pub struct GpPoisRegr {
    x: Vec<f64>,
    k: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    x: Vec<f64>,
    k: Vec<i64>,
}

const NAME: &str = "gp_pois_regr-gp_pois_regr";
const POSITIVE: LowerBound = LowerBound { lower: 0.0 };
const JITTER: f64 = 1e-10;

/// The autodiff chunk size. Four passes of 4 directions measured faster than one pass of 13
/// (the wide dual numbers spill out of registers): ≈ 4.4 µs against 6.6 µs per gradient in
/// `benches/gradient_cost.rs`.
pub const GP_POIS_REGR_CHUNK: usize = 4;

impl GpPoisRegr {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = GP_POIS_REGR.parse(NAME)?;
        GP_POIS_REGR.check_len(NAME, "x", d.x.len(), d.n)?;
        GP_POIS_REGR.check_len(NAME, "k", d.k.len(), d.n)?;
        if let Some(i) = d.k.iter().position(|&k| k < 0) {
            return Err(GP_POIS_REGR.error(NAME, format!("k[{}] is negative", i + 1)));
        }
        Ok(GpPoisRegr {
            x: d.x,
            k: d.k.iter().map(|&k| k as f64).collect(),
        })
    }

    /// The [`LogDensity`] with an exact gradient by forward-mode autodiff.
    pub fn with_gradient(self) -> ForwardAd<Self, GP_POIS_REGR_CHUNK> {
        ForwardAd::new(self)
    }

    fn n(&self) -> usize {
        self.x.len()
    }

    /// `L = cholesky(K(rho, alpha))` into `l` (row-major n × n, lower triangle).
    fn cholesky<T: AdScalar>(&self, rho: T, alpha: T, l: &mut [T]) -> Result<(), DensityError> {
        let n = self.n();
        let alpha2 = alpha * alpha;
        let inv_2rho2 = (rho * rho * 2.0).recip();
        for i in 0..n {
            for j in 0..i {
                let d = self.x[i] - self.x[j];
                l[i * n + j] = alpha2 * (inv_2rho2 * (-d * d)).exp();
            }
            l[i * n + i] = alpha2 + JITTER;
        }
        for j in 0..n {
            let mut d = l[j * n + j];
            for k in 0..j {
                d -= l[j * n + k] * l[j * n + k];
            }
            if !(d.re() > 0.0) {
                return Err(DensityError::recoverable(format!(
                    "the GP covariance is not positive definite (pivot {j} is {})",
                    d.re()
                )));
            }
            let ljj = d.sqrt();
            l[j * n + j] = ljj;
            for i in j + 1..n {
                let mut s = l[i * n + j];
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = s / ljj;
            }
        }
        Ok(())
    }

    /// `f = L·f_tilde` at θ, into `f`; `scratch` receives L.
    fn latent<T: AdScalar>(
        &self,
        theta: &[T],
        scratch: &mut Vec<T>,
        f: &mut [T],
    ) -> Result<(), DensityError> {
        let n = self.n();
        scratch.clear();
        scratch.resize(n * n, T::from(0.0));
        self.cholesky(theta[0].exp(), theta[1].exp(), scratch)?;
        lower_mat_vec(scratch, &theta[2..], f);
        Ok(())
    }
}

/// `f = L·v` for a lower-triangular row-major `L` (n × n).
fn lower_mat_vec<T: AdScalar>(l: &[T], v: &[T], f: &mut [T]) {
    let n = v.len();
    for i in 0..n {
        let mut s = T::from(0.0);
        for j in 0..=i {
            s += l[i * n + j] * v[j];
        }
        f[i] = s;
    }
}

impl GenericLogDensity for GpPoisRegr {
    fn dim(&self) -> usize {
        self.n() + 2
    }

    fn log_density<T: AdScalar>(
        &self,
        theta: &[T],
        scratch: &mut Vec<T>,
    ) -> Result<T, DensityError> {
        let n = self.n();
        check_len(NAME, "theta", theta.len(), n + 2);
        let (log_rho, log_alpha) = (theta[0], theta[1]);
        let (rho, alpha) = (log_rho.exp(), log_alpha.exp());
        // priors (rho ~ gamma(25, 4), alpha ~ half-normal(0, 2)) and the log-Jacobians
        let mut lp = log_rho * 24.0 - rho * 4.0 - alpha * alpha / 8.0 + log_rho + log_alpha;
        for &ft in &theta[2..] {
            lp -= ft * ft * 0.5;
        }
        // f = L f_tilde, with L in scratch[..n²] and f in scratch[n²..]
        scratch.clear();
        scratch.resize(n * n + n, T::from(0.0));
        let (l, f) = scratch.split_at_mut(n * n);
        self.cholesky(rho, alpha, l)?;
        lower_mat_vec(l, &theta[2..], f);
        for (fi, &k) in f.iter().zip(&self.k) {
            lp += *fi * k - fi.exp();
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        ["rho".to_string(), "alpha".to_string()]
            .into_iter()
            .chain(indexed("f", self.n()))
            .collect()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out[0] = theta[0].exp();
        out[1] = theta[1].exp();
        let mut scratch = Vec::new();
        if self.latent(theta, &mut scratch, &mut out[2..]).is_err() {
            out[2..].fill(f64::NAN);
        }
    }
}

impl<const N: usize> BuiltinModel for ForwardAd<GpPoisRegr, N> {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        let m = self.inner();
        let n = m.n();
        check_len(NAME, "constrained", c.len(), n + 2);
        let mut u = vec![POSITIVE.unconstrain(c[0]), POSITIVE.unconstrain(c[1])];
        let mut l = vec![0.0; n * n];
        if m.cholesky(c[0], c[1], &mut l).is_err() {
            u.resize(n + 2, f64::NAN);
            return u;
        }
        // f_tilde = L⁻¹ f
        for i in 0..n {
            let s: f64 = (0..i).map(|j| l[i * n + j] * u[2 + j]).sum();
            u.push((c[2 + i] - s) / l[i * n + i]);
        }
        u
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[0] + theta[1]
    }
}

impl GpPoisRegr {
    /// Value-only evaluation on `f64`, for tests and cross-checks.
    pub fn value(&self, theta: &[f64]) -> Result<f64, DensityError> {
        let mut scratch = Vec::new();
        GenericLogDensity::log_density(self, theta, &mut scratch)
    }
}
