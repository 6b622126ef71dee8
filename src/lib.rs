//! # flowpost
//!
//! Bayesian inference with normalizing flows. Write a log-density with its gradient in Rust
//! ([`LogDensity`]); flowpost fits an inverse autoregressive flow to it by reverse KL, uses the
//! learned bijection to warp NUTS (NeuTra), and reports whether to trust the result.

pub mod density;
pub mod draws;

pub use density::{
    DensityError, GradientCheckError, GradientCheckReport, LogDensity, check_gradient,
};
pub use draws::{ChainDraws, DrawStats, Draws, DrawsError};
pub mod bijection;
pub(crate) mod linalg;
pub mod npe;
pub mod optim;
pub mod rng;
