//! Property tests for every layer, conditional or not, at random parameters (not only the
//! near-identity init): every registered layer (`bijection::check::registry`, one entry per
//! `LayerSpec` kind) passes the round trip, log-det against a finite-difference Jacobian, VJPs
//! (input, context, parameters) against finite differences and the transposed-Jacobian solve;
//! its Jacobian has the sparsity it claims (autoregressive masks, context reaching every
//! output); its spec round-trips through JSON. Then MADE's and the spline's own checks, the
//! file format of chains, and one deliberately wrong layer per check.

use flowpost::bijection::check::{
    Case, Structure, check_batch, check_bijection, fd_jacobians, registry,
};
use flowpost::bijection::*;
use flowpost::npe::{FlowSettings, TransformKind};
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

/// Runs every property check at 4 random points.
fn check_layer(b: &dyn Bijection, what: &str, param_scale: f64, input_spread: f64) {
    for seed in 0..4 {
        let params = random_params(b, seed, param_scale);
        let mut rng = seeded(seed, 99);
        let (d, m) = (b.dim(), b.context_dim());
        let mut v = vec![0.0; 3 * d + m];
        fill_standard_normal(&mut rng, &mut v);
        let (x, rest) = v.split_at_mut(d);
        x.iter_mut().for_each(|t| *t *= input_spread);
        let (ctx, rest) = rest.split_at(m);
        let (gy, rhs) = rest.split_at(d);
        let report = check_bijection(b, &params, x, ctx, gy, 0.7, rhs);
        report.assert_ok(&format!("{what} seed {seed}"));
    }
}

#[test]
fn every_registered_layer_passes_every_property() {
    for Case {
        name,
        layer,
        param_scale,
        input_spread,
        ..
    } in registry()
    {
        check_layer(layer.as_ref(), &name, param_scale, input_spread);
    }
}

/// The batched calls (matrix–matrix products in the masked autoregressive layers) give the
/// per-item results to rounding: outputs, log-dets, inverses, and every gradient.
fn check_layer_batched(b: &dyn Bijection, what: &str, param_scale: f64, input_spread: f64) {
    for (seed, n) in [(0, 1), (1, 7), (2, 33)] {
        let params = random_params(b, seed, param_scale);
        let mut rng = seeded(seed, 98);
        let (d, m) = (b.dim(), b.context_dim());
        let mut v = vec![0.0; n * (2 * d + m + 1)];
        fill_standard_normal(&mut rng, &mut v);
        let (x, rest) = v.split_at_mut(n * d);
        x.iter_mut().for_each(|t| *t *= input_spread);
        let (ctx, rest) = rest.split_at(n * m);
        let (gy, gld) = rest.split_at(n * d);
        let report = check_batch(b, &params, x, ctx, gy, gld);
        report.assert_ok(&format!("{what} seed {seed}, {n} items"));
    }
}

#[test]
fn every_registered_layer_batches_like_its_per_item_calls() {
    for case in registry() {
        let (layer, name) = (case.layer.as_ref(), &case.name);
        check_layer_batched(layer, name, case.param_scale, case.input_spread);
    }
    for transform in [TransformKind::Spline, TransformKind::Affine] {
        let flow = FlowSettings {
            transform,
            hidden: vec![12, 9],
            ..FlowSettings::default()
        }
        .build(4, 3)
        .unwrap();
        check_layer_batched(&flow, &format!("NPE flow {transform:?}"), 0.2, 1.0);
    }
}

#[test]
fn the_npe_flow_architecture_passes_every_property() {
    let flow = FlowSettings {
        num_transforms: 3,
        hidden: vec![10, 10],
        activation: Activation::Tanh,
        num_bins: 4,
        ..FlowSettings::default()
    }
    .build(3, 2)
    .unwrap();
    check_layer(&flow, "default-style NPE flow", 0.2, 1.0);
}

/// Jacobians have the structure their layers claim: exact zeros above the diagonal of an
/// autoregressive layer (and off the diagonal of an elementwise one), a positive diagonal, no
/// empty mask (y_i depends on x_{i−1}), and a context that reaches every output.
#[test]
fn jacobians_have_the_claimed_structure() {
    for case in registry() {
        let layer = case.layer.as_ref();
        let (d, m) = (layer.dim(), layer.context_dim());
        let p = random_params(layer, 3, 0.5);
        // Inside every spline's tail bound, where each output depends on its predecessors.
        let x: Vec<f64> = (0..d).map(|i| 0.5 * (1.7 * i as f64 + 0.3).sin()).collect();
        let ctx: Vec<f64> = (0..m).map(|k| (0.9 * k as f64 + 0.2).cos()).collect();
        let (jx, jc) = fd_jacobians(layer, &p, &x, &ctx, 1e-5);
        let name = &case.name;
        if case.structure == Structure::General {
            continue;
        }
        for i in 0..d {
            let ctx_effect: f64 = (0..m).map(|k| jc[(i, k)].abs()).sum();
            assert!(
                m == 0 || ctx_effect > 1e-6,
                "{name}: y_{i} ignores the context"
            );
            assert!(jx[(i, i)] > 0.0, "{name}: not increasing in x_{i}");
            for j in i + 1..d {
                assert_eq!(jx[(i, j)], 0.0, "{name}: y_{i} depends on x_{j}");
            }
            for j in 0..i {
                match case.structure {
                    Structure::Diagonal => assert_eq!(jx[(i, j)], 0.0, "{name}: J[{i},{j}]"),
                    _ if j + 1 == i => {
                        assert!(jx[(i, j)].abs() > 1e-8, "{name}: y_{i} ignores x_{j}")
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn every_registered_spec_round_trips_through_json() {
    for case in registry() {
        let layer = case.layer.as_ref();
        let spec = layer.spec();
        let json = serde_json::to_string(&spec).unwrap();
        let back: LayerSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec, "{}", case.name);
        let rebuilt = back.build().unwrap().into_dyn();
        assert_eq!(rebuilt.spec(), spec, "{}", case.name);
        assert_eq!(
            (rebuilt.num_params(), rebuilt.context_dim()),
            (layer.num_params(), layer.context_dim())
        );
        let (d, m) = (layer.dim(), layer.context_dim());
        let p = random_params(layer, 1, 0.3);
        let x: Vec<f64> = (0..d).map(|i| 0.1 * i as f64 - 0.2).collect();
        let ctx = vec![0.5; m];
        let (mut y1, mut y2) = (vec![0.0; d], vec![0.0; d]);
        let mut t1 = vec![0.0; layer.tape_len()];
        let mut t2 = vec![0.0; rebuilt.tape_len()];
        let a = layer.transform(&p, &x, &ctx, &mut y1, &mut t1);
        let b = rebuilt.transform(&p, &x, &ctx, &mut y2, &mut t2);
        assert_eq!((a, y1), (b, y2), "{}", case.name);
    }
}

#[test]
fn npe_flows_rebuild_from_their_specs() {
    for kind in [TransformKind::Spline, TransformKind::Affine] {
        let flow = FlowSettings {
            transform: kind,
            num_transforms: 2,
            hidden: vec![7],
            ..FlowSettings::default()
        }
        .build(3, 2)
        .unwrap();
        let json = serde_json::to_string(&flow.spec()).unwrap();
        let back: LayerSpec = serde_json::from_str(&json).unwrap();
        let rebuilt = back.build().unwrap().into_dyn();
        assert_eq!(rebuilt.spec(), flow.spec());
        let p = random_params(&flow, 1, 0.3);
        let (mut z1, mut z2) = ([0.0; 3], [0.0; 3]);
        let mut t1 = vec![0.0; flow.tape_len()];
        let mut t2 = vec![0.0; rebuilt.tape_len()];
        let a = flow.transform(&p, &[0.1, 0.2, -0.3], &[1.0, 2.0], &mut z1, &mut t1);
        let b = rebuilt.transform(&p, &[0.1, 0.2, -0.3], &[1.0, 2.0], &mut z2, &mut t2);
        assert_eq!((a, z1), (b, z2));
    }
}

/// The file formats do not move: a conditional chain writes its context-free layers as
/// `unconditioned` and no `frozen` flags; a chain with a frozen layer writes one flag per layer;
/// an IAF writes no context.
#[test]
fn chain_specs_keep_their_file_format() {
    let conditional = Chain::new(vec![
        Box::new(MaskedAutoregressive::maf(2, 1, &[3], Activation::Relu, 5.0)),
        Box::new(Permutation::reversal(2)),
        Box::new(MaskedAutoregressive::spline(
            2,
            1,
            &[3],
            Activation::Relu,
            4,
            3.0,
        )),
    ]);
    assert_eq!(
        serde_json::to_string(&conditional.spec()).unwrap(),
        concat!(
            r#"{"type":"chain","layers":[{"type":"maf_affine","dim":2,"context_dim":1,"#,
            r#""hidden":[3],"activation":"relu","max_log_scale":5.0},"#,
            r#"{"type":"unconditioned","context_dim":1,"layer":{"type":"permutation","perm":[1,0]}},"#,
            r#"{"type":"maf_spline","dim":2,"context_dim":1,"hidden":[3],"activation":"relu","#,
            r#""num_bins":4,"tail_bound":3.0}]}"#
        )
    );
    let neutra = Chain::with_frozen(
        vec![
            Box::new(MaskedAutoregressive::iaf(2, &[3], Activation::Elu, 8.0)),
            Box::new(LowerTriangularAffine::new(2)),
        ],
        vec![false, true],
    );
    assert_eq!(
        serde_json::to_string(&neutra.spec()).unwrap(),
        concat!(
            r#"{"type":"chain","layers":[{"type":"affine_iaf","dim":2,"hidden":[3],"#,
            r#""activation":"elu","max_log_scale":8.0},"#,
            r#"{"type":"lower_triangular_affine","dim":2}],"frozen":[false,true]}"#
        )
    );
}

#[test]
fn corrupt_specs_are_rejected() {
    let chain = Chain::with_frozen(
        vec![
            Box::new(MaskedAutoregressive::iaf(3, &[5, 4], Activation::Tanh, 5.0)),
            Box::new(Permutation::new(vec![1, 2, 0]).unwrap()),
            Box::new(LowerTriangularAffine::new(3)),
        ],
        vec![false, false, true],
    );
    let rebuilt = chain.spec().build().unwrap().into_chain().unwrap();
    assert!(rebuilt.is_frozen(2) && !rebuilt.is_frozen(0));
    assert!(Permutation::new(vec![0, 0, 1]).is_none());
    assert!(Permutation::new(vec![0, 3]).is_none());
    for bad in [
        r#"{"type":"permutation","perm":[0,0]}"#,
        r#"{"type":"affine_iaf","dim":0,"hidden":[3],"activation":"elu","max_log_scale":5}"#,
        r#"{"type":"affine_iaf","dim":2,"hidden":[],"activation":"elu","max_log_scale":5}"#,
        r#"{"type":"affine_iaf","dim":2,"hidden":[3],"activation":"elu","max_log_scale":-1}"#,
        r#"{"type":"maf_spline","dim":2,"context_dim":1,"hidden":[3],"activation":"elu","num_bins":0,"tail_bound":3}"#,
        r#"{"type":"maf_affine","dim":2,"context_dim":1,"hidden":[3],"activation":"elu","max_log_scale":0}"#,
        r#"{"type":"chain","layers":[{"type":"elementwise_affine","dim":2},{"type":"elementwise_affine","dim":3}],"frozen":[false,false]}"#,
        r#"{"type":"chain","layers":[{"type":"elementwise_affine","dim":2}],"frozen":[false,false]}"#,
        r#"{"type":"chain","layers":[],"frozen":[]}"#,
        r#"{"type":"chain","layers":[{"type":"unconditioned","context_dim":2,"layer":{"type":"permutation","perm":[1,0]}},{"type":"maf_affine","dim":2,"context_dim":1,"hidden":[3],"activation":"elu","max_log_scale":5}]}"#,
    ] {
        let spec: LayerSpec = serde_json::from_str(bad).unwrap();
        assert!(spec.build().is_err(), "{bad} should be rejected");
    }
}

#[test]
fn iaf_scale_stays_clamped_far_in_the_tails() {
    let layer = MaskedAutoregressive::iaf(3, &[8], Activation::Elu, 5.0);
    let params = random_params(&layer, 3, 3.0);
    let mut tape = vec![0.0; layer.tape_len()];
    let mut y = [0.0; 3];
    let ld = layer.transform(&params, &[1e3, -1e3, 1e3], &[], &mut y, &mut tape);
    assert!(
        ld.is_finite() && ld.abs() <= 3.0 * 5.0 + 1e-9,
        "log det {ld}"
    );
    assert!(y.iter().all(|v| v.is_finite()));
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
    let x = [0.1, 0.2, 0.3];
    let mut y = vec![0.0; d];
    chain.transform(&params, &x, &[], &mut y, &mut tape);
    let mut gp = vec![0.0; chain.num_params()];
    let mut gx = vec![0.0; d];
    let gy = [1.0, 1.0, 1.0];
    chain.vjp(
        &params,
        &x,
        &[],
        &mut tape,
        &gy,
        1.0,
        &mut gx,
        None,
        Some(&mut gp),
    );
    assert!(gp[chain.param_range(0)].iter().any(|g| *g != 0.0));
    assert!(gp[chain.param_range(1)].iter().all(|g| *g == 0.0));
}

/// The Jacobian of MADE's outputs with respect to its inputs is strictly lower triangular per
/// output block (exactly zero on and above the diagonal), for random weights, with and
/// without context; its VJP (input, context, parameters) matches finite differences.
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
        let (gc_arg, gp_arg) = (Some(&mut gc[..]), Some(&mut gp[..]));
        made.backward(
            &params, &x, &ctx, &mut tape, &g_out, &mut gx, gc_arg, gp_arg,
        );
        let f = |xx: &[f64], cc: &[f64], pp: &[f64]| {
            let mut o = vec![0.0; 3 * d];
            let mut t = vec![0.0; made.tape_len()];
            made.forward(pp, xx, cc, &mut o, &mut t);
            o.iter().zip(&g_out).map(|(a, b)| a * b).sum::<f64>()
        };
        let fd = |v: &[f64], k: usize, eval: &dyn Fn(&[f64]) -> f64| {
            let h = 1e-6;
            let (mut a, mut b) = (v.to_vec(), v.to_vec());
            a[k] += h;
            b[k] -= h;
            (eval(&a) - eval(&b)) / (2.0 * h)
        };
        let close = |analytic: f64, num: f64| (num - analytic).abs() < 1e-6 * num.abs().max(1.0);
        for (j, g) in gx.iter().enumerate() {
            let num = fd(&x, j, &|a| f(a, &ctx, &params));
            assert!(close(*g, num), "gx[{j}] {g} vs {num}");
        }
        for (j, g) in gc.iter().enumerate() {
            let num = fd(&ctx, j, &|a| f(&x, a, &params));
            assert!(close(*g, num), "gctx[{j}] {g} vs {num}");
        }
        for k in (0..params.len()).step_by(7) {
            let num = fd(&params, k, &|a| f(&x, &ctx, a));
            assert!(close(gp[k], num), "gp[{k}] {} vs {num}", gp[k]);
        }
    }
}

#[test]
fn spline_is_monotone_continuous_and_linear_outside_the_bound() {
    let s = RqSpline::new(8, 2.5);
    let mut scratch = vec![0.0; s.scratch_len()];
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

/// Every bin, the two edge bins included, with one scratch reused across points and seeds (the
/// spline evaluates only the bin's own knot derivatives, so stale values elsewhere in the
/// scratch must never reach a result).
#[test]
fn spline_vjp_matches_finite_differences() {
    let s = RqSpline::new(7, 3.0);
    let mut scratch = vec![0.0; s.scratch_len()];
    let mut g_raw = vec![0.0; s.num_raw()];
    for seed in 0..6 {
        let mut raw = vec![0.0; s.num_raw()];
        fill_standard_normal(&mut seeded(seed, 7), &mut raw);
        for i in 0..15 {
            let x = -2.98 + 5.96 * (i as f64 + 0.07 * seed as f64) / 14.4;
            check_spline_vjp_at(&s, &raw, x, &mut scratch, &mut g_raw);
        }
    }
}

fn check_spline_vjp_at(s: &RqSpline, raw: &[f64], x: f64, scratch: &mut [f64], g: &mut [f64]) {
    let (gy, gld) = (0.8, -1.3);
    let gx = s.backward(raw, x, gy, gld, scratch, g);
    let loss = |r: &[f64], x: f64| {
        let (y, ld) = s.forward(r, x, &mut vec![0.0; s.scratch_len()]);
        gy * y + gld * ld
    };
    let h = 1e-6;
    let num = (loss(raw, x + h) - loss(raw, x - h)) / (2.0 * h);
    assert!(
        (gx - num).abs() < 1e-6 * num.abs().max(1.0),
        "x {x}: gx {gx} vs {num}"
    );
    for k in 0..raw.len() {
        let mut rp = raw.to_vec();
        rp[k] += h;
        let up = loss(&rp, x);
        rp[k] -= 2.0 * h;
        let down = loss(&rp, x);
        let num = (up - down) / (2.0 * h);
        assert!(
            (g[k] - num).abs() < 1e-6 * num.abs().max(1.0),
            "x {x}, raw {k}: {} vs {num}",
            g[k]
        );
    }
}

/// A layer with one deliberate bug, to show each check catches its kind of error.
#[derive(Debug)]
struct Broken(Box<dyn Bijection>, Bug);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bug {
    None,
    Inverse,
    LogDet,
    InputVjp,
    ContextVjp,
    ParamVjp,
    Solve,
}

impl Broken {
    /// A log-det off by a function of x (so transform and inverse still agree).
    fn log_det_error(&self, x: &[f64]) -> f64 {
        if self.1 == Bug::LogDet {
            0.1 * x[0]
        } else {
            0.0
        }
    }
}

impl Bijection for Broken {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn context_dim(&self) -> usize {
        self.0.context_dim()
    }
    fn num_params(&self) -> usize {
        self.0.num_params()
    }
    fn tape_len(&self) -> usize {
        self.0.tape_len()
    }
    fn init_params(&self, p: &mut [f64], rng: &mut dyn rand::Rng) {
        self.0.init_params(p, rng)
    }
    fn transform(&self, p: &[f64], x: &[f64], c: &[f64], y: &mut [f64], t: &mut [f64]) -> f64 {
        self.0.transform(p, x, c, y, t) + self.log_det_error(x)
    }
    fn inverse(&self, p: &[f64], y: &[f64], c: &[f64], x: &mut [f64], t: &mut [f64]) -> f64 {
        let ld = self.0.inverse(p, y, c, x, t);
        if self.1 == Bug::Inverse {
            x[1] += 1e-3;
        }
        ld + self.log_det_error(x)
    }
    fn vjp(
        &self,
        p: &[f64],
        x: &[f64],
        c: &[f64],
        t: &mut [f64],
        gy: &[f64],
        gld: f64,
        gx: &mut [f64],
        mut gc: Option<&mut [f64]>,
        mut gp: Option<&mut [f64]>,
    ) {
        let (gc_arg, gp_arg) = (gc.as_deref_mut(), gp.as_deref_mut());
        self.0.vjp(p, x, c, t, gy, gld, gx, gc_arg, gp_arg);
        match (self.1, gc, gp) {
            (Bug::InputVjp, _, _) => gx[0] += 0.5,
            (Bug::ContextVjp, Some(gc), _) => gc[0] *= 0.5,
            (Bug::ParamVjp, _, Some(gp)) => gp[0] *= 1.5,
            _ => {}
        }
    }
    fn solve_jacobian_transpose(
        &self,
        p: &[f64],
        x: &[f64],
        c: &[f64],
        t: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        self.0.solve_jacobian_transpose(p, x, c, t, v, u);
        if self.1 == Bug::Solve {
            u[0] *= 2.0;
        }
    }
    fn spec(&self) -> LayerSpec {
        self.0.spec()
    }
}

#[test]
fn each_check_catches_its_bug() {
    let report = |bug| {
        let b = Broken(Box::new(ElementwiseAffine::new(3)), bug);
        let params = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2];
        let x = [0.7, -1.1, 0.4];
        check_bijection(
            &b,
            &params,
            &x,
            &[],
            &[0.5, -0.3, 0.8],
            0.7,
            &[1.0, -2.0, 0.5],
        )
    };
    report(Bug::None).assert_ok("correct layer");
    assert!(report(Bug::Inverse).round_trip > 1e-4);
    let ld = report(Bug::LogDet);
    assert!(ld.log_det_vs_fd > 1e-2 && ld.log_det_consistency < 1e-12);
    assert!(report(Bug::InputVjp).vjp_input > 1e-2);
    assert!(report(Bug::ParamVjp).vjp_params > 1e-2);
    assert!(report(Bug::Solve).jt_solve > 1e-2);
}

#[test]
fn a_wrong_context_gradient_is_caught() {
    let report = |bug| {
        let maf = MaskedAutoregressive::maf(3, 2, &[8], Activation::Tanh, 5.0);
        let b = Broken(Box::new(maf), bug);
        let params: Vec<f64> = (0..b.num_params())
            .map(|i| 0.3 * ((i as f64) * 0.7).sin())
            .collect();
        let (theta, ctx) = ([0.4, -0.8, 1.1], [0.6, -0.5]);
        let (gz, rhs) = ([0.5, -0.3, 0.8], [1.0, -2.0, 0.5]);
        check_bijection(&b, &params, &theta, &ctx, &gz, 0.7, &rhs)
    };
    report(Bug::None).assert_ok("correct layer");
    let bad = report(Bug::ContextVjp);
    assert!(bad.vjp_context > 1e-3, "{bad:?}");
    assert!(bad.vjp_input < 1e-6 && bad.vjp_params < 1e-6, "{bad:?}");
}
