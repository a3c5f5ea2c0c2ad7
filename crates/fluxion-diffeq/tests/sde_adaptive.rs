//! Adaptive SDE steps (step doubling on a Brownian tree): convergence to the exact GBM path as
//! the tolerance shrinks, step-size behaviour on a stiff transient, statistics, determinism and
//! the errors a user can cause.

mod common;

use common::{gbm_tensor, sin_additive};
use fluxion_diffeq::sde::{
    geometric_brownian_motion, solve_sde, BrownianGrid, BrownianIncrements, BrownianTree,
    NoiseType, Sde, SdeAdaptive, SdeMethod, SdeOptions, SdeSystem, SdeType,
};
use fluxion_diffeq::Error;

const MU: f64 = 1.0;
const SIGMA: f64 = 0.5;

/// GBM `dX = μX dt + σX dW` (Itô, diagonal), exact `X(t) = X₀ exp((μ − σ²/2)t + σW(t))`.
fn gbm() -> impl SdeSystem<Vec<f64>> {
    geometric_brownian_motion(MU, SIGMA)
}

/// RMS over paths of `X(T) − exact(T)` with `W(T)` read from the same tree.
fn gbm_rms_error(y: &[f64], bm: &BrownianTree, t: f64) -> f64 {
    let w = bm.value(t).unwrap();
    let sq: f64 = y
        .iter()
        .zip(w.iter())
        .map(|(x, w)| {
            let exact = ((MU - 0.5 * SIGMA * SIGMA) * t + SIGMA * w).exp();
            (x - exact).powi(2)
        })
        .sum();
    (sq / y.len() as f64).sqrt()
}

/// Errors and accepted steps at rtol = atol = `tols` for `method`, on one Brownian path.
fn errors_by_tolerance(method: SdeMethod, tols: &[f64], seed: u64) -> (Vec<f64>, Vec<usize>) {
    let paths = 200;
    let sde = gbm();
    let y0 = vec![1.0; paths];
    let mut errs = Vec::new();
    let mut steps = Vec::new();
    for &tol in tols {
        let bm = BrownianTree::new(seed, 0.0, 1.0, paths, 1).unwrap();
        let opts = SdeOptions::adaptive(tol, tol, 0.05);
        let sol = solve_sde(method, &sde, (0.0, 1.0), &y0, &bm, &opts).unwrap();
        errs.push(gbm_rms_error(&sol.ys[0], &bm, 1.0));
        steps.push(sol.stats.accepted);
    }
    (errs, steps)
}

#[test]
fn gbm_pathwise_error_falls_with_tolerance_and_steps_grow() {
    // Step doubling holds the local error of one step (~ h^q, q = p + ½ for strong order p)
    // at the tolerance, so the accepted step grows like tol^(1/q) and the global pathwise
    // error, ~ h^p, like tol^(p/q). Per decade of tolerance: Milstein (p = 1, q = 3/2) takes
    // 10^(2/3) ≈ 4.6× the steps and its error falls 4.6×; Euler–Maruyama (p = ½, q = 1) takes
    // 10× the steps and its error falls 10^(1/2) ≈ 3.2×. Checked on three Brownian paths, with
    // margins for the path-to-path spread of the error constant (observed: error ratios
    // 3.7–5.2 and 3.0–4.6, step ratios 4.6–4.8 and 10.0–10.2). The loosest tolerance is
    // capped by the first step and `max_factor`, so step ratios use the last decade only.
    let tols = [1e-2, 1e-3, 1e-4];
    for seed in [1, 2, 3] {
        for (method, err_ratio, step_ratio) in [
            (SdeMethod::Milstein { grad_free: true }, 3.0, (3.5, 6.0)),
            (SdeMethod::EulerMaruyama, 2.2, (8.0, 12.5)),
        ] {
            let (errs, steps) = errors_by_tolerance(method, &tols, seed);
            for i in 1..tols.len() {
                assert!(
                    errs[i - 1] / errs[i] >= err_ratio,
                    "{method:?}, seed {seed}: errors {errs:?} at tolerances {tols:?}"
                );
                assert!(
                    steps[i] > steps[i - 1],
                    "{method:?}, seed {seed}: accepted steps {steps:?} at tolerances {tols:?}"
                );
            }
            let r = steps[2] as f64 / steps[1] as f64;
            assert!(
                r >= step_ratio.0 && r <= step_ratio.1,
                "{method:?}, seed {seed}: steps {steps:?}, ratio {r} outside {step_ratio:?}"
            );
        }
    }
}

/// SRA1 (strong 1.5, error exponent q = 2) with adaptive steps on a tree with Lévy area, on the
/// nonlinear additive-noise SDE dX = (sin 3X − X) dt + 1.5 dW: per decade of tolerance the
/// steps grow 10^(1/2) ≈ 3.2× and the pathwise error (against SRA1 with 2¹³ fixed steps on the
/// same tree) falls 10^(3/4) ≈ 5.6×. Observed on three paths: error ratios 4.2–6.9, step ratios
/// 3.1–3.2 over the last decade (the first is capped by the first step and `max_factor`).
#[test]
fn sra1_adapts_on_the_levy_area_tree() {
    let sde = sin_additive();
    let paths = 100;
    let y0 = vec![1.0; paths];
    let tols = [1e-2, 1e-3, 1e-4];
    for seed in [1, 2, 3] {
        let bm = BrownianTree::new(seed, 0.0, 1.0, paths, 1)
            .unwrap()
            .with_levy_area();
        let fixed = SdeOptions::fixed(2f64.powi(-13));
        let reference = solve_sde(SdeMethod::Sra1, &sde, (0.0, 1.0), &y0, &bm, &fixed).unwrap();
        let (mut errs, mut steps) = (Vec::new(), Vec::new());
        for &tol in &tols {
            let opts = SdeOptions::adaptive(tol, tol, 0.05);
            let sol = solve_sde(SdeMethod::Sra1, &sde, (0.0, 1.0), &y0, &bm, &opts).unwrap();
            let sq: f64 = sol.ys[0]
                .iter()
                .zip(&reference.ys[0])
                .map(|(x, r)| (x - r).powi(2))
                .sum();
            errs.push((sq / paths as f64).sqrt());
            steps.push(sol.stats.accepted);
        }
        for i in 1..tols.len() {
            assert!(
                errs[i - 1] / errs[i] >= 3.5 && steps[i] > steps[i - 1],
                "seed {seed}: errors {errs:?}, steps {steps:?} at tolerances {tols:?}"
            );
        }
        let r = steps[2] as f64 / steps[1] as f64;
        assert!(
            (2.5..=4.0).contains(&r),
            "seed {seed}: steps {steps:?}, last-decade ratio {r}"
        );
    }
}

#[test]
fn statistics_count_rejections_and_evaluations() {
    let paths = 100;
    let sde = gbm();
    let bm = BrownianTree::new(5, 0.0, 1.0, paths, 1).unwrap();
    // A first step far too large forces rejections at the start.
    let opts = SdeOptions::adaptive(1e-4, 1e-4, 0.5);
    let sol = solve_sde(
        SdeMethod::EulerMaruyama,
        &sde,
        (0.0, 1.0),
        &vec![1.0; paths],
        &bm,
        &opts,
    )
    .unwrap();
    let s = sol.stats;
    assert!(s.rejected > 0, "{s:?}");
    assert_eq!(s.steps, s.accepted + s.rejected);
    // Each attempt runs the scheme three times (one step of h, two of h/2), and
    // Euler–Maruyama evaluates f and g once per scheme step.
    assert_eq!(s.drift_evals, 3 * s.steps);
    assert_eq!(s.diffusion_evals, 3 * s.steps);
    assert_eq!(sol.step_ts.len(), s.accepted + 1);
    assert_eq!(sol.step_ts.first(), Some(&0.0));
    assert_eq!(sol.step_ts.last(), Some(&1.0));
    assert!(sol.step_ts.windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn same_seed_gives_bitwise_identical_solutions() {
    let paths = 64;
    let sde = gbm();
    let y0 = vec![1.0; paths];
    let opts = SdeOptions::adaptive(1e-3, 1e-3, 0.1).t_eval(vec![0.25, 0.5, 1.0]);
    let run = |seed| {
        let bm = BrownianTree::new(seed, 0.0, 1.0, paths, 1).unwrap();
        solve_sde(
            SdeMethod::Milstein { grad_free: true },
            &sde,
            (0.0, 1.0),
            &y0,
            &bm,
            &opts,
        )
        .unwrap()
    };
    let (a, b, c) = (run(9), run(9), run(10));
    assert_eq!(a.stats, b.stats);
    assert_eq!(a.step_ts, b.step_ts);
    for (ya, yb) in a.ys.iter().zip(&b.ys) {
        assert!(ya.iter().zip(yb).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    assert_ne!(
        a.ys[2], c.ys[2],
        "a different seed must give a different path"
    );
}

#[test]
fn t_eval_times_are_landed_on_and_saved() {
    let paths = 50;
    let sde = gbm();
    let bm = BrownianTree::new(3, 0.0, 1.0, paths, 1).unwrap();
    let t_eval = vec![0.0, 0.1, 0.3337, 0.75, 1.0];
    let opts = SdeOptions::adaptive(1e-4, 1e-4, 0.2).t_eval(t_eval.clone());
    let sol = solve_sde(
        SdeMethod::Milstein { grad_free: true },
        &sde,
        (0.0, 1.0),
        &vec![1.0; paths],
        &bm,
        &opts,
    )
    .unwrap();
    assert_eq!(sol.ts, t_eval);
    for (t, y) in sol.ts.iter().zip(&sol.ys) {
        assert!(sol.step_ts.contains(t), "{t} is not a step end");
        if *t > 0.0 {
            let e = gbm_rms_error(y, &bm, *t);
            // Milstein's global error at tol = 1e-4 is ~8e-3 by t = 1 (tol^(2/3) scaling).
            assert!(e < 2e-2, "error {e} at t = {t}");
        }
    }
}

#[test]
fn stiff_transient_takes_small_steps_early_and_large_ones_later() {
    // dX = −λ(X − 1) dt + 0.05 dW (additive noise), X₀ = 5, λ = 200: a transient of
    // duration ~1/λ, then a slow mean-reverting phase (OU around 1).
    const LAMBDA: f64 = 200.0;
    let sde = Sde::new(
        NoiseType::Additive,
        SdeType::Ito,
        |_t, y: &Vec<f64>, out: &mut Vec<f64>| {
            for (o, x) in out.iter_mut().zip(y) {
                *o = -LAMBDA * (x - 1.0);
            }
            Ok(())
        },
        |_t, _y: &Vec<f64>, v: &Vec<f64>, out: &mut Vec<f64>| {
            for (o, w) in out.iter_mut().zip(v) {
                *o = 0.05 * w;
            }
            Ok(())
        },
    );
    let paths = 20;
    let bm = BrownianTree::new(11, 0.0, 1.0, paths, 1).unwrap();
    let opts = SdeOptions::adaptive(1e-3, 1e-3, 1e-4);
    let sol = solve_sde(
        SdeMethod::EulerMaruyama,
        &sde,
        (0.0, 1.0),
        &vec![5.0; paths],
        &bm,
        &opts,
    )
    .unwrap();
    let ts = &sol.step_ts;
    let steps_in = |a: f64, b: f64| ts.windows(2).filter(|w| w[0] >= a && w[1] <= b).count();
    let mean_h = |a: f64, b: f64| {
        let hs: Vec<f64> = ts
            .windows(2)
            .filter(|w| w[0] >= a && w[1] <= b)
            .map(|w| w[1] - w[0])
            .collect();
        hs.iter().sum::<f64>() / hs.len() as f64
    };
    let (early, late) = (mean_h(0.0, 0.01), mean_h(0.5, 1.0));
    // After the transient explicit Euler–Maruyama is held near its stability bound
    // h < 2/λ = 0.01 (observed mean 5.4e-3); during it the local error needs h ~ 4e-4.
    assert!(
        late > 5.0 * early && late < 2.0 / LAMBDA,
        "mean step {early:e} during the transient, {late:e} after it ({} and {} steps)",
        steps_in(0.0, 0.01),
        steps_in(0.5, 1.0)
    );
    // The first steps, inside the transient, are all short.
    assert!(
        ts[..6].windows(2).all(|w| w[1] - w[0] < 1e-3),
        "{:?}",
        &ts[..6]
    );
    assert!(sol.stats.rejected > 0 && sol.stats.accepted == ts.len() - 1);
    let mean: f64 = sol.ys[0].iter().sum::<f64>() / paths as f64;
    assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
}

#[test]
fn sequential_brownian_sources_are_refused_with_the_option_named() {
    let sde = gbm();
    let opts = SdeOptions::adaptive(1e-3, 1e-3, 0.1);
    let y0 = vec![1.0; 4];
    let inc = BrownianIncrements::new(0, 4, 1);
    let grid = BrownianGrid::sample(0, 0.0, 1.0 / 64.0, 64, 4, 1).unwrap();
    for err in [
        solve_sde(SdeMethod::EulerMaruyama, &sde, (0.0, 1.0), &y0, &inc, &opts).unwrap_err(),
        solve_sde(
            SdeMethod::EulerMaruyama,
            &sde,
            (0.0, 1.0),
            &y0,
            &grid,
            &opts,
        )
        .unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "brownian",
                    ..
                }
            ),
            "{msg}"
        );
        assert!(
            msg.contains("SdeOptions::adaptive") && msg.contains("BrownianTree"),
            "{msg}"
        );
    }
    // The same source is fine for fixed steps.
    assert!(solve_sde(
        SdeMethod::EulerMaruyama,
        &sde,
        (0.0, 1.0),
        &y0,
        &inc,
        &SdeOptions::fixed(0.1)
    )
    .is_ok());
}

#[test]
fn reversible_heun_and_bad_settings_are_refused() {
    let sde = Sde::new(
        NoiseType::Diagonal,
        SdeType::Stratonovich,
        |_t, y: &Vec<f64>, out: &mut Vec<f64>| {
            out.copy_from_slice(y);
            Ok(())
        },
        |_t, _y: &Vec<f64>, v: &Vec<f64>, out: &mut Vec<f64>| {
            out.copy_from_slice(v);
            Ok(())
        },
    );
    let bm = BrownianTree::new(0, 0.0, 1.0, 4, 1).unwrap();
    let y0 = vec![1.0; 4];
    let solve = |m, o: &SdeOptions| solve_sde(m, &sde, (0.0, 1.0), &y0, &bm, o);
    let e = solve(
        SdeMethod::ReversibleHeun,
        &SdeOptions::adaptive(1e-3, 1e-3, 0.1),
    )
    .unwrap_err();
    assert!(e.to_string().contains("reversible Heun"), "{e}");
    for bad in [
        SdeOptions::adaptive(0.0, 0.0, 0.1),
        SdeOptions::adaptive(-1.0, 1e-3, 0.1),
        SdeOptions::adaptive(1e-3, 1e-3, 0.0),
        SdeOptions::adaptive_with(0.1, SdeAdaptive::new(1e-3, 1e-3).dt_min(1.0).dt_max(0.5)),
    ] {
        assert!(
            matches!(
                solve(SdeMethod::Heun, &bad),
                Err(Error::InvalidArgument { .. })
            ),
            "{bad:?}"
        );
    }
    // Heun is accepted for Stratonovich problems.
    assert!(solve(SdeMethod::Heun, &SdeOptions::adaptive(1e-3, 1e-3, 0.1)).is_ok());
}

#[test]
fn dt_min_underflow_and_max_steps_name_t_and_h() {
    let paths = 50;
    let sde = gbm();
    let bm = BrownianTree::new(4, 0.0, 1.0, paths, 1).unwrap();
    let y0 = vec![1.0; paths];
    // A tolerance this tight needs steps far below dt_min = 0.05.
    let opts = SdeOptions::adaptive_with(0.1, SdeAdaptive::new(1e-9, 1e-9).dt_min(0.05));
    let err = solve_sde(SdeMethod::EulerMaruyama, &sde, (0.0, 1.0), &y0, &bm, &opts).unwrap_err();
    match &err {
        Error::StepSizeUnderflow { t, h, h_min, steps } => {
            assert!(*h < *h_min && *h_min == 0.05, "{err}");
            assert!((0.0..1.0).contains(t) && *steps > 0, "{err}");
        }
        other => panic!("expected StepSizeUnderflow, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("t = ") && msg.contains("h = "), "{msg}");

    let opts = SdeOptions::adaptive_with(0.01, SdeAdaptive::new(1e-6, 1e-6).max_steps(7));
    let err = solve_sde(SdeMethod::EulerMaruyama, &sde, (0.0, 1.0), &y0, &bm, &opts).unwrap_err();
    match &err {
        Error::MaxStepsReached {
            t,
            h,
            max_steps,
            t_end,
        } => {
            assert_eq!((*max_steps, *t_end), (7, 1.0));
            assert!(*t < 1.0 && *h > 0.0, "{err}");
        }
        other => panic!("expected MaxStepsReached, got {other}"),
    }
}

#[test]
fn tensor_states_solve_adaptively_to_the_same_accuracy() {
    use fluxion_tensor::{DType, Device, Tensor};
    let (paths, d) = (40, 2);
    let bm = BrownianTree::new(8, 0.0, 1.0, paths, d).unwrap();
    let opts = SdeOptions::adaptive(1e-3, 1e-3, 0.1).t_eval(vec![0.5, 1.0]);
    let method = SdeMethod::Milstein { grad_free: true };
    let v = solve_sde(
        method,
        &gbm(),
        (0.0, 1.0),
        &vec![1.0; paths * d],
        &bm,
        &opts,
    )
    .unwrap();
    let sde_t = gbm_tensor(MU, SIGMA);
    let y0 = Tensor::ones([paths, d], DType::F64, &Device::Cpu).unwrap();
    let t = solve_sde(method, &sde_t, (0.0, 1.0), &y0, &bm, &opts).unwrap();
    // Not bit for bit: the tensor ops round the error norm differently in the last bit, a
    // step end then moves by an ulp, and inside one leaf of the tree a different time draws a
    // different (equally distributed) bridge value. Both must be accurate solutions on the
    // same path, with similar work.
    let (ev, et) = (
        gbm_rms_error(&v.ys[1], &bm, 1.0),
        gbm_rms_error(&t.ys[1].to_vec::<f64>().unwrap(), &bm, 1.0),
    );
    assert!(ev < 0.1 && et < 0.1, "errors {ev} (Vec) and {et} (Tensor)");
    let (a, b) = (v.stats.accepted as f64, t.stats.accepted as f64);
    assert!((a - b).abs() <= 0.2 * a, "{:?} vs {:?}", v.stats, t.stats);
    assert_eq!(t.ts, vec![0.5, 1.0]);
}
