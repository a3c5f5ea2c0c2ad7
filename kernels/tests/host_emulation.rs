//! The host emulator (`fluxion_kernels::host`, feature `host-emulation`): every module compiles
//! as host C++ and exports a launcher per kernel, a kernel runs over a grid-stride launch, the
//! cooperative `reduce` kernels run with their barriers and shuffles, and bad launches are
//! errors. The kernels' results are compared with the
//! CPU backend in fluxion-tensor (`cuda_backend/emulated_tests.rs`).
//!
//! Without a C++ compiler each test prints a skip notice and passes, unless
//! `FLUXION_REQUIRE_EMULATION=1`.
#![cfg(feature = "host-emulation")]

use fluxion_kernels::host::{require_or_skip, HostError, HostModule, KernelArgs};
use fluxion_kernels::{kernel_args, Id};

#[test]
fn every_module_compiles_with_a_launcher_per_kernel() {
    for id in Id::ALL {
        let Some(m) = require_or_skip(id) else { return };
        let module = id.module();
        assert_eq!(m.name(), module.name);
        for f in module.functions {
            let params = m
                .params(f)
                .unwrap_or_else(|e| panic!("{}: {e}", module.name));
            assert!(!params.is_empty(), "{f} takes no parameters");
        }
        // Compiled once per process.
        assert!(std::sync::Arc::ptr_eq(
            &m,
            &HostModule::compile(id).unwrap()
        ));
    }
}

#[test]
fn reduce_runs_its_cooperating_threads() {
    let Some(reduce) = require_or_skip(Id::Reduce) else {
        return;
    };
    // sum over the middle axis of [3, 100, 2]: 6 groups, 2 blocks of 64 threads (two warps,
    // blocks striding over groups, threads over the reduced axis).
    let (outer, len, inner) = (3usize, 100usize, 2usize);
    let input: Vec<f64> = (0..outer * len * inner)
        .map(|i| (i % 7) as f64 - 2.5)
        .collect();
    let mut out = vec![f64::NAN; outer * inner];
    let (pi, po) = (input.as_ptr(), out.as_mut_ptr());
    let args = kernel_args![&pi, &po, &outer, &len, &inner];
    // SAFETY: sum_f64(const double* in, double* out, size_t outer, size_t reduce, size_t inner)
    // reads outer·len·inner doubles and writes outer·inner.
    unsafe { reduce.launch_args("sum_f64", 2, 64, &args) }.unwrap();
    for o in 0..outer {
        for k in 0..inner {
            let want: f64 = (0..len).map(|j| input[(o * len + j) * inner + k]).sum();
            assert_eq!(out[o * inner + k], want, "group ({o}, {k})");
        }
    }
    // Warps must be whole.
    // SAFETY: rejected before it runs.
    let err = unsafe { reduce.launch_args("sum_f64", 1, 48, &args) };
    let msg = err.unwrap_err().to_string();
    assert!(
        msg.contains("48") && msg.contains("multiple of 32"),
        "{msg}"
    );
}

#[test]
fn fill_covers_every_element_over_a_grid_stride_launch() {
    let Some(fill) = require_or_skip(Id::Fill) else {
        return;
    };
    assert_eq!(fill.params("fill_f16").unwrap(), [8, 8, 2]);
    // 3 blocks of 32 threads over 1000 elements: each thread loops; the sentinel past n stays.
    let mut out = vec![0.0f32; 1001];
    let (ptr, n, value) = (out.as_mut_ptr(), 1000usize, -2.5f32);
    // SAFETY: fill_f32(float* out, size_t n, float value) writes n = 1000 floats of the 1001.
    unsafe { fill.launch_args("fill_f32", 3, 32, &kernel_args![&ptr, &n, &value]) }.unwrap();
    assert!(out[..1000].iter().all(|&x| x == -2.5));
    assert_eq!(out[1000], 0.0);

    // The raw form: args[i] points at the i-th parameter.
    let mut bits = vec![0u16; 7];
    let (ptr, n, value) = (bits.as_mut_ptr(), bits.len(), 0x3c00u16);
    let mut args = [
        &ptr as *const _ as *mut std::ffi::c_void,
        &n as *const _ as *mut _,
        &value as *const _ as *mut _,
    ];
    // SAFETY: fill_f16(unsigned short* out, size_t n, unsigned short value) writes 7 elements.
    unsafe { fill.launch("fill_f16", 1, 256, &mut args) }.unwrap();
    assert_eq!(bits, [0x3c00; 7]);
}

#[test]
fn bad_launches_are_errors_that_say_why() {
    let Some(fill) = require_or_skip(Id::Fill) else {
        return;
    };
    let mut out = [0.0f64; 4];
    let (ptr, n, value) = (out.as_mut_ptr(), out.len(), 1.0f64);
    let launch = |kernel: &str, grid: u32, block: u32, args: &KernelArgs<'_>| {
        // SAFETY: the only pointer passed is `ptr`, to the 4 doubles fill_f64 writes.
        unsafe { fill.launch_args(kernel, grid, block, args) }
    };

    match launch("fill_q32", 1, 32, &kernel_args![&ptr, &n, &value]) {
        Err(e @ HostError::UnknownKernel { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("fill_q32") && msg.contains("`fill`"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let wrong_width = 1.0f32;
    let err = launch("fill_f64", 1, 32, &kernel_args![&ptr, &n, &wrong_width]);
    let msg = err.unwrap_err().to_string();
    assert!(
        msg.contains("[8, 8, 4]") && msg.contains("[8, 8, 8]"),
        "{msg}"
    );
    let err = launch("fill_f64", 1, 32, &kernel_args![&ptr, &n]);
    assert!(matches!(err, Err(HostError::Launch { .. })), "{err:?}");
    for (grid, block) in [(0, 32), (1, 0), (1, 2048)] {
        let err = launch("fill_f64", grid, block, &kernel_args![&ptr, &n, &value]);
        assert!(matches!(err, Err(HostError::Launch { .. })), "{err:?}");
    }
    launch("fill_f64", 1, 1024, &kernel_args![&ptr, &n, &value]).unwrap();
    assert_eq!(
        out, [1.0; 4],
        "a rejected launch ran, or the last one did not"
    );
}

#[test]
fn a_kernel_that_does_not_compile_reports_the_compiler_output_and_keeps_the_unit() {
    let Some(fill) = require_or_skip(Id::Fill) else {
        return;
    };
    drop(fill);
    let source = "extern \"C\" __global__ void broken_f32(float* out) { out[0] = undefined_name; }";
    match HostModule::from_source("broken", source, &["broken_f32"]) {
        Err(e @ HostError::Compile { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("undefined_name") && msg.contains("broken.cpp"),
                "{msg}"
            );
            if let HostError::Compile { unit, .. } = &e {
                assert!(unit.exists(), "{unit:?} was not kept");
                let _ = std::fs::remove_dir_all(unit.parent().unwrap());
            }
        }
        other => panic!("{other:?}"),
    }
}
