//! The raw C ABI of `shim.cpp`, resolved from a loaded model library.
//!
//! Every fallible entry point returns a status (0 ok, 1 `std::domain_error`, 2 any other
//! exception) and hands out a `malloc`ed message that must go back through
//! `flowpost_stan_free_string`. This module turns those into Rust values; nothing here is
//! public outside `stan`.

use super::StanError;
use crate::DensityError;
use std::ffi::{c_char, c_int};
use std::path::Path;

/// The ABI revision `shim.cpp` reports; bump both together.
const ABI_VERSION: c_int = 1;

/// Opaque model handle owned by the shim.
#[repr(C)]
pub(crate) struct RawModel {
    _private: [u8; 0],
}

type ErrOut = *mut *mut c_char;

/// The shim's functions. The library they come from is never unloaded (see [`Api::load`]), so
/// the pointers stay valid for the life of the process.
#[derive(Clone, Copy)]
pub(crate) struct Api {
    free_string: unsafe extern "C" fn(*mut c_char),
    model_new: unsafe extern "C" fn(*const c_char, usize, u32, *mut *mut RawModel, ErrOut) -> c_int,
    model_free: unsafe extern "C" fn(*mut RawModel),
    num_unconstrained: unsafe extern "C" fn(*const RawModel) -> usize,
    model_info: unsafe extern "C" fn(*const RawModel) -> *mut c_char,
    param_names: unsafe extern "C" fn(*const RawModel, c_int, c_int, c_int) -> *mut c_char,
    log_density_gradient: unsafe extern "C" fn(
        *const RawModel,
        c_int,
        c_int,
        *const f64,
        *mut f64,
        *mut f64,
        ErrOut,
    ) -> c_int,
    constrain: unsafe extern "C" fn(
        *const RawModel,
        *const f64,
        c_int,
        c_int,
        u64,
        *mut f64,
        usize,
        ErrOut,
    ) -> c_int,
    unconstrain:
        unsafe extern "C" fn(*const RawModel, *const f64, usize, *mut f64, ErrOut) -> c_int,
    unconstrain_json:
        unsafe extern "C" fn(*const RawModel, *const c_char, usize, *mut f64, ErrOut) -> c_int,
}

/// A failed shim call: Stan's message and whether it was a `std::domain_error`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShimError {
    pub recoverable: bool,
    pub message: String,
}

impl From<ShimError> for DensityError {
    fn from(e: ShimError) -> Self {
        if e.recoverable {
            DensityError::recoverable(e.message)
        } else {
            DensityError::fatal(e.message)
        }
    }
}

impl Api {
    /// Loads a model library and resolves the shim's symbols.
    ///
    /// The library is loaded with `RTLD_NOW | RTLD_LOCAL` and deliberately never closed: Stan's
    /// thread-local autodiff tapes register destructors inside it, and TBB does not support
    /// being unloaded. Loading the same file again returns the same handle.
    pub(crate) fn load(path: &Path) -> Result<Api, StanError> {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        let load_err = |e: libloading::Error| StanError::Load {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // SAFETY: loading runs the library's static initializers; a flowpost model library's
        // are Stan Math's and TBB's, which are safe to run at any time.
        let lib = unsafe { Library::open(Some(path.as_os_str()), RTLD_NOW | RTLD_LOCAL) }
            .map_err(load_err)?;
        // SAFETY: each symbol is declared in shim.cpp with exactly the signature given here;
        // the ABI version check below catches a library built from another revision.
        let api = unsafe {
            let abi: unsafe extern "C" fn() -> c_int =
                *lib.get(b"flowpost_stan_abi_version").map_err(load_err)?;
            let found = abi();
            if found != ABI_VERSION {
                return Err(StanError::Load {
                    path: path.to_path_buf(),
                    message: format!(
                        "built for shim ABI {found}, this flowpost speaks {ABI_VERSION}"
                    ),
                });
            }
            Api {
                free_string: *lib.get(b"flowpost_stan_free_string").map_err(load_err)?,
                model_new: *lib.get(b"flowpost_stan_model_new").map_err(load_err)?,
                model_free: *lib.get(b"flowpost_stan_model_free").map_err(load_err)?,
                num_unconstrained: *lib
                    .get(b"flowpost_stan_num_unconstrained")
                    .map_err(load_err)?,
                model_info: *lib.get(b"flowpost_stan_model_info").map_err(load_err)?,
                param_names: *lib.get(b"flowpost_stan_param_names").map_err(load_err)?,
                log_density_gradient: *lib
                    .get(b"flowpost_stan_log_density_gradient")
                    .map_err(load_err)?,
                constrain: *lib.get(b"flowpost_stan_constrain").map_err(load_err)?,
                unconstrain: *lib.get(b"flowpost_stan_unconstrain").map_err(load_err)?,
                unconstrain_json: *lib
                    .get(b"flowpost_stan_unconstrain_json")
                    .map_err(load_err)?,
            }
        };
        let _never_closed = lib.into_raw();
        Ok(api)
    }

    /// Copies a shim-allocated string and frees it.
    fn take_string(&self, ptr: *mut c_char) -> String {
        if ptr.is_null() {
            return String::new();
        }
        // SAFETY: the shim returns NUL-terminated malloc'd strings or null.
        let s = unsafe { std::ffi::CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned();
        unsafe { (self.free_string)(ptr) };
        s
    }

    fn check(&self, status: c_int, err: *mut c_char) -> Result<(), ShimError> {
        let message = self.take_string(err);
        match status {
            0 => Ok(()),
            1 => Err(ShimError {
                recoverable: true,
                message,
            }),
            _ => Err(ShimError {
                recoverable: false,
                message,
            }),
        }
    }

    pub(crate) fn model_new(&self, data: &str, seed: u32) -> Result<*mut RawModel, ShimError> {
        let mut model = std::ptr::null_mut();
        let mut err = std::ptr::null_mut();
        // SAFETY: `data` outlives the call; the shim writes `model` or `err`.
        let status = unsafe {
            (self.model_new)(data.as_ptr().cast(), data.len(), seed, &mut model, &mut err)
        };
        self.check(status, err)?;
        Ok(model)
    }

    /// # Safety
    /// `model` comes from [`model_new`](Self::model_new) and is not used afterwards.
    pub(crate) unsafe fn model_free(&self, model: *mut RawModel) {
        unsafe { (self.model_free)(model) }
    }

    pub(crate) fn num_unconstrained(&self, model: *const RawModel) -> usize {
        unsafe { (self.num_unconstrained)(model) }
    }

    pub(crate) fn model_info(&self, model: *const RawModel) -> String {
        self.take_string(unsafe { (self.model_info)(model) })
    }

    /// Stan's names, split into lines (empty list when there are none).
    pub(crate) fn param_names(
        &self,
        model: *const RawModel,
        constrained: bool,
        tparams: bool,
        gqs: bool,
    ) -> Vec<String> {
        let joined = self.take_string(unsafe {
            (self.param_names)(model, constrained.into(), tparams.into(), gqs.into())
        });
        if joined.is_empty() {
            Vec::new()
        } else {
            joined.split('\n').map(String::from).collect()
        }
    }

    /// `theta` and `grad` have the model's unconstrained length (checked by the caller).
    pub(crate) fn log_density_gradient(
        &self,
        model: *const RawModel,
        propto: bool,
        jacobian: bool,
        theta: &[f64],
        grad: &mut [f64],
    ) -> Result<f64, ShimError> {
        let mut lp = 0.0;
        let mut err = std::ptr::null_mut();
        let status = unsafe {
            (self.log_density_gradient)(
                model,
                propto.into(),
                jacobian.into(),
                theta.as_ptr(),
                &mut lp,
                grad.as_mut_ptr(),
                &mut err,
            )
        };
        self.check(status, err).map(|_| lp)
    }

    /// Writes the constrained values into `out`; on an error the values Stan computed before it
    /// are in `out` and the rest are NaN.
    pub(crate) fn constrain(
        &self,
        model: *const RawModel,
        theta: &[f64],
        tparams: bool,
        gqs: bool,
        seed: u64,
        out: &mut [f64],
    ) -> Result<(), ShimError> {
        let mut err = std::ptr::null_mut();
        let status = unsafe {
            (self.constrain)(
                model,
                theta.as_ptr(),
                tparams.into(),
                gqs.into(),
                seed,
                out.as_mut_ptr(),
                out.len(),
                &mut err,
            )
        };
        self.check(status, err)
    }

    pub(crate) fn unconstrain(
        &self,
        model: *const RawModel,
        values: &[f64],
        theta: &mut [f64],
    ) -> Result<(), ShimError> {
        let mut err = std::ptr::null_mut();
        let status = unsafe {
            (self.unconstrain)(
                model,
                values.as_ptr(),
                values.len(),
                theta.as_mut_ptr(),
                &mut err,
            )
        };
        self.check(status, err)
    }

    pub(crate) fn unconstrain_json(
        &self,
        model: *const RawModel,
        json: &str,
        theta: &mut [f64],
    ) -> Result<(), ShimError> {
        let mut err = std::ptr::null_mut();
        let status = unsafe {
            (self.unconstrain_json)(
                model,
                json.as_ptr().cast(),
                json.len(),
                theta.as_mut_ptr(),
                &mut err,
            )
        };
        self.check(status, err)
    }
}
