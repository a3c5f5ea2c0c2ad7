//! Compiles every kernel module with NVRTC and checks that each listed kernel is a PTX entry.
//!
//! Needs libnvrtc (CUDA 13), not a GPU: `scripts/test` installs it from the `nvidia-cuda-nvrtc`
//! wheel into `.cache/nvrtc` and puts it on `LD_LIBRARY_PATH`. Without libnvrtc the test prints a
//! notice and passes, unless `FLUXION_REQUIRE_NVRTC=1`, in which case it fails.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions};
use fluxion_kernels::MODULES;

/// Virtual architectures to compile for: Ampere (the oldest we target) and Hopper (H100).
const ARCHES: [&str; 2] = ["compute_80", "compute_90"];

const INSTALL_HINT: &str =
    "python3 -m pip install --target .cache/nvrtc 'nvidia-cuda-nvrtc==13.0.*' \
     && export LD_LIBRARY_PATH=$PWD/.cache/nvrtc/nvidia/cu13/lib (or run scripts/test)";

/// Whether libnvrtc can be loaded; decides between compiling, skipping and failing.
fn nvrtc_available() -> bool {
    // SAFETY: `is_culib_present` only tries to dlopen the candidate library names and drops any
    // handle it opens; it calls no NVRTC function and has no other preconditions.
    let present = unsafe { cudarc::nvrtc::sys::is_culib_present() };
    if present {
        return true;
    }
    let required = std::env::var("FLUXION_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "FLUXION_REQUIRE_NVRTC=1 but libnvrtc.so.13 was not found; install it with: {INSTALL_HINT}"
    );
    eprintln!(
        "SKIPPED nvrtc_compile: libnvrtc not found; to compile the kernels run: {INSTALL_HINT}"
    );
    false
}

/// A readable report of an NVRTC failure: module, architecture, options and the compiler log.
fn describe(module: &str, arch: &str, err: &CompileError) -> String {
    match err {
        CompileError::CompileError {
            nvrtc,
            options,
            log,
        } => format!(
            "NVRTC failed to compile kernel module `{module}` ({arch}): {nvrtc:?}\n\
             options: {options:?}\n--- NVRTC log ---\n{}",
            log.to_string_lossy()
        ),
        other => format!("NVRTC failed on kernel module `{module}` ({arch}): {other:?}"),
    }
}

/// Names of the `.entry` directives in a PTX text.
fn ptx_entries(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix(".visible .entry ")?;
            Some(
                rest.split(|c: char| c == '(' || c.is_whitespace())
                    .next()
                    .unwrap_or(""),
            )
        })
        .collect()
}

#[test]
fn every_module_compiles_and_exports_its_kernels() {
    if !nvrtc_available() {
        return;
    }
    let mut failures = Vec::new();
    let mut compiled = 0;
    for arch in ARCHES {
        for module in MODULES {
            let opts = CompileOptions {
                arch: Some(arch),
                name: Some(format!("{}.cu", module.name)),
                ..Default::default()
            };
            let ptx = match compile_ptx_with_opts(module.source, opts) {
                Ok(ptx) => ptx.to_src(),
                Err(err) => {
                    failures.push(describe(module.name, arch, &err));
                    continue;
                }
            };
            let entries = ptx_entries(&ptx);
            compiled += entries.len();
            for &function in module.functions {
                if !entries.contains(&function) {
                    failures.push(format!(
                        "module `{}` ({arch}): kernel `{function}` is not a PTX entry; entries: {entries:?}",
                        module.name
                    ));
                }
            }
            if entries.len() != module.functions.len() {
                failures.push(format!(
                    "module `{}` ({arch}): {} PTX entries for {} listed kernels: {entries:?}",
                    module.name,
                    entries.len(),
                    module.functions.len()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    eprintln!(
        "nvrtc_compile: {} modules, {compiled} kernel entries for {ARCHES:?}",
        MODULES.len()
    );
}

#[test]
fn ptx_entry_parser_reads_entries() {
    let ptx = "//\n.version 9.0\n.visible .entry fill_f32(\n\t.param .u64 a\n)\n\
               .visible .entry cast_f32_f16(\n.func helper(\n";
    assert_eq!(ptx_entries(ptx), ["fill_f32", "cast_f32_f16"]);
}
