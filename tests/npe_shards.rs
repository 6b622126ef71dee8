//! Sharded simulations from Rust: for any number of shards K, the shards' rows concatenated are
//! the one-machine table row for row, and a folder of shard files reads back in shard order.

use flowpost::npe::{
    Shard, ShardManifest, find_shards, read_shards, simulate, simulate_rows, task_labels,
    write_table,
};
use flowpost_models::sbibm as tasks;

#[test]
fn shards_concatenate_to_the_one_machine_run_for_every_k() {
    let task = tasks::task("bernoulli_glm").unwrap();
    let (p, s) = (task.prior(), task.simulator());
    for n in [1, 7, 50] {
        let whole = simulate(p, s, n, 9);
        for k in 1..=8 {
            let (mut theta, mut x) = (Vec::new(), Vec::new());
            let mut next = 0;
            for i in 1..=k {
                let rows = Shard::new(i, k).unwrap().rows(n);
                assert_eq!(rows.start, next, "n {n}, shard {i} of {k}");
                next = rows.end;
                let part = simulate_rows(p, s, rows, 9);
                for r in 0..part.len() {
                    theta.extend_from_slice(part.theta(r));
                    x.extend_from_slice(part.x(r));
                }
            }
            assert_eq!(next, n);
            let all: Vec<f64> = (0..n).flat_map(|r| whole.theta(r).to_vec()).collect();
            let all_x: Vec<f64> = (0..n).flat_map(|r| whole.x(r).to_vec()).collect();
            assert_eq!((theta, x), (all, all_x), "n {n}, k {k}");
        }
    }
}

#[test]
fn a_shard_folder_reads_back_in_shard_order() {
    let dir = std::env::temp_dir().join(format!("flowpost-shards-lib-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let task = tasks::task("two_moons").unwrap();
    let (n, k) = (25, 12);
    // Written in reverse: names sort as 01, 02, …, 12, and the manifests give the order.
    for i in (1..=k).rev() {
        let shard = Shard::new(i, k).unwrap();
        let sims = simulate_rows(task.prior(), task.simulator(), shard.rows(n), 4);
        let (tl, xl) = task_labels(2, 2);
        let stem = dir.join(shard.file_stem());
        let rows = |f: &dyn Fn(usize) -> Vec<f64>| (0..sims.len()).flat_map(f).collect::<Vec<_>>();
        write_table(
            &stem.with_extension("theta.csv"),
            &tl,
            &rows(&|r| sims.theta(r).to_vec()),
        )
        .unwrap();
        write_table(
            &stem.with_extension("x.csv"),
            &xl,
            &rows(&|r| sims.x(r).to_vec()),
        )
        .unwrap();
        let m = ShardManifest::new("two_moons", n, 4, shard);
        std::fs::write(
            stem.with_extension("json"),
            serde_json::to_string(&m).unwrap(),
        )
        .unwrap();
    }
    let shards = find_shards(&dir).unwrap();
    assert_eq!(shards.len(), 12);
    assert!(shards[0].theta.ends_with("shard-01-of-12.theta.csv"));
    let tables = read_shards(&shards).unwrap();
    assert_eq!(tables.num_rows.iter().sum::<usize>(), n);
    let whole = simulate(task.prior(), task.simulator(), n, 4);
    let all: Vec<f64> = (0..n).flat_map(|r| whole.theta(r).to_vec()).collect();
    assert_eq!(tables.theta.values, all);
    let _ = std::fs::remove_dir_all(&dir);
}
