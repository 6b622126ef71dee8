//! A flat `chains × draws` matrix and the chain-splitting used by every split diagnostic.

/// Row-major matrix: one row per chain.
#[derive(Debug, Clone)]
pub(crate) struct Matrix {
    pub data: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
}

impl Matrix {
    /// Copies `chains × draws` input; panics when chains differ in length (a caller bug).
    #[track_caller]
    pub fn from_chains<C: AsRef<[f64]>>(chains: &[C]) -> Matrix {
        let cols = chains.first().map_or(0, |c| c.as_ref().len());
        let mut data = Vec::with_capacity(cols * chains.len());
        for (i, c) in chains.iter().enumerate() {
            let c = c.as_ref();
            assert!(
                c.len() == cols,
                "chain {i} has {} draws, chain 0 has {cols}: all chains must have equal length",
                c.len()
            );
            data.extend_from_slice(c);
        }
        Matrix {
            data,
            rows: chains.len(),
            cols,
        }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn has_nan(&self) -> bool {
        self.data.iter().any(|v| v.is_nan())
    }

    /// ArviZ's shape check: at least `min_chains` chains of at least `min_draws` draws, no NaN.
    pub fn valid(&self, min_chains: usize, min_draws: usize) -> bool {
        self.rows >= min_chains.max(1) && self.cols >= min_draws && !self.has_nan()
    }

    /// Splits every chain in two halves (dropping the middle draw of odd-length chains) and stacks
    /// all first halves, then all second halves, as ArviZ's `_split_chains` does.
    pub fn split(&self) -> Matrix {
        let half = self.cols / 2;
        let mut data = Vec::with_capacity(2 * self.rows * half);
        for r in 0..self.rows {
            data.extend_from_slice(&self.row(r)[..half]);
        }
        for r in 0..self.rows {
            data.extend_from_slice(&self.row(r)[self.cols - half..]);
        }
        Matrix {
            data,
            rows: 2 * self.rows,
            cols: half,
        }
    }

    /// Elementwise map, same shape.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Matrix {
        Matrix {
            data: self.data.iter().map(|&v| f(v)).collect(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Mean over all entries.
    pub fn mean(&self) -> f64 {
        mean(&self.data)
    }
}

/// Arithmetic mean (NaN for an empty slice).
pub(crate) fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Two-pass variance with `ddof` degrees of freedom removed (numpy's `np.var(x, ddof=...)`).
pub(crate) fn var(x: &[f64], ddof: usize) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof as f64)
}

/// Python's builtin `max(a, b)`: returns `a` unless `b > a` (so a NaN `a` wins, a NaN `b` loses).
pub(crate) fn py_max(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Python's builtin `min(a, b)`: returns `a` unless `b < a`.
pub(crate) fn py_min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}
