//! Training an [`NpeEstimator`] by maximum likelihood on simulations: non-finite rows dropped
//! and counted, z-scoring of θ and x from the training rows, a held-out validation fraction,
//! Adam with global-norm gradient clipping on minibatches, early stopping when the validation
//! loss has not improved for `patience` epochs, and the best epoch's weights returned.
//!
//! Reproducibility: the split, the initial weights and every epoch's shuffle come from seeded
//! streams; a minibatch gradient is summed over fixed chunks of `chunk_size` items (computed in
//! parallel) and the chunk sums are added in chunk order, so the result is the same for a seed
//! whatever the thread count.

use super::loss::{Chunking, batch_loss};
use super::prepare::{Prepared, prepare};
use super::{
    FlowSettings, NpeError, NpeEstimator, Simulations, Support, TransformKind, XTransform,
};
use crate::bijection::Bijection;
use crate::optim::{Adam, AdamSettings};
pub use crate::progress::EpochProgress;
use crate::progress::Progress;
use crate::rng::seeded;
use rand::seq::SliceRandom;
use std::time::Instant;

const INIT_STREAM: u64 = crate::rng::streams::NPE_INIT.first;
const EPOCH_STREAM: u64 = crate::rng::streams::NPE_EPOCH.first;

/// Training settings (defaults close to `sbi`'s NPE: lr 5e-4, clip 5, 10% validation,
/// patience 20; see the fields for where this differs).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NpeSettings {
    /// The flow architecture.
    pub flow: FlowSettings,
    /// Minibatch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Global gradient-norm clip.
    pub clip_norm: f64,
    /// Fraction of the simulations held out for validation.
    pub validation_fraction: f64,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// How much lower (in nats) a validation loss must be to count as better for early
    /// stopping: training stops after `patience` epochs without one at least this much below
    /// the last that counted. The kept weights are still the best epoch's, whatever its margin.
    /// 0 (the default): any improvement counts.
    pub min_improvement: f64,
    /// Hard cap on epochs.
    pub max_epochs: usize,
    /// Items per gradient chunk (the unit of the fixed-order reduction, and of a batched
    /// pass through the flow).
    pub chunk_size: usize,
    /// Run each chunk through the flow's batched calls (matrix–matrix products in the
    /// conditioners); `false` runs it item by item (the reference path, several times
    /// slower; same results up to the order of floating-point sums).
    pub batched: bool,
    /// Seed for the split, the initial weights and the shuffles.
    pub seed: u64,
    /// Ensemble members K: K estimators trained in parallel with different seeds (member 1
    /// with `seed`, so K = 1 is the single estimator), hence different initial weights,
    /// shuffles and train/validation splits, used as their equal-weight mixture.
    pub num_members: usize,
    /// Train on the unconstrained parameters u = T⁻¹(θ) of the declared support (log, logit;
    /// see [`Support`]) so draws never leave it; `false` trains on θ and keeps a box support
    /// for rejection sampling (leakage correction), as before supports existed.
    pub support_transform: bool,
    /// With `support_transform` on, a support that is a box (every parameter between two finite
    /// ends: `box` specs, uniform priors, the box-prior sbibm tasks) is still trained on θ and
    /// kept for rejection sampling (`sbi`'s leakage correction); other supports are transformed.
    /// The logit of a box distorts a posterior that presses against its walls (two_moons at 10⁴
    /// simulations, where the posterior reaches θ = ±1 on observations 5 and 10: C2ST over
    /// observations 1–10, training seeds 1 and 2, 0.615 and 0.612 with the logit, 0.572 and
    /// 0.586 on θ; `docs/npe.md`). `false` transforms boxes too (logit).
    pub box_rejection: bool,
    /// Preprocessing of x before its z-scoring.
    pub x_transform: XTransform,
}

impl Default for NpeSettings {
    fn default() -> Self {
        NpeSettings {
            flow: FlowSettings::default(),
            batch_size: 128,
            learning_rate: 5e-4,
            clip_norm: 5.0,
            validation_fraction: 0.1,
            patience: 20,
            min_improvement: 0.0,
            max_epochs: 1000,
            chunk_size: 64,
            batched: true,
            seed: 0,
            num_members: 1,
            support_transform: true,
            box_rejection: true,
            x_transform: XTransform::Identity,
        }
    }
}

impl NpeSettings {
    /// The defaults for neural likelihood estimation ([`train_nle`](super::train_nle)): those
    /// of NPE with tanh hidden units instead of ReLU.
    ///
    /// An NLE posterior is sampled by following the gradient of log q(x_o | θ) in θ (NUTS, the
    /// mode probe's L-BFGS and Laplace Hessians, the multimodal sampler's HMC), and a ReLU
    /// MADE makes that a piecewise function of θ whose gradient jumps at every unit's kink: on
    /// slcp (10⁴ simulations, observations 1–3) the optimizers stopped at kinks, the Laplace
    /// sds came out 10–100× too small, the multimodal sampler's jumps were accepted 0.1% of
    /// the time and C2ST was 0.803 / 0.876 / 0.715. With tanh units the surface is smooth:
    /// 4 modes, jump acceptance 0.11–0.15, R-hat ≤ 1.014, C2ST 0.677 / 0.696 / 0.608 (ELU,
    /// smooth to first order only: 0.690 / 0.805 / 0.682). NPE draws from its flow directly
    /// and keeps ReLU.
    ///
    /// ```
    /// use flowpost::bijection::Activation;
    /// use flowpost::npe::NpeSettings;
    /// let nle = NpeSettings::nle_default();
    /// assert_eq!(nle.flow.activation, Activation::Tanh);
    /// assert_eq!(NpeSettings::default().flow.activation, Activation::Relu);
    /// assert!(nle.validate().is_ok());
    /// ```
    pub fn nle_default() -> Self {
        let d = NpeSettings::default();
        NpeSettings {
            flow: FlowSettings {
                activation: crate::bijection::Activation::Tanh,
                ..d.flow.clone()
            },
            ..d
        }
    }

    /// Checks every field; the error names the offending one.
    pub fn validate(&self) -> Result<(), NpeError> {
        let err = |field: &'static str, reason: &str| {
            Err(NpeError::Settings {
                field,
                reason: reason.into(),
            })
        };
        self.flow.validate()?;
        if self.batch_size == 0 {
            return err("batch_size", "must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return err("learning_rate", "must be positive and finite");
        }
        if self.clip_norm.is_nan() || self.clip_norm <= 0.0 {
            return err("clip_norm", "must be positive");
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return err("validation_fraction", "must be in (0, 1)");
        }
        if self.patience == 0 {
            return err("patience", "must be at least 1");
        }
        if !(self.min_improvement >= 0.0 && self.min_improvement.is_finite()) {
            return err("min_improvement", "must be finite and at least 0");
        }
        if self.max_epochs == 0 {
            return err("max_epochs", "must be at least 1");
        }
        if self.num_members == 0 {
            return err("num_members", "must be at least 1");
        }
        if self.chunk_size == 0 {
            return err("chunk_size", "must be at least 1");
        }
        Ok(())
    }
}

/// End-of-training summary (read back from `training_report.json` for the reports).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NpeReport {
    /// Rows given.
    pub num_simulations: usize,
    /// Rows dropped for a non-finite θ or x.
    pub num_dropped: usize,
    /// Training rows.
    pub num_train: usize,
    /// Validation rows.
    pub num_validation: usize,
    /// Epochs run.
    pub num_epochs: usize,
    /// The epoch whose weights were kept (1-based).
    pub best_epoch: usize,
    /// Its validation loss.
    pub best_validation_loss: f64,
    /// Whether early stopping ended training (false: `max_epochs` reached).
    pub stopped_early: bool,
    /// Per-epoch training losses.
    pub train_losses: Vec<f64>,
    /// Per-epoch validation losses.
    pub validation_losses: Vec<f64>,
    /// Per-item gradient evaluations (forward + backward through the flow).
    pub num_gradient_evals: u64,
    /// Adam steps.
    pub num_steps: u64,
    /// Wall-clock seconds of training (after simulation).
    pub seconds: f64,
    /// Number of flow parameters.
    pub num_params: usize,
    /// The transform of the kept flow.
    pub transform: TransformKind,
    /// With `num_members` K > 1: each member's report (member 1's is the one above, whose
    /// `num_gradient_evals` and `num_steps` then count all members and `seconds` is the
    /// ensemble's wall-clock time). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<NpeReport>,
    /// With [`TransformKind::Auto`]: each candidate's result and cost (the kept one has the
    /// lowest validation loss); `num_gradient_evals` and `num_steps` above count all
    /// candidates, `seconds` is the wall-clock time of their (concurrent) training, the other
    /// fields describe the kept one. Empty otherwise.
    #[serde(default)]
    pub candidates: Vec<CandidateReport>,
}

/// One candidate flow trained by [`TransformKind::Auto`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CandidateReport {
    /// Its transform.
    pub transform: TransformKind,
    /// Its best validation loss.
    pub best_validation_loss: f64,
    /// The epoch of that loss (1-based).
    pub best_epoch: usize,
    /// Epochs it ran.
    pub num_epochs: usize,
    /// Its per-item gradient evaluations.
    pub num_gradient_evals: u64,
    /// Its Adam steps.
    pub num_steps: u64,
    /// Its wall-clock training seconds.
    pub seconds: f64,
    /// Its per-epoch training losses (empty in files written before they were recorded).
    #[serde(default)]
    pub train_losses: Vec<f64>,
    /// Its per-epoch validation losses (empty in files written before they were recorded).
    #[serde(default)]
    pub validation_losses: Vec<f64>,
}

/// Trains a posterior estimator on `sims`. `support` is the prior's (e.g. `prior.support()`;
/// a box prior's `Option<Bounds>` converts, `None` meaning ℝ^d): every training θ must lie
/// strictly inside it, and the estimator's draws never leave it. `progress` is told of every
/// epoch ([`Progress::epoch`](crate::progress::Progress::epoch); with an ensemble or Auto's two
/// candidates, the first run's epochs as they happen and the others' after it).
///
/// ```
/// use flowpost::npe::{simulate, train, NpeSettings, FlowSettings, TransformKind};
/// use flowpost_models::sbibm as tasks;
/// let task = tasks::task("gaussian_linear").unwrap();
/// let sims = simulate(task.prior(), task.simulator(), 500, 1);
/// let settings = NpeSettings {
///     flow: FlowSettings { transform: TransformKind::Affine, num_transforms: 1, hidden: vec![8], ..Default::default() },
///     max_epochs: 3,
///     ..Default::default()
/// };
/// let (est, report) = train(&sims, None, &settings, &flowpost::progress::NoProgress).unwrap();
/// assert_eq!((report.num_epochs, est.theta_dim()), (3, 10));
/// ```
pub fn train(
    sims: &Simulations,
    support: impl Into<Support>,
    settings: &NpeSettings,
    progress: &dyn Progress,
) -> Result<(NpeEstimator, NpeReport), NpeError> {
    settings.validate()?;
    let support = support.into();
    if settings.num_members > 1 {
        return super::ensemble_train::train_ensemble(sims, &support, settings, progress);
    }
    if settings.flow.transform != TransformKind::Auto {
        return train_one(sims, &support, settings, progress);
    }
    super::auto::train_auto(sims, &support, settings, progress)
}

/// Trains one flow of a concrete transform kind.
pub(crate) fn train_one(
    sims: &Simulations,
    support: &Support,
    settings: &NpeSettings,
    progress: &dyn Progress,
) -> Result<(NpeEstimator, NpeReport), NpeError> {
    let start = Instant::now();
    let prep = prepare(sims, support, settings)?;
    let (data, theta_z) = (&prep.data, &prep.theta_z);
    let (dt, dx) = (data.dt, data.dx);
    let (train_idx, val_idx) = (&prep.train_idx[..], &prep.val_idx[..]);
    let (num_train, num_val, num_dropped) = (train_idx.len(), val_idx.len(), prep.num_dropped);
    let flow = settings.flow.build(dt, dx)?;
    let mut params = vec![0.0; flow.num_params()];
    flow.init_params(&mut params, &mut seeded(settings.seed, INIT_STREAM));
    let mut adam = Adam::new(
        params.len(),
        AdamSettings {
            learning_rate: settings.learning_rate,
            clip_norm: Some(settings.clip_norm),
            ..Default::default()
        },
    );
    // Losses in θ units: −log q(θ) = −log q(z) + Σ log std − log |du/dθ|.
    let offset = (
        theta_z.log_scale() - prep.log_jac.0,
        theta_z.log_scale() - prep.log_jac.1,
    );
    let mut grad = vec![0.0; params.len()];
    let mut workspaces = Vec::new();
    // Scored as −(validation loss): the best epoch has the lowest loss.
    let mut best = crate::optim::KeepBest::new(&params);
    // The last validation loss that counted as an improvement for early stopping, and when.
    let mut counted = (f64::INFINITY, 0usize);
    let mut report = NpeReport {
        num_simulations: sims.len(),
        num_dropped,
        num_train,
        num_validation: num_val,
        num_epochs: 0,
        best_epoch: 0,
        best_validation_loss: f64::INFINITY,
        stopped_early: false,
        train_losses: Vec::new(),
        validation_losses: Vec::new(),
        num_gradient_evals: 0,
        num_steps: 0,
        seconds: 0.0,
        num_params: params.len(),
        transform: settings.flow.transform,
        candidates: Vec::new(),
        members: Vec::new(),
    };
    let mut train_order = train_idx.to_vec();
    let chunking = Chunking {
        size: settings.chunk_size,
        batched: settings.batched,
    };
    for epoch in 1..=settings.max_epochs {
        train_order.copy_from_slice(train_idx);
        train_order.shuffle(&mut seeded(settings.seed, EPOCH_STREAM + epoch as u64));
        let mut loss_sum = 0.0;
        for batch in train_order.chunks(settings.batch_size) {
            let l = batch_loss(
                &flow,
                &params,
                data,
                batch,
                chunking,
                &mut workspaces,
                Some(&mut grad),
            );
            loss_sum += l * batch.len() as f64;
            adam.step(&mut params, &grad, 1.0);
            report.num_gradient_evals += batch.len() as u64;
        }
        let train_loss = loss_sum / num_train as f64 + offset.0;
        let val_loss = batch_loss(
            &flow,
            &params,
            data,
            val_idx,
            chunking,
            &mut workspaces,
            None,
        ) + offset.1;
        report.train_losses.push(train_loss);
        report.validation_losses.push(val_loss);
        report.num_epochs = epoch;
        best.offer(-val_loss, epoch, &params);
        if val_loss < counted.0 - settings.min_improvement {
            counted = (val_loss, epoch);
        }
        let since = epoch - best.at();
        progress.epoch(&EpochProgress {
            epoch,
            max_epochs: settings.max_epochs,
            train_loss,
            validation_loss: val_loss,
            best_validation_loss: -best.score(),
            epochs_since_best: since,
        });
        if epoch - counted.1 >= settings.patience {
            report.stopped_early = true;
            break;
        }
    }
    report.best_epoch = best.at();
    report.best_validation_loss = -best.score();
    report.num_steps = adam.num_steps();
    report.seconds = start.elapsed().as_secs_f64();
    if !best.score().is_finite() {
        return Err(NpeError::Settings {
            field: "learning_rate",
            reason: "training diverged: the validation loss was never finite".into(),
        });
    }
    let Prepared {
        theta_z,
        x_z,
        support,
        bounds,
        ..
    } = prep;
    let estimator = NpeEstimator::new(Box::new(flow), best.into_params(), theta_z, x_z, bounds)?
        .with_support(support)?
        .with_x_transform(settings.x_transform);
    Ok((estimator, report))
}
