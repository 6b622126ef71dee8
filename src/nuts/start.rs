//! Where a chain starts: z from the flow's base distribution (NeuTra), the user's init
//! ([`Init`]), or Stan's default, uniform in [−2, 2]^d; a fixed init gets one attempt and an
//! explained failure, random ones up to 100.

use super::chain::{Stepper, density_error};
use crate::density::LogDensity;
use crate::init::{Init, Initializer};
use rand::RngExt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a chain may start.
pub(super) struct Start<'s> {
    /// The flow's base distribution (NeuTra): z drawn from it.
    pub latent: Option<crate::flow::Base>,
    /// The user's init (chains without a flow).
    pub init: Option<&'s Init>,
    /// The chain's gradient evaluations (a fixed init's check is one).
    pub num_evals: &'s AtomicU64,
}

/// Finds a starting point nuts-rs accepts (finite, non-zero gradient): z from the flow's base
/// for NeuTra, else from the init (uniform in [−2, 2]^d, Stan's default, without one); up to
/// 100 attempts, or one for a fixed init (R = 0, or every parameter given), whose failure is
/// explained.
pub(super) fn init_position<D: LogDensity + ?Sized>(
    sampler: &mut dyn Stepper,
    density: &D,
    start: Start<'_>,
    rng: &mut dyn rand::Rng,
    chain: usize,
) -> Result<(), crate::Error> {
    let d = density.dim();
    let user = match start.init {
        Some(init) => Some(Initializer::new(density, init)?),
        None => None,
    };
    if let Some(ini) = user.as_ref().filter(|i| i.is_fixed()) {
        let x = ini.draw(rng)?;
        start.num_evals.fetch_add(1, Ordering::Relaxed);
        ini.check_point(&x, true)?;
        return sampler.set_position(&x).map_err(|e| crate::Error::Init {
            reason: format!(
                "chain {} cannot start there: {}",
                chain + 1,
                crate::error::clean_message(&format!("{e:#}"))
            ),
        });
    }
    let mut last = String::new();
    const ATTEMPTS: usize = 100;
    for _ in 0..ATTEMPTS {
        let x: Vec<f64> = if let Some(base) = start.latent {
            let mut z = vec![0.0; d];
            base.sample(rng, &mut z);
            z
        } else if let Some(ini) = &user {
            ini.draw(rng)?
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
