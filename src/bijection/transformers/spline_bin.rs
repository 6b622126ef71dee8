//! The rational-quadratic piece of one bin of an [`RqSpline`](super::RqSpline): its value and
//! log-slope at a point (the formula in the spline module's doc) and their hand-written
//! reverse mode through the bin's 7 local quantities (knot, width, height, the two knot
//! derivatives).

/// Local quantities of the bin holding the point.
pub(super) struct Bin {
    pub(super) k: usize,
    pub(super) xk: f64,
    pub(super) wk: f64,
    pub(super) yk: f64,
    pub(super) hk: f64,
    pub(super) dk: f64,
    pub(super) dk1: f64,
}

/// (y, log dy/dx) inside a bin.
pub(super) fn eval(b: &Bin, x: f64) -> (f64, f64) {
    let xi = (x - b.xk) / b.wk;
    let s = b.hk / b.wk;
    let t = xi * (1.0 - xi);
    let a = s * xi * xi + b.dk * t;
    let den = s + (b.dk1 + b.dk - 2.0 * s) * t;
    let y = b.yk + b.hk * a / den;
    let n2 = b.dk1 * xi * xi + 2.0 * s * t + b.dk * (1.0 - xi) * (1.0 - xi);
    let ld = 2.0 * s.ln() + n2.ln() - 2.0 * den.ln();
    (y, ld)
}

/// Cotangents of the local bin quantities.
pub(super) struct LocalGrad {
    pub(super) x: f64,
    pub(super) xk: f64,
    pub(super) wk: f64,
    pub(super) yk: f64,
    pub(super) hk: f64,
    pub(super) dk: f64,
    pub(super) dk1: f64,
}

pub(super) fn local_vjp(b: &Bin, x: f64, gy: f64, gld: f64) -> LocalGrad {
    let xi = (x - b.xk) / b.wk;
    let s = b.hk / b.wk;
    let t = xi * (1.0 - xi);
    let a = s * xi * xi + b.dk * t;
    let q = b.dk1 + b.dk - 2.0 * s;
    let den = s + q * t;
    let omx = 1.0 - xi;
    let n2 = b.dk1 * xi * xi + 2.0 * s * t + b.dk * omx * omx;
    // Reverse sweep.
    let g_yk = gy;
    let mut g_hk = gy * a / den;
    let g_a = gy * b.hk / den;
    let g_den = -gy * b.hk * a / (den * den) - 2.0 * gld / den;
    let mut g_s = 2.0 * gld / s;
    let g_n2 = gld / n2;
    let mut g_dk1 = g_n2 * xi * xi;
    g_s += g_n2 * 2.0 * t;
    let mut g_t = g_n2 * 2.0 * s;
    let mut g_dk = g_n2 * omx * omx;
    let mut g_xi = g_n2 * (2.0 * b.dk1 * xi - 2.0 * b.dk * omx);
    g_s += g_den * (1.0 - 2.0 * t);
    g_dk1 += g_den * t;
    g_dk += g_den * t;
    g_t += g_den * q;
    g_s += g_a * xi * xi;
    g_xi += g_a * 2.0 * s * xi;
    g_dk += g_a * t;
    g_t += g_a * b.dk;
    g_xi += g_t * (1.0 - 2.0 * xi);
    g_hk += g_s / b.wk;
    let mut g_wk = -g_s * b.hk / (b.wk * b.wk);
    let g_x = g_xi / b.wk;
    let g_xk = -g_xi / b.wk;
    g_wk -= g_xi * xi / b.wk;
    LocalGrad {
        x: g_x,
        xk: g_xk,
        wk: g_wk,
        yk: g_yk,
        hk: g_hk,
        dk: g_dk,
        dk1: g_dk1,
    }
}
