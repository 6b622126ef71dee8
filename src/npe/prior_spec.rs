//! The JSON prior spec of the command line ([`IndependentPrior::from_json`]): one entry per θ
//! column, `{"parameters": [{"family": "log_normal", "mu": 0, "sigma": 1, "name": "k"}, ...]}`
//! (`name` optional), or `{"box": {"lower": [...], "upper": [...]}}` (independent uniforms), or
//! the older bounds file `{"lower": [...], "upper": [...]}`. Errors name the source, the
//! parameter (1-based index and name) and the family; an unknown family is named as such, not
//! reported as a deserializer's message. [`IndependentPrior::to_spec`] writes the `parameters`
//! form back (names included), which [`IndependentPrior::from_json`] reads to the same prior.

use super::marginal::FAMILIES;
use super::{Bounds, IndependentPrior, Marginal, NpeError};

impl IndependentPrior {
    /// Parses a prior spec; `origin` names the source in errors. The spec is
    /// `{"parameters": [{"family": "log_normal", "mu": 0, "sigma": 1, "name": "k"}, ...]}` with
    /// one entry per θ column (`name` optional; families and their fields as in [`Marginal`]:
    /// `uniform` lower/upper, `normal` mean/sd, `log_normal` mu/sigma, `gamma` shape/rate,
    /// `beta` alpha/beta, `half_normal` sd), or `{"box": {"lower": [...], "upper": [...]}}`
    /// (independent uniforms), or the older bounds file `{"lower": [...], "upper": [...]}`.
    ///
    /// ```
    /// use flowpost::npe::IndependentPrior;
    /// let err = IndependentPrior::from_json(r#"{"parameters": [{"family": "lognormal"}]}"#, "p.json")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("unknown family `lognormal`"));
    /// ```
    pub fn from_json(text: &str, origin: &str) -> Result<Self, NpeError> {
        let fail = |reason: String| NpeError::PriorFile {
            path: origin.to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| fail(format!("not valid JSON ({e})")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| fail("expected a JSON object".into()))?;
        let boxed = match (obj.get("parameters"), obj.get("box")) {
            (Some(p), None) if obj.len() == 1 => return parse_parameters(p, &fail),
            (None, Some(b)) if obj.len() == 1 => b.clone(),
            (None, None) if obj.contains_key("lower") => value.clone(),
            _ => {
                return Err(fail(
                    "expected {\"parameters\": [...]}, {\"box\": {\"lower\": [...], \"upper\": [...]}} or {\"lower\": [...], \"upper\": [...]}".into(),
                ));
            }
        };
        let b: Bounds = serde_json::from_value(boxed)
            .map_err(|e| fail(format!("box needs `lower` and `upper` arrays ({e})")))?;
        b.validate().map_err(|e| fail(e.to_string()))?;
        let marginals = b
            .lower
            .iter()
            .zip(&b.upper)
            .map(|(&lower, &upper)| Marginal::Uniform { lower, upper })
            .collect();
        IndependentPrior::new(marginals).map_err(|e| fail(e.to_string()))
    }

    /// The prior as a spec in the `parameters` form, names included: what
    /// [`from_json`](Self::from_json) reads back to an equal prior (f64 values bit for bit).
    ///
    /// ```
    /// use flowpost::npe::{IndependentPrior, Marginal};
    /// let p = IndependentPrior::with_names(
    ///     vec![Marginal::Gamma { shape: 2.0, rate: 0.1 }, Marginal::Uniform { lower: -1.0, upper: 3.0 }],
    ///     vec!["k".into(), "b".into()],
    /// ).unwrap();
    /// let text = p.to_spec().to_string();
    /// assert_eq!(IndependentPrior::from_json(&text, "spec").unwrap(), p);
    /// ```
    pub fn to_spec(&self) -> serde_json::Value {
        let parameters: Vec<serde_json::Value> = self
            .marginals()
            .iter()
            .zip(self.names())
            .map(|(m, name)| {
                let mut v = serde_json::to_value(m).expect("a marginal serializes");
                v["name"] = serde_json::Value::String(name.clone());
                v
            })
            .collect();
        serde_json::json!({ "parameters": parameters })
    }

    /// Reads a prior spec file.
    pub fn load(path: &std::path::Path) -> Result<Self, NpeError> {
        Self::from_json(&super::io::read_text(path)?, &path.display().to_string())
    }
}

/// The `parameters` array of a spec: one object per parameter, its family checked first so an
/// unknown one is named as such.
fn parse_parameters(
    p: &serde_json::Value,
    fail: &dyn Fn(String) -> NpeError,
) -> Result<IndependentPrior, NpeError> {
    let list = p
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| fail("`parameters` must be a non-empty array".into()))?;
    let (mut marginals, mut names) = (Vec::new(), Vec::new());
    for (i, entry) in list.iter().enumerate() {
        let mut entry = entry.clone();
        let obj = entry
            .as_object_mut()
            .ok_or_else(|| fail(format!("parameter {}: expected an object", i + 1)))?;
        let name = match obj.remove("name") {
            None => format!("parameter_{}", i + 1),
            Some(serde_json::Value::String(s)) => s,
            Some(_) => {
                return Err(fail(format!(
                    "parameter {}: `name` must be a string",
                    i + 1
                )));
            }
        };
        let at = format!("parameter {} (`{name}`)", i + 1);
        let family = obj
            .get("family")
            .and_then(|f| f.as_str())
            .map(str::to_string);
        let Some(family) = family else {
            return Err(fail(format!("{at}: missing `family` (one of {FAMILIES})")));
        };
        if !FAMILIES.split(", ").any(|f| f == family) {
            return Err(fail(format!(
                "{at}: unknown family `{family}`; expected one of {FAMILIES}"
            )));
        }
        let m: Marginal = serde_json::from_value(entry)
            .map_err(|e| fail(format!("{at}: family `{family}`: {e}")))?;
        m.validate()
            .map_err(|r| fail(format!("{at}: family `{family}`: {r}")))?;
        marginals.push(m);
        names.push(name);
    }
    IndependentPrior::with_names(marginals, names).map_err(|e| fail(e.to_string()))
}
