//! Small log-density pieces shared by the models (constants dropped, as Stan's `~` does).

/// Stan-style names `name[1]`, …, `name[n]`.
pub(crate) fn indexed(name: &str, n: usize) -> impl Iterator<Item = String> + '_ {
    (1..=n).map(move |i| format!("{name}[{i}]"))
}

/// `normal_lpdf(x | m, s)` without constants in `s`: `(−(x − m)²/(2s²), d/dx)`.
pub(crate) fn normal(x: f64, m: f64, s: f64) -> (f64, f64) {
    let z = (x - m) / s;
    (-0.5 * z * z, -z / s)
}

/// `cauchy_lpdf(x | 0, s)` up to a constant: `(−log(1 + (x/s)²), d/dx)`.
pub(crate) fn cauchy0(x: f64, s: f64) -> (f64, f64) {
    let z = x / s;
    (-(z * z).ln_1p(), -2.0 * x / (s * s + x * x))
}

/// `student_t_lpdf(x | nu, m, s)` up to a constant in x: `(−(ν+1)/2 · log(1 + z²/ν), d/dx)`.
pub(crate) fn student_t(x: f64, nu: f64, m: f64, s: f64) -> (f64, f64) {
    let r = x - m;
    let q = r * r / (nu * s * s);
    (
        -0.5 * (nu + 1.0) * q.ln_1p(),
        -(nu + 1.0) * r / (nu * s * s + r * r),
    )
}

/// `log_sum_exp(a, b)` and the weight `exp(a − lse)` of `a`.
pub(crate) fn log_sum_exp2(a: f64, b: f64) -> (f64, f64) {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return (m, 0.5);
    }
    let (ea, eb) = ((a - m).exp(), (b - m).exp());
    let s = ea + eb;
    (m + s.ln(), ea / s)
}

/// Checks that a point has the model's dimension.
#[track_caller]
pub(crate) fn check_len(model: &str, what: &str, got: usize, want: usize) {
    assert!(
        got == want,
        "{model}: {what} has length {got}, expected {want}"
    );
}
