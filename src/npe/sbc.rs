//! Is the posterior right? Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari &
//! Gelman 2018) and expected coverage (Hermans et al. 2022, "A Trust Crisis in Simulation-Based
//! Inference?").
//!
//! For datasets i = 1…M: θ_i ~ prior, x_i ~ simulator(θ_i), L draws from the estimated
//! posterior q(θ | x_i). If q is the true posterior, the rank of θ_i among the draws (per
//! coordinate) is uniform on {0, …, L}; a χ² test on a histogram of the ranks (B bins) tests
//! that, with a Bonferroni correction over coordinates. Expected coverage uses the density: the
//! fraction f_i of draws with log q(θ_s | x_i) > log q(θ_i | x_i) is the smallest highest-density
//! credible level containing θ_i; the coverage at level α is the fraction of datasets with
//! f_i < α, which equals α for a calibrated q (above: conservative; below: overconfident).
//!
//! Beside the χ² tests: each rank ECDF (parameters and density rank) against a simultaneous
//! band ([`ecdf_band`](crate::diagnostics::ecdf_band), Säilynoja, Bürkner & Vehtari 2022) at
//! level 1 − α/(d + 1), per-parameter coverage of central intervals
//! ([`coverage`](super::coverage)), and TARP ([`tarp`](super::tarp), Lemos et al. 2023).

use super::coverage::{central_coverage, coverage_levels, coverage_mcse, hpd_coverage};
use super::tarp::{TarpFrame, TarpReport, tarp_summary};
use super::{NpeError, NpeEstimator, Prior, SampleSettings, Simulator};
use crate::diagnostics::{EcdfBand, ecdf_band, rank_ecdf_inside};
use crate::rng::seeded;
use rand::RngExt;
use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Streams from this on are used by SBC datasets.
pub const SBC_STREAM: u64 = crate::rng::streams::NPE_SBC.first;

/// Streams from this on randomize the per-parameter PIT values within their rank's step.
const PIT_STREAM: u64 = crate::rng::streams::NPE_PIT.first;

/// A posterior estimate that SBC can test.
pub trait PosteriorSampler: Sync {
    /// Dimension of θ.
    fn theta_dim(&self) -> usize;
    /// `n` draws from q(θ | x), row-major, reproducible for `seed`.
    fn sample_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>, NpeError>;
    /// log q(θ | x) up to a constant that may depend on x only.
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<f64, NpeError>;
    /// log q for every row of the row-major `thetas` (override to share scratch).
    fn log_prob_many(&self, thetas: &[f64], x: &[f64]) -> Result<Vec<f64>, NpeError> {
        thetas
            .chunks(self.theta_dim())
            .map(|t| self.log_prob(t, x))
            .collect()
    }
}

impl PosteriorSampler for NpeEstimator {
    fn theta_dim(&self) -> usize {
        NpeEstimator::theta_dim(self)
    }
    fn sample_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>, NpeError> {
        let s = SampleSettings {
            seed,
            ..Default::default()
        };
        Ok(self.sample(x, n, &s)?.samples)
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<f64, NpeError> {
        NpeEstimator::log_prob(self, theta, x)
    }
    fn log_prob_many(&self, thetas: &[f64], x: &[f64]) -> Result<Vec<f64>, NpeError> {
        NpeEstimator::log_prob_many(self, thetas, x)
    }
}

/// SBC settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SbcSettings {
    /// Number of simulated datasets M.
    pub num_datasets: usize,
    /// Posterior draws per dataset L (ranks take L + 1 values).
    pub num_posterior_samples: usize,
    /// Histogram bins B for the χ² test; must divide L + 1.
    pub num_bins: usize,
    /// Family-wise significance level of the uniformity test (Bonferroni over coordinates).
    pub alpha: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for SbcSettings {
    fn default() -> Self {
        SbcSettings {
            num_datasets: 1000,
            num_posterior_samples: 99,
            num_bins: 20,
            alpha: 0.01,
            seed: 0,
        }
    }
}

/// Result of one χ² uniformity test on a histogram.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UniformityTest {
    /// Bin counts (for the report's rank histogram).
    pub histogram: Vec<usize>,
    /// The χ² statistic with B − 1 degrees of freedom.
    pub chi2: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// End-of-run SBC summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SbcReport {
    /// Ranks per dataset and coordinate, row-major `num_datasets × dim`.
    pub ranks: Vec<usize>,
    /// Per coordinate: rank histogram and χ² test.
    pub per_dim: Vec<UniformityTest>,
    /// The same test on the highest-density ranks f_i (binned like the ranks).
    pub density_rank: UniformityTest,
    /// Credible levels α.
    pub coverage_levels: Vec<f64>,
    /// Joint (highest-density) coverage at each level (calibrated: equal to the level).
    pub coverage: Vec<f64>,
    /// Binomial standard error of each coverage value under calibration, √(α(1−α)/M).
    pub coverage_mcse: Vec<f64>,
    /// Smallest p-value over coordinates and the density rank.
    pub min_p_value: f64,
    /// Whether every test passes at level α / (dim + 1).
    pub passed: bool,
    /// Datasets used.
    pub num_datasets: usize,
    /// The simultaneous band (level 1 − α / (dim + 1)) the rank ECDFs are checked against.
    pub ecdf_band: EcdfBand,
    /// Per coordinate: the rank ECDF's counts at the band's points, and whether it stays inside.
    pub ecdf: Vec<EcdfCheck>,
    /// The same for the highest-density ranks.
    pub density_ecdf: EcdfCheck,
    /// Whether every ECDF (parameters and density rank) stays inside the band.
    pub ecdf_passed: bool,
    /// Per coordinate: coverage of the central credible intervals at `coverage_levels`.
    pub coverage_per_dim: Vec<Vec<f64>>,
    /// TARP's expected coverage curve, ATC and Kolmogorov–Smirnov test.
    pub tarp: TarpReport,
}

/// One rank ECDF against the simultaneous band.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EcdfCheck {
    /// Ranks below each of the band's points (K + 1 counts, 0 … M).
    pub counts: Vec<usize>,
    /// Whether every count lies inside the band.
    pub inside: bool,
}

/// What one dataset contributes.
struct Dataset {
    ranks: Vec<usize>,
    pit: Vec<f64>,
    above: usize,
    tarp: f64,
}

fn uniformity(
    values: impl Iterator<Item = usize>,
    num_values: usize,
    bins: usize,
) -> UniformityTest {
    let mut histogram = vec![0usize; bins];
    let mut n = 0usize;
    for v in values {
        histogram[v * bins / num_values] += 1;
        n += 1;
    }
    let expected = n as f64 / bins as f64;
    let chi2: f64 = histogram
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum();
    let dist = ChiSquared::new((bins - 1) as f64).expect("bins ≥ 2");
    UniformityTest {
        histogram,
        chi2,
        p_value: 1.0 - dist.cdf(chi2),
    }
}

/// Runs SBC and expected coverage for `estimator` on data from `prior` and `simulator`.
pub fn sbc(
    prior: &dyn Prior,
    simulator: &dyn Simulator,
    estimator: &dyn PosteriorSampler,
    settings: &SbcSettings,
) -> Result<SbcReport, NpeError> {
    let dims = (prior.dim(), simulator.data_dim());
    sbc_with(
        dims,
        settings.num_datasets,
        estimator,
        settings,
        |i, theta, x| {
            let mut rng = seeded(settings.seed, SBC_STREAM + i as u64);
            prior.sample(&mut rng, theta);
            simulator.simulate(theta, &mut rng, x);
        },
    )
}

/// SBC on (θ, x) pairs simulated by the user: θ drawn from the prior, x from the simulator
/// given θ (e.g. the rows of a simulation table not used for training). Every pair with finite
/// values is one dataset (non-finite ones are skipped, as training drops them);
/// `settings.num_datasets` is ignored.
pub fn sbc_on_pairs(
    pairs: &super::Simulations,
    estimator: &dyn PosteriorSampler,
    settings: &SbcSettings,
) -> Result<SbcReport, NpeError> {
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    let rows: Vec<usize> = (0..pairs.len())
        .filter(|&i| finite(pairs.theta(i)) && finite(pairs.x(i)))
        .collect();
    let dims = (pairs.theta_dim(), pairs.x_dim());
    sbc_with(dims, rows.len(), estimator, settings, |i, theta, x| {
        theta.copy_from_slice(pairs.theta(rows[i]));
        x.copy_from_slice(pairs.x(rows[i]));
    })
}

/// The SBC core: `m` datasets of (θ, x) with dimensions `(d, dx)`, dataset `i` written by
/// `dataset`.
fn sbc_with(
    (d, dx): (usize, usize),
    m: usize,
    estimator: &dyn PosteriorSampler,
    settings: &SbcSettings,
    dataset: impl Fn(usize, &mut [f64], &mut [f64]) + Sync,
) -> Result<SbcReport, NpeError> {
    let (l, b) = (settings.num_posterior_samples, settings.num_bins);
    let bad = |field, reason: &str| NpeError::Settings {
        field,
        reason: reason.into(),
    };
    if m < b {
        return Err(bad("num_datasets", "must be at least num_bins"));
    }
    if b < 2 || (l + 1) % b != 0 {
        return Err(bad(
            "num_bins",
            "must be ≥ 2 and divide num_posterior_samples + 1",
        ));
    }
    if !(settings.alpha > 0.0 && settings.alpha < 1.0) {
        return Err(bad("alpha", "must be in (0, 1)"));
    }
    super::error::dim_check("estimator θ", d, estimator.theta_dim())?;
    // The datasets first: TARP's frame needs every θ.
    let data: Vec<(Vec<f64>, Vec<f64>)> = (0..m)
        .into_par_iter()
        .map(|i| {
            let (mut theta, mut x) = (vec![0.0; d], vec![0.0; dx]);
            dataset(i, &mut theta, &mut x);
            (theta, x)
        })
        .collect();
    let all_theta: Vec<f64> = data.iter().flat_map(|(t, _)| t.iter().copied()).collect();
    let frame = TarpFrame::new(&all_theta, d, settings.seed).expect("m ≥ num_bins ≥ 2");
    let per: Vec<Dataset> = data
        .par_iter()
        .enumerate()
        .map(|(i, (theta, x))| -> Result<Dataset, NpeError> {
            let draws =
                estimator.sample_posterior(x, l, settings.seed ^ (i as u64).rotate_left(32))?;
            let ranks: Vec<usize> = (0..d)
                .map(|k| draws.chunks(d).filter(|s| s[k] < theta[k]).count())
                .collect();
            let mut rng = seeded(settings.seed, PIT_STREAM + i as u64);
            let pit = ranks
                .iter()
                .map(|&r| (r as f64 + rng.random::<f64>()) / (l + 1) as f64)
                .collect();
            let lp_true = estimator.log_prob(theta, x)?;
            let above = estimator
                .log_prob_many(&draws, x)?
                .iter()
                .filter(|&&lp| lp > lp_true)
                .count();
            let tarp = frame.fraction(i, theta, &draws);
            Ok(Dataset {
                ranks,
                pit,
                above,
                tarp,
            })
        })
        .collect::<Result<_, _>>()?;
    let ranks: Vec<usize> = per.iter().flat_map(|p| p.ranks.iter().copied()).collect();
    let per_dim: Vec<UniformityTest> = (0..d)
        .map(|k| uniformity(per.iter().map(|p| p.ranks[k]), l + 1, b))
        .collect();
    let density_rank = uniformity(per.iter().map(|p| p.above), l + 1, b);
    // The ECDF bands: one per parameter and the density rank, family-wise level `alpha`.
    let num_points = (1..=(l + 1).min(100))
        .rev()
        .find(|k| (l + 1).is_multiple_of(*k))
        .expect("1 divides");
    let band = ecdf_band(m, num_points, 1.0 - settings.alpha / (d + 1) as f64)
        .expect("m ≥ 2, num_points ≥ 2, level in (0, 1)");
    let check = |values: Vec<usize>| {
        let (counts, inside) = rank_ecdf_inside(&values, l + 1, &band).expect("ranks ≤ L");
        EcdfCheck { counts, inside }
    };
    let ecdf: Vec<EcdfCheck> = (0..d)
        .map(|k| check(per.iter().map(|p| p.ranks[k]).collect()))
        .collect();
    let density_ecdf = check(per.iter().map(|p| p.above).collect());
    let ecdf_passed = ecdf.iter().chain([&density_ecdf]).all(|c| c.inside);
    let coverage_levels = coverage_levels();
    let above: Vec<usize> = per.iter().map(|p| p.above).collect();
    let coverage = hpd_coverage(&above, l, &coverage_levels);
    let coverage_per_dim = (0..d)
        .map(|k| {
            let u: Vec<f64> = per.iter().map(|p| p.pit[k]).collect();
            central_coverage(&u, &coverage_levels)
        })
        .collect();
    let coverage_mcse = coverage_mcse(&coverage_levels, m);
    let fractions: Vec<f64> = per.iter().map(|p| p.tarp).collect();
    let tarp = tarp_summary(&fractions).expect("m ≥ 2");
    let min_p_value = per_dim
        .iter()
        .chain([&density_rank])
        .map(|t| t.p_value)
        .fold(1.0, f64::min);
    let passed = min_p_value > settings.alpha / (d + 1) as f64;
    Ok(SbcReport {
        ranks,
        per_dim,
        density_rank,
        coverage_levels,
        coverage,
        coverage_mcse,
        min_p_value,
        passed,
        num_datasets: m,
        ecdf_band: band,
        ecdf,
        density_ecdf,
        ecdf_passed,
        coverage_per_dim,
        tarp,
    })
}
