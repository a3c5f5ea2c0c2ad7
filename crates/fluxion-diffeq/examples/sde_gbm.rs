//! Geometric Brownian motion dX = 0.5 X dt + 0.3 X dW, 10 000 paths × 4 dims, dt = 1e-3 on
//! [0, 1] (the workload of `../shared/anchors/sde_torchsde.py`): wall time and E[X1] against
//! the exact e^0.5 for Euler–Maruyama and Milstein; then adaptive Milstein on a Brownian tree
//! at three tolerances, with its steps and its pathwise error against the exact solution
//! exp(0.455 t + 0.3 W(t)).
//!
//! ```sh
//! cargo run --release --example sde_gbm -p fluxion-diffeq
//! ```

use std::time::Instant;

use fluxion_diffeq::sde::{
    geometric_brownian_motion, solve_sde, BrownianIncrements, BrownianTree, SdeMethod, SdeOptions,
};
use fluxion_diffeq::Result;

fn main() -> Result<()> {
    let (paths, d) = (10_000, 4);
    let sde = geometric_brownian_motion(0.5, 0.3);
    let y0 = vec![1.0; paths * d];
    for (name, m) in [
        ("euler_maruyama", SdeMethod::EulerMaruyama),
        ("milstein", SdeMethod::Milstein { grad_free: false }),
        (
            "milstein_grad_free",
            SdeMethod::Milstein { grad_free: true },
        ),
    ] {
        let mut best = f64::INFINITY;
        let mut mean = 0.0;
        for rep in 0..5 {
            let bm = BrownianIncrements::new(rep, paths, d);
            let t = Instant::now();
            let sol = solve_sde(m, &sde, (0.0, 1.0), &y0, &bm, &SdeOptions::fixed(1e-3))?;
            best = best.min(t.elapsed().as_secs_f64());
            mean = sol.ys[0].iter().sum::<f64>() / (paths * d) as f64;
        }
        println!(
            "fluxion {name} GBM 10k x 4, 1000 steps, f64: {:.1} ms (best of 5), E[X1] = {mean:.4} (exact {:.4})",
            best * 1e3,
            0.5f64.exp()
        );
    }
    let paths = 1000;
    let y0 = vec![1.0; paths];
    for tol in [1e-2, 1e-3, 1e-4] {
        let bm = BrownianTree::new(7, 0.0, 1.0, paths, 1)?;
        let t = Instant::now();
        let opts = SdeOptions::adaptive(tol, tol, 0.01);
        let m = SdeMethod::Milstein { grad_free: false };
        let sol = solve_sde(m, &sde, (0.0, 1.0), &y0, &bm, &opts)?;
        let el = t.elapsed().as_secs_f64();
        let w1 = bm.value(1.0)?;
        let sq: f64 = sol.ys[0]
            .iter()
            .zip(w1.iter())
            .map(|(y, w)| (y - (0.455 + 0.3 * w).exp()).powi(2))
            .sum();
        println!(
            "fluxion adaptive milstein GBM 1000 paths, rtol = atol = {tol:e}: {} accepted, {} rejected steps, \
             RMS error vs exact {:.2e}, {:.1} ms",
            sol.stats.accepted,
            sol.stats.rejected,
            (sq / paths as f64).sqrt(),
            el * 1e3
        );
    }
    Ok(())
}
