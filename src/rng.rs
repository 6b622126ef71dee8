//! Seeded random streams: one independent ChaCha8 stream per (seed, stream id), so that chains,
//! minibatch steps and workers draw the same numbers whatever the thread count.

use rand::SeedableRng;
pub use rand::rngs::ChaCha8Rng;

/// A ChaCha8 generator for stream `stream` of `seed`.
///
/// ```
/// use rand::RngExt;
/// let a: f64 = flowpost::rng::seeded(7, 1).random();
/// let b: f64 = flowpost::rng::seeded(7, 1).random();
/// let c: f64 = flowpost::rng::seeded(7, 2).random();
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// ```
pub fn seeded(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Fills `out` with independent standard normal draws.
pub fn fill_standard_normal(rng: &mut dyn rand::Rng, out: &mut [f64]) {
    use rand_distr::{Distribution, StandardNormal};
    for v in out {
        *v = StandardNormal.sample(rng);
    }
}
