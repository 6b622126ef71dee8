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

/// Every random stream id flowpost draws from, by role, in two tables: [`streams::RUN`] for a
/// sampling run's seed (VI, NUTS, multimodal) and [`streams::NPE`] for an NPE seed (training,
/// simulation, posterior sampling, calibration). Within a table the blocks are disjoint (a test
/// checks it), so no two roles ever share random numbers; the two tables are used with
/// different seeds (an NPE run's seed is not a sampling run's).
///
/// ```
/// use flowpost::rng::streams;
/// assert_eq!(streams::NUTS_CHAIN.id(0), 1); // chain 0 of a run draws from stream 1
/// assert!(streams::RUN.iter().all(|b| b.len >= 1));
/// ```
pub mod streams {
    /// A block of stream ids `first..first + len` reserved for one role; item `i` of the role
    /// (a chain, a step, a row) draws from stream `first + i`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Streams {
        /// What draws from the block.
        pub role: &'static str,
        /// The first stream id.
        pub first: u64,
        /// How many ids the block reserves.
        pub len: u64,
    }

    impl Streams {
        /// The stream of item `i`. Panics if `i` is outside the block (a caller bug: settings
        /// are validated against [`Streams::len`] before a run starts).
        pub const fn id(&self, i: u64) -> u64 {
            assert!(i < self.len, "stream index outside its block");
            self.first + i
        }

        /// Whether two blocks share an id.
        pub const fn overlaps(&self, other: &Streams) -> bool {
            self.first < other.first + other.len && other.first < self.first + self.len
        }
    }

    const fn block(role: &'static str, first: u64, len: u64) -> Streams {
        Streams { role, first, len }
    }

    /// NUTS chain c of the whole run (0-based, shards included); the run's chains are at most
    /// this block's length.
    pub const NUTS_CHAIN: Streams = block("NUTS chain", 1, 0x1AE);
    /// The IAF layers' initial parameters.
    pub const FLOW_INIT: Streams = block("flow initialization", 0x1AF, 1);
    /// The Gaussian fit's random start.
    pub const GAUSSIAN_START: Streams = block("Gaussian fit start", 0x1417, 1);
    /// The draws that rank the Gaussian fit's candidates by ELBO.
    pub const GAUSSIAN_ELBO: Streams = block("Gaussian fit ELBO draws", 0xE1B0, 1);
    /// The preflight check's probe points (with its own fixed seed, not the run's).
    pub const PREFLIGHT: Streams = block("preflight probes", 0x0F11_9147, 1);
    /// The multimodal method's chain c.
    pub const MULTIMODAL_CHAIN: Streams = block("multimodal chain", 0x4A55_0000, 0x1_0000);
    /// The multimodal mode search's mass draws of mode k.
    pub const MULTIMODAL_MASS: Streams = block("multimodal mode mass", 0x4D41_0000, 0x1_0000);
    /// The multimodal tail probes of mode k.
    pub const MULTIMODAL_TAIL: Streams = block("multimodal tail probes", 0x5441_0000, 0x1_0000);
    /// The multimodal mode search's start i.
    pub const MULTIMODAL_START: Streams = block("multimodal start", 0x5747_0000, 0x1_0000);
    /// The variational fit's minibatch of step s.
    pub const VI_STEP: Streams = block("VI step", 0x7000_0000, 0x1000_0000);

    /// The sampling run's streams (one seed).
    pub const RUN: [Streams; 10] = [
        NUTS_CHAIN,
        FLOW_INIT,
        GAUSSIAN_START,
        GAUSSIAN_ELBO,
        PREFLIGHT,
        MULTIMODAL_CHAIN,
        MULTIMODAL_MASS,
        MULTIMODAL_TAIL,
        MULTIMODAL_START,
        VI_STEP,
    ];

    /// NPE's train/validation split.
    pub const NPE_SPLIT: Streams = block("NPE split", 1, 1);
    /// NPE's initial flow parameters.
    pub const NPE_INIT: Streams = block("NPE initialization", 2, 1);
    /// NPE's minibatch order of epoch e.
    pub const NPE_EPOCH: Streams = block("NPE epoch order", 1 << 20, 1 << 20);
    /// Simulation row j (prior draw and simulator).
    pub const NPE_SIMULATION: Streams = block("NPE simulation row", 1 << 40, 1 << 40);
    /// Posterior draw j of an estimator.
    pub const NPE_SAMPLE: Streams = block("NPE posterior draw", 1 << 41, 1 << 41);
    /// SBC's simulation i.
    pub const NPE_SBC: Streams = block("NPE SBC simulation", 1 << 42, 2 << 42);
    /// TARP's simulation i.
    pub const NPE_TARP: Streams = block("NPE TARP simulation", 3 << 42, 2 << 42);
    /// The PIT check's simulation i.
    pub const NPE_PIT: Streams = block("NPE PIT simulation", 5 << 42, 2 << 42);

    /// An ensemble's choice of member for mixture draw j.
    pub const NPE_ENSEMBLE: Streams = block("NPE ensemble member choice", 7 << 42, 1 << 42);

    /// The NPE streams (one NPE seed).
    pub const NPE: [Streams; 9] = [
        NPE_SPLIT,
        NPE_INIT,
        NPE_EPOCH,
        NPE_SIMULATION,
        NPE_SAMPLE,
        NPE_SBC,
        NPE_TARP,
        NPE_PIT,
        NPE_ENSEMBLE,
    ];

    #[cfg(test)]
    mod tests {
        use super::*;

        fn assert_disjoint(table: &[Streams]) {
            for (i, a) in table.iter().enumerate() {
                assert!(a.len >= 1, "{} is empty", a.role);
                assert!(a.first.checked_add(a.len).is_some(), "{} overflows", a.role);
                for b in &table[i + 1..] {
                    assert!(!a.overlaps(b), "{} and {} share stream ids", a.role, b.role);
                }
            }
        }

        #[test]
        fn each_table_reserves_disjoint_blocks() {
            assert_disjoint(&RUN);
            assert_disjoint(&NPE);
        }

        #[test]
        fn overlap_is_detected() {
            let a = block("a", 10, 5);
            assert!(a.overlaps(&block("b", 14, 1)));
            assert!(!a.overlaps(&block("c", 15, 3)));
            assert!(block("d", 0, 11).overlaps(&a));
        }

        #[test]
        #[should_panic(expected = "outside its block")]
        fn an_index_past_the_block_is_a_caller_bug() {
            FLOW_INIT.id(1);
        }
    }
}
