//! Which curvature pairs L-BFGS keeps: PyTorch's absolute yᵀs > 1e-10 against SciPy
//! L-BFGS-B's relative yᵀs > ε·(−∇fᵀs).
//!
//! The property that separates them: L-BFGS with a Wolfe line search is invariant under
//! f → c·f (directions −H∇f do not change, the Wolfe tests compare like with like). With c a
//! power of two every product and sum scales exactly, so the relative rule must give the
//! same iterates bit for bit at any c, while the absolute rule drops every pair once yᵀs
//! falls below 1e-10 — a PINN loss of 1e-6 is there — and degrades to steepest descent.

#[path = "common/optim_reference.rs"]
mod reference;

use fluxion_autodiff::Var;
use fluxion_nn::{CurvatureTest, Lbfgs, LbfgsConfig, Optimizer, StrongWolfe};
use reference::{max_error_from_ones, rosenbrock_scaled, rosenbrock_start, t};

/// Runs `iterations` L-BFGS iterations (history 5, strong Wolfe, no tolerances) on the
/// 10-d Rosenbrock scaled by `c` from (−1.2, 1, …); returns every iterate, the optimizer
/// and max|x − 1| at the end.
fn run(c: f64, curvature: CurvatureTest, iterations: usize) -> (Vec<Vec<f64>>, Lbfgs, f64) {
    let x = rosenbrock_start(10);
    let config = LbfgsConfig {
        max_iter: 1,
        max_eval: Some(100),
        tolerance_grad: 0.0,
        tolerance_change: 0.0,
        history_size: 5,
        line_search: Some(StrongWolfe::default()),
        curvature,
        ..LbfgsConfig::default()
    };
    let mut opt = Lbfgs::new(vec![x.clone()], config).unwrap();
    let mut iterates = Vec::new();
    for _ in 0..iterations {
        opt.step_with(&mut || {
            x.zero_grad();
            let loss = rosenbrock_scaled(&x, c);
            loss.backward()?;
            Ok(loss.tensor().to_scalar::<f64>()?)
        })
        .unwrap();
        iterates.push(x.tensor().to_vec::<f64>().unwrap());
    }
    let err = max_error_from_ones(iterates.last().unwrap());
    (iterates, opt, err)
}

// PyTorch's first step is min(1, 1/‖∇f‖₁)·d, invariant only while ‖∇f(x₀)‖₁ ≥ 1 (≈ 7 000
// for the unscaled function), so the pair of scales compared bit for bit stays above that;
// the third is a scale where every yᵀs is far below 1e-10.
const C_LARGE: f64 = (1u64 << 28) as f64;
const C_MID: f64 = 1.0 / (1u64 << 12) as f64;
const C_TINY: f64 = 1.0 / (1u64 << 60) as f64; // ≈ 8.7e-19

#[test]
fn the_relative_rule_gives_the_same_iterates_at_every_scale() {
    let (a, opt_a, err_a) = run(C_LARGE, CurvatureTest::SCIPY, 120);
    let (b, opt_b, _) = run(C_MID, CurvatureTest::SCIPY, 120);
    for (k, (xa, xb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(xa, xb, "iterate {} differs between f·2²⁸ and f·2⁻¹²", k + 1);
    }
    assert_eq!(opt_a.func_evals(), opt_b.func_evals());
    assert!(err_a < 1e-6, "the run converges: max|x − 1| = {err_a}");
    // At a loss scale of 1e-18 the pairs are still kept and the run still converges (the
    // first step differs, see above, so not bit for bit).
    let (_, opt_c, err_c) = run(C_TINY, CurvatureTest::SCIPY, 120);
    let len = |o: &Lbfgs| o.state().scalars["history_len"];
    assert_eq!(len(&opt_c), 5.0, "the pairs are kept at 2⁻⁶⁰");
    println!("relative rule: max|x − 1| = {err_a:e} at 2²⁸ and 2⁻¹², {err_c:e} at 2⁻⁶⁰");
    assert!(
        err_c < 1e-6,
        "the run at 2⁻⁶⁰ converges: max|x − 1| = {err_c}"
    );
}

#[test]
fn the_absolute_rule_depends_on_the_scale() {
    let (a, _, err_a) = run(C_LARGE, CurvatureTest::TORCH, 120);
    let (b, _, err_b) = run(C_MID, CurvatureTest::TORCH, 120);
    let first = a.iter().zip(&b).position(|(xa, xb)| xa != xb);
    println!("absolute rule: first differing iterate {first:?}; max|x − 1| {err_a:e}, {err_b:e}");
    assert!(first.is_some(), "the absolute rule should see the scale");

    let (_, opt, err) = run(C_TINY, CurvatureTest::TORCH, 120);
    let pairs = opt.state().scalars["history_len"];
    println!("absolute rule at 2⁻⁶⁰: {pairs} pairs, max|x − 1| = {err:e}");
    assert_eq!(pairs, 0.0, "yᵀs < 1e-10 everywhere at 2⁻⁶⁰");
    assert!(
        err > 0.1,
        "without pairs 120 iterations stay far off: {err}"
    );
}

#[test]
fn keeps_compares_as_each_library_does() {
    let torch = CurvatureTest::TORCH;
    assert!(torch.keeps(1.1e-10, -1.0));
    assert!(!torch.keeps(1e-10, -1.0));
    assert!(torch.keeps(1e-9, 1.0), "PyTorch ignores the slope");

    let scipy = CurvatureTest::SCIPY;
    let eps = f64::EPSILON;
    assert!(
        scipy.keeps(1e-20, -1e-5),
        "tiny yᵀs, tinier promised decrease × ε"
    );
    assert!(
        !scipy.keeps(eps * 1e-5, -1e-5),
        "at ε·(−∇fᵀs) exactly: skipped"
    );
    assert!(scipy.keeps(2.0 * eps * 1e-5, -1e-5));
    assert!(!scipy.keeps(0.0, 1.0), "yᵀs ≤ 0 is never kept");
    assert!(!scipy.keeps(-1e-3, 1.0));
}

#[test]
fn the_rule_travels_with_the_state() {
    let (_, opt, _) = run(C_MID, CurvatureTest::Relative(1e-12), 3);
    let state = opt.state();
    assert_eq!(state.scalars["curvature.relative"], 1.0);
    assert_eq!(state.scalars["curvature.threshold"], 1e-12);
    let x = Var::leaf(t(vec![0.0; 10], &[10]));
    let mut fresh = Lbfgs::new(vec![x.clone()], LbfgsConfig::default()).unwrap();
    fresh.load_state(&state).unwrap();
    assert_eq!(fresh.config().curvature, CurvatureTest::Relative(1e-12));

    // A state written before the rule was stored keeps the loading optimizer's own rule.
    let mut old = state.clone();
    old.scalars.remove("curvature.relative");
    old.scalars.remove("curvature.threshold");
    let config = LbfgsConfig {
        curvature: CurvatureTest::SCIPY,
        ..LbfgsConfig::default()
    };
    let mut fresh = Lbfgs::new(vec![x], config).unwrap();
    fresh.load_state(&old).unwrap();
    assert_eq!(fresh.config().curvature, CurvatureTest::SCIPY);
}

#[test]
fn a_negative_threshold_is_rejected() {
    let x = Var::leaf(t(vec![0.0; 2], &[2]));
    for bad in [
        CurvatureTest::Absolute(-1.0),
        CurvatureTest::Relative(f64::NAN),
    ] {
        let config = LbfgsConfig {
            curvature: bad,
            ..LbfgsConfig::default()
        };
        let err = Lbfgs::new(vec![x.clone()], config).unwrap_err().to_string();
        assert!(err.contains("curvature"), "{err}");
    }
}
