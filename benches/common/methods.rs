//! What the benches share: the method names they take on the command line.

use flowpost::nuts::Metric;
use flowpost::{Method, SampleSettings};

/// The settings of bench method `method` (`auto`, `neutra`, `nuts`, `multimodal`,
/// `nuts-lowrank`, `nuts-lowrank-walnuts`, `nuts-lowrank-300`) with seed `seed`.
pub fn settings_for(method: &str, seed: u64) -> SampleSettings {
    let mut s = SampleSettings {
        seed,
        ..Default::default()
    };
    match method {
        "auto" => s.method = Method::Auto,
        "neutra" => s.method = Method::NeuTra,
        "nuts" => s.method = Method::Nuts,
        "multimodal" => s.method = Method::Multimodal,
        "nuts-lowrank" => {
            s.method = Method::Nuts;
            s.metric = Metric::LowRank;
        }
        "nuts-lowrank-walnuts" => {
            s.method = Method::Nuts;
            s.metric = Metric::LowRank;
            s.walnuts = true;
        }
        "nuts-lowrank-300" => {
            s.method = Method::Nuts;
            s.metric = Metric::LowRank;
            s.num_tune = Some(300);
        }
        other => panic!("unknown method {other}"),
    }
    s
}
