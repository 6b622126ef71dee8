//! Init JSON as CmdStan reads it (`flowpost::init::from_json`): variables by name with their
//! shapes (a matrix as nested arrays, row first), checked against the model's reported names;
//! every problem an error naming the file and the variable.

use flowpost::init::{Init, from_json};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// mu, tau, theta[1..3], Sigma (2×2), then a transformed parameter and a generated quantity.
fn model_names() -> Vec<String> {
    names(&[
        "mu",
        "tau",
        "theta[1]",
        "theta[2]",
        "theta[3]",
        "Sigma[1,1]",
        "Sigma[2,1]",
        "Sigma[1,2]",
        "Sigma[2,2]",
        "eta[1]",
        "y_rep",
    ])
}

fn parse(text: &str) -> Result<Init, String> {
    from_json(text, "init.json", &model_names(), 9).map_err(|e| e.to_string())
}

fn err(text: &str) -> String {
    let e = parse(text).unwrap_err();
    assert!(e.starts_with("init.json: "), "{e}");
    e
}

#[test]
fn variables_map_to_the_reported_names_row_first() {
    let init =
        parse(r#"{"Sigma": [[1, 0.5], [0.25, 2]], "mu": -3, "theta": [1, 2.5, 3]}"#).unwrap();
    let Init::Values(v) = init else { panic!() };
    let get = |n: &str| v.iter().find(|(k, _)| k == n).map(|(_, x)| *x);
    assert_eq!(get("Sigma[1,2]"), Some(0.5));
    assert_eq!(get("Sigma[2,1]"), Some(0.25));
    assert_eq!(get("Sigma[2,2]"), Some(2.0));
    assert_eq!(get("mu"), Some(-3.0));
    assert_eq!(get("theta[2]"), Some(2.5));
    assert_eq!(get("tau"), None, "left out: drawn as by default");
    assert_eq!(v.len(), 8);
    assert_eq!(parse("{}").unwrap(), Init::Values(vec![]));
}

#[test]
fn problems_name_the_file_and_the_variable() {
    let cases = [
        (
            r#"{"tua": 1}"#,
            vec![
                "`tua` is not a parameter",
                "did you mean `tau`",
                "theta (3 values)",
            ],
        ),
        (
            r#"{"eta": [1]}"#,
            vec!["`eta` is a transformed parameter or generated quantity"],
        ),
        (r#"{"theta": [1, 2]}"#, vec!["`theta`: 2 entries", "has 3"]),
        (
            r#"{"theta": 1}"#,
            vec!["`theta`: expected an array of 3", "got a number"],
        ),
        (
            r#"{"mu": [1]}"#,
            vec!["`mu`: expected a number, got an array"],
        ),
        (
            r#"{"Sigma": [1, 2]}"#,
            vec!["`Sigma[1]`: expected an array of 2", "2 × 2"],
        ),
        (r#"{"Sigma": [[1, 2], [3]]}"#, vec!["`Sigma[2]`: 1 entries"]),
        (
            r#"{"theta": [1, null, 3]}"#,
            vec!["`theta[2]`: expected a number, got null"],
        ),
        (
            r#"{"tau": "Inf"}"#,
            vec!["`tau` = Inf: initial values must be finite"],
        ),
        (r#"{"tau": 1e999}"#, vec!["not valid JSON"]),
        (r#"[1, 2]"#, vec!["expected an object"]),
        (r#"{"mu": 1"#, vec!["not valid JSON", "line 1"]),
        (r#"{"mu": 1, "mu": 2}"#, vec!["`mu` is given twice"]),
    ];
    for (text, needles) in cases {
        let e = err(text);
        for n in needles {
            assert!(e.contains(n), "{text}: want `{n}` in: {e}");
        }
    }
}

#[test]
fn names_without_indices_and_odd_stan_names_are_matched_whole() {
    let odd = names(&["pair[2]:1[4]", "z"]);
    let init = from_json(r#"{"z": 1.5}"#, "i.json", &odd, 2).unwrap();
    assert_eq!(init, Init::Values(vec![("z".into(), 1.5)]));
    let e = from_json(r#"{"pair": 1}"#, "i.json", &odd, 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`pair` is not a parameter"), "{e}");
}
