//! Errors of the NPE module: every variant names what is wrong (file, line, dimension).

/// Everything that can go wrong reading tables, training, sampling or loading an estimator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpeError {
    /// A vector has the wrong length.
    #[error("{what}: expected dimension {expected}, got {got}")]
    Dimension {
        /// What was checked.
        what: String,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A table (CSV) could not be parsed.
    #[error("{file}: line {line}: {reason}")]
    Table {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// θ and x tables do not pair up.
    #[error("θ has {theta_rows} rows but x has {x_rows}: rows must pair up")]
    RowMismatch {
        /// Rows of θ.
        theta_rows: usize,
        /// Rows of x.
        x_rows: usize,
    },
    /// A setting is out of range.
    #[error("invalid setting `{field}`: {reason}")]
    Settings {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Too few usable simulations after dropping non-finite ones.
    #[error(
        "only {num_usable} usable simulations ({num_dropped} dropped as non-finite); need at least {needed}"
    )]
    TooFewSimulations {
        /// Finite rows.
        num_usable: usize,
        /// Dropped rows.
        num_dropped: usize,
        /// Minimum.
        needed: usize,
    },
    /// A prior is malformed.
    #[error("invalid prior: {reason}")]
    Prior {
        /// Why.
        reason: String,
    },
    /// A prior spec file that cannot be used (unknown family, missing or invalid field).
    #[error("prior spec {path}: {reason}")]
    PriorFile {
        /// The file.
        path: String,
        /// What is wrong, naming the parameter.
        reason: String,
    },
    /// A training θ outside the declared support.
    #[error(
        "simulation {row}: {parameter} = {value} lies outside its declared support {support}; the prior's support must contain every training θ (strictly inside a bound)"
    )]
    OutsideSupport {
        /// 1-based row among the simulations given.
        row: usize,
        /// The parameter (name or 1-based index).
        parameter: String,
        /// Its value.
        value: f64,
        /// The support, e.g. `(0, ∞)`.
        support: String,
    },
    /// An x column that a preprocessing step cannot take (log1p of a value ≤ −1).
    #[error("simulation {row}: x column {column} = {value}: {reason}")]
    Preprocessing {
        /// 1-based row.
        row: usize,
        /// 1-based column.
        column: usize,
        /// The value.
        value: f64,
        /// Why.
        reason: String,
    },
    /// An observation x_o that the x preprocessing cannot take.
    #[error("observation x_o: column {column} = {value}: {reason}")]
    ObservationPreprocessing {
        /// 1-based column.
        column: usize,
        /// The value.
        value: f64,
        /// Why.
        reason: String,
    },
    /// An unknown built-in task.
    #[error(
        "unknown task `{name}`; known tasks: two_moons, gaussian_linear, gaussian_linear_uniform, slcp, bernoulli_glm"
    )]
    UnknownTask {
        /// The name given.
        name: String,
    },
    /// An observation index out of range.
    #[error("observation {index} out of range: the task has observations 1..={count}")]
    Observation {
        /// Given index.
        index: usize,
        /// Number available.
        count: usize,
    },
    /// A non-finite value where finite numbers are required.
    #[error("{what} holds a non-finite value at index {index}")]
    NonFinite {
        /// What was checked.
        what: String,
        /// 0-based index.
        index: usize,
    },
    /// Rejection sampling within the prior support accepted too few draws.
    #[error(
        "leakage correction accepted {num_accepted} of {num_drawn} draws ({rate:.2e}); the estimator puts almost no mass inside the prior support"
    )]
    Leakage {
        /// Accepted draws.
        num_accepted: usize,
        /// Total draws.
        num_drawn: usize,
        /// Acceptance rate.
        rate: f64,
    },
    /// An estimator file is unreadable, truncated, corrupt or of another format/version.
    #[error("estimator file {path}: {reason}")]
    EstimatorFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A shard of sharded simulations that does not fit with the others.
    #[error("{path}: {reason}")]
    Shard {
        /// The shard's file (or folder).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A flow architecture that cannot be built.
    #[error(transparent)]
    Spec(#[from] crate::bijection::SpecError),
}

pub(crate) fn dim_check(what: &str, expected: usize, got: usize) -> Result<(), NpeError> {
    if expected == got {
        Ok(())
    } else {
        Err(NpeError::Dimension {
            what: what.to_string(),
            expected,
            got,
        })
    }
}

pub(crate) fn finite_check(what: &str, v: &[f64]) -> Result<(), NpeError> {
    match v.iter().position(|a| !a.is_finite()) {
        None => Ok(()),
        Some(index) => Err(NpeError::NonFinite {
            what: what.to_string(),
            index,
        }),
    }
}
