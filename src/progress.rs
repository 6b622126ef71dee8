//! Progress reporting hooks: the library calls them, a front end (the CLI's progress bars)
//! renders them. Calls may come from several threads at once.

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
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
