//! Initial values from JSON as CmdStan reads them: an object of parameter values by variable
//! name, a scalar as a number, a vector as an array, a matrix or array of arrays as nested
//! arrays, row first (`"Sigma": [[1, 0.5], [0.5, 1]]` gives `Sigma[1,2] = 0.5`). Each variable
//! is checked against the model's names (flowpost's bracket names, e.g. `theta[3]`): unknown
//! names, wrong shapes, non-numbers and non-finite values are errors naming the file and the
//! variable; variables left out are drawn as by default.

use super::Init;
use crate::io::json_object::{ObjectError, entries};
use serde_json::Value;
use std::collections::BTreeMap;

/// A variable of the model: its flat names' positions by index tuple, and its shape.
struct Variable {
    /// (1-based indices, position in the reported values).
    entries: Vec<(Vec<usize>, usize)>,
    shape: Vec<usize>,
}

/// `theta[2,3]` → (`theta`, [2, 3]); a name without numeric indices is its own scalar.
fn split_name(name: &str) -> (&str, Vec<usize>) {
    if let Some(open) = name.find('[')
        && let Some(inner) = name[open + 1..].strip_suffix(']')
    {
        let idx: Option<Vec<usize>> = inner.split(',').map(|s| s.trim().parse().ok()).collect();
        if let Some(idx) = idx
            && idx.iter().all(|&i| i >= 1)
        {
            return (&name[..open], idx);
        }
    }
    (name, vec![])
}

fn variables(names: &[String]) -> BTreeMap<&str, Variable> {
    let mut vars: BTreeMap<&str, Variable> = BTreeMap::new();
    for (k, name) in names.iter().enumerate() {
        let (base, idx) = split_name(name);
        let v = vars.entry(base).or_insert(Variable {
            entries: vec![],
            shape: vec![0; idx.len()],
        });
        if v.shape.len() == idx.len() {
            for (s, i) in v.shape.iter_mut().zip(&idx) {
                *s = (*s).max(*i);
            }
        }
        v.entries.push((idx, k));
    }
    vars
}

/// `mu, tau, theta (8 values)`: the variables of a list of reported names.
pub(crate) fn summarize(names: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for name in names {
        let (base, _) = split_name(name);
        match seen.iter_mut().find(|(b, _)| *b == base) {
            Some((_, n)) => *n += 1,
            None => seen.push((base, 1)),
        }
    }
    seen.iter()
        .map(|(b, n)| match n {
            1 => b.to_string(),
            n => format!("{b} ({n} values)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses CmdStan-style init JSON for a model whose reported values are `names`, the first
/// `num_parameters` of them its parameters; `origin` names the file in errors.
///
/// ```
/// use flowpost::init::{Init, from_json};
/// let names: Vec<String> = ["mu", "tau", "theta[1]", "theta[2]"].map(String::from).to_vec();
/// let init = from_json(r#"{"tau": 2, "theta": [0.5, -1]}"#, "init.json", &names, 4).unwrap();
/// assert_eq!(init, Init::Values(vec![
///     ("tau".into(), 2.0), ("theta[1]".into(), 0.5), ("theta[2]".into(), -1.0),
/// ]));
/// let e = from_json(r#"{"theta": [1, 2, 3]}"#, "init.json", &names, 4).unwrap_err();
/// assert!(e.to_string().starts_with("init.json: `theta`"), "{e}");
/// ```
pub fn from_json(
    text: &str,
    origin: &str,
    names: &[String],
    num_parameters: usize,
) -> Result<Init, crate::Error> {
    let fail = |reason: String| crate::Error::File {
        path: origin.into(),
        reason,
    };
    let map = entries(text).map_err(|e| match e {
        ObjectError::Syntax(e) => fail(format!("not valid JSON: {e}")),
        ObjectError::NotAnObject => fail(
            "expected an object of parameter values by name, e.g. {\"mu\": 1, \"theta\": [0.5, 1]}"
                .into(),
        ),
    })?;
    let num_parameters = num_parameters.min(names.len());
    let params = variables(&names[..num_parameters]);
    let derived = variables(&names[num_parameters..]);
    let mut values = Vec::new();
    for (i, (key, value)) in map.iter().enumerate() {
        if map[..i].iter().any(|(k, _)| k == key) {
            return Err(fail(format!("`{key}` is given twice")));
        }
        let Some(var) = params.get(key.as_str()) else {
            if derived.contains_key(key.as_str()) {
                return Err(fail(format!(
                    "`{key}` is a transformed parameter or generated quantity; initial values are for the parameters: {}",
                    summarize(&names[..num_parameters])
                )));
            }
            let hint = closest(key, params.keys().copied())
                .map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
            return Err(fail(format!(
                "`{key}` is not a parameter of the model{hint}; its parameters are: {}",
                summarize(&names[..num_parameters])
            )));
        };
        let mut flat = Vec::new();
        flatten(key, value, &var.shape, &var.shape, &mut vec![], &mut flat).map_err(fail)?;
        for (idx, v) in flat {
            match var.entries.iter().find(|(i, _)| *i == idx) {
                Some((_, k)) => values.push((names[*k].clone(), v)),
                None => {
                    return Err(fail(format!(
                        "`{key}` has no element at index {idx:?} in the model"
                    )));
                }
            }
        }
    }
    let init = Init::Values(values);
    init.validate().map_err(|e| fail(e.to_string()))?;
    Ok(init)
}

/// The values of `value` (shaped `shape`, the rest of the variable's shape `full`, nested
/// row first) with their 1-based indices.
fn flatten(
    name: &str,
    value: &Value,
    full: &[usize],
    shape: &[usize],
    at: &mut Vec<usize>,
    out: &mut Vec<(Vec<usize>, f64)>,
) -> Result<(), String> {
    let here = || {
        if at.is_empty() {
            format!("`{name}`")
        } else {
            let i: Vec<String> = at.iter().map(|i| i.to_string()).collect();
            format!("`{name}[{}]`", i.join(","))
        }
    };
    let Some((&n, rest)) = shape.split_first() else {
        let v = match value {
            Value::Number(x) => x
                .as_f64()
                .ok_or_else(|| format!("{}: {x} is not a number", here()))?,
            Value::String(s)
                if ["nan", "inf", "-inf", "+inf", "infinity", "-infinity"]
                    .contains(&s.to_ascii_lowercase().as_str()) =>
            {
                return Err(format!("{} = {s}: initial values must be finite", here()));
            }
            other => {
                return Err(format!(
                    "{}: expected a number, got {}",
                    here(),
                    kind(other)
                ));
            }
        };
        if !v.is_finite() {
            return Err(format!("{} = {v}: initial values must be finite", here()));
        }
        out.push((at.clone(), v));
        return Ok(());
    };
    let dims: Vec<String> = full.iter().map(|d| d.to_string()).collect();
    let Value::Array(items) = value else {
        let whole = match full {
            [len] => format!("has {len} entries"),
            _ => format!("is {}, as nested arrays row first", dims.join(" × ")),
        };
        return Err(format!(
            "{}: expected an array of {n} (the model's {name} {whole}), got {}",
            here(),
            kind(value)
        ));
    };
    if items.len() != n {
        return Err(format!(
            "{}: {} entries where the model's {name} ({}) has {n}",
            here(),
            items.len(),
            dims.join(" × ")
        ));
    }
    for (i, item) in items.iter().enumerate() {
        at.push(i + 1);
        flatten(name, item, full, rest, at, out)?;
        at.pop();
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A known name within a third of `key`'s length in edits (case-insensitive), if any.
fn closest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = key.to_lowercase();
    known
        .map(|k| (k, edit_distance(&lower, &k.to_lowercase())))
        .filter(|(_, d)| *d <= (key.chars().count() / 3).max(1))
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

/// Edit distance counting a swap of neighbours as one edit (`tua` → `tau`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
