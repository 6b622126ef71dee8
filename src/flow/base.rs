//! The base distribution of a flow: what the latent z is drawn from when the flow is trained and
//! sampled. NUTS never sees it (NeuTra samples p(T(z))|J_T(z)|), but training does: a
//! heavier-tailed base (independent Student-t coordinates; Jaini et al. 2020, "Tails of
//! Lipschitz Triangular Flows") puts training draws where NUTS trajectories go beyond the bulk,
//! so the flow is fitted there instead of extrapolated.

use statrs::function::gamma::ln_gamma;

/// A product base distribution on ℝ^d.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Base {
    /// N(0, I).
    StandardNormal,
    /// Independent Student-t coordinates with `dof` degrees of freedom (location 0, scale 1).
    StudentT {
        /// Degrees of freedom ν > 0.
        dof: f64,
    },
}

impl Base {
    /// Checks parameters.
    pub fn validate(&self) -> Result<(), crate::Error> {
        match self {
            Base::StandardNormal => Ok(()),
            Base::StudentT { dof } if *dof > 0.0 && dof.is_finite() => Ok(()),
            Base::StudentT { .. } => Err(crate::Error::settings(
                "flow.base.dof",
                "must be positive and finite",
            )),
        }
    }

    /// Fills `z` with a draw.
    pub fn sample(&self, rng: &mut dyn rand::Rng, z: &mut [f64]) {
        crate::rng::fill_standard_normal(rng, z);
        if let Base::StudentT { dof } = *self {
            use rand_distr::Distribution;
            let chi2 = rand_distr::ChiSquared::new(dof).expect("validated dof");
            for v in z.iter_mut() {
                let g: f64 = chi2.sample(rng);
                *v /= (g / dof).sqrt();
            }
        }
    }

    /// log density at z.
    ///
    /// ```
    /// use flowpost::flow::Base;
    /// let n = Base::StandardNormal.log_density(&[0.0]);
    /// assert!((n + 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-15);
    /// // Student-t with 1 degree of freedom is the Cauchy: log(1/π) at 0.
    /// let c = Base::StudentT { dof: 1.0 }.log_density(&[0.0]);
    /// assert!((c + std::f64::consts::PI.ln()).abs() < 1e-12);
    /// ```
    pub fn log_density(&self, z: &[f64]) -> f64 {
        match *self {
            Base::StandardNormal => {
                let ss: f64 = z.iter().map(|v| v * v).sum();
                -0.5 * ss - 0.5 * z.len() as f64 * (2.0 * std::f64::consts::PI).ln()
            }
            Base::StudentT { dof } => {
                let c = ln_gamma((dof + 1.0) / 2.0)
                    - ln_gamma(dof / 2.0)
                    - 0.5 * (dof * std::f64::consts::PI).ln();
                z.iter()
                    .map(|x| c - (dof + 1.0) / 2.0 * (x * x / dof).ln_1p())
                    .sum()
            }
        }
    }

    /// ∇ log density at z, into `out`.
    pub fn grad_log_density(&self, z: &[f64], out: &mut [f64]) {
        match *self {
            Base::StandardNormal => out.iter_mut().zip(z).for_each(|(o, x)| *o = -x),
            Base::StudentT { dof } => out
                .iter_mut()
                .zip(z)
                .for_each(|(o, x)| *o = -(dof + 1.0) * x / (dof + x * x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences_and_draws_have_the_right_scale() {
        for base in [Base::StandardNormal, Base::StudentT { dof: 7.0 }] {
            let z = [0.3, -1.7, 2.5];
            let mut g = [0.0; 3];
            base.grad_log_density(&z, &mut g);
            for i in 0..3 {
                let (mut a, mut b) = (z, z);
                a[i] += 1e-6;
                b[i] -= 1e-6;
                let num = (base.log_density(&a) - base.log_density(&b)) / 2e-6;
                assert!((num - g[i]).abs() < 1e-7, "{base:?} {i}: {num} vs {}", g[i]);
            }
        }
        // Var of t_ν is ν/(ν−2): 7/5 for ν = 7; check the sample variance within 5 standard errors.
        let base = Base::StudentT { dof: 7.0 };
        let mut rng = crate::rng::seeded(3, 0);
        let mut z = vec![0.0; 200_000];
        base.sample(&mut rng, &mut z);
        let var = z.iter().map(|x| x * x).sum::<f64>() / z.len() as f64;
        // Var(z²) = E z⁴ − (E z²)², E z⁴ = 3ν²/((ν−2)(ν−4)) = 9.8 for ν = 7.
        let se = ((9.8 - 1.4f64.powi(2)) / z.len() as f64).sqrt();
        assert!((var - 1.4).abs() < 5.0 * se, "variance {var}");
    }

    #[test]
    fn invalid_dof_is_rejected() {
        assert!(Base::StudentT { dof: 0.0 }.validate().is_err());
        assert!(Base::StudentT { dof: f64::NAN }.validate().is_err());
        assert!(Base::StudentT { dof: 3.0 }.validate().is_ok());
    }
}
