//! Helpers for tests: a GPU when there is one, and host references for kernels.

use crate::{Device, Tensor};

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

/// [`Tensor::complex_matmul`] computed by the plain loop of `kernels/cmatmul.cu`, on the host
/// and in the operands' dtype (f32 or f64): for each output pair, starting from +0,
/// `re = re + (ar·br − ai·bi)`, `im = im + (ar·bi + ai·br)` over k in order, every operation
/// separately rounded (conjugation negates the imaginary part first). The CUDA kernel run in
/// the host emulator matches it bit for bit; the CPU backend (blocked, with FMAs) to rounding.
///
/// # Errors
/// As [`Tensor::complex_matmul`] (shapes, dtypes); device transfer errors.
pub fn complex_matmul_reference(
    a: &Tensor,
    b: &Tensor,
    conj_a: bool,
    conj_b: bool,
) -> crate::Result<Tensor> {
    // The op itself validates the shapes and gives the output shape and dtype.
    let shape = a
        .to_device(&Device::Cpu)?
        .complex_matmul(&b.to_device(&Device::Cpu)?, conj_a, conj_b)?
        .shape()
        .clone();
    let r = shape.rank();
    let (m, n) = (shape.dims()[r - 3], shape.dims()[r - 2]);
    let k = a.dims()[a.rank() - 2];
    let mut a_dims = shape.dims()[..r - 3].to_vec();
    a_dims.extend([m, k, 2]);
    let mut b_dims = shape.dims()[..r - 3].to_vec();
    b_dims.extend([k, n, 2]);
    let (a, b) = (a.broadcast_to(a_dims)?, b.broadcast_to(b_dims)?);
    let batch = shape.elem_count() / (2 * m * n).max(1);
    match a.dtype() {
        crate::DType::F32 => {
            let out = reference_loop(
                &a.to_vec::<f32>()?,
                &b.to_vec::<f32>()?,
                (batch, m, k, n),
                (conj_a, conj_b),
            );
            Tensor::from_vec(out, shape, &Device::Cpu)
        }
        _ => {
            let out = reference_loop(
                &a.to_vec::<f64>()?,
                &b.to_vec::<f64>()?,
                (batch, m, k, n),
                (conj_a, conj_b),
            );
            Tensor::from_vec(out, shape, &Device::Cpu)
        }
    }
}

/// The loop of [`complex_matmul_reference`] on contiguous `[batch, m, k, 2]` and
/// `[batch, k, n, 2]` values.
fn reference_loop<T: num_traits::Float>(
    a: &[T],
    b: &[T],
    (batch, m, k, n): (usize, usize, usize, usize),
    (conj_a, conj_b): (bool, bool),
) -> Vec<T> {
    let mut out = Vec::with_capacity(batch * m * n * 2);
    for z in 0..batch {
        for r in 0..m {
            for c in 0..n {
                let (mut re, mut im) = (T::zero(), T::zero());
                for kk in 0..k {
                    let ia = 2 * ((z * m + r) * k + kk);
                    let ib = 2 * ((z * k + kk) * n + c);
                    let (ar, mut ai) = (a[ia], a[ia + 1]);
                    let (br, mut bi) = (b[ib], b[ib + 1]);
                    if conj_a {
                        ai = -ai;
                    }
                    if conj_b {
                        bi = -bi;
                    }
                    re = re + (ar * br - ai * bi);
                    im = im + (ar * bi + ai * br);
                }
                out.extend([re, im]);
            }
        }
    }
    out
}
