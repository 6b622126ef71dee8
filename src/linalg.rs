//! Small dense kernels on slices for the hot paths (dot products, axpy), written so the compiler
//! vectorizes them: four independent accumulators break the floating-point dependency chain.

/// Σ a_i b_i over the common length of `a` and `b` (which must be equal).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let chunks = n / 4;
    for c in 0..chunks {
        let i = 4 * c;
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..n {
        s += a[i] * b[i];
    }
    s
}

/// y += alpha · x (equal lengths).
#[inline]
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_axpy_match_naive_loops() {
        let a: Vec<f64> = (0..11).map(|i| (i as f64).sin()).collect();
        let b: Vec<f64> = (0..11).map(|i| (i as f64 * 0.3).cos()).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-14);
        let mut y = b.clone();
        axpy(2.0, &a, &mut y);
        for i in 0..11 {
            assert_eq!(y[i], b[i] + 2.0 * a[i]);
        }
    }
}
