//! Stan's flat parameter names (`theta.1`, `Sigma.2.3`) in flowpost's style (`theta[1]`,
//! `Sigma[2,3]`), the style posteriordb's reference draws use.

/// Converts one of Stan's flat names to bracket style.
///
/// Indices are 1-based and kept in Stan's order (so a matrix `Sigma` gives `Sigma[2,3]` for row
/// 2, column 3). Tuple slots, which Stan separates with `:`, are converted segment by segment.
///
/// ```
/// use flowpost::stan::bracket_name;
/// assert_eq!(bracket_name("mu"), "mu");
/// assert_eq!(bracket_name("theta.1"), "theta[1]");
/// assert_eq!(bracket_name("Sigma.2.3"), "Sigma[2,3]");
/// assert_eq!(bracket_name("pair.2:1.4"), "pair[2]:1[4]");
/// ```
pub fn bracket_name(stan_name: &str) -> String {
    stan_name
        .split(':')
        .map(bracket_segment)
        .collect::<Vec<_>>()
        .join(":")
}

fn bracket_segment(segment: &str) -> String {
    let mut parts = segment.split('.');
    let base = parts.next().unwrap_or_default();
    let indices: Vec<&str> = parts.collect();
    let numeric = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if indices.is_empty() || !indices.iter().all(numeric) {
        return segment.to_string();
    }
    format!("{base}[{}]", indices.join(","))
}

#[cfg(test)]
mod tests {
    use super::bracket_name;

    #[test]
    fn converts_scalars_vectors_matrices_arrays_and_tuples() {
        assert_eq!(bracket_name("tau"), "tau");
        assert_eq!(bracket_name("b.24"), "b[24]");
        assert_eq!(bracket_name("L_Omega.3.1"), "L_Omega[3,1]");
        assert_eq!(bracket_name("a.1.2.3"), "a[1,2,3]");
        assert_eq!(bracket_name("t:2"), "t:2");
        assert_eq!(bracket_name("t.3:1.2"), "t[3]:1[2]");
    }

    #[test]
    fn leaves_non_index_dots_alone() {
        assert_eq!(bracket_name("odd.name"), "odd.name");
        assert_eq!(bracket_name("x."), "x.");
    }
}
