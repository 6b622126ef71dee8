//! Stan models as [`LogDensity`](crate::LogDensity): bring a `.stan` file, get a gradient.
//!
//! The pipeline, each step in its own file:
//! 1. [`Toolchain`]: stanc3 2.39 and the Stan headers/libraries from PyPI's `httpstan` wheel,
//!    unpacked once into a cache directory (`flowpost stan-setup`).
//! 2. [`StanLibrary::compile`]: stanc translates the program (its message is shown when it
//!    rejects it), g++ compiles the C++ together with flowpost's own C++ shim
//!    ([`SHIM_SOURCE`], a small C ABI over Stan's `model_base`) into a shared object cached
//!    under a hash of the generated code, the shim, the toolchain and the compiler flags, and
//!    the library is loaded at run time.
//! 3. [`StanLibrary::model`]: the program is instantiated with Stan JSON data, giving a
//!    [`StanModel`], which implements `LogDensity` (`Send + Sync`).
//!
//! [`StanModel::from_files`] does all three with defaults. Requirements: x86-64 Linux, a C++17
//! compiler (`g++`, or `$CXX`), and Python with pip for the one-time toolchain download.

mod compile;
mod cxx;
mod data_message;
mod error;
mod ffi;
mod library;
mod model;
mod names;
mod toolchain;

pub use compile::{SHIM_SOURCE, StanBuildReport, StanCompileSettings};
pub use error::StanError;
pub use library::StanLibrary;
pub use model::{ConstrainFailures, StanModel, StanModelSettings};
pub use names::bracket_name;
pub use toolchain::{HTTPSTAN_VERSION, Toolchain};

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Opens (creating it) and exclusively locks `path`; the lock is released when the file drops.
/// Serializes toolchain setup and model builds across threads and processes.
fn lock_file(path: &Path) -> Result<File, StanError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| StanError::io(path, e))?;
    file.lock().map_err(|e| StanError::io(path, e))?;
    Ok(file)
}

/// 64-bit FNV-1a over length-prefixed parts: cache keys and seeds that are stable across Rust
/// versions and platforms (std's hashers promise neither).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for part in parts {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fnv_key_depends_on_every_part_and_on_boundaries() {
        let k = fnv1a(&[b"ab", b"c"]);
        assert_eq!(k, fnv1a(&[b"ab", b"c"]));
        assert_ne!(k, fnv1a(&[b"a", b"bc"]));
        assert_ne!(k, fnv1a(&[b"ab", b"d"]));
    }
}
