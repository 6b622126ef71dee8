//! The report and summary.json on ordinary and degenerate runs: never a panic, every plot present.

use flowpost::diagnostics::{DiagnosticWarning, WarningSettings, check_run, summarize};
use flowpost::report::{
    ReportInput, ReportVi, RunFacts, render_report, summary_table, warnings_block, write_report,
};
use flowpost::{ChainDraws, DrawStats, Draws};

fn draws(
    num_chains: usize,
    num_draws: usize,
    f: impl Fn(usize, usize, usize) -> [f64; 3],
) -> Draws {
    let names = vec!["a".to_string(), "b[1]".to_string(), "c".to_string()];
    let chains = (0..num_chains)
        .map(|c| ChainDraws {
            values: (0..num_draws).flat_map(|d| f(c, d, num_draws)).collect(),
            stats: (0..num_draws)
                .map(|d| DrawStats {
                    lp: -(d as f64),
                    accept_stat: 0.8,
                    step_size: 0.3,
                    tree_depth: 3,
                    n_leapfrog: 7,
                    divergent: d % 50 == 7,
                    energy: ((d * 7919 + c) % 13) as f64,
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    Draws::new(names, chains).unwrap()
}

fn wiggle(c: usize, d: usize) -> f64 {
    (((d * 7 + c * 3) % 31) as f64 / 5.0).sin()
}

fn count(html: &str, kind: &str) -> usize {
    html.matches(&format!("data-plot=\"{kind}\"")).count()
}

#[test]
fn ordinary_run_with_vi() {
    let d = draws(4, 300, |c, i, _| {
        [
            wiggle(c, i),
            2.0 * wiggle(c, i + 5),
            c as f64 * 0.01 + wiggle(c, i * 3),
        ]
    });
    let mut input = ReportInput::new(
        "ordinary <run> & co",
        &d,
        RunFacts::from_draws("neutra", &d),
    );
    input.vi = Some(ReportVi {
        elbo_trace: (0..500).map(|t| -10.0 - 100.0 / (1.0 + t as f64)).collect(),
        pareto_k: 0.31,
        num_steps: 500,
        final_elbo: None,
        ..Default::default()
    });
    let (html, file) = render_report(&input).unwrap();
    assert!(
        html.contains("ordinary &lt;run&gt; &amp; co"),
        "title is HTML-escaped"
    );
    for kind in ["trace", "rank"] {
        assert_eq!(count(&html, kind), 3, "{kind}");
    }
    for kind in [
        "energy",
        "step-size",
        "tree-depth",
        "pair",
        "elbo",
        "pareto-k",
    ] {
        assert_eq!(count(&html, kind), 1, "{kind}");
    }
    assert!(html.contains("good: the flow is a close fit"));
    // warnings come before the table
    assert!(html.find("id=\"warnings\"").unwrap() < html.find("id=\"summary\"").unwrap());
    let json = serde_json::to_value(&file).unwrap();
    assert_eq!(json["vi"]["num_steps"], 500);
    assert_eq!(json["vi"]["pareto_k"], 0.31);
    assert_eq!(json["run"]["num_divergent"], 4 * 6);
    assert_eq!(json["run"]["num_grad_evals"]["sampling"], 4 * 300 * 7);
    assert!(json["run"]["num_grad_evals"]["warmup"].is_null());
    assert_eq!(json["parameters"].as_array().unwrap().len(), 3);
}

#[test]
fn degenerate_runs_do_not_panic() {
    let cases: Vec<(&str, Draws)> = vec![
        (
            "one chain",
            draws(1, 100, |c, i, _| {
                [wiggle(c, i), wiggle(c, i + 1), wiggle(c, i + 2)]
            }),
        ),
        ("constant", draws(2, 100, |_, _, _| [1.0, 1.0, 1.0])),
        (
            "nan",
            draws(2, 100, |c, i, _| {
                [
                    f64::NAN,
                    if i == 3 { f64::NAN } else { wiggle(c, i) },
                    f64::INFINITY,
                ]
            }),
        ),
        (
            "three draws",
            draws(2, 3, |c, i, _| [wiggle(c, i), 0.0, 1.0]),
        ),
        ("one draw", draws(3, 1, |_, _, _| [0.5, 0.0, 1.0])),
        ("no draws", draws(2, 0, |_, _, _| [0.0; 3])),
    ];
    for (name, d) in cases {
        let mut input = ReportInput::new(name, &d, RunFacts::from_draws("nuts", &d));
        input.vi = Some(ReportVi {
            elbo_trace: vec![f64::NAN; 3],
            pareto_k: f64::INFINITY,
            num_steps: 3,
            final_elbo: None,
            ..Default::default()
        });
        let (html, file) = render_report(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(count(&html, "trace"), 3, "{name}");
        assert_eq!(count(&html, "energy"), 1, "{name}");
        let json = serde_json::to_string(&file).unwrap();
        // (Warning texts may say "NaN"; numbers must not.)
        assert!(
            !json.contains(":NaN") && !json.contains(",NaN") && !json.contains("[NaN"),
            "{name}: NaN must be null in JSON"
        );
        let back: flowpost::report::SummaryFile = serde_json::from_str(&json).unwrap();
        assert_eq!(back.parameters.len(), 3);
        let s = summarize(&d);
        let w = check_run(&d, &s, &WarningSettings::default());
        let _ = summary_table(&s);
        let _ = warnings_block(&w);
        if name == "one chain" {
            assert!(w.contains(&DiagnosticWarning::SingleChain));
        }
        if name == "nan" {
            assert!(
                w.iter()
                    .any(|w| matches!(w, DiagnosticWarning::Undefined { .. })),
                "{w:?}"
            );
        }
    }
}

#[test]
fn large_model_shows_worst_first_and_collapses_the_rest() {
    let names: Vec<String> = (1..=40).map(|i| format!("x[{i}]")).collect();
    let chains = (0..2)
        .map(|c| {
            let mut state = vec![0.0; 40];
            let values = (0..200)
                .flat_map(|d| {
                    for (j, s) in state.iter_mut().enumerate() {
                        // x[40] is the stickiest
                        let rho = 0.95 * j as f64 / 40.0;
                        *s = rho * *s + wiggle(c, d * 41 + j);
                    }
                    state.clone()
                })
                .collect();
            ChainDraws {
                values,
                stats: vec![
                    DrawStats {
                        energy: 1.0,
                        ..Default::default()
                    };
                    200
                ],
                ..Default::default()
            }
        })
        .collect();
    let d = Draws::new(names, chains).unwrap();
    let input = ReportInput::new("large", &d, RunFacts::from_draws("nuts", &d));
    let (html, _) = render_report(&input).unwrap();
    assert_eq!(count(&html, "trace"), 40);
    let details = html.find("<details>").expect("collapsed section");
    let front = &html[..details];
    assert_eq!(count(front, "trace"), 12);
    assert!(
        front.contains("x[40]: trace"),
        "the worst-mixing parameter is shown up front"
    );
}

#[test]
fn write_report_writes_both_files() {
    let d = draws(2, 50, |c, i, _| {
        [wiggle(c, i), wiggle(c, i + 1), wiggle(c, i + 2)]
    });
    let dir = std::env::temp_dir().join(format!("flowpost-report-{}", std::process::id()));
    let input = ReportInput::new("w", &d, RunFacts::from_draws("nuts", &d));
    let (file, _) = write_report(&dir, &input).unwrap();
    let back: flowpost::report::SummaryFile =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(back.parameters.len(), file.parameters.len());
    assert!(
        std::fs::read_to_string(dir.join("report.html"))
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// summary.json version 2 starts with its header, reads back equal, and a version-1 file (no
/// header, the counts without `num_*`) is read and upgraded; other versions and formats are
/// refused with the file named.
#[test]
fn summary_json_versions() {
    use flowpost::report::{SUMMARY_VERSION, SummaryFile};
    let d = draws(2, 60, |c, i, _| {
        [wiggle(c, i), wiggle(c, i + 1), wiggle(c, i + 2)]
    });
    let mut input = ReportInput::new("v", &d, RunFacts::from_draws("neutra", &d));
    input.vi = Some(ReportVi {
        elbo_trace: vec![-3.0; 40],
        pareto_k: 0.3,
        num_steps: 40,
        ..Default::default()
    });
    let (_, file) = render_report(&input).unwrap();
    let text = file.to_json();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["format"], "flowpost-summary");
    assert_eq!(json["version"], SUMMARY_VERSION);
    assert_eq!(json["run"]["method"], "neutra");
    assert_eq!(json["run"]["num_chains"], 2);
    assert_eq!(json["run"]["num_grad_evals"]["sampling"], 2 * 60 * 7);
    assert_eq!(json["vi"]["num_steps"], 40);
    let path = std::path::Path::new("run/summary.json");
    assert_eq!(SummaryFile::from_json(&text, path).unwrap(), file);

    // The same run as version 1 wrote it.
    let mut v1 = json.clone();
    let o = v1.as_object_mut().unwrap();
    o.remove("format");
    o.remove("version");
    let run = o["run"].as_object_mut().unwrap();
    for (new, old) in [
        ("num_chains", "chains"),
        ("num_draws_per_chain", "draws_per_chain"),
        ("num_divergent", "divergences"),
        ("num_grad_evals", "grad_evals"),
    ] {
        let v = run.remove(new).unwrap();
        run.insert(old.into(), v);
    }
    let vi = o["vi"].as_object_mut().unwrap();
    let steps = vi.remove("num_steps").unwrap();
    vi.insert("steps".into(), steps);
    let upgraded = SummaryFile::from_json(&v1.to_string(), path).unwrap();
    assert_eq!(upgraded, file);

    let future = text.replacen(
        &format!("\"version\": {SUMMARY_VERSION}"),
        "\"version\": 9",
        1,
    );
    let e = SummaryFile::from_json(&future, path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("run/summary.json") && e.contains("version 9") && e.contains("newer"),
        "{e}"
    );
    let other = text.replacen("flowpost-summary", "flowpost-flow", 1);
    let e = SummaryFile::from_json(&other, path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("flowpost-flow"), "{e}");
    let e = SummaryFile::from_json("[1, 2]", path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("run/summary.json") && e.contains("not a JSON object"),
        "{e}"
    );
}
