//! Steps 2–3 of the Gaussian fit: Gaussian candidates from Hessians along the path, and the
//! selection of the best by an ELBO estimate on common random draws.

use super::path::PathPoint;
use super::{InitReport, InitSettings};
use crate::density::{Counted, LogDensity};
use crate::flow::{GaussianFit, log_standard_normal};
use crate::rng::{fill_standard_normal, seeded};
use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;
pub(super) fn select_candidate<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x0: &[f64],
    path: &[PathPoint],
    settings: &InitSettings,
    seed: u64,
) -> Result<(Vec<GaussianFit>, InitReport), crate::Error> {
    let d = x0.len();
    let picks = pick_indices(path.len(), settings.num_candidates);
    let mut candidates: Vec<(Option<usize>, GaussianFit)> = vec![(
        None,
        GaussianFit::Diagonal {
            loc: x0.to_vec(),
            scale: vec![1.0; d],
        },
    )];
    for &k in &picks {
        let (x, _, grad) = &path[k];
        for g in hessian_gaussians(counted, x, grad, d <= settings.max_dense_dim)? {
            candidates.push((Some(k), g));
        }
    }
    let mut rng = seeded(seed, crate::rng::streams::GAUSSIAN_ELBO.id(0));
    let mut z = vec![0.0; settings.num_elbo_draws * d];
    fill_standard_normal(&mut rng, &mut z);
    let estimates = candidates
        .iter()
        .map(|(_, g)| elbo_estimate(counted, g, &z))
        .collect::<Result<Vec<_>, _>>()?;
    let elbos: Vec<f64> = estimates.iter().map(|e| e.0).collect();
    let variances: Vec<f64> = estimates.iter().map(|e| e.1).collect();
    let dropped: Vec<usize> = estimates.iter().map(|e| e.2).collect();
    // Ranked by a lower confidence bound, ELBO − 2 standard errors: with 32 draws a candidate
    // with log-weight variance 0.002 can out-score the exact Gaussian (variance 1e-20, ELBO =
    // log Z) by noise alone, and lose the exact-fit shortcut (gauss100).
    let score =
        |i: usize| elbos[i] - 2.0 * (variances[i] / settings.num_elbo_draws.max(1) as f64).sqrt();
    let mut ranked: Vec<usize> = (0..elbos.len()).filter(|&i| score(i).is_finite()).collect();
    ranked.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
    let Some(&best) = ranked.first() else {
        return Err(crate::Error::NoValidInit {
            attempts: candidates.len(),
            last_error: "every Gaussian candidate had mostly failing log-density draws".into(),
        });
    };
    // Finalists: the best, then the unit Gaussian at the start (index 0) if it is not the best,
    // then the next best.
    let mut finalists = vec![best];
    if best != 0 && elbos[0].is_finite() {
        finalists.push(0);
    }
    finalists.extend(ranked.iter().copied().filter(|i| *i != best && *i != 0));
    finalists.truncate(settings.num_finalists.max(1));
    let report = InitReport {
        elbo: elbos[best],
        chosen: candidates[best].0,
        path_len: path.len(),
        candidate_elbos: elbos,
        candidate_variances: variances,
        candidate_num_dropped: dropped,
        num_grad_evals: counted.num_evals(),
        race_elbos: Vec::new(),
        best_index: best,
    };
    let gaussians = finalists.iter().map(|&i| candidates[i].1.clone()).collect();
    Ok((gaussians, report))
}

/// Up to `n` indices spread over 0..len, always including the last.
fn pick_indices(len: usize, n: usize) -> Vec<usize> {
    if len == 0 || n == 0 {
        return Vec::new();
    }
    let n = n.min(len);
    let mut v: Vec<usize> = (0..n)
        .map(|i| (len - 1) - i * (len - 1) / n.max(1))
        .collect();
    v.dedup();
    v
}

/// N(x, Σ) and N(x + Σ∇log p(x), Σ) (a Newton step, exact for a Gaussian target when L-BFGS
/// stopped short of the mode), Σ = H⁺⁻¹ with H the central-difference Hessian of −log p at x
/// (2d gradients); none if a neighbour cannot be evaluated.
pub(crate) fn hessian_gaussians<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x: &[f64],
    grad: &[f64],
    dense: bool,
) -> Result<Vec<GaussianFit>, crate::Error> {
    let d = x.len();
    let columns: Vec<Result<Option<Vec<f64>>, crate::Error>> = (0..d)
        .into_par_iter()
        .map(|j| {
            let h = 1e-5 * x[j].abs().max(1.0);
            let (mut xp, mut gp, mut gm) = (x.to_vec(), vec![0.0; d], vec![0.0; d]);
            xp[j] = x[j] + h;
            let a = counted.eval(&xp, &mut gp);
            xp[j] = x[j] - h;
            let b = counted.eval(&xp, &mut gm);
            match (a, b) {
                (Ok(_), Ok(_)) => Ok(Some((0..d).map(|i| -(gp[i] - gm[i]) / (2.0 * h)).collect())),
                (Err(e), _) | (_, Err(e)) if !e.is_recoverable() => Err(crate::Error::Density {
                    context: "Hessian at initialization".into(),
                    source: e,
                }),
                _ => Ok(None),
            }
        })
        .collect();
    let mut hess = DMatrix::zeros(d, d);
    for (j, col) in columns.into_iter().enumerate() {
        match col? {
            Some(c) => hess.set_column(j, &nalgebra::DVector::from_vec(c)),
            None => return Ok(Vec::new()),
        }
    }
    let hess = (&hess + hess.transpose()) * 0.5;
    if !dense {
        let scale: Vec<f64> = (0..d)
            .map(|i| 1.0 / positive_curvature(hess[(i, i)], hess.diagonal().amax()).sqrt())
            .collect();
        let newton = (0..d)
            .map(|i| x[i] + scale[i] * scale[i] * grad[i])
            .collect();
        return Ok(vec![
            GaussianFit::Diagonal {
                loc: x.to_vec(),
                scale: scale.clone(),
            },
            GaussianFit::Diagonal { loc: newton, scale },
        ]);
    }
    let eig = SymmetricEigen::new(hess);
    let lmax = eig.eigenvalues.amax();
    let inv: Vec<f64> = eig
        .eigenvalues
        .iter()
        .map(|&l| 1.0 / positive_curvature(l, lmax))
        .collect();
    let cov = &eig.eigenvectors
        * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(inv))
        * eig.eigenvectors.transpose();
    let cov = (&cov + cov.transpose()) * 0.5;
    let step = &cov * nalgebra::DVector::from_column_slice(grad);
    let Some(chol) = cov.cholesky() else {
        return Ok(Vec::new());
    };
    let l = chol.l();
    let rows: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..=i).map(|j| l[(i, j)]).collect())
        .collect();
    let newton = (0..d).map(|i| x[i] + step[i]).collect();
    Ok(vec![
        GaussianFit::Dense {
            loc: x.to_vec(),
            chol: rows.clone(),
        },
        GaussianFit::Dense {
            loc: newton,
            chol: rows,
        },
    ])
}

/// |λ| floored relative to the largest curvature (and absolutely), so flat or negatively
/// curved directions get a wide but finite variance.
fn positive_curvature(l: f64, lmax: f64) -> f64 {
    l.abs().max(lmax * 1e-12).max(1e-12)
}

/// Mean and variance of log p(θ) − log q(θ) over draws θ = loc + L z (`z` holds the draws back
/// to back); (−∞, ∞) when more than a quarter of the draws fail.
fn elbo_estimate<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    g: &GaussianFit,
    z: &[f64],
) -> Result<(f64, f64, usize), crate::Error> {
    let d = g.dim();
    let (layer, params) = g.layer_and_params();
    let vals: Vec<Result<Option<f64>, crate::Error>> = z
        .par_chunks(d)
        .map(|zi| {
            let (mut theta, mut grad) = (vec![0.0; d], vec![0.0; d]);
            let ld = layer.transform(&params, zi, &[], &mut theta, &mut []);
            match counted.eval(&theta, &mut grad) {
                Ok(lp) => Ok(Some(lp + ld - log_standard_normal(zi))),
                Err(e) if e.is_recoverable() => Ok(None),
                Err(e) => Err(crate::Error::Density {
                    context: "initialization ELBO".into(),
                    source: e,
                }),
            }
        })
        .collect();
    let mut ok = Vec::new();
    for v in vals {
        if let Some(x) = v? {
            ok.push(x);
        }
    }
    let n = z.len() / d;
    let dropped = n - ok.len();
    if ok.len() * 4 < n * 3 || ok.len() < 2 {
        return Ok((f64::NEG_INFINITY, f64::INFINITY, dropped));
    }
    let mean = ok.iter().sum::<f64>() / ok.len() as f64;
    let var = ok.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (ok.len() - 1) as f64;
    Ok((mean, var, dropped))
}
