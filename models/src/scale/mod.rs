//! Targets with thousands of parameters (issue 17): how the samplers and flows scale with d.

mod hier_regression;

pub use hier_regression::{ExactMoments, HierRegression};
