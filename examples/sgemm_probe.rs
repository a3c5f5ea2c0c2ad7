use fluxion::prelude::*;
use std::time::Instant;
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let dev = Device::Cpu;
    let mut g = Generator::new(0);
    let n = 1024;
    let a = Tensor::rand(0.0, 1.0, [n, n], DType::F32, &dev, &mut g).unwrap();
    let b = Tensor::rand(0.0, 1.0, [n, n], DType::F32, &dev, &mut g).unwrap();
    for round in 0..3 {
        for _ in 0..3 {
            a.matmul(&b).unwrap();
        }
        let t = Instant::now();
        for _ in 0..20 {
            std::hint::black_box(a.matmul(&b).unwrap());
        }
        let el = t.elapsed().as_secs_f64() / 20.0;
        println!(
            "round {round}: tensor sgemm {:.1} GFLOP/s",
            2.0 * (n * n * n) as f64 / el / 1e9
        );
    }
}
