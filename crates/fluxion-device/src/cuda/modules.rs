//! The per-device table of loaded kernel modules and the cache of kernel functions.
//!
//! A module is compiled with NVRTC for the device's own compute capability the first time one of
//! its kernels is asked for, loaded into the context, and kept for the life of the process (the
//! device handle is shared, see [`super::CudaDevice`]). Function handles are cached by name, so
//! a launch costs one read-locked hash lookup.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cudarc::driver::{CudaContext, CudaFunction, CudaModule};
use fluxion_kernels::COUNT;

use crate::{Error, Result};

/// Loaded modules indexed by `fluxion_kernels::Id`, and functions by kernel name.
#[derive(Debug, Default)]
pub(super) struct ModuleCache {
    modules: RwLock<[Option<Arc<CudaModule>>; COUNT]>,
    functions: RwLock<HashMap<String, CudaFunction>>,
}

/// A poisoned lock only means another thread panicked while holding it; the tables are only
/// ever extended with complete entries, so their contents are still valid.
fn unpoison<G>(r: std::sync::LockResult<G>) -> G {
    r.unwrap_or_else(|e| e.into_inner())
}

impl ModuleCache {
    /// The kernel `name`, compiling and loading its module on first use.
    ///
    /// # Errors
    /// [`Error::UnknownKernel`] when no module lists `name`, [`Error::NvrtcMissing`] /
    /// [`Error::KernelCompile`] (with the NVRTC log) when the module cannot be compiled,
    /// [`Error::CudaDriver`] when the driver rejects the PTX, and [`Error::KernelMissing`] when
    /// the loaded module has no such entry.
    pub(super) fn function(
        &self,
        ctx: &Arc<CudaContext>,
        arch: &str,
        name: &str,
    ) -> Result<CudaFunction> {
        if let Some(f) = unpoison(self.functions.read()).get(name) {
            return Ok(f.clone());
        }
        let module_def = fluxion_kernels::find(name).ok_or_else(|| Error::UnknownKernel {
            kernel: name.to_string(),
        })?;
        let module = self.module(ctx, arch, module_def)?;
        let f = module
            .load_function(name)
            .map_err(|_| Error::KernelMissing {
                module: module_def.name.to_string(),
                arch: arch.to_string(),
                kernel: name.to_string(),
            })?;
        unpoison(self.functions.write()).insert(name.to_string(), f.clone());
        Ok(f)
    }

    /// The loaded module `def`, compiled on first use. Compiles run under the write lock, so a
    /// module is compiled once even when several threads ask for it at the same time.
    fn module(
        &self,
        ctx: &Arc<CudaContext>,
        arch: &str,
        def: &fluxion_kernels::Module,
    ) -> Result<Arc<CudaModule>> {
        let i = def.id.index();
        if let Some(m) = &unpoison(self.modules.read())[i] {
            return Ok(m.clone());
        }
        let mut table = unpoison(self.modules.write());
        if let Some(m) = &table[i] {
            return Ok(m.clone());
        }
        let ptx = super::compile::compile_module(def, arch)?;
        let m = ctx.load_module(ptx)?;
        table[i] = Some(m.clone());
        Ok(m)
    }
}
