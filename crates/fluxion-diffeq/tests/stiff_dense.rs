//! The stiff solver's whole-span dense output: Rodas5P's own 4th-order interpolant served
//! through [`DenseOutput`], against the exact solution of Prothero–Robinson, at step ends, and
//! against `SaveAt::Times`.

use fluxion_diffeq::{solve_stiff, Jacobian, Options, SaveAt, StiffMethod};

fn prothero(lam: f64) -> impl FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> fluxion_diffeq::Result<()> {
    move |t, y, dy| {
        dy[0] = lam * (y[0] - t.cos()) - t.sin();
        Ok(())
    }
}

fn prothero_jac<'a>(lam: f64) -> Jacobian<'a> {
    Jacobian::analytic(move |_t, _y: &[f64], j: &mut [f64]| {
        j[0] = lam;
        Ok(())
    })
    .with_time_derivative(move |t, _y: &[f64], d: &mut [f64]| {
        d[0] = lam * t.sin() - t.cos();
        Ok(())
    })
}

#[test]
fn dense_output_error_is_a_small_multiple_of_the_step_error() {
    // λ = −10 and −1e3 (mildly to moderately stiff): y = cos t. For λ = −1e6 see below.
    for lam in [-10.0, -1e3] {
        let opts = Options::adaptive(1e-8, 1e-10).dense(true);
        let sol = solve_stiff(
            StiffMethod::Rodas5P,
            prothero(lam),
            prothero_jac(lam),
            (0.0, 10.0),
            &[1.0],
            &opts,
        )
        .unwrap();
        let dense = sol.dense.as_ref().expect("dense output requested");
        assert_eq!(dense.n_steps(), sol.stats.accepted);
        assert_eq!(dense.span(), Some((0.0, 10.0)));
        let step_err = sol
            .ts
            .iter()
            .zip(&sol.ys)
            .map(|(t, y)| (y[0] - t.cos()).abs())
            .fold(0.0, f64::max);
        // 20 000 points: over 100 per step, so the interior of every step is probed.
        let m = 20_000;
        let dense_err = (0..=m)
            .map(|i| {
                let t = 10.0 * i as f64 / m as f64;
                (dense.eval(t).unwrap()[0] - t.cos()).abs()
            })
            .fold(0.0, f64::max);
        println!(
            "λ = {lam:e}: {} steps, step error {step_err:e}, dense error {dense_err:e} \
             (ratio {:.2})",
            sol.stats.accepted,
            dense_err / step_err
        );
        // Measured ratios 1.4 (λ = −10) and 10.7 (λ = −1e3): the 4th-order interpolant stays
        // within a small factor of the 5th-order steps at a tolerance-controlled h; the factor
        // grows with stiffness as the steps outgrow the interpolant (see the next test).
        assert!(
            dense_err <= 16.0 * step_err,
            "λ = {lam:e}: dense error {dense_err:e} > 16 × step error {step_err:e}"
        );
    }
}

#[test]
fn dense_output_is_fourth_order_in_the_stiff_limit() {
    // λ = −1e6: the stiffly accurate steps land on the slow manifold y = cos t almost exactly
    // (step error 1e-9 at h ≈ 0.4, rtol 1e-8), so the controller takes large steps and the
    // interpolant's own h⁴ error dominates between steps (5e-5 at rtol 1e-8 with 24 steps) —
    // dense output is then *not* within a small multiple of the step error. What holds is the
    // interpolant's order: with fixed steps its error falls 16× per halving of h (order 4).
    let lam = -1e6;
    let err = |h: f64| {
        let opts = Options::fixed(h).dense(true);
        let sol = solve_stiff(
            StiffMethod::Rodas5P,
            prothero(lam),
            prothero_jac(lam),
            (0.0, 4.0),
            &[1.0],
            &opts,
        )
        .unwrap();
        let dense = sol.dense.unwrap();
        (0..=8000)
            .map(|i| {
                let t = 4.0 * i as f64 / 8000.0;
                (dense.eval(t).unwrap()[0] - t.cos()).abs()
            })
            .fold(0.0, f64::max)
    };
    let errs: Vec<f64> = [0.4, 0.2, 0.1].iter().map(|&h| err(h)).collect();
    let orders: Vec<f64> = errs.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    println!("λ = −1e6, fixed h = 0.4, 0.2, 0.1: dense errors {errs:?}, orders {orders:.2?}");
    for p in &orders {
        // Measured 3.99 and 4.00.
        assert!(
            *p > 3.8,
            "dense output order {p} below 4 in the stiff limit"
        );
    }
}

#[test]
fn dense_output_equals_the_steps_at_step_ends() {
    let opts = Options::adaptive(1e-8, 1e-10).dense(true);
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-1e3),
        prothero_jac(-1e3),
        (0.0, 5.0),
        &[1.0],
        &opts,
    )
    .unwrap();
    let dense = sol.dense.as_ref().unwrap();
    let last = sol.ts.len() - 1;
    // Every step start: the weights all vanish at θ = 0, so the stored state comes back bit
    // for bit.
    for (t, y) in sol.ts.iter().zip(&sol.ys).take(last) {
        assert_eq!(&dense.eval(*t).unwrap(), y, "t = {t}");
    }
    // The end of the span is the last step at θ = 1: y₀ + h·(y₁ − y₀)/h, a few roundings.
    let end = dense.eval(sol.ts[last]).unwrap()[0];
    let y_end = sol.ys[last][0];
    assert!(
        (end - y_end).abs() <= 4.0 * f64::EPSILON * y_end.abs().max(1.0),
        "{end} vs {y_end}"
    );
    // Outside the span is an error, not an extrapolation.
    assert!(dense.eval(5.0 + 1e-9).is_err());
}

#[test]
fn dense_output_agrees_with_save_at_times_and_runs_backward() {
    // Backward in time, λ = +50 damps deviations from cos t (as λ < 0 does forward).
    let times: Vec<f64> = (0..=200).map(|i| 2.0 - i as f64 * 0.01).collect();
    let run = |opts: &Options| {
        solve_stiff(
            StiffMethod::Rodas5P,
            prothero(50.0),
            prothero_jac(50.0),
            (2.0, 0.0),
            &[2f64.cos()],
            opts,
        )
        .unwrap()
    };
    let at_times = run(&Options::adaptive(1e-9, 1e-12).save(SaveAt::Times(times.clone())));
    let dense_sol = run(&Options::adaptive(1e-9, 1e-12).save(SaveAt::End).dense(true));
    assert_eq!(
        at_times.stats, dense_sol.stats,
        "dense output changes no step"
    );
    let dense = dense_sol.dense.as_ref().unwrap();
    assert_eq!(dense.span(), Some((2.0, 0.0)));
    for (t, y) in at_times.ts.iter().zip(&at_times.ys) {
        let d = dense.eval(*t).unwrap()[0];
        // The same interpolant written two ways: equal to a few roundings.
        assert!((d - y[0]).abs() < 1e-14, "t = {t}: {d} vs {}", y[0]);
        assert!((d - t.cos()).abs() < 1e-7, "t = {t}: {d} vs cos t");
    }
}
