//! The table of built-in models: [`list`] and [`load`].

use flowpost::{DensityError, LogDensity};

use crate::multimodal::{Mixture, SignFlip};
use crate::posteriordb::{
    ArK, Arma11, Diamonds, EarningsInteraction, Garch11, GpPoisRegr, HmmExample,
    KidscoreInteraction, Kilpisjarvi, LogmesquiteLogvas, LowDimGaussMix, Sblrc,
};
use crate::scale::{HierRegression, LatentGp};
use crate::spine::{
    Banana, EightSchoolsCentered, EightSchoolsNoncentered, Funnel, Gauss100, LogReg,
};
use crate::validation::{LogGamma, StudentT};
use crate::{BuiltinModel, ModelError};

/// What [`list`] says about a built-in model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The name [`load`] takes.
    pub name: &'static str,
    /// One line about it.
    pub description: &'static str,
    /// Dimension of the unconstrained space (the default one for the models in [`TAKES_DIM`]).
    pub dim: usize,
    /// Whether posteriordb has reference draws for it (summarized in `data/posteriordb/reference/`).
    pub has_reference: bool,
}

impl ModelInfo {
    /// The posteriordb posterior whose reference draws belong to this model
    /// (the spine's eight-schools models use their posteriordb namesakes').
    ///
    /// ```
    /// let all = flowpost_models::list();
    /// let es = all.iter().find(|m| m.name == "eight_schools_centered").unwrap();
    /// assert_eq!(es.reference_folder(), Some("eight_schools-eight_schools_centered"));
    /// ```
    pub fn reference_folder(&self) -> Option<&'static str> {
        match self.name {
            _ if !self.has_reference => None,
            "eight_schools_centered" => Some("eight_schools-eight_schools_centered"),
            "eight_schools_noncentered" => Some("eight_schools-eight_schools_noncentered"),
            name => Some(name),
        }
    }
}

/// Options for [`load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelOptions {
    /// The dimension, for models that have a free one ([`TAKES_DIM`]); `None` takes the default.
    pub dim: Option<usize>,
}

type Loader = fn(&ModelOptions) -> Result<Box<dyn BuiltinModel>, ModelError>;

struct Entry {
    info: ModelInfo,
    load: Loader,
}

fn boxed<M: BuiltinModel + 'static>(
    m: Result<M, ModelError>,
) -> Result<Box<dyn BuiltinModel>, ModelError> {
    Ok(Box::new(m?))
}

macro_rules! entry {
    ($name:literal, $dim:expr, $reference:expr, $desc:literal, $load:expr) => {
        Entry {
            info: ModelInfo {
                name: $name,
                description: $desc,
                dim: $dim,
                has_reference: $reference,
            },
            load: $load,
        }
    };
}

const ENTRIES: &[Entry] = &[
    entry!(
        "funnel",
        Funnel::DEFAULT_DIM,
        false,
        "Neal's funnel, v ~ N(0, 3), x_i ~ N(0, exp(v/2)) (dimension set by `dim`)",
        |o| boxed(Funnel::new(o.dim.unwrap_or(Funnel::DEFAULT_DIM)))
    ),
    entry!(
        "eight_schools_centered",
        10,
        true,
        "eight schools, centered (funnel geometry); = eight_schools-eight_schools_centered",
        |_| boxed(EightSchoolsCentered::new())
    ),
    entry!(
        "eight_schools_noncentered",
        10,
        true,
        "eight schools, non-centered; = eight_schools-eight_schools_noncentered",
        |_| boxed(EightSchoolsNoncentered::new())
    ),
    entry!(
        "banana",
        2,
        false,
        "Haario's twisted Gaussian, x1 ~ N(0, 10), x2 ~ N(0.03 x1^2 - 3, 1)",
        |_| boxed(Ok(Banana))
    ),
    entry!(
        "gauss100",
        100,
        false,
        "100-d Gaussian with condition number 1e4 (peers' data)",
        |_| boxed(Gauss100::new())
    ),
    entry!(
        "logreg",
        25,
        false,
        "Bayesian logistic regression, n = 1000, d = 25 (peers' data)",
        |_| boxed(LogReg::new())
    ),
    entry!(
        "student_t",
        10,
        false,
        "10-d Student-t, nu = 5, scales 1..10 (a validation target: heavy tails)",
        |_| boxed(Ok(StudentT))
    ),
    entry!(
        "log_gamma",
        6,
        false,
        "log of Gamma(k, 1) draws, k = 0.3..20 (a validation target: skewed)",
        |_| boxed(Ok(LogGamma))
    ),
    entry!(
        "hier_regression",
        HierRegression::DEFAULT_GROUPS + 3,
        false,
        "centered hierarchical regression, 1000 groups, exact posterior (dimension set by `dim`)",
        |o| boxed(HierRegression::new(
            o.dim.unwrap_or(HierRegression::DEFAULT_GROUPS + 3)
        ))
    ),
    entry!(
        "latent_gp",
        LatentGp::NUM_INPUTS + 1,
        false,
        "latent GP, Poisson counts at 500 inputs, fixed squared-exponential kernel, non-centered (dimension 1 + inputs; inputs divide 500)",
        |o| boxed(LatentGp::new(
            o.dim.unwrap_or(LatentGp::NUM_INPUTS + 1).saturating_sub(1)
        ))
    ),
    entry!(
        "mixture2",
        Mixture::DEFAULT_DIM,
        false,
        "two Gaussians, weights 0.2/0.8, 8 sds apart (multimodal; dimension set by `dim`)",
        |o| boxed(Mixture::two(o.dim.unwrap_or(Mixture::DEFAULT_DIM)))
    ),
    entry!(
        "mixture4",
        Mixture::DEFAULT_DIM,
        false,
        "four Gaussians on a square, weights 0.4/0.1/0.3/0.2, 6.7-10 sds apart (dimension set by `dim`)",
        |o| boxed(Mixture::four(o.dim.unwrap_or(Mixture::DEFAULT_DIM)))
    ),
    entry!(
        "mixture2_t",
        Mixture::DEFAULT_DIM,
        false,
        "two Student-t (nu = 5), weights 0.3/0.7, 10 scales apart (dimension set by `dim`)",
        |o| boxed(Mixture::two_t(o.dim.unwrap_or(Mixture::DEFAULT_DIM)))
    ),
    entry!(
        "sign_flip",
        2,
        false,
        "y ~ N(theta^2 + beta x, 1): theta's sign unidentified, modes +-1.5, weights 0.71/0.29",
        |_| boxed(Ok(SignFlip))
    ),
    entry!("arK-arK", 7, true, "AR(5) time series, T = 200", |_| boxed(
        ArK::new()
    )),
    entry!(
        "arma-arma11",
        4,
        true,
        "ARMA(1,1) time series, T = 200",
        |_| boxed(Arma11::new())
    ),
    entry!(
        "diamonds-diamonds",
        26,
        true,
        "badly conditioned regression, N = 5000, 24 correlated predictors",
        |_| boxed(Diamonds::new())
    ),
    entry!(
        "earnings-logearn_interaction",
        5,
        true,
        "log earnings on height x male, uncentered (corr -0.999)",
        |_| boxed(EarningsInteraction::new())
    ),
    entry!(
        "eight_schools-eight_schools_centered",
        10,
        true,
        "eight schools, centered (funnel geometry)",
        |_| boxed(EightSchoolsCentered::new())
    ),
    entry!(
        "eight_schools-eight_schools_noncentered",
        10,
        true,
        "eight schools, non-centered",
        |_| boxed(EightSchoolsNoncentered::new())
    ),
    entry!(
        "garch-garch11",
        4,
        true,
        "GARCH(1,1) volatility, beta1 < 1 - alpha1, T = 200",
        |_| boxed(Garch11::new())
    ),
    entry!(
        "gp_pois_regr-gp_pois_regr",
        13,
        true,
        "latent GP with Poisson counts, N = 11 (autodiff gradient)",
        |_| boxed(GpPoisRegr::new().map(GpPoisRegr::with_gradient))
    ),
    entry!(
        "hmm_example-hmm_example",
        4,
        true,
        "two-state HMM, forward algorithm, simplexes (autodiff gradient)",
        |_| boxed(HmmExample::new().map(HmmExample::with_gradient))
    ),
    entry!(
        "kidiq-kidscore_interaction",
        5,
        true,
        "kid score on mom_hs x mom_iq, uncentered (cond 1e7)",
        |_| boxed(KidscoreInteraction::new())
    ),
    entry!(
        "kilpisjarvi_mod-kilpisjarvi",
        3,
        true,
        "linear trend on uncentered years (corr -0.99999)",
        |_| boxed(Kilpisjarvi::new())
    ),
    entry!(
        "low_dim_gauss_mix-low_dim_gauss_mix",
        5,
        true,
        "two-component normal mixture, ordered means, N = 1000",
        |_| boxed(LowDimGaussMix::new())
    ),
    entry!(
        "mesquite-logmesquite_logvas",
        8,
        true,
        "log-log regression, N = 46",
        |_| boxed(LogmesquiteLogvas::new())
    ),
    entry!(
        "sblrc-blr",
        6,
        true,
        "synthetic linear regression with correlated predictors",
        |_| boxed(Sblrc::new())
    ),
];

/// The models whose dimension `dim` sets.
pub const TAKES_DIM: &[&str] = &[
    "funnel",
    "hier_regression",
    "latent_gp",
    "mixture2",
    "mixture4",
    "mixture2_t",
];

/// Every built-in model, spine first, then the posteriordb set in alphabetical order.
///
/// ```
/// let all = flowpost_models::list();
/// assert!(all.iter().any(|m| m.name == "diamonds-diamonds" && m.dim == 26 && m.has_reference));
/// ```
pub fn list() -> Vec<ModelInfo> {
    ENTRIES.iter().map(|e| e.info.clone()).collect()
}

/// Loads a built-in model as a [`BuiltinModel`] (with `unconstrain` and `log_jacobian`).
///
/// ```
/// use flowpost_models::{ModelOptions, load_builtin};
/// let m = load_builtin("garch-garch11", &ModelOptions::default()).unwrap();
/// let u = m.unconstrain(&[5.0, 0.1, 0.3, 0.5]);
/// let mut back = [0.0; 4];
/// m.constrain(&u, &mut back);
/// assert!((back[3] - 0.5).abs() < 1e-12);
/// ```
pub fn load_builtin(
    name: &str,
    options: &ModelOptions,
) -> Result<Box<dyn BuiltinModel>, ModelError> {
    let entry = ENTRIES
        .iter()
        .find(|e| e.info.name == name)
        .ok_or_else(|| ModelError::UnknownModel {
            name: name.to_string(),
            did_you_mean: closest(name).map(str::to_string),
            known: ENTRIES
                .iter()
                .map(|e| e.info.name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if options.dim.is_some() && !TAKES_DIM.contains(&entry.info.name) {
        return Err(ModelError::DimNotSupported {
            model: name.to_string(),
            dim: entry.info.dim,
        });
    }
    (entry.load)(options)
}

/// Loads a built-in model by name.
///
/// ```
/// use flowpost_models::{ModelError, ModelOptions, load};
/// let m = load("eight_schools_centered", &ModelOptions::default()).unwrap();
/// assert_eq!(m.dim(), 10);
/// let e = load("arK-arK", &ModelOptions { dim: Some(3) }).err().unwrap();
/// assert!(matches!(e, ModelError::DimNotSupported { .. }));
/// ```
pub fn load(name: &str, options: &ModelOptions) -> Result<Box<dyn LogDensity>, ModelError> {
    Ok(Box::new(Loaded(load_builtin(name, options)?)))
}

/// A built-in model as a [`LogDensity`] that maps reported values back
/// ([`LogDensity::try_unconstrain`] is the model's [`BuiltinModel::unconstrain`]), so that initial
/// values can be given on the constrained scale.
struct Loaded(Box<dyn BuiltinModel>);

impl LogDensity for Loaded {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        self.0.log_density(theta, grad)
    }
    fn param_names(&self) -> Vec<String> {
        self.0.param_names()
    }
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        self.0.constrain(theta, out)
    }
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        let n = self.0.param_names().len();
        if constrained.len() != n {
            return Some(Err(DensityError::fatal(format!(
                "{} values given for the {n} reported values",
                constrained.len()
            ))));
        }
        Some(Ok(BuiltinModel::unconstrain(&*self.0, constrained)))
    }
}

/// The known name closest to `name` by edit distance (case-insensitive), if it is close: at
/// most a third of the name's length away, or `name` is a prefix of it.
fn closest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    ENTRIES
        .iter()
        .map(|e| e.info.name)
        .map(|k| (k, edit_distance(&lower, &k.to_lowercase())))
        .filter(|(k, d)| *d <= (name.chars().count() / 3).max(1) || k.starts_with(&lower))
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(closest("funel"), Some("funnel"));
        assert_eq!(closest("Banana"), Some("banana"));
        assert_eq!(closest("eight_schools"), Some("eight_schools_centered"));
        assert_eq!(closest("zzzzzzzzzz"), None);
        let e = load("funel", &ModelOptions::default())
            .err()
            .expect("no model funel")
            .to_string();
        assert!(e.contains("did you mean `funnel`?"), "{e}");
    }
}
