//! CmdStan CSV: reading hand-written CmdStan-style files (fixtures in `tests/data/cmdstan/`),
//! malformed files, and the bit-exact write → read round trip.

use std::path::{Path, PathBuf};

use flowpost::io::cmdstan::*;
use flowpost::{ChainDraws, DrawStats, Draws};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cmdstan")
        .join(name)
}

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-cmdstan-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn reads_cmdstan_output_with_config_adaptation_and_timing() {
    let c = read_chain_csv(&fixture("eight_schools_1.csv")).unwrap();
    assert_eq!(
        c.param_names,
        ["mu", "tau", "theta[1]", "theta[2]", "theta[3]"]
    );
    assert_eq!(c.draws.stats.len(), 12);
    assert_eq!(c.draws.values.len(), 12 * 5);
    assert!(c.draws.warmup_values.is_empty() && c.draws.warmup_stats.is_empty());
    assert_eq!(c.draws.adapted_step_size, Some(0.412));
    assert_eq!(c.draws.inv_mass_diag.as_ref().unwrap().len(), 5);
    assert_eq!(c.config_value("num_samples"), Some("12"));
    assert_eq!(c.config_value("seed"), Some("4711"));
    assert_eq!(c.config_value("metric"), Some("diag_e"));
    assert_eq!(
        c.elapsed,
        Some(Elapsed {
            warmup: 0.021,
            sampling: 0.018,
            total: 0.039
        })
    );
    // first draw, as written in the file
    assert_eq!(c.draws.stats[0].step_size, 0.412);
    assert!(
        c.draws
            .stats
            .iter()
            .all(|s| (1..=4).contains(&s.tree_depth))
    );
    assert!(
        c.draws
            .stats
            .iter()
            .all(|s| s.n_leapfrog == (1 << s.tree_depth) - 1)
    );
}

#[test]
fn reads_four_chains_into_draws() {
    let files: Vec<PathBuf> = (1..=4)
        .map(|i| fixture(&format!("eight_schools_{i}.csv")))
        .collect();
    let (draws, chains) = read_cmdstan_csvs(&files).unwrap();
    assert_eq!(draws.num_chains(), 4);
    assert_eq!(draws.num_draws(), 12);
    assert_eq!(chains[3].config_value("id"), Some("4"));
    let theta2 = draws.param_by_name("theta[2]").unwrap();
    assert_eq!(theta2.len(), 4);
}

#[test]
fn save_warmup_rows_are_separated() {
    let c = read_chain_csv(&fixture("save_warmup.csv")).unwrap();
    assert_eq!(c.draws.warmup_stats.len(), 4);
    assert_eq!(c.draws.warmup_values.len(), 4 * 5);
    assert_eq!(c.draws.stats.len(), 6);
    assert!(c.draws.warmup_stats.iter().all(|s| s.step_size == 0.9));
    assert!(c.draws.stats.iter().all(|s| s.step_size == 0.412));
}

#[test]
fn dense_metric_and_matrix_names() {
    let c = read_chain_csv(&fixture("dense_metric.csv")).unwrap();
    assert_eq!(
        c.param_names,
        [
            "Sigma[1,1]",
            "Sigma[2,1]",
            "Sigma[1,2]",
            "Sigma[2,2]",
            "z.real"
        ]
    );
    assert_eq!(c.draws.inv_mass_diag, Some(vec![1.2, 0.7]));
}

#[test]
fn name_conversion() {
    for (stan, csv) in [
        ("theta[1]", "theta.1"),
        ("Sigma[2,3]", "Sigma.2.3"),
        ("mu", "mu"),
        ("a_b[10,2,7]", "a_b.10.2.7"),
    ] {
        assert_eq!(to_cmdstan_name(stan), csv);
        assert_eq!(from_cmdstan_name(csv), stan);
    }
    assert_eq!(from_cmdstan_name("z.real"), "z.real");
    assert_eq!(from_cmdstan_name("x.1.real"), "x.1.real");
    assert_eq!(from_cmdstan_name("x:1"), "x:1");
}

fn err(name: &str) -> String {
    let e = read_chain_csv(&fixture(name)).unwrap_err();
    e.to_string()
}

#[test]
fn malformed_files_name_file_and_line() {
    let m = err("bad_ragged.csv");
    assert!(
        m.contains("bad_ragged.csv:57:") && m.contains("row has 11 fields, the header has 12"),
        "{m}"
    );
    let m = err("bad_nonnumeric.csv");
    assert!(
        m.contains("bad_nonnumeric.csv:") && m.contains("theta.3") && m.contains("\"abc\""),
        "{m}"
    );
    let m = err("bad_no_header.csv");
    assert!(
        m.contains("bad_no_header.csv:52:") && m.contains("expected the CSV header"),
        "{m}"
    );
    let m = err("bad_treedepth.csv");
    assert!(
        m.contains("treedepth__") && m.contains("non-negative integer"),
        "{m}"
    );

    let e = read_cmdstan_csvs(&[
        fixture("eight_schools_1.csv"),
        fixture("bad_other_params.csv"),
    ])
    .unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("bad_other_params.csv") && m.contains("eta[3]") && m.contains("theta[3]"),
        "{m}"
    );
    let e =
        read_cmdstan_csvs(&[fixture("eight_schools_1.csv"), fixture("bad_short.csv")]).unwrap_err();
    assert!(
        e.to_string().contains("10 draws") && e.to_string().contains("12"),
        "{e}"
    );
    assert!(matches!(
        read_cmdstan_csvs::<PathBuf>(&[]),
        Err(CmdStanError::NoFiles)
    ));
    let m = read_chain_csv(Path::new("/nonexistent/x.csv"))
        .unwrap_err()
        .to_string();
    assert!(m.contains("/nonexistent/x.csv"), "{m}");
}

#[test]
fn garbage_never_panics() {
    // Each malformed input gets its own message (`tests/fuzz_parsers.rs` covers random input).
    let inputs: [(&str, &str); 13] = [
        (
            "",
            "expected the CSV header (lp__,accept_stat__,...), found end of file",
        ),
        ("#only comments\n# a = b\n", "found end of file"),
        ("lp__,mu\n", ""),
        ("lp__,mu\n1,2,3\n", ":2: row has 3 fields, the header has 2"),
        ("lp__,lp__\n1,2\n", ":1: column lp__ appears twice"),
        ("lp__,mu\n1,\n", ":2: column mu: \"\" is not a valid number"),
        (",\n", ":1: expected the CSV header"),
        (
            "lp__,divergent__,mu\n1,2,3\n",
            "column divergent__: \"2\" is not a valid 0 or 1",
        ),
        (
            "lp__,mu\n# Adaptation terminated\n# Step size = x\n",
            ":3: cannot read the adaptation info: step size \"x\" is not a number",
        ),
        (
            "lp__,mu\n# Adaptation terminated\n# Diagonal elements of inverse mass matrix:\n# 1, q\n",
            ":4: cannot read the adaptation info: inverse mass matrix entry \"q\" is not a number",
        ),
        (
            "lp__,mu\n# Elements of inverse mass matrix:\n# 1\n# 2, 3\n",
            "",
        ),
        ("\u{feff}lp__,mu\n1,2\n", ""),
        ("lp__,mu\r\n1,2\r\n", ""),
    ];
    for (i, (t, want)) in inputs.iter().enumerate() {
        let file = format!("case{i}.csv");
        match (read_chain_csv_str(t, &file), *want) {
            (Ok(_), "") => {}
            (Err(e), w) if !w.is_empty() => {
                let m = e.to_string();
                assert!(m.starts_with(&file) && m.contains(w), "case {i}: {m}");
            }
            (r, w) => panic!("case {i}: expected {w:?}, got {r:?}"),
        }
    }
    assert_eq!(
        read_chain_csv_str("lp__,mu\r\n1,2\r\n", "crlf.csv")
            .unwrap()
            .draws
            .values,
        [2.0]
    );
    assert_eq!(
        read_chain_csv_str("\u{feff}lp__,mu\n1,2\n", "bom.csv")
            .unwrap()
            .param_names,
        ["mu"]
    );
}

fn awkward_numbers(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            match i % 7 {
                0 if i % 5 == 0 => f64::NAN,
                0 => u,
                1 if i % 9 == 1 => f64::NEG_INFINITY,
                1 => -u * 1e-12,
                2 => (u - 0.5) * 1e20,
                3 => 0.1 + 0.2 * u,
                4 => f64::from_bits(s).clamp(-1e300, 1e300),
                5 => -0.0,
                _ => (u * 1000.0).round(),
            }
        })
        .collect()
}

#[test]
fn write_read_round_trip_is_bit_exact() {
    let names: Vec<String> = vec![
        "mu".into(),
        "theta[1]".into(),
        "theta[2]".into(),
        "Sigma[1,2]".into(),
    ];
    let chains: Vec<ChainDraws> = (0..3)
        .map(|c| {
            let n = 50;
            let vals = awkward_numbers(n * names.len(), c as u64 + 1);
            let ex = awkward_numbers(n * 3, c as u64 + 100);
            let stats = (0..n)
                .map(|d| DrawStats {
                    lp: ex[3 * d],
                    accept_stat: ex[3 * d + 1].abs().fract(),
                    step_size: 0.1 + 0.01 * c as f64,
                    tree_depth: (d % 6) as u64,
                    n_leapfrog: (1 << (d % 6)) - 1,
                    divergent: d % 17 == 3,
                    energy: ex[3 * d + 2],
                })
                .collect();
            ChainDraws {
                values: vals,
                stats,
                warmup_stats: vec![],
                warmup_values: vec![],
                adapted_step_size: Some(0.123456789012345),
                inv_mass_diag: Some(vec![1.0 / 3.0, 2.5e-7, 7.0]),
            }
        })
        .collect();
    let draws = Draws::new(names.clone(), chains).unwrap();
    let dir = tmp_dir("roundtrip");
    let meta = CmdStanMeta {
        model: "rt".into(),
        method: "neutra".into(),
        seed: Some(9),
        seconds: Some((0.5, 1.25)),
        ..Default::default()
    };
    let files = write_cmdstan_csvs(&dir, &draws, &meta).unwrap();
    assert_eq!(files.len(), 3);
    let (back, info) = read_cmdstan_csvs(&files).unwrap();
    assert_eq!(back.param_names, names);
    // NaN stays NaN (written `nan`); every other value comes back bit for bit.
    let bits = |v: &[f64]| {
        v.iter()
            .map(|x| if x.is_nan() { None } else { Some(x.to_bits()) })
            .collect::<Vec<_>>()
    };
    let mut num_nan = 0;
    for (a, b) in draws.chains.iter().zip(&back.chains) {
        assert_eq!(bits(&a.values), bits(&b.values));
        num_nan += a.values.iter().filter(|x| x.is_nan()).count();
        for (x, y) in a.stats.iter().zip(&b.stats) {
            let (fx, fy) = (
                [x.lp, x.accept_stat, x.energy],
                [y.lp, y.accept_stat, y.energy],
            );
            assert_eq!(bits(&fx), bits(&fy));
            let strip = |s: &DrawStats| DrawStats {
                lp: 0.0,
                accept_stat: 0.0,
                energy: 0.0,
                ..*s
            };
            assert_eq!(strip(x), strip(y));
        }
        assert_eq!(a.adapted_step_size, b.adapted_step_size);
        assert_eq!(a.inv_mass_diag, b.inv_mass_diag);
    }
    assert!(
        num_nan > 10,
        "the round trip must carry NaN draws ({num_nan})"
    );
    assert_eq!(info[1].config_value("seed"), Some("9"));
    assert_eq!(info[1].config_value("flowpost_method"), Some("neutra"));
    assert_eq!(info[2].config_value("id"), Some("3"));
    assert_eq!(info[0].elapsed.unwrap().sampling, 1.25);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A chain cut short (a crash, a full disk) has fewer rows than its `num_samples`; the same
/// file twice, or two files with one chain id, are not four chains.
#[test]
fn truncated_and_repeated_chains_are_refused() {
    let dir = tmp_dir("truncated");
    std::fs::create_dir_all(&dir).unwrap();
    let full = std::fs::read_to_string(fixture("eight_schools_1.csv")).unwrap();
    // Drop the last three draw rows (and the timing comments after them).
    let rows: Vec<&str> = full.lines().collect();
    let last_row = rows.iter().rposition(|l| !l.starts_with('#')).unwrap();
    let mut cut: Vec<&str> = rows[..=last_row - 3].to_vec();
    cut.push("");
    let short = dir.join("short.csv");
    std::fs::write(&short, cut.join("\n")).unwrap();
    let e = read_chain_csv(&short).unwrap_err().to_string();
    assert!(
        e.contains("short.csv")
            && e.contains("9 post-warmup draws")
            && e.contains("num_samples = 12")
            && e.contains("truncated"),
        "{e}"
    );

    let one = fixture("eight_schools_1.csv");
    let e = read_cmdstan_csvs(&[one.clone(), fixture("eight_schools_2.csv"), one.clone()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the same file as"), "{e}");
    // A copy under another name has the same chain id.
    let copy = dir.join("copy.csv");
    std::fs::copy(&one, &copy).unwrap();
    let e = read_cmdstan_csvs(&[one, copy]).unwrap_err().to_string();
    assert!(
        e.contains("copy.csv") && e.contains("chain id 1 again"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Names that would not survive a CSV round trip are refused when writing.
#[test]
fn unwritable_parameter_names_are_refused() {
    let chain = ChainDraws {
        values: vec![0.0; 8],
        stats: vec![DrawStats::default(); 4],
        ..Default::default()
    };
    for (names, why) in [
        (vec!["a,b".to_string(), "c".into()], "comma"),
        (vec!["x".into(), "x".into()], "twice"),
        (vec!["theta[1]".into(), "theta.1".into()], "twice"),
        (vec!["x".into(), "energy__".into()], "__"),
        (vec!["x".into(), " ".into()], "empty"),
    ] {
        let draws = Draws::new(names, vec![chain.clone()]).unwrap();
        let dir = tmp_dir("names");
        let e = write_cmdstan_csvs(&dir, &draws, &CmdStanMeta::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{why}: {e}");
        assert!(!dir.join("chain_1.csv").exists());
    }
}

/// N(0, diag(s²)) with s = 0.1, 1, 10: the adapted inverse mass matrix should be close to s².
struct Scales;
const SCALES: [f64; 3] = [0.1, 1.0, 10.0];
impl flowpost::LogDensity for Scales {
    fn dim(&self) -> usize {
        SCALES.len()
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, flowpost::DensityError> {
        let mut lp = 0.0;
        for i in 0..SCALES.len() {
            let z = x[i] / SCALES[i];
            lp -= 0.5 * z * z;
            g[i] = -z / SCALES[i];
        }
        Ok(lp)
    }
}

/// Runs `settings` (with `flow` for NeuTra) on [`Scales`], writes the run folder and returns
/// each chain's CSV text and parsed chain.
fn scales_run(
    tag: &str,
    settings: &flowpost::SampleSettings,
    flow: Option<flowpost::flow::Flow>,
) -> Vec<(String, CmdStanChain)> {
    let run =
        flowpost::sample_with(&Scales, settings, flow, &flowpost::progress::NoProgress).unwrap();
    let dir = tmp_dir(tag);
    run.write_outputs(&dir, "scales", settings).unwrap();
    let out = (1..=settings.num_chains)
        .map(|k| {
            let path = dir.join(format!("chain_{k}.csv"));
            let text = std::fs::read_to_string(&path).unwrap();
            (text, read_chain_csv(&path).unwrap())
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// CmdStan's adaptation block as CmdStanPy checks it: right after the header row, `# Adaptation
/// terminated`, `# Step size = …`, `# Diagonal elements of inverse mass matrix:` and one line of
/// `dim` comma-separated numbers; no other comment line with `metric =` (CmdStanPy) or `inverse
/// mass matrix` (ArviZ 0.23). Returns the inverse mass matrix diagonal.
fn check_adaptation_block(text: &str, dim: usize) -> Vec<f64> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("lp__,")).unwrap();
    let metric_lines: Vec<&&str> = lines[..header]
        .iter()
        .filter(|l| l.contains("metric ="))
        .collect();
    assert_eq!(metric_lines, [&"#         metric = diag_e (Default)"]);
    // ArviZ 0.23 reads the line after any comment naming the inverse mass matrix as its values.
    let named: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("inverse mass matrix"))
        .collect();
    assert_eq!(named, [header + 3]);
    assert_eq!(lines[header + 1], "# Adaptation terminated");
    let step: f64 = lines[header + 2]
        .strip_prefix("# Step size = ")
        .unwrap()
        .parse()
        .unwrap();
    assert!(step.is_finite() && step > 0.0, "{step}");
    assert_eq!(
        lines[header + 3],
        "# Diagonal elements of inverse mass matrix:"
    );
    let values: Vec<f64> = lines[header + 4]
        .strip_prefix("# ")
        .unwrap()
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(values.len(), dim);
    assert!(!lines[header + 5].starts_with('#'), "{}", lines[header + 5]);
    values
}

fn quick_settings(
    method: flowpost::Method,
    metric: flowpost::nuts::Metric,
) -> flowpost::SampleSettings {
    flowpost::SampleSettings {
        method,
        metric,
        num_chains: 2,
        num_tune: Some(1000),
        num_draws: 100,
        seed: 3,
        ..Default::default()
    }
}

/// Plain NUTS writes the adapted inverse mass matrix (σ², not σ) and the adapted step size;
/// the low-rank metric writes its diagonal part and says so.
#[test]
fn nuts_runs_write_cmdstans_adaptation_block() {
    use flowpost::{Method, nuts::Metric};
    for metric in [Metric::Diag, Metric::LowRank] {
        let settings = quick_settings(Method::Nuts, metric);
        for (text, chain) in scales_run(metric.name(), &settings, None) {
            let values = check_adaptation_block(&text, SCALES.len());
            assert_eq!(chain.draws.inv_mass_diag.as_ref(), Some(&values));
            for (v, s) in values.iter().zip(SCALES) {
                let ratio = v / (s * s);
                assert!(
                    (0.6..1.6).contains(&ratio),
                    "{metric:?}: inverse mass {v} for sd {s} (ratio to the variance {ratio})"
                );
            }
            let note = chain.config_value("flowpost_adaptation");
            match metric {
                Metric::Diag => assert_eq!(note, None),
                Metric::LowRank => assert!(note.unwrap().contains("diagonal part"), "{note:?}"),
            }
        }
    }
}

/// NeuTra writes the metric of its latent space (here the flow maps N(0, I) onto the target,
/// so that metric is close to the identity, not to the target's variances) and says so.
#[test]
fn neutra_writes_the_latent_adaptation_block_and_says_so() {
    use flowpost::flow::{Flow, FlowSettings, GaussianFit};
    use flowpost::{Method, nuts::Metric};
    let fit = GaussianFit::Diagonal {
        loc: vec![0.0; SCALES.len()],
        scale: SCALES.to_vec(),
    };
    let flow = Flow::default_for(&fit, &FlowSettings::default(), 1);
    let settings = quick_settings(Method::NeuTra, Metric::Diag);
    for (text, chain) in scales_run("neutra", &settings, Some(flow)) {
        let values = check_adaptation_block(&text, SCALES.len());
        for v in &values {
            assert!(
                (0.6..1.6).contains(v),
                "latent inverse mass {v}: {values:?}"
            );
        }
        let note = chain.config_value("flowpost_adaptation").unwrap();
        assert!(note.contains("latent space (NeuTra)"), "{note}");
    }
}

/// `save_warmup`: the warmup draws go before the adaptation block with `save_warmup = 1`, and
/// read back as the run's own warmup draws (values and statistics) beside unchanged post-warmup
/// draws; without it the files have no warmup rows.
#[test]
fn save_warmup_writes_the_runs_warmup_draws() {
    use flowpost::{Method, OutputOptions, nuts::Metric};
    let settings = flowpost::SampleSettings {
        num_tune: Some(60),
        num_draws: 40,
        ..quick_settings(Method::Nuts, Metric::Diag)
    };
    let run =
        flowpost::sample_with(&Scales, &settings, None, &flowpost::progress::NoProgress).unwrap();
    for save_warmup in [false, true] {
        let dir = tmp_dir(if save_warmup {
            "warmup-on"
        } else {
            "warmup-off"
        });
        let options = OutputOptions {
            save_warmup,
            ..Default::default()
        };
        run.write_outputs_with(&dir, "scales", &settings, &options)
            .unwrap();
        for (k, chain) in run.draws.chains.iter().enumerate() {
            assert_eq!(chain.warmup_values.len(), 60 * SCALES.len());
            let path = dir.join(format!("chain_{}.csv", k + 1));
            let read = read_chain_csv(&path).unwrap();
            assert_eq!(read.draws.values, chain.values);
            assert_eq!(read.draws.stats, chain.stats);
            if save_warmup {
                assert_eq!(read.config_value("save_warmup"), Some("1"));
                assert_eq!(read.draws.warmup_values, chain.warmup_values);
                assert_eq!(read.draws.warmup_stats, chain.warmup_stats);
                // CmdStan's layout: warmup rows, then the adaptation block.
                check_adaptation_block_after_warmup(&std::fs::read_to_string(&path).unwrap(), 60);
            } else {
                assert_eq!(read.config_value("save_warmup"), Some("0"));
                assert!(read.draws.warmup_values.is_empty() && read.draws.warmup_stats.is_empty());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn check_adaptation_block_after_warmup(text: &str, num_warmup: usize) {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("lp__,")).unwrap();
    assert!(
        lines[header + 1..=header + num_warmup]
            .iter()
            .all(|l| !l.starts_with('#'))
    );
    assert_eq!(lines[header + num_warmup + 1], "# Adaptation terminated");
}
