//! Helpers for tests that run on a GPU when there is one.

use crate::Device;

/// `Device::cuda(0)`, or `None` after printing `skipping <test>: no CUDA device (<error>)`, so
/// that CUDA tests pass on machines without a GPU.
///
/// # Panics
/// When no CUDA device opens and the environment variable `FLUXION_REQUIRE_CUDA=1` is set (GPU
/// machines set it, so that a broken driver setup cannot pass silently; `scripts/gpu-run` does).
pub fn cuda_device(test: &str) -> Option<Device> {
    match Device::cuda(0) {
        Ok(dev) => Some(dev),
        Err(e) => {
            assert!(
                std::env::var("FLUXION_REQUIRE_CUDA").as_deref() != Ok("1"),
                "{test}: FLUXION_REQUIRE_CUDA=1 but no CUDA device opens ({e})"
            );
            eprintln!("skipping {test}: no CUDA device ({e})");
            None
        }
    }
}
