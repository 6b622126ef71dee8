//! The policies of the VI loop, each a named piece with named constants: the windowed plateau
//! test that decays the learning rate and stops the fit ([`Plateau`]), the collapse guard that
//! keeps the best window's parameters ([`CollapseGuard`]), and the failure window that aborts a
//! fit whose draws keep falling where the density fails ([`WindowTally`]).

use super::ViSettings;

/// Mean and standard error of the finite values.
pub(super) fn mean_se(v: &[f64]) -> (f64, f64) {
    let vals: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = vals.len() as f64;
    if vals.len() < 2 {
        return (finite_mean(v), f64::INFINITY);
    }
    let mean = vals.iter().sum::<f64>() / n;
    let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

pub(super) fn finite_mean(v: &[f64]) -> f64 {
    let (s, n) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Whether the least-squares trend of `trace` (per-step ELBOs, independent draws each step)
/// predicts a significant rise over the next `window` steps: slope > 2 standard errors and
/// worth at least 1e-3 nats per window. Slow steady progress, which a comparison of window
/// means cannot resolve from the noise, still counts as improving.
fn rising(trace: &[f64], window: usize) -> bool {
    let pts: Vec<(f64, f64)> = trace
        .iter()
        .enumerate()
        .filter(|(_, y)| y.is_finite())
        .map(|(t, y)| (t as f64, *y))
        .collect();
    if pts.len() < 2 * window.max(2) {
        return false;
    }
    let n = pts.len() as f64;
    let (tm, ym) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let stt: f64 = pts.iter().map(|p| (p.0 - tm).powi(2)).sum();
    let slope = pts.iter().map(|p| (p.0 - tm) * (p.1 - ym)).sum::<f64>() / stt;
    let resid: f64 = pts
        .iter()
        .map(|p| (p.1 - ym - slope * (p.0 - tm)).powi(2))
        .sum::<f64>()
        / (n - 2.0);
    let se = (resid / stt).sqrt();
    slope > 2.0 * se && slope * window as f64 > 1e-3
}

pub(super) enum PlateauVerdict {
    Improving,
    Decay,
    Stop,
}

/// Windowed plateau test: a window improves if its mean ELBO beats the best window so far by
/// more than its own standard error; `patience` windows without improvement are a plateau (the
/// caller decays the learning rate), and the plateau after `num_decays` decays stops the fit.
pub(super) struct Plateau {
    best: f64,
    strikes: usize,
    decays: usize,
    patience: usize,
    num_decays: usize,
    min_steps: usize,
}

impl Plateau {
    pub(super) fn new(s: &ViSettings) -> Self {
        Plateau {
            best: f64::NEG_INFINITY,
            strikes: 0,
            decays: 0,
            patience: s.patience,
            num_decays: s.num_decays,
            min_steps: s.min_steps,
        }
    }

    /// Judges the window that just ended (the last `window` entries of `trace`).
    pub(super) fn update(&mut self, trace: &[f64], window: usize, steps: usize) -> PlateauVerdict {
        let last = &trace[trace.len().saturating_sub(window)..];
        let vals: Vec<f64> = last.iter().copied().filter(|x| x.is_finite()).collect();
        if vals.len() < 2 {
            return PlateauVerdict::Improving;
        }
        let n = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / n;
        let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        let improved = mean > self.best + se.max(1e-3)
            || rising(&trace[trace.len().saturating_sub(4 * window)..], window);
        self.best = self.best.max(mean);
        if improved {
            self.strikes = 0;
            return PlateauVerdict::Improving;
        }
        self.strikes += 1;
        if self.strikes < self.patience {
            return PlateauVerdict::Improving;
        }
        self.strikes = 0;
        if self.decays >= self.num_decays && steps >= self.min_steps {
            return PlateauVerdict::Stop;
        }
        self.decays += 1;
        PlateauVerdict::Decay
    }
}

/// A window whose mean ELBO falls more than this many of its standard errors below the best
/// window's is a collapse (a step into a region where the flow blows up).
const COLLAPSE_SES: f64 = 10.0;
/// The smallest standard error the collapse test uses (a window of near-constant ELBOs).
const COLLAPSE_MIN_SE: f64 = 0.01;
/// At the end of the fit, the best window's parameters come back if the last window's mean is
/// more than this many standard errors below the best.
const FINAL_RESTORE_SES: f64 = 3.0;

/// Keeps the parameters of the best window so far (by mean ELBO), so that a collapse, or a
/// last window clearly worse than the best, goes back to them.
pub(super) struct CollapseGuard {
    best: crate::optim::KeepBest,
}

impl CollapseGuard {
    /// Starts from the flow's initial parameters, with no window judged.
    pub(super) fn new(params: &[f64]) -> Self {
        CollapseGuard {
            best: crate::optim::KeepBest::new(params),
        }
    }

    /// Judges a window that ended at `step` with `params`: a new best is kept; `true` if the
    /// window collapsed (the caller restores [`CollapseGuard::best_params`]).
    pub(super) fn collapsed(&mut self, mean: f64, se: f64, step: usize, params: &[f64]) -> bool {
        !self.best.offer(mean, step, params)
            && mean < self.best.score() - COLLAPSE_SES * se.max(COLLAPSE_MIN_SE)
    }

    /// The best window's parameters.
    pub(super) fn best_params(&self) -> &[f64] {
        self.best.params()
    }

    /// Whether the fit should end on the best window's parameters rather than its last ones,
    /// given the last window's mean ELBO and its standard error.
    pub(super) fn restore_at_end(&self, last: f64, se: f64) -> bool {
        let best = self.best.score();
        !(last >= best - FINAL_RESTORE_SES * se) && best.is_finite()
    }
}

/// What one window of steps saw: the draws that failed and the per-step variances of
/// log p − log q.
#[derive(Default)]
pub(super) struct WindowTally {
    num_failed: usize,
    sum_var: f64,
}

/// A closed window.
pub(super) struct WindowSummary {
    /// Fraction of the window's draws that failed.
    pub failure_fraction: f64,
    /// Whether any failed.
    pub any_failed: bool,
    /// Mean over its steps of the variance of log p − log q.
    pub mean_var: f64,
}

impl WindowTally {
    /// Records one step.
    pub(super) fn add(&mut self, num_failed: usize, var: f64) {
        self.num_failed += num_failed;
        self.sum_var += var;
    }

    /// Closes the window of `window` steps of `batch_size` draws and starts the next.
    pub(super) fn close(&mut self, window: usize, batch_size: usize) -> WindowSummary {
        let summary = WindowSummary {
            failure_fraction: self.num_failed as f64 / (window * batch_size) as f64,
            any_failed: self.num_failed > 0,
            mean_var: self.sum_var / window as f64,
        };
        *self = WindowTally::default();
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_keeps_the_best_window_and_flags_a_collapse() {
        let mut g = CollapseGuard::new(&[0.0, 0.0]);
        assert!(
            !g.collapsed(-5.0, 0.1, 100, &[1.0, 1.0]),
            "the first window is the best"
        );
        assert!(!g.collapsed(-3.0, 0.1, 200, &[2.0, 2.0]));
        assert_eq!(g.best_params(), &[2.0, 2.0]);
        // 10 standard errors (0.1 each) below the best is not yet a collapse; more is.
        assert!(!g.collapsed(-3.9, 0.1, 300, &[3.0, 3.0]));
        assert!(g.collapsed(-4.1, 0.1, 400, &[3.0, 3.0]));
        // A tiny standard error is floored at 0.01: 0.1 below the best is the limit.
        assert!(!g.collapsed(-3.09, 1e-9, 500, &[3.0, 3.0]));
        assert!(g.collapsed(-3.11, 1e-9, 600, &[3.0, 3.0]));
        assert_eq!(g.best_params(), &[2.0, 2.0], "worse windows are not kept");
        // At the end: back to the best only when the last window is > 3 SE below it.
        assert!(!g.restore_at_end(-3.2, 0.1));
        assert!(g.restore_at_end(-3.4, 0.1));
        assert!(
            g.restore_at_end(f64::NAN, 0.1),
            "a failed last window restores"
        );
        assert!(!CollapseGuard::new(&[0.0]).restore_at_end(f64::NAN, 0.1));
    }

    #[test]
    fn the_window_tally_summarizes_and_resets() {
        let mut t = WindowTally::default();
        t.add(2, 0.5);
        t.add(0, 1.5);
        let w = t.close(2, 4);
        assert_eq!(w.failure_fraction, 2.0 / 8.0);
        assert!(w.any_failed);
        assert_eq!(w.mean_var, 1.0);
        t.add(0, 0.2);
        let w = t.close(1, 4);
        assert!(!w.any_failed && w.failure_fraction == 0.0 && w.mean_var == 0.2);
    }
}
