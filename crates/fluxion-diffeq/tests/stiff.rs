//! The stiff solver: Rodas5P's order conditions, the dense LU, convergence order on
//! Prothero–Robinson, Robertson and Van der Pol (μ = 1000) against high-accuracy references,
//! explicit methods running out of steps on them, the autodiff and finite-difference Jacobians,
//! mass conservation, `SaveAt::Times` and errors (dense output: `stiff_dense.rs`; batches:
//! `stiff_batch.rs`).

use fluxion_autodiff::Var;
use fluxion_diffeq::{
    jacobian_autodiff, problems, solve, solve_stiff, Error, Jacobian, Lu, Method, Options, SaveAt,
    StiffMethod, RODAS5P,
};

// ---------------------------------------------------------------------------------------------
// Order conditions
// ---------------------------------------------------------------------------------------------

/// A rooted tree as the list of its children.
#[derive(Clone, Debug)]
struct Tree(Vec<Tree>);

impl Tree {
    fn order(&self) -> usize {
        1 + self.0.iter().map(Tree::order).sum::<usize>()
    }
    /// The density γ(t) = |t|·Π γ(children) (HNW I, Definition II.2.10).
    fn density(&self) -> f64 {
        self.order() as f64 * self.0.iter().map(Tree::density).product::<f64>()
    }
}

/// Every rooted tree of order `n` (as ordered child lists; duplicates only repeat a condition).
fn trees(n: usize) -> Vec<Tree> {
    if n == 1 {
        return vec![Tree(vec![])];
    }
    // Children: sequences of trees whose orders sum to n − 1, non-increasing in order.
    fn forests(total: usize, max_first: usize) -> Vec<Vec<Tree>> {
        if total == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for k in (1..=total.min(max_first)).rev() {
            for t in trees(k) {
                for mut rest in forests(total - k, k) {
                    rest.insert(0, t.clone());
                    out.push(rest);
                }
            }
        }
        out
    }
    forests(n - 1, n - 1).into_iter().map(Tree).collect()
}

/// The classical coefficients (α strictly lower, Γ lower with diagonal γ, b) of a tableau in
/// transformed form: Γ⁻¹ = diag(1/γ) − C, α = A·Γ, b = m·Γ (HNW II, eq. IV.7.26).
fn classical(
    a: &[&[f64]],
    c_mat: &[&[f64]],
    gamma: f64,
    m: &[f64],
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) {
    let s = m.len();
    let mut ginv = vec![vec![0.0; s]; s];
    for i in 0..s {
        ginv[i][i] = 1.0 / gamma;
        for (j, cij) in c_mat[i].iter().enumerate() {
            ginv[i][j] = -cij;
        }
    }
    // Γ = (Γ⁻¹)⁻¹, lower triangular, column by column by forward substitution.
    let mut g = vec![vec![0.0; s]; s];
    for col in 0..s {
        for i in col..s {
            let mut r = if i == col { 1.0 } else { 0.0 };
            for k in col..i {
                r -= ginv[i][k] * g[k][col];
            }
            g[i][col] = r / ginv[i][i];
        }
    }
    let mat_a = |i: usize, j: usize| a[i].get(j).copied().unwrap_or(0.0);
    let alpha: Vec<Vec<f64>> = (0..s)
        .map(|i| {
            (0..s)
                .map(|j| (0..s).map(|k| mat_a(i, k) * g[k][j]).sum())
                .collect()
        })
        .collect();
    let b: Vec<f64> = (0..s)
        .map(|j| (0..s).map(|k| m[k] * g[k][j]).sum())
        .collect();
    (alpha, g, b)
}

/// Elementary weights Φᵢ(t): a vertex with one child links to it through α + Γ (the `f'` of
/// the stage and the `J·Σγᵢⱼkⱼ` term), one with several children only through α (HNW II, IV.7).
fn phi(t: &Tree, alpha: &[Vec<f64>], g: &[Vec<f64>]) -> Vec<f64> {
    let s = alpha.len();
    let mut out = vec![1.0; s];
    let single = t.0.len() == 1;
    for child in &t.0 {
        let pc = phi(child, alpha, g);
        for i in 0..s {
            let mut acc = 0.0;
            for j in 0..s {
                let w = if single {
                    alpha[i][j] + g[i][j]
                } else {
                    alpha[i][j]
                };
                acc += w * pc[j];
            }
            out[i] *= acc;
        }
    }
    out
}

/// max over trees of order `p` of |bᵀΦ(t) − 1/γ(t)|.
fn max_residual(p: usize, b: &[f64], alpha: &[Vec<f64>], g: &[Vec<f64>]) -> f64 {
    trees(p)
        .iter()
        .map(|t| {
            let ph = phi(t, alpha, g);
            let bt: f64 = b.iter().zip(&ph).map(|(x, y)| x * y).sum();
            (bt - 1.0 / t.density()).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn tree_counts_are_right() {
    // 1, 1, 2, 4, 9 rooted trees of orders 1–5 (OEIS A000081) — the enumeration is not vacuous.
    let counts: Vec<usize> = (1..=5).map(|p| trees(p).len()).collect();
    assert_eq!(counts, vec![1, 1, 2, 4, 9]);
}

#[test]
fn rodas5p_satisfies_the_rosenbrock_order_conditions() {
    let tab = &RODAS5P;
    let s = tab.stages();
    let (alpha, g, b) = classical(tab.a, tab.c_mat, tab.gamma, tab.b);
    let emb: Vec<f64> = tab.b.iter().zip(tab.e).map(|(b, e)| b - e).collect();
    let (_, _, b_hat) = classical(tab.a, tab.c_mat, tab.gamma, &emb);
    // Coefficients are 16-digit decimals and Γ comes from a triangular inverse with entries up
    // to ~1e2, so the conditions hold to ~1e-12, not to ε; 1e-10 leaves a margin.
    let tol = 1e-10;
    for i in 0..s {
        let ci: f64 = alpha[i].iter().sum();
        let di: f64 = g[i].iter().sum();
        assert!(
            (ci - tab.c[i]).abs() < tol,
            "c[{i}] = {} vs Σα = {ci}",
            tab.c[i]
        );
        assert!(
            (di - tab.d[i]).abs() < tol,
            "d[{i}] = {} vs Σγ = {di}",
            tab.d[i]
        );
    }
    for p in 1..=5 {
        let r = max_residual(p, &b, &alpha, &g);
        println!("order {p}: max residual {r:e}");
        assert!(r < tol, "Rodas5P order-{p} condition violated by {r:e}");
    }
    for p in 1..=4 {
        let r = max_residual(p, &b_hat, &alpha, &g);
        assert!(r < tol, "embedded order-{p} condition violated by {r:e}");
    }
    // The embedded formula is genuinely of order 4 only, so the error estimate is O(h⁵).
    let r5 = max_residual(5, &b_hat, &alpha, &g);
    println!("embedded order 5: max residual {r5:e}");
    assert!(
        r5 > 1e-4,
        "embedded formula unexpectedly of order 5 ({r5:e})"
    );
    // Stiffly accurate: y₁ is the last stage's argument plus u₈ (b = last row of A, then 1).
    assert_eq!(&tab.b[..s - 1], tab.a[s - 1]);
}

// ---------------------------------------------------------------------------------------------
// LU
// ---------------------------------------------------------------------------------------------

/// A seeded xorshift generator in [−1, 1).
fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

#[test]
fn lu_solves_random_systems_to_backward_error() {
    let mut r = rng(0x5eed_1234);
    for n in [1, 2, 3, 8, 33] {
        let a: Vec<f64> = (0..n * n).map(|_| r()).collect();
        let b: Vec<f64> = (0..n).map(|_| r()).collect();
        let mut lu = Lu::new(n);
        lu.factor(&a).unwrap();
        let mut x = b.clone();
        lu.solve(&mut x);
        // Partial pivoting is backward stable: ‖Ax − b‖∞ ≤ c·n·ε·‖A‖∞‖x‖∞ (Higham, Thm 9.4),
        // c = 10 for the growth factor of random matrices.
        let norm_a = (0..n)
            .map(|i| a[i * n..(i + 1) * n].iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max);
        let norm_x = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let res = (0..n)
            .map(|i| {
                let ax: f64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                (ax - b[i]).abs()
            })
            .fold(0.0, f64::max);
        let bound = 10.0 * n as f64 * f64::EPSILON * norm_a * norm_x;
        assert!(res <= bound, "n = {n}: residual {res:e} > {bound:e}");
    }
    // A singular matrix (second row = 2 × first) is reported with the failing column.
    let mut lu = Lu::new(2);
    assert_eq!(lu.factor(&[1.0, 2.0, 2.0, 4.0]), Err(1));
    // So is a NaN that no pivot would touch (it would poison every solve).
    assert_eq!(lu.factor(&[1.0, f64::NAN, 0.0, 1.0]), Err(1));
}

// ---------------------------------------------------------------------------------------------
// Prothero–Robinson: y' = λ(y − cos t) − sin t, y(0) = 1, exact y = cos t (non-autonomous)
// ---------------------------------------------------------------------------------------------

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
fn rodas5p_converges_with_order_5_on_a_nonstiff_nonautonomous_problem() {
    // λ = −1 (non-stiff): fixed steps h = 0.4, 0.2, 0.1 on [0, 4]. A wrong c, d or C row, or a
    // dropped ∂f/∂t term, lowers the observed order to ≤ 4.
    let err = |n: usize, jac: Jacobian<'static>| {
        let sol = solve_stiff(
            StiffMethod::Rodas5P,
            prothero(-1.0),
            jac,
            (0.0, 4.0),
            &[1.0],
            &Options::fixed(4.0 / n as f64),
        )
        .unwrap();
        assert_eq!(sol.stats.accepted, n);
        (sol.y_last()[0] - 4f64.cos()).abs()
    };
    let errs: Vec<f64> = [10, 20, 40]
        .iter()
        .map(|&n| err(n, prothero_jac(-1.0)))
        .collect();
    let orders: Vec<f64> = errs.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
    println!("Prothero–Robinson λ = −1: errors {errs:?}, observed orders {orders:.3?}");
    for p in &orders {
        // Asymptotic order 5; 4.6 allows for the pre-asymptotic regime at h = 0.4.
        assert!(*p > 4.6, "observed order {p} below 5");
    }
    // The default finite-difference ∂f/∂t costs ~√ε relative accuracy in one term only.
    let fd = err(20, Jacobian::finite_differences());
    assert!(
        (fd - errs[1]).abs() < 1e-9,
        "FD Jacobian: {fd:e} vs exact {:e}",
        errs[1]
    );
}

#[test]
fn rodas5p_is_accurate_on_very_stiff_prothero_robinson() {
    // λ = −1e6: an explicit method needs h < 2.8e-6; Rodas5P (L-stable, stiffly accurate)
    // follows cos t with steps set by the smooth solution alone.
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-1e6),
        prothero_jac(-1e6),
        (0.0, 10.0),
        &[1.0],
        &Options::adaptive(1e-8, 1e-10),
    )
    .unwrap();
    let worst = sol
        .ts
        .iter()
        .zip(&sol.ys)
        .map(|(t, y)| (y[0] - t.cos()).abs())
        .fold(0.0, f64::max);
    println!(
        "Prothero–Robinson λ = −1e6: {:?}, max error {worst:e}",
        sol.stats
    );
    // Global error at rtol 1e-8 on an O(1) solution: within 100·rtol.
    assert!(worst < 1e-6, "max error {worst:e}");
    assert_eq!((sol.stats.accepted, sol.stats.rejected), (24, 0));
}

// ---------------------------------------------------------------------------------------------
// Robertson and Van der Pol against references
// ---------------------------------------------------------------------------------------------

fn robertson_jac(_t: f64, y: &[f64], j: &mut [f64]) -> fluxion_diffeq::Result<()> {
    j.copy_from_slice(&[
        -0.04,
        1e4 * y[2],
        1e4 * y[1],
        0.04,
        -1e4 * y[2] - 6e7 * y[1],
        -1e4 * y[1],
        0.0,
        6e7 * y[1],
        0.0,
    ]);
    Ok(())
}

fn robertson_var(_t: f64, y: &Var) -> fluxion_autodiff::Result<Var> {
    let (y1, y2, y3) = (y.narrow(0, 0, 1)?, y.narrow(0, 1, 1)?, y.narrow(0, 2, 1)?);
    let y2y3 = y2.mul(&y3)?.mul_scalar(1e4)?;
    let y2sq = y2.mul(&y2)?.mul_scalar(3e7)?;
    let d1 = y1.mul_scalar(-0.04)?.add(&y2y3)?;
    let d2 = y1.mul_scalar(0.04)?.sub(&y2y3)?.sub(&y2sq)?;
    Var::concat(&[&d1, &d2, &y2sq], 0)
}

fn vdp_jac(_t: f64, y: &[f64], j: &mut [f64]) -> fluxion_diffeq::Result<()> {
    let mu = 1000.0;
    j.copy_from_slice(&[
        0.0,
        1.0,
        -2.0 * mu * y[0] * y[1] - 1.0,
        mu * (1.0 - y[0] * y[0]),
    ]);
    Ok(())
}

fn max_rel_err(y: &[f64], reference: &[f64]) -> f64 {
    y.iter()
        .zip(reference)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn robertson_to_1e5_matches_the_reference() {
    let p = problems::ROBERTSON;
    let (t_end, reference) = problems::ROBERTSON_REF_T1E5;
    let run = |rtol: f64, atol: f64| {
        solve_stiff(
            StiffMethod::Rodas5P,
            p.closure(),
            Jacobian::analytic(robertson_jac).autonomous(),
            (0.0, t_end),
            &p.y0(),
            &Options::adaptive(rtol, atol),
        )
        .unwrap()
    };
    // atol 1e-14: y₂ is ~1e-5 at its peak and 7e-8 at the end; an atol near y₂ would let its
    // relative error grow unchecked.
    let sol = run(1e-8, 1e-14);
    let y = sol.y_last();
    let e = max_rel_err(y, &reference);
    println!(
        "Robertson rtol 1e-8: {:?}, max rel err {e:e}, y = {y:?}",
        sol.stats
    );
    assert!(e <= 1e-5, "relative error {e:e}");
    // Pinned (SciPy 1.17.1 at the same tolerances, exact Jacobian: Radau 648 steps / 5459
    // f-evals, BDF 765 / 2398 with rel err 1.3e-7, LSODA 1069 / 1721 with 1.0e-7; the
    // predictive controller of tests/stiff_control.rs: 311 + 2). Per attempted step 7 evaluations of f, per
    // accepted step but the last one more for f(t₁, y₁), plus f(t₀, y₀) and the initial-step probe.
    assert_eq!((sol.stats.accepted, sol.stats.rejected), (348, 1));
    assert_eq!(
        sol.stats.f_evals,
        7 * (sol.stats.accepted + sol.stats.rejected) + sol.stats.accepted + 1
    );
    // Mass y₁ + y₂ + y₃ = 1 is a linear invariant, which a Rosenbrock method with the exact
    // Jacobian keeps up to rounding (a few ε per step over ~10² steps).
    let drift = sol
        .ys
        .iter()
        .map(|y| (y.iter().sum::<f64>() - 1.0).abs())
        .fold(0.0, f64::max);
    println!("Robertson mass drift {drift:e}");
    assert!(drift < 1e-12, "mass drift {drift:e}");
    // The reference itself: our own solve at rtol 1e-12 agrees with SciPy's Radau.
    let fine = run(1e-12, 1e-20);
    let e_fine = max_rel_err(fine.y_last(), &reference);
    println!(
        "Robertson rtol 1e-12: {:?}, max rel err {e_fine:e}",
        fine.stats
    );
    assert!(e_fine < 1e-9, "fine solve vs reference: {e_fine:e}");
}

#[test]
fn van_der_pol_mu_1000_matches_the_reference() {
    let p = problems::VAN_DER_POL_1000;
    let reference = problems::VAN_DER_POL_1000_REF;
    let run = |rtol: f64, atol: f64| {
        solve_stiff(
            StiffMethod::Rodas5P,
            p.closure(),
            Jacobian::analytic(vdp_jac).autonomous(),
            (p.t0, p.t1),
            &p.y0(),
            &Options::adaptive(rtol, atol),
        )
        .unwrap()
    };
    let sol = run(1e-8, 1e-10);
    let e = max_rel_err(sol.y_last(), &reference);
    println!("Van der Pol rtol 1e-8: {:?}, max rel err {e:e}", sol.stats);
    assert!(e <= 1e-5, "relative error {e:e}");
    // Pinned. Not "a few hundred": [0, 3000] holds almost two relaxation cycles, each with two
    // fast transitions that any method resolves in hundreds of steps at rtol 1e-8. The peers on
    // exactly this problem (SciPy 1.17.1, `solve_ivp`, rtol 1e-8, atol 1e-10, exact Jacobian;
    // steps = len(t) − 1): Radau 3753 steps / 29942 f-evals (rel err 1.0e-10), BDF 3657 / 11396
    // (2.5e-6), LSODA 3073 / 5102 (2.1e-6). At rtol 1e-6, atol 1e-8: ours 797 + 92 rejected,
    // Radau 1187, BDF 1647. Hairer's predictive controller (`RosenbrockController::Predictive`,
    // tests/stiff_control.rs) takes 2497 + 21 here.
    assert_eq!((sol.stats.accepted, sol.stats.rejected), (2597, 20));
    let fine = run(1e-12, 1e-14);
    let e_fine = max_rel_err(fine.y_last(), &reference);
    println!(
        "Van der Pol rtol 1e-12: {:?}, max rel err {e_fine:e}",
        fine.stats
    );
    assert!(e_fine < 1e-8, "fine solve vs reference: {e_fine:e}");
}

#[test]
fn dopri5_runs_out_of_steps_on_the_stiff_problems() {
    // Stability, not accuracy, limits an explicit method here: |hλ| ≲ 3.3 with λ ≈ −1e4
    // (Robertson late) or ≈ −3e3 (Van der Pol on the slow branch) needs ≳ 1e6 steps.
    let cases = [
        (problems::ROBERTSON, problems::ROBERTSON_REF_T1E5.0),
        (problems::VAN_DER_POL_1000, problems::VAN_DER_POL_1000.t1),
    ];
    for (p, t_end) in cases {
        let opts = Options::adaptive(1e-8, 1e-10).max_steps(100_000);
        match solve(Method::Dopri5, p.closure(), (p.t0, t_end), &p.y0(), &opts) {
            Err(e @ Error::MaxStepsReached { t, .. }) => {
                let msg = e.to_string();
                println!("{}: {msg}", p.name);
                assert!(t < t_end, "{}: stopped at t = {t}", p.name);
                assert!(msg.contains("max_steps = 100000"), "{msg}");
            }
            other => panic!("{}: expected MaxStepsReached, got {other:?}", p.name),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------------

#[test]
fn autodiff_jacobian_equals_the_hand_written_one() {
    for y in [[1.0, 0.0, 0.0], [0.9, 2.3e-5, 0.1], [0.0179, 7.3e-8, 0.982]] {
        let mut ad = vec![0.0; 9];
        let mut hand = vec![0.0; 9];
        jacobian_autodiff(&robertson_var, 0.0, &y, &mut ad).unwrap();
        robertson_jac(0.0, &y, &mut hand).unwrap();
        for (a, h) in ad.iter().zip(&hand) {
            // Both are one or two roundings of the same products.
            assert!(
                (a - h).abs() <= 1e-14 * h.abs().max(1.0),
                "{ad:?} vs {hand:?}"
            );
        }
    }
}

#[test]
fn autodiff_and_finite_difference_jacobians_solve_robertson() {
    let p = problems::ROBERTSON;
    let opts = Options::adaptive(1e-8, 1e-14);
    let run = |jac: Jacobian<'static>| {
        solve_stiff(
            StiffMethod::Rodas5P,
            p.closure(),
            jac,
            (p.t0, p.t1),
            &p.y0(),
            &opts,
        )
        .unwrap()
    };
    let exact = run(Jacobian::analytic(robertson_jac).autonomous());
    let ad = run(Jacobian::autodiff(robertson_var).autonomous());
    let fd = run(Jacobian::finite_differences());
    // Same Jacobian to rounding → the same steps and nearly the same answer.
    assert_eq!(ad.stats.accepted, exact.stats.accepted);
    assert!(max_rel_err(ad.y_last(), exact.y_last()) < 1e-12);
    // FD: J wrong by O(√ε) relative, ∂f/∂t by FD (zero here): same answer within tolerance.
    let e_fd = max_rel_err(fd.y_last(), exact.y_last());
    println!(
        "Robertson t = 40: exact {:?}, autodiff {:?}, FD {:?} (rel diff {e_fd:e})",
        exact.stats, ad.stats, fd.stats
    );
    assert!(e_fd < 1e-6, "FD Jacobian solve differs by {e_fd:e}");
}

// ---------------------------------------------------------------------------------------------
// Dense output, options, errors
// ---------------------------------------------------------------------------------------------

#[test]
fn save_at_times_uses_the_rodas_interpolant() {
    // λ = −10: smooth, mildly stiff. Interior points come from the 4th-order dense output.
    let times: Vec<f64> = (0..=512).map(|i| i as f64 * 5.0 / 512.0).collect();
    let opts = Options::adaptive(1e-9, 1e-12).save(SaveAt::Times(times.clone()));
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-10.0),
        prothero_jac(-10.0),
        (0.0, 5.0),
        &[1.0],
        &opts,
    )
    .unwrap();
    assert_eq!(sol.ts, times);
    let worst = sol
        .ts
        .iter()
        .zip(&sol.ys)
        .map(|(t, y)| (y[0] - t.cos()).abs())
        .fold(0.0, f64::max);
    println!(
        "dense output: {} steps, max error {worst:e}",
        sol.stats.accepted
    );
    // Several output times per step, so most points are interpolated. Linear interpolation
    // would be off by h²/8·max|y''| ≈ 2e-4 at h ≈ 0.04; the 4th-order interpolant must stay
    // near the steps' own accuracy (100·rtol).
    assert!(3 * sol.stats.accepted < times.len());
    assert!(worst < 1e-7, "max interpolation error {worst:e}");
}

#[test]
fn singular_iteration_matrix_is_reported_with_t_and_h() {
    let nan_jac = Jacobian::analytic(|_t, _y: &[f64], j: &mut [f64]| {
        j.fill(f64::NAN);
        Ok(())
    });
    let r = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-1.0),
        nan_jac,
        (0.0, 1.0),
        &[1.0],
        &Options::default(),
    );
    match r {
        Err(e @ Error::SingularMatrix { t, h, steps, .. }) => {
            let msg = e.to_string();
            assert_eq!(t, 0.0);
            assert!(h > 0.0 && steps == 5, "h = {h}, steps = {steps}");
            assert!(msg.contains("t = 0e0") && msg.contains("h = "), "{msg}");
        }
        other => panic!("expected SingularMatrix, got {other:?}"),
    }
    // Dense whole-span output is provided (tests/stiff_dense.rs checks its accuracy).
    let r = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-1.0),
        prothero_jac(-1.0),
        (0.0, 1.0),
        &[1.0],
        &Options::default().dense(true),
    )
    .unwrap();
    assert!(r.dense.is_some_and(|d| d.n_steps() == r.stats.accepted));
}

#[test]
fn backward_integration_and_save_end() {
    // Prothero–Robinson (λ = −1) from t = 2 back to 0, starting on y = cos t.
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        prothero(-1.0),
        prothero_jac(-1.0),
        (2.0, 0.0),
        &[2f64.cos()],
        &Options::adaptive(1e-10, 1e-12).save(SaveAt::End),
    )
    .unwrap();
    assert_eq!(sol.ts, vec![0.0]);
    assert!((sol.y_last()[0] - 1.0).abs() < 1e-8, "{:?}", sol.ys);
}
