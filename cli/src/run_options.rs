//! `sample` options beyond the sampler's own: the preflight check, the thread count and the
//! variational fit's budget.

use flowpost::SampleSettings;

/// Options of a run's machinery.
#[derive(clap::Args, Clone, Default)]
pub struct RunOptions {
    /// Skip the checks before the run (parameter names, the gradient against finite
    /// differences, a flat direction).
    #[arg(long)]
    pub no_preflight: bool,
    /// Worker threads for the chains and the variational fit [default: one per core;
    /// RAYON_NUM_THREADS works too]. The draws do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Most optimizer steps of the variational fit (NeuTra) [default: 3000].
    #[arg(long, value_name = "N")]
    pub vi_steps: Option<usize>,
    /// Draws per optimizer step of the variational fit [default: 32].
    #[arg(long, value_name = "N")]
    pub vi_batch: Option<usize>,
}

impl RunOptions {
    /// Puts the options into the library's settings.
    pub fn apply(&self, settings: &mut SampleSettings) {
        settings.preflight = !self.no_preflight;
        if let Some(n) = self.vi_steps {
            settings.vi.max_steps = n;
            settings.vi.min_steps = settings.vi.min_steps.min(n);
        }
        if let Some(n) = self.vi_batch {
            settings.vi.batch_size = n;
        }
    }

    /// Sizes the global thread pool (before any parallel work).
    pub fn install_threads(&self) -> anyhow::Result<()> {
        match self.threads {
            None => Ok(()),
            Some(0) => anyhow::bail!("--threads must be at least 1"),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .map_err(|e| anyhow::anyhow!("--threads {n}: {e}")),
        }
    }
}
