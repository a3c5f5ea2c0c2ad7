//! Autodiff benchmarks on the PINN tutorial's network (`../shared/anchors/pinn_decay_torch.py`):
//! an MLP 1-50-50-50-1 with LeakyReLU on 501 points in f32.
//!
//! - `forward_backward`: y = net(t), loss = mean(y²), backward to the parameters.
//! - `pinn_grad`: the PINN pattern — y = net(t), dy/dt through `grad(create_graph = true)`,
//!   loss = mean((dy/dt + y)²) + (net(0) − 1)², backward to the parameters (second-order
//!   graph), which is the tutorial's epoch without the optimizer update.
//! - `pinn_epoch`: the whole tutorial epoch as the anchor script times it — points jittered by
//!   N(0, 0.1²) noise, the loss above, zero_grad, backward, and an SGD step (lr 8e-3).

use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion::prelude::*;

fn setup() -> (Mlp, Tensor) {
    let net = Mlp::builder(&[1, 50, 50, 50, 1])
        .activation(Activation::LeakyRelu(0.01))
        .seed(0)
        .build()
        .unwrap();
    let t = Tensor::arange(0.0, 501.0, 1.0, DType::F32, &Device::Cpu)
        .unwrap()
        .mul_scalar(0.01)
        .unwrap()
        .reshape([501, 1])
        .unwrap();
    (net, t)
}

fn mlp(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let (net, t) = setup();
    let mut group = c.benchmark_group("cpu_mlp_1x50x50x50x1_501pts");
    group.bench_function("forward_backward", |b| {
        b.iter(|| {
            net.zero_grad();
            let y = net.forward(&Var::constant(t.clone())).unwrap();
            y.square().unwrap().mean_all().unwrap().backward().unwrap();
            black_box(net.parameters()[0].grad())
        })
    });
    let zero = Var::constant(Tensor::zeros([1, 1], DType::F32, &Device::Cpu).unwrap());
    group.bench_function("pinn_grad", |b| {
        b.iter(|| {
            net.zero_grad();
            let tt = Var::leaf(t.clone());
            let y = net.forward(&tt).unwrap();
            let ones = Var::constant(Tensor::ones([501, 1], DType::F32, &Device::Cpu).unwrap());
            let dy = grad(std::slice::from_ref(&y), &[tt], Some(&[ones]), true)
                .unwrap()
                .remove(0);
            let residual = dy.add(&y).unwrap().square().unwrap().mean_all().unwrap();
            let y0 = net.forward(&zero).unwrap().sub_scalar(1.0).unwrap();
            let loss = residual
                .add(&y0.square().unwrap().mean_all().unwrap())
                .unwrap();
            loss.backward().unwrap();
            black_box(net.parameters()[0].grad())
        })
    });
    let mut sgd = fluxion::nn::optim::Sgd::new(
        net.parameters(),
        fluxion::nn::optim::SgdConfig {
            lr: 8e-3,
            ..Default::default()
        },
    )
    .unwrap();
    let mut noise = Generator::new(1);
    group.bench_function("pinn_epoch", |b| {
        b.iter(|| {
            let eps =
                Tensor::randn(0.0, 0.1, [501, 1], DType::F32, &Device::Cpu, &mut noise).unwrap();
            let tt = Var::leaf(t.add(&eps).unwrap());
            let y = net.forward(&tt).unwrap();
            let ones = Var::constant(Tensor::ones([501, 1], DType::F32, &Device::Cpu).unwrap());
            let dy = grad(std::slice::from_ref(&y), &[tt], Some(&[ones]), true)
                .unwrap()
                .remove(0);
            let residual = dy.add(&y).unwrap().square().unwrap().mean_all().unwrap();
            let y0 = net.forward(&zero).unwrap().sub_scalar(1.0).unwrap();
            let loss = residual
                .add(&y0.square().unwrap().mean_all().unwrap())
                .unwrap();
            sgd.zero_grad();
            loss.backward().unwrap();
            sgd.step().unwrap();
            black_box(loss.tensor())
        })
    });
    group.finish();
}

criterion_group!(benches, mlp);
criterion_main!(benches);
