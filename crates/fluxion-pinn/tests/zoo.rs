//! The PINN zoo trains to stated tolerances against exact or high-accuracy references.
//!
//! Each test prints its numbers (`cargo test -p fluxion-pinn --test zoo -- --nocapture`).

use fluxion_nn::CurvatureTest;
use fluxion_pinn::zoo::{
    allen_cahn_reference_target, burgers_initial_boundary_points, burgers_reference_target,
    PinnExperiment, ProblemKind, Scale,
};
use fluxion_pinn::{EvalReport, LbfgsCurvature, TrainReport};

/// Trains `exp` and returns the error before and after, and the report.
fn run(exp: &PinnExperiment) -> (EvalReport, EvalReport, TrainReport) {
    let (mut trainer, reference) = exp.build().unwrap().into_trainer().unwrap();
    let before = trainer
        .evaluate(&reference.target, &reference.eval_counts)
        .unwrap();
    let report = trainer.train().unwrap();
    let after = trainer
        .evaluate(&reference.target, &reference.eval_counts)
        .unwrap();
    println!(
        "{}: rel L2 {:.3e} -> {:.3e}, max {:.3e}, loss {:.3e}, {} steps, {:.1} s",
        exp.problem.name(),
        before.rel_l2,
        after.rel_l2,
        after.max_abs,
        report.final_loss,
        report.history.len(),
        report.first_order_seconds + report.lbfgs_seconds
    );
    (before, after, report)
}

fn mean_loss(r: &[fluxion_pinn::EpochRecord]) -> f64 {
    r.iter().map(|e| e.loss).sum::<f64>() / r.len() as f64
}

#[test]
fn decay_tutorial_trains() {
    let exp = PinnExperiment::defaults(ProblemKind::Decay, Scale::Smoke);
    let (before, after, report) = run(&exp);
    let n = report.history.len();
    assert_eq!(n, exp.epochs);
    let (first, last) = (
        mean_loss(&report.history[..50]),
        mean_loss(&report.history[n - 50..]),
    );
    println!("decay tutorial: mean loss {first:.3e} -> {last:.3e}");
    // SGD on the jittered tutorial setup: the loss falls by > 10x and the error by > 5x in
    // 2 000 epochs (it keeps falling to the 10 000 of the tutorial).
    assert!(last < first / 10.0, "loss {first} -> {last}");
    assert!(
        after.rel_l2 < before.rel_l2 / 5.0,
        "rel L2 {} -> {}",
        before.rel_l2,
        after.rel_l2
    );
}

#[test]
fn decay_adam_tanh_reaches_1e_3() {
    let exp = PinnExperiment::defaults(ProblemKind::DecayAdam, Scale::Smoke);
    let (_, after, _) = run(&exp);
    assert_eq!(after.points, 501);
    assert!(after.rel_l2 < 1e-3, "rel L2 {:e}", after.rel_l2);
}

#[test]
fn heat_reaches_1e_2() {
    let exp = PinnExperiment::defaults(ProblemKind::Heat, Scale::Smoke);
    let (before, after, _) = run(&exp);
    assert!(before.rel_l2 > 0.1, "untrained error {}", before.rel_l2);
    assert!(after.rel_l2 < 1e-2, "rel L2 {:e}", after.rel_l2);
}

#[test]
fn poisson_reaches_1e_2() {
    let exp = PinnExperiment::defaults(ProblemKind::Poisson, Scale::Smoke);
    let (before, after, _) = run(&exp);
    assert!(before.rel_l2 > 0.1, "untrained error {}", before.rel_l2);
    assert!(after.rel_l2 < 1e-2, "rel L2 {:e}", after.rel_l2);
}

#[test]
fn burgers_small_scale_error_decreases() {
    let mut exp = PinnExperiment::defaults(ProblemKind::Burgers, Scale::Smoke);
    exp.residual_points = 1_000;
    exp.lbfgs_iterations = 200;
    let (before, after, report) = run(&exp);
    assert!(report.history.iter().all(|r| r.loss.is_finite()));
    assert_eq!(after.points, 256 * 100);
    // 200 L-BFGS iterations resolve the smooth part of the solution, not the shock.
    assert!(
        after.rel_l2 < 0.5 * before.rel_l2,
        "rel L2 {} -> {}",
        before.rel_l2,
        after.rel_l2
    );
}

#[test]
fn burgers_setup_follows_raissi() {
    let exp = PinnExperiment::defaults(ProblemKind::Burgers, Scale::Paper);
    assert_eq!(exp.hidden, vec![20; 8]);
    assert_eq!((exp.residual_points, exp.boundary_points), (10_000, 100));
    assert_eq!(
        (exp.epochs, exp.lbfgs_iterations, exp.lbfgs_history),
        (0, 50_000, 50)
    );
    assert_eq!(exp.eval_points, vec![256, 100]);
    assert_eq!(
        exp.lbfgs_tolerance_grad, 1e-9,
        "SciPy's 1e-5 stops f64 runs early"
    );
    // N_u: distinct points on t = 0 or x = ±1 with the reference values there.
    let (pts, vals) = burgers_initial_boundary_points(100, exp.seed).unwrap();
    assert_eq!(pts.len(), 100);
    let target = burgers_reference_target().unwrap();
    let mut seen = std::collections::HashSet::new();
    for (row, v) in pts.rows().zip(&vals) {
        assert!(row[1] == 0.0 || row[0].abs() == 1.0, "{row:?}");
        assert!(
            seen.insert((row[0].to_bits(), row[1].to_bits())),
            "{row:?} twice"
        );
        let mut u = [0.0];
        target.eval(row, &mut u);
        assert!((u[0] - v).abs() < 1e-12, "{row:?}: {} vs {v}", u[0]);
        if row[1] == 0.0 {
            assert!((v + (std::f64::consts::PI * row[0]).sin()).abs() < 1e-12);
        }
    }
    assert!(burgers_initial_boundary_points(457, 0).is_err());
    // Raissi's X_f = vstack(X_f, X_u): the N_u points are residual points too.
    let zoo = exp.build().unwrap();
    assert_eq!(zoo.problem.residual_fixed_points(), Some(&pts));
    // SciPy L-BFGS-B's relative curvature test (PyTorch's absolute one drops most pairs at
    // Burgers' losses of 1e-6), at both scales, down to the trainer's phase.
    for scale in [Scale::Paper, Scale::Smoke] {
        let exp = PinnExperiment::defaults(ProblemKind::Burgers, scale);
        assert_eq!(exp.lbfgs_curvature, LbfgsCurvature::Relative);
        let phase = exp.train_config(None).lbfgs.unwrap();
        assert_eq!(phase.curvature.test(), CurvatureTest::SCIPY);
    }
}

#[test]
fn configs_without_the_curvature_key_keep_pytorchs_rule() {
    let exp = PinnExperiment::defaults(ProblemKind::Burgers, Scale::Paper);
    let text = toml::to_string(&exp).unwrap();
    assert!(text.contains("lbfgs_curvature = \"relative\""), "{text}");
    let old: String = text
        .lines()
        .filter(|l| !l.starts_with("lbfgs_curvature"))
        .map(|l| format!("{l}\n"))
        .collect();
    let parsed: PinnExperiment = toml::from_str(&old).unwrap();
    assert_eq!(parsed.lbfgs_curvature, LbfgsCurvature::Absolute);
    let bad = text.replace("\"relative\"", "\"scipy\"");
    let err = toml::from_str::<PinnExperiment>(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("lbfgs_curvature"), "{err}");
}

#[test]
fn bad_experiments_are_errors() {
    let mut exp = PinnExperiment::defaults(ProblemKind::Heat, Scale::Smoke);
    exp.eval_points = vec![10];
    let e = exp.build().unwrap_err().to_string();
    assert!(e.contains("eval_points"), "{e}");
    let mut exp = PinnExperiment::defaults(ProblemKind::Decay, Scale::Smoke);
    exp.hidden = vec![];
    assert!(exp.build().unwrap_err().to_string().contains("hidden"));
}

#[test]
fn allen_cahn_reference_matches_the_initial_condition_and_is_periodic() {
    let target = allen_cahn_reference_target(101).unwrap();
    let eval = |x: f64, t: f64| {
        let mut u = [0.0];
        target.eval(&[x, t], &mut u);
        u[0]
    };
    // t = 0: on the 512 collocation points the interpolant returns the initial condition
    // x² cos πx; between them it is within the Fourier truncation error of an initial
    // condition whose derivative jumps across the periodic boundary (−2 → 2).
    for j in (0..512).step_by(16) {
        let x = -1.0 + 2.0 * j as f64 / 512.0;
        let want = x * x * (std::f64::consts::PI * x).cos();
        assert!((eval(x, 0.0) - want).abs() < 1e-12, "x = {x}");
    }
    for k in 0..=40 {
        let x = -1.0 + k as f64 / 20.0;
        let want = x * x * (std::f64::consts::PI * x).cos();
        assert!((eval(x, 0.0) - want).abs() < 1e-3, "x = {x}");
    }
    // Periodic at every time; the solution stays in [−1, 1] (the two stable states).
    for i in 0..=100 {
        let t = i as f64 / 100.0;
        assert!((eval(-1.0, t) - eval(1.0, t)).abs() < 1e-10, "t = {t}");
        assert!(eval(0.3, t).abs() <= 1.0 + 1e-6);
    }
    // Off the grid's times there is no reference: NaN shows up in any error computed there.
    assert!(eval(0.0, 0.005).is_nan());
}

#[test]
fn allen_cahn_smoke_trains_and_descends() {
    let exp = PinnExperiment::defaults(ProblemKind::AllenCahn, Scale::Smoke);
    let (before, after, report) = run(&exp);
    assert!(report.history.iter().all(|r| r.loss.is_finite()));
    assert_eq!(after.points, 201 * 101);
    assert!(after.rel_l2.is_finite());
    let (first, last) = (
        mean_loss(&report.history[..20]),
        mean_loss(&report.history[report.history.len() - 20..]),
    );
    println!("allen_cahn loss {first:.3e} -> {last:.3e}");
    assert!(
        after.rel_l2 < before.rel_l2,
        "rel L2 {} -> {}",
        before.rel_l2,
        after.rel_l2
    );
    // A plain continuous-time PINN does not learn Allen–Cahn at this size (rel L2 1.11 → 0.99
    // here, measured 2026-12-06): the loss falls (1.17 → 0.16) towards a wrong, smooth solution
    // that misses the interfaces — the known failure mode this benchmark exists to expose. The
    // test pins that training runs and descends, not an accuracy the method does not reach.
    assert!(last < 0.2 * first, "loss {first} -> {last}");
}
