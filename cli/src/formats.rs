//! `--format csv|zarr|csv,zarr`: which draw files a run folder gets beside summary.json and
//! report.html. The chain CSVs are always written (summary.json, `merge` and `diagnose` read
//! them); `zarr` adds `draws.zarr`, the draws as an ArviZ 1.x zarr store (docs/outputs.md).

/// One value of `--format`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Format {
    /// CmdStan CSV, one file per chain (always written).
    Csv,
    /// An ArviZ 1.x zarr v3 store (`xarray.open_datatree(path, engine="zarr")`).
    Zarr,
}

/// The `--format` option.
#[derive(clap::Args, Clone, Debug)]
pub struct FormatArgs {
    /// Draw files to write, comma-separated: csv (CmdStan CSV per chain) and/or zarr (draws.zarr,
    /// an ArviZ 1.x zarr store for `xarray.open_datatree`). The CSVs are written in any case
    /// (summary.json, merge and diagnose read them), so `zarr` means `csv,zarr`.
    #[arg(
        long = "format",
        value_enum,
        value_delimiter = ',',
        default_values = ["csv", "zarr"],
        value_name = "FORMATS"
    )]
    pub formats: Vec<Format>,
}

impl FormatArgs {
    /// Whether to write the zarr store.
    pub fn zarr(&self) -> bool {
        self.formats.contains(&Format::Zarr)
    }
}
