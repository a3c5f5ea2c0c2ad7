//! Adaptive accuracy, dense output, events, errors, backward integration, and the Tensor/Var paths.

use fluxion_autodiff::Var;
use fluxion_diffeq::{
    problems, solve, solve_with_events, Direction, Error, Event, Method, Options, SaveAt,
};
use fluxion_tensor::{Device, Tensor};

fn harmonic() -> impl FnMut(f64, &Vec<f64>, &mut Vec<f64>) -> fluxion_diffeq::Result<()> {
    |_t, y, dy| {
        dy[0] = y[1];
        dy[1] = -y[0];
        Ok(())
    }
}

#[test]
fn adaptive_solves_meet_tolerance_on_harmonic() {
    // Global error of a tolerance-proportional method stays within ~100·tol over 10 time units.
    for m in [Method::Bosh3, Method::Dopri5, Method::Tsit5, Method::Dop853] {
        for tol in [1e-6, 1e-9] {
            let sol = solve(
                m,
                harmonic(),
                (0.0, 10.0),
                &vec![1.0, 0.0],
                &Options::adaptive(tol, tol),
            )
            .unwrap();
            let y = sol.y_last();
            let e = (y[0] - 10f64.cos()).abs().max((y[1] + 10f64.sin()).abs());
            assert!(e < 100.0 * tol, "{m:?} tol {tol}: error {e:e}");
        }
    }
}

#[test]
fn kepler_energy_drift_is_within_tolerance() {
    let p = problems::KEPLER;
    for m in [Method::Dopri5, Method::Tsit5, Method::Dop853] {
        let sol = solve(
            m,
            p.closure(),
            (0.0, 10.0 * p.t1),
            &p.y0(),
            &Options::adaptive(1e-10, 1e-10),
        )
        .unwrap();
        let drift = (problems::kepler_energy(sol.y_last()) + 0.5).abs();
        // 10 orbits at rtol 1e-10: drift ≤ 1e-7 (1000·tol, the error grows over each perihelion pass).
        assert!(drift < 1e-7, "{m:?}: energy drift {drift:e}");
        let back = sol
            .y_last()
            .iter()
            .zip(p.y0)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(back < 1e-5, "{m:?}: after 10 periods |y − y0| = {back:e}");
    }
}

#[test]
fn dense_output_has_the_interpolants_order() {
    // Fixed steps h and h/2 on the harmonic oscillator; max error at mid-step points. The local
    // interpolation error is O(h^(q+1)) with q the interpolant order; over the span the global
    // error dominates for q = p, so we check the ratio is at least 2^q·0.9.
    for (m, q, n) in [
        (Method::Rk4, 3, 100),
        (Method::Dopri5, 4, 100),
        (Method::Tsit5, 4, 100),
        (Method::Dop853, 7, 20),
    ] {
        let err = |n: usize| {
            let dt = 10.0 / n as f64;
            let mids: Vec<f64> = (0..n).map(|i| (i as f64 + 0.37) * dt).collect();
            let sol = solve(
                m,
                harmonic(),
                (0.0, 10.0),
                &vec![1.0, 0.0],
                &Options::fixed(dt).save(SaveAt::Times(mids.clone())),
            )
            .unwrap();
            mids.iter()
                .zip(&sol.ys)
                .map(|(t, y)| (y[0] - t.cos()).abs())
                .fold(0.0, f64::max)
        };
        let (e1, e2) = (err(n), err(2 * n));
        let ratio = e1 / e2;
        eprintln!("{m:?} dense: {e1:e} → {e2:e}, ratio {ratio}");
        assert!(
            ratio > 0.9 * 2f64.powi(q),
            "{m:?}: ratio {ratio}, want ≥ 0.9·2^{q}"
        );
    }
}

#[test]
fn dense_solution_matches_exact_anywhere_forward_and_backward() {
    for (t0, t1) in [(0.0f64, 10.0), (10.0, 0.0)] {
        let y0 = vec![t0.cos(), -t0.sin()];
        let sol = solve(
            Method::Dop853,
            harmonic(),
            (t0, t1),
            &y0,
            &Options::adaptive(1e-12, 1e-12).dense(true),
        )
        .unwrap();
        let d = sol.dense.as_ref().unwrap();
        for i in 0..=97 {
            let t = 10.0 * i as f64 / 97.0;
            let y = d.eval(t).unwrap();
            assert!(
                (y[0] - t.cos()).abs() < 1e-9,
                "t = {t}: {} vs {}",
                y[0],
                t.cos()
            );
        }
        assert!(d.eval(11.0).is_err());
    }
}

#[test]
fn events_find_zero_crossings_of_the_oscillator() {
    // cos t = 0 at t = (k + ½)π; falling crossings at k even.
    let mut ev = [
        Event::new(|_t, y: &Vec<f64>| Ok(y[0])),
        Event::new(|_t, y: &Vec<f64>| Ok(y[0])).direction(Direction::Falling),
    ];
    let sol = solve_with_events(
        Method::Dopri5,
        harmonic(),
        (0.0, 10.0),
        &vec![1.0, 0.0],
        &Options::adaptive(1e-10, 1e-10),
        &mut ev,
    )
    .unwrap();
    let both: Vec<f64> = sol
        .events
        .iter()
        .filter(|e| e.index == 0)
        .map(|e| e.t)
        .collect();
    let falling: Vec<f64> = sol
        .events
        .iter()
        .filter(|e| e.index == 1)
        .map(|e| e.t)
        .collect();
    assert_eq!(both.len(), 3);
    assert_eq!(falling.len(), 2);
    for (k, t) in both.iter().enumerate() {
        let want = (k as f64 + 0.5) * std::f64::consts::PI;
        assert!((t - want).abs() < 1e-8, "crossing {k}: {t} vs {want}");
    }
    assert!((falling[1] - 2.5 * std::f64::consts::PI).abs() < 1e-8);
    assert!(!sol.terminated);
}

#[test]
fn terminal_event_stops_a_falling_ball() {
    // h'' = −g from h = 10 m at rest: impact at t = sqrt(2h/g), speed −sqrt(2gh).
    let g = 9.81;
    let mut ev = [Event::new(|_t, y: &Vec<f64>| Ok(y[0]))
        .direction(Direction::Falling)
        .terminal(true)];
    let sol = solve_with_events(
        Method::Tsit5,
        |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            dy[0] = y[1];
            dy[1] = -g;
            Ok(())
        },
        (0.0, 10.0),
        &vec![10.0, 0.0],
        &Options::adaptive(1e-10, 1e-10),
        &mut ev,
    )
    .unwrap();
    let t_hit = (2.0 * 10.0 / g).sqrt();
    assert!(sol.terminated);
    assert_eq!(sol.events.len(), 1);
    assert!(
        (sol.events[0].t - t_hit).abs() < 1e-10,
        "{}",
        sol.events[0].t
    );
    assert!((sol.t_last() - t_hit).abs() < 1e-10);
    assert!((sol.y_last()[1] + (2.0 * g * 10.0f64).sqrt()).abs() < 1e-8);
}

#[test]
fn errors_name_t_and_h() {
    // NaN from the right-hand side.
    let e = solve(
        Method::Dopri5,
        |t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            dy[0] = if t > 0.5 { f64::NAN } else { -y[0] };
            Ok(())
        },
        (0.0, 1.0),
        &vec![1.0],
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::NonFiniteState { .. }), "{e}");
    assert!(
        e.to_string().contains("t = ") && e.to_string().contains("h = "),
        "{e}"
    );

    // Blow-up y' = y², y(0) = 1 at t = 1: the step size underflows.
    let e = solve(
        Method::Dopri5,
        |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            dy[0] = y[0] * y[0];
            Ok(())
        },
        (0.0, 2.0),
        &vec![1.0],
        &Options {
            dt_min: 1e-10,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::StepSizeUnderflow { .. } | Error::NonFiniteState { .. }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("t = ") && e.to_string().contains("h = "),
        "{e}"
    );

    // max_steps.
    let e = solve(
        Method::Dopri5,
        harmonic(),
        (0.0, 100.0),
        &vec![1.0, 0.0],
        &Options::default().max_steps(10),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::MaxStepsReached { max_steps: 10, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("max_steps") && e.to_string().contains("h = "),
        "{e}"
    );

    // Adaptive stepping with a method without an error estimate.
    assert!(solve(
        Method::Rk4,
        harmonic(),
        (0.0, 1.0),
        &vec![1.0, 0.0],
        &Options::default()
    )
    .is_err());
}

#[test]
fn per_component_tolerance_is_used() {
    let loose = solve(
        Method::Dopri5,
        harmonic(),
        (0.0, 10.0),
        &vec![1.0, 0.0],
        &Options::adaptive(1e-4, 1e-4),
    )
    .unwrap();
    let mixed = solve(
        Method::Dopri5,
        harmonic(),
        (0.0, 10.0),
        &vec![1.0, 0.0],
        &Options::adaptive(vec![1e-4, 1e-10], vec![1e-4, 1e-10]),
    )
    .unwrap();
    assert!(mixed.stats.accepted > 3 * loose.stats.accepted);
    assert!(solve(
        Method::Dopri5,
        harmonic(),
        (0.0, 1.0),
        &vec![1.0, 0.0],
        &Options::adaptive(vec![1e-4; 3], 1e-6)
    )
    .is_err());
}

#[test]
fn tensor_batch_matches_vec_path() {
    // A batch of 4 decays y' = −λy with λ = 0.5, 1, 2, 3; the Tensor solve uses the RMS norm over
    // the whole batch, so compare each row with a Vec<f64> solve of the same 4-component system.
    let lam = [0.5, 1.0, 2.0, 3.0];
    let opts = Options::adaptive(1e-8, 1e-10).save(SaveAt::End);
    let vsol = solve(
        Method::Tsit5,
        |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            for i in 0..4 {
                dy[i] = -lam[i] * y[i];
            }
            Ok(())
        },
        (0.0, 2.0),
        &vec![1.0; 4],
        &opts,
    )
    .unwrap();
    let dev = Device::Cpu;
    let lt = Tensor::from_vec(lam.to_vec(), [4, 1], &dev).unwrap();
    let y0 = Tensor::from_vec(vec![1.0f64; 4], [4, 1], &dev).unwrap();
    let tsol = solve(
        Method::Tsit5,
        |_t, y: &Tensor, dy: &mut Tensor| {
            *dy = y.mul(&lt)?.neg()?;
            Ok(())
        },
        (0.0, 2.0),
        &y0,
        &opts,
    )
    .unwrap();
    assert_eq!(vsol.stats, tsol.stats);
    let tv = tsol.y_last().to_vec::<f64>().unwrap();
    for (a, b) in vsol.y_last().iter().zip(&tv) {
        assert!(
            (a - b).abs() <= 1e-14 * a.abs().max(1e-300) + 1e-16,
            "{a} vs {b}"
        );
    }
}

#[test]
fn backprop_through_a_var_solve_of_decay() {
    // y' = −k·y, y(0) = y0 → y(T) = y0·e^(−kT), dy(T)/dk = −T·y0·e^(−kT).
    let (k0, y0v, t_end) = (0.7, 2.0, 1.5);
    let k = Var::leaf(Tensor::from_vec(vec![k0], [1], &Device::Cpu).unwrap());
    let y0 = Var::constant(Tensor::from_vec(vec![y0v], [1], &Device::Cpu).unwrap());
    let sol = solve(
        Method::Dopri5,
        |_t, y: &Var, dy: &mut Var| {
            *dy = y.mul(&k)?.neg()?;
            Ok(())
        },
        (0.0, t_end),
        &y0,
        &Options::adaptive(1e-12, 1e-12).save(SaveAt::End),
    )
    .unwrap();
    sol.y_last().sum_all().unwrap().backward().unwrap();
    let g = k.grad().unwrap().to_vec::<f64>().unwrap()[0];
    let want = -t_end * y0v * (-k0 * t_end).exp();
    assert!((g - want).abs() < 1e-6, "d y(T)/dk = {g}, want {want}");
}
