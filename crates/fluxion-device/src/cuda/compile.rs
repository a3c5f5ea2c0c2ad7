//! NVRTC compilation of kernel modules, shared by [`super::check_kernels`] and the device's module
//! cache, so what CI compiles without a GPU is exactly what a GPU loads.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions, Ptx};
use fluxion_kernels::Module;

use crate::{Error, Result};

/// Whether libnvrtc can be loaded, checked before any NVRTC call (cudarc panics otherwise).
pub(super) fn nvrtc_present() -> bool {
    // SAFETY: `is_culib_present` only tries to dlopen the candidate library names and drops any
    // handle it opens; it calls no NVRTC function and has no other preconditions.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// `module` compiled to PTX for the virtual architecture `arch` (e.g. `compute_90`).
///
/// # Errors
/// [`Error::NvrtcMissing`] without libnvrtc, [`Error::KernelCompile`] with NVRTC's code, options
/// and log when the source does not compile.
pub(super) fn compile_module(module: &Module, arch: &str) -> Result<Ptx> {
    if !nvrtc_present() {
        return Err(Error::NvrtcMissing);
    }
    let opts = CompileOptions {
        // `CompileOptions::arch` is `Option<&'static str>`; the same flag works for any `arch`.
        options: vec![format!("--gpu-architecture={arch}")],
        name: Some(format!("{}.cu", module.name)),
        ..Default::default()
    };
    compile_ptx_with_opts(module.source, opts).map_err(|err| {
        let log = match err {
            CompileError::CompileError {
                nvrtc,
                options,
                log,
            } => format!(
                "{nvrtc:?}\noptions: {options:?}\n--- NVRTC log ---\n{}",
                log.to_string_lossy().trim_end()
            ),
            other => format!("{other:?}"),
        };
        Error::KernelCompile {
            module: module.name.to_string(),
            arch: arch.to_string(),
            log,
        }
    })
}

pub(super) fn check_kernels(arch: &str) -> Result<super::KernelReport> {
    if !nvrtc_present() {
        return Err(Error::NvrtcMissing);
    }
    let mut kernels = 0;
    for module in fluxion_kernels::MODULES {
        let ptx = compile_module(module, arch)?.to_src();
        let entries = fluxion_kernels::ptx_entries(&ptx);
        if let Some(kernel) = module.functions.iter().find(|f| !entries.contains(f)) {
            return Err(Error::KernelMissing {
                module: module.name.to_string(),
                arch: arch.to_string(),
                kernel: kernel.to_string(),
            });
        }
        if let Some(kernel) = entries.iter().find(|e| !module.has_function(e)) {
            return Err(Error::KernelUnlisted {
                module: module.name.to_string(),
                arch: arch.to_string(),
                kernel: kernel.to_string(),
            });
        }
        kernels += entries.len();
    }
    Ok(super::KernelReport {
        arch: arch.to_string(),
        modules: fluxion_kernels::MODULES.len(),
        kernels,
    })
}
