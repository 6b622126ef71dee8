//! The training options `npe train` and `npe run` share, their translation into
//! [`NpeSettings`], and training with a progress bar.

use anyhow::{Result, bail};
use clap::Args;
use flowpost::bijection::Activation;
use flowpost::npe::{
    self, EpochProgress, FlowSettings, NpeEstimator, NpeReport, NpeSettings, Simulations, Support,
    TransformKind, XTransform,
};
use flowpost::progress::Progress;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args, Clone)]
pub(crate) struct TrainingOptions {
    /// Training seed (split, initial weights, shuffles).
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Transform: auto (train a spline and an affine flow, keep the lower validation loss),
    /// spline (neural spline flow) or affine (MAF).
    #[arg(long, default_value = "auto")]
    pub(crate) transform: String,
    /// Number of autoregressive transforms.
    #[arg(long)]
    pub(crate) num_transforms: Option<usize>,
    /// MADE hidden widths, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub(crate) hidden: Option<Vec<usize>>,
    /// Spline bins.
    #[arg(long)]
    pub(crate) num_bins: Option<usize>,
    /// MADE nonlinearity: relu, elu or tanh [default: relu for npe, tanh for nle (its
    /// posterior is sampled along the gradient in θ, which ReLU makes jump; docs/npe.md)].
    #[arg(long)]
    pub(crate) activation: Option<String>,
    /// Minibatch size [default: 128] (docs/npe.md has batch 1024 measured at 10^5 simulations).
    #[arg(long)]
    pub(crate) batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    pub(crate) learning_rate: Option<f64>,
    /// Early-stopping patience in epochs.
    #[arg(long)]
    pub(crate) patience: Option<usize>,
    /// How much lower (nats) a validation loss must be to reset the patience [default: 0: any
    /// improvement]; the best epoch's weights are kept either way.
    #[arg(long)]
    pub(crate) min_improvement: Option<f64>,
    /// Maximum epochs.
    #[arg(long)]
    pub(crate) max_epochs: Option<usize>,
    /// Train an ensemble of K estimators (different seeds and train/validation splits, in
    /// parallel) and use their equal-weight mixture for densities and draws [default: 1].
    #[arg(long)]
    pub(crate) ensemble: Option<usize>,
    /// Preprocessing of x before its z-scoring: zscore (none) or log1p (log(1 + x), for counts;
    /// needs x > -1).
    #[arg(long, default_value = "zscore")]
    pub(crate) x_transform: String,
    /// Hide the progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

pub(crate) fn settings(o: &TrainingOptions) -> Result<NpeSettings> {
    settings_over(o, NpeSettings::default())
}

/// [`settings`] over the defaults `d` (NLE's: [`NpeSettings::nle_default`]).
pub(crate) fn settings_over(o: &TrainingOptions, d: NpeSettings) -> Result<NpeSettings> {
    let num_members = o.ensemble.unwrap_or(d.num_members);
    if num_members == 0 {
        bail!("--ensemble must be at least 1 (the number of estimators), got 0");
    }
    let transform = match o.transform.as_str() {
        "spline" => TransformKind::Spline,
        "affine" => TransformKind::Affine,
        "auto" => TransformKind::Auto,
        other => bail!("--transform must be `auto`, `spline` or `affine`, got `{other}`"),
    };
    let flow = FlowSettings {
        transform,
        num_transforms: o.num_transforms.unwrap_or(d.flow.num_transforms),
        hidden: o.hidden.clone().unwrap_or(d.flow.hidden.clone()),
        activation: match o.activation.as_deref() {
            None => d.flow.activation,
            Some(name) => match Activation::from_name(name) {
                Some(a) => a,
                None => bail!("--activation must be relu, elu or tanh, got `{name}`"),
            },
        },
        num_bins: o.num_bins.unwrap_or(d.flow.num_bins),
        tail_bound: d.flow.tail_bound,
        affine_first: d.flow.affine_first,
    };
    let s = NpeSettings {
        flow,
        batch_size: o.batch_size.unwrap_or(d.batch_size),
        learning_rate: o.learning_rate.unwrap_or(d.learning_rate),
        patience: o.patience.unwrap_or(d.patience),
        min_improvement: o.min_improvement.unwrap_or(d.min_improvement),
        max_epochs: o.max_epochs.unwrap_or(d.max_epochs),
        seed: o.seed,
        num_members,
        x_transform: match o.x_transform.as_str() {
            "zscore" => XTransform::Identity,
            "log1p" => XTransform::Log1p,
            other => bail!("--x-transform must be `zscore` or `log1p`, got `{other}`"),
        },
        ..d
    };
    s.validate()?;
    Ok(s)
}

/// The training's progress bar: the epoch, and which run (ensemble member, Auto candidate) it
/// belongs to.
struct EpochBar<'a> {
    bar: &'a ProgressBar,
    auto: bool,
    num_members: usize,
    patience: usize,
    /// Training runs started so far (an epoch 1 starts one).
    run: std::sync::atomic::AtomicUsize,
}

impl Progress for EpochBar<'_> {
    fn epoch(&self, p: &EpochProgress) {
        use std::sync::atomic::Ordering::Relaxed;
        let run = match p.epoch {
            1 => self.run.fetch_add(1, Relaxed) + 1,
            _ => self.run.load(Relaxed),
        }
        .max(1);
        self.bar.set_position(p.epoch as u64);
        let per_member = if self.auto { 2 } else { 1 };
        let member = match self.num_members {
            1 => String::new(),
            k => format!("member {} of {k}, ", (run - 1) / per_member + 1),
        };
        let which = match self.auto {
            true => format!("{member}auto candidate {} of 2: ", (run - 1) % 2 + 1),
            false => member,
        };
        self.bar.set_message(format!(
            "{which}train {:.4}  val {:.4}  best {:.4} ({} of {} epochs without improvement before stopping)",
            p.train_loss, p.validation_loss, p.best_validation_loss, p.epochs_since_best, self.patience
        ));
    }
}

pub(crate) fn train_with_progress(
    sims: &Simulations,
    support: Support,
    s: &NpeSettings,
    quiet: bool,
) -> Result<(NpeEstimator, NpeReport)> {
    train_with_bar(s, quiet, |p| npe::train(sims, support, s, p))
}

/// Runs `train` (NPE's or NLE's training with settings `s`) under the progress bar, then
/// prints what the training did.
pub(crate) fn train_with_bar<E>(
    s: &NpeSettings,
    quiet: bool,
    train: impl FnOnce(&dyn Progress) -> Result<(E, NpeReport), npe::NpeError>,
) -> Result<(E, NpeReport)> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(s.max_epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] epoch {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let epochs = EpochBar {
        bar: &bar,
        auto: s.flow.transform == TransformKind::Auto,
        num_members: s.num_members,
        patience: s.patience,
        run: std::sync::atomic::AtomicUsize::new(0),
    };
    let out = train(&epochs)?;
    bar.finish_and_clear();
    let r = &out.1;
    if !r.members.is_empty() {
        let losses: Vec<String> = r
            .members
            .iter()
            .map(|m| {
                let kept = format!("{:?}", m.transform).to_lowercase();
                format!("{:.4} ({kept})", m.best_validation_loss)
            })
            .collect();
        eprintln!(
            "ensemble of {} estimators in {:.1} s, {} gradient evaluations (all members); best validation loss (kept transform) per member: {} (each on its own split); member 1:",
            r.members.len(),
            r.seconds,
            r.num_gradient_evals,
            losses.join(", ")
        );
    }
    eprintln!(
        "trained on {} simulations ({} train, {} validation, {} dropped as non-finite): {} epochs, best epoch {} (validation loss {:.4}), {:.1} s, {} gradient evaluations",
        r.num_simulations,
        r.num_train,
        r.num_validation,
        r.num_dropped,
        r.num_epochs,
        r.best_epoch,
        r.best_validation_loss,
        r.seconds,
        r.num_gradient_evals
    );
    for (i, c) in r.candidates.iter().enumerate() {
        let why = if c.num_epochs >= s.max_epochs {
            format!("reached --max-epochs {}", s.max_epochs)
        } else {
            format!(
                "early stop: no better validation loss for {} epochs",
                c.num_epochs - c.best_epoch
            )
        };
        eprintln!(
            "candidate {} of {} ({:?}): {} epochs, best epoch {}; {why}",
            i + 1,
            r.candidates.len(),
            c.transform,
            c.num_epochs,
            c.best_epoch
        );
    }
    if !r.candidates.is_empty() {
        let losses: Vec<String> = r
            .candidates
            .iter()
            .map(|c| {
                format!(
                    "{:?} {:.4} in {:.1} s",
                    c.transform, c.best_validation_loss, c.seconds
                )
                .to_lowercase()
            })
            .collect();
        eprintln!(
            "transform: {:?} kept (best validation loss per candidate: {}; seconds and gradient evaluations above count both)",
            r.transform,
            losses.join(", ")
        );
    }
    Ok(out)
}
