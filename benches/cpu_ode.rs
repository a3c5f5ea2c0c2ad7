//! ODE benchmarks on the anchor problem of `../shared/anchors/lorenz_solvers.py`: Lorenz
//! (σ = 10, ρ = 28, β = 8/3) from y0 = (1, 0, 0) to t = 100 at rtol = atol = 1e-8, on plain
//! `Vec<f64>` states, saving only the end point (as diffrax's `SaveAt(t1=True)`).

use std::hint::black_box;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_diffeq::{problems, solve, Method, Options, SaveAt};

fn lorenz(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let p = problems::LORENZ;
    let opts = Options::adaptive(1e-8, 1e-8).save(SaveAt::End);
    let mut group = c.benchmark_group("cpu_ode_lorenz_t100_tol1e-8");
    for m in [Method::Dopri5, Method::Tsit5, Method::Dop853] {
        group.bench_function(format!("{m:?}"), |b| {
            b.iter(|| {
                let sol = solve(m, p.closure(), (p.t0, p.t1), &p.y0(), &opts).unwrap();
                black_box(sol.stats.accepted)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lorenz);
criterion_main!(benches);
