//! What a correct run of a built-in model must give, and the check of a run against it.
//!
//! References, per model:
//! - the 14 posteriordb posteriors (and the spine's eight-schools twins): posteriordb's
//!   reference draws as vendored in `data/posteriordb/reference/` (mean, sd and their MCSEs
//!   over 10 × 1000 Stan draws);
//! - `funnel` (any dimension): v ~ N(0, 3²) exactly, and each x_i has mean 0;
//! - `banana`: x1 ~ N(0, 10²), E x2 = 0.03 · 100 − 3 = 0, Var x2 = 1 + 0.03² · 2 · 10⁴ = 19;
//! - `gauss100`: the mean and covariance in its data file;
//! - `student_t`, `log_gamma`: their exact moments (see their docs);
//! - `hier_regression` (any dimension): its exact moments, by quadrature over `log tau`;
//! - `mixture2`, `mixture4`, `mixture2_t` (any dimension), `sign_flip`: their exact moments
//!   (see their docs; their mode weights and log Z are in [`crate::occupancy`]);
//! - `logreg`: a long run (`data/peers/logreg_reference.json`, made by
//!   `cargo run --release -p flowpost-models --example make_reference -- logreg`).
//! - `latent_gp` at 50 and 500 inputs (dimensions 51 and 501; other sizes have none): a long
//!   run each (`data/scale/latent_gp_{51,501}_reference.json`, made by
//!   `cargo run --release -p flowpost-models --example make_reference -- latent_gp 51`).
//!
//! [`judge`] applies the accuracy suite's criteria: every reference mean and sd within
//! `max_abs_z` combined MCSEs (ours from the draws' own ESS, `mcse_mean`/`mcse_sd`; the
//! reference's from its file, 0 where exact), max R-hat below `max_r_hat`, and fewer than
//! `max_divergent_fraction` of the draws divergent.

use crate::{ModelError, ModelOptions};
use flowpost::Draws;
use flowpost::diagnostics::{mcse_mean, mcse_sd, summarize};

/// A parameter's reference mean and sd with their Monte Carlo standard errors (0 where exact;
/// `sd` NaN where only the mean is checked).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct RefMoments {
    /// Stan-style name, as in [`LogDensity::param_names`](flowpost::LogDensity::param_names).
    pub name: String,
    /// Reference mean.
    pub mean: f64,
    /// Reference sd (NaN: not checked).
    #[serde(with = "nan_as_null")]
    pub sd: f64,
    /// MCSE of the reference mean.
    pub mcse_mean: f64,
    /// MCSE of the reference sd.
    #[serde(with = "nan_as_null")]
    pub mcse_sd: f64,
}

mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[derive(serde::Deserialize)]
struct File {
    parameters: Vec<RefMoments>,
}

macro_rules! vendored {
    ($($name:literal),* $(,)?) => {
        fn vendored(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some(include_str!(concat!("../data/posteriordb/reference/", $name, ".json"))),)*
                _ => None,
            }
        }
    };
}

vendored!(
    "arK-arK",
    "arma-arma11",
    "diamonds-diamonds",
    "earnings-logearn_interaction",
    "eight_schools-eight_schools_centered",
    "eight_schools-eight_schools_noncentered",
    "garch-garch11",
    "gp_pois_regr-gp_pois_regr",
    "hmm_example-hmm_example",
    "kidiq-kidscore_interaction",
    "kilpisjarvi_mod-kilpisjarvi",
    "low_dim_gauss_mix-low_dim_gauss_mix",
    "mesquite-logmesquite_logvas",
    "sblrc-blr",
);

fn exact(name: &str, mean: f64, sd: f64) -> RefMoments {
    RefMoments {
        name: name.to_string(),
        mean,
        sd,
        mcse_mean: 0.0,
        mcse_sd: 0.0,
    }
}

fn parse(model: &str, file: &str, text: &str) -> Result<Vec<RefMoments>, ModelError> {
    serde_json::from_str::<File>(text)
        .map(|f| f.parameters)
        .map_err(|e| ModelError::Data {
            model: model.to_string(),
            file: file.to_string(),
            message: e.to_string(),
        })
}

/// The reference moments of built-in model `model` (module docs); `Ok(None)` for a model
/// without one.
///
/// ```
/// use flowpost_models::{ModelOptions, reference::reference};
/// let r = reference("banana", &ModelOptions::default()).unwrap().unwrap();
/// assert_eq!(r[0].name, "x1");
/// assert_eq!(r[0].sd, 10.0);
/// assert!(reference("arK-arK", &ModelOptions::default()).unwrap().unwrap().len() > 5);
/// ```
pub fn reference(
    model: &str,
    options: &ModelOptions,
) -> Result<Option<Vec<RefMoments>>, ModelError> {
    let info = crate::list().into_iter().find(|m| m.name == model);
    if let Some(folder) = info.as_ref().and_then(|i| i.reference_folder()) {
        let text = vendored(folder).ok_or_else(|| ModelError::Data {
            model: model.to_string(),
            file: format!("data/posteriordb/reference/{folder}.json"),
            message: "no vendored reference".into(),
        })?;
        return parse(model, folder, text).map(Some);
    }
    Ok(match model {
        "funnel" => {
            let d = options.dim.unwrap_or(crate::Funnel::DEFAULT_DIM);
            let mut r = vec![exact("v", 0.0, 3.0)];
            r.extend((1..d).map(|i| exact(&format!("x[{i}]"), 0.0, f64::NAN)));
            Some(r)
        }
        "hier_regression" => {
            let m = crate::HierRegression::new(
                options
                    .dim
                    .unwrap_or(crate::HierRegression::DEFAULT_GROUPS + 3),
            )?;
            let exact_moments = m.exact_moments();
            Some(
                flowpost::LogDensity::param_names(&m)
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| exact(&n, exact_moments.mean[i], exact_moments.sd[i]))
                    .collect(),
            )
        }
        "banana" => Some(vec![exact("x1", 0.0, 10.0), exact("x2", 0.0, 19f64.sqrt())]),
        "gauss100" => {
            let g = crate::Gauss100::new()?;
            let d = g.mean().len();
            Some(
                (0..d)
                    .map(|i| {
                        let sd = g.cov()[i * d + i].sqrt();
                        exact(&format!("x[{}]", i + 1), g.mean()[i], sd)
                    })
                    .collect(),
            )
        }
        "student_t" => Some(
            (0..crate::StudentT::DIM)
                .map(|i| exact(&format!("x[{}]", i + 1), 0.0, crate::StudentT::sd(i)))
                .collect(),
        ),
        "log_gamma" => Some(
            (0..crate::LogGamma::SHAPES.len())
                .map(|i| {
                    let sd = crate::LogGamma::VARIANCES[i].sqrt();
                    exact(&format!("y[{}]", i + 1), crate::LogGamma::MEANS[i], sd)
                })
                .collect(),
        ),
        "mixture2" | "mixture4" | "mixture2_t" => {
            let m = crate::occupancy::mixture(model, options)?.expect("a mixture");
            Some(
                m.means()
                    .iter()
                    .zip(m.sds())
                    .enumerate()
                    .map(|(i, (&mean, sd))| exact(&format!("x[{}]", i + 1), mean, sd))
                    .collect(),
            )
        }
        "sign_flip" => {
            let (m, s) = (crate::SignFlip.means(), crate::SignFlip.sds());
            Some(vec![exact("theta", m[0], s[0]), exact("beta", m[1], s[1])])
        }
        "latent_gp" => match options.dim.unwrap_or(crate::LatentGp::NUM_INPUTS + 1) {
            51 => Some(parse(
                model,
                "data/scale/latent_gp_51_reference.json",
                include_str!("../data/scale/latent_gp_51_reference.json"),
            )?),
            501 => Some(parse(
                model,
                "data/scale/latent_gp_501_reference.json",
                include_str!("../data/scale/latent_gp_501_reference.json"),
            )?),
            _ => None,
        },
        "logreg" => Some(parse(
            model,
            "data/peers/logreg_reference.json",
            include_str!("../data/peers/logreg_reference.json"),
        )?),
        _ => None,
    })
}

/// The criteria of [`judge`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criteria {
    /// Largest |z| of a mean or an sd.
    pub max_abs_z: f64,
    /// R-hat must be below this.
    pub max_r_hat: f64,
    /// Divergent draws must be fewer than this fraction of all post-warmup draws.
    pub max_divergent_fraction: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            max_abs_z: 4.0,
            max_r_hat: 1.01,
            max_divergent_fraction: 0.005,
        }
    }
}

/// The verdict of [`judge`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// Whether every criterion holds.
    pub correct: bool,
    /// One line per failed criterion.
    pub failures: Vec<String>,
    /// The largest |z| over the checked means and sds, with its name.
    pub worst: (String, f64),
    /// Largest R-hat over all parameters.
    pub max_r_hat: f64,
    /// Divergent fraction of the draws.
    pub divergent_fraction: f64,
}

/// Judges `draws` against `reference` (module docs).
pub fn judge(draws: &Draws, reference: &[RefMoments], criteria: &Criteria) -> Verdict {
    let mut failures = Vec::new();
    let mut worst = (String::new(), 0.0f64);
    for r in reference {
        let Some(chains) = draws.param_by_name(&r.name) else {
            failures.push(format!("{}: not in the draws", r.name));
            continue;
        };
        let all: Vec<f64> = chains.iter().flatten().copied().collect();
        let n = all.len() as f64;
        let mean = all.iter().sum::<f64>() / n;
        let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let zm = (mean - r.mean) / (mcse_mean(&chains).powi(2) + r.mcse_mean.powi(2)).sqrt();
        let mut checks = vec![("mean", mean, r.mean, zm)];
        if r.sd.is_finite() {
            let zs = (sd - r.sd) / (mcse_sd(&chains).powi(2) + r.mcse_sd.powi(2)).sqrt();
            checks.push(("sd", sd, r.sd, zs));
        }
        for (what, est, truth, z) in checks {
            if !(z.abs() <= worst.1) {
                worst = (format!("{} {what}", r.name), z.abs());
            }
            if !(z.abs() <= criteria.max_abs_z) {
                failures.push(format!(
                    "{} {what} {est:.4} vs {truth:.4} (|z| = {:.1})",
                    r.name,
                    z.abs()
                ));
            }
        }
    }
    let summary = summarize(draws);
    let max_r_hat = summary
        .iter()
        .map(|p| p.r_hat)
        .fold(f64::NEG_INFINITY, |a, b| {
            if b.is_nan() { f64::NAN } else { a.max(b) }
        });
    if !(max_r_hat < criteria.max_r_hat) {
        failures.push(format!("max R-hat {max_r_hat:.3}"));
    }
    let num_draws = (draws.num_chains() * draws.num_draws()).max(1);
    let divergent_fraction = draws.num_divergent() as f64 / num_draws as f64;
    if !(divergent_fraction < criteria.max_divergent_fraction) {
        failures.push(format!(
            "{} divergent draws ({:.2}%)",
            draws.num_divergent(),
            100.0 * divergent_fraction
        ));
    }
    Verdict {
        correct: failures.is_empty(),
        failures,
        worst,
        max_r_hat,
        divergent_fraction,
    }
}
