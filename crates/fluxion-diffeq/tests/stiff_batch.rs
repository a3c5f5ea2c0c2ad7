//! The batched stiff solver: batches of Robertson, Van der Pol and Prothero–Robinson systems
//! with different parameters against per-system high-accuracy solves and exact solutions,
//! f32 against f64, the batched autodiff and finite-difference Jacobians against the analytic
//! one, the host-LU and uploaded-inverse linear solves against each other, the batched LU by
//! residuals, dense output on tensors, and errors.

use fluxion_autodiff::Var;
use fluxion_diffeq::{
    jacobian_autodiff_batch, problems, solve_stiff, solve_stiff_batch, solve_stiff_batch_with,
    BatchJacobian, BatchLinearSolve, BatchLu, Error, Jacobian, Options, RosenbrockOptions, SaveAt,
    StiffMethod,
};
use fluxion_tensor::{DType, Device, Tensor};

type R<T> = fluxion_diffeq::Result<T>;

const DEV: Device = Device::Cpu;

fn tensor(v: Vec<f64>, shape: &[usize], dtype: DType) -> Tensor {
    Tensor::from_vec(v, shape.to_vec(), &DEV)
        .unwrap()
        .to_dtype(dtype)
        .unwrap()
}

fn host(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap()
}

fn col(y: &Tensor, j: usize) -> fluxion_tensor::Result<Tensor> {
    y.narrow(1, j, 1)
}

fn max_rel_err(y: &[f64], reference: &[f64]) -> f64 {
    y.iter()
        .zip(reference)
        .map(|(a, b)| ((a - b) / b).abs())
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// Robertson with rate constants (k₁, k₂, k₃) per system
// ---------------------------------------------------------------------------------------------

const ROBERTSON_K: [[f64; 3]; 4] = [
    [0.04, 1e4, 3e7],
    [0.08, 1e4, 3e7],
    [0.04, 3e4, 1e7],
    [0.02, 5e3, 6e7],
];

/// The rate constants as three `[B, 1]` tensors.
fn robertson_k(dtype: DType) -> [Tensor; 3] {
    let b = ROBERTSON_K.len();
    [0, 1, 2].map(|i| tensor(ROBERTSON_K.iter().map(|k| k[i]).collect(), &[b, 1], dtype))
}

fn robertson_rhs(k: &[Tensor; 3], y: &Tensor) -> fluxion_tensor::Result<Tensor> {
    let (y1, y2, y3) = (col(y, 0)?, col(y, 1)?, col(y, 2)?);
    let d1 = k[0].mul(&y1)?.neg()?.add(&k[1].mul(&y2)?.mul(&y3)?)?;
    let d3 = k[2].mul(&y2.square()?)?;
    let d2 = d1.add(&d3)?.neg()?;
    Tensor::concat(&[&d1, &d2, &d3], 1)
}

fn robertson_f(dtype: DType) -> impl FnMut(f64, &Tensor, &mut Tensor) -> R<()> {
    let k = robertson_k(dtype);
    move |_t, y, dy| {
        *dy = robertson_rhs(&k, y)?;
        Ok(())
    }
}

/// `J_b` of system `b` at `y` (row-major 3 × 3).
fn robertson_jac_one(k: &[f64; 3], y: &[f64]) -> [f64; 9] {
    [
        -k[0],
        k[1] * y[2],
        k[1] * y[1],
        k[0],
        -k[1] * y[2] - 2.0 * k[2] * y[1],
        -k[1] * y[1],
        0.0,
        2.0 * k[2] * y[1],
        0.0,
    ]
}

/// The analytic batched Jacobian, computed on the host.
fn robertson_jac_batch<'a>() -> BatchJacobian<'a> {
    BatchJacobian::analytic(|_t, y: &Tensor| {
        let yv = host(y);
        let mut j = Vec::with_capacity(9 * ROBERTSON_K.len());
        for (b, k) in ROBERTSON_K.iter().enumerate() {
            j.extend(robertson_jac_one(k, &yv[3 * b..3 * b + 3]));
        }
        Ok(tensor(j, &[ROBERTSON_K.len(), 3, 3], y.dtype()))
    })
    .autonomous()
}

fn robertson_var(k: &[Tensor; 3], y: &Var) -> fluxion_autodiff::Result<Var> {
    let (y1, y2, y3) = (y.narrow(1, 0, 1)?, y.narrow(1, 1, 1)?, y.narrow(1, 2, 1)?);
    let [k1, k2, k3] = k.clone().map(Var::constant);
    let d1 = k1.mul(&y1)?.neg()?.add(&k2.mul(&y2)?.mul(&y3)?)?;
    let d3 = k3.mul(&y2.mul(&y2)?)?;
    let d2 = d1.add(&d3)?.neg()?;
    Var::concat(&[&d1, &d2, &d3], 1)
}

/// Per-system reference `y(t_end)` by the `Vec<f64>` solver at rtol 1e-12.
fn robertson_reference(k: [f64; 3], t_end: f64) -> Vec<f64> {
    let f = move |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
        dy[0] = -k[0] * y[0] + k[1] * y[1] * y[2];
        dy[2] = k[2] * y[1] * y[1];
        dy[1] = -dy[0] - dy[2];
        Ok(())
    };
    let jac = Jacobian::analytic(move |_t, y: &[f64], j: &mut [f64]| {
        j.copy_from_slice(&robertson_jac_one(&k, y));
        Ok(())
    })
    .autonomous();
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        f,
        jac,
        (0.0, t_end),
        &[1.0, 0.0, 0.0],
        &Options::adaptive(1e-12, 1e-20).save(SaveAt::End),
    )
    .unwrap();
    sol.y_last().clone()
}

fn robertson_y0(dtype: DType) -> Tensor {
    let b = ROBERTSON_K.len();
    let v: Vec<f64> = (0..b).flat_map(|_| [1.0, 0.0, 0.0]).collect();
    tensor(v, &[b, 3], dtype)
}

#[test]
fn robertson_batch_to_1e5_matches_per_system_references() {
    let t_end = problems::ROBERTSON_REF_T1E5.0;
    let opts = Options::adaptive(1e-8, 1e-14).save(SaveAt::End);
    let sol = solve_stiff_batch(
        StiffMethod::Rodas5P,
        robertson_f(DType::F64),
        robertson_jac_batch(),
        (0.0, t_end),
        &robertson_y0(DType::F64),
        &opts,
    )
    .unwrap();
    let y = host(sol.y_last());
    println!("Robertson batch of 4 to 1e5: {:?}", sol.stats);
    for (b, k) in ROBERTSON_K.iter().enumerate() {
        let reference = robertson_reference(*k, t_end);
        let e = max_rel_err(&y[3 * b..3 * b + 3], &reference);
        // The bar for one system at rtol 1e-8 is 1e-5 relative; the common step is set
        // by the RMS over the batch, so a member may see up to √B = 2 × the tolerance per step.
        println!("  k = {k:?}: max rel err {e:e}");
        assert!(e <= 1e-5, "system {b}: relative error {e:e}");
        // Mass y₁ + y₂ + y₃ = 1 is linear, kept to rounding by every member.
        let mass: f64 = y[3 * b..3 * b + 3].iter().sum();
        assert!((mass - 1.0).abs() < 1e-12, "system {b}: mass {mass}");
    }
    // The standard member is the problem of `problems::ROBERTSON_REF_T1E5` (SciPy's Radau).
    let e0 = max_rel_err(&y[0..3], &problems::ROBERTSON_REF_T1E5.1);
    assert!(e0 <= 1e-5, "standard member vs SciPy reference: {e0:e}");
    // A common step costs at most what the hardest member costs alone (348 steps for the
    // standard one in tests/stiff.rs) times a small factor.
    assert!(
        sol.stats.accepted < 1000,
        "{} steps for the batch",
        sol.stats.accepted
    );
}

#[test]
fn host_inverse_and_host_lu_agree() {
    // The strategy for non-CPU devices (E⁻¹ uploaded, stages by batched matmul), run here on
    // the CPU against the backward-stable host LU: same steps, same answer within tolerance.
    let t_end = 40.0;
    let opts = Options::adaptive(1e-8, 1e-14).save(SaveAt::End);
    let run = |linear_solve| {
        let ropts = RosenbrockOptions {
            linear_solve,
            ..RosenbrockOptions::default()
        };
        solve_stiff_batch_with(
            StiffMethod::Rodas5P,
            robertson_f(DType::F64),
            robertson_jac_batch(),
            (0.0, t_end),
            &robertson_y0(DType::F64),
            &opts,
            &ropts,
        )
        .unwrap()
    };
    let lu = run(BatchLinearSolve::HostLu);
    let inv = run(BatchLinearSolve::HostInverse);
    let auto = run(BatchLinearSolve::Auto);
    println!("HostLu {:?}, HostInverse {:?}", lu.stats, inv.stats);
    assert_eq!(
        host(auto.y_last()),
        host(lu.y_last()),
        "Auto on the CPU is HostLu"
    );
    let (a, b) = (host(lu.y_last()), host(inv.y_last()));
    let e = max_rel_err(&b, &a);
    assert!(e < 1e-7, "HostInverse vs HostLu: {e:e}");
    for (bi, k) in ROBERTSON_K.iter().enumerate() {
        let reference = robertson_reference(*k, t_end);
        let e = max_rel_err(&b[3 * bi..3 * bi + 3], &reference);
        assert!(e <= 1e-5, "HostInverse system {bi}: {e:e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Van der Pol with μ per system
// ---------------------------------------------------------------------------------------------

const MUS: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];

fn vdp_f(dtype: DType) -> impl FnMut(f64, &Tensor, &mut Tensor) -> R<()> {
    let mu = tensor(MUS.to_vec(), &[MUS.len(), 1], dtype);
    move |_t, y, dy| {
        let (x, v) = (col(y, 0)?, col(y, 1)?);
        let dv = x.square()?.rsub_scalar(1.0)?.mul(&v)?.mul(&mu)?.sub(&x)?;
        *dy = Tensor::concat(&[&v, &dv], 1)?;
        Ok(())
    }
}

fn vdp_jac_batch<'a>() -> BatchJacobian<'a> {
    BatchJacobian::analytic(|_t, y: &Tensor| {
        let yv = host(y);
        let mut j = Vec::new();
        for (b, mu) in MUS.iter().enumerate() {
            let (x, v) = (yv[2 * b], yv[2 * b + 1]);
            j.extend([0.0, 1.0, -2.0 * mu * x * v - 1.0, mu * (1.0 - x * x)]);
        }
        Ok(tensor(j, &[MUS.len(), 2, 2], y.dtype()))
    })
    .autonomous()
}

fn vdp_reference(mu: f64, t_end: f64) -> Vec<f64> {
    let f = move |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
        dy[0] = y[1];
        dy[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
        Ok(())
    };
    let jac = Jacobian::analytic(move |_t, y: &[f64], j: &mut [f64]| {
        j.copy_from_slice(&[
            0.0,
            1.0,
            -2.0 * mu * y[0] * y[1] - 1.0,
            mu * (1.0 - y[0] * y[0]),
        ]);
        Ok(())
    })
    .autonomous();
    let opts = Options::adaptive(1e-12, 1e-14).save(SaveAt::End);
    let sol = solve_stiff(
        StiffMethod::Rodas5P,
        f,
        jac,
        (0.0, t_end),
        &[2.0, 0.0],
        &opts,
    );
    sol.unwrap().y_last().clone()
}

#[test]
fn van_der_pol_batch_matches_per_system_references() {
    // μ from 1 (non-stiff) to 1000 (stiff) in one batch over [0, 20]: the μ = 1 member makes
    // about three oscillations, the μ = 1000 member stays on its slow branch.
    let t_end = 20.0;
    let y0 = tensor(
        MUS.iter().flat_map(|_| [2.0, 0.0]).collect(),
        &[4, 2],
        DType::F64,
    );
    let opts = Options::adaptive(1e-8, 1e-10).save(SaveAt::End);
    let sol = solve_stiff_batch(
        StiffMethod::Rodas5P,
        vdp_f(DType::F64),
        vdp_jac_batch(),
        (0.0, t_end),
        &y0,
        &opts,
    )
    .unwrap();
    let y = host(sol.y_last());
    println!("Van der Pol batch μ = {MUS:?} on [0, 20]: {:?}", sol.stats);
    for (b, mu) in MUS.iter().enumerate() {
        let reference = vdp_reference(*mu, t_end);
        let e = max_rel_err(&y[2 * b..2 * b + 2], &reference);
        println!("  μ = {mu}: max rel err {e:e}");
        // Global error at rtol 1e-8 after a few oscillations: within 1e-5 relative.
        assert!(e <= 1e-5, "μ = {mu}: relative error {e:e}");
    }
    // The μ = 1 member against SciPy's DOP853 (problems::VAN_DER_POL_1_REF).
    let e1 = max_rel_err(&y[0..2], &problems::VAN_DER_POL_1_REF);
    assert!(e1 <= 1e-5, "μ = 1 vs SciPy reference: {e1:e}");
}

// ---------------------------------------------------------------------------------------------
// Prothero–Robinson with λ per system: y' = λ(y − cos t) − sin t, y = cos t
// ---------------------------------------------------------------------------------------------

const LAMS: [f64; 4] = [-1.0, -1e2, -1e4, -1e6];

fn pr_f(dtype: DType) -> impl FnMut(f64, &Tensor, &mut Tensor) -> R<()> {
    let lam = tensor(LAMS.to_vec(), &[LAMS.len(), 1], dtype);
    move |t, y, dy| {
        *dy = y.sub_scalar(t.cos())?.mul(&lam)?.sub_scalar(t.sin())?;
        Ok(())
    }
}

fn pr_jac_batch<'a>(dtype: DType) -> BatchJacobian<'a> {
    let lam = tensor(LAMS.to_vec(), &[LAMS.len(), 1], dtype);
    let lam_j = lam.unsqueeze(2).unwrap();
    BatchJacobian::analytic(move |_t, _y: &Tensor| Ok(lam_j.clone())).with_time_derivative(
        move |t, _y: &Tensor| Ok(lam.mul_scalar(t.sin())?.sub_scalar(t.cos())?),
    )
}

fn pr_y0(dtype: DType) -> Tensor {
    Tensor::ones([LAMS.len(), 1], dtype, &DEV).unwrap()
}

#[test]
fn prothero_robinson_batch_follows_cos_t() {
    let times: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
    let opts = Options::adaptive(1e-8, 1e-10).save(SaveAt::Times(times.clone()));
    let sol = solve_stiff_batch(
        StiffMethod::Rodas5P,
        pr_f(DType::F64),
        pr_jac_batch(DType::F64),
        (0.0, 10.0),
        &pr_y0(DType::F64),
        &opts,
    )
    .unwrap();
    assert_eq!(sol.ts, times);
    let worst = sol
        .ts
        .iter()
        .zip(&sol.ys)
        .flat_map(|(t, y)| host(y).into_iter().map(move |v| (v - t.cos()).abs()))
        .fold(0.0, f64::max);
    println!(
        "Prothero–Robinson batch λ = {LAMS:?}: {:?}, max error {worst:e}",
        sol.stats
    );
    // Interpolated and step values alike within 100·rtol of the exact cos t.
    assert!(worst < 1e-6, "max error {worst:e}");
    // One step size for the batch: the λ = −1 member (non-stiff, its error is not damped)
    // sets h, and the batch takes 195 steps where the λ = −1e6 member alone takes 24
    // (tests/stiff.rs). Pinned: a change in the driver shows up here.
    assert_eq!((sol.stats.accepted, sol.stats.rejected), (195, 0));
    // The per-system solver on the stiffest member, for comparison: same tolerance met.
    let single = solve_stiff(
        StiffMethod::Rodas5P,
        |t, y: &Vec<f64>, dy: &mut Vec<f64>| {
            dy[0] = -1e6 * (y[0] - t.cos()) - t.sin();
            Ok(())
        },
        Jacobian::analytic(|_t, _y: &[f64], j: &mut [f64]| {
            j[0] = -1e6;
            Ok(())
        })
        .with_time_derivative(|t, _y: &[f64], d: &mut [f64]| {
            d[0] = -1e6 * t.sin() - t.cos();
            Ok(())
        }),
        (0.0, 10.0),
        &[1.0],
        &Options::adaptive(1e-8, 1e-10).save(SaveAt::End),
    )
    .unwrap();
    let y_batch = host(sol.y_last())[3];
    assert!((single.y_last()[0] - y_batch).abs() < 1e-7);
}

// ---------------------------------------------------------------------------------------------
// f32 against f64
// ---------------------------------------------------------------------------------------------

#[test]
fn f32_batch_agrees_with_f64_within_f32_tolerances() {
    // Same problems in f32 at rtol 1e-5 (f32 resolves ~6e-8 relative): the states and the
    // interpolated output are f32, the linear algebra f64 on the host.
    let opts = Options::adaptive(1e-5, 1e-7).save(SaveAt::End);
    let run = |dtype| {
        solve_stiff_batch(
            StiffMethod::Rodas5P,
            pr_f(dtype),
            pr_jac_batch(dtype),
            (0.0, 10.0),
            &pr_y0(dtype),
            &opts,
        )
        .unwrap()
    };
    let (s32, s64) = (run(DType::F32), run(DType::F64));
    assert_eq!(s32.y_last().dtype(), DType::F32);
    let (y32, y64) = (host(s32.y_last()), host(s64.y_last()));
    println!(
        "PR f32 {:?} {y32:?}, f64 {:?} {y64:?}",
        s32.stats, s64.stats
    );
    for (a, b) in y32.iter().zip(&y64) {
        // Both within ~100·rtol of cos 10 = −0.839; f32 adds rounding of ~1e-7 per step.
        assert!((a - 10f64.cos()).abs() < 1e-3, "f32 {a}");
        assert!((a - b).abs() < 1e-3, "f32 {a} vs f64 {b}");
    }

    // Robertson to t = 40 in f32 with the autodiff Jacobian (recorded in f32).
    let opts = Options::adaptive(1e-5, 1e-10).save(SaveAt::End);
    let run = |dtype| {
        let k = robertson_k(dtype);
        solve_stiff_batch(
            StiffMethod::Rodas5P,
            robertson_f(dtype),
            BatchJacobian::autodiff(move |_t, y: &Var| robertson_var(&k, y)).autonomous(),
            (0.0, 40.0),
            &robertson_y0(dtype),
            &opts,
        )
        .unwrap()
    };
    let (r32, r64) = (run(DType::F32), run(DType::F64));
    let (y32, y64) = (host(r32.y_last()), host(r64.y_last()));
    let e = max_rel_err(&y32, &y64);
    println!(
        "Robertson f32 {:?} vs f64 {:?}: max rel diff {e:e}",
        r32.stats, r64.stats
    );
    // rtol 1e-5 → global error of a few 1e-5; 1e-3 leaves room for f32 rounding in y₂ ~ 1e-5.
    assert!(e < 1e-3, "f32 vs f64 Robertson: {e:e}");
}

// ---------------------------------------------------------------------------------------------
// Jacobians
// ---------------------------------------------------------------------------------------------

#[test]
fn batched_autodiff_jacobian_equals_the_analytic_one() {
    // Four systems, each at a different state (start, transient, late).
    let states = [
        [1.0, 0.0, 0.0],
        [0.9, 2.3e-5, 0.1],
        [0.0179, 7.3e-8, 0.982],
        [0.5, 1e-6, 0.5],
    ];
    let y = tensor(
        states.iter().flatten().copied().collect(),
        &[4, 3],
        DType::F64,
    );
    let k = robertson_k(DType::F64);
    let ad = host(&jacobian_autodiff_batch(&|_t, y: &Var| robertson_var(&k, y), 0.0, &y).unwrap());
    for (b, kb) in ROBERTSON_K.iter().enumerate() {
        let exact = robertson_jac_one(kb, &states[b]);
        for (a, e) in ad[9 * b..9 * b + 9].iter().zip(&exact) {
            // Both are one or two roundings of the same products.
            assert!(
                (a - e).abs() <= 1e-12 * e.abs().max(1.0),
                "system {b}: {a} vs {e}"
            );
        }
    }

    // Finite differences through the solver: the same answer within tolerance.
    let opts = Options::adaptive(1e-8, 1e-14).save(SaveAt::End);
    let run = |jac| {
        solve_stiff_batch(
            StiffMethod::Rodas5P,
            robertson_f(DType::F64),
            jac,
            (0.0, 40.0),
            &robertson_y0(DType::F64),
            &opts,
        )
        .unwrap()
    };
    let exact = run(robertson_jac_batch());
    let k = robertson_k(DType::F64);
    let ad = run(BatchJacobian::autodiff(move |_t, y: &Var| robertson_var(&k, y)).autonomous());
    let fd = run(BatchJacobian::finite_differences());
    // Same Jacobian to rounding → the same steps and nearly the same answer.
    assert_eq!(ad.stats.accepted, exact.stats.accepted);
    let (ye, ya, yf) = (host(exact.y_last()), host(ad.y_last()), host(fd.y_last()));
    assert!(max_rel_err(&ya, &ye) < 1e-12);
    let e_fd = max_rel_err(&yf, &ye);
    println!(
        "Robertson batch t = 40: exact {:?}, autodiff {:?}, FD {:?} (rel diff {e_fd:e})",
        exact.stats, ad.stats, fd.stats
    );
    assert!(e_fd < 1e-6, "FD Jacobian batch differs by {e_fd:e}");
    // FD spends n = 3 batched evaluations per Jacobian and one for ∂f/∂t (not declared zero).
    assert!(fd.stats.f_evals > exact.stats.f_evals + 4 * fd.stats.accepted);
}

// ---------------------------------------------------------------------------------------------
// Batched LU
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
fn batch_lu_solves_and_inverts_random_systems_to_backward_error() {
    let mut r = rng(0x5eed_ba7c);
    for (batch, n) in [(1, 1), (7, 3), (64, 8), (3, 33)] {
        let a: Vec<f64> = (0..batch * n * n).map(|_| r()).collect();
        let rhs: Vec<f64> = (0..batch * n).map(|_| r()).collect();
        let mut lu = BatchLu::new(batch, n);
        assert_eq!((lu.batch(), lu.n()), (batch, n));
        lu.factor(&a).unwrap();
        let mut x = rhs.clone();
        lu.solve(&mut x);
        let mut inv = vec![0.0; batch * n * n];
        lu.inverse(&mut inv);
        for b in 0..batch {
            let ab = &a[b * n * n..(b + 1) * n * n];
            let xb = &x[b * n..(b + 1) * n];
            // ‖Ax − b‖∞ ≤ c·n·ε·‖A‖∞‖x‖∞ (Higham, Thm 9.4), c = 10 for random growth.
            let norm_a = (0..n)
                .map(|i| ab[i * n..(i + 1) * n].iter().map(|v| v.abs()).sum::<f64>())
                .fold(0.0, f64::max);
            let norm_x = xb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let res = (0..n)
                .map(|i| {
                    let ax: f64 = (0..n).map(|j| ab[i * n + j] * xb[j]).sum();
                    (ax - rhs[b * n + i]).abs()
                })
                .fold(0.0, f64::max);
            let bound = 10.0 * n as f64 * f64::EPSILON * norm_a * norm_x;
            assert!(
                res <= bound,
                "B = {batch}, n = {n}, b = {b}: {res:e} > {bound:e}"
            );
            // A·A⁻¹ = I within the same kind of bound (column-wise residuals of the solves).
            let ib = &inv[b * n * n..(b + 1) * n * n];
            let norm_inv = (0..n)
                .map(|i| ib[i * n..(i + 1) * n].iter().map(|v| v.abs()).sum::<f64>())
                .fold(0.0, f64::max);
            for i in 0..n {
                for j in 0..n {
                    let v: f64 = (0..n).map(|m| ab[i * n + m] * ib[m * n + j]).sum();
                    let e = (v - f64::from(u8::from(i == j))).abs();
                    let bound = 10.0 * n as f64 * f64::EPSILON * norm_a * norm_inv;
                    assert!(
                        e <= bound,
                        "A·A⁻¹ entry ({i}, {j}) off by {e:e} > {bound:e}"
                    );
                }
            }
        }
    }
    // The first failing system and column are reported.
    let mut lu = BatchLu::new(3, 2);
    let a = [
        1.0,
        0.0,
        0.0,
        1.0,
        1.0,
        2.0,
        2.0,
        4.0,
        f64::NAN,
        0.0,
        0.0,
        1.0,
    ];
    assert_eq!(lu.factor(&a), Err((1, 1)));
}

// ---------------------------------------------------------------------------------------------
// Dense output on tensors, errors
// ---------------------------------------------------------------------------------------------

#[test]
fn dense_output_on_a_batch_interpolates_every_member() {
    let opts = Options::adaptive(1e-9, 1e-12).dense(true);
    let sol = solve_stiff_batch(
        StiffMethod::Rodas5P,
        pr_f(DType::F64),
        pr_jac_batch(DType::F64),
        (0.0, 5.0),
        &pr_y0(DType::F64),
        &opts,
    )
    .unwrap();
    let dense = sol.dense.as_ref().expect("dense output requested");
    assert_eq!(dense.n_steps(), sol.stats.accepted);
    assert_eq!(dense.span(), Some((0.0, 5.0)));
    let mut worst = 0.0f64;
    for i in 0..=1000 {
        let t = i as f64 * 5.0 / 1000.0;
        for v in host(&dense.eval(t).unwrap()) {
            worst = worst.max((v - t.cos()).abs());
        }
    }
    println!(
        "batch dense output: {} steps, max error {worst:e}",
        sol.stats.accepted
    );
    assert!(worst < 1e-7, "dense error {worst:e}");
    // At every step start the dense output is the saved state itself.
    for (t, y) in sol.ts.iter().zip(&sol.ys).take(sol.ts.len() - 1) {
        assert_eq!(host(&dense.eval(*t).unwrap()), host(y), "t = {t}");
    }
}

#[test]
fn singular_and_non_finite_batches_give_the_documented_errors() {
    // One member's Jacobian is NaN: no usable pivot at any of 5 halvings → SingularMatrix.
    let nan_jac = BatchJacobian::analytic(|_t, y: &Tensor| {
        let mut j = vec![-1.0; LAMS.len()];
        j[2] = f64::NAN;
        Ok(tensor(j, &[LAMS.len(), 1, 1], y.dtype()))
    });
    let r = solve_stiff_batch(
        StiffMethod::Rodas5P,
        pr_f(DType::F64),
        nan_jac,
        (0.0, 1.0),
        &pr_y0(DType::F64),
        &Options::default(),
    );
    match r {
        Err(Error::SingularMatrix {
            t, steps, column, ..
        }) => {
            assert_eq!((t, steps, column), (0.0, 5, 0));
        }
        other => panic!("expected SingularMatrix, got {other:?}"),
    }
    // f turns non-finite for one member after t = 0.5: NonFiniteState after 5 halvings.
    let mut base = pr_f(DType::F64);
    let poisoned = move |t: f64, y: &Tensor, dy: &mut Tensor| {
        base(t, y, dy)?;
        if t > 0.5 {
            let mask = tensor(vec![0.0, f64::INFINITY, 0.0, 0.0], &[4, 1], DType::F64);
            *dy = dy.add(&mask)?;
        }
        Ok(())
    };
    let r = solve_stiff_batch(
        StiffMethod::Rodas5P,
        poisoned,
        pr_jac_batch(DType::F64),
        (0.0, 1.0),
        &pr_y0(DType::F64),
        &Options::default(),
    );
    assert!(
        matches!(r, Err(Error::NonFiniteState { t, .. }) if t <= 0.5 + 1e-12),
        "{r:?}"
    );
    // Shapes: a rank-1 state, and a Jacobian of the wrong shape, are argument errors.
    let r = solve_stiff_batch(
        StiffMethod::Rodas5P,
        pr_f(DType::F64),
        pr_jac_batch(DType::F64),
        (0.0, 1.0),
        &Tensor::ones([4], DType::F64, &DEV).unwrap(),
        &Options::default(),
    );
    assert!(
        matches!(r, Err(Error::InvalidArgument { name: "y0", .. })),
        "{r:?}"
    );
    let bad_jac = BatchJacobian::analytic(|_t, y: &Tensor| Ok(y.clone()));
    let r = solve_stiff_batch(
        StiffMethod::Rodas5P,
        pr_f(DType::F64),
        bad_jac,
        (0.0, 1.0),
        &pr_y0(DType::F64),
        &Options::default(),
    );
    assert!(
        matches!(r, Err(Error::InvalidArgument { name: "jac", .. })),
        "{r:?}"
    );
}
