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
/// Operands that are not `[..., m, k, 2]` and `[..., k, n, 2]` with broadcastable batches;
/// dtypes other than f32 and f64; device transfer errors.
pub fn complex_matmul_reference(
    a: &Tensor,
    b: &Tensor,
    conj_a: bool,
    conj_b: bool,
) -> crate::Result<Tensor> {
    // Shapes worked out here, not by the op under test, so that a shape bug in it shows.
    let (ra, rb) = (a.rank(), b.rank());
    let pair = |t: &Tensor| t.rank() >= 3 && t.dims()[t.rank() - 1] == 2;
    if !pair(a) || !pair(b) || a.dims()[ra - 2] != b.dims()[rb - 3] {
        return Err(crate::invalid(
            "complex_matmul_reference",
            format!(
                "needs [..., m, k, 2] and [..., k, n, 2], got {} and {}",
                a.shape(),
                b.shape()
            ),
        ));
    }
    let (m, k, n) = (a.dims()[ra - 3], a.dims()[ra - 2], b.dims()[rb - 2]);
    let batch_shape = crate::Shape::from(&a.dims()[..ra - 3]).broadcast(
        &crate::Shape::from(&b.dims()[..rb - 3]),
        "complex_matmul_reference",
    )?;
    let with = |extra: [usize; 3]| [batch_shape.dims(), &extra[..]].concat();
    let shape = crate::Shape::from(with([m, n, 2]));
    let (a, b) = (
        a.broadcast_to(with([m, k, 2]))?,
        b.broadcast_to(with([k, n, 2]))?,
    );
    let batch = batch_shape.elem_count();
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
        crate::DType::F64 => {
            let out = reference_loop(
                &a.to_vec::<f64>()?,
                &b.to_vec::<f64>()?,
                (batch, m, k, n),
                (conj_a, conj_b),
            );
            Tensor::from_vec(out, shape, &Device::Cpu)
        }
        other => Err(crate::Error::UnsupportedDType {
            op: "complex_matmul_reference",
            dtype: other,
            supported: "f32, f64",
        }),
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
