//! A device's measured peaks, the denominators of the "of peak" column.
//!
//! "Peak" here is what simple code reaches on this machine at this moment, not the vendor's
//! data-sheet figure; both peaks use every thread of rayon's pool, as the ops do.
//!
//! - **GFLOP/s**: a loop of fused multiply-adds on registers only (no memory traffic), 12
//!   independent accumulators of 16 f32 lanes (AVX-512F) or 8 (AVX2 + FMA), the widest this
//!   CPU has (chosen at run time with `is_x86_feature_detected!`), so that the FMA units'
//!   latency is hidden; an FMA counts as two flops. This is the ceiling of the `gemm` crate's
//!   kernels, which Fluxion builds with the crate's `x86-v4` feature (AVX-512 kernels where
//!   the CPU has them). Elsewhere a portable multiply-add loop stands in (which the compiler
//!   may or may not vectorise), so the fraction is less meaningful there.
//! - **GB/s**: a copy of 2²⁴ f32 (64 MiB) into another buffer of that size — the operand size
//!   of the elementwise and reduction rows, so that both see the same cache level (this
//!   project's host reports a 480 MiB L3, which holds them) — split in 256 KiB chunks over
//!   rayon; bytes read plus bytes written per second, as the elementwise rows count (the
//!   write-allocate traffic of the destination is not counted, by convention).
//!
//! Each is the best of a few repeats after one warm-up (which also faults the pages in). Tiny
//! runs use small buffers and short loops: their peaks (and fractions) only test the plumbing.
//! CUDA peaks are not measured yet (null), so CUDA rows have no fraction.

use std::hint::black_box;
use std::time::Instant;

use fluxion_device::Device;
use rayon::prelude::*;

use super::Size;

/// A device's measured peaks; `None` where not measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Peak {
    /// Register-resident FMA throughput, GFLOP/s.
    pub gflops: Option<f64>,
    /// Parallel copy bandwidth (read + write), GB/s.
    pub gbps: Option<f64>,
}

/// Measures `dev`'s peaks.
///
/// # Errors
/// None today on the CPU; kept fallible for device backends.
pub(crate) fn measure(dev: &Device, size: Size) -> anyhow::Result<Peak> {
    if dev.is_cuda() {
        return Ok(Peak {
            gflops: None,
            gbps: None,
        });
    }
    let (copy_len, fma_iters, reps) = match size {
        Size::Full => (1 << 24, 1 << 24, 5),
        Size::Tiny => (1 << 18, 1 << 12, 2),
    };
    Ok(Peak {
        gflops: Some(cpu_fma_gflops(fma_iters, reps)),
        gbps: Some(cpu_copy_gbps(copy_len, reps)),
    })
}

/// Best read + write bandwidth of a parallel copy of `len` f32, GB/s.
fn cpu_copy_gbps(len: usize, reps: usize) -> f64 {
    const CHUNK: usize = 1 << 16;
    let src = vec![1.0f32; len];
    let mut dst = vec![0.0f32; len];
    let copy = |dst: &mut [f32]| {
        dst.par_chunks_mut(CHUNK)
            .zip(src.par_chunks(CHUNK))
            .for_each(|(d, s)| d.copy_from_slice(s));
    };
    copy(&mut dst);
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let start = Instant::now();
        copy(black_box(&mut dst));
        best = best.min(start.elapsed().as_secs_f64());
    }
    black_box(&dst);
    (2 * 4 * len) as f64 / best / 1e9
}

/// Best FMA throughput of all threads, each running `iters` iterations, GFLOP/s.
fn cpu_fma_gflops(iters: usize, reps: usize) -> f64 {
    let (kernel, flops_per_iter) = fma_kernel();
    let run = || rayon::broadcast(|_| kernel(black_box(iters)));
    black_box(run());
    let mut best = f64::INFINITY;
    let mut threads = 0;
    for _ in 0..reps {
        let start = Instant::now();
        let sums = run();
        best = best.min(start.elapsed().as_secs_f64());
        threads = sums.len();
        black_box(sums);
    }
    (threads * iters * flops_per_iter) as f64 / best / 1e9
}

/// Accumulators of the FMA loops: enough independent chains to cover the FMA latency (4–5
/// cycles) times the FMA ports (2) of current x86 cores.
const ACC: usize = 12;

/// The fastest FMA loop this CPU runs, and the flops of one of its iterations.
fn fma_kernel() -> (fn(usize) -> f32, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            return (fma_avx512_checked, ACC * 16 * 2);
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return (fma_avx2_checked, ACC * 8 * 2);
        }
    }
    (fma_portable, ACC * 2)
}

#[cfg(target_arch = "x86_64")]
fn fma_avx2_checked(iters: usize) -> f32 {
    // SAFETY: `fma_kernel` hands this out only after detecting AVX2 and FMA at run time.
    unsafe { fma_avx2(iters) }
}

/// `iters` rounds of `acc = acc · a + b` on 12 registers of 8 f32, fused; returns their sum so
/// the loop has an observable result. With a < 1 the accumulators converge to b / (1 − a)
/// and never overflow or go subnormal.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_avx2(iters: usize) -> f32 {
    use std::arch::x86_64::{
        _mm256_add_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };
    // SAFETY: the caller guarantees AVX2 and FMA; `out` has room for the 8 lanes stored.
    unsafe {
        let a = _mm256_set1_ps(black_box(0.999_9));
        let b = _mm256_set1_ps(black_box(1e-3));
        let mut acc = [_mm256_setzero_ps(); ACC];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let mut total = _mm256_setzero_ps();
        for x in acc {
            total = _mm256_add_ps(total, x);
        }
        let mut out = [0.0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), total);
        out.iter().sum()
    }
}

#[cfg(target_arch = "x86_64")]
fn fma_avx512_checked(iters: usize) -> f32 {
    // SAFETY: `fma_kernel` hands this out only after detecting AVX-512F at run time.
    unsafe { fma_avx512(iters) }
}

/// [`fma_avx2`] on 16-lane registers.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_avx512(iters: usize) -> f32 {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps, _mm512_setzero_ps,
    };
    let a = _mm512_set1_ps(black_box(0.999_9));
    let b = _mm512_set1_ps(black_box(1e-3));
    let mut acc = [_mm512_setzero_ps(); ACC];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let mut total = _mm512_setzero_ps();
    for x in acc {
        total = _mm512_add_ps(total, x);
    }
    _mm512_reduce_add_ps(total)
}

/// The portable stand-in: the same recurrence on 12 scalar f32 (a multiply and an add).
fn fma_portable(iters: usize) -> f32 {
    let a = black_box(0.999_9f32);
    let b = black_box(1e-3f32);
    let mut acc = [0.0f32; ACC];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = *x * a + b;
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kernel computes the same recurrence: compare with its closed form
    /// acc_k = b (1 − a^k) / (1 − a), summed over the lanes. f32 round-off grows with k; 1e-3
    /// relative covers 1000 steps of it.
    #[test]
    fn fma_kernels_compute_the_recurrence() {
        let (a, b, k) = (0.999_9f64, 1e-3f64, 1000usize);
        let one = b * (1.0 - a.powi(k as i32)) / (1.0 - a);
        let (kernel, flops) = fma_kernel();
        let lanes = flops / 2;
        let got = kernel(k) as f64;
        let want = one * lanes as f64;
        assert!((got - want).abs() <= 1e-3 * want, "{got} vs {want}");
        let got = fma_portable(k) as f64;
        let want = one * ACC as f64;
        assert!((got - want).abs() <= 1e-3 * want, "{got} vs {want}");
    }

    #[test]
    fn cpu_peaks_are_positive() {
        let p = measure(&Device::Cpu, Size::Tiny).unwrap();
        assert!(p.gflops.unwrap() > 0.0 && p.gflops.unwrap().is_finite());
        assert!(p.gbps.unwrap() > 0.0 && p.gbps.unwrap().is_finite());
    }
}
