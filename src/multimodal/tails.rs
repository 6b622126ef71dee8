//! A mode's tail weight, measured: how fast log p falls away from the mode, in the mode's
//! Laplace-whitened coordinates, gives the degrees of freedom ν of the multivariate t whose
//! curvature at the mode is the Laplace one and whose fall-off matches the target's.
//!
//! For the t_ν with mode x̂ and Hessian of −log p equal to Σ⁻¹ (Σ = L Lᵀ the Laplace
//! covariance), the scale matrix is Σ (ν + d)/ν, and at whitened radius ρ
//! log p(x̂) − log p(x̂ + L ρ e) = ((ν + d)/2) ln(1 + ρ²/(ν + d)) =: f_ν(ρ²), which increases
//! with ν to the Gaussian's ρ²/2. The probe averages the fall-off over [`NUM_DIRECTIONS`]
//! random directions e at ρ² = d and 4d (the Gaussian's typical radius and twice it), solves
//! f_ν = the average for ν at each radius, and keeps the smaller ν (the heavier tail: a
//! proposal with heavier tails than the target keeps the importance weights bounded, one with
//! lighter tails does not). Above [`GAUSSIAN_NU`] the mode counts as Gaussian.

use crate::density::{Counted, LogDensity};
use crate::rng::{fill_standard_normal, seeded};

/// Random stream of mode 0's probe directions (mode k uses this + k).
pub const TAIL_STREAM: u64 = crate::rng::streams::MULTIMODAL_TAIL.first;
/// Directions probed per mode.
pub const NUM_DIRECTIONS: usize = 16;
/// A fitted ν above this is ∞ (a Gaussian component).
pub const GAUSSIAN_NU: f64 = 50.0;
/// The heaviest tail fitted.
pub const MIN_NU: f64 = 1.0;

/// f_ν(ρ²) of the module docs, in d dimensions.
fn fall_off(nu: f64, d: f64, rho2: f64) -> f64 {
    0.5 * (nu + d) * (rho2 / (nu + d)).ln_1p()
}

/// The ν with f_ν(ρ²) = `drop` (bisection on ln ν), `∞` when the drop is at least the
/// Gaussian's (less than [`GAUSSIAN_NU`] would give), [`MIN_NU`] when it is below f at MIN_NU.
fn solve_nu(drop: f64, d: f64, rho2: f64) -> f64 {
    if !(drop < fall_off(GAUSSIAN_NU, d, rho2)) {
        return f64::INFINITY;
    }
    if drop <= fall_off(MIN_NU, d, rho2) {
        return MIN_NU;
    }
    let (mut lo, mut hi) = (MIN_NU.ln(), GAUSSIAN_NU.ln());
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if fall_off(mid.exp(), d, rho2) < drop {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// The fitted ν of the mode at `loc` (log p there `lp0`) with Laplace factor `chol`; probe
/// points where the density fails are left out (a radius where all fail counts as Gaussian).
pub(crate) fn fit_nu<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    loc: &[f64],
    lp0: f64,
    chol: &nalgebra::DMatrix<f64>,
    seed: u64,
    k: usize,
) -> Result<f64, crate::Error> {
    let d = loc.len();
    let mut rng = seeded(seed, crate::rng::streams::MULTIMODAL_TAIL.id(k as u64));
    let mut directions = vec![vec![0.0; d]; NUM_DIRECTIONS];
    for e in directions.iter_mut() {
        fill_standard_normal(&mut rng, e);
        let n = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        e.iter_mut().for_each(|v| *v /= n);
    }
    let mut nu = f64::INFINITY;
    let mut grad = vec![0.0; d];
    for rho2 in [d as f64, 4.0 * d as f64] {
        let (mut sum, mut n) = (0.0, 0usize);
        for e in &directions {
            let step =
                chol * nalgebra::DVector::from_iterator(d, e.iter().map(|v| v * rho2.sqrt()));
            let x: Vec<f64> = loc.iter().zip(step.iter()).map(|(a, b)| a + b).collect();
            match counted.eval(&x, &mut grad) {
                Ok(lp) if lp.is_finite() => {
                    sum += lp0 - lp;
                    n += 1;
                }
                Ok(_) => {}
                Err(e) if e.is_recoverable() => {}
                Err(e) => {
                    return Err(crate::Error::Density {
                        context: "mode tail probe".into(),
                        source: e,
                    });
                }
            }
        }
        if n > 0 {
            nu = nu.min(solve_nu(sum / n as f64, d as f64, rho2));
        }
    }
    Ok(nu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fall_off_gives_back_its_nu() {
        for d in [2.0, 20.0] {
            for nu in [1.5, 5.0, 20.0] {
                for rho2 in [d, 4.0 * d] {
                    let got = solve_nu(fall_off(nu, d, rho2), d, rho2);
                    assert!((got - nu).abs() < 1e-6 * nu, "{d} {nu} {rho2}: {got}");
                }
            }
            assert!(solve_nu(0.5 * d, d, d).is_infinite());
            assert_eq!(solve_nu(0.0, d, d), MIN_NU);
        }
    }
}
