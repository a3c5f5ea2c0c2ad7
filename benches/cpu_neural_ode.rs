//! Neural ODE benchmark: one training iteration of torchdiffeq's spiral demo
//! (`../shared/anchors/neural_ode_spiral_torch.py`, Chen et al. 2018): 20 windows of 10 steps,
//! Dopri5 at rtol 1e-7 / atol 1e-9, MLP 2-50-2 tanh on y³, L1 loss, RMSprop; gradients by
//! backprop through the solver and by the checkpointed adjoint.

use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_diffeq::spiral::{SpiralConfig, SpiralTrainer};
use fluxion_diffeq::GradientMode;

fn spiral(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let mut group = c.benchmark_group("cpu_neural_ode_spiral_iter");
    for mode in [GradientMode::Backprop, GradientMode::Adjoint] {
        let cfg = SpiralConfig {
            mode,
            ..SpiralConfig::default()
        };
        let mut trainer = SpiralTrainer::new(&cfg).unwrap();
        // Past the first iterations, as the anchor script times iterations 51..300.
        for _ in 0..50 {
            trainer.step().unwrap();
        }
        group.bench_function(format!("{mode:?}"), |b| {
            b.iter(|| black_box(trainer.step().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, spiral);
criterion_main!(benches);
