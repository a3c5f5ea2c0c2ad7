//! FNO-1d training step: the reference model of `../shared/anchors/fno1d_torch.py` (Li et al.
//! 2021, `fourier_1d.py`: width 64, 16 modes, 4 Fourier layers, grid feature), s = 1024,
//! batch 20, MSE on random data, one Adam step per iteration (forward, backward, update).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_autodiff::Var;
use fluxion_nn::optim::{Adam, AdamConfig, Optimizer};
use fluxion_nn::Module;
use fluxion_operator::loss::mse;
use fluxion_operator::{Fno, FnoConfig};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

/// As the `fluxion` binary: mimalloc keeps freed blocks, glibc returns large ones to the OS and
/// every step page-faults them back (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fno1d_train_step(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let dev = Device::Cpu;
    let (s, b) = (1024, 20);
    let model = Fno::new(&FnoConfig::burgers(), &dev).unwrap();
    let mut gen = Generator::new(0);
    // The anchor feeds [b, s, 2] (value + grid); here the model appends the grid itself.
    let x = Var::constant(Tensor::randn(0.0, 1.0, [b, s, 1], DType::F32, &dev, &mut gen).unwrap());
    let y = Var::constant(Tensor::randn(0.0, 1.0, [b, s, 1], DType::F32, &dev, &mut gen).unwrap());
    let mut opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    let mut step = || {
        opt.zero_grad();
        let loss = mse(&model.forward(&x).unwrap(), &y).unwrap();
        loss.backward().unwrap();
        opt.step().unwrap();
        loss.tensor().to_scalar::<f32>().unwrap()
    };
    // Warm-up, as the anchor times iterations 11..60 (plan caches, allocator).
    for _ in 0..3 {
        step();
    }
    c.bench_function("cpu_fno1d_train_step", |bch| bch.iter(|| black_box(step())));
}

criterion_group!(benches, fno1d_train_step);
criterion_main!(benches);
