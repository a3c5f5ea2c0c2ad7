//! For tests/optim.rs and the L-BFGS tests: a quadratic and the Rosenbrock function with
//! gradients from autodiff, independent scalar re-implementations of PyTorch's update rules
//! (plain f64 loops over the documented formulas), and compact optimizer settings.
#![allow(dead_code)]

use fluxion_autodiff::Var;
use fluxion_nn::{
    Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

pub fn t(v: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// A scalar update `(x, g)` that keeps its own state.
pub type Update = Box<dyn FnMut(&mut [f64], &[f64])>;

/// Settings of one optimizer.
#[derive(Debug, Clone, Copy)]
pub enum Cfg {
    Sgd(SgdConfig),
    Adam(AdamConfig),
    AdamW(AdamWConfig),
    RmsProp(RmsPropConfig),
}

/// SGD with lr, momentum μ, dampening, weight decay λ, nesterov, maximize.
pub fn sgd(lr: f64, momentum: f64, dampening: f64, wd: f64, nesterov: bool, max: bool) -> Cfg {
    Cfg::Sgd(SgdConfig {
        lr,
        momentum,
        dampening,
        weight_decay: wd,
        nesterov,
        maximize: max,
    })
}

/// Adam with lr, betas, weight decay λ, amsgrad, maximize (ε = 1e-8).
pub fn adam(lr: f64, betas: (f64, f64), wd: f64, amsgrad: bool, max: bool) -> Cfg {
    Cfg::Adam(AdamConfig {
        lr,
        betas,
        eps: 1e-8,
        weight_decay: wd,
        amsgrad,
        maximize: max,
    })
}

/// AdamW with lr, betas, weight decay λ, amsgrad (ε = 1e-8).
pub fn adamw(lr: f64, betas: (f64, f64), wd: f64, amsgrad: bool) -> Cfg {
    Cfg::AdamW(AdamWConfig {
        lr,
        betas,
        eps: 1e-8,
        weight_decay: wd,
        amsgrad,
        maximize: false,
    })
}

/// RMSprop with lr, α, weight decay λ, momentum μ, centered (ε = 1e-8).
pub fn rmsprop(lr: f64, alpha: f64, wd: f64, momentum: f64, centered: bool) -> Cfg {
    Cfg::RmsProp(RmsPropConfig {
        lr,
        alpha,
        eps: 1e-8,
        weight_decay: wd,
        momentum,
        centered,
        maximize: false,
    })
}

impl Cfg {
    /// The optimizer over `params`.
    pub fn build(&self, params: Vec<Var>) -> Box<dyn Optimizer> {
        match *self {
            Cfg::Sgd(c) => Box::new(Sgd::new(params, c).unwrap()),
            Cfg::Adam(c) => Box::new(Adam::new(params, c).unwrap()),
            Cfg::AdamW(c) => Box::new(AdamW::new(params, c).unwrap()),
            Cfg::RmsProp(c) => Box::new(RmsProp::new(params, c).unwrap()),
        }
    }

    /// The scalar reference update `(x, g)`, with its own state.
    pub fn reference(&self) -> Update {
        match *self {
            Cfg::Sgd(c) => Box::new(ref_sgd(c)),
            Cfg::Adam(c) => Box::new(ref_adam(c, false)),
            Cfg::AdamW(c) => Box::new(ref_adam(c.into(), true)),
            Cfg::RmsProp(c) => Box::new(ref_rmsprop(c)),
        }
    }
}

fn ref_sgd(c: SgdConfig) -> impl FnMut(&mut [f64], &[f64]) {
    let mut buf: Option<Vec<f64>> = None;
    move |x, g| {
        let n = x.len();
        let mut g: Vec<f64> = g.iter().map(|v| if c.maximize { -v } else { *v }).collect();
        for i in 0..n {
            g[i] += c.weight_decay * x[i];
        }
        if c.momentum != 0.0 {
            let b: Vec<f64> = match buf.take() {
                None => g.clone(),
                Some(b) => (0..n)
                    .map(|i| c.momentum * b[i] + (1.0 - c.dampening) * g[i])
                    .collect(),
            };
            for i in 0..n {
                g[i] = if c.nesterov {
                    g[i] + c.momentum * b[i]
                } else {
                    b[i]
                };
            }
            buf = Some(b);
        }
        for i in 0..n {
            x[i] -= c.lr * g[i];
        }
    }
}

/// PyTorch's Adam arithmetic with its bias corrections; `decoupled` for AdamW.
fn ref_adam(c: AdamConfig, decoupled: bool) -> impl FnMut(&mut [f64], &[f64]) {
    let (b1, b2) = c.betas;
    let (mut m, mut v, mut vmax, mut step) = (Vec::new(), Vec::new(), Vec::new(), 0);
    move |x, g| {
        let n = x.len();
        if step == 0 {
            (m, v, vmax) = (vec![0.0f64; n], vec![0.0f64; n], vec![0.0f64; n]);
        }
        step += 1;
        let bc1 = 1.0 - b1.powi(step);
        let bc2 = 1.0 - b2.powi(step);
        for i in 0..n {
            let mut gi = if c.maximize { -g[i] } else { g[i] };
            if decoupled {
                x[i] *= 1.0 - c.lr * c.weight_decay;
            } else {
                gi += c.weight_decay * x[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            vmax[i] = vmax[i].max(v[i]);
            let second = if c.amsgrad { vmax[i] } else { v[i] };
            let denom = second.sqrt() / bc2.sqrt() + c.eps;
            x[i] -= (c.lr / bc1) * m[i] / denom;
        }
    }
}

fn ref_rmsprop(c: RmsPropConfig) -> impl FnMut(&mut [f64], &[f64]) {
    let (mut v, mut gbar, mut buf) = (Vec::new(), Vec::new(), Vec::new());
    move |x, g| {
        let n = x.len();
        if v.is_empty() {
            (v, gbar, buf) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        }
        for i in 0..n {
            let gi = g[i] + c.weight_decay * x[i];
            v[i] = c.alpha * v[i] + (1.0 - c.alpha) * gi * gi;
            let avg = if c.centered {
                gbar[i] = c.alpha * gbar[i] + (1.0 - c.alpha) * gi;
                (v[i] - gbar[i] * gbar[i]).sqrt() + c.eps
            } else {
                v[i].sqrt() + c.eps
            };
            if c.momentum > 0.0 {
                buf[i] = c.momentum * buf[i] + gi / avg;
                x[i] -= c.lr * buf[i];
            } else {
                x[i] -= c.lr * gi / avg;
            }
        }
    }
}

/// f(x) = ½ xᵀA x − bᵀx over n unknowns (A symmetric, row-major).
pub struct Quadratic {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub x0: Vec<f64>,
}

/// A = MᵀM + ½I (SPD) of size n, with M, b and x₀ uniform in [−1, 1) from `seed`.
pub fn quadratic(n: usize, seed: u64) -> Quadratic {
    let mut g = Generator::new(seed);
    let mut draw = |k: usize| {
        let u = Tensor::rand(-1.0, 1.0, [k], DType::F64, &Device::Cpu, &mut g).unwrap();
        u.to_vec::<f64>().unwrap()
    };
    let m = draw(n * n);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>();
        }
        a[i * n + i] += 0.5;
    }
    Quadratic {
        a,
        b: draw(n),
        x0: draw(n),
    }
}

impl Quadratic {
    pub fn n(&self) -> usize {
        self.b.len()
    }

    /// Two parameters holding x₀ in `dtype`: the first half with shape [h], the rest with
    /// shape [1, n − h].
    pub fn params(&self, dtype: DType) -> Vec<Var> {
        let (n, h) = (self.n(), self.n() / 2);
        let p0 = t(self.x0[..h].to_vec(), &[h]).to_dtype(dtype).unwrap();
        let p1 = t(self.x0[h..].to_vec(), &[1, n - h])
            .to_dtype(dtype)
            .unwrap();
        vec![Var::leaf(p0), Var::leaf(p1)]
    }

    /// The loss as a graph over the parameters.
    pub fn loss(&self, params: &[Var]) -> Var {
        let (n, dtype) = (self.n(), params[0].dtype());
        let flat: Vec<Var> = params.iter().map(|p| p.flatten_all().unwrap()).collect();
        let refs: Vec<&Var> = flat.iter().collect();
        let z = Var::concat(&refs, 0).unwrap().reshape([n, 1]).unwrap();
        let a = Var::constant(t(self.a.clone(), &[n, n]).to_dtype(dtype).unwrap());
        let b = Var::constant(t(self.b.clone(), &[n, 1]).to_dtype(dtype).unwrap());
        let quad = z.mul(&a.matmul(&z).unwrap()).unwrap().sum_all().unwrap();
        let lin = b.mul(&z).unwrap().sum_all().unwrap();
        quad.mul_scalar(0.5).unwrap().sub(&lin).unwrap()
    }

    /// ∇f = A x − b, by loops.
    pub fn grad(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n();
        (0..n)
            .map(|i| (0..n).map(|j| self.a[i * n + j] * x[j]).sum::<f64>() - self.b[i])
            .collect()
    }

    /// The iterates of `cfg`'s scalar reference from x₀.
    pub fn reference(&self, cfg: &Cfg, steps: usize) -> Vec<Vec<f64>> {
        let mut update = cfg.reference();
        let mut x = self.x0.clone();
        (0..steps)
            .map(|_| {
                let g = self.grad(&x);
                update(&mut x, &g);
                x.clone()
            })
            .collect()
    }

    /// The iterates of `cfg`'s optimizer over fresh parameters of `dtype`.
    pub fn run(&self, cfg: &Cfg, steps: usize, dtype: DType) -> Vec<Vec<f64>> {
        let params = self.params(dtype);
        let mut opt = cfg.build(params.clone());
        (0..steps)
            .map(|_| {
                self.step(&mut *opt);
                values(&params)
            })
            .collect()
    }

    /// Zero the gradients, backward through the loss, step.
    pub fn step(&self, opt: &mut dyn Optimizer) {
        opt.zero_grad();
        self.loss(opt.params()).backward().unwrap();
        opt.step().unwrap();
    }
}

/// Every parameter's values, flattened, as f64.
pub fn values(params: &[Var]) -> Vec<f64> {
    params
        .iter()
        .flat_map(|p| {
            p.tensor()
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec::<f64>()
                .unwrap()
        })
        .collect()
}

/// |got − want| ≤ rtol·max(|want|, 1e-3) for every element of every step.
pub fn assert_close(label: &str, got: &[Vec<f64>], want: &[Vec<f64>], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{label}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        for (i, (a, b)) in g.iter().zip(w).enumerate() {
            assert!(
                (a - b).abs() <= rtol * b.abs().max(1e-3),
                "{label}: step {} element {i}: got {a}, reference {b}",
                k + 1
            );
        }
    }
}

/// Two trajectories differ by more than 1e-4 somewhere (an option under test matters).
pub fn assert_differs(label: &str, a: &[Vec<f64>], b: &[Vec<f64>]) {
    let d = a
        .iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(d > 1e-4, "{label}: trajectory barely differs ({d})");
}

/// Chained Rosenbrock c · Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², built with Var ops (for the
/// L-BFGS tests; multiplying by c = 1 changes no bit).
pub fn rosenbrock_scaled(x: &Var, c: f64) -> Var {
    let n = x.elem_count();
    let a = x.narrow(0, 0, n - 1).unwrap();
    let b = x.narrow(0, 1, n - 1).unwrap();
    let valley = b.sub(&a.square().unwrap()).unwrap().square().unwrap();
    let slope = a.rsub_scalar(1.0).unwrap().square().unwrap();
    let terms = valley.mul_scalar(100.0).unwrap().add(&slope).unwrap();
    terms.sum_all().unwrap().mul_scalar(c).unwrap()
}

/// Rosenbrock's classic start (−1.2, 1, −1.2, 1, …) in `n` dimensions.
pub fn rosenbrock_start(n: usize) -> Var {
    let v: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    Var::leaf(t(v, &[n]))
}

/// max|xᵢ − 1|: the distance from Rosenbrock's minimiser.
pub fn max_error_from_ones(x: &[f64]) -> f64 {
    x.iter().map(|v| (v - 1.0).abs()).fold(0.0, f64::max)
}
