//! Pinned statistics on the anchor problem (`../shared/anchors/lorenz_solvers.py`): Lorenz,
//! `y0 = (1, 0, 0)`, `t ∈ [0, 100]`, rtol = atol = 1e-8.
//!
//! Peer counts, measured 2026 with diffrax 0.7.2 / jax 0.10.2 (x64) and SciPy 1.17.1, PID
//! controller defaults (`PIDController(rtol=1e-8, atol=1e-8)`, dt0 = 1e-3):
//! - diffrax Dopri5: 9143 accepted + 1097 rejected;
//! - diffrax Tsit5: 9127 accepted + 938 rejected;
//! - SciPy RK45: 9977 steps, 61160 f-evals; SciPy DOP853: 2431 steps, 36962 f-evals.
//!
//! We require our accepted steps within 10 % of diffrax's and pin our own counts exactly so any
//! change of behaviour shows up here.

//! diffrax's default `PIDController` is a pure I controller (factor = 0.9·err^(−1/5)), so the
//! comparison with diffrax uses the same (`beta1_k = 1`, `beta2_k = 0`); our default PI
//! controller (Hairer's β = 0.04) is pinned separately: it takes more accepted steps (10609 vs
//! 9143) but almost never rejects (7 vs 1097), for 3.7 % more f-evals than diffrax.

use fluxion_diffeq::{problems, solve, Method, Options, PiController, SaveAt, Stats};

const I_CONTROLLER: PiController = PiController {
    safety: 0.9,
    min_factor: 0.2,
    max_factor: 10.0,
    beta1_k: Some(1.0),
    beta2_k: 0.0,
    hold_after_reject: false,
};

fn run(m: Method) -> Stats {
    run_with(m, I_CONTROLLER)
}

fn run_with(m: Method, controller: PiController) -> Stats {
    let p = problems::LORENZ;
    let mut opts = Options::adaptive(1e-8, 1e-8).save(SaveAt::End);
    opts.controller = controller;
    let sol = solve(m, p.closure(), (p.t0, p.t1), &p.y0(), &opts).unwrap();
    eprintln!("{m:?}: {:?}, y(100) = {:?}", sol.stats, sol.y_last());
    sol.stats
}

#[test]
fn dopri5_lorenz_steps_match_diffrax() {
    // With diffrax's controller (pure I, growth allowed right after a rejection) we take
    // 10037 + 232: accepted 9.8 % above diffrax's 9143, attempted 0.2 % above its 10240.
    // diffrax rejects about 5× more often for the same work; we have not found why (the error
    // norm, exponent 1/5, safety and clamps are the same; the first step differs: dt0 = 1e-3
    // there, Hairer's estimate here).
    let s = run(Method::Dopri5);
    let (diffrax_accepted, diffrax_attempted) = (9143.0, 10240.0);
    assert!(
        (s.accepted as f64 / diffrax_accepted - 1.0).abs() < 0.1,
        "{s:?}"
    );
    assert!(
        ((s.accepted + s.rejected) as f64 / diffrax_attempted - 1.0).abs() < 0.1,
        "{s:?}"
    );
    assert_eq!((s.accepted, s.rejected), (10037, 232));
    // FSAL: 6 evaluations per attempted step + 2 at the start (f0 and the initial-step probe).
    assert_eq!(s.f_evals, 6 * (s.accepted + s.rejected) + 2);
}

#[test]
fn tsit5_lorenz_steps_match_diffrax() {
    let s = run(Method::Tsit5);
    let diffrax_accepted = 9127.0;
    assert!(
        (s.accepted as f64 / diffrax_accepted - 1.0).abs() < 0.1,
        "{s:?}"
    );
    assert_eq!((s.accepted, s.rejected), (9181, 153));
    assert_eq!(s.f_evals, 6 * (s.accepted + s.rejected) + 2);
}

#[test]
fn dop853_lorenz_steps_match_scipy() {
    let s = run(Method::Dop853);
    let scipy_steps = 2431.0;
    assert!((s.accepted as f64 / scipy_steps - 1.0).abs() < 0.1, "{s:?}");
    assert_eq!(s.f_evals, 12 * (s.accepted + s.rejected) + 2);
}

#[test]
fn default_pi_controller_counts_are_pinned() {
    let s = run_with(Method::Dopri5, PiController::default());
    assert_eq!((s.accepted, s.rejected), (10609, 7), "{s:?}");
    let s = run_with(Method::Tsit5, PiController::default());
    assert_eq!((s.accepted, s.rejected), (9891, 0), "{s:?}");
}
