//! Progress bars on stderr (one per phase: VI, warmup, sampling), hidden when stderr is not a
//! terminal.

use flowpost::progress::{Phase, Progress};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(Phase, ProgressBar)>>,
}

impl Bars {
    /// Bars on stderr, or none at all when `quiet`.
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(Vec::new()),
        }
    }

    fn with_bar(&self, phase: Phase, f: impl FnOnce(&ProgressBar)) {
        let bars = self.bars.lock().unwrap();
        if let Some((_, b)) = bars.iter().find(|(p, _)| *p == phase) {
            f(b);
        }
    }
}

impl Progress for Bars {
    fn begin(&self, phase: Phase, total: u64) {
        let bar = self.multi.add(ProgressBar::new(total));
        let style = ProgressStyle::with_template(
            "{prefix:>9} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}",
        )
        .expect("static template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(phase.name());
        self.bars.lock().unwrap().push((phase, bar));
    }

    fn advance(&self, phase: Phase, n: u64) {
        self.with_bar(phase, |b| b.inc(n));
    }

    fn note(&self, phase: Phase, message: &str) {
        let m = message.to_string();
        self.with_bar(phase, |b| b.set_message(m));
    }

    fn end(&self, phase: Phase) {
        self.with_bar(phase, |b| b.finish());
    }
}
