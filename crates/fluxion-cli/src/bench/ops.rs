//! The ops suite: the tensor engine's kernels and one operator layer, as the root
//! `benches/cpu_tensor.rs` and `crates/fluxion-operator/benches/spectral.rs` measure them.
//!
//! Every op returns a freshly allocated tensor, as in training; the result is passed through
//! [`black_box`] so the work cannot be skipped.

use std::hint::black_box;

use fluxion_autodiff::{grad, Var};
use fluxion_device::Device;
use fluxion_nn::Module;
use fluxion_operator::SpectralConv;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, FftNorm, Tensor};

use super::{Entry, Size, Spec, Step, Unit};

/// The suite's workloads, in table order.
pub(crate) fn entries() -> Vec<Entry> {
    vec![
        Entry {
            spec: sgemm_spec,
            build: sgemm,
        },
        Entry {
            spec: fft_spec,
            build: fft,
        },
        Entry {
            spec: add_spec,
            build: add,
        },
        Entry {
            spec: sum_spec,
            build: sum,
        },
        Entry {
            spec: spectral_spec,
            build: spectral,
        },
        Entry {
            spec: mix_complex_spec,
            build: mix_complex,
        },
        Entry {
            spec: mix_block_spec,
            build: mix_block,
        },
    ]
}

fn ops(name: &'static str, size: String, unit: Unit, work: f64, warmup: usize) -> Spec {
    Spec {
        suite: "ops",
        name,
        size,
        unit,
        work,
        warmup,
    }
}

/// Square sgemm order.
fn sgemm_n(size: Size) -> usize {
    match size {
        Size::Full => 1024,
        Size::Tiny => 64,
    }
}

fn sgemm_spec(size: Size) -> Spec {
    let n = sgemm_n(size);
    let flops = 2.0 * (n as f64).powi(3);
    ops("sgemm", format!("{n}x{n}x{n} f32"), Unit::Gflops, flops, 2)
}

fn sgemm(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let n = sgemm_n(size);
    let mut g = Generator::new(0);
    let a = Tensor::rand(0.0, 1.0, [n, n], DType::F32, dev, &mut g)?;
    let b = Tensor::rand(0.0, 1.0, [n, n], DType::F32, dev, &mut g)?;
    Ok(Box::new(move || {
        black_box(a.matmul(&b)?);
        Ok(())
    }))
}

/// Rows and transform length of the FFT batch.
fn fft_dims(size: Size) -> (usize, usize) {
    match size {
        Size::Full => (1280, 1024),
        Size::Tiny => (8, 64),
    }
}

/// The conventional flop count of one real transform of length `n`: half of a complex
/// radix-2 FFT's 5 n log₂ n.
fn real_fft_flops(n: usize) -> f64 {
    2.5 * n as f64 * (n as f64).log2()
}

fn fft_spec(size: Size) -> Spec {
    let (rows, n) = fft_dims(size);
    let flops = rows as f64 * 2.0 * real_fft_flops(n);
    ops(
        "rfft+irfft",
        format!("{rows}x{n} f32"),
        Unit::Gflops,
        flops,
        2,
    )
}

fn fft(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (rows, n) = fft_dims(size);
    let x = Tensor::randn(0.0, 1.0, [rows, n], DType::F32, dev, &mut Generator::new(1))?;
    Ok(Box::new(move || {
        let y = x.rfft(FftNorm::Backward)?;
        black_box(y.irfft(Some(n), FftNorm::Backward)?);
        Ok(())
    }))
}

/// Elements of the elementwise and reduction rows.
fn stream_len(size: Size) -> (usize, &'static str) {
    match size {
        Size::Full => (1 << 24, "2^24 f32"),
        Size::Tiny => (1 << 12, "2^12 f32"),
    }
}

fn add_spec(size: Size) -> Spec {
    let (n, label) = stream_len(size);
    // Read two operands, write one result.
    ops("add", label.into(), Unit::Gbps, (3 * 4 * n) as f64, 2)
}

fn add(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (n, _) = stream_len(size);
    let mut g = Generator::new(2);
    let a = Tensor::rand(0.0, 1.0, [n], DType::F32, dev, &mut g)?;
    let b = Tensor::rand(0.0, 1.0, [n], DType::F32, dev, &mut g)?;
    Ok(Box::new(move || {
        black_box(a.add(&b)?);
        Ok(())
    }))
}

fn sum_spec(size: Size) -> Spec {
    let (n, label) = stream_len(size);
    ops("sum", label.into(), Unit::Gbps, (4 * n) as f64, 2)
}

fn sum(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (n, _) = stream_len(size);
    let a = Tensor::rand(0.0, 1.0, [n], DType::F32, dev, &mut Generator::new(3))?;
    Ok(Box::new(move || {
        black_box(a.sum_all()?);
        Ok(())
    }))
}

/// Batch, grid points, channels and modes of the spectral convolution row.
fn spectral_dims(size: Size) -> (usize, usize, usize, usize) {
    match size {
        Size::Full => (20, 1024, 64, 16),
        Size::Tiny => (2, 64, 8, 4),
    }
}

fn spectral_spec(size: Size) -> Spec {
    let (b, n, c, m) = spectral_dims(size);
    let label = format!("B{b} n{n} C{c} m{m} f32");
    ops(
        "spectral_conv1d fwd+bwd",
        label,
        Unit::SamplesPerS,
        b as f64,
        2,
    )
}

/// `SpectralConv` forward, sum, gradients to the input and the weights; the layer's default
/// method (`Auto`, what the FNO uses).
fn spectral(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (b, n, c, m) = spectral_dims(size);
    let x = Tensor::randn(0.0, 1.0, [b, n, c], DType::F32, dev, &mut Generator::new(1))?;
    let x = Var::leaf(x);
    let layer = SpectralConv::new(c, c, &[m], DType::F32, dev, 0)?;
    Ok(Box::new(move || {
        let y = layer.forward(&x)?;
        let loss = y.sum_all()?;
        black_box(grad(
            &[loss],
            &[x.clone(), layer.weight().clone()],
            None,
            false,
        )?);
        Ok(())
    }))
}

/// Modes, batch, in and out channels of the mode-mixing rows: FNO-1d's forward product.
fn mix_dims(size: Size) -> (usize, usize, usize, usize) {
    match size {
        Size::Full => (16, 20, 64, 64),
        Size::Tiny => (4, 2, 8, 8),
    }
}

/// 8 real flops (4 products, 4 sums) per complex multiply–add, M·B·C_in·C_out of them; the real
/// block form does the same count.
fn mix_flops(size: Size) -> f64 {
    let (m, b, ci, co) = mix_dims(size);
    8.0 * (m * b * ci * co) as f64
}

fn mix_label(size: Size) -> String {
    let (m, b, ci, co) = mix_dims(size);
    format!("M{m} [{b}x{ci}]·[{ci}x{co}] f32")
}

fn mix_complex_spec(size: Size) -> Spec {
    ops(
        "mode mix complex_matmul",
        mix_label(size),
        Unit::Gflops,
        mix_flops(size),
        2,
    )
}

/// What the spectral layers run: `Tensor::complex_matmul` of x̂ `[M, B, C_in]` and the weight
/// read in place as `[M, C_in, C_out]` from its `[C_in, C_out, M, 2]` storage.
fn mix_complex(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (m, b, ci, co) = mix_dims(size);
    let mut g = Generator::new(4);
    let x = Tensor::randn(0.0, 1.0, [m, b, ci, 2], DType::F32, dev, &mut g)?;
    let w =
        Tensor::randn(0.0, 1.0, [ci, co, m, 2], DType::F32, dev, &mut g)?.permute(&[2, 0, 1, 3])?;
    Ok(Box::new(move || {
        black_box(x.complex_matmul(&w, false, false)?);
        Ok(())
    }))
}

fn mix_block_spec(size: Size) -> Spec {
    ops(
        "mode mix real block gemm",
        mix_label(size),
        Unit::Gflops,
        mix_flops(size),
        2,
    )
}

/// The alternative the layers used before: `[X_r, X_i] · [[W_r, W_i], [−W_i, W_r]]`, one real
/// batched GEMM `[M, B, 2C_in] · [M, 2C_in, 2C_out]` (cuBLAS on CUDA) with the block matrix
/// built outside the timed step (the layers rebuilt it on every call).
fn mix_block(dev: &Device, size: Size) -> anyhow::Result<Step> {
    let (m, b, ci, co) = mix_dims(size);
    let mut g = Generator::new(5);
    let x = Tensor::randn(0.0, 1.0, [m, b, 2 * ci], DType::F32, dev, &mut g)?;
    let w = Tensor::randn(0.0, 1.0, [m, 2 * ci, 2 * co], DType::F32, dev, &mut g)?;
    Ok(Box::new(move || {
        black_box(x.matmul(&w)?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_counts_follow_the_conventions() {
        // 2n³ for sgemm; 2.5 N log₂ N per real transform, two per row.
        assert_eq!(sgemm_spec(Size::Full).work, 2.0 * 1024f64.powi(3));
        assert_eq!(real_fft_flops(1024), 2.5 * 1024.0 * 10.0);
        assert_eq!(fft_spec(Size::Full).work, 1280.0 * 2.0 * 25_600.0);
        assert_eq!(add_spec(Size::Full).work, 12.0 * 16_777_216.0);
        assert_eq!(sum_spec(Size::Full).work, 4.0 * 16_777_216.0);
        assert_eq!(spectral_spec(Size::Full).work, 20.0);
        // 8 flops per complex multiply–add: 16 modes · 20 · 64 · 64 of them.
        assert_eq!(
            mix_complex_spec(Size::Full).work,
            8.0 * 16.0 * 20.0 * 4096.0
        );
        assert_eq!(
            mix_block_spec(Size::Full).work,
            mix_complex_spec(Size::Full).work
        );
    }
}
