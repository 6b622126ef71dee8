//! Property tests for the conditional layers of `flowpost::npe` at random parameters: round
//! trip, log-det against a finite-difference Jacobian, VJPs (input, context, parameters) against
//! finite differences, the spline's monotonicity and linear tails, and the autoregressive
//! structure of the masks with context.

use flowpost::bijection::check_conditional::{check_conditional, fd_jacobians};
use flowpost::bijection::{Activation, ConditionalBijection, Permutation, Unconditioned};
use flowpost::npe::{
    ConditionalChain, FlowSettings, MafAffine, MafSpline, RqSpline, TransformKind,
};
use flowpost::rng::{fill_standard_normal, seeded};

fn random_params(b: &dyn ConditionalBijection, seed: u64, scale: f64) -> Vec<f64> {
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

fn check_layer(b: &dyn ConditionalBijection, what: &str, scale: f64, spread: f64) {
    for seed in 0..4 {
        let params = random_params(b, seed, scale);
        let mut rng = seeded(seed, 99);
        let (d, m) = (b.dim(), b.context_dim());
        let mut v = vec![0.0; 2 * d + m];
        fill_standard_normal(&mut rng, &mut v);
        let (theta, rest) = v.split_at_mut(d);
        theta.iter_mut().for_each(|t| *t *= spread);
        let (ctx, gz) = rest.split_at(m);
        let report = check_conditional(b, &params, theta, ctx, gz, 0.7);
        report.assert_ok(&format!("{what} seed {seed}"));
    }
}

#[test]
fn maf_affine_properties() {
    check_layer(
        &MafAffine::new(4, 3, &[16, 16], Activation::Elu),
        "affine",
        0.3,
        1.0,
    );
    check_layer(
        &MafAffine::new(1, 2, &[8], Activation::Tanh),
        "affine d=1",
        0.3,
        1.0,
    );
}

#[test]
fn maf_spline_properties() {
    // spread 1.5 with tails at 2: some coordinates in the spline, some in the linear tails.
    let layer = MafSpline::new(4, 3, &[16, 16], Activation::Elu, 6, 2.0);
    check_layer(&layer, "spline", 0.3, 1.5);
    check_layer(
        &MafSpline::new(2, 1, &[8], Activation::Tanh, 1, 3.0),
        "spline K=1",
        0.5,
        1.0,
    );
    // Larger random weights (0.5) still give steep and flat bins; at 1.0 the map's Jacobian is
    // so ill-conditioned (∂z_2/∂θ_1 ~ 1e4 next to a flat bin) that f64 round trips lose 8 digits.
    check_layer(
        &MafSpline::new(3, 0, &[8], Activation::Tanh, 10, 3.0),
        "spline no ctx",
        0.5,
        1.0,
    );
}

#[test]
fn chain_with_permutation_properties() {
    let chain = ConditionalChain::new(vec![
        Box::new(MafSpline::new(3, 2, &[12], Activation::Tanh, 5, 3.0)),
        Box::new(Unconditioned::new(Box::new(Permutation::reversal(3)), 2)),
        Box::new(MafAffine::new(3, 2, &[12], Activation::Tanh)),
    ]);
    check_layer(&chain, "chain", 0.3, 1.0);
    let flow = FlowSettings {
        num_transforms: 3,
        hidden: vec![10, 10],
        activation: Activation::Tanh,
        num_bins: 4,
        ..FlowSettings::default()
    }
    .build(3, 2)
    .unwrap();
    check_layer(&flow, "default-style flow", 0.2, 1.0);
}

#[test]
fn spec_round_trip_rebuilds_the_same_flow() {
    for kind in [TransformKind::Spline, TransformKind::Affine] {
        let flow = FlowSettings {
            transform: kind,
            num_transforms: 2,
            hidden: vec![7],
            ..FlowSettings::default()
        }
        .build(3, 2)
        .unwrap();
        let spec = flow.spec();
        let json = serde_json::to_string(&spec).unwrap();
        let back: flowpost::bijection::ConditionalSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let rebuilt = back.build().unwrap();
        assert_eq!(rebuilt.num_params(), flow.num_params());
        let p = random_params(&flow, 1, 0.3);
        let (mut z1, mut z2) = ([0.0; 3], [0.0; 3]);
        let mut t1 = vec![0.0; flow.tape_len()];
        let mut t2 = vec![0.0; rebuilt.tape_len()];
        let a = flow.forward(&p, &[0.1, 0.2, -0.3], &[1.0, 2.0], &mut z1, &mut t1);
        let b = rebuilt.forward(&p, &[0.1, 0.2, -0.3], &[1.0, 2.0], &mut z2, &mut t2);
        assert_eq!((a, z1), (b, z2));
    }
}

#[test]
fn autoregressive_masks_with_context() {
    for layer in [
        Box::new(MafSpline::new(5, 3, &[20, 20], Activation::Elu, 4, 3.0))
            as Box<dyn ConditionalBijection>,
        Box::new(MafAffine::new(5, 3, &[20, 20], Activation::Elu)),
    ] {
        let p = random_params(layer.as_ref(), 3, 0.5);
        let theta = [0.3, -0.2, 0.5, 0.1, -0.4];
        let ctx = [0.2, -0.7, 1.1];
        let (jt, jc) = fd_jacobians(layer.as_ref(), &p, &theta, &ctx, 1e-5);
        for i in 0..5 {
            for j in i + 1..5 {
                assert_eq!(jt[(i, j)], 0.0, "z_{i} must not depend on θ_{j}");
            }
            assert!(jt[(i, i)] > 0.0, "monotone in θ_{i}");
            let ctx_effect: f64 = (0..3).map(|k| jc[(i, k)].abs()).sum();
            assert!(ctx_effect > 1e-6, "z_{i} must depend on the context");
            if i > 0 {
                assert!(
                    jt[(i, i - 1)].abs() > 1e-8,
                    "z_{i} should depend on θ_{}",
                    i - 1
                );
            }
        }
    }
}

#[test]
fn spline_is_monotone_continuous_and_linear_outside_the_bound() {
    let s = RqSpline::new(8, 2.5);
    let mut scratch = s.scratch();
    for seed in 0..5 {
        let mut raw = vec![0.0; s.num_raw()];
        fill_standard_normal(&mut seeded(seed, 5), &mut raw);
        raw.iter_mut().for_each(|r| *r *= 2.0);
        let mut prev = f64::NEG_INFINITY;
        let n = 4001;
        for k in 0..n {
            let x = -4.0 + 8.0 * k as f64 / (n - 1) as f64;
            let (y, ld) = s.forward(&raw, x, &mut scratch);
            assert!(y > prev, "not increasing at {x}");
            assert!(ld.is_finite());
            // Continuity: steps of 0.002 move y by at most max slope × step.
            if prev.is_finite() {
                assert!(y - prev < 0.002 * 1e3, "jump at {x}");
            }
            prev = y;
            if x.abs() > 2.5 {
                assert_eq!((y, ld), (x, 0.0), "identity tail at {x}");
            }
            let (back, ld2) = s.inverse(&raw, y, &mut scratch);
            assert!(
                (back - x).abs() < 1e-10 && (ld - ld2).abs() < 1e-9,
                "round trip at {x}"
            );
        }
        // The spline maps [−B, B] onto itself and its slope at ±B is 1 (continuous tails).
        let (lo, _) = s.forward(&raw, -2.5, &mut scratch);
        let (hi, ld_hi) = s.forward(&raw, 2.5, &mut scratch);
        assert!((lo + 2.5).abs() < 1e-12 && (hi - 2.5).abs() < 1e-12);
        assert!(ld_hi.abs() < 1e-12);
    }
}

#[test]
fn spline_vjp_matches_finite_differences() {
    let s = RqSpline::new(7, 3.0);
    let mut scratch = s.scratch();
    let mut g_raw = vec![0.0; s.num_raw()];
    for seed in 0..6 {
        let mut raw = vec![0.0; s.num_raw()];
        fill_standard_normal(&mut seeded(seed, 7), &mut raw);
        let x = -2.9 + 5.8 * (seed as f64 + 0.37) / 6.0;
        let (gy, gld) = (0.8, -1.3);
        let gx = s.backward(&raw, x, gy, gld, &mut scratch, &mut g_raw);
        let loss = |r: &[f64], x: f64| {
            let (y, ld) = s.forward(r, x, &mut s.scratch());
            gy * y + gld * ld
        };
        let h = 1e-6;
        let num = (loss(&raw, x + h) - loss(&raw, x - h)) / (2.0 * h);
        assert!(
            (gx - num).abs() < 1e-6 * num.abs().max(1.0),
            "gx {gx} vs {num}"
        );
        for k in 0..raw.len() {
            let mut rp = raw.clone();
            rp[k] += h;
            let up = loss(&rp, x);
            rp[k] -= 2.0 * h;
            let down = loss(&rp, x);
            let num = (up - down) / (2.0 * h);
            assert!(
                (g_raw[k] - num).abs() < 1e-6 * num.abs().max(1.0),
                "raw {k}: {} vs {num}",
                g_raw[k]
            );
        }
    }
}
