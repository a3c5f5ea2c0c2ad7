//! SDE benchmark on the anchor problem of `../shared/anchors/sde_torchsde.py`: geometric
//! Brownian motion dX = 0.5 X dt + 0.3 X dW (Itô, diagonal noise), 10 000 paths × 4 dims,
//! t ∈ [0, 1], dt = 1e-3 (1000 steps), Euler–Maruyama and Milstein, f64 `Vec<f64>` states
//! with sequential Philox increments, saving the end state only.

use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_diffeq::sde::{
    geometric_brownian_motion, solve_sde, BrownianIncrements, SdeMethod, SdeOptions,
};

fn gbm(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let (paths, d) = (10_000, 4);
    let sde = geometric_brownian_motion(0.5, 0.3);
    let y0 = vec![1.0; paths * d];
    let opts = SdeOptions::fixed(1e-3);
    let mut group = c.benchmark_group("cpu_sde_gbm_10k_x4_1000_steps");
    group.sample_size(10);
    for (name, m) in [
        ("euler_maruyama", SdeMethod::EulerMaruyama),
        ("milstein", SdeMethod::Milstein { grad_free: false }),
        (
            "milstein_grad_free",
            SdeMethod::Milstein { grad_free: true },
        ),
    ] {
        let mut seed = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                let bm = BrownianIncrements::new(seed, paths, d);
                let sol = solve_sde(m, &sde, (0.0, 1.0), &y0, &bm, &opts).unwrap();
                black_box(sol.ys[0][0])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, gbm);
criterion_main!(benches);
