//! Autocovariance of every chain at every lag, by FFT (as ArviZ's `autocov`).
//!
//! Zero-padding to a power of two ≥ 2n makes the circular correlation equal the linear one, so the
//! result is the exact biased estimator `γ_t = (1/n) Σ_{i<n−t} (x_i − x̄)(x_{i+t} − x̄)`.

use rustfft::{FftPlanner, num_complex::Complex};

use super::matrix::Matrix;

thread_local! {
    /// rustfft caches plans per planner; one planner per thread keeps them across calls.
    static PLANNER: std::cell::RefCell<FftPlanner<f64>> = std::cell::RefCell::new(FftPlanner::new());
}

/// Autocovariances, `rows × cols`, lag `t` of row `r` at `[r * cols + t]`.
pub(crate) fn autocov(m: &Matrix) -> Vec<f64> {
    let n = m.cols;
    let mut out = vec![0.0; m.len()];
    if n == 0 {
        return out;
    }
    let size = (2 * n).next_power_of_two();
    let (fwd, inv) = PLANNER.with(|p| {
        let mut p = p.borrow_mut();
        (p.plan_fft_forward(size), p.plan_fft_inverse(size))
    });
    let mut scratch = vec![
        Complex::new(0.0, 0.0);
        fwd.get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len())
    ];
    let mut buf = vec![Complex::new(0.0, 0.0); size];
    // Two real rows per complex transform: row a in the real part, row b in the imaginary part.
    let mut r = 0;
    while r < m.rows {
        let a = m.row(r);
        let b = if r + 1 < m.rows {
            Some(m.row(r + 1))
        } else {
            None
        };
        let ma = super::matrix::mean(a);
        let mb = b.map_or(0.0, super::matrix::mean);
        for (i, z) in buf.iter_mut().enumerate() {
            *z = if i < n {
                Complex::new(a[i] - ma, b.map_or(0.0, |b| b[i] - mb))
            } else {
                Complex::new(0.0, 0.0)
            };
        }
        fwd.process_with_scratch(&mut buf, &mut scratch);
        // Separate the two spectra: A_k = (Z_k + conj Z_{−k})/2, B_k = (Z_k − conj Z_{−k})/(2i);
        // then |A_k|² + i|B_k|² transforms back to acov_a + i·acov_b.
        let spec: Vec<Complex<f64>> = (0..size)
            .map(|k| {
                let zk = buf[k];
                let zc = buf[(size - k) % size].conj();
                let ak = (zk + zc) * 0.5;
                let bk = (zk - zc) * Complex::new(0.0, -0.5);
                Complex::new(ak.norm_sqr(), bk.norm_sqr())
            })
            .collect();
        buf.copy_from_slice(&spec);
        inv.process_with_scratch(&mut buf, &mut scratch);
        let scale = 1.0 / (size as f64 * n as f64);
        for t in 0..n {
            out[r * n + t] = buf[t].re * scale;
            if b.is_some() {
                out[(r + 1) * n + t] = buf[t].im * scale;
            }
        }
        r += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_sum() {
        let rows = 3;
        let cols = 37;
        let data: Vec<f64> = (0..rows * cols)
            .map(|i| ((i * 7919) % 101) as f64 / 10.0 - 3.0)
            .collect();
        let m = Matrix { data, rows, cols };
        let ac = autocov(&m);
        for r in 0..rows {
            let x = m.row(r);
            let mu = super::super::matrix::mean(x);
            for t in 0..cols {
                let direct: f64 = (0..cols - t)
                    .map(|i| (x[i] - mu) * (x[i + t] - mu))
                    .sum::<f64>()
                    / cols as f64;
                assert!((ac[r * cols + t] - direct).abs() < 1e-10, "row {r} lag {t}");
            }
        }
    }
}
