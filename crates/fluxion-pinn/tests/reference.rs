//! Checks of the reference solutions: quadrature convergence, an independent finite-difference
//! solve, PDE residuals, boundary conditions, symmetries and a published number.

use std::f64::consts::PI;

use fluxion_pinn::reference::{
    allen_cahn_etdrk4, burgers_cole_hopf, burgers_cole_hopf_grid, burgers_cole_hopf_with,
    burgers_fd, cole_hopf_order, exponential_decay, heat_sine_mode, heat_sine_series, linspace,
    raissi_burgers_reference, GaussHermite, PoissonManufactured, BURGERS_NU,
};

fn ch(t: f64, x: f64) -> f64 {
    burgers_cole_hopf(t, x, BURGERS_NU).unwrap()
}

/// Relative L2 distance ‖a − b‖ / ‖b‖.
fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

/// Fourth-order central first derivative of g at s with step h.
fn d1(g: impl Fn(f64) -> f64, s: f64, h: f64) -> f64 {
    (g(s - 2.0 * h) - 8.0 * g(s - h) + 8.0 * g(s + h) - g(s + 2.0 * h)) / (12.0 * h)
}

/// Fourth-order central second derivative of g at s with step h.
fn d2(g: impl Fn(f64) -> f64, s: f64, h: f64) -> f64 {
    (-g(s - 2.0 * h) + 16.0 * g(s - h) - 30.0 * g(s) + 16.0 * g(s + h) - g(s + 2.0 * h))
        / (12.0 * h * h)
}

#[test]
fn gauss_hermite_small_rules_and_moments() {
    // n = 2: ±1/√2, weights √π/2; n = 3: 0, ±√(3/2), weights 2√π/3 and √π/6.
    let sp = PI.sqrt();
    let r2 = GaussHermite::new(2).unwrap();
    assert!((r2.nodes()[1] - 0.5f64.sqrt()).abs() < 1e-15);
    assert!((r2.ln_weights()[0] - (sp / 2.0).ln()).abs() < 1e-15);
    let r3 = GaussHermite::new(3).unwrap();
    assert_eq!(r3.nodes()[1], 0.0);
    assert!((r3.nodes()[2] - 1.5f64.sqrt()).abs() < 1e-15);
    assert!((r3.ln_weights()[1] - (2.0 * sp / 3.0).ln()).abs() < 1e-15);
    assert!((r3.ln_weights()[2] - (sp / 6.0).ln()).abs() < 1e-15);

    // Even moments ∫ z^{2m} e^{−z²} dz = Γ(m + ½) = (2m−1)!! √π / 2^m, exact for 2m ≤ 2n − 1.
    // The terms are all positive, so the sum keeps relative accuracy: allow 1e-13 relative.
    for n in [10, 63, 250, 1000] {
        let rule = GaussHermite::new(n).unwrap();
        assert!(rule.nodes().windows(2).all(|w| w[0] < w[1]), "n = {n}");
        let mut gamma = sp; // Γ(½)
        for m in 0..10.min(n) {
            let moment = rule.integrate(|z| z.powi(2 * m as i32));
            let rel = (moment - gamma).abs() / gamma;
            assert!(rel < 1e-13, "n = {n}, m = {m}: rel error {rel:e}");
            gamma *= m as f64 + 0.5;
        }
        // Odd moments vanish by symmetry (nodes mirrored exactly).
        assert!(rule.integrate(|z| z.powi(3)).abs() < 1e-15);
    }
    assert!(GaussHermite::new(0).is_err());
    assert!(GaussHermite::new(100_000).is_err());
}

#[test]
fn cole_hopf_quadrature_converges() {
    let n = cole_hopf_order(BURGERS_NU).unwrap();
    let r1 = GaussHermite::new(n).unwrap();
    let r2 = GaussHermite::new(2 * n).unwrap();
    let ts = [1e-3, 0.05, 0.25, 0.5, 1.6037 / PI, 0.75, 0.99];
    let xs = [
        -1.0, -0.9, -0.5, -0.1, -0.01, -3e-3, -1e-3, -1e-4, 0.0, 1e-4, 1e-3, 2e-3, 5e-3, 0.01,
        0.02, 0.2, 0.5, 0.8, 0.999, 1.0,
    ];
    let mut worst: f64 = 0.0;
    for &t in &ts {
        for &x in &xs {
            let a = burgers_cole_hopf_with(&r1, t, x, BURGERS_NU).unwrap();
            let b = burgers_cole_hopf_with(&r2, t, x, BURGERS_NU).unwrap();
            worst = worst.max((a - b).abs());
            // The default entry point uses exactly rule r1.
            assert_eq!(a, ch(t, x));
        }
    }
    println!("Cole–Hopf: max |u_{n} − u_{}| = {worst:e}", 2 * n);
    assert!(worst <= 1e-10, "N = {n} vs 2N differ by {worst:e}");

    // A rule that is too short visibly fails to converge at the steep front: the test can fail.
    let short = GaussHermite::new(40).unwrap();
    let bad =
        (burgers_cole_hopf_with(&short, 0.99, 0.003, BURGERS_NU).unwrap() - ch(0.99, 0.003)).abs();
    println!("Cole–Hopf: 40-node rule error at (0.99, 0.003) = {bad:e}");
    assert!(bad > 1e-6);
}

#[test]
fn cole_hopf_published_max_gradient() {
    // Basdevant et al. (Computers & Fluids 14, 1986): max_x |∂u/∂x| = 152.00516, reached at
    // x = 0 and t = 1.6037/π. Fourth-order differences with h = 1e-5: truncation
    // ~h⁴ |u⁽⁵⁾| / 30 ≲ 1e-10 (u varies on the scale ν·2 ≈ 6e-3), rounding ~1e-15/h = 1e-10.
    // The published number has 8 digits, so allow 1e-5 absolute.
    let t = 1.6037 / PI;
    let ux = d1(|x| ch(t, x), 0.0, 1e-5);
    println!("Cole–Hopf: u_x(1.6037/π, 0) = {ux:.8}");
    assert!((ux + 152.00516).abs() < 1e-5, "u_x = {ux}");
}

#[test]
fn cole_hopf_boundary_symmetry_and_initial_condition() {
    for &t in &[0.0, 0.1, 0.5, 0.99] {
        assert!(
            ch(t, -1.0).abs() < 1e-14 && ch(t, 1.0).abs() < 1e-14,
            "t = {t}"
        );
        for &x in &[1e-4, 0.003, 0.1, 0.4, 0.77, 0.95] {
            let (a, b) = (ch(t, x), ch(t, -x));
            assert!((a + b).abs() < 1e-14, "odd symmetry at t = {t}, x = {x}");
            // Maximum principle: |u| ≤ max|u₀| = 1.
            assert!(a.abs() <= 1.0);
        }
    }
    for &x in &[-0.7, 0.0, 0.3] {
        assert_eq!(ch(0.0, x), -(PI * x).sin());
        // Continuity at t = 0⁺: u(t) = u₀ + t (ν u₀″ − u₀ u₀′) + O(t²).
        let t = 1e-6;
        let u0 = -(PI * x).sin();
        let rate = BURGERS_NU * PI * PI * (PI * x).sin() - u0 * (-PI * (PI * x).cos());
        assert!((ch(t, x) - (u0 + t * rate)).abs() < 1e-9, "x = {x}");
    }
    assert!(burgers_cole_hopf(-0.1, 0.0, BURGERS_NU).is_err());
    assert!(burgers_cole_hopf(0.1, f64::NAN, BURGERS_NU).is_err());
    assert!(burgers_cole_hopf(0.1, 0.0, 0.0).is_err());
    assert!(burgers_cole_hopf(0.1, 0.0, -1.0).is_err());
    assert!(burgers_cole_hopf(f64::INFINITY, 0.0, BURGERS_NU).is_err());
}

#[test]
fn cole_hopf_satisfies_burgers_pde() {
    // Residual u_t + u u_x − ν u_xx from fourth-order differences of the exact function with
    // h = 1e-3 at smooth points. Truncation ~h⁴ (|u⁽⁵⁾| + ν|u⁽⁶⁾|) / 30, rounding
    // ~1e-14·(1/h + ν/h²); both ≲ 1e-8 there. A wrong ν (ν u_xx ~ 0.03 at these points) or a
    // sign error would leave a residual ≥ 1e-4.
    let h = 1e-3;
    let mut worst: f64 = 0.0;
    for &t in &[0.1, 0.25, 0.5, 0.75, 0.99] {
        for &x in &[-0.9, -0.6, -0.4, 0.3, 0.5, 0.8] {
            let u = ch(t, x);
            let ut = d1(|s| ch(s, x), t, h);
            let ux = d1(|s| ch(t, s), x, h);
            let uxx = d2(|s| ch(t, s), x, h);
            let res = ut + u * ux - BURGERS_NU * uxx;
            let scale = ut.abs() + (u * ux).abs() + (BURGERS_NU * uxx).abs();
            worst = worst.max(res.abs() / scale);
        }
    }
    println!("Cole–Hopf: max relative PDE residual = {worst:e}");
    assert!(worst < 1e-7, "relative residual {worst:e}");
}

#[test]
fn cole_hopf_matches_finite_differences_with_refinement() {
    // Two FD grids of 255·m + 1 points (m = 16, 32), so Raissi's 256-point grid is every m-th
    // point; second-order differences with Δt ∝ Δx² should cut the error by ≈ 4 per halving.
    let times = [0.25, 0.5, 0.75, 0.99];
    let xs = linspace(-1.0, 1.0, 256);
    let exact = burgers_cole_hopf_grid(&times, &xs, BURGERS_NU).unwrap();
    let (coarse, fine) = rayon::join(
        || burgers_fd(BURGERS_NU, 255 * 16 + 1, &times).unwrap(),
        || burgers_fd(BURGERS_NU, 255 * 32 + 1, &times).unwrap(),
    );
    let sample = |sol: &fluxion_pinn::reference::BurgersFdSolution, i: usize, m: usize| {
        sol.row(i).iter().step_by(m).copied().collect::<Vec<f64>>()
    };
    for (i, &t) in times.iter().enumerate() {
        let ex = &exact[i * 256..(i + 1) * 256];
        let uc = sample(&coarse, i, 16);
        let uf = sample(&fine, i, 32);
        assert_eq!(uc.len(), 256);
        let ec = rel_l2(&uc, ex);
        let ef = rel_l2(&uf, ex);
        // Richardson extrapolation of the two FD solutions removes the O(Δx²) term.
        let ur: Vec<f64> = uf
            .iter()
            .zip(&uc)
            .map(|(f, c)| (4.0 * f - c) / 3.0)
            .collect();
        let er = rel_l2(&ur, ex);
        let ratio = ec / ef;
        println!(
            "t = {t}: rel L2 FD(4081) {ec:.3e}, FD(8161) {ef:.3e}, ratio {ratio:.2} \
             (order {:.2}), Richardson {er:.3e}",
            ratio.log2()
        );
        assert!(ef <= 1e-4, "t = {t}: fine FD vs Cole–Hopf {ef:e}");
        assert!(
            (3.5..=4.5).contains(&ratio),
            "t = {t}: refinement ratio {ratio}"
        );
        assert!(er < ef / 5.0, "t = {t}: Richardson {er:e} vs fine {ef:e}");
    }
    println!("FD steps: coarse {}, fine {}", coarse.steps, fine.steps);
}

#[test]
fn raissi_grid_layout() {
    let r = raissi_burgers_reference().unwrap();
    assert_eq!((r.t.len(), r.x.len(), r.u.len()), (100, 256, 25_600));
    assert_eq!((r.t[0], r.t[99], r.x[0], r.x[255]), (0.0, 0.99, -1.0, 1.0));
    for &(i, j) in &[(0, 0), (0, 100), (37, 128), (60, 129), (99, 127), (99, 255)] {
        assert_eq!(r.at(i, j), ch(r.t[i], r.x[j]));
        assert_eq!(r.row(i)[j], r.at(i, j));
    }
}

#[test]
fn decay_exact() {
    let (y0, k) = (1.0, 1.0);
    for &t in &[0.0, 0.5, 2.0, 5.0] {
        let y = exponential_decay(t, y0, k);
        let dy = d1(|s| exponential_decay(s, y0, k), t, 1e-3);
        assert!((dy + k * y).abs() < 1e-12, "t = {t}");
    }
    assert_eq!(exponential_decay(0.0, 2.5, 3.0), 2.5);
    assert!((exponential_decay(5.0, 1.0, 1.0) - 6.737946999085467e-3).abs() < 1e-17);
}

#[test]
fn heat_exact_satisfies_pde_and_boundaries() {
    // Fourth-order differences with h = 1e-3 on modes up to k = 3π/0.8 ≈ 11.8: truncation
    // ~h⁴ k⁴ / 90 ≈ 2e-10 relative to u_t, rounding ~1e-16·(64/12)/h² ≈ 5e-10 relative to u:
    // allow 1e-6 relative. A wrong decay rate leaves a residual of order |u_t| itself.
    let (alpha, length) = (0.3, 0.8);
    let coeffs = [1.0, -0.5, 0.25];
    let h = 1e-3;
    let series = |t: f64, x: f64| heat_sine_series(t, x, alpha, length, &coeffs).unwrap();
    for &t in &[0.01, 0.05, 0.2] {
        for &x in &[0.1, 0.33, 0.5, 0.71] {
            for n in 1..=3 {
                let u = |t: f64, x: f64| heat_sine_mode(t, x, alpha, length, n).unwrap();
                let ut = d1(|s| u(s, x), t, h);
                let uxx = d2(|s| u(t, s), x, h);
                let res = (ut - alpha * uxx).abs() / (ut.abs() + (alpha * uxx).abs());
                assert!(res < 1e-6, "mode {n}, t = {t}, x = {x}: {res:e}");
            }
            // Modes can cancel in u_t at a point, so scale by Σ |bₙ| α kₙ² (the size of each
            // mode's own u_t) rather than by the sum's value.
            let scale: f64 = coeffs
                .iter()
                .enumerate()
                .map(|(i, b)| b.abs() * alpha * ((i + 1) as f64 * PI / length).powi(2))
                .sum();
            let ut = d1(|s| series(s, x), t, h);
            let uxx = d2(|s| series(t, s), x, h);
            let res = (ut - alpha * uxx).abs() / scale;
            assert!(res < 1e-6, "series, t = {t}, x = {x}: {res:e}");
        }
        assert!(series(t, 0.0).abs() < 1e-15 && series(t, length).abs() < 1e-14);
    }
    for &x in &[0.1, 0.4] {
        let u0: f64 = coeffs
            .iter()
            .enumerate()
            .map(|(i, b)| b * ((i + 1) as f64 * PI * x / length).sin())
            .sum();
        assert!((series(0.0, x) - u0).abs() < 1e-15);
    }
    assert!(heat_sine_mode(-1.0, 0.5, alpha, length, 1).is_err());
    assert!(heat_sine_mode(0.1, 0.5, alpha, 0.0, 1).is_err());
    assert!(heat_sine_mode(0.1, 0.5, -1.0, length, 1).is_err());
    assert!(heat_sine_mode(0.1, 0.5, alpha, length, 0).is_err());
    assert!(heat_sine_series(0.1, 0.5, alpha, length, &[f64::NAN]).is_err());
}

#[test]
fn poisson_manufactured_satisfy_pde_and_boundaries() {
    // −Δu by fourth-order differences, h = 1e-3: truncation ~h⁴ |∂⁶u| / 90 ≲ 1e-9·|f| scale,
    // rounding ~1e-16·|u|/h² ≈ 1e-10; allow 1e-7 absolute + 1e-7 relative to |f|.
    let h = 1e-3;
    for p in [
        PoissonManufactured::SineSine,
        PoissonManufactured::BubbleExp,
    ] {
        for &x in &[0.1, 0.37, 0.5, 0.82] {
            for &y in &[0.05, 0.5, 0.66, 0.9] {
                let lap = d2(|s| p.solution(s, y), x, h) + d2(|s| p.solution(x, s), y, h);
                let f = p.source(x, y);
                assert!(
                    (-lap - f).abs() < 1e-7 + 1e-7 * f.abs(),
                    "{p:?} at ({x}, {y}): −Δu = {}, f = {f}",
                    -lap
                );
                let (gx, gy) = p.gradient(x, y);
                assert!((gx - d1(|s| p.solution(s, y), x, h)).abs() < 1e-9, "{p:?}");
                assert!((gy - d1(|s| p.solution(x, s), y, h)).abs() < 1e-9, "{p:?}");
            }
        }
        for &s in &[0.0, 0.25, 0.5, 1.0] {
            for (x, y) in [(0.0, s), (1.0, s), (s, 0.0), (s, 1.0)] {
                assert!(p.solution(x, y).abs() < 1e-15, "{p:?} boundary ({x}, {y})");
            }
        }
    }
}

#[test]
fn allen_cahn_etdrk4_converges() {
    let times = [0.25, 0.5, 1.0];
    let a = allen_cahn_etdrk4(512, 1e-3, &times).unwrap();
    let b = allen_cahn_etdrk4(512, 5e-4, &times).unwrap();
    let c = allen_cahn_etdrk4(1024, 5e-4, &times).unwrap();
    for i in 0..times.len() {
        let dt_diff = a
            .row(i)
            .iter()
            .zip(b.row(i))
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        // The 1024-mode grid contains the 512-mode grid at even indices.
        let mode_diff = b
            .row(i)
            .iter()
            .zip(c.row(i).iter().step_by(2))
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        let umax = b.row(i).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        println!(
            "Allen–Cahn t = {}: max|Δ| dt 1e-3 vs 5e-4 {dt_diff:.2e}, 512 vs 1024 modes \
             {mode_diff:.2e}, max|u| {umax:.6}",
            times[i]
        );
        // u₀ is even, so u stays even: u(x_j) = u(x_{N−j}).
        let row = b.row(i);
        for j in 1..256 {
            assert!((row[j] - row[512 - j]).abs() < 1e-10);
        }
        assert!(umax <= 1.0 + 1e-6, "max|u| = {umax}");
        assert!(dt_diff < 1e-8);
        assert!(mode_diff < 1e-3);
        // Band-limited interpolation reproduces the nodes.
        assert!((b.interpolate(i, b.x[77]) - row[77]).abs() < 1e-12);
    }
    assert!(allen_cahn_etdrk4(500, 1e-3, &times).is_err());
    assert!(allen_cahn_etdrk4(512, 0.0, &times).is_err());
    assert!(allen_cahn_etdrk4(512, 1e-3, &[0.5, 0.25]).is_err());
}
