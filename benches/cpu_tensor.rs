//! CPU tensor-engine benchmarks: the four workloads plus memcpy baselines.
//!
//! Names are device-prefixed. Throughput is declared so criterion reports GFLOP/s-equivalent
//! elements or bytes per second: sgemm counts 2n³ "elements" (= flops), elementwise and memcpy
//! count bytes moved (reads + writes).

use std::hint::black_box;

/// The allocator the `fluxion` binary uses (see crates/fluxion-cli/src/main.rs for why).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fluxion::prelude::*;
use rayon::prelude::*;

fn sgemm(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = Generator::new(0);
    let n = 1024;
    let a = Tensor::rand(0.0, 1.0, [n, n], DType::F32, &dev, &mut g).unwrap();
    let b = Tensor::rand(0.0, 1.0, [n, n], DType::F32, &dev, &mut g).unwrap();
    let mut group = c.benchmark_group("cpu_sgemm");
    group.throughput(Throughput::Elements(2 * (n * n * n) as u64));
    group.sample_size(20);
    group.bench_function("1024x1024x1024", |bench| {
        bench.iter(|| black_box(a.matmul(&b).unwrap()))
    });
    group.finish();
}

fn fft(c: &mut Criterion) {
    let dev = Device::Cpu;
    let x = Tensor::randn(
        0.0,
        1.0,
        [1280, 1024],
        DType::F32,
        &dev,
        &mut Generator::new(1),
    )
    .unwrap();
    let mut group = c.benchmark_group("cpu_fft");
    group.sample_size(30);
    group.bench_function("rfft_irfft_1280x1024_f32", |bench| {
        bench.iter(|| {
            let y = x.rfft(FftNorm::Backward).unwrap();
            black_box(y.irfft(Some(1024), FftNorm::Backward).unwrap())
        })
    });
    group.finish();
}

const N: usize = 1 << 24;

fn elementwise(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = Generator::new(2);
    let a = Tensor::rand(0.0, 1.0, [N], DType::F32, &dev, &mut g).unwrap();
    let b = Tensor::rand(0.0, 1.0, [N], DType::F32, &dev, &mut g).unwrap();
    let src = a.to_vec::<f32>().unwrap();
    let mut dst = vec![0.0f32; N];

    let mut group = c.benchmark_group("cpu_elementwise");
    group.sample_size(20);
    // Baselines: memcpy of 2^24 f32 (read + write = 2·4·N bytes), one thread and all threads.
    group.throughput(Throughput::Bytes((2 * 4 * N) as u64));
    group.bench_function("memcpy_2^24_f32_1thread", |bench| {
        bench.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    group.bench_function("memcpy_2^24_f32_parallel", |bench| {
        bench.iter(|| {
            dst.par_chunks_mut(1 << 16)
                .zip(src.par_chunks(1 << 16))
                .for_each(|(d, s)| d.copy_from_slice(s))
        })
    });
    // Unary: read N, write N (the output is a fresh allocation, as every tensor op makes).
    group.bench_function("neg_2^24_f32", |bench| {
        bench.iter(|| black_box(a.neg().unwrap()))
    });
    // Binary: read 2N, write N.
    group.throughput(Throughput::Bytes((3 * 4 * N) as u64));
    group.bench_function("add_2^24_f32", |bench| {
        bench.iter(|| black_box(a.add(&b).unwrap()))
    });
    group.bench_function("mul_broadcast_row_4096x4096_f32", |bench| {
        let row = b.narrow(0, 0, 4096).unwrap();
        let m = a.reshape([4096, 4096]).unwrap();
        bench.iter(|| black_box(m.mul(&row).unwrap()))
    });
    group.finish();
}

fn reduce(c: &mut Criterion) {
    let dev = Device::Cpu;
    let a = Tensor::rand(0.0, 1.0, [N], DType::F32, &dev, &mut Generator::new(3)).unwrap();
    let m = a.reshape([4096, 4096]).unwrap();
    let mut group = c.benchmark_group("cpu_reduce");
    group.sample_size(20);
    group.throughput(Throughput::Bytes((4 * N) as u64));
    group.bench_function("sum_all_2^24_f32", |bench| {
        bench.iter(|| black_box(a.sum_all().unwrap()))
    });
    group.bench_function("sum_rows_4096x4096_f32", |bench| {
        bench.iter(|| black_box(m.sum(&[1], false).unwrap()))
    });
    group.bench_function("sum_cols_4096x4096_f32", |bench| {
        bench.iter(|| black_box(m.sum(&[0], false).unwrap()))
    });
    group.finish();
}

/// As in the `fluxion` binary: freed buffers stay mapped between iterations, and this thread
/// works in rayon's pool rather than handing each parallel loop to it.
fn config() -> Criterion {
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    Criterion::default()
}

criterion_group! {
    name = benches;
    config = config();
    targets = sgemm, fft, elementwise, reduce
}
criterion_main!(benches);
