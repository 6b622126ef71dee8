//! The embedded data files and their parsing.

use serde::de::DeserializeOwned;

use crate::ModelError;

/// A data file compiled into the binary.
pub(crate) struct DataFile {
    /// Path under `models/data/`.
    pub path: &'static str,
    /// Contents.
    pub text: &'static str,
}

macro_rules! data_file {
    ($path:literal) => {
        DataFile {
            path: $path,
            text: include_str!(concat!("../data/", $path)),
        }
    };
}

pub(crate) const GAUSS100: DataFile = data_file!("peers/gauss100.json");
pub(crate) const LOGREG: DataFile = data_file!("peers/logreg.json");
pub(crate) const EIGHT_SCHOOLS: DataFile = data_file!("posteriordb/eight_schools.json");
pub(crate) const ARK: DataFile = data_file!("posteriordb/arK-arK.json");
pub(crate) const ARMA11: DataFile = data_file!("posteriordb/arma-arma11.json");
pub(crate) const DIAMONDS: DataFile = data_file!("posteriordb/diamonds-diamonds.json");
pub(crate) const EARNINGS: DataFile = data_file!("posteriordb/earnings-logearn_interaction.json");
pub(crate) const GARCH11: DataFile = data_file!("posteriordb/garch-garch11.json");
pub(crate) const GP_POIS_REGR: DataFile = data_file!("posteriordb/gp_pois_regr-gp_pois_regr.json");
pub(crate) const HMM_EXAMPLE: DataFile = data_file!("posteriordb/hmm_example-hmm_example.json");
pub(crate) const KIDIQ: DataFile = data_file!("posteriordb/kidiq-kidscore_interaction.json");
pub(crate) const KILPISJARVI: DataFile = data_file!("posteriordb/kilpisjarvi_mod-kilpisjarvi.json");
pub(crate) const GAUSS_MIX: DataFile =
    data_file!("posteriordb/low_dim_gauss_mix-low_dim_gauss_mix.json");
pub(crate) const MESQUITE: DataFile = data_file!("posteriordb/mesquite-logmesquite_logvas.json");
pub(crate) const SBLRC: DataFile = data_file!("posteriordb/sblrc-blr.json");
pub(crate) const LATENT_GP: DataFile = data_file!("scale/latent_gp.json");

impl DataFile {
    /// Parses the file into `T`.
    pub(crate) fn parse<T: DeserializeOwned>(&self, model: &str) -> Result<T, ModelError> {
        serde_json::from_str(self.text).map_err(|e| self.error(model, e.to_string()))
    }

    /// An error about this file.
    pub(crate) fn error(&self, model: &str, message: impl Into<String>) -> ModelError {
        ModelError::Data {
            model: model.into(),
            file: self.path.into(),
            message: message.into(),
        }
    }

    /// Checks that a declared size matches a vector's length.
    pub(crate) fn check_len(
        &self,
        model: &str,
        what: &str,
        len: usize,
        declared: usize,
    ) -> Result<(), ModelError> {
        if len == declared {
            Ok(())
        } else {
            Err(self.error(
                model,
                format!("`{what}` has {len} values, expected {declared}"),
            ))
        }
    }
}
