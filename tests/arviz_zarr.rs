//! The ArviZ zarr store (`draws.zarr`, `OutputOptions::zarr`) read back with `zarrs`: ArviZ's
//! groups and dims, values equal bit for bit to the chain CSVs' (vectors and a matrix, warmup
//! too), sampler statistics with ArviZ's names and types, the run's attributes, and a store
//! that replaces an earlier one whole.

use flowpost::io::arviz_zarr::{StoreOptions, write_arviz_zarr};
use flowpost::io::cmdstan::read_cmdstan_csvs;
use flowpost::{DensityError, Draws, LogDensity, Method, OutputOptions, SampleSettings};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;
use zarrs::group::Group;

/// mu, theta[1..2] and a 2×2 matrix S (CmdStan's column-major names), independent normals.
struct Blocks;

const NAMES: [&str; 7] = [
    "mu", "theta[1]", "theta[2]", "S[1,1]", "S[2,1]", "S[1,2]", "S[2,2]",
];

impl LogDensity for Blocks {
    fn dim(&self) -> usize {
        NAMES.len()
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let mut lp = 0.0;
        for i in 0..x.len() {
            let s = 1.0 + i as f64;
            lp -= 0.5 * (x[i] / s).powi(2);
            g[i] = -x[i] / (s * s);
        }
        Ok(lp)
    }
    fn param_names(&self) -> Vec<String> {
        NAMES.map(String::from).to_vec()
    }
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-zarr-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

type Store = Arc<FilesystemStore>;

fn open(store: &Store, path: &str) -> Array<FilesystemStore> {
    Array::open(store.clone(), &format!("/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dims(a: &Array<FilesystemStore>) -> Vec<String> {
    a.dimension_names()
        .as_ref()
        .expect("dimension_names")
        .iter()
        .map(|d| d.clone().expect("named"))
        .collect()
}

fn read<T: zarrs::array::ElementOwned>(store: &Store, path: &str) -> (Vec<u64>, Vec<T>) {
    let a = open(store, path);
    let shape = a.shape().to_vec();
    let all = a.subset_all();
    (shape, a.retrieve_array_subset::<Vec<T>>(&all).unwrap())
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// `values[draw * p + col]` of every chain, gathered as the store's C order for `cols`.
fn gather(draws: &Draws, warmup: bool, cols: &[usize]) -> Vec<f64> {
    let p = draws.num_params();
    let mut out = Vec::new();
    for c in &draws.chains {
        let values = if warmup { &c.warmup_values } else { &c.values };
        for d in 0..values.len() / p {
            out.extend(cols.iter().map(|&k| values[d * p + k]));
        }
    }
    out
}

#[test]
fn the_store_holds_the_csv_draws_in_arviz_layout() {
    let settings = SampleSettings {
        method: Method::Nuts,
        num_chains: 2,
        num_tune: Some(40),
        num_draws: 30,
        seed: 5,
        ..Default::default()
    };
    let run = flowpost::sample(&Blocks, &settings).unwrap();
    let dir = tmp("layout");
    let options = OutputOptions {
        save_warmup: true,
        zarr: true,
        ..Default::default()
    };
    run.write_outputs_with(&dir, "blocks", &settings, &options)
        .unwrap();
    let files: Vec<PathBuf> = (1..=2)
        .map(|k| dir.join(format!("chain_{k}.csv")))
        .collect();
    let (csv, _) = read_cmdstan_csvs(&files).unwrap();
    let store: Store = Arc::new(FilesystemStore::new(dir.join("draws.zarr")).unwrap());

    let root = Group::open(store.clone(), "/").unwrap();
    let attrs = root.attributes();
    assert_eq!(attrs["model"], "blocks");
    assert_eq!(attrs["method"], "nuts");
    assert_eq!(attrs["seed"], 5);
    assert!(
        attrs["created_by"]
            .as_str()
            .unwrap()
            .starts_with("flowpost ")
    );
    let consolidated = &root.consolidated_metadata().expect("consolidated").metadata;
    for node in [
        "posterior",
        "posterior/S",
        "sample_stats/diverging",
        "warmup_posterior/mu",
    ] {
        assert!(consolidated.contains_key(node), "{node} not consolidated");
    }

    for (group, warmup, n) in [("posterior", false, 30), ("warmup_posterior", true, 40)] {
        let (shape, chain) = read::<i64>(&store, &format!("{group}/chain"));
        assert_eq!((shape, chain), (vec![2], vec![0, 1]));
        let (_, draw) = read::<i64>(&store, &format!("{group}/draw"));
        assert_eq!(draw, (0..n as i64).collect::<Vec<_>>());
        for (var, var_dims, shape, cols) in [
            ("mu", vec![], vec![], vec![0]),
            ("theta", vec!["theta_dim_0"], vec![2], vec![1, 2]),
            // C order S[1,1], S[1,2], S[2,1], S[2,2]: CSV columns 3, 5, 4, 6.
            (
                "S",
                vec!["S_dim_0", "S_dim_1"],
                vec![2, 2],
                vec![3, 5, 4, 6],
            ),
        ] {
            let path = format!("{group}/{var}");
            let mut want_shape = vec![2, n];
            want_shape.extend(&shape);
            let (got_shape, values) = read::<f64>(&store, &path);
            assert_eq!(got_shape, want_shape, "{path}");
            let mut want_dims = vec!["chain", "draw"];
            want_dims.extend(&var_dims);
            assert_eq!(dims(&open(&store, &path)), want_dims, "{path}");
            assert_eq!(bits(&values), bits(&gather(&csv, warmup, &cols)), "{path}");
            for (dim, &len) in var_dims.iter().zip(&shape) {
                let (_, coords) = read::<i64>(&store, &format!("{group}/{dim}"));
                assert_eq!(coords, (0..len as i64).collect::<Vec<_>>());
            }
        }
    }

    for (group, warmup) in [("sample_stats", false), ("warmup_sample_stats", true)] {
        let stats: Vec<_> = csv
            .chains
            .iter()
            .flat_map(|c| if warmup { &c.warmup_stats } else { &c.stats })
            .collect();
        let (_, lp) = read::<f64>(&store, &format!("{group}/lp"));
        let want: Vec<f64> = stats.iter().map(|s| s.lp).collect();
        assert_eq!(bits(&lp), bits(&want));
        let (_, energy) = read::<f64>(&store, &format!("{group}/energy"));
        assert_eq!(
            bits(&energy),
            bits(&stats.iter().map(|s| s.energy).collect::<Vec<_>>())
        );
        let (_, acc) = read::<f64>(&store, &format!("{group}/acceptance_rate"));
        assert_eq!(
            bits(&acc),
            bits(&stats.iter().map(|s| s.accept_stat).collect::<Vec<_>>())
        );
        let (_, step) = read::<f64>(&store, &format!("{group}/step_size"));
        assert_eq!(
            bits(&step),
            bits(&stats.iter().map(|s| s.step_size).collect::<Vec<_>>())
        );
        let (_, depth) = read::<i64>(&store, &format!("{group}/tree_depth"));
        assert_eq!(
            depth,
            stats
                .iter()
                .map(|s| s.tree_depth as i64)
                .collect::<Vec<_>>()
        );
        let (_, steps) = read::<i64>(&store, &format!("{group}/n_steps"));
        assert_eq!(
            steps,
            stats
                .iter()
                .map(|s| s.n_leapfrog as i64)
                .collect::<Vec<_>>()
        );
        let (shape, div) = read::<bool>(&store, &format!("{group}/diverging"));
        assert_eq!(shape, vec![2, stats.len() as u64 / 2]);
        assert_eq!(div, stats.iter().map(|s| s.divergent).collect::<Vec<_>>());
        assert_eq!(
            dims(&open(&store, &format!("{group}/lp"))),
            ["chain", "draw"]
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A shard's chain coordinate is its chains' numbers in the whole run; a second store at the
/// same path replaces the first whole (no chunk of the old one survives), and a path holding
/// something else is refused and left as it was; no temporary folder is left behind.
#[test]
fn stores_are_replaced_whole_and_shards_keep_their_chain_numbers() {
    let dir = tmp("replace");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("draws.zarr");
    let chain = |n: usize| flowpost::ChainDraws {
        values: (0..n).map(|i| i as f64).collect(),
        stats: vec![flowpost::DrawStats::default(); n],
        ..Default::default()
    };
    let draws = |c: usize, n: usize| Draws::new(vec!["a".into()], vec![chain(n); c]).unwrap();
    write_arviz_zarr(&path, &draws(4, 5), &StoreOptions::default()).unwrap();
    assert!(path.join("posterior/a/c/3/0").is_file());
    let shard = StoreOptions {
        first_chain: 6,
        ..Default::default()
    };
    write_arviz_zarr(&path, &draws(2, 3), &shard).unwrap();
    assert!(
        !path.join("posterior/a/c/3/0").exists(),
        "an old chunk survived"
    );
    let store: Store = Arc::new(FilesystemStore::new(&path).unwrap());
    assert_eq!(read::<i64>(&store, "posterior/chain").1, vec![6, 7]);
    assert_eq!(read::<f64>(&store, "posterior/a").0, vec![2, 3]);

    let other = dir.join("notes");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "mine").unwrap();
    let e = write_arviz_zarr(&other, &draws(1, 2), &StoreOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not a zarr store"), "{e}");
    assert_eq!(
        std::fs::read_to_string(other.join("keep.txt")).unwrap(),
        "mine"
    );
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.starts_with('.')), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without `zarr` (the library's default) a run folder has no store.
#[test]
fn no_store_unless_asked() {
    let settings = SampleSettings {
        method: Method::Nuts,
        num_chains: 1,
        num_tune: Some(20),
        num_draws: 10,
        ..Default::default()
    };
    let run = flowpost::sample(&Blocks, &settings).unwrap();
    let dir = tmp("off");
    run.write_outputs(&dir, "blocks", &settings).unwrap();
    assert!(dir.join("chain_1.csv").is_file() && !Path::new(&dir.join("draws.zarr")).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
