//! What makes two run folders shards of one run: the same model (code and data), the same flow,
//! the same sampling settings, seed and flowpost version ([`RunIdentity`], summary.json
//! `run.identity`), and disjoint chain numbers ([`ChainRange`], summary.json `run.chain_ids`).

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// A run's chains by their numbers in the whole run: 1-based, inclusive (`5..8` is chains 5, 6,
/// 7 and 8). A run made at once holds `1..num_chains`; a shard of a larger run holds part of it.
///
/// ```
/// use flowpost::shard::ChainRange;
/// let r: ChainRange = "5..8".parse().unwrap();
/// assert_eq!((r.first, r.last, r.len()), (5, 8, 4));
/// assert_eq!(r.to_string(), "5..8");
/// assert_eq!("3".parse::<ChainRange>().unwrap().len(), 1);
/// assert!("0..3".parse::<ChainRange>().unwrap_err().contains("start at 1"));
/// assert!("8..5".parse::<ChainRange>().is_err());
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ChainRange {
    /// First chain number (≥ 1).
    pub first: usize,
    /// Last chain number (≥ `first`).
    pub last: usize,
}

impl ChainRange {
    /// Chains `first..=last`; `None` unless `1 ≤ first ≤ last`.
    pub fn new(first: usize, last: usize) -> Option<ChainRange> {
        (first >= 1 && first <= last).then_some(ChainRange { first, last })
    }

    /// The chains of a run of `num_chains` chains whose first chain has index `first_chain`
    /// (0-based, as [`SampleSettings::first_chain`](crate::SampleSettings::first_chain)).
    pub fn of_run(first_chain: usize, num_chains: usize) -> ChainRange {
        ChainRange {
            first: first_chain + 1,
            last: first_chain + num_chains.max(1),
        }
    }

    /// Number of chains.
    pub fn len(&self) -> usize {
        self.last - self.first + 1
    }

    /// Never: a range holds at least one chain (here for the `len`/`is_empty` convention).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The chain numbers.
    pub fn ids(&self) -> std::ops::RangeInclusive<usize> {
        self.first..=self.last
    }

    /// The 0-based index of the first chain ([`SampleSettings::first_chain`](crate::SampleSettings::first_chain)).
    pub fn first_index(&self) -> usize {
        self.first - 1
    }
}

impl fmt::Display for ChainRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

impl FromStr for ChainRange {
    type Err = String;

    /// `A..B` (inclusive, as in `--chain-ids 5..8`) or a single `A`.
    fn from_str(s: &str) -> Result<Self, String> {
        let number = |t: &str| {
            t.trim().parse::<usize>().map_err(|_| {
                format!("chain ids are written A..B with whole numbers, e.g. 5..8 (got `{s}`)")
            })
        };
        let (first, last) = match s.split_once("..") {
            Some((a, b)) => (number(a)?, number(b.strip_prefix('=').unwrap_or(b))?),
            None => {
                let a = number(s)?;
                (a, a)
            }
        };
        if first == 0 {
            return Err(format!(
                "chain ids start at 1, as CmdStan's chain ids do (got `{s}`)"
            ));
        }
        if last < first {
            return Err(format!(
                "the last chain id is smaller than the first (got `{s}`; inclusive ranges are written A..B with A ≤ B)"
            ));
        }
        Ok(ChainRange { first, last })
    }
}

/// What a run is, beyond its draws: shards of one run agree on every field (summary.json
/// `run.identity`). `flowpost merge` compares them field by field.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunIdentity {
    /// The model's name.
    pub model: String,
    /// SHA-256 (hex) of the model: for a Stan program its source and data files
    /// ([`model_hash_stan`]), for a built-in model its name and dimension ([`model_hash_builtin`]);
    /// `null` when the caller did not say.
    pub model_hash: Option<String>,
    /// SHA-256 (hex) of the run's `flow.json` (`sha256sum flow.json` gives it too); `null`
    /// without a flow.
    pub flow_hash: Option<String>,
    /// The seed.
    pub seed: u64,
    /// The sampling settings that decide the draws ([`identity_settings`]).
    pub settings: serde_json::Value,
    /// The flowpost version that made the run.
    pub flowpost_version: String,
}

/// How a run's identity differs from a reference run's: one field and its two values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityDifference {
    /// What differs: `model`, `flow.json hash`, `seed`, a setting's path (`vi.max_steps`) or
    /// `flowpost version`.
    pub field: String,
    /// Its value in the reference run.
    pub reference: String,
    /// Its value in the other run.
    pub other: String,
}

impl RunIdentity {
    /// The first way `other` is not the same run as `self` (the reference); `None` when they
    /// agree. Model names alone may differ (a Stan file copied under another name is the same
    /// model).
    ///
    /// ```
    /// use flowpost::shard::RunIdentity;
    /// let a = RunIdentity {
    ///     model: "m".into(), model_hash: Some("aa".into()), flow_hash: None, seed: 1,
    ///     settings: serde_json::json!({"num_draws": 100, "vi": {"max_steps": 10}}),
    ///     flowpost_version: "0.1.0".into(),
    /// };
    /// let mut b = a.clone();
    /// assert_eq!(a.difference(&b), None);
    /// b.settings["vi"]["max_steps"] = 20.into();
    /// let d = a.difference(&b).unwrap();
    /// assert_eq!((d.field.as_str(), d.reference.as_str(), d.other.as_str()), ("vi.max_steps", "10", "20"));
    /// ```
    pub fn difference(&self, other: &RunIdentity) -> Option<IdentityDifference> {
        let diff = |field: &str, reference: String, other: String| {
            Some(IdentityDifference {
                field: field.into(),
                reference,
                other,
            })
        };
        let short = |h: &Option<String>| match h {
            Some(h) => h.chars().take(12).collect::<String>(),
            None => "none (no flow)".into(),
        };
        if self.model_hash != other.model_hash {
            let model = |i: &RunIdentity| format!("{} (hash {})", i.model, short(&i.model_hash));
            return diff("model", model(self), model(other));
        }
        if self.flow_hash != other.flow_hash {
            return diff(
                "flow.json hash",
                short(&self.flow_hash),
                short(&other.flow_hash),
            );
        }
        if self.seed != other.seed {
            return diff("seed", self.seed.to_string(), other.seed.to_string());
        }
        if let Some(d) = value_difference("", &self.settings, &other.settings) {
            return Some(d);
        }
        if self.flowpost_version != other.flowpost_version {
            return diff(
                "flowpost version",
                self.flowpost_version.clone(),
                other.flowpost_version.clone(),
            );
        }
        None
    }
}

/// The first differing entry of two JSON values.
fn value_difference(
    path: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
) -> Option<IdentityDifference> {
    use serde_json::Value;
    if let (Value::Object(x), Value::Object(y)) = (a, b) {
        let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let sub = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let (va, vb) = (
                x.get(k).unwrap_or(&Value::Null),
                y.get(k).unwrap_or(&Value::Null),
            );
            if let Some(d) = value_difference(&sub, va, vb) {
                return Some(d);
            }
        }
        return None;
    }
    (a != b).then(|| IdentityDifference {
        field: path.to_string(),
        reference: a.to_string(),
        other: b.to_string(),
    })
}

/// The settings of a run that decide its draws, for [`RunIdentity::settings`]: every field of
/// [`SampleSettings`](crate::SampleSettings) but those a shard may choose for itself
/// (`num_chains`, `first_chain`), those that do not change the draws (`preflight`) and the seed
/// (kept apart); plus `save_warmup`, which changes what the chain files hold. A warm start is
/// kept as the SHA-256 of its JSON (`"sha256:…"`), not its numbers.
pub fn identity_settings(settings: &crate::SampleSettings, save_warmup: bool) -> serde_json::Value {
    let mut v = serde_json::to_value(settings).expect("settings serialize");
    if let Some(map) = v.as_object_mut() {
        for k in ["num_chains", "first_chain", "preflight", "seed"] {
            map.remove(k);
        }
        map.insert("save_warmup".into(), save_warmup.into());
        // A warm start holds every chain's metric and position: its hash identifies it.
        if let Some(warm) = map.get_mut("warm_start") {
            let text = serde_json::to_string(warm).expect("a warm start serializes");
            *warm = format!("sha256:{}", sha256_hex(text.as_bytes())).into();
        }
    }
    v
}

/// SHA-256 of `bytes`, as lowercase hex (what `sha256sum` prints).
///
/// ```
/// assert_eq!(
///     flowpost::shard::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 over length-prefixed parts (so `["ab", "c"]` and `["a", "bc"]` differ), as hex.
fn sha256_parts(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The model hash of a built-in model: its name, dimension and parameter names (its data are
/// part of flowpost, whose version [`RunIdentity`] holds apart).
pub fn model_hash_builtin(name: &str, dim: usize, param_names: &[String]) -> String {
    sha256_parts(&[
        b"flowpost built-in model",
        name.as_bytes(),
        &(dim as u64).to_le_bytes(),
        param_names.join(",").as_bytes(),
    ])
}

/// The model hash of a Stan program: its source and its data file (`None`: no data), byte for
/// byte, and its parameter names.
pub fn model_hash_stan(source: &[u8], data: Option<&[u8]>, param_names: &[String]) -> String {
    sha256_parts(&[
        b"stan program",
        source,
        if data.is_some() { b"data" } else { b"no data" },
        data.unwrap_or_default(),
        param_names.join(",").as_bytes(),
    ])
}
