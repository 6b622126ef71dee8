//! Why shards could not be merged; every message names the shard folder concerned.

use std::path::PathBuf;

/// What stopped [`merge_shards`](super::merge_shards).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No shard folder was given.
    #[error("no shard folders given")]
    NoShards,
    /// A shard folder cannot be read as a shard (missing or damaged files, no identity).
    #[error("shard {}: {reason}", dir.display())]
    Unreadable {
        /// The shard folder.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A shard is of another run than the others: another model, flow, settings, seed or
    /// flowpost version.
    #[error(
        "shard {} is not part of the same run as {}: {} is {} in {} but {} in {}{}",
        dir.display(), reference.display(), difference.field, difference.other, dir.display(),
        difference.reference, reference.display(), hint(&difference.field)
    )]
    NotSameRun {
        /// The shard that differs.
        dir: PathBuf,
        /// A shard of the run the others agree on.
        reference: PathBuf,
        /// The first difference (`other`: this shard's value).
        difference: super::IdentityDifference,
    },
    /// Two shards hold the same chain (or one folder is given twice).
    #[error("shards {} and {} both hold chain {chain}{}; each chain must come from exactly one shard", other.display(), dir.display(), if *same_folder { " (the same folder given twice)" } else { "" })]
    DuplicateChain {
        /// The later shard.
        dir: PathBuf,
        /// The shard holding the chain already.
        other: PathBuf,
        /// The chain's number.
        chain: usize,
        /// Whether the two are one folder.
        same_folder: bool,
    },
    /// Chains of the run are in no shard.
    #[error("chains {missing} are missing: {detail}")]
    MissingChains {
        /// The missing chain numbers (`5..8`).
        missing: String,
        /// Which shards surround the gap, or the bound that was expected.
        detail: String,
    },
    /// A setting of the merge is invalid (e.g. an unknown `pair_params` name).
    #[error("{0}")]
    Settings(String),
    /// Writing the merged folder failed.
    #[error("{}: {reason}", path.display())]
    Output {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// What to do about a difference, for the fields where it is not obvious.
fn hint(field: &str) -> &'static str {
    match field {
        "flow.json hash" => {
            " (shards must share one trained flow: give every shard the same --flow file)"
        }
        "model" => " (shards must sample the same model with the same data)",
        _ => "",
    }
}
