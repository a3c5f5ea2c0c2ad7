//! PINN epoch throughput on the CPU.
//!
//! `cpu_pinn_decay_epoch`: one epoch of exactly the workload of
//! `shared/anchors/pinn_decay_torch.py` — 501 grid points on [0, 5] plus N(0, 0.1) jitter,
//! a 1-50-50-50-1 LeakyReLU MLP in f32, dy/dt by `grad` with `create_graph`, loss
//! MSE(dy + y) + MSE(y(0) − 1), one SGD step (lr 8e-3) — through `PinnTrainer::epoch_step`
//! (jitter draw, batch tensors, residual, backward, step, loss bookkeeping).
//!
//! `cpu_pinn_decay_epoch_raw`: the same arithmetic written directly against autodiff and the
//! optimizer, to show what the trainer's bookkeeping costs on top.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_autodiff::{grad, Var};
use fluxion_nn::optim::{Sgd, SgdConfig};
use fluxion_nn::{Activation, Mlp, Module, Optimizer};
use fluxion_pinn::{
    Condition, Domain, FirstOrder, PinnProblem, PinnTrainer, SamplerConfig, Side, Target,
    TrainConfig,
};
use fluxion_tensor::{DType, Device, Tensor};

/// The allocator the `fluxion` CLI runs with (crates/fluxion-cli/src/main.rs), so the bench
/// measures what training pays: glibc's malloc costs ~7% of this epoch in malloc/free and
/// page faults on the ~100 KB activations freed and re-made every op.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn net() -> Mlp {
    Mlp::builder(&[1, 50, 50, 50, 1])
        .activation(Activation::LeakyRelu(0.01))
        .seed(0)
        .build()
        .expect("mlp")
}

fn trainer(points: usize, max_chunks: usize) -> PinnTrainer<Mlp> {
    let domain = Domain::interval("t", 0.0, 5.0).expect("domain");
    let y0 = domain.face("t", Side::Lo).expect("face");
    let problem = PinnProblem::builder(domain, 1)
        .residual(
            points,
            SamplerConfig::JitteredGrid {
                sigma: 0.1,
                counts: None,
            },
            |ctx| Ok(vec![ctx.d(0)?.add(ctx.u())?]),
        )
        .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
        .build()
        .expect("problem");
    let config = TrainConfig {
        epochs: usize::MAX,
        optimizer: FirstOrder::sgd(8e-3),
        max_chunks,
        ..Default::default()
    };
    PinnTrainer::new(problem, net(), config).expect("trainer")
}

fn bench(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    for (name, points, chunks) in [
        (
            "cpu_pinn_decay_epoch",
            501,
            TrainConfig::default().max_chunks,
        ),
        ("cpu_pinn_decay_epoch_unsplit", 501, 1),
        ("cpu_pinn_decay_epoch_half", 250, 1),
    ] {
        let mut t = trainer(points, chunks);
        for _ in 0..200 {
            t.epoch_step().expect("warm-up epoch");
        }
        c.bench_function(name, |b| {
            b.iter(|| black_box(t.epoch_step().expect("epoch").loss))
        });
    }

    let net = net();
    let mut opt = Sgd::new(
        net.parameters(),
        SgdConfig {
            lr: 8e-3,
            ..Default::default()
        },
    )
    .expect("sgd");
    let dev = Device::Cpu;
    let grid = Tensor::linspace(0.0, 5.0, 501, DType::F32, &dev)
        .expect("grid")
        .reshape([501, 1])
        .expect("reshape");
    let ones = Var::constant(Tensor::ones([501, 1], DType::F32, &dev).expect("ones"));
    let t0 = Var::constant(Tensor::zeros([1, 1], DType::F32, &dev).expect("t0"));
    let mut gen = fluxion_tensor::random::Generator::new(0);
    c.bench_function("cpu_pinn_decay_epoch_raw", |b| {
        b.iter(|| {
            let eps = Tensor::randn(0.0, 0.1, [501, 1], DType::F32, &dev, &mut gen).expect("randn");
            let tt = Var::leaf(grid.add(&eps).expect("jitter"));
            let y = net.forward(&tt).expect("forward");
            let dy = grad(&[y.clone()], &[tt.clone()], Some(&[ones.clone()]), true)
                .expect("grad")
                .remove(0);
            let res = dy
                .add(&y)
                .expect("res")
                .square()
                .expect("sq")
                .mean_all()
                .expect("mean");
            let ic = net
                .forward(&t0)
                .expect("y0")
                .sub_scalar(1.0)
                .expect("ic")
                .square()
                .expect("sq")
                .mean_all()
                .expect("mean");
            let loss = res.add(&ic).expect("loss");
            opt.zero_grad();
            loss.backward().expect("backward");
            opt.step().expect("step");
            black_box(loss.tensor().to_scalar::<f32>().expect("loss"))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
