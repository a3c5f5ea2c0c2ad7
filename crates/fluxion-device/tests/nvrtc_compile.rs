//! Compiles every kernel module with NVRTC and checks that each listed kernel is a PTX entry, via
//! [`fluxion_device::cuda::check_kernels`] (the same check `fluxion info` runs).
//!
//! Needs libnvrtc (CUDA 13), not a GPU: `scripts/test` installs it from the `nvidia-cuda-nvrtc`
//! wheel into `.cache/nvrtc` and puts it on `LD_LIBRARY_PATH`. Without libnvrtc the test prints a
//! notice and passes, unless `FLUXION_REQUIRE_NVRTC=1`, in which case it fails.
#![cfg(feature = "cuda")]

use fluxion_device::cuda::{check_kernels, NVRTC_INSTALL_HINT};
use fluxion_device::Error;

/// Virtual architectures to compile for: Ampere (the oldest we target) and Hopper (H100).
const ARCHES: [&str; 2] = ["compute_80", "compute_90"];

#[test]
fn every_module_compiles_and_exports_its_kernels() {
    let required = std::env::var("FLUXION_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut modules = 0;
    let mut kernels = 0;
    for arch in ARCHES {
        match check_kernels(arch) {
            Ok(report) => {
                assert_eq!(report.arch, arch);
                modules = report.modules;
                kernels += report.kernels;
            }
            Err(Error::NvrtcMissing) => {
                assert!(
                    !required,
                    "FLUXION_REQUIRE_NVRTC=1 but libnvrtc.so.13 was not found; install it with: \
                     {NVRTC_INSTALL_HINT}"
                );
                eprintln!(
                    "SKIPPED nvrtc_compile: libnvrtc not found; to compile the kernels run: \
                     {NVRTC_INSTALL_HINT}"
                );
                return;
            }
            Err(err) => failures.push(err.to_string()),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The `cuda` feature brings in fluxion-kernels, so the test can name it.
    assert_eq!(modules, fluxion_kernels::MODULES.len());
    eprintln!("nvrtc_compile: {modules} modules, {kernels} kernel entries for {ARCHES:?}");
}

#[test]
fn a_failed_compile_names_the_module_and_arch() {
    match check_kernels("compute_1") {
        Err(Error::NvrtcMissing) => {}
        Err(err @ Error::KernelCompile { .. }) => {
            let msg = err.to_string();
            assert!(
                msg.contains("kernel module `") && msg.contains("compute_1"),
                "{msg}"
            );
            assert!(msg.contains("--gpu-architecture=compute_1"), "{msg}");
        }
        other => panic!("expected a compile error for compute_1, got {other:?}"),
    }
}
