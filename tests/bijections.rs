//! Property tests for every bijection, at random parameters (not only the near-identity init):
//! round trip, log-det against a finite-difference Jacobian, VJPs against finite differences,
//! the transposed-Jacobian solve, and MADE's autoregressive structure.

use flowpost::bijection::check::{check_bijection, fd_jacobian};
use flowpost::bijection::*;
use flowpost::rng::{fill_standard_normal, seeded};

fn random_params(b: &dyn Bijection, seed: u64, scale: f64) -> Vec<f64> {
    let mut rng = seeded(seed, 0);
    let mut p = vec![0.0; b.num_params()];
    b.init_params(&mut p, &mut rng);
    let mut noise = vec![0.0; p.len()];
    fill_standard_normal(&mut rng, &mut noise);
    for (a, n) in p.iter_mut().zip(noise) {
        *a += scale * n;
    }
    p
}

fn check_layer(b: &dyn Bijection, what: &str, scale: f64) {
    for seed in 0..4 {
        let params = random_params(b, seed, scale);
        let mut rng = seeded(seed, 99);
        let d = b.dim();
        let mut v = vec![0.0; 3 * d];
        fill_standard_normal(&mut rng, &mut v);
        let (x, rest) = v.split_at(d);
        let (gy, rhs) = rest.split_at(d);
        let report = check_bijection(b, &params, x, gy, 0.7, rhs);
        report.assert_ok(&format!("{what} seed {seed}"));
    }
}

#[test]
fn elementwise_affine() {
    check_layer(&ElementwiseAffine::new(5), "elementwise affine", 0.5);
}

#[test]
fn lower_triangular_affine() {
    check_layer(
        &LowerTriangularAffine::new(6),
        "lower-triangular affine",
        0.5,
    );
    check_layer(
        &LowerTriangularAffine::new(1),
        "lower-triangular affine d=1",
        0.5,
    );
}

#[test]
fn permutation() {
    check_layer(
        &Permutation::new(vec![2, 0, 3, 1]).unwrap(),
        "permutation",
        0.0,
    );
    check_layer(&Permutation::reversal(5), "reversal", 0.0);
    assert!(Permutation::new(vec![0, 0, 1]).is_none());
    assert!(Permutation::new(vec![0, 3]).is_none());
}

#[test]
fn affine_iaf_all_activations() {
    for act in [Activation::Elu, Activation::Tanh, Activation::Relu] {
        check_layer(
            &AffineIaf::new(5, &[12, 9], act),
            &format!("IAF {act:?}"),
            0.3,
        );
    }
    check_layer(&AffineIaf::new(1, &[4], Activation::Elu), "IAF d=1", 0.3);
    check_layer(&AffineIaf::new(2, &[3], Activation::Tanh), "IAF d=2", 0.3);
}

#[test]
fn iaf_scale_stays_clamped_far_in_the_tails() {
    let layer = AffineIaf::new(3, &[8], Activation::Elu);
    let params = random_params(&layer, 3, 3.0);
    let mut tape = vec![0.0; layer.tape_len()];
    let mut y = [0.0; 3];
    let ld = layer.forward(&params, &[1e3, -1e3, 1e3], &mut y, &mut tape);
    assert!(
        ld.is_finite() && ld.abs() <= 3.0 * 5.0 + 1e-9,
        "log det {ld}"
    );
    assert!(y.iter().all(|v| v.is_finite()));
}

#[test]
fn chain_of_everything() {
    let d = 4;
    let chain = Chain::with_frozen(
        vec![
            Box::new(AffineIaf::new(d, &[10], Activation::Elu)),
            Box::new(Permutation::reversal(d)),
            Box::new(AffineIaf::new(d, &[10, 10], Activation::Tanh)),
            Box::new(ElementwiseAffine::new(d)),
            Box::new(LowerTriangularAffine::new(d)),
        ],
        vec![false; 5],
    );
    check_layer(&chain, "chain", 0.3);
}

#[test]
fn frozen_layers_get_no_parameter_gradient() {
    let d = 3;
    let chain = Chain::with_frozen(
        vec![
            Box::new(ElementwiseAffine::new(d)),
            Box::new(LowerTriangularAffine::new(d)),
        ],
        vec![false, true],
    );
    let params = random_params(&chain, 1, 0.5);
    let mut tape = chain.new_tape();
    let mut y = vec![0.0; d];
    chain.forward(&params, &[0.1, 0.2, 0.3], &mut y, &mut tape);
    let mut gp = vec![0.0; chain.num_params()];
    let mut gx = vec![0.0; d];
    chain.backward(
        &params,
        &[0.1, 0.2, 0.3],
        &mut tape,
        &[1.0, 1.0, 1.0],
        1.0,
        &mut gx,
        Some(&mut gp),
    );
    assert!(gp[chain.param_range(0)].iter().any(|g| *g != 0.0));
    assert!(gp[chain.param_range(1)].iter().all(|g| *g == 0.0));
}

/// The Jacobian of MADE's outputs with respect to its inputs is strictly lower triangular per
/// output block (exactly zero on and above the diagonal), for random weights, with and
/// without context, and context reaches every output but the unconnected first ones' hidden
/// path.
#[test]
fn made_masks_are_autoregressive() {
    for (d, c, hidden) in [
        (5usize, 0usize, vec![7usize, 6]),
        (6, 3, vec![11]),
        (1, 2, vec![4]),
        (3, 0, vec![2, 2, 2]),
    ] {
        let made = Made::new(d, c, &hidden, 3, Activation::Elu);
        let mut params = vec![0.0; made.num_params()];
        let mut rng = seeded(5, 0);
        made.init_params(&mut params, &mut rng, 1.0);
        let mut noise = vec![0.0; params.len()];
        fill_standard_normal(&mut rng, &mut noise);
        for (p, n) in params.iter_mut().zip(noise) {
            *p += 0.5 * n;
        }
        let mut tape = vec![0.0; made.tape_len()];
        let x: Vec<f64> = (0..d).map(|i| 0.3 * i as f64 - 0.4).collect();
        let ctx: Vec<f64> = (0..c).map(|i| 0.5 - 0.2 * i as f64).collect();
        let mut out = vec![0.0; 3 * d];
        made.forward(&params, &x, &ctx, &mut out, &mut tape);
        for j in 0..d {
            for sign in [1.0, -1.0] {
                let mut xp = x.clone();
                xp[j] += sign * 0.731;
                let mut out2 = vec![0.0; 3 * d];
                made.forward(&params, &xp, &ctx, &mut out2, &mut tape);
                for r in 0..3 * d {
                    let i = r % d;
                    if j >= i {
                        assert_eq!(
                            out[r], out2[r],
                            "output {r} (coordinate {i}) depends on input {j}"
                        );
                    }
                }
            }
        }
        // Dependence on earlier inputs does exist (the masks are not all-zero).
        if d >= 3 {
            let mut xp = x.clone();
            xp[0] += 1.0;
            let mut out2 = vec![0.0; 3 * d];
            made.forward(&params, &xp, &ctx, &mut out2, &mut tape);
            assert_ne!(out[d - 1], out2[d - 1]);
        }
        // VJP against finite differences, context included.
        let mut g_out = vec![0.0; 3 * d];
        fill_standard_normal(&mut rng, &mut g_out);
        let mut gx = vec![0.0; d];
        let mut gc = vec![0.0; c];
        let mut gp = vec![0.0; made.num_params()];
        made.forward(&params, &x, &ctx, &mut out, &mut tape);
        made.backward(
            &params,
            &x,
            &ctx,
            &mut tape,
            &g_out,
            &mut gx,
            Some(&mut gc),
            Some(&mut gp),
        );
        let f = |xx: &[f64], cc: &[f64], pp: &[f64]| {
            let mut o = vec![0.0; 3 * d];
            let mut t = vec![0.0; made.tape_len()];
            made.forward(pp, xx, cc, &mut o, &mut t);
            o.iter().zip(&g_out).map(|(a, b)| a * b).sum::<f64>()
        };
        let h = 1e-6;
        for j in 0..d {
            let (mut a, mut b) = (x.clone(), x.clone());
            a[j] += h;
            b[j] -= h;
            let num = (f(&a, &ctx, &params) - f(&b, &ctx, &params)) / (2.0 * h);
            assert!(
                (num - gx[j]).abs() < 1e-6 * num.abs().max(1.0),
                "gx[{j}] {} vs {num}",
                gx[j]
            );
        }
        for j in 0..c {
            let (mut a, mut b) = (ctx.clone(), ctx.clone());
            a[j] += h;
            b[j] -= h;
            let num = (f(&x, &a, &params) - f(&x, &b, &params)) / (2.0 * h);
            assert!(
                (num - gc[j]).abs() < 1e-6 * num.abs().max(1.0),
                "gctx[{j}] {} vs {num}",
                gc[j]
            );
        }
        for k in (0..params.len()).step_by(7) {
            let (mut a, mut b) = (params.clone(), params.clone());
            a[k] += h;
            b[k] -= h;
            let num = (f(&x, &ctx, &a) - f(&x, &ctx, &b)) / (2.0 * h);
            assert!(
                (num - gp[k]).abs() < 1e-6 * num.abs().max(1.0),
                "gp[{k}] {} vs {num}",
                gp[k]
            );
        }
    }
}

#[test]
fn iaf_jacobian_is_lower_triangular() {
    let layer = AffineIaf::new(4, &[9], Activation::Elu);
    let params = random_params(&layer, 2, 0.5);
    let jac = fd_jacobian(&layer, &params, &[0.3, -0.2, 0.9, 1.1], 1e-5);
    for i in 0..4 {
        for j in i + 1..4 {
            assert!(jac[(i, j)].abs() < 1e-12, "J[{i},{j}] = {}", jac[(i, j)]);
        }
    }
}

#[test]
fn specs_round_trip_through_json_and_reject_corruption() {
    let chain = Chain::with_frozen(
        vec![
            Box::new(AffineIaf::new(3, &[5, 4], Activation::Tanh)),
            Box::new(Permutation::new(vec![1, 2, 0]).unwrap()),
            Box::new(LowerTriangularAffine::new(3)),
        ],
        vec![false, false, true],
    );
    let json = serde_json::to_string(&chain.spec()).unwrap();
    let spec: LayerSpec = serde_json::from_str(&json).unwrap();
    let rebuilt = spec.build().unwrap().into_chain().unwrap();
    assert_eq!(rebuilt.spec(), chain.spec());
    assert_eq!(rebuilt.num_params(), chain.num_params());
    assert!(rebuilt.is_frozen(2) && !rebuilt.is_frozen(0));

    for bad in [
        r#"{"type":"permutation","perm":[0,0]}"#,
        r#"{"type":"affine_iaf","dim":0,"hidden":[3],"activation":"elu","max_log_scale":5}"#,
        r#"{"type":"affine_iaf","dim":2,"hidden":[],"activation":"elu","max_log_scale":5}"#,
        r#"{"type":"affine_iaf","dim":2,"hidden":[3],"activation":"elu","max_log_scale":-1}"#,
        r#"{"type":"chain","layers":[{"type":"elementwise_affine","dim":2},{"type":"elementwise_affine","dim":3}],"frozen":[false,false]}"#,
        r#"{"type":"chain","layers":[],"frozen":[]}"#,
    ] {
        let spec: LayerSpec = serde_json::from_str(bad).unwrap();
        assert!(spec.build().is_err(), "{bad} should be rejected");
    }
}
