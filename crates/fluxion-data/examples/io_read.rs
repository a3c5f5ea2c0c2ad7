//! The workload of `../shared/anchors/io_h5py.py`, timed the way that script times h5py: one
//! fresh process, one whole-file read of `tensor` (first touch of the buffer included), then
//! 200 samples in random order. Reads `$TMPDIR/anchor_io.h5` (run the anchor once to create it).
//!
//! ```sh
//! cargo run --release -p fluxion-data --example io_read
//! ```

use std::time::Instant;

// The `fluxion` binary's allocator (docs/BENCHMARKS.md also gives glibc's malloc).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use fluxion_data::pdebench::one_d::PdeBench1d;
use fluxion_data::Resolution;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("anchor_io.h5");
    let f = PdeBench1d::open(&path, Resolution::FULL)?;
    let n = f.len();
    let t0 = Instant::now();
    let all = f.range(0..n, 1)?;
    let el = t0.elapsed().as_secs_f64();
    let bytes = (all.dims().iter().product::<usize>() * 4) as f64;
    println!("fluxion full read: {:.2} GB/s", bytes / el / 1e9);
    drop(all);
    // 200 distinct indices in a fixed pseudo-random order.
    let mut s = 12_345u64;
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        idx.swap(i, (s >> 33) as usize % (i + 1));
    }
    let t0 = Instant::now();
    let mut per = 0;
    for &i in &idx[..200] {
        let x = f.sample(i)?;
        per = x.dims().iter().product::<usize>() * 4;
    }
    let el = t0.elapsed().as_secs_f64();
    println!(
        "fluxion random per-sample read (200 samples): {:.2} GB/s, {:.2} ms/sample",
        200.0 * per as f64 / el / 1e9,
        el / 200.0 * 1e3
    );
    Ok(())
}
