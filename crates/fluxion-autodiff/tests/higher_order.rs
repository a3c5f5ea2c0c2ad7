//! Derivatives of derivatives: nested `grad`, the Laplacian of an MLP, Hessian–vector
//! products against a dense Hessian, and jvp/vjp consistency.

mod common;

use common::uniform;
use fluxion_autodiff::{grad, gradcheck, hvp, jvp, vjp, GradcheckOptions, Result, Var};
use fluxion_tensor::{DType, Device, Tensor};

fn ones_like(v: &Var) -> Var {
    Var::constant(Tensor::ones(v.shape(), v.dtype(), &Device::Cpu).unwrap())
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    a.sub(b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

#[test]
fn derivatives_of_sin_to_fourth_order() {
    let x = Var::leaf(Tensor::linspace(-3.0, 3.0, 13, DType::F64, &Device::Cpu).unwrap());
    let xt = x.tensor();
    let mut d = x.sin().unwrap();
    // sin, cos, −sin, −cos, sin
    let expected = [
        xt.cos().unwrap(),
        xt.sin().unwrap().neg().unwrap(),
        xt.cos().unwrap().neg().unwrap(),
        xt.sin().unwrap(),
    ];
    for (order, want) in expected.iter().enumerate() {
        let seed = ones_like(&d);
        d = grad(&[d], &[x.clone()], Some(&[seed]), true)
            .unwrap()
            .remove(0);
        let err = max_abs_diff(&d.tensor(), want);
        // Each derivative is the exact composition of cos/sin rules: a few ulps.
        assert!(err < 1e-15, "order {}: error {err:e}", order + 1);
    }
}

/// u(x) = W₂ tanh(W₁ x + b₁) + b₂ for a batch of points x ∈ ℝ².
fn mlp(x: &Var, p: &[Var]) -> Result<Var> {
    x.matmul(&p[0])?
        .add(&p[1])?
        .tanh()?
        .matmul(&p[2])?
        .add(&p[3])
}

#[test]
fn laplacian_of_an_mlp_matches_finite_differences() {
    let params: Vec<Var> = [
        uniform(&[2, 16], 1, -1.0, 1.0),
        uniform(&[16], 2, -1.0, 1.0),
        uniform(&[16, 1], 3, -1.0, 1.0),
        uniform(&[1], 4, -1.0, 1.0),
    ]
    .into_iter()
    .map(Var::leaf)
    .collect();
    let pts = uniform(&[8, 2], 5, -1.0, 1.0);
    let x = Var::leaf(pts.clone());
    let u = mlp(&x, &params).unwrap();
    // ∇u for every point at once: u_i depends on x_i only, so grad of Σu is the per-point
    // gradient.
    let gu = grad(&[u.sum_all().unwrap()], &[x.clone()], None, true)
        .unwrap()
        .remove(0);
    let mut lap: Option<Var> = None;
    for i in 0..2 {
        let gi = gu.narrow(1, i, 1).unwrap().sum_all().unwrap();
        let hii = grad(&[gi], &[x.clone()], None, true)
            .unwrap()
            .remove(0)
            .narrow(1, i, 1)
            .unwrap();
        lap = Some(match lap {
            Some(l) => l.add(&hii).unwrap(),
            None => hii,
        });
    }
    let lap = lap.unwrap().tensor().to_vec::<f64>().unwrap();
    // Second central differences, h = 1e-4: error h²/12·|u''''| + 4u|u|/h² ≈ 1e-9.
    let h = 1e-4;
    let eval = |p: &Tensor| {
        mlp(&Var::constant(p.clone()), &params)
            .unwrap()
            .tensor()
            .to_vec::<f64>()
            .unwrap()
    };
    let base = pts.to_vec::<f64>().unwrap();
    let u0 = eval(&pts);
    for (k, &l) in lap.iter().enumerate() {
        let mut fd = 0.0;
        for i in 0..2 {
            let shifted = |s: f64| {
                let mut v = base.clone();
                v[2 * k + i] += s;
                eval(&Tensor::from_vec(v, [8, 2], &Device::Cpu).unwrap())[k]
            };
            fd += (shifted(h) - 2.0 * u0[k] + shifted(-h)) / (h * h);
        }
        assert!(
            (l - fd).abs() < 1e-6 * (1.0 + fd.abs()),
            "point {k}: autodiff {l} vs FD {fd}"
        );
    }
    // The Laplacian is differentiable once more with respect to the weights — what a PINN
    // loss on it needs: gradcheck of W₁ ↦ Σ Δu(xₖ) (third derivatives of tanh).
    let lap_sum = |v: &[Var]| -> Result<Vec<Var>> {
        let p = [
            v[0].clone(),
            params[1].clone(),
            params[2].clone(),
            params[3].clone(),
        ];
        let x = Var::leaf(pts.clone());
        let u = mlp(&x, &p)?;
        let gu = grad(&[u.sum_all()?], &[x.clone()], None, true)?.remove(0);
        let mut total: Option<Var> = None;
        for i in 0..2 {
            let gi = gu.narrow(1, i, 1)?.sum_all()?;
            let hii = grad(&[gi], &[x.clone()], None, true)?
                .remove(0)
                .narrow(1, i, 1)?
                .sum_all()?;
            total = Some(match total {
                Some(t) => t.add(&hii)?,
                None => hii,
            });
        }
        Ok(vec![total.expect("two dimensions")])
    };
    let opts = GradcheckOptions {
        atol: 1e-8,
        rtol: 1e-6,
        ..GradcheckOptions::default()
    };
    gradcheck(lap_sum, &[params[0].tensor()], &opts).unwrap();
}

/// f(x) = ½ xᵀAx + Σᵢ sin(xᵢ) xᵢ₊₁ with a dense Hessian known in closed form.
#[test]
fn hessian_vector_products_match_the_dense_hessian() {
    let n = 6;
    let a = uniform(&[n, n], 6, -1.0, 1.0);
    let a = a.add(&a.t().unwrap()).unwrap(); // symmetric
    let av = a.to_vec2::<f64>().unwrap();
    let x0 = uniform(&[n], 7, -1.5, 1.5);
    let xv = x0.to_vec::<f64>().unwrap();
    let f = |v: &[Var]| -> Result<Var> {
        let x = &v[0];
        let quad = x
            .matmul(&Var::constant(a.clone()))?
            .mul(x)?
            .sum_all()?
            .mul_scalar(0.5)?;
        let coupling = x
            .narrow(0, 0, n - 1)?
            .sin()?
            .mul(&x.narrow(0, 1, n - 1)?)?
            .sum_all()?;
        quad.add(&coupling)
    };
    let mut h = av.clone();
    for i in 0..n - 1 {
        h[i][i] -= xv[i].sin() * xv[i + 1];
        h[i][i + 1] += xv[i].cos();
        h[i + 1][i] += xv[i].cos();
    }
    for seed in 0..3 {
        let v = uniform(&[n], 100 + seed, -1.0, 1.0);
        let vv = v.to_vec::<f64>().unwrap();
        let (_, hv) = hvp(f, std::slice::from_ref(&x0), &[v]).unwrap();
        let hv = hv[0].to_vec::<f64>().unwrap();
        for i in 0..n {
            let want: f64 = (0..n).map(|j| h[i][j] * vv[j]).sum();
            assert!(
                (hv[i] - want).abs() < 1e-13 * (1.0 + want.abs()),
                "row {i}: {} vs {want}",
                hv[i]
            );
        }
    }
}

#[test]
fn jvp_and_vjp_are_adjoint_and_jvp_matches_finite_differences() {
    let w = uniform(&[3, 4], 8, -1.0, 1.0);
    let f = |v: &[Var]| -> Result<Vec<Var>> {
        let y = v[0].matmul(&Var::constant(w.clone()))?.tanh()?.mul(&v[1])?;
        Ok(vec![y, v[0].sin()?.sum_all()?])
    };
    let x = uniform(&[2, 3], 9, -1.0, 1.0);
    let s = uniform(&[2, 4], 10, -1.0, 1.0);
    let tx = uniform(&[2, 3], 11, -1.0, 1.0);
    let ts = uniform(&[2, 4], 12, -1.0, 1.0);
    let (_, jv) = jvp(f, &[x.clone(), s.clone()], &[tx.clone(), ts.clone()]).unwrap();
    let u0 = uniform(&[2, 4], 13, -1.0, 1.0);
    let u1 = uniform(&[], 14, -1.0, 1.0);
    let (_, vj) = vjp(f, &[x.clone(), s.clone()], &[u0.clone(), u1.clone()]).unwrap();
    let dot = |a: &Tensor, b: &Tensor| {
        a.mul(b)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    // ⟨u, J t⟩ = ⟨Jᵀu, t⟩
    let lhs = dot(&u0, &jv[0]) + dot(&u1, &jv[1]);
    let rhs = dot(&vj[0], &tx) + dot(&vj[1], &ts);
    assert!((lhs - rhs).abs() < 1e-13, "{lhs} vs {rhs}");
    // J t against (f(x + εt) − f(x − εt)) / 2ε.
    let eps = 1e-6;
    let at = |sgn: f64| {
        let xs = [
            x.add(&tx.mul_scalar(sgn * eps).unwrap()).unwrap(),
            s.add(&ts.mul_scalar(sgn * eps).unwrap()).unwrap(),
        ];
        let vars: Vec<Var> = xs.into_iter().map(Var::constant).collect();
        f(&vars)
            .unwrap()
            .iter()
            .map(|y| y.tensor())
            .collect::<Vec<_>>()
    };
    let (p, m) = (at(1.0), at(-1.0));
    for k in 0..2 {
        let fd = p[k].sub(&m[k]).unwrap().mul_scalar(0.5 / eps).unwrap();
        assert!(max_abs_diff(&fd, &jv[k]) < 1e-8, "output {k}");
    }
}
