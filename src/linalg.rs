//! Small dense kernels on slices for the hot paths (dot products, axpy), written so the compiler
//! vectorizes them: four independent accumulators break the floating-point dependency chain;
//! and [`gemm`] on row-major views (`matrixmultiply`'s dgemm), which the batched layers use.

/// A read-only row-major matrix view: `rows × cols` with `stride` between row starts, or its
/// transpose.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    stride: usize,
    transposed: bool,
}

impl<'a> View<'a> {
    /// `rows × cols` stored row-major with row stride `stride`.
    #[inline]
    pub(crate) fn new(data: &'a [f64], rows: usize, cols: usize, stride: usize) -> Self {
        View {
            data,
            rows,
            cols,
            stride,
            transposed: false,
        }
    }

    /// The transpose.
    #[inline]
    pub(crate) fn t(self) -> Self {
        View {
            transposed: !self.transposed,
            ..self
        }
    }

    /// (rows, cols) of the matrix this view stands for.
    #[inline]
    fn shape(&self) -> (usize, usize) {
        match self.transposed {
            false => (self.rows, self.cols),
            true => (self.cols, self.rows),
        }
    }

    /// (pointer, row stride, column stride) of the matrix this view stands for, after checking
    /// that the slice covers every element.
    #[track_caller]
    fn raw(&self) -> (*const f64, isize, isize) {
        if self.rows > 0 && self.cols > 0 {
            assert!(self.stride >= self.cols, "row stride shorter than a row");
            let last = (self.rows - 1) * self.stride + self.cols;
            assert!(self.data.len() >= last, "matrix view exceeds its slice");
        }
        let (rs, cs) = (self.stride as isize, 1);
        match self.transposed {
            false => (self.data.as_ptr(), rs, cs),
            true => (self.data.as_ptr(), cs, rs),
        }
    }
}

/// c (+)= a · b, with c `rows × cols` row-major (row stride `stride`) and the shapes of `a` and
/// `b` matching; `accumulate` adds to c instead of overwriting it. Empty inner dimensions are
/// allowed (c is then zeroed or left as is).
#[track_caller]
pub(crate) fn gemm(c: &mut [f64], stride: usize, accumulate: bool, a: View, b: View) {
    let ((m, k), (k2, n)) = (a.shape(), b.shape());
    assert_eq!(k, k2, "inner dimensions of a matrix product differ");
    if m == 0 || n == 0 {
        return;
    }
    assert!(stride >= n, "output row stride shorter than a row");
    if k == 0 {
        if !accumulate {
            c.chunks_mut(stride)
                .take(m)
                .for_each(|row| row[..n].fill(0.0));
        }
        return;
    }
    assert!(
        c.len() >= (m - 1) * stride + n,
        "matrix product output exceeds its slice"
    );
    let (pa, rsa, csa) = a.raw();
    let (pb, rsb, csb) = b.raw();
    let beta = if accumulate { 1.0 } else { 0.0 };
    // SAFETY: the asserts above (here and in `raw`) keep every element of a, b and c inside
    // its slice; c is borrowed mutably, so it cannot overlap a or b.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            1.0,
            pa,
            rsa,
            csa,
            pb,
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            stride as isize,
            1,
        );
    }
}

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
    fn gemm_matches_naive_products_with_strides_and_transposes() {
        let a: Vec<f64> = (0..15).map(|i| (i as f64 * 0.7).sin()).collect(); // 3×5
        let b: Vec<f64> = (0..20).map(|i| (i as f64 * 0.3).cos()).collect(); // 4×5
        // c (3×4, stride 6) = a · bᵀ, then += a · bᵀ again.
        let mut c = vec![9.0; 18];
        gemm(
            &mut c,
            6,
            false,
            View::new(&a, 3, 5, 5),
            View::new(&b, 4, 5, 5).t(),
        );
        gemm(
            &mut c,
            6,
            true,
            View::new(&a, 3, 5, 5),
            View::new(&b, 4, 5, 5).t(),
        );
        for i in 0..3 {
            for j in 0..4 {
                let s: f64 = (0..5).map(|k| a[i * 5 + k] * b[j * 5 + k]).sum();
                assert!((c[i * 6 + j] - 2.0 * s).abs() < 1e-13);
            }
            assert_eq!(&c[i * 6 + 4..i * 6 + 6], &[9.0, 9.0]);
        }
        // An empty inner dimension zeroes (or keeps) c.
        gemm(
            &mut c,
            6,
            false,
            View::new(&[], 3, 0, 0),
            View::new(&[], 0, 4, 4),
        );
        assert_eq!(c[0], 0.0);
    }

    /// Single-row and single-column products (a one-item batch), where faer 0.24.4's
    /// row-major matrix–vector path wrote out of bounds.
    #[test]
    fn gemm_handles_single_rows_and_columns() {
        for (m, k, n) in [(1, 5, 12), (1, 12, 5), (2, 5, 12), (1, 10, 4), (3, 10, 1)] {
            let a: Vec<f64> = (0..m * k).map(|i| (i as f64).sin()).collect();
            let w: Vec<f64> = (0..n * k).map(|i| (i as f64).cos()).collect();
            let mut c = vec![f64::NAN; m * n];
            gemm(
                &mut c,
                n,
                false,
                View::new(&a, m, k, k),
                View::new(&w, n, k, k).t(),
            );
            for i in 0..m {
                for j in 0..n {
                    let s: f64 = (0..k).map(|l| a[i * k + l] * w[j * k + l]).sum();
                    assert!((c[i * n + j] - s).abs() < 1e-13);
                }
            }
        }
    }

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
