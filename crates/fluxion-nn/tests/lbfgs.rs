//! L-BFGS and the strong-Wolfe line search: Rosenbrock in 2 and 10 dimensions, finite
//! termination on a quadratic, the fixed-step variant, the interpolation and Wolfe
//! conditions, and a resumable state.

#[path = "common/optim_reference.rs"]
mod reference;

use fluxion_autodiff::Var;
use fluxion_nn::optim::cubic_interpolate;
use fluxion_nn::{Error, Lbfgs, LbfgsConfig, Optimizer, StrongWolfe};
use fluxion_tensor::DType;
use reference::{quadratic, t, values};

/// Chained Rosenbrock f(x) = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)².
fn rosenbrock(x: &Var) -> Var {
    reference::rosenbrock_scaled(x, 1.0)
}

/// The closure L-BFGS calls: zero the gradient, evaluate, backward, return the loss.
fn closure_for<'a>(
    x: &'a Var,
    f: &'a dyn Fn(&Var) -> Var,
) -> impl FnMut() -> fluxion_nn::Result<f64> + 'a {
    move || {
        x.zero_grad();
        let loss = f(x);
        loss.backward()?;
        Ok(loss.tensor().to_scalar::<f64>()?)
    }
}

fn start(n: usize) -> Var {
    reference::rosenbrock_start(n)
}

fn max_error_from_ones(x: &Var) -> f64 {
    reference::max_error_from_ones(&x.tensor().to_vec::<f64>().unwrap())
}

/// Minimises Rosenbrock from (−1.2, 1, −1.2, …) with the strong-Wolfe search, calling
/// `step_with` until max|∇f| is below the (tightened) gradient tolerance.
fn solve_rosenbrock(n: usize) -> (Var, Lbfgs) {
    let x = start(n);
    let config = LbfgsConfig {
        max_iter: 100,
        tolerance_grad: 1e-12,
        tolerance_change: 1e-20,
        line_search: Some(StrongWolfe::default()),
        ..LbfgsConfig::default()
    };
    let mut opt = Lbfgs::new(vec![x.clone()], config).unwrap();
    let f: &dyn Fn(&Var) -> Var = &rosenbrock;
    for _ in 0..20 {
        opt.step_with(&mut closure_for(&x, f)).unwrap();
        let g = x.grad().unwrap().to_vec::<f64>().unwrap();
        if g.iter().all(|v| v.abs() <= 1e-12) || max_error_from_ones(&x) == 0.0 {
            break;
        }
    }
    (x, opt)
}

#[test]
fn rosenbrock_2d_converges_with_strong_wolfe() {
    let (x, opt) = solve_rosenbrock(2);
    let err = max_error_from_ones(&x);
    println!(
        "2-D Rosenbrock: {} iterations, {} evaluations, max|x − 1| = {err:e}",
        opt.n_iter(),
        opt.func_evals()
    );
    assert!(err <= 1e-8, "max|x − 1| = {err}");
}

#[test]
fn rosenbrock_10d_converges_with_strong_wolfe() {
    let (x, opt) = solve_rosenbrock(10);
    let err = max_error_from_ones(&x);
    println!(
        "10-D Rosenbrock: {} iterations, {} evaluations, max|x − 1| = {err:e}",
        opt.n_iter(),
        opt.func_evals()
    );
    assert!(err <= 1e-8, "max|x − 1| = {err}");
}

#[test]
fn rosenbrock_decreases_without_line_search() {
    let x = start(2);
    let config = LbfgsConfig {
        lr: 0.1,
        max_iter: 10,
        ..LbfgsConfig::default()
    };
    let mut opt = Lbfgs::new(vec![x.clone()], config).unwrap();
    let f: &dyn Fn(&Var) -> Var = &rosenbrock;
    let mut closure = closure_for(&x, f);
    let first = opt.step_with(&mut closure).unwrap();
    // f(−1.2, 1) = 100·(1 − 1.44)² + 2.2² = 19.36 + 4.84 = 24.2.
    assert!((first - 24.2).abs() < 1e-12, "{first}");
    let mut last = first;
    for _ in 0..5 {
        last = opt.step_with(&mut closure).unwrap();
    }
    println!(
        "fixed-step L-BFGS: f from {first} to {last} in {} iterations",
        opt.n_iter()
    );
    assert!(last < first, "{last} ≥ {first}");
}

/// Gaussian elimination with partial pivoting.
fn solve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut row = a[i * n..(i + 1) * n].to_vec();
            row.push(b[i]);
            row
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))
            .unwrap();
        m.swap(c, p);
        for r in c + 1..n {
            let f = m[r][c] / m[c][c];
            for k in c..=n {
                m[r][k] -= f * m[c][k];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        x[r] = (m[r][n] - (r + 1..n).map(|k| m[r][k] * x[k]).sum::<f64>()) / m[r][r];
    }
    x
}

#[test]
fn quadratic_is_solved_within_n_plus_one_iterations() {
    // f(x) = ½ xᵀA x − bᵀx with a seeded SPD A (6 × 6) over two parameters of shapes [3]
    // and [1, 3], so the flat vector spans both; the minimiser is A⁻¹b.
    let n = 6;
    let q = quadratic(n, 21);
    let want = solve(&q.a, &q.b);
    let params = q.params(DType::F64);
    // On a quadratic the cubic interpolation is exact, so a tight curvature condition makes
    // the search exact and L-BFGS reproduces conjugate gradients: n iterations in exact
    // arithmetic. max_iter = n + 1 (one more for rounding) caps the run, so reaching 1e-10
    // shows convergence within n + 1 iterations.
    let config = LbfgsConfig {
        max_iter: n + 1,
        max_eval: Some(1000),
        tolerance_grad: 1e-13,
        tolerance_change: 0.0,
        line_search: Some(StrongWolfe {
            c2: 1e-3,
            ..StrongWolfe::default()
        }),
        ..LbfgsConfig::default()
    };
    let mut opt = Lbfgs::new(params.clone(), config).unwrap();
    opt.step_with(&mut || {
        zero_grads(&params);
        let loss = q.loss(&params);
        loss.backward()?;
        Ok(loss.tensor().to_scalar::<f64>()?)
    })
    .unwrap();
    let got = values(&params);
    let err = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "quadratic n = {n}: {} iterations, {} evaluations, max error {err:e}",
        opt.n_iter(),
        opt.func_evals()
    );
    assert!(opt.n_iter() <= n as u64 + 1);
    assert!(err <= 1e-10, "max|x − x*| = {err}");
}

fn zero_grads(params: &[Var]) {
    params.iter().for_each(Var::zero_grad);
}

#[test]
fn cubic_interpolation_is_exact_on_cubics() {
    // φ(t) = t³ − 3t (minimum at t = 1 on [0, 2]): φ(0) = 0, φ'(0) = −3, φ(2) = 2, φ'(2) = 9.
    let t = cubic_interpolate((0.0, 0.0, -3.0), (2.0, 2.0, 9.0), None);
    assert!((t - 1.0).abs() < 1e-15, "{t}");
    // The same with the points swapped.
    let t = cubic_interpolate((2.0, 2.0, 9.0), (0.0, 0.0, -3.0), None);
    assert!((t - 1.0).abs() < 1e-15, "{t}");
    // A quadratic (t − 0.3)²: minimum 0.3.
    let t = cubic_interpolate((0.0, 0.09, -0.6), (1.0, 0.49, 1.4), None);
    assert!((t - 0.3).abs() < 1e-15, "{t}");
    // Clamped to the bounds.
    assert_eq!(
        cubic_interpolate((0.0, 0.0, -3.0), (2.0, 2.0, 9.0), Some((1.5, 3.0))),
        1.5
    );
    // No real minimiser: φ(t) = t − t² + ⅔t³ rises everywhere (φ' = 1 − 2t + 2t² > 0);
    // φ(0) = 0, φ'(0) = 1, φ(1) = ⅔, φ'(1) = 1 give d₁ = 2 − 3·(−⅔)/(−1) = 0 and
    // d₁² − g₁g₂ = −1 < 0, so the middle of the bounds.
    assert_eq!(
        cubic_interpolate((0.0, 0.0, 1.0), (1.0, 2.0 / 3.0, 1.0), None),
        0.5
    );
}

#[test]
fn strong_wolfe_returns_a_point_satisfying_both_conditions() {
    // φ along d = 1 from x = 0 for f(x) = x⁴ − 3x² + x (min near 1.13): a first trial of 3
    // overshoots, so the search has to bracket and zoom.
    let f = |x: f64| x.powi(4) - 3.0 * x * x + x;
    let df = |x: f64| 4.0 * x.powi(3) - 6.0 * x + 1.0;
    let ls = StrongWolfe::default();
    let (f0, g0) = (f(0.0), df(0.0));
    let mut evals = 0;
    let mut obj = |t: f64| {
        evals += 1;
        Ok((f(t), vec![df(t)]))
    };
    let out = ls.search(&mut obj, 3.0, &[1.0], f0, &[g0], g0).unwrap();
    assert_eq!(out.func_evals, evals);
    assert!(out.func_evals > 1);
    assert!(
        out.loss <= f0 + ls.c1 * out.t * g0,
        "Armijo fails at t = {}",
        out.t
    );
    assert!(
        out.grad[0].abs() <= ls.c2 * g0.abs(),
        "curvature fails at t = {}",
        out.t
    );
    assert_eq!(out.loss, f(out.t));
}

#[test]
fn step_without_closure_is_an_error() {
    let x = start(2);
    let mut opt = Lbfgs::new(vec![x], LbfgsConfig::default()).unwrap();
    assert!(matches!(opt.step(), Err(Error::NeedsClosure { .. })));
    assert!(Lbfgs::new(Vec::new(), LbfgsConfig::default()).is_err());
    let bad = LbfgsConfig {
        history_size: 0,
        ..LbfgsConfig::default()
    };
    let msg = Lbfgs::new(vec![start(2)], bad).unwrap_err().to_string();
    assert!(msg.contains("history_size"), "{msg}");
    assert_eq!(LbfgsConfig::default().max_eval(), 25);
}

#[test]
fn state_round_trip_continues_identically() {
    for line_search in [None, Some(StrongWolfe::default())] {
        let x = start(4);
        let config = LbfgsConfig {
            lr: if line_search.is_some() { 1.0 } else { 0.05 },
            max_iter: 4,
            history_size: 3,
            line_search,
            ..LbfgsConfig::default()
        };
        let f: &dyn Fn(&Var) -> Var = &rosenbrock;
        let mut a = Lbfgs::new(vec![x.clone()], config).unwrap();
        for _ in 0..2 {
            a.step_with(&mut closure_for(&x, f)).unwrap();
        }
        let saved = a.state();
        assert!(saved.tensors.contains_key("old_dirs.0"));
        let y = Var::leaf(x.tensor());
        let mut b = Lbfgs::new(vec![y.clone()], LbfgsConfig::default()).unwrap();
        b.load_state(&saved).unwrap();
        assert_eq!(
            b.config(),
            &LbfgsConfig {
                max_eval: Some(5),
                ..config
            }
        );
        for _ in 0..3 {
            let la = a.step_with(&mut closure_for(&x, f)).unwrap();
            let lb = b.step_with(&mut closure_for(&y, f)).unwrap();
            assert_eq!(la, lb);
            assert_eq!(
                x.tensor().to_vec::<f64>().unwrap(),
                y.tensor().to_vec::<f64>().unwrap()
            );
        }
        assert_eq!(a.func_evals(), b.func_evals());
        assert_eq!(a.state().scalars, b.state().scalars);
    }
}

#[test]
fn load_state_names_the_entry_that_does_not_fit() {
    let x = start(4);
    let f: &dyn Fn(&Var) -> Var = &rosenbrock;
    let mut opt = Lbfgs::new(vec![x.clone()], LbfgsConfig::default()).unwrap();
    opt.step_with(&mut closure_for(&x, f)).unwrap();
    let good = opt.state();
    let mut fresh = Lbfgs::new(vec![start(4)], LbfgsConfig::default()).unwrap();
    let err = |s: &fluxion_nn::OptimizerState, opt: &mut Lbfgs| match opt.load_state(s) {
        Err(e @ Error::OptimizerState { .. }) => e.to_string(),
        other => panic!("expected an OptimizerState error, got {other:?}"),
    };

    let mut s = good.clone();
    s.kind = "adam".into();
    assert!(err(&s, &mut fresh).contains("kind"));
    let mut s = good.clone();
    s.tensors.insert("d".into(), t(vec![0.0; 3], &[3]));
    assert!(err(&s, &mut fresh).contains("d:"));
    let mut s = good.clone();
    s.tensors.remove("old_stps.0");
    assert!(err(&s, &mut fresh).contains("old_stps.0"));
    let mut s = good.clone();
    let extra = s.tensors["d"].clone();
    s.tensors.insert("old_dirs.99".into(), extra);
    assert!(err(&s, &mut fresh).contains("old_dirs.99"));
    let mut other = Lbfgs::new(vec![start(3)], LbfgsConfig::default()).unwrap();
    assert!(err(&good, &mut other).contains("numel"));
    fresh.load_state(&good).unwrap();
}

/// Iterates, iteration counts and evaluation counts against what PyTorch 2.5.1 printed for
/// `torch.optim.LBFGS([x], lr, line_search_fn, max_iter)` on the same Rosenbrock in f64
/// (the loss as `(100*(b - a**2)**2 + (1 - a)**2).sum()` over `a, b = x[:-1], x[1:]`).
///
/// The counts must agree exactly (they follow the same branches). The iterates agree to
/// rounding only: the gradient sums and dot products run in another order than PyTorch's,
/// and along the curved valley the ulp-level difference grows about tenfold every three
/// iterations (measured: 1e-16 after 5, 2e-13 after 20, 1e-7 after 56). After at most 20
/// iterations 1e-10 relative is ample, while a different branch or formula moves the
/// iterates by more than 1e-3.
#[test]
fn matches_iterates_printed_by_pytorch() {
    let wolfe = LbfgsConfig {
        line_search: Some(StrongWolfe::default()),
        ..LbfgsConfig::default()
    };
    let fixed = LbfgsConfig {
        lr: 0.1,
        max_iter: 10,
        ..LbfgsConfig::default()
    };
    // (config, n, iterations, evaluations, iterate after one step_with call)
    #[rustfmt::skip]
    let cases: [(LbfgsConfig, usize, u64, u64, &[f64]); 3] = [
        (wolfe, 2, 19, 25, &[0.38062264334648777, 0.12491013187293636]),
        (fixed, 2, 10, 10, &[-1.0731883206935724, 1.0551729273427284]),
        (wolfe, 10, 20, 23, &[0.08613978717085255, 0.0068419966757857255, -0.0012750264463923203,
                              0.005590244139817973, 0.007095861012284031, 0.010367637351204492,
                              0.006288713888612128, 0.008935895633284383, 0.019230463737456113,
                              0.0064973437673895885]),
    ];
    let f: &dyn Fn(&Var) -> Var = &rosenbrock;
    for (config, n, n_iter, func_evals, want) in cases {
        let x = start(n);
        let mut opt = Lbfgs::new(vec![x.clone()], config).unwrap();
        opt.step_with(&mut closure_for(&x, f)).unwrap();
        let got = x.tensor().to_vec::<f64>().unwrap();
        let label = format!("n = {n}, {config:?}");
        assert_eq!(
            (opt.n_iter(), opt.func_evals()),
            (n_iter, func_evals),
            "{label}"
        );
        let close = got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= 1e-10 * w.abs());
        assert!(close, "{label}: {got:?} vs {want:?}");
    }
}

/// Every trial step of the line search against the trials PyTorch 2.5.1's `_strong_wolfe`
/// made (printed from its `obj_func`) along d = −φ'(x₀) from x₀, for φ(x) = x⁴ − 3x² + x,
/// eˣ − 5x and sin 3x + x²/10, first steps from 1e-3 to 30. The cases were picked (from a
/// grid, with an instrumented copy of `_strong_wolfe`) so that between them every branch
/// runs: extrapolation clamped to 10t and to t + 0.01(t − t_prev), bracketing on
/// f ≥ f_prev (from the third trial only), zoom with the old high becoming the low, and the 10% rule near an end of
/// the bracket. The trial sequence must match in length exactly and in value to rounding
/// (1e-12 relative: only the order of a few scalar operations differs).
#[test]
fn strong_wolfe_trials_match_pytorch() {
    type Phi = fn(f64) -> (f64, f64);
    let quartic: Phi = |x| (x.powi(4) - 3.0 * x * x + x, 4.0 * x.powi(3) - 6.0 * x + 1.0);
    let exp: Phi = |x| (x.exp() - 5.0 * x, x.exp() - 5.0);
    let sin: Phi = |x| {
        (
            (3.0 * x).sin() + 0.1 * x * x,
            3.0 * (3.0 * x).cos() + 0.2 * x,
        )
    };
    #[rustfmt::skip]
    let cases: [(Phi, f64, f64, &[f64]); 16] = [
        (quartic, 0.0, 1e-3, &[0.001, 0.01, 0.1, 1.0, 1.4196129596249838, 1.299934112717194]),
        (quartic, 0.0, 0.05, &[0.05, 0.5, 2.167763357163595, 1.3061868557139924]),
        (quartic, 0.0, 1.0, &[1.0, 1.4484026266372383, 1.2998960161364006]),
        (quartic, 0.0, 3.0, &[3.0, 1.3737734478532144, 1.280584780307375]),
        (quartic, 0.0, 30.0, &[30.0, 10.033887012635141, 3.4491071275203184, 1.4724496891272514,
                               1.2598042530120805]),
        (exp, 0.0, 1e-3, &[0.001, 0.01, 0.1]),
        (exp, 0.0, 0.05, &[0.05, 0.48382321677751955]),
        (exp, 0.0, 1.0, &[1.0, 0.47674364935437064]),
        (exp, 0.0, 3.0, &[3.0, 1.8000668466300422, 0.9755641142239453, 0.46653829555605275]),
        (exp, 0.0, 30.0, &[30.0, 19.830508474576273, 13.049361341665493, 8.526267116942334,
                           5.507128834672548, 3.4881096233928255, 2.1308619499989794,
                           1.2045968247616083, 0.5817845753740669, 0.3894462691013261]),
        // Extrapolation held at t + 0.01(t − t_prev).
        (quartic, 0.1, 1e-3, &[0.001, 0.00101, 0.0010101, 0.004713245494092356,
                               0.004750276949033279, 0.004750647263582689, 0.026128561801277535,
                               0.026342340946654483, 0.026344478738108253, 0.2634447873810825,
                               0.26581579046751225, 2.6581579046751225, 3.8745747881404524,
                               3.464431728035266]),
        // Bracketing on f ≥ f_prev.
        (quartic, 0.3, 0.01778279410038923, &[0.01778279410038923, 0.1778279410038923,
                                              1.778279410038923, 1.175742049715474]),
        (exp, -1.5, 0.0017782794100389228, &[0.0017782794100389228, 0.01778279410038923,
                                             0.1778279410038923, 0.9687794266072998,
                                             0.635925011854467]),
        // f ≥ f_prev at the second trial does not bracket yet (only from the third).
        (sin, -1.58, 1.0, &[1.0, 9.40040563463157, 9.484409690977886, 19.015676834595325,
                            10.674996916694319, 12.260591493277634, 13.097966617181179,
                            13.328310887098702]),
        // The 10% rule: a trial at the end of the bracket moves 10% inside it.
        (sin, -0.6, 17.78279410038923, &[17.78279410038923, 1.2878485579734296,
                                         0.12878485579734297]),
        // Zoom where the old high becomes the new low.
        (quartic, -1.0, 3.1622776601683795, &[3.1622776601683795, 0.8472516468491529,
                                              0.16075255914449227, 0.09997982814049194]),
    ];
    for (phi, x0, t0, want) in cases {
        let (f0, g0) = phi(x0);
        let d = -g0;
        let mut trials = Vec::new();
        let mut obj = |t: f64| {
            trials.push(t);
            let (f, g) = phi(x0 + t * d);
            Ok((f, vec![g]))
        };
        let out = StrongWolfe::default()
            .search(&mut obj, t0, &[d], f0, &[g0], g0 * d)
            .unwrap();
        assert_eq!(trials.len(), want.len(), "x0 = {x0}, t0 = {t0}: {trials:?}");
        assert_eq!(out.func_evals, want.len());
        for (a, b) in trials.iter().zip(want) {
            assert!(
                (a - b).abs() <= 1e-12 * b,
                "x0 = {x0}, t0 = {t0}: {trials:?} vs {want:?}"
            );
        }
        assert_eq!(out.t, *trials.last().unwrap());
    }
}
