//! Stan-style parameter names (`mu`, `theta[1]` … `theta[8]`, `Sigma[1,2]`) grouped into ArviZ
//! variables (`mu`; `theta` with dimension `theta_dim_0`; `Sigma` with `Sigma_dim_0`,
//! `Sigma_dim_1`), as `arviz.from_cmdstanpy` names them: 0-based coordinates, C order.

/// One ArviZ variable: its name, its shape beyond (chain, draw), and for each element (C order)
/// the column of the draws that holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Variable {
    /// The variable's name (`theta`).
    pub name: String,
    /// Its shape beyond (chain, draw); empty for a scalar.
    pub shape: Vec<usize>,
    /// `columns[k]` is the parameter index of the k-th element in C order.
    pub columns: Vec<usize>,
}

impl Variable {
    /// The names of its dimensions beyond (chain, draw): `theta_dim_0`, …
    pub fn dims(&self) -> Vec<String> {
        (0..self.shape.len())
            .map(|k| format!("{}_dim_{k}", self.name))
            .collect()
    }
}

/// `theta[1,2]` → (`theta`, [1, 2]); a name without a well-formed 1-based index → (name, None).
fn split(name: &str) -> (&str, Option<Vec<usize>>) {
    let Some(inner) = name.strip_suffix(']') else {
        return (name, None);
    };
    let Some((base, idx)) = inner.split_once('[') else {
        return (name, None);
    };
    let parsed: Option<Vec<usize>> = idx
        .split(',')
        .map(|s| s.trim().parse::<usize>().ok().filter(|&i| i >= 1))
        .collect();
    match parsed {
        Some(i) if !base.is_empty() && !base.contains(['[', ']']) => (base, Some(i)),
        _ => (name, None),
    }
}

/// A parameter of a block: its column and its 1-based indices (`None`: not indexed).
type Member = (usize, Option<Vec<usize>>);

/// The variables of these parameter names, in the order of their first parameter. A block of
/// indexed names forms one array when its indices fill a box exactly (every element once,
/// same rank); otherwise (a gap, a repeat, a scalar of the same base name) each of its names
/// is kept as a scalar variable under its full name, so that no draw is lost.
pub(crate) fn variables(names: &[String]) -> Vec<Variable> {
    let mut order: Vec<&str> = Vec::new();
    let mut members: std::collections::HashMap<&str, Vec<Member>> = Default::default();
    for (col, name) in names.iter().enumerate() {
        let (base, idx) = split(name);
        let entry = members.entry(base).or_default();
        if entry.is_empty() {
            order.push(base);
        }
        entry.push((col, idx));
    }
    let mut out = Vec::new();
    for base in order {
        let block = &members[base];
        match as_array(base, block) {
            Some(v) => out.push(v),
            None => out.extend(block.iter().map(|(col, _)| Variable {
                name: names[*col].clone(),
                shape: Vec::new(),
                columns: vec![*col],
            })),
        }
    }
    out
}

/// The block as one variable, if it is a scalar alone or indices that fill a box.
fn as_array(base: &str, block: &[Member]) -> Option<Variable> {
    if let [(col, None)] = block {
        return Some(Variable {
            name: base.to_string(),
            shape: Vec::new(),
            columns: vec![*col],
        });
    }
    let rank = block[0].1.as_ref()?.len();
    let mut shape = vec![0usize; rank];
    for (_, idx) in block {
        let idx = idx.as_ref().filter(|i| i.len() == rank)?;
        for (s, &i) in shape.iter_mut().zip(idx) {
            *s = (*s).max(i);
        }
    }
    let size: usize = shape.iter().product();
    if size != block.len() {
        return None;
    }
    let mut columns = vec![usize::MAX; size];
    for (col, idx) in block {
        let flat = idx
            .as_ref()?
            .iter()
            .zip(&shape)
            .fold(0, |acc, (&i, &n)| acc * n + (i - 1));
        if columns[flat] != usize::MAX {
            return None;
        }
        columns[flat] = *col;
    }
    Some(Variable {
        name: base.to_string(),
        shape,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scalars_vectors_and_matrices_in_stan_order() {
        // CmdStan writes matrices column-major: S[1,1], S[2,1], S[1,2], S[2,2].
        let v = variables(&names(&[
            "mu", "theta[1]", "theta[2]", "theta[3]", "S[1,1]", "S[2,1]", "S[1,2]", "S[2,2]",
        ]));
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].name.as_str(), v[0].columns.clone()), ("mu", vec![0]));
        assert_eq!(v[1].shape, vec![3]);
        assert_eq!(v[1].columns, vec![1, 2, 3]);
        assert_eq!(v[1].dims(), vec!["theta_dim_0"]);
        assert_eq!(v[2].shape, vec![2, 2]);
        // C order: S[1,1], S[1,2], S[2,1], S[2,2].
        assert_eq!(v[2].columns, vec![4, 6, 5, 7]);
        assert_eq!(v[2].dims(), vec!["S_dim_0", "S_dim_1"]);
    }

    #[test]
    fn blocks_that_are_not_a_box_stay_scalars() {
        let v = variables(&names(&[
            "x[1]", "x[3]", "y", "y[1]", "z[0]", "w[1]", "w[1]",
        ]));
        let got: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(got, ["x[1]", "x[3]", "y", "y[1]", "z[0]", "w[1]", "w[1]"]);
        assert!(v.iter().all(|v| v.shape.is_empty()));
        let cols: Vec<usize> = v.iter().map(|v| v.columns[0]).collect();
        assert_eq!(cols, [0, 1, 2, 3, 4, 5, 6]);
    }
}
