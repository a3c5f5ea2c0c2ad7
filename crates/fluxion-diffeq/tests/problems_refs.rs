//! The reference problems against their references: Dop853 at rtol 1e-12 against SciPy's
//! high-accuracy end values (Lotka–Volterra, Lorenz on [0, 10], Van der Pol μ = 1), and
//! Kepler's invariants (energy, angular momentum) and period.

use fluxion_diffeq::problems::{self, Problem};
use fluxion_diffeq::{solve, Method, Options, SaveAt};

fn max_rel_err(y: &[f64], reference: &[f64]) -> f64 {
    y.iter()
        .zip(reference)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max)
}

fn dop853_end(p: &Problem, t_end: f64) -> (Vec<f64>, usize) {
    let opts = Options::adaptive(1e-12, 1e-14).save(SaveAt::End);
    let sol = solve(Method::Dop853, p.closure(), (p.t0, t_end), &p.y0(), &opts).unwrap();
    (sol.y_last().clone(), sol.stats.accepted)
}

#[test]
fn dop853_matches_the_high_accuracy_references() {
    let cases: [(Problem, f64, &[f64]); 3] = [
        (
            problems::LOTKA_VOLTERRA,
            problems::LOTKA_VOLTERRA.t1,
            &problems::LOTKA_VOLTERRA_REF,
        ),
        (
            problems::LORENZ,
            problems::LORENZ_REF_T10.0,
            &problems::LORENZ_REF_T10.1,
        ),
        (
            problems::VAN_DER_POL_1,
            problems::VAN_DER_POL_1.t1,
            &problems::VAN_DER_POL_1_REF,
        ),
    ];
    for (p, t_end, reference) in cases {
        let (y, steps) = dop853_end(&p, t_end);
        let e = max_rel_err(&y, reference);
        println!(
            "{} to t = {t_end}: Dop853 rtol 1e-12, {steps} steps, max rel err {e:e}",
            p.name
        );
        // The references agree with other SciPy solves to ≤ 5e-12 (see their docs); a global
        // error of 1e-8 at rtol 1e-12 leaves room for the Lorenz error growth (~e⁹) only.
        assert!(e <= 1e-8, "{}: relative error {e:e}", p.name);
    }
}

#[test]
fn references_can_fail() {
    // A solve at a loose tolerance misses the 1e-8 bar on Lorenz: the check above is not
    // vacuous (the reference values are specific to 1e-12).
    let p = problems::LORENZ;
    let opts = Options::adaptive(1e-5, 1e-8).save(SaveAt::End);
    let sol = solve(Method::Dopri5, p.closure(), (0.0, 10.0), &p.y0(), &opts).unwrap();
    let e = max_rel_err(sol.y_last(), &problems::LORENZ_REF_T10.1);
    assert!(e > 1e-8, "a loose solve unexpectedly matches to {e:e}");
}

#[test]
fn kepler_conserves_energy_and_angular_momentum_and_closes_its_orbit() {
    let p = problems::KEPLER;
    let y0 = p.y0();
    let (h0, l0) = (
        problems::kepler_energy(&y0),
        problems::kepler_angular_momentum(&y0),
    );
    // H = −1/(2a) = −1/2 for a = 1; L = sqrt(a(1 − e²)) = sqrt(3)/2.
    assert!((h0 + 0.5).abs() < 1e-15, "H(0) = {h0}");
    assert!((l0 - 0.75f64.sqrt()).abs() < 1e-15, "L(0) = {l0}");

    let periods = 10;
    let period = p.t1 - p.t0;
    let times: Vec<f64> = (1..=periods).map(|k| k as f64 * period).collect();
    let opts = Options::adaptive(1e-12, 1e-14).save(SaveAt::Steps);
    let sol = solve(
        Method::Dop853,
        p.closure(),
        (0.0, times[periods - 1]),
        &y0,
        &opts,
    )
    .unwrap();
    let dh = sol
        .ys
        .iter()
        .map(|y| (problems::kepler_energy(y) - h0).abs())
        .fold(0.0, f64::max);
    let dl = sol
        .ys
        .iter()
        .map(|y| (problems::kepler_angular_momentum(y) - l0).abs())
        .fold(0.0, f64::max);
    println!(
        "Kepler e = 0.5, {periods} periods: {:?}, max |ΔH| {dh:e}, max |ΔL| {dl:e}",
        sol.stats
    );
    // Dop853 is not symplectic: the invariants drift with the global error, ~rtol per period
    // at most; 1e-9 over 10 periods is that with a margin of ~100.
    assert!(dh < 1e-9, "energy drift {dh:e}");
    assert!(dl < 1e-9, "angular momentum drift {dl:e}");

    // The exact solution at whole periods is y0.
    let exact = p
        .exact
        .expect("Kepler has an exact solution at whole periods");
    let opts = Options::adaptive(1e-12, 1e-14).save(SaveAt::Times(times.clone()));
    let sol = solve(
        Method::Dop853,
        p.closure(),
        (0.0, times[periods - 1]),
        &y0,
        &opts,
    )
    .unwrap();
    for (t, y) in sol.ts.iter().zip(&sol.ys) {
        let e = y
            .iter()
            .zip(exact(*t))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(e < 1e-8, "t = {t}: orbit misses y0 by {e:e}");
    }
}

#[test]
fn exact_solutions_start_at_y0() {
    for p in problems::ALL {
        if let Some(exact) = p.exact {
            let y = exact(p.t0);
            assert_eq!(y.len(), p.y0.len(), "{}", p.name);
            for (a, b) in y.iter().zip(p.y0) {
                assert!((a - b).abs() < 1e-15, "{}: exact(t0) = {y:?}", p.name);
            }
        }
    }
}
