//! Multimodal targets with known answers (issue 16): mixtures of well-separated Gaussian or
//! Student-t components, and a nonlinear model whose parameter is identified only up to its
//! sign. Each knows its exact means, sds, mode weights ([`Modes`]) and log evidence, so a
//! sampler that misses a mode or gets the weights wrong is caught.

mod mixture;
mod modes;
mod sign_flip;

pub use mixture::{Component, Mixture};
pub use modes::Modes;
pub use sign_flip::SignFlip;
