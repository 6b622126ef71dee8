//! NUTS via nuts-rs — the only module that imports it.
//!
//! NeuTra (Hoffman et al. 2019, "NeuTra-lizing Bad Geometry in Hamiltonian Monte Carlo Using
//! Neural Transport"): with a flow T fitted to the target, NUTS runs in the latent space on
//! log p̃(z) = log p(T(z)) + log|det J_T(z)|, whose gradient Jᵀ∇log p + ∇ log|det J| is one
//! backward pass through the flow. Draws are mapped back through T and the model's constraining
//! map. nuts-rs's diagonal mass-matrix and step-size adaptation stay on top. Without a flow the
//! same code is plain NUTS on the target.
//!
//! Chains run in parallel (rayon), each with its own ChaCha8 stream, so the draws do not depend
//! on the thread count. A recoverable density error is a divergence (nuts-rs's convention); a
//! fatal one stops the run.

use crate::density::{DensityError, LogDensity, guarded_log_density};
use crate::draws::{ChainDraws, DrawStats};
use crate::flow::Flow;
use crate::progress::{Phase, Progress};
use nuts_rs::{
    Chain as _, CpuLogpFunc, CpuMath, DiagNutsSettings, HasDims, Settings, Storable, Value,
};
use rand::RngExt;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};

/// Settings of one NUTS run (all chains).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NutsSettings {
    /// Chains.
    pub num_chains: usize,
    /// Warmup draws per chain.
    pub num_tune: u64,
    /// Post-warmup draws per chain.
    pub num_draws: u64,
    /// Maximum tree depth.
    pub max_depth: u64,
    /// Target mean acceptance statistic of the step-size adaptation.
    pub target_accept: f64,
    /// Seed; chain c uses stream c + 1.
    pub seed: u64,
}

impl Default for NutsSettings {
    fn default() -> Self {
        NutsSettings {
            num_chains: 4,
            num_tune: 1000,
            num_draws: 1000,
            max_depth: 10,
            target_accept: 0.8,
            seed: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct LogpErr(DensityError);

impl nuts_rs::LogpError for LogpErr {
    fn is_recoverable(&self) -> bool {
        self.0.is_recoverable()
    }
}

/// The density NUTS sees: the target, or its pull-back through a flow.
struct LatentLogp<'a, D: ?Sized> {
    density: &'a D,
    flow: Option<&'a Flow>,
    theta: Vec<f64>,
    grad_theta: Vec<f64>,
    tape: Vec<f64>,
    num_constrained: usize,
    num_evals: &'a AtomicU64,
}

impl<D: LogDensity + ?Sized> HasDims for LatentLogp<'_, D> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([
            (
                "unconstrained_parameter".to_string(),
                self.theta.len() as u64,
            ),
            (
                "expanded_parameter".to_string(),
                self.num_constrained as u64 + 1,
            ),
        ])
    }
}

impl<D: LogDensity + ?Sized> CpuLogpFunc for LatentLogp<'_, D> {
    type LogpError = LogpErr;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.theta.len()
    }

    fn logp(&mut self, z: &[f64], grad: &mut [f64]) -> Result<f64, LogpErr> {
        self.num_evals.fetch_add(1, Ordering::Relaxed);
        let Some(flow) = self.flow else {
            return guarded_log_density(self.density, z, grad).map_err(LogpErr);
        };
        let ld = flow.forward(z, &mut self.theta, &mut self.tape);
        let lp = guarded_log_density(self.density, &self.theta, &mut self.grad_theta)
            .map_err(LogpErr)?;
        flow.chain().backward(
            flow.params(),
            z,
            &mut self.tape,
            &self.grad_theta,
            1.0,
            grad,
            None,
        );
        use crate::bijection::Bijection as _;
        let total = lp + ld;
        if !total.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(LogpErr(DensityError::recoverable(
                "non-finite latent density or gradient",
            )));
        }
        Ok(total)
    }

    /// [constrained values…, log|det J_T(z)|] (0 without a flow), so that the target's log
    /// density is the latent one minus the last entry.
    fn expand_vector<R: rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        z: &[f64],
    ) -> Result<Vec<f64>, nuts_rs::CpuMathError> {
        let ld = match self.flow {
            Some(flow) => flow.forward(z, &mut self.theta, &mut self.tape),
            None => {
                self.theta.copy_from_slice(z);
                0.0
            }
        };
        let mut out = vec![0.0; self.num_constrained + 1];
        let density = self.density;
        let theta = &self.theta;
        catch_unwind(AssertUnwindSafe(|| {
            density.constrain(theta, &mut out[..self.num_constrained])
        }))
        .map_err(|_| {
            nuts_rs::CpuMathError::ExpandError("the model's constrain() panicked".into())
        })?;
        out[self.num_constrained] = ld;
        Ok(out)
    }
}

/// What one chain produced, with its cost.
pub(crate) struct ChainOutput {
    pub draws: ChainDraws,
    pub num_grad_evals_warmup: u64,
    pub num_grad_evals_sampling: u64,
    pub seconds_warmup: f64,
    pub seconds_sampling: f64,
}

fn scalar_f64(v: &Option<Value>) -> f64 {
    match v {
        Some(Value::ScalarF64(x)) => *x,
        Some(Value::ScalarF32(x)) => *x as f64,
        Some(Value::ScalarU64(x)) => *x as f64,
        Some(Value::ScalarI64(x)) => *x as f64,
        Some(Value::ScalarBool(b)) => *b as u8 as f64,
        _ => f64::NAN,
    }
}

/// Runs chain `chain` (0-based). `num_constrained` is the length of `density.param_names()`.
pub(crate) fn run_chain<D: LogDensity + ?Sized>(
    density: &D,
    flow: Option<&Flow>,
    settings: &NutsSettings,
    chain: usize,
    num_constrained: usize,
    progress: &dyn Progress,
) -> Result<ChainOutput, crate::Error> {
    let d = density.dim();
    let num_evals = AtomicU64::new(0);
    let logp = LatentLogp {
        density,
        flow,
        theta: vec![0.0; d],
        grad_theta: vec![0.0; d],
        tape: flow.map_or_else(Vec::new, |f| f.new_tape()),
        num_constrained,
        num_evals: &num_evals,
    };
    let mut nuts = DiagNutsSettings {
        num_tune: settings.num_tune,
        num_draws: settings.num_draws,
        ..Default::default()
    };
    nuts.maxdepth = settings.max_depth;
    nuts.seed = settings.seed;
    nuts.num_chains = settings.num_chains;
    nuts.adapt_options.step_size_settings.target_accept = settings.target_accept;
    nuts.adapt_options.mass_matrix_options.store_mass_matrix = true;
    let mut rng = crate::rng::seeded(settings.seed, chain as u64 + 1);
    let sampler_err = |e: &dyn std::fmt::Display| crate::Error::Sampler {
        chain: chain + 1,
        message: crate::error::clean_message(&e.to_string()),
    };
    let mut sampler = nuts
        .new_chain(chain as u64, CpuMath::new(logp), &mut rng)
        .map_err(|e| sampler_err(&e))?;
    init_position(&mut sampler, d, flow.map(Flow::base), &mut rng, chain)?;

    let total = settings.num_tune + settings.num_draws;
    let mut out = ChainDraws {
        values: Vec::with_capacity(settings.num_draws as usize * num_constrained),
        ..Default::default()
    };
    let mut evals_at_end_of_warmup = 0;
    let start = std::time::Instant::now();
    let mut seconds_warmup = 0.0;
    for i in 0..total {
        let (_, mut expanded_wrapped, mut stats, _) =
            sampler
                .expanded_draw()
                .map_err(|e| match density_error(&e) {
                    Some(source) => crate::Error::Density {
                        context: format!("chain {}, draw {}", chain + 1, i + 1),
                        source,
                    },
                    None => sampler_err(&crate::error::clean_message(&format!("{e:#}"))),
                })?;
        let math = sampler.math();
        let expanded = expanded_values(&mut expanded_wrapped, &math, num_constrained + 1);
        let dims = From::from(&*math);
        let mut named: HashMap<&str, f64> = HashMap::new();
        let mut inv_mass = None;
        for (name, value) in stats.get_all(&dims) {
            if name == "mass_matrix_inv" {
                if let Some(Value::F64(v)) = value {
                    inv_mass = Some(v);
                }
            } else {
                named.insert(name, scalar_f64(&value));
            }
        }
        drop(math);
        let latent_logp = named["logp"];
        let stat = DrawStats {
            lp: latent_logp - expanded[num_constrained],
            accept_stat: named["mean_tree_accept"],
            step_size: named["step_size"],
            tree_depth: named["depth"] as u64,
            n_leapfrog: named["n_steps"] as u64,
            divergent: named["diverging"] != 0.0,
            energy: named["energy"],
        };
        if i < settings.num_tune {
            out.warmup_stats.push(stat);
            progress.advance(Phase::Warmup, 1);
            if i + 1 == settings.num_tune {
                evals_at_end_of_warmup = num_evals.load(Ordering::Relaxed);
                seconds_warmup = start.elapsed().as_secs_f64();
            }
        } else {
            if out.stats.is_empty() {
                out.adapted_step_size = Some(stat.step_size);
                out.inv_mass_diag = inv_mass;
            }
            out.stats.push(stat);
            out.values.extend_from_slice(&expanded[..num_constrained]);
            progress.advance(Phase::Sampling, 1);
        }
    }
    let total_evals = num_evals.load(Ordering::Relaxed);
    Ok(ChainOutput {
        draws: out,
        num_grad_evals_warmup: evals_at_end_of_warmup,
        num_grad_evals_sampling: total_evals - evals_at_end_of_warmup,
        seconds_warmup,
        seconds_sampling: start.elapsed().as_secs_f64() - seconds_warmup,
    })
}

/// The `Vec<f64>` our `expand_vector` produced, out of nuts-rs's wrapper.
fn expanded_values<S: Storable<P>, P: HasDims>(
    wrapped: &mut S,
    parent: &P,
    len: usize,
) -> Vec<f64> {
    wrapped
        .get_all(parent)
        .into_iter()
        .find_map(|(_, v)| match v {
            Some(Value::F64(v)) => Some(v),
            _ => None,
        })
        .unwrap_or_else(|| vec![f64::NAN; len])
}

/// The density error inside a nuts-rs error, if that is what stopped the chain.
fn density_error(e: &anyhow::Error) -> Option<DensityError> {
    match e.downcast_ref::<nuts_rs::NutsError>()? {
        nuts_rs::NutsError::LogpFailure(inner) | nuts_rs::NutsError::BadInitGrad(inner) => {
            inner.downcast_ref::<LogpErr>().map(|l| l.0.clone())
        }
        _ => None,
    }
}

/// Finds a starting point nuts-rs accepts (finite, non-zero gradient): z from the flow's base
/// for NeuTra, uniform in [−2, 2]^d (Stan's default) otherwise; up to 100 attempts.
fn init_position<C: nuts_rs::Chain<M>, M: nuts_rs::Math>(
    sampler: &mut C,
    d: usize,
    latent: Option<crate::flow::Base>,
    rng: &mut dyn rand::Rng,
    chain: usize,
) -> Result<(), crate::Error> {
    let mut last = String::new();
    const ATTEMPTS: usize = 100;
    for _ in 0..ATTEMPTS {
        let x: Vec<f64> = if let Some(base) = latent {
            let mut z = vec![0.0; d];
            base.sample(rng, &mut z);
            z
        } else {
            (0..d).map(|_| rng.random_range(-2.0..2.0)).collect()
        };
        match sampler.set_position(&x) {
            Ok(()) => return Ok(()),
            Err(e) => {
                if let Some(source) = density_error(&e).filter(|s| !s.is_recoverable()) {
                    return Err(crate::Error::Density {
                        context: format!("chain {} initialization", chain + 1),
                        source,
                    });
                }
                last = crate::error::clean_message(&format!("{e:#}"));
            }
        }
    }
    Err(crate::Error::NoValidInit {
        attempts: ATTEMPTS,
        last_error: last,
    })
}
