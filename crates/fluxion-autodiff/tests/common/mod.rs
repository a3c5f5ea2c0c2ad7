//! Shared helpers: seeded f64 inputs and a check that runs first- and second-order gradcheck.
#![allow(dead_code)]

use fluxion_autodiff::{gradcheck, gradgradcheck, GradcheckOptions, Result, Var};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

/// Uniform f64 values in [lo, hi) of `shape`, from `seed`.
pub fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor {
    let mut g = Generator::new(seed);
    Tensor::rand(lo, hi, shape, DType::F64, &Device::Cpu, &mut g).unwrap()
}

/// Values in ±[0.2, 2): away from the kinks of abs, relu, sign and friends, where central
/// differences straddle a discontinuous derivative.
pub fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let u = uniform(shape, seed, -1.8, 1.8).to_vec::<f64>().unwrap();
    let v: Vec<f64> = u.iter().map(|x| x.signum() * (0.2 + x.abs())).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Distinct values (a shuffled ramp), so max/min/maximum have no ties.
pub fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let keys = uniform(&[n], seed, 0.0, 1.0).to_vec::<f64>().unwrap();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let v: Vec<f64> = idx
        .iter()
        .map(|&i| -1.0 + 2.0 * i as f64 / n as f64 + 0.01)
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Runs gradcheck and gradgradcheck with PyTorch's step ε = 1e-6 and tolerances 100× tighter
/// than its defaults: for these O(1) functions in f64 the central difference is accurate to
/// about ε²·|f'''| + u·|f|/ε ≈ 1e-10, so atol 1e-8 and rtol 1e-6 leave a 100× margin while
/// catching a rule that is off by one part in a million.
pub fn check(name: &str, f: impl Fn(&[Var]) -> Result<Vec<Var>>, inputs: &[Tensor]) {
    let opts = GradcheckOptions {
        atol: 1e-8,
        rtol: 1e-6,
        ..GradcheckOptions::default()
    };
    if let Err(e) = gradcheck(&f, inputs, &opts) {
        panic!("{name}: {e}");
    }
    if let Err(e) = gradgradcheck(&f, inputs, &opts) {
        panic!("{name}: {e}");
    }
}

/// A one-output function.
pub fn one(v: Result<Var>) -> Result<Vec<Var>> {
    Ok(vec![v?])
}
