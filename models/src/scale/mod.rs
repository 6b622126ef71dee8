//! Targets with thousands of parameters (issue 17): how the samplers and flows scale with d.

mod hier_regression;
mod latent_gp;

pub use hier_regression::{ExactMoments, HierRegression};
pub use latent_gp::LatentGp;
