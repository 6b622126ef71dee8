//! # flowpost
//!
//! Bayesian inference with normalizing flows. Write a log-density with its gradient in Rust
//! ([`LogDensity`]); flowpost fits an inverse autoregressive flow to it by reverse KL
//! ([`vi`]), uses the learned bijection to warp NUTS ([`nuts`], NeuTra), and reports whether to
//! trust the result ([`diagnostics`]).
//!
//! The modules read like the pipeline:
//! [`density`] (the user's trait, the gradient checker) → [`transforms`] (Stan's constraining
//! maps) and [`autodiff`] (gradients for free) → [`bijection`] (layers with hand-written VJPs) →
//! [`flow`] → [`optim`] (Adam) → [`vi`] (reverse-KL fit) → [`preflight`] (checks before a run) →
//! [`nuts`] → [`sample()`] (one call) →
//! [`draws`], [`diagnostics`], [`io`], [`report`], [`outputs`] (a run's folder, as the CLI writes it),
//! [`shard`] (a run's chains spread over machines, and merged back); [`stan`] turns a `.stan` file into a
//! [`LogDensity`]; [`npe`] trains conditional flows on simulations (neural posterior estimation).
//!
//! Cargo features, on by default (the CLI uses both): `stan` (the [`stan`] module and its
//! `libloading` dependency) and `npe` (the [`npe`] module and the NPE report). A library user
//! who only samples Rust densities can build with `default-features = false`. `testing` (off)
//! makes the layers' property checkers public for downstream crates' tests.

pub mod auto;
pub mod autodiff;
pub mod bijection;
pub mod density;
pub mod diagnostics;
pub mod draws;
pub mod error;
pub mod flow;
pub mod init;
pub mod io;
pub(crate) mod linalg;
pub mod multimodal;
#[cfg(feature = "npe")]
pub mod npe;
pub mod nuts;
pub mod optim;
pub mod outputs;
pub mod preflight;
pub mod progress;
pub mod report;
pub mod rng;
pub mod sample;
pub mod shard;
#[cfg(feature = "stan")]
pub mod stan;
pub mod transforms;
pub mod vi;

pub use autodiff::{AdScalar, ForwardAd, GenericLogDensity};
pub use density::{
    DensityError, GradientCheckError, GradientCheckReport, LogDensity, check_gradient,
};
pub use draws::{ChainDraws, DrawStats, Draws, DrawsError};
pub use error::Error;
pub use outputs::{OutputOptions, WrittenRun};
pub use sample::{
    CostReport, GradEvals, Method, PartialCost, Run, SampleSettings, Seconds, sample, sample_with,
};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
