//! Random draws on the device with `rand_{uniform,normal}_{f32,f64}` of `kernels/philox.cu`: the
//! Philox4x32-10 stream of `crate::random` (same counters, same words, same mapping to values),
//! so a (seed, offset) pair gives the CPU's uniform values bit for bit and its normal values to
//! within a few ulp plus about ulp(2π)·std·r absolute (the device's log, sqrt and
//! sincospi(2u) against the host's libm and sin_cos(fl(2π)·u); see `kernels/philox.cu`).

use cudarc::driver::PushKernelArg;
use fluxion_device::{CudaDevice, DType};

use super::copy::empty;
use super::launch::{alloc, grid, kernel, OrCuda};
use super::{CudaStorage, DevElem};
use crate::Result;

impl CudaStorage {
    /// `n` values of the Philox stream (seed, offset) as f32 or f64 (`dtype`): uniform in
    /// [a, b) or, when `normal`, normal with mean a and standard deviation b. Scalars are
    /// rounded to `dtype` first, as the CPU's `random::uniform_f32` etc. receive them.
    ///
    /// # Errors
    /// [`crate::Error::UnsupportedDType`] for dtypes other than f32 and f64; [`crate::Error::Cuda`]
    /// when allocation or the kernel fails.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn philox(
        dev: &CudaDevice,
        normal: bool,
        dtype: DType,
        n: usize,
        seed: u64,
        offset: u64,
        a: f64,
        b: f64,
    ) -> Result<CudaStorage> {
        let op = if normal { "randn" } else { "rand" };
        if n == 0 {
            return empty(dev, dtype, op);
        }
        match dtype {
            DType::F32 => launch::<f32>(dev, normal, dtype, n, seed, offset, a as f32, b as f32),
            DType::F64 => launch::<f64>(dev, normal, dtype, n, seed, offset, a, b),
            other => Err(crate::Error::UnsupportedDType {
                op,
                dtype: other,
                supported: "f32, f64 (on the device)",
            }),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn launch<T: DevElem>(
    dev: &CudaDevice,
    normal: bool,
    dtype: DType,
    n: usize,
    seed: u64,
    offset: u64,
    a: T,
    b: T,
) -> Result<CudaStorage> {
    let op = if normal { "randn" } else { "rand" };
    let kind = if normal { "normal" } else { "uniform" };
    let name = format!("rand_{kind}_{}", dtype.as_str());
    // SAFETY: the kernel below writes all n elements.
    let out = unsafe { alloc::<T>(dev, n, op)? };
    let func = kernel(dev, &name, op)?;
    let stream = dev.stream();
    let mut lb = stream.launch_builder(&func);
    lb.arg(&out).arg(&n).arg(&seed).arg(&offset).arg(&a).arg(&b);
    // One thread per Philox block: 4 values (f32) or 2 (f64).
    let blocks = if dtype == DType::F64 {
        n.div_ceil(2)
    } else {
        n.div_ceil(4)
    };
    // SAFETY: matches `rand_{uniform,normal}_{f32,f64}(T* out, size_t n, unsigned long long
    // seed, unsigned long long offset, T a, T b)` of kernels/philox.cu; `out` is a fresh buffer
    // of n elements. The kernel's grid-stride loop takes any launch configuration.
    unsafe { lb.launch(grid(blocks)) }.or_cuda(op, || format!("{name} of {n} values"))?;
    Ok(CudaStorage::from_slice(out, n, dtype, dev))
}
