//! Continuous adjoint vs backprop through the solver vs central finite differences, checkpoint
//! memory, and the seminorm (Kidger et al. 2021).
//!
//! Tolerances: the solves use rtol = atol = 1e-10, so adjoint and backprop gradients (each
//! exact to within the discretisation error) agree to ~1e-8 relative; the finite differences
//! use rtol = atol = 1e-13 and a step of 1e-4, so step-size noise (1e-13 / 1e-4) and
//! truncation (h² ≈ 1e-8 times third derivatives of order 1) stay below 1e-7.

use fluxion_autodiff::{no_grad, Var};
use fluxion_diffeq::{odeint_adjoint, solve, AdjointOptions, Method, Options, SaveAt};
use fluxion_nn::{Activation, Mlp, Module};
use fluxion_tensor::{DType, Device, Tensor};

type Field = dyn Fn(f64, &Var, &[Var]) -> fluxion_diffeq::Result<Var>;

const TOL: f64 = 1e-10;

fn t(v: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape.to_vec(), &Device::Cpu).unwrap()
}

fn vals(x: &Tensor) -> Vec<f64> {
    x.to_vec::<f64>().unwrap()
}

/// ‖a − b‖ / ‖b‖.
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den.max(1e-300)).sqrt()
}

/// L = Σᵢ Σ y(tᵢ)² by a detached Tensor solve (for finite differences).
fn loss_value(f: &Field, params: &[Var], y0: &Tensor, ts: &[f64], tol: f64) -> f64 {
    let opts = Options::adaptive(tol, tol).save(SaveAt::Times(ts.to_vec()));
    let sol = solve(
        Method::Dopri5,
        |tt, y: &Tensor, dy: &mut Tensor| {
            *dy = no_grad(|| f(tt, &Var::constant(y.clone()), params))?.tensor();
            Ok(())
        },
        (ts[0], ts[ts.len() - 1]),
        y0,
        &opts,
    )
    .unwrap();
    sol.ys
        .iter()
        .map(|y| {
            y.square()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f64>()
                .unwrap()
        })
        .sum()
}

/// Central differences of [`loss_value`] with respect to every entry of y0 and the parameters.
fn fd_grads(f: &Field, params: &[Var], y0: &Tensor, ts: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let h = 1e-4;
    let bump = |x: &[f64], i: usize, d: f64| {
        let mut v = x.to_vec();
        v[i] += d;
        v
    };
    let y0v = vals(y0);
    let gy0 = (0..y0v.len())
        .map(|i| {
            let p = t(bump(&y0v, i, h), y0.dims());
            let m = t(bump(&y0v, i, -h), y0.dims());
            (loss_value(f, params, &p, ts, 1e-13) - loss_value(f, params, &m, ts, 1e-13))
                / (2.0 * h)
        })
        .collect();
    let gp = params
        .iter()
        .map(|p| {
            let orig = p.tensor();
            let pv = vals(&orig);
            let g = (0..pv.len())
                .map(|i| {
                    p.set_value(t(bump(&pv, i, h), orig.dims())).unwrap();
                    let lp = loss_value(f, params, y0, ts, 1e-13);
                    p.set_value(t(bump(&pv, i, -h), orig.dims())).unwrap();
                    let lm = loss_value(f, params, y0, ts, 1e-13);
                    (lp - lm) / (2.0 * h)
                })
                .collect();
            p.set_value(orig).unwrap();
            g
        })
        .collect();
    (gy0, gp)
}

/// Gradients by backpropagation through a Var solve.
fn backprop_grads(f: &Field, params: &[Var], y0: &Tensor, ts: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let y0v = Var::leaf(y0.clone());
    let opts = Options::adaptive(TOL, TOL).save(SaveAt::Times(ts.to_vec()));
    let sol = solve(
        Method::Dopri5,
        |tt, y: &Var, dy: &mut Var| {
            *dy = f(tt, y, params)?;
            Ok(())
        },
        (ts[0], ts[ts.len() - 1]),
        &y0v,
        &opts,
    )
    .unwrap();
    let mut loss = sol.ys[0].square().unwrap().sum_all().unwrap();
    for y in &sol.ys[1..] {
        loss = loss.add(&y.square().unwrap().sum_all().unwrap()).unwrap();
    }
    for p in params {
        p.zero_grad();
    }
    loss.backward().unwrap();
    let gp = params.iter().map(|p| vals(&p.grad().unwrap())).collect();
    let g = (vals(&y0v.grad().unwrap()), gp);
    for p in params {
        p.zero_grad();
    }
    g
}

/// Gradients by the adjoint, with dL/dy(tᵢ) = 2 y(tᵢ).
fn adjoint_grads(
    f: &Field,
    params: &[Var],
    y0: &Tensor,
    ts: &[f64],
    opts: &AdjointOptions,
) -> (Vec<f64>, Vec<Vec<f64>>, fluxion_diffeq::AdjointStats) {
    let sol = odeint_adjoint(Method::Dopri5, f, params, y0, ts, opts).unwrap();
    let dl: Vec<Tensor> = sol.ys.iter().map(|y| y.mul_scalar(2.0).unwrap()).collect();
    let g = sol.gradients(&dl).unwrap();
    (vals(&g.y0), g.params.iter().map(vals).collect(), g.stats)
}

fn check_all(name: &str, f: &Field, params: &[Var], y0: &Tensor, ts: &[f64]) {
    let (ay, ap, stats) = adjoint_grads(f, params, y0, ts, &AdjointOptions::new(TOL, TOL));
    let (by, bp) = backprop_grads(f, params, y0, ts);
    let (fy, fp) = fd_grads(f, params, y0, ts);
    let flat = |y: &[f64], p: &[Vec<f64>]| -> Vec<f64> {
        y.iter().chain(p.iter().flatten()).copied().collect()
    };
    let (a, b, d) = (flat(&ay, &ap), flat(&by, &bp), flat(&fy, &fp));
    let (ab, af, bf) = (rel_err(&a, &b), rel_err(&a, &d), rel_err(&b, &d));
    println!(
        "{name}: {} gradient entries; adjoint–backprop {ab:.2e}, adjoint–FD {af:.2e}, \
         backprop–FD {bf:.2e}; forward {} steps, backward {} steps, {} checkpoints",
        a.len(),
        stats.forward.accepted,
        stats.backward.accepted,
        stats.checkpoints
    );
    assert!(
        ab < 1e-6 && af < 1e-6 && bf < 1e-6,
        "{name}: {ab:e} {af:e} {bf:e}"
    );
}

fn linear_problem() -> (Box<Field>, Vec<Var>, Tensor) {
    // y' = A y for a batch of two row vectors: y' = y Aᵀ.
    let a = Var::leaf(t(
        vec![-0.3, 1.0, 0.2, -1.1, -0.2, 0.4, 0.1, -0.5, -0.6],
        &[3, 3],
    ));
    let f: Box<Field> = Box::new(|_t, y: &Var, p: &[Var]| Ok(y.matmul(&p[0].t()?)?));
    let y0 = t(vec![1.0, 0.5, -0.3, -0.2, 0.8, 0.4], &[2, 3]);
    (f, vec![a], y0)
}

fn mlp_problem() -> (Box<Field>, Vec<Var>, Tensor) {
    let net = Mlp::builder(&[2, 8, 2])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .seed(3)
        .build()
        .unwrap();
    let params = net.parameters();
    let f: Box<Field> = Box::new(move |_t, y: &Var, _p: &[Var]| Ok(net.forward(y)?));
    let y0 = t(vec![1.0, -0.5, 0.3, 0.7, -0.8, 0.2], &[3, 2]);
    (f, params, y0)
}

#[test]
fn linear_adjoint_matches_backprop_and_finite_differences() {
    let (f, params, y0) = linear_problem();
    check_all(
        "linear y' = Ay",
        f.as_ref(),
        &params,
        &y0,
        &[0.0, 0.4, 1.1, 2.0],
    );
}

#[test]
fn mlp_adjoint_matches_backprop_and_finite_differences() {
    let (f, params, y0) = mlp_problem();
    check_all(
        "MLP 2-8-2 tanh",
        f.as_ref(),
        &params,
        &y0,
        &[0.0, 0.5, 1.0, 1.5],
    );
}

#[test]
fn stored_states_are_the_checkpoints_only() {
    let (f, params, y0) = linear_problem();
    let ts = [0.0, 10.0];
    let base = adjoint_grads(
        f.as_ref(),
        &params,
        &y0,
        &ts,
        &AdjointOptions::new(TOL, TOL),
    );
    let opts = AdjointOptions::new(TOL, TOL).extra_checkpoints(4);
    let sol = odeint_adjoint(Method::Dopri5, f.as_ref(), &params, &y0, &ts, &opts).unwrap();
    assert_eq!(sol.n_checkpoints(), 6, "2 save times + 4 extra checkpoints");
    let (gy, gp, stats) = adjoint_grads(f.as_ref(), &params, &y0, &ts, &opts);
    println!(
        "checkpoints {}, forward steps {}, most dense steps held {} (vs {} without extra)",
        stats.checkpoints, stats.forward.accepted, stats.max_dense_steps, base.2.max_dense_steps
    );
    assert_eq!(stats.checkpoints, 6);
    assert!(stats.max_dense_steps * 3 < stats.forward.accepted);
    assert!(base.2.max_dense_steps >= stats.forward.accepted / 2);
    let flat = |y: &[f64], p: &[Vec<f64>]| -> Vec<f64> {
        y.iter().chain(p.iter().flatten()).copied().collect()
    };
    let e = rel_err(&flat(&gy, &gp), &flat(&base.0, &base.1));
    assert!(e < 1e-7, "checkpointed vs single segment: {e:e}");
}

#[test]
fn seminorm_takes_no_more_steps_and_agrees() {
    let (f, params, y0) = mlp_problem();
    let ts = [0.0, 1.0, 3.0];
    let tol = 1e-6;
    let full = adjoint_grads(
        f.as_ref(),
        &params,
        &y0,
        &ts,
        &AdjointOptions::new(tol, tol),
    );
    let semi = adjoint_grads(
        f.as_ref(),
        &params,
        &y0,
        &ts,
        &AdjointOptions::new(tol, tol).seminorm(true),
    );
    let steps = |s: &fluxion_diffeq::AdjointStats| s.backward.accepted + s.backward.rejected;
    println!(
        "backward steps: full norm {} ({} f-evals), seminorm {} ({} f-evals)",
        steps(&full.2),
        full.2.backward.f_evals,
        steps(&semi.2),
        semi.2.backward.f_evals
    );
    assert!(steps(&semi.2) <= steps(&full.2));
    let flat = |y: &[f64], p: &[Vec<f64>]| -> Vec<f64> {
        y.iter().chain(p.iter().flatten()).copied().collect()
    };
    let e = rel_err(&flat(&semi.0, &semi.1), &flat(&full.0, &full.1));
    assert!(e < 1e-4, "seminorm vs full norm at tol 1e-6: {e:e}");
}

#[test]
fn bad_arguments_are_errors() {
    let (f, params, y0) = linear_problem();
    let opts = AdjointOptions::new(1e-6, 1e-6);
    assert!(odeint_adjoint(Method::Dopri5, f.as_ref(), &params, &y0, &[0.0], &opts).is_err());
    assert!(odeint_adjoint(Method::Dopri5, f.as_ref(), &params, &y0, &[1.0, 0.5], &opts).is_err());
    let sol = odeint_adjoint(Method::Dopri5, f.as_ref(), &params, &y0, &[0.0, 1.0], &opts).unwrap();
    assert!(sol.gradients(&[y0.clone()]).is_err());
}
