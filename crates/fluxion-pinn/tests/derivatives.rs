//! Derivative helpers against analytic derivatives of u = sin(x)·exp(y)·x², built from `Var`
//! ops of x directly (no network), so the truth is exact up to rounding.
//!
//! Tolerance: every derivative is a short chain of f64 ops on values of size ≤ e·x² ≈ 30 on
//! the sample points; rounding gives a few ulps of that, far below 1e-10 absolute + relative.

use fluxion_autodiff::Var;
use fluxion_pinn::{jacobian, laplacian, partial, partial2, Derivatives};
use fluxion_tensor::{Device, Tensor};

const N: usize = 13;

fn points() -> Vec<[f64; 2]> {
    (0..N)
        .map(|i| {
            let s = i as f64 / (N - 1) as f64;
            [-2.0 + 4.0 * s, -1.0 + 2.0 * (s * 7.0).sin().abs()]
        })
        .collect()
}

/// x as a `[N, 2]` leaf and u = sin(x)·exp(y)·x².
fn setup() -> (Var, Var) {
    let flat: Vec<f64> = points().iter().flat_map(|p| p.iter().copied()).collect();
    let x = Var::leaf(Tensor::from_vec(flat, [N, 2], &Device::Cpu).unwrap());
    let a = x.narrow(1, 0, 1).unwrap();
    let b = x.narrow(1, 1, 1).unwrap();
    let u = a
        .sin()
        .unwrap()
        .mul(&b.exp().unwrap())
        .unwrap()
        .mul(&a.square().unwrap())
        .unwrap();
    (x, u)
}

struct Exact {
    ux: f64,
    uy: f64,
    uxx: f64,
    uxy: f64,
    uyy: f64,
}

fn exact(p: [f64; 2]) -> Exact {
    let (x, y) = (p[0], p[1]);
    let (s, c, e) = (x.sin(), x.cos(), y.exp());
    let f = s * x * x;
    let fx = c * x * x + 2.0 * x * s;
    let fxx = -s * x * x + 4.0 * x * c + 2.0 * s;
    Exact {
        ux: fx * e,
        uy: f * e,
        uxx: fxx * e,
        uxy: fx * e,
        uyy: f * e,
    }
}

fn check(name: &str, v: &Var, truth: impl Fn(&Exact) -> f64) {
    assert_eq!(v.dims(), vec![N, 1], "{name}: shape");
    let got = v.tensor().to_vec::<f64>().unwrap();
    for (i, p) in points().into_iter().enumerate() {
        let t = truth(&exact(p));
        let err = (got[i] - t).abs();
        assert!(
            err <= 1e-10 + 1e-10 * t.abs(),
            "{name} at {p:?}: got {}, exact {t}, error {err:e}",
            got[i]
        );
    }
}

#[test]
fn free_functions_match_analytic_first_and_second_derivatives() {
    let (x, u) = setup();
    let j = jacobian(&u, &x).unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].dims(), vec![N, 2]);
    check("u_x", &partial(&u, &x, 0).unwrap(), |e| e.ux);
    check("u_y", &partial(&u, &x, 1).unwrap(), |e| e.uy);
    check("u_xx", &partial2(&u, &x, 0, 0).unwrap(), |e| e.uxx);
    check("u_xy", &partial2(&u, &x, 0, 1).unwrap(), |e| e.uxy);
    check("u_yx", &partial2(&u, &x, 1, 0).unwrap(), |e| e.uxy);
    check("u_yy", &partial2(&u, &x, 1, 1).unwrap(), |e| e.uyy);
    check("Δu", &laplacian(&u, &x, &[0, 1]).unwrap(), |e| {
        e.uxx + e.uyy
    });
}

#[test]
fn cache_matches_and_takes_one_pass_per_row() {
    let (x, u) = setup();
    let d = Derivatives::new(&u, &x).unwrap();
    check("u_x", &d.d(0, 0).unwrap(), |e| e.ux);
    check("u_y", &d.d(0, 1).unwrap(), |e| e.uy);
    assert_eq!(d.passes(), 1, "both first derivatives from one pass");
    check("u_xx", &d.d2(0, 0, 0).unwrap(), |e| e.uxx);
    check("u_xy", &d.d2(0, 0, 1).unwrap(), |e| e.uxy);
    check("u_yx", &d.d2(0, 1, 0).unwrap(), |e| e.uxy);
    assert_eq!(
        d.passes(),
        2,
        "row x of the Hessian serves u_xx, u_xy and u_yx"
    );
    check("u_yy", &d.d2(0, 1, 1).unwrap(), |e| e.uyy);
    check("Δu", &d.laplacian(0, &[0, 1]).unwrap(), |e| e.uxx + e.uyy);
    assert_eq!(d.passes(), 3);
}

#[test]
fn third_derivative_nests_and_multi_output_components_are_separate() {
    let (x, u) = setup();
    // ∂³u/∂y³ = u for u = f(x)·e^y.
    let uyyy = partial(&partial2(&u, &x, 1, 1).unwrap(), &x, 1).unwrap();
    check("u_yyy", &uyyy, |e| e.uy);
    // Two components [u, u²]: ∂(u²)/∂x = 2 u u_x.
    let both = Var::concat(&[&u, &u.square().unwrap()], 1).unwrap();
    let d = Derivatives::new(&both, &x).unwrap();
    let uv: Vec<f64> = u.tensor().to_vec().unwrap();
    let got = d.d(1, 0).unwrap().tensor().to_vec::<f64>().unwrap();
    for (i, p) in points().into_iter().enumerate() {
        let t = 2.0 * uv[i] * exact(p).ux;
        assert!(
            (got[i] - t).abs() <= 1e-10 * (1.0 + t.abs()),
            "d(u²)/dx at {p:?}"
        );
    }
    assert_eq!(partial(&both, &x, 0).unwrap().dims(), vec![N, 2]);
}

#[test]
fn bad_inputs_are_errors() {
    let (x, u) = setup();
    let c = Var::constant(x.tensor());
    assert!(partial(&u, &c, 0).is_err(), "x without gradient");
    assert!(partial(&u, &x, 2).is_err(), "axis out of range");
    let d = Derivatives::new(&u, &x).unwrap();
    assert!(d.d(1, 0).is_err(), "component out of range");
    let short = u.narrow(0, 0, 3).unwrap();
    assert!(jacobian(&short, &x).is_err(), "row count mismatch");
}
