//! Host memory policy for binaries whose global allocator is mimalloc (the `fluxion` binary and
//! the benchmarks).
//!
//! A training step allocates and frees the same large activation buffers every iteration.
//! mimalloc returns (purges) freed pages to the OS a while after they fall empty (1 s by default
//! in the v3 that `libmimalloc-sys` builds, 10 ms in v2); pages purged between steps are
//! page-faulted and zeroed afresh in the next one. On the FNO-1d training step
//! (`cargo bench -p fluxion-operator --bench cpu_fno`, 2-core Xeon, 2026-12-06, quiet,
//! alternated): 90–95 ms with the 1 s default, 130–147 ms with 10 ms, 84–85 ms when freed
//! memory is kept. PyTorch keeps freed blocks too (its caching allocators; glibc's malloc keeps
//! blocks below its adaptive mmap threshold). The cost is that the process's resident size
//! stays at its peak.
//!
//! Needs the `mimalloc` feature.

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// `mi_option_purge_delay`: index 15 of `mi_option_t` in both the v2 and the v3 headers that
/// `libmimalloc-sys` builds (mimalloc keeps deprecated entries in the enum so that indices
/// stay stable); the sys crate has no constant for it. Its default is 10 (milliseconds).
const MI_OPTION_PURGE_DELAY: mi_option_t = 15;

/// The variable that overrides the policy (mimalloc's own name for the option).
pub const PURGE_DELAY_ENV: &str = "MIMALLOC_PURGE_DELAY";

/// Tells mimalloc never to return freed memory to the OS (purge delay −1), unless the
/// environment sets `MIMALLOC_PURGE_DELAY`, which then wins. Returns the delay in force, in
/// milliseconds (−1: never). Harmless to call more than once, and when mimalloc is linked but
/// not the global allocator (it then governs only mimalloc's own allocations).
pub fn retain_freed_memory() -> i64 {
    if std::env::var_os(PURGE_DELAY_ENV).is_none() {
        // SAFETY: mi_option_set stores a value in mimalloc's option table; it allocates
        // nothing and is safe to call at any time, from any thread.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    purge_delay()
}

/// mimalloc's purge delay now in force, in milliseconds (−1: never purge).
// `c_long` is i64 on Linux and macOS, i32 on Windows.
#[allow(clippy::useless_conversion)]
pub fn purge_delay() -> i64 {
    // SAFETY: mi_option_get reads mimalloc's option table (initialising it from the
    // environment on first use); it has no preconditions.
    i64::from(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Index 15 is the purge delay: its default is 1000 ms in v3 and 10 ms in v2 (its
    /// neighbours default to 1 and 0), and setting it reads back. Skipped when the environment sets the option.
    #[test]
    fn purge_delay_is_option_15_and_is_set_to_never() {
        if std::env::var_os(PURGE_DELAY_ENV).is_some() {
            eprintln!("{PURGE_DELAY_ENV} is set: skipped");
            return;
        }
        let default = purge_delay();
        assert!(
            default == 1000 || default == 10,
            "option 15 reads {default}, not mimalloc's default purge delay"
        );
        assert_eq!(retain_freed_memory(), -1);
        assert_eq!(purge_delay(), -1);
    }
}
