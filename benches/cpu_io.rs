//! HDF5 read throughput of fluxion-data's PDEBench 1-D reader, on the workload of
//! `../shared/anchors/io_h5py.py`: `tensor` f32 [1000, 201, 1024] (~0.8 GB, contiguous),
//! read whole and one random sample at a time. Uses the anchor's file when it exists
//! (`$TMPDIR/anchor_io.h5`), else writes one of the same shape (chunked per sample).

use std::hint::black_box;

// The allocator of the `fluxion` binary (mimalloc reuses freed sample buffers instead of
// returning them to the kernel and faulting them back in on the next read).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fluxion_data::pdebench::one_d::PdeBench1d;
use fluxion_data::{Hdf5Writer, Resolution, WriteOptions};

const SHAPE: [usize; 3] = [1000, 201, 1024];

fn anchor_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join("anchor_io.h5");
    if !path.exists() {
        // Chunked one sample per chunk (the anchor's own file is contiguous).
        let tmp = std::env::temp_dir().join("anchor_io_fluxion.h5");
        let w = Hdf5Writer::create(&tmp, WriteOptions::default()).unwrap();
        w.create_dataset("tensor", &SHAPE).unwrap();
        let per = SHAPE[1] * SHAPE[2];
        let mut s = 1u32;
        for i in (0..SHAPE[0]).step_by(100) {
            let v: Vec<f32> = (0..100 * per)
                .map(|_| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (s >> 8) as f32 / (1u32 << 24) as f32
                })
                .collect();
            w.write_rows("tensor", i, &v).unwrap();
        }
        return w.finish().unwrap();
    }
    path
}

fn bench_io(c: &mut Criterion) {
    // As in the `fluxion` binary: freed activations stay mapped between iterations, and
    // this thread works in rayon's pool rather than handing each parallel loop to it.
    fluxion_device::host::retain_freed_memory();
    fluxion_tensor::threads::join_global_pool()
        .expect("rayon's global pool was built before the benchmark");
    let path = anchor_file();
    let f = PdeBench1d::open(&path, Resolution::FULL).unwrap();
    let n = f.len();
    let per_bytes = (SHAPE[1] * SHAPE[2] * 4) as u64;

    let mut g = c.benchmark_group("cpu_io");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(per_bytes * n as u64));
    g.bench_function("cpu_pdebench1d_full_read", |b| {
        b.iter(|| black_box(f.range(0..n, 1).unwrap()))
    });
    // 200 samples in a fixed pseudo-random order, as the anchor reads them.
    let mut s = 12_345u64;
    let idx: Vec<usize> = (0..200)
        .map(|_| {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (s >> 33) as usize % n
        })
        .collect();
    g.throughput(Throughput::Bytes(per_bytes * idx.len() as u64));
    g.bench_function("cpu_pdebench1d_random_samples_200", |b| {
        b.iter(|| {
            for &i in &idx {
                black_box(f.sample(i).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_io);
criterion_main!(benches);
