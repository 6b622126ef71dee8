//! The benchmark spine, as `peers/README.md` defines it.

mod banana;
mod eight_schools_centered;
mod eight_schools_noncentered;
mod funnel;
mod gauss100;
mod logreg;

pub use banana::Banana;
pub use eight_schools_centered::EightSchoolsCentered;
pub(crate) use eight_schools_centered::EightSchoolsData;
pub use eight_schools_noncentered::EightSchoolsNoncentered;
pub use funnel::Funnel;
pub use gauss100::Gauss100;
pub use logreg::LogReg;
