//! One chain: nuts-rs's sampler behind a small object-safe interface, so that the metric
//! (diagonal or low-rank) is chosen at run time. A nuts-rs chain is not `Send` (it keeps `Rc`
//! state), so a chain lives on one thread from start to end.

use super::logp::{LatentLogp, LogpErr};
use crate::density::{DensityError, LogDensity};
use crate::draws::DrawStats;
use nuts_rs::{CpuMath, HasDims, Math, Storable, Value};
use std::marker::PhantomData;

/// One draw as the pipeline needs it.
pub(super) struct Draw {
    /// The position in the coordinates NUTS runs in.
    pub position: Box<[f64]>,
    /// [constrained values…, unconstrained θ…, log|det J_T(z)|].
    pub expanded: Vec<f64>,
    /// CmdStan's per-draw statistics (`lp` of the target, not of the latent density).
    pub stats: DrawStats,
    /// The metric's scales σ (x = μ + σ ⊙ z in nuts-rs's terms, so the inverse mass matrix
    /// of Euclidean HMC is diag(σ²)): reported by nuts-rs only on draws where the adaptation
    /// changed them (`mass_matrix_inv` for the diagonal metric, which holds σ despite its
    /// name; `mass_matrix_stds`, the diagonal part, for the low-rank one).
    pub metric_stds: Option<Vec<f64>>,
    /// The step size the adaptation settled on (nuts-rs's `step_size_bar`), before the jitter
    /// nuts-rs applies to each draw's step size.
    pub step_size_bar: Option<f64>,
    /// ‖z + ∇ log p̃(z)‖² in the metric's coordinates (nuts-rs's `fisher_distance`): zero
    /// where the target seen by NUTS is exactly standard normal.
    pub fisher_distance: f64,
}

/// A running chain.
pub(super) trait Stepper {
    /// Sets the initial position.
    fn set_position(&mut self, position: &[f64]) -> anyhow::Result<()>;
    /// The next draw.
    fn draw(&mut self) -> anyhow::Result<Draw>;
}

/// A nuts-rs chain `C` over the math `M`.
struct NutsStepper<C, M> {
    chain: C,
    num_constrained: usize,
    _math: PhantomData<fn() -> M>,
}

/// Builds chain `chain` (0-based) with nuts-rs settings `settings`.
pub(super) fn new_stepper<'a, S, D>(
    settings: &S,
    chain: u64,
    logp: LatentLogp<'a, D>,
    num_constrained: usize,
    rng: &mut dyn rand::Rng,
) -> anyhow::Result<Box<dyn Stepper + 'a>>
where
    S: nuts_rs::Settings,
    D: LogDensity + ?Sized,
{
    let chain = settings.new_chain(chain, CpuMath::new(logp), rng)?;
    Ok(Box::new(NutsStepper::<_, CpuMath<LatentLogp<'a, D>>> {
        chain,
        num_constrained,
        _math: PhantomData,
    }))
}

/// Statistics read from nuts-rs by name; a missing one is an error rather than a panic, so a
/// renamed statistic in a future nuts-rs says what is missing.
#[derive(Default)]
struct RawStats {
    logp: Option<f64>,
    mean_tree_accept: Option<f64>,
    step_size: Option<f64>,
    depth: Option<f64>,
    n_steps: Option<f64>,
    diverging: Option<f64>,
    energy: Option<f64>,
    fisher_distance: Option<f64>,
    metric_stds: Option<Vec<f64>>,
    step_size_bar: Option<f64>,
}

fn scalar_f64(v: &Option<Value>) -> Option<f64> {
    match v {
        Some(Value::ScalarF64(x)) => Some(*x),
        Some(Value::ScalarF32(x)) => Some(*x as f64),
        Some(Value::ScalarU64(x)) => Some(*x as f64),
        Some(Value::ScalarI64(x)) => Some(*x as f64),
        Some(Value::ScalarBool(b)) => Some(*b as u8 as f64),
        _ => None,
    }
}

fn need(value: Option<f64>, name: &str) -> anyhow::Result<f64> {
    value.ok_or_else(|| anyhow::anyhow!("nuts-rs did not report the statistic `{name}`"))
}

impl<C, M> Stepper for NutsStepper<C, M>
where
    M: Math,
    C: nuts_rs::Chain<M>,
{
    fn set_position(&mut self, position: &[f64]) -> anyhow::Result<()> {
        self.chain.set_position(position)
    }

    fn draw(&mut self) -> anyhow::Result<Draw> {
        let (position, mut expanded_wrapped, mut stats, _) = self.chain.expanded_draw()?;
        let math = self.chain.math();
        let len = self.num_constrained + math.dim() + 1;
        let expanded = expanded_values(&mut expanded_wrapped, &*math, len);
        let dims = From::from(&*math);
        let mut raw = RawStats::default();
        for (name, value) in stats.get_all(&dims) {
            match name {
                "mass_matrix_inv" | "mass_matrix_stds" => {
                    if let Some(Value::F64(v)) = value {
                        raw.metric_stds = Some(v);
                    }
                }
                "step_size_bar" => raw.step_size_bar = scalar_f64(&value),
                "logp" => raw.logp = scalar_f64(&value),
                "mean_tree_accept" => raw.mean_tree_accept = scalar_f64(&value),
                "step_size" => raw.step_size = scalar_f64(&value),
                "depth" => raw.depth = scalar_f64(&value),
                "n_steps" => raw.n_steps = scalar_f64(&value),
                "diverging" => raw.diverging = scalar_f64(&value),
                "energy" => raw.energy = scalar_f64(&value),
                "fisher_distance" => raw.fisher_distance = scalar_f64(&value),
                _ => {}
            }
        }
        drop(math);
        let latent_logp = need(raw.logp, "logp")?;
        let stats = DrawStats {
            lp: latent_logp - expanded[len - 1],
            accept_stat: need(raw.mean_tree_accept, "mean_tree_accept")?,
            step_size: need(raw.step_size, "step_size")?,
            tree_depth: need(raw.depth, "depth")? as u64,
            n_leapfrog: need(raw.n_steps, "n_steps")? as u64,
            divergent: need(raw.diverging, "diverging")? != 0.0,
            energy: need(raw.energy, "energy")?,
        };
        Ok(Draw {
            position,
            expanded,
            stats,
            metric_stds: raw.metric_stds,
            step_size_bar: raw.step_size_bar,
            fisher_distance: raw.fisher_distance.unwrap_or(f64::NAN),
        })
    }
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
pub(super) fn density_error(e: &anyhow::Error) -> Option<DensityError> {
    match e.downcast_ref::<nuts_rs::NutsError>()? {
        nuts_rs::NutsError::LogpFailure(inner) | nuts_rs::NutsError::BadInitGrad(inner) => {
            inner.downcast_ref::<LogpErr>().map(|l| l.0.clone())
        }
        _ => None,
    }
}
