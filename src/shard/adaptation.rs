//! The merged run's `adaptation.json`: the shards' chain adaptations, in chain order, so a
//! merged run can be warm-started like a run made on one machine. A shard without one (written
//! by an older flowpost) leaves the merged run without one.

use super::{MergeError, ShardInfo};
use crate::io::adaptation_file::{self, FILE_NAME, StoredAdaptation};

/// The shards' adaptations joined (`shards` sorted by their first chain), or `None` when a
/// shard has none.
pub(super) fn merged_adaptation(
    shards: &[ShardInfo],
) -> Result<Option<StoredAdaptation>, MergeError> {
    let mut merged: Option<StoredAdaptation> = None;
    for s in shards {
        let path = s.dir.join(FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        let stored = adaptation_file::load(&path).map_err(|e| MergeError::Unreadable {
            dir: s.dir.clone(),
            reason: e.to_string(),
        })?;
        match &mut merged {
            None => merged = Some(stored),
            Some(m) => {
                if (&m.model_hash, &m.flow_hash, m.coordinates, m.metric)
                    != (
                        &stored.model_hash,
                        &stored.flow_hash,
                        stored.coordinates,
                        stored.metric,
                    )
                {
                    return Err(MergeError::Unreadable {
                        dir: s.dir.clone(),
                        reason: format!(
                            "its {FILE_NAME} belongs to another model, flow or metric than the first shard's"
                        ),
                    });
                }
                m.warm_start.chains.extend(stored.warm_start.chains);
            }
        }
    }
    Ok(merged)
}
