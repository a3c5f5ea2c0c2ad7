//! torchdiffeq's spiral demo (Chen et al. 2018) at full scale.
//!
//! `cargo run --release --example spiral -p fluxion-diffeq -- [iters] [backprop|adjoint] [seed]`

use fluxion_diffeq::spiral::{train_spiral, SpiralConfig};
use fluxion_diffeq::GradientMode;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let iters = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let mode = match args.next().as_deref() {
        Some("adjoint") => GradientMode::Adjoint,
        _ => GradientMode::Backprop,
    };
    let seed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0);
    let cfg = SpiralConfig {
        iters,
        mode,
        seed,
        ..SpiralConfig::default()
    };
    let r = train_spiral(&cfg)?;
    for (i, l) in r.losses.iter().enumerate() {
        if (i + 1) % 200 == 0 {
            println!("iter {:5}: batch L1 {l:.5}", i + 1);
        }
    }
    println!(
        "fluxion spiral ({mode:?}): {:.3} ms/iter, full-traj L1 {:.4} → {:.4} after {iters} iters",
        r.ms_per_iter, r.initial_l1, r.final_l1
    );
    Ok(())
}
