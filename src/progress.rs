//! Progress reporting hooks: the library calls them, a front end (the CLI's progress bars)
//! renders them. Calls may come from several threads at once. One receiver for every kind of
//! training: the variational fit and NUTS report phases and steps, NPE's training reports
//! epochs ([`Progress::epoch`]).

/// A phase of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Variational fit of the flow.
    Vi,
    /// NUTS warmup (adaptation), all chains together.
    Warmup,
    /// NUTS sampling, all chains together.
    Sampling,
}

impl Phase {
    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Vi => "vi",
            Phase::Warmup => "warmup",
            Phase::Sampling => "sampling",
        }
    }
}

/// Receives progress events. Every method has an empty default.
///
/// ```
/// use flowpost::progress::{Phase, Progress};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// struct Count(AtomicU64);
/// impl Progress for Count {
///     fn advance(&self, _: Phase, n: u64) { self.0.fetch_add(n, Ordering::Relaxed); }
/// }
/// let c = Count(AtomicU64::new(0));
/// c.advance(Phase::Sampling, 3);
/// assert_eq!(c.0.load(Ordering::Relaxed), 3);
/// ```
pub trait Progress: Send + Sync {
    /// A phase starts with `total` units of work (steps or draws).
    fn begin(&self, _phase: Phase, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _phase: Phase, _n: u64) {}
    /// A short status line (e.g. the current ELBO).
    fn note(&self, _phase: Phase, _message: &str) {}
    /// The phase is over (possibly early).
    fn end(&self, _phase: Phase) {}
    /// A training epoch ended (NPE): its losses and how far early stopping is.
    fn epoch(&self, _epoch: &EpochProgress) {}
}

/// What one training epoch reports ([`Progress::epoch`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochProgress {
    /// 1-based epoch.
    pub epoch: usize,
    /// The epoch cap.
    pub max_epochs: usize,
    /// Mean training loss −log q(θ | x) over the epoch's minibatches (original units of θ).
    pub train_loss: f64,
    /// Mean validation loss after the epoch.
    pub validation_loss: f64,
    /// Best validation loss so far.
    pub best_validation_loss: f64,
    /// Epochs since the best one.
    pub epochs_since_best: usize,
}

/// Keeps the epochs it is told of, in order: to look at them, or to replay them to another
/// receiver (what a training run on another thread saw, told after it).
///
/// ```
/// use flowpost::progress::{EpochLog, EpochProgress, Progress};
/// let log = EpochLog::default();
/// let e = EpochProgress { epoch: 1, max_epochs: 5, train_loss: 1.0, validation_loss: 1.1, best_validation_loss: 1.1, epochs_since_best: 0 };
/// log.epoch(&e);
/// assert_eq!(log.epochs(), vec![e]);
/// ```
#[derive(Debug, Default)]
pub struct EpochLog(std::sync::Mutex<Vec<EpochProgress>>);

impl EpochLog {
    /// The epochs so far.
    pub fn epochs(&self) -> Vec<EpochProgress> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Tells `to` every epoch so far, in order.
    pub fn replay(&self, to: &dyn Progress) {
        self.epochs().iter().for_each(|e| to.epoch(e));
    }
}

impl Progress for EpochLog {
    fn epoch(&self, epoch: &EpochProgress) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(*epoch);
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
