//! The 14 posteriordb posteriors with reference draws, written from their Stan programs
//! (`models/data/posteriordb/stan/`). The two eight-schools posteriors are the spine's
//! [`EightSchoolsCentered`](crate::EightSchoolsCentered) and
//! [`EightSchoolsNoncentered`](crate::EightSchoolsNoncentered).

mod ark;
mod arma11;
mod diamonds;
mod earnings;
mod garch11;
mod gp_pois_regr;
mod hmm_example;
mod kidiq;
mod kilpisjarvi;
mod low_dim_gauss_mix;
mod mesquite;
mod regression;
mod sblrc;

pub use ark::ArK;
pub use arma11::Arma11;
pub use diamonds::Diamonds;
pub use earnings::EarningsInteraction;
pub use garch11::Garch11;
pub use gp_pois_regr::{GP_POIS_REGR_CHUNK, GpPoisRegr};
pub use hmm_example::{HMM_EXAMPLE_CHUNK, HmmExample};
pub use kidiq::KidscoreInteraction;
pub use kilpisjarvi::Kilpisjarvi;
pub use low_dim_gauss_mix::LowDimGaussMix;
pub use mesquite::LogmesquiteLogvas;
pub use sblrc::Sblrc;
