//! The operator layers on a GPU against the same layers on the CPU: `SpectralConv` forward and
//! gradients by both methods (DFT matrices through cuBLAS; cuFFT) in one and two dimensions,
//! and a few Adam steps of a small FNO-1d. f64 throughout, so the only differences are
//! summation orders (cuBLAS vs gemm, cuFFT vs RustFFT): relative 1e-11 of the largest value for
//! one layer, and an absolute 1e-9 on parameters after three Adam steps of lr 1e-3 (each step
//! moves a parameter by at most about lr; a sign error or a wrong mode would move it by ~lr).
//!
//! Without a GPU every test prints `skipping …` and passes; with `FLUXION_REQUIRE_CUDA=1` a
//! missing GPU fails instead.

use fluxion_autodiff::{grad, Var};
use fluxion_nn::optim::{Adam, AdamConfig, Optimizer};
use fluxion_nn::{loss, Module};
use fluxion_operator::{Fno, FnoConfig, SpectralConv, SpectralMethod};
use fluxion_tensor::random::Generator;
use fluxion_tensor::testing::cuda_device;
use fluxion_tensor::{DType, Device, Tensor};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn randn(dims: &[usize], seed: u64) -> R<Tensor> {
    Ok(Tensor::randn(
        0.0,
        1.0,
        dims.to_vec(),
        DType::F64,
        &Device::Cpu,
        &mut Generator::new(seed),
    )?)
}

fn host(t: &Tensor) -> R<Vec<f64>> {
    Ok(t.to_device(&Device::Cpu)?.to_vec::<f64>()?)
}

/// max |gpu − cpu| ≤ atol + rtol · max |cpu|.
fn assert_close(gpu: &Tensor, cpu: &Tensor, rtol: f64, atol: f64, what: &str) -> R {
    assert!(gpu.device().is_cuda(), "{what}: the result left the GPU");
    assert_eq!(gpu.dims(), cpu.dims(), "{what}: shapes differ");
    let (g, c) = (host(gpu)?, host(cpu)?);
    let scale = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = g
        .iter()
        .zip(&c)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(
        err <= atol + rtol * scale,
        "{what}: max |Δ| = {err:.3e} > {atol:.1e} + {rtol:.1e} · {scale:.3e}"
    );
    Ok(())
}

/// y = layer(x) and d/dx, d/dW of Σ y·r on `dev`.
fn layer_run(
    sizes: &[usize],
    modes: &[usize],
    method: SpectralMethod,
    dev: &Device,
) -> R<[Tensor; 3]> {
    let (cin, cout, b) = (3, 4, 2);
    let layer = SpectralConv::new(cin, cout, modes, DType::F64, dev, 7)?.with_method(method);
    let mut xdims = vec![b];
    xdims.extend_from_slice(sizes);
    xdims.push(cin);
    let mut ydims = xdims.clone();
    ydims[sizes.len() + 1] = cout;
    let x = Var::leaf(randn(&xdims, 1)?.to_device(dev)?);
    let r = Var::constant(randn(&ydims, 2)?.to_device(dev)?);
    let y = layer.forward(&x)?;
    let s = y.mul(&r)?.sum_all()?;
    let g = grad(&[s], &[x, layer.weight().clone()], None, false)?;
    Ok([y.tensor(), g[0].tensor(), g[1].tensor()])
}

#[test]
fn spectral_conv_forward_and_gradients_match_the_cpu() -> R {
    let Some(gpu) = cuda_device("spectral_conv_forward_and_gradients_match_the_cpu") else {
        return Ok(());
    };
    let cases: [(&[usize], &[usize]); 3] = [
        (&[32], &[5]),
        (&[12, 10], &[3, 4]),
        (&[6, 8, 6], &[2, 3, 2]),
    ];
    for (sizes, modes) in cases {
        for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
            let c = layer_run(sizes, modes, method, &Device::Cpu)?;
            let g = layer_run(sizes, modes, method, &gpu)?;
            for (k, name) in ["y", "dx", "dW"].iter().enumerate() {
                let what = format!("{name} of {sizes:?} modes {modes:?} {method:?}");
                assert_close(&g[k], &c[k], 1e-11, 0.0, &what)?;
            }
        }
    }
    Ok(())
}

/// The parameters of a small FNO-1d after three Adam steps on an MSE loss, on `dev`.
fn fno_steps(dev: &Device) -> R<Vec<Tensor>> {
    let config = FnoConfig {
        width: 12,
        projection: 16,
        dtype: DType::F64,
        seed: 3,
        ..FnoConfig::fno1d(6, 12)
    };
    let model = Fno::new(&config, dev)?;
    let x = Var::constant(randn(&[3, 64, 1], 4)?.to_device(dev)?);
    let y = Var::constant(randn(&[3, 64, 1], 5)?.to_device(dev)?);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default())?;
    for _ in 0..3 {
        opt.zero_grad();
        loss::mse_loss(&model.forward(&x)?, &y)?.backward()?;
        opt.step()?;
    }
    Ok(model.parameters().iter().map(Var::tensor).collect())
}

#[test]
fn fno_adam_steps_match_the_cpu() -> R {
    let Some(gpu) = cuda_device("fno_adam_steps_match_the_cpu") else {
        return Ok(());
    };
    let c = fno_steps(&Device::Cpu)?;
    let g = fno_steps(&gpu)?;
    assert_eq!(c.len(), g.len());
    for (k, (g, c)) in g.iter().zip(&c).enumerate() {
        assert_close(
            g,
            c,
            0.0,
            1e-9,
            &format!("parameter {k} after 3 Adam steps"),
        )?;
    }
    Ok(())
}
