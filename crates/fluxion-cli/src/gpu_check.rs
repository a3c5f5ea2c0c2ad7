//! The GPU self-check behind `fluxion quickstart`'s automatic device choice (and
//! `fluxion info`): small versions of the quickstart's jobs run on the GPU and on the
//! CPU from the same seeds, and must agree before a visible GPU is used without being asked
//! for.
//!
//! The checks cover every op family the jobs reach: elementwise maps, reductions, matrix
//! products (cuBLAS), rfftn/irfftn (cuFFT), the complex mode mixing (`kernels/cmatmul.cu`),
//! autodiff to second order, the fused Adam update, the device RNG and an adaptive ODE solve.
//! They run in f64, where the devices differ only in summation order, so the tolerances are
//! tight (relative 1e-9 of each output's largest entry; the model-level CUDA tests of the crates
//! use 1e-8–1e-11): an indexing, stride or sign error in a kernel is off by O(1). The spectral
//! layer runs once more in f32 (relative 1e-4), the dtype the jobs train in. Together well under a
//! second on a GPU once the kernels are compiled.

use anyhow::Context;
use fluxion_autodiff::{grad, Var};
use fluxion_device::{DType, Device};
use fluxion_diffeq::{GradientMode, NeuralOde};
use fluxion_nn::optim::{Adam, AdamConfig, Optimizer};
use fluxion_nn::{loss, Activation, Mlp, Module};
use fluxion_operator::{Fno, FnoConfig, SpectralConv, SpectralMethod};
use fluxion_tensor::random::Generator;
use fluxion_tensor::Tensor;

/// One check: outputs computed from the same seeds on a given device.
struct Check {
    name: &'static str,
    /// max |gpu − cpu| ≤ rtol · max |cpu| for every output.
    rtol: f64,
    run: fn(&Device) -> anyhow::Result<Vec<Tensor>>,
}

const CHECKS: [Check; 6] = [
    Check {
        name: "spectral conv, DFT path (f64)",
        rtol: 1e-9,
        run: |dev| spectral(dev, SpectralMethod::Dft, DType::F64),
    },
    Check {
        name: "spectral conv, FFT path (f64)",
        rtol: 1e-9,
        run: |dev| spectral(dev, SpectralMethod::Fft, DType::F64),
    },
    Check {
        name: "spectral conv, DFT path (f32)",
        rtol: 1e-4,
        run: |dev| spectral(dev, SpectralMethod::Dft, DType::F32),
    },
    Check {
        name: "FNO-1d, two Adam steps",
        rtol: 1e-9,
        run: fno_steps,
    },
    Check {
        name: "PINN residual (second derivatives) and its gradient",
        rtol: 1e-9,
        run: pinn_residual,
    },
    Check {
        name: "neural ODE, Dopri5 with backprop",
        rtol: 1e-9,
        run: neural_ode,
    },
];

/// What the self-check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Checks run.
    pub checks: usize,
    /// The largest relative difference seen (max |gpu − cpu| / max |cpu| over all outputs).
    pub max_rel: f64,
    /// The first check that failed, with why; `None` when all passed.
    pub failure: Option<String>,
}

impl Outcome {
    /// The outcome in one line (what `fluxion info` and `quickstart` print).
    pub fn describe(&self) -> String {
        match &self.failure {
            None => format!(
                "cuda:0 agrees with the CPU ({} checks, largest relative difference {:.1e})",
                self.checks, self.max_rel
            ),
            Some(why) => format!("cuda:0 FAILED against the CPU: {why}"),
        }
    }
}

/// Runs every check on `gpu` and on the CPU. A check that errors on the GPU (a kernel that does
/// not compile, an out-of-memory) counts as failed, with the error as the reason.
pub fn run(gpu: &Device) -> Outcome {
    run_checks(gpu, &CHECKS)
}

fn run_checks(gpu: &Device, checks: &[Check]) -> Outcome {
    let mut max_rel: f64 = 0.0;
    for (i, check) in checks.iter().enumerate() {
        match compare(check, gpu) {
            Ok(rel) => max_rel = max_rel.max(rel),
            Err(e) => {
                return Outcome {
                    checks: i + 1,
                    max_rel,
                    failure: Some(format!("{}: {e:#}", check.name)),
                }
            }
        }
    }
    Outcome {
        checks: checks.len(),
        max_rel,
        failure: None,
    }
}

/// The check's largest relative difference, or an error saying which output differs.
fn compare(check: &Check, gpu: &Device) -> anyhow::Result<f64> {
    let want = (check.run)(&Device::Cpu).context("on the CPU")?;
    let got = (check.run)(gpu).with_context(|| format!("on {gpu}"))?;
    anyhow::ensure!(want.len() == got.len(), "output counts differ");
    let mut worst: f64 = 0.0;
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        anyhow::ensure!(
            w.dims() == g.dims(),
            "output {k}: shape {:?} on the GPU, {:?} on the CPU",
            g.dims(),
            w.dims()
        );
        let (w, g) = (host(w)?, host(g)?);
        let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = w.iter().zip(&g).fold(0.0f64, |m, (a, b)| {
            let d = (a - b).abs();
            if d.is_nan() {
                f64::INFINITY
            } else {
                m.max(d)
            }
        });
        let rel = if scale > 0.0 { err / scale } else { err };
        anyhow::ensure!(
            rel <= check.rtol,
            "output {k}: max |gpu − cpu| = {err:.3e} is {rel:.1e} of max |cpu| = {scale:.3e} \
             (allowed {:.0e})",
            check.rtol
        );
        worst = worst.max(rel);
    }
    Ok(worst)
}

fn host(t: &Tensor) -> anyhow::Result<Vec<f64>> {
    Ok(t.to_device(&Device::Cpu)?
        .to_dtype(DType::F64)?
        .to_vec::<f64>()?)
}

/// Normal draws made on `dev` itself (the device's RNG, the same stream as the CPU's).
fn randn(dims: &[usize], dtype: DType, dev: &Device, seed: u64) -> anyhow::Result<Tensor> {
    Ok(Tensor::randn(
        0.0,
        1.0,
        dims.to_vec(),
        dtype,
        dev,
        &mut Generator::new(seed),
    )?)
}

/// A 1-d spectral layer: y and the gradients of Σ y·r with respect to x and the weight.
fn spectral(dev: &Device, method: SpectralMethod, dtype: DType) -> anyhow::Result<Vec<Tensor>> {
    let layer = SpectralConv::new(6, 5, &[8], dtype, dev, 7)?.with_method(method);
    let x = Var::leaf(randn(&[3, 64, 6], dtype, dev, 1)?);
    let r = Var::constant(randn(&[3, 64, 5], dtype, dev, 2)?);
    let y = layer.forward(&x)?;
    let s = y.mul(&r)?.sum_all()?;
    let g = grad(&[s], &[x, layer.weight().clone()], None, false)?;
    Ok(vec![y.tensor(), g[0].tensor(), g[1].tensor()])
}

/// A small FNO-1d's parameters after two Adam steps on an MSE loss.
fn fno_steps(dev: &Device) -> anyhow::Result<Vec<Tensor>> {
    let config = FnoConfig {
        width: 8,
        projection: 16,
        dtype: DType::F64,
        seed: 3,
        ..FnoConfig::fno1d(6, 8)
    };
    let model = Fno::new(&config, dev)?;
    let x = Var::constant(randn(&[2, 64, 1], DType::F64, dev, 4)?);
    let y = Var::constant(randn(&[2, 64, 1], DType::F64, dev, 5)?);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default())?;
    for _ in 0..2 {
        opt.zero_grad();
        loss::mse_loss(&model.forward(&x)?, &y)?.backward()?;
        opt.step()?;
    }
    Ok(model.parameters().iter().map(Var::tensor).collect())
}

/// u_xx of a tanh MLP through two `create_graph` gradients, and the gradient of mean(u_xx²)
/// with respect to every parameter (what a PINN residual loss differentiates).
fn pinn_residual(dev: &Device) -> anyhow::Result<Vec<Tensor>> {
    let net = Mlp::builder(&[1, 16, 16, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .device(dev)
        .seed(11)
        .build()?;
    let x = Var::leaf(randn(&[32, 1], DType::F64, dev, 12)?);
    let u = net.forward(&x)?;
    let ux = grad(&[u.sum_all()?], std::slice::from_ref(&x), None, true)?.remove(0);
    let uxx = grad(&[ux.sum_all()?], std::slice::from_ref(&x), None, true)?.remove(0);
    let loss = uxx.square()?.mean_all()?;
    let params = net.parameters();
    let g = grad(&[loss], &params, None, false)?;
    let mut out = vec![uxx.tensor()];
    out.extend(g.iter().map(Var::tensor));
    Ok(out)
}

/// torchdiffeq's spiral vector field `net(y³)` solved by adaptive Dopri5 over a batch: the L1
/// loss and its parameter gradients by backpropagation through the solver.
fn neural_ode(dev: &Device) -> anyhow::Result<Vec<Tensor>> {
    let net = Mlp::builder(&[2, 16, 2])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .device(dev)
        .seed(21)
        .build()?;
    let node = NeuralOde::new(net)
        .cube_input(true)
        .gradient_mode(GradientMode::Backprop);
    let y0 = Var::constant(randn(&[8, 2], DType::F64, dev, 22)?);
    let target = Var::constant(randn(&[4, 8, 2], DType::F64, dev, 23)?);
    let ts = [0.0, 0.1, 0.25, 0.5];
    let loss = node.loss_backward(&y0, &ts, |pred| Ok(pred.sub(&target)?.abs()?.mean_all()?))?;
    let mut out = vec![Tensor::from_vec(vec![loss], [1], &Device::Cpu)?];
    for p in node.parameters() {
        out.push(
            p.grad()
                .context("a parameter of the neural ODE got no gradient")?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_runs_and_agrees_with_itself_on_the_cpu() {
        // The CPU standing in for the GPU: each check runs end to end and is deterministic.
        let outcome = run(&Device::Cpu);
        assert_eq!(outcome.failure, None);
        assert_eq!(outcome.checks, CHECKS.len());
        assert_eq!(outcome.max_rel, 0.0);
        assert!(outcome.describe().contains("agrees with the CPU (6 checks"));
    }

    #[test]
    fn a_difference_beyond_the_tolerance_fails_and_names_the_check() {
        // A "device" whose results differ: the run reads a global switch through the device
        // argument's identity, so here the second call of a check returns perturbed outputs.
        fn perturbed(dev: &Device) -> anyhow::Result<Vec<Tensor>> {
            let base = randn(&[4, 3], DType::F64, dev, 1)?;
            let bump = if CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 1 {
                1e-6
            } else {
                0.0
            };
            Ok(vec![base.affine(1.0, bump)?])
        }
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let checks = [
            Check {
                name: "exact",
                rtol: 1e-9,
                run: |dev| Ok(vec![randn(&[2, 2], DType::F64, dev, 3)?]),
            },
            Check {
                name: "perturbed",
                rtol: 1e-9,
                run: perturbed,
            },
        ];
        let outcome = run_checks(&Device::Cpu, &checks);
        let failure = outcome.failure.clone().expect("the perturbed check fails");
        assert!(failure.starts_with("perturbed: output 0"), "{failure}");
        assert!(outcome
            .describe()
            .contains("FAILED against the CPU: perturbed"));
        assert_eq!(outcome.checks, 2);
        // Within tolerance it passes.
        let loose = [Check {
            name: "perturbed",
            rtol: 1e-3,
            run: perturbed,
        }];
        assert_eq!(run_checks(&Device::Cpu, &loose).failure, None);
    }
}
