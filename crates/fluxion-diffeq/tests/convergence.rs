//! Empirical convergence order of every method with fixed steps on the harmonic oscillator
//! (exact solution `(cos t, −sin t)` on `[0, 10]`): halving `h` divides the final error by `2^p`
//! within 10 %. Step counts are chosen so the error is in the asymptotic range (well above
//! rounding, ≥ 1e-11) yet small enough that the next-order term is below 10 %.

use fluxion_diffeq::{problems, solve, Method, Options, SaveAt};

fn final_error(m: Method, n: usize) -> f64 {
    let p = problems::HARMONIC;
    let dt = (p.t1 - p.t0) / n as f64;
    let sol = solve(
        m,
        p.closure(),
        (p.t0, p.t1),
        &p.y0(),
        &Options::fixed(dt).save(SaveAt::End),
    )
    .unwrap();
    assert_eq!(sol.stats.accepted, n, "{m:?}");
    let exact = (p.exact.unwrap())(p.t1);
    sol.y_last()
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn convergence_order_of_every_method() {
    for (m, n) in [
        (Method::Euler, 20000),
        (Method::Midpoint, 1000),
        (Method::Heun, 1000),
        (Method::Rk4, 200),
        (Method::Bosh3, 400),
        (Method::Dopri5, 100),
        (Method::Tsit5, 200),
        (Method::Dop853, 40),
    ] {
        let p = m.tableau().order;
        let e1 = final_error(m, n);
        let e2 = final_error(m, 2 * n);
        let ratio = e1 / e2;
        let want = 2f64.powi(p as i32);
        eprintln!("{m:?}: e(h) = {e1:.3e}, e(h/2) = {e2:.3e}, ratio {ratio:.3} (2^{p} = {want})");
        assert!(
            (ratio / want - 1.0).abs() < 0.1,
            "{m:?}: ratio {ratio}, want {want} ± 10 %"
        );
    }
}
