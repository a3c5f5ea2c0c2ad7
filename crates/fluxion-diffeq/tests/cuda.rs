//! A neural ODE on a GPU against the same model on the CPU: torchdiffeq's spiral vector field
//! (`net(y³)`, 2-50-2 tanh) solved by adaptive Dopri5 over a batch, with the loss's gradients
//! by backpropagation through the solver and by the continuous adjoint. f64: the devices differ
//! only in summation order (cuBLAS vs gemm), far below the step controller's tolerance, so both
//! take the same steps and the loss agrees to 1e-10 relative, the gradients to 1e-8 of their
//! largest entry.
//!
//! Without a GPU the test prints `skipping …` and passes; with `FLUXION_REQUIRE_CUDA=1` a
//! missing GPU fails instead.

use fluxion_autodiff::Var;
use fluxion_diffeq::{GradientMode, NeuralOde};
use fluxion_nn::{Activation, Mlp};
use fluxion_tensor::random::Generator;
use fluxion_tensor::testing::cuda_device;
use fluxion_tensor::{DType, Device, Tensor};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// (loss, gradients of every parameter) on `dev`.
fn run(mode: GradientMode, dev: &Device) -> R<(f64, Vec<Vec<f64>>)> {
    let net = Mlp::builder(&[2, 50, 2])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .device(dev)
        .seed(1)
        .build()?;
    let node = NeuralOde::new(net).cube_input(true).gradient_mode(mode);
    let y0 = Tensor::randn(
        0.0,
        1.0,
        [16, 2],
        DType::F64,
        &Device::Cpu,
        &mut Generator::new(2),
    )?;
    let target = Tensor::randn(
        0.0,
        0.5,
        [5, 16, 2],
        DType::F64,
        &Device::Cpu,
        &mut Generator::new(3),
    )?;
    let (y0, target) = (
        Var::constant(y0.to_device(dev)?),
        Var::constant(target.to_device(dev)?),
    );
    let ts = [0.0, 0.1, 0.2, 0.35, 0.5];
    let loss = node.loss_backward(&y0, &ts, |pred| Ok(pred.sub(&target)?.abs()?.mean_all()?))?;
    let grads = node
        .parameters()
        .iter()
        .map(|p| {
            let g = p.grad().expect("every parameter gets a gradient");
            assert_eq!(g.device(), dev, "a gradient left {dev}");
            g.to_device(&Device::Cpu)?.to_vec::<f64>()
        })
        .collect::<fluxion_tensor::Result<_>>()?;
    Ok((loss, grads))
}

#[test]
fn neural_ode_gradients_match_the_cpu() -> R {
    let Some(gpu) = cuda_device("neural_ode_gradients_match_the_cpu") else {
        return Ok(());
    };
    for mode in [GradientMode::Backprop, GradientMode::Adjoint] {
        let (lc, gc) = run(mode, &Device::Cpu)?;
        let (lg, gg) = run(mode, &gpu)?;
        assert!(
            (lg - lc).abs() <= 1e-10 * lc.abs(),
            "{mode:?}: loss {lg} on the GPU, {lc} on the CPU"
        );
        for (k, (g, c)) in gg.iter().zip(&gc).enumerate() {
            let scale = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = g
                .iter()
                .zip(c)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                err <= 1e-8 * scale,
                "{mode:?}: gradient {k} differs by {err:.3e} (largest {scale:.3e})"
            );
        }
    }
    Ok(())
}
