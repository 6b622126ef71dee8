//! Neural likelihood estimation end to end: a 2-d linear-Gaussian simulator with a normal
//! prior, q(x | θ) trained on 3000 simulations (one affine MAF layer), the posterior for 4 iid
//! trials sampled with NUTS through `flowpost::sample`, and its mean and standard deviation
//! compared with the exact conjugate posterior (the problem and the check are in
//! tests/common/linear_gaussian.rs, shared with the command line's test).

#[path = "common/linear_gaussian.rs"]
mod linear_gaussian;

use flowpost::npe::*;
use flowpost::{Method, SampleSettings};
use linear_gaussian::{check_parameter, prior, settings, simulations, x_o};

#[test]
fn nle_posterior_matches_the_conjugate_posterior() {
    let (prior, sims) = (prior(), simulations());
    let progress = flowpost::progress::NoProgress;
    let (nle, report) = train_nle(&sims, &prior, &settings(), &progress).unwrap();
    let x_o = x_o();
    let posterior = NleDensity::new(&nle, &x_o).unwrap();
    let run = flowpost::sample(
        &posterior,
        &SampleSettings {
            method: Method::Nuts,
            num_chains: 4,
            num_draws: 1000,
            seed: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(run.draws.param_names, ["a", "b"]);
    for i in 0..2 {
        check_parameter(i, &run.draws.param(i), &x_o, report.num_epochs);
    }
}
