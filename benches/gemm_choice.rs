//! Which GEMM crate the batched MADE uses: times the three products of a masked dense layer's
//! forward and backward pass (C = A·Wᵀ, dA = δ·W, dW = δᵀ·A) at the NPE shapes (batch chunks
//! of 16–128 items, widths 50 and the spline output width) for `matrixmultiply`, `gemm`, `faer`
//! and the per-item dot-product loop the unbatched path runs.
//!
//! `cargo bench --bench gemm_choice`

use std::hint::black_box;
use std::time::Instant;

/// The three products of one layer, row-major: a (n×k), w (r×k), c (n×r), dw (r×k).
trait Gemm {
    fn name(&self) -> &'static str;
    /// c = a · wᵀ
    fn forward(&self, n: usize, k: usize, r: usize, a: &[f64], w: &[f64], c: &mut [f64]);
    /// da = δ · w
    fn back_input(&self, n: usize, k: usize, r: usize, d: &[f64], w: &[f64], da: &mut [f64]);
    /// dw = δᵀ · a
    fn back_weight(&self, n: usize, k: usize, r: usize, d: &[f64], a: &[f64], dw: &mut [f64]);
}

struct Mm;
impl Gemm for Mm {
    fn name(&self) -> &'static str {
        "matrixmultiply"
    }
    fn forward(&self, n: usize, k: usize, r: usize, a: &[f64], w: &[f64], c: &mut [f64]) {
        unsafe {
            matrixmultiply::dgemm(
                n,
                k,
                r,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                w.as_ptr(),
                1,
                k as isize,
                0.0,
                c.as_mut_ptr(),
                r as isize,
                1,
            )
        }
    }
    fn back_input(&self, n: usize, k: usize, r: usize, d: &[f64], w: &[f64], da: &mut [f64]) {
        unsafe {
            matrixmultiply::dgemm(
                n,
                r,
                k,
                1.0,
                d.as_ptr(),
                r as isize,
                1,
                w.as_ptr(),
                k as isize,
                1,
                0.0,
                da.as_mut_ptr(),
                k as isize,
                1,
            )
        }
    }
    fn back_weight(&self, n: usize, k: usize, r: usize, d: &[f64], a: &[f64], dw: &mut [f64]) {
        unsafe {
            matrixmultiply::dgemm(
                r,
                n,
                k,
                1.0,
                d.as_ptr(),
                1,
                r as isize,
                a.as_ptr(),
                k as isize,
                1,
                0.0,
                dw.as_mut_ptr(),
                k as isize,
                1,
            )
        }
    }
}

struct Gm;
impl Gm {
    #[allow(clippy::too_many_arguments)]
    fn mm(
        m: usize,
        kk: usize,
        nn: usize,
        a: (*const f64, isize, isize),
        b: (*const f64, isize, isize),
        c: (*mut f64, isize, isize),
    ) {
        unsafe {
            gemm::gemm(
                m,
                nn,
                kk,
                c.0,
                c.2,
                c.1,
                false,
                a.0,
                a.2,
                a.1,
                b.0,
                b.2,
                b.1,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        }
    }
}
impl Gemm for Gm {
    fn name(&self) -> &'static str {
        "gemm"
    }
    fn forward(&self, n: usize, k: usize, r: usize, a: &[f64], w: &[f64], c: &mut [f64]) {
        Gm::mm(
            n,
            k,
            r,
            (a.as_ptr(), k as isize, 1),
            (w.as_ptr(), 1, k as isize),
            (c.as_mut_ptr(), r as isize, 1),
        )
    }
    fn back_input(&self, n: usize, k: usize, r: usize, d: &[f64], w: &[f64], da: &mut [f64]) {
        Gm::mm(
            n,
            r,
            k,
            (d.as_ptr(), r as isize, 1),
            (w.as_ptr(), k as isize, 1),
            (da.as_mut_ptr(), k as isize, 1),
        )
    }
    fn back_weight(&self, n: usize, k: usize, r: usize, d: &[f64], a: &[f64], dw: &mut [f64]) {
        Gm::mm(
            r,
            n,
            k,
            (d.as_ptr(), 1, r as isize),
            (a.as_ptr(), k as isize, 1),
            (dw.as_mut_ptr(), k as isize, 1),
        )
    }
}

struct Fa;
impl Gemm for Fa {
    fn name(&self) -> &'static str {
        "faer"
    }
    fn forward(&self, n: usize, k: usize, r: usize, a: &[f64], w: &[f64], c: &mut [f64]) {
        let a = faer::MatRef::from_row_major_slice(a, n, k);
        let w = faer::MatRef::from_row_major_slice(w, r, k);
        let c = faer::MatMut::from_row_major_slice_mut(c, n, r);
        faer::linalg::matmul::matmul(
            c,
            faer::Accum::Replace,
            a,
            w.transpose(),
            1.0,
            faer::Par::Seq,
        );
    }
    fn back_input(&self, n: usize, k: usize, r: usize, d: &[f64], w: &[f64], da: &mut [f64]) {
        let d = faer::MatRef::from_row_major_slice(d, n, r);
        let w = faer::MatRef::from_row_major_slice(w, r, k);
        let da = faer::MatMut::from_row_major_slice_mut(da, n, k);
        faer::linalg::matmul::matmul(da, faer::Accum::Replace, d, w, 1.0, faer::Par::Seq);
    }
    fn back_weight(&self, n: usize, k: usize, r: usize, d: &[f64], a: &[f64], dw: &mut [f64]) {
        let d = faer::MatRef::from_row_major_slice(d, n, r);
        let a = faer::MatRef::from_row_major_slice(a, n, k);
        let dw = faer::MatMut::from_row_major_slice_mut(dw, r, k);
        faer::linalg::matmul::matmul(
            dw,
            faer::Accum::Replace,
            d.transpose(),
            a,
            1.0,
            faer::Par::Seq,
        );
    }
}

/// The per-item path: one dot product per output (forward), one axpy per row (backward).
struct PerItem;
impl Gemm for PerItem {
    fn name(&self) -> &'static str {
        "per-item loops"
    }
    fn forward(&self, n: usize, k: usize, r: usize, a: &[f64], w: &[f64], c: &mut [f64]) {
        for i in 0..n {
            for j in 0..r {
                c[i * r + j] = dot(&a[i * k..(i + 1) * k], &w[j * k..(j + 1) * k]);
            }
        }
    }
    fn back_input(&self, n: usize, k: usize, r: usize, d: &[f64], w: &[f64], da: &mut [f64]) {
        da.fill(0.0);
        for i in 0..n {
            for j in 0..r {
                axpy(
                    d[i * r + j],
                    &w[j * k..(j + 1) * k],
                    &mut da[i * k..(i + 1) * k],
                );
            }
        }
    }
    fn back_weight(&self, n: usize, k: usize, r: usize, d: &[f64], a: &[f64], dw: &mut [f64]) {
        dw.fill(0.0);
        for i in 0..n {
            for j in 0..r {
                axpy(
                    d[i * r + j],
                    &a[i * k..(i + 1) * k],
                    &mut dw[j * k..(j + 1) * k],
                );
            }
        }
    }
}

/// The crate's 4-accumulator dot product (`linalg::dot`, crate-private), copied.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        let i = 4 * c;
        for j in 0..4 {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len() {
        s += a[i] * b[i];
    }
    s
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

fn main() {
    let impls: [&dyn Gemm; 4] = [&PerItem, &Mm, &Gm, &Fa];
    let fill = |len: usize, s: f64| {
        (0..len)
            .map(|i| ((i as f64) * s).sin())
            .collect::<Vec<f64>>()
    };
    println!("| n | k | r | implementation | ns per item (3 products) | GFlop/s | vs per-item |");
    println!("|---|---|---|---|---|---|---|");
    for &(k, r) in &[(50usize, 50usize), (50, 58), (50, 145)] {
        for &n in &[16usize, 64, 128] {
            let (a, w, d) = (fill(n * k, 0.37), fill(r * k, 0.11), fill(n * r, 0.23));
            let (mut c, mut da, mut dw) = (vec![0.0; n * r], vec![0.0; n * k], vec![0.0; r * k]);
            let mut reference = None;
            for g in impls {
                // Same results to rounding.
                g.forward(n, k, r, &a, &w, &mut c);
                g.back_input(n, k, r, &d, &w, &mut da);
                g.back_weight(n, k, r, &d, &a, &mut dw);
                let sum: f64 = c.iter().chain(&da).chain(&dw).sum();
                let reference = *reference.get_or_insert(sum);
                assert!(
                    (sum - reference).abs() < 1e-8 * reference.abs().max(1.0),
                    "{} differs",
                    g.name()
                );
                let reps = (2_000_000 / (n * k * r)).max(10);
                let mut best = f64::INFINITY;
                for _ in 0..5 {
                    let t = Instant::now();
                    for _ in 0..reps {
                        g.forward(n, k, r, black_box(&a), &w, &mut c);
                        g.back_input(n, k, r, &d, &w, &mut da);
                        g.back_weight(n, k, r, &d, &a, &mut dw);
                    }
                    best = best.min(t.elapsed().as_secs_f64() / reps as f64);
                }
                let per_item = best / n as f64 * 1e9;
                let gflops = 6.0 * (n * k * r) as f64 / best / 1e9;
                let base = IMPL_BASE.with(|b| *b.borrow_mut().get_or_insert(per_item));
                println!(
                    "| {n} | {k} | {r} | {} | {per_item:.0} | {gflops:.1} | {:.2}× |",
                    g.name(),
                    base / per_item
                );
            }
            IMPL_BASE.with(|b| *b.borrow_mut() = None);
        }
    }
}

thread_local! {
    static IMPL_BASE: std::cell::RefCell<Option<f64>> = const { std::cell::RefCell::new(None) };
}
