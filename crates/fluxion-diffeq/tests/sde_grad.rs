//! Gradients (backprop through the solve, reversible Heun's exact adjoint), `Tensor` and `Var`
//! states, save times, `NeuralSde`, and the errors for unsupported scheme / noise / calculus.

mod common;

use common::gbm_tensor;
use fluxion_autodiff::Var;
use fluxion_diffeq::sde::{
    solve_sde, BrownianIncrements, BrownianTree, NeuralSde, NoiseType, ReversibleHeunAdjoint, Sde,
    SdeMethod, SdeOptions, SdeType,
};
use fluxion_diffeq::{Error, Result};
use fluxion_nn::{Activation, Mlp};
use fluxion_tensor::{DType, Device, Tensor};

fn t2(v: Vec<f64>, r: usize, c: usize) -> Tensor {
    Tensor::from_vec(v, [r, c], &Device::Cpu).unwrap()
}

/// Drift a ⊙ tanh(y) + b, diffusion (c ⊙ sin y) ⊙ v: nonlinear, diagonal noise.
fn drift(_t: f64, y: &Var, p: &[Var]) -> Result<Var> {
    Ok(y.tanh()?.mul(&p[0])?.add(&p[1])?)
}

fn diffusion(_t: f64, y: &Var, v: &Var, p: &[Var]) -> Result<Var> {
    Ok(y.sin()?.mul(&p[2])?.mul(v)?)
}

#[test]
fn reversible_heun_adjoint_equals_backprop() {
    let (paths, d) = (3, 2);
    let params = vec![
        t2(vec![0.7, -1.1], 1, 2),
        t2(vec![0.2, 0.3], 1, 2),
        t2(vec![0.5, 0.9], 1, 2),
    ];
    let y0 = t2(vec![0.1, -0.4, 0.8, 0.3, -0.2, 0.6], paths, d);
    let bm = BrownianTree::new(4, 0.0, 1.0, paths, d).unwrap();
    let opts = SdeOptions::fixed(1.0 / 32.0);

    // Backprop through the solve with Var states.
    let pl: Vec<Var> = params.iter().cloned().map(Var::leaf).collect();
    let y0l = Var::leaf(y0.clone());
    let sde = Sde::new(
        NoiseType::Diagonal,
        SdeType::Stratonovich,
        |t, y: &Var, out: &mut Var| {
            *out = drift(t, y, &pl)?;
            Ok(())
        },
        |t, y: &Var, v: &Var, out: &mut Var| {
            *out = diffusion(t, y, v, &pl)?;
            Ok(())
        },
    );
    let sol = solve_sde(
        SdeMethod::ReversibleHeun,
        &sde,
        (0.0, 1.0),
        &y0l,
        &bm,
        &opts,
    )
    .unwrap();
    let y1 = &sol.ys[0];
    y1.mul(y1).unwrap().sum_all().unwrap().backward().unwrap();

    // The exact adjoint with L = Σ y1², ∂L/∂y1 = 2 y1.
    let adj =
        ReversibleHeunAdjoint::forward(drift, diffusion, &params, &y0, (0.0, 1.0), &opts, &bm)
            .unwrap();
    let g = adj.backward(&adj.y_end().mul_scalar(2.0).unwrap()).unwrap();

    let close = |a: &Tensor, b: &Tensor, what: &str| {
        let (a, b) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= 1e-10 * scale + 1e-14,
                "{what}: adjoint {x} vs backprop {y}"
            );
        }
    };
    close(adj.y_end(), &y1.tensor(), "y(t1)");
    close(&g.y0, &y0l.grad().unwrap(), "dL/dy0");
    for (i, p) in pl.iter().enumerate() {
        close(&g.params[i], &p.grad().unwrap(), "dL/dθ");
    }
}

type F = fn(f64, &Vec<f64>, &mut Vec<f64>) -> Result<()>;
type G = fn(f64, &Vec<f64>, &Vec<f64>, &mut Vec<f64>) -> Result<()>;

fn gbm_vec(noise: NoiseType, sde_type: SdeType) -> Sde<F, G> {
    Sde::new(
        noise,
        sde_type,
        |_t, y, out| {
            out.iter_mut().zip(y).for_each(|(o, x)| *o = 0.5 * x);
            Ok(())
        },
        |_t, y, v, out| {
            for ((o, x), w) in out.iter_mut().zip(y).zip(v) {
                *o = 0.3 * x * w;
            }
            Ok(())
        },
    )
}

#[test]
fn tensor_states_match_vec_states_and_t_eval() {
    let (paths, d) = (50, 4);
    let bm = BrownianIncrements::new(9, paths, d);
    let opts = SdeOptions::fixed(0.01).t_eval(vec![0.0, 0.25, 0.5, 1.0]);
    for method in [
        SdeMethod::EulerMaruyama,
        SdeMethod::Milstein { grad_free: true },
    ] {
        let v = solve_sde(
            method,
            &gbm_vec(NoiseType::Diagonal, SdeType::Ito),
            (0.0, 1.0),
            &vec![1.0; paths * d],
            &bm,
            &opts,
        )
        .unwrap();
        let sde_t = gbm_tensor(0.5, 0.3);
        let y0 = Tensor::ones([paths, d], DType::F64, &Device::Cpu).unwrap();
        let t = solve_sde(method, &sde_t, (0.0, 1.0), &y0, &bm, &opts).unwrap();
        assert_eq!(v.ts, vec![0.0, 0.25, 0.5, 1.0]);
        assert_eq!(t.ts, v.ts);
        assert_eq!(v.stats.steps, 100);
        for (a, b) in v.ys.iter().zip(&t.ys) {
            let b = b.to_vec::<f64>().unwrap();
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 1e-12 * x.abs().max(1.0), "{x} vs {y}");
            }
        }
    }
}

#[test]
fn unsupported_combinations_are_named() {
    let bm = BrownianIncrements::new(0, 2, 1);
    let y0 = vec![1.0; 2];
    let opts = SdeOptions::fixed(0.1);
    let cases = [
        (
            SdeMethod::Sra1,
            NoiseType::Diagonal,
            SdeType::Ito,
            ["SRA1", "diagonal", "Itô"],
        ),
        (
            SdeMethod::EulerMaruyama,
            NoiseType::Scalar,
            SdeType::Stratonovich,
            ["Euler–Maruyama", "scalar", "Stratonovich"],
        ),
        (
            SdeMethod::Heun,
            NoiseType::General,
            SdeType::Ito,
            ["Heun", "general", "Itô"],
        ),
        (
            SdeMethod::Milstein { grad_free: true },
            NoiseType::General,
            SdeType::Ito,
            ["Milstein", "general", "Itô"],
        ),
    ];
    for (method, noise, sde_type, words) in cases {
        let err = solve_sde(
            method,
            &gbm_vec(noise, sde_type),
            (0.0, 1.0),
            &y0,
            &bm,
            &opts,
        )
        .unwrap_err();
        assert!(matches!(err, Error::UnsupportedSde { .. }), "{err}");
        let msg = err.to_string();
        for w in words {
            assert!(msg.contains(w), "`{msg}` should name {w}");
        }
    }
    // Milstein with the derivative term but none supplied; SRA1 on a tree (no Lévy area).
    let err = solve_sde(
        SdeMethod::Milstein { grad_free: false },
        &gbm_vec(NoiseType::Diagonal, SdeType::Ito),
        (0.0, 1.0),
        &y0,
        &bm,
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("with_milstein_term"), "{err}");
    let tree = BrownianTree::new(0, 0.0, 1.0, 2, 1).unwrap();
    let err = solve_sde(
        SdeMethod::Sra1,
        &gbm_vec(NoiseType::Additive, SdeType::Ito),
        (0.0, 1.0),
        &y0,
        &tree,
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("Lévy area"), "{err}");
}

#[test]
fn neural_sde_forward_and_backward() {
    let (b, d) = (4, 3);
    let net = |seed| {
        Mlp::builder(&[d, 16, d])
            .activation(Activation::Tanh)
            .dtype(DType::F64)
            .seed(seed)
            .build()
            .unwrap()
    };
    let bm = BrownianIncrements::new(1, b, d);
    let y0 = Var::constant(Tensor::ones([b, d], DType::F64, &Device::Cpu).unwrap());
    for (sde, method) in [
        (NeuralSde::new(net(1), net(2)), SdeMethod::EulerMaruyama),
        (
            NeuralSde::new(net(1), net(2)).sde_type(SdeType::Stratonovich),
            SdeMethod::ReversibleHeun,
        ),
    ] {
        let sde = sde.method(method);
        let traj = sde.forward(&y0, &[0.0, 0.5, 1.0], 0.05, &bm).unwrap();
        assert_eq!(traj.dims(), vec![3, b, d]);
        // The trajectory starts at y0 and moves.
        let v = traj.tensor().to_vec::<f64>().unwrap();
        assert!(v[..b * d].iter().all(|x| *x == 1.0));
        assert!(v[2 * b * d..].iter().any(|x| (x - 1.0).abs() > 1e-3));
        traj.mul(&traj)
            .unwrap()
            .mean_all()
            .unwrap()
            .backward()
            .unwrap();
        for p in sde.parameters() {
            let g = p.grad().expect("every parameter gets a gradient");
            assert!(g.to_vec::<f64>().unwrap().iter().all(|x| x.is_finite()));
            p.zero_grad();
        }
    }
    // A method that does not fit the SDE type is refused.
    let bad = NeuralSde::new(net(1), net(2)).method(SdeMethod::Heun);
    assert!(matches!(
        bad.forward(&y0, &[0.0, 1.0], 0.1, &bm),
        Err(Error::UnsupportedSde { .. })
    ));
}
