//! `SpectralConv` forward + backward on CPU, truncated DFT against full FFT, at the FNO
//! paper's sizes: FNO-1d Burgers (B = 20, n = 1024, width 64, 16 modes), FNO-2d Darcy
//! (s = 85 plus padding 9 → 94², width 32, 12 modes) and FNO-2d Navier–Stokes (64², width 20,
//! 12 modes). f32, as in training.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use fluxion_autodiff::{grad, Var};
use fluxion_nn::Module;
use fluxion_operator::{SpectralConv, SpectralMethod};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

/// As the `fluxion` binary (docs/BENCHMARKS.md: glibc's malloc page-faults large blocks back).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn case(
    c: &mut Criterion,
    name: &str,
    batch: usize,
    sizes: &[usize],
    width: usize,
    modes: &[usize],
) {
    let dev = Device::Cpu;
    let mut dims = vec![batch];
    dims.extend_from_slice(sizes);
    dims.push(width);
    let x = Tensor::randn(0.0, 1.0, dims, DType::F32, &dev, &mut Generator::new(1)).expect("input");
    let x = Var::leaf(x);
    let mut group = c.benchmark_group(format!("cpu_spectral_fwd_bwd/{name}"));
    group.sample_size(10);
    for (label, method) in [("dft", SpectralMethod::Dft), ("fft", SpectralMethod::Fft)] {
        let layer = SpectralConv::new(width, width, modes, DType::F32, &dev, 0)
            .expect("layer")
            .with_method(method);
        group.bench_function(label, |b| {
            b.iter(|| {
                let y = layer.forward(black_box(&x)).expect("forward");
                let loss = y.sum_all().expect("sum");
                let g = grad(&[loss], &[x.clone(), layer.weight().clone()], None, false)
                    .expect("backward");
                black_box(g)
            })
        });
    }
    group.finish();
}

fn spectral(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    case(c, "1d_b20_n1024_c64_m16", 20, &[1024], 64, &[16]);
    case(c, "2d_b20_94x94_c32_m12", 20, &[94, 94], 32, &[12, 12]);
    case(c, "2d_b20_64x64_c20_m12", 20, &[64, 64], 20, &[12, 12]);
    // Calibration points for `SpectralMethod::Auto` with many modes kept.
    case(c, "1d_b20_n1024_c64_m128", 20, &[1024], 64, &[128]);
    case(c, "2d_b20_64x64_c20_m32", 20, &[64, 64], 20, &[32, 32]);
}

criterion_group!(benches, spectral);
criterion_main!(benches);
