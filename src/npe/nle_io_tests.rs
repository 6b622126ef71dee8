//! Tests of the NLE estimator file: a save/load round trip gives the same likelihood and
//! gradient bit for bit, with the prior (every family) and the x names kept; a file of the
//! wrong kind or a damaged one is an error naming the file and what is wrong.

use super::super::nle::tests::random_estimator;
use super::super::prior_grad::tests::families;
use super::super::{IndependentPrior, NleEstimator, NpeEstimator, TransformKind};

fn with_every_family(kind: TransformKind) -> NleEstimator {
    let m = families();
    let names = (1..=m.len()).map(|i| format!("p{i}")).collect();
    let prior = IndependentPrior::with_names(m, names).unwrap();
    random_estimator(prior, 3, kind)
}

#[test]
fn round_trip_keeps_the_likelihood_bit_for_bit() {
    for kind in [TransformKind::Affine, TransformKind::Spline] {
        let est = with_every_family(kind)
            .with_x_labels(vec!["a".into(), "b".into(), "c".into()])
            .unwrap();
        let path = std::env::temp_dir().join(format!(
            "flowpost-nle-io-{}-{kind:?}.json",
            std::process::id()
        ));
        est.save(&path).unwrap();
        let back = NleEstimator::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(back.prior(), est.prior());
        assert_eq!(back.x_labels(), est.x_labels());
        assert_eq!(back.to_json(), est.to_json());
        let xs = [0.3, -1.2, 2.0, 1.1, 0.4, -0.7];
        let d = est.theta_dim();
        for k in 0..4 {
            let u: Vec<f64> = (0..d)
                .map(|i| 0.4 * (i as f64 - 2.0) + 0.3 * k as f64)
                .collect();
            let (mut g1, mut g2) = (vec![0.0; d], vec![0.0; d]);
            let a = est.log_likelihood_iid(&xs, &u, Some(&mut g1)).unwrap();
            let b = back.log_likelihood_iid(&xs, &u, Some(&mut g2)).unwrap();
            assert_eq!(a.to_bits(), b.to_bits(), "{kind:?} point {k}");
            assert_eq!(g1, g2, "{kind:?} point {k}");
        }
    }
}

#[test]
fn a_file_of_the_other_kind_is_named_as_such() {
    let nle = with_every_family(TransformKind::Affine);
    let err = NpeEstimator::from_json(&nle.to_json(), "nle.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("nle.json"), "{err}");
    assert!(
        err.contains("neural likelihood (NLE) estimator") && err.contains("flowpost nle sample"),
        "{err}"
    );
    let npe = nle.flow_estimator().to_json();
    let err = NleEstimator::from_json(&npe, "npe.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("npe.json"), "{err}");
    assert!(
        err.contains("neural posterior (NPE) estimator") && err.contains("flowpost npe sample"),
        "{err}"
    );
}

#[test]
fn damaged_files_are_errors_naming_what_is_wrong() {
    let text = with_every_family(TransformKind::Affine).to_json();
    let cut = NleEstimator::from_json(&text[..text.len() / 2], "e.json").unwrap_err();
    assert!(
        cut.to_string().contains("e.json: file is truncated"),
        "{cut}"
    );
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["version"] = 9.into();
    let err = NleEstimator::from_json(&v.to_string(), "e.json").unwrap_err();
    assert!(
        err.to_string().contains("version 9 is not supported"),
        "{err}"
    );
    // A prior with another dimension than the flow's context.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["prior"]["parameters"].as_array_mut().unwrap().pop();
    let err = NleEstimator::from_json(&v.to_string(), "e.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("e.json") && err.contains("prior"), "{err}");
    // A prior entry of an unknown family is named with its place.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["prior"]["parameters"][1]["family"] = "lognormal".into();
    let err = NleEstimator::from_json(&v.to_string(), "e.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("e.json (its `prior`)") && err.contains("unknown family `lognormal`"),
        "{err}"
    );
    // x labels of the wrong length.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["x_labels"] = serde_json::json!(["a"]);
    let err = NleEstimator::from_json(&v.to_string(), "e.json").unwrap_err();
    assert!(err.to_string().contains("x labels"), "{err}");
}

#[test]
fn unknown_fields_are_refused() {
    let est = with_every_family(TransformKind::Affine);
    let mut v: serde_json::Value = serde_json::from_str(&est.to_json()).unwrap();
    v["extra"] = 1.into();
    let err = NleEstimator::from_json(&v.to_string(), "e.json").unwrap_err();
    assert!(err.to_string().contains("corrupt content"), "{err}");
}
