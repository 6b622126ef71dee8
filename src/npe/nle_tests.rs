//! Tests of NLE's likelihood gradient, its posterior density and its input checks, on small
//! flows with random weights (so that x depends on θ_u through every layer).

use super::super::prior_grad::tests::families;
use super::super::{
    FlowSettings, IndependentPrior, Marginal, NleDensity, NpeEstimator, NpeSettings, Prior,
    Simulations, Standardizer, TransformKind, train_nle,
};
use super::NleEstimator;
use crate::bijection::{Activation, Bijection};
use crate::density::LogDensity;
use crate::progress::NoProgress;
use crate::rng::{fill_standard_normal, seeded};

/// A flow of x ∈ ℝ^dx given θ_u with the prior's dimension, its weights the initial ones plus
/// N(0, 0.3²) noise, and z-scorings that are not the identity.
pub(crate) fn random_estimator(
    prior: IndependentPrior,
    dx: usize,
    kind: TransformKind,
) -> NleEstimator {
    with_activation(prior, dx, kind, Activation::Tanh)
}

fn with_activation(
    prior: IndependentPrior,
    dx: usize,
    kind: TransformKind,
    activation: Activation,
) -> NleEstimator {
    let dt = prior.dim();
    let settings = FlowSettings {
        transform: kind,
        num_transforms: 2,
        hidden: vec![8, 8],
        activation,
        ..Default::default()
    };
    let flow = settings.build(dx, dt).unwrap();
    let mut params = vec![0.0; flow.num_params()];
    let mut rng = seeded(11, 0);
    flow.init_params(&mut params, &mut rng);
    let mut noise = vec![0.0; params.len()];
    fill_standard_normal(&mut rng, &mut noise);
    params
        .iter_mut()
        .zip(&noise)
        .for_each(|(p, e)| *p += 0.3 * e);
    let x_z = Standardizer {
        mean: (0..dx).map(|i| 0.2 * i as f64).collect(),
        std: (0..dx).map(|i| 1.5 + 0.1 * i as f64).collect(),
    };
    let u_z = Standardizer {
        mean: (0..dt).map(|i| 0.1 - 0.05 * i as f64).collect(),
        std: (0..dt).map(|i| 0.8 + 0.3 * i as f64).collect(),
    };
    let est = NpeEstimator::new(Box::new(flow), params, x_z, u_z, None).unwrap();
    NleEstimator::from_parts(est, prior).unwrap()
}

pub(crate) fn normal_prior(d: usize) -> IndependentPrior {
    IndependentPrior::new(vec![Marginal::Normal { mean: 0.0, sd: 1.0 }; d]).unwrap()
}

/// Largest |analytic − central difference| / max(1, |central difference|) over coordinates.
fn fd_error(f: &dyn Fn(&[f64]) -> f64, at: &[f64], analytic: &[f64]) -> f64 {
    let h = 1e-5;
    (0..at.len())
        .map(|i| {
            let (mut p, mut m) = (at.to_vec(), at.to_vec());
            p[i] += h;
            m[i] -= h;
            let fd = (f(&p) - f(&m)) / (2.0 * h);
            (analytic[i] - fd).abs() / fd.abs().max(1.0)
        })
        .fold(0.0, f64::max)
}

#[test]
fn likelihood_gradient_matches_central_differences() {
    let x = [0.7, -1.2, 2.1];
    let thetas = [[0.0, 0.0], [1.3, -0.4], [-2.0, 0.9], [0.5, 2.5]];
    for kind in [TransformKind::Affine, TransformKind::Spline] {
        let nle = random_estimator(normal_prior(2), 3, kind);
        for theta_u in thetas {
            let mut grad = [0.0; 2];
            nle.log_likelihood(&x, &theta_u, Some(&mut grad)).unwrap();
            assert!(grad.iter().any(|g| g.abs() > 1e-3), "{kind:?}: {grad:?}");
            let f = |t: &[f64]| nle.log_likelihood(&x, t, None).unwrap();
            let err = fd_error(&f, &theta_u, &grad);
            eprintln!("{kind:?} at {theta_u:?}: gradient {grad:?}, relative error {err:.1e}");
            assert!(
                err < 1e-5,
                "{kind:?} at {theta_u:?}: relative error {err:.1e}"
            );
        }
    }
}

#[test]
fn likelihood_is_the_swapped_flows_density() {
    let nle = random_estimator(normal_prior(2), 3, TransformKind::Spline);
    let (x, theta_u) = ([0.3, 0.1, -0.8], [0.4, -1.1]);
    let direct = nle.flow_estimator().log_prob(&x, &theta_u).unwrap();
    let ll = nle.log_likelihood(&x, &theta_u, None).unwrap();
    assert!((ll - direct).abs() < 1e-10, "{ll} vs {direct}");
    // Iid trials add up.
    let x2 = [-0.5, 0.9, 1.4];
    let both = nle
        .log_likelihood_iid(&[x, x2].concat(), &theta_u, None)
        .unwrap();
    let second = nle.log_likelihood(&x2, &theta_u, None).unwrap();
    assert!((both - ll - second).abs() < 1e-10);
}

#[test]
fn posterior_gradient_matches_central_differences_for_every_family() {
    let prior = IndependentPrior::new(families()).unwrap();
    let d = prior.dim();
    let nle = random_estimator(prior.clone(), 2, TransformKind::Spline);
    let x_o = [0.4, -0.3, 1.1, 0.2, -0.9, 0.0];
    let density = NleDensity::new(&nle, &x_o).unwrap();
    assert_eq!(density.num_trials(), 3);
    assert_eq!(density.param_names(), prior.names());
    for k in 0..4 {
        let theta_u: Vec<f64> = (0..d)
            .map(|i| 0.6 * (k as f64 - 1.5) + 0.1 * i as f64)
            .collect();
        let mut grad = vec![0.0; d];
        let lp = density.log_density(&theta_u, &mut grad).unwrap();
        // The value: likelihood + prior density of θ + log |dθ/dθ_u|.
        let mut theta = vec![0.0; d];
        density.constrain(&theta_u, &mut theta);
        let mut back = vec![0.0; d];
        let log_du_dtheta = prior.support().unconstrain(&theta, &mut back);
        let like = nle.log_likelihood_iid(&x_o, &theta_u, None).unwrap();
        let expected = like + prior.log_density(&theta) - log_du_dtheta;
        assert!((lp - expected).abs() < 1e-9 * expected.abs().max(1.0));
        let f = |t: &[f64]| density.log_density(t, &mut vec![0.0; d]).unwrap();
        let err = fd_error(&f, &theta_u, &grad);
        eprintln!("posterior at {theta_u:?}: relative error {err:.1e}");
        assert!(err < 1e-5, "at {theta_u:?}: relative error {err:.1e}");
        // constrain and try_unconstrain are inverse.
        let u = density.try_unconstrain(&theta).unwrap().unwrap();
        assert!(u.iter().zip(&theta_u).all(|(a, b)| (a - b).abs() < 1e-9));
    }
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let nle = random_estimator(normal_prior(2), 3, TransformKind::Affine);
    let msg = |e: super::super::NpeError| e.to_string();
    let e = msg(nle.log_likelihood(&[0.0; 2], &[0.0; 2], None).unwrap_err());
    assert!(e.contains("observation x"), "{e}");
    let e = msg(nle.log_likelihood(&[0.0; 3], &[0.0; 3], None).unwrap_err());
    assert!(e.contains("θ_u"), "{e}");
    let e = msg(NleDensity::new(&nle, &[]).unwrap_err());
    assert!(e.contains("positive multiple of 3"), "{e}");
    let e = msg(NleDensity::new(&nle, &[0.0; 4]).unwrap_err());
    assert!(e.contains("observation x"), "{e}");
    let e = msg(NleDensity::new(&nle, &[0.0, 1.0, 2.0, 3.0, f64::NAN, 5.0]).unwrap_err());
    assert!(e.contains("trial 2 (column 2)"), "{e}");
    let mut grad = [0.0; 1];
    let e = nle.log_likelihood(&[0.0; 3], &[0.0; 2], Some(&mut grad));
    assert!(msg(e.unwrap_err()).contains("gradient"));
    // A non-finite θ_u is a recoverable error for the sampler, not a panic or NaN.
    let density = NleDensity::new(&nle, &[0.0; 3]).unwrap();
    let e = density.log_density(&[f64::NAN, 0.0], &mut [0.0; 2]);
    assert!(e.unwrap_err().is_recoverable());
    // Far from any training θ a ReLU flow overflows: an error naming it, not a NaN or −∞.
    let relu = with_activation(normal_prior(2), 3, TransformKind::Affine, Activation::Relu);
    let e = relu.log_likelihood(&[0.0; 3], &[1e300, -1e300], Some(&mut [0.0; 2]));
    assert!(msg(e.unwrap_err()).contains("overflowed"));
}

#[test]
fn training_rejects_theta_outside_the_prior_naming_the_row() {
    let prior = IndependentPrior::with_names(
        vec![Marginal::Gamma {
            shape: 2.0,
            rate: 1.0,
        }],
        vec!["tau".into()],
    )
    .unwrap();
    let theta = vec![1.0, 2.0, -0.5, 3.0];
    let sims = Simulations::new(1, 1, theta, vec![0.0, 1.0, 2.0, 3.0]).unwrap();
    let e = train_nle(&sims, &prior, &NpeSettings::default(), &NoProgress).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("simulation 3") && e.contains("`tau`"), "{e}");
    let two = IndependentPrior::new(vec![Marginal::Normal { mean: 0.0, sd: 1.0 }; 2]).unwrap();
    assert!(train_nle(&sims, &two, &NpeSettings::default(), &NoProgress).is_err());
    let ensemble = NpeSettings {
        num_members: 2,
        ..Default::default()
    };
    let e = train_nle(&sims, &prior, &ensemble, &NoProgress).unwrap_err();
    assert!(e.to_string().contains("num_members"));
}

#[test]
fn an_observation_far_from_the_training_x_is_flagged_per_feature() {
    // Training x: feature 1 mean 0, sd 1.5; feature 2 mean 0.2, sd 1.6.
    let est = random_estimator(normal_prior(2), 2, TransformKind::Affine);
    let check = |xs: &[f64]| super::super::check_nle_x_o(&est, xs).unwrap();
    assert!(check(&[7.4, 0.0]).is_empty(), "z 4.93 is inside");
    let far = check(&[7.6, 0.0]);
    assert_eq!(far.len(), 1);
    assert_eq!((far[0].index, far[0].value), (0, 7.6));
    assert!((far[0].z - 7.6 / 1.5).abs() < 1e-12);
    assert!(far[0].training_range.is_none());
    // Over iid trials the worst one per feature is reported.
    let far = check(&[0.0, 0.2, 1.0, -9.0, 0.0, 0.2]);
    assert_eq!((far.len(), far[0].index, far[0].value), (1, 1, -9.0));
    assert!(
        far[0].message().contains("`x2` = -9"),
        "{}",
        far[0].message()
    );
    // Bad input is the density's error.
    assert!(super::super::check_nle_x_o(&est, &[1.0, 2.0, 3.0]).is_err());
    assert!(super::super::check_nle_x_o(&est, &[1.0, f64::NAN]).is_err());
}
