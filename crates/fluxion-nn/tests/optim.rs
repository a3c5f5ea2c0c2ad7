//! First-order optimizers (SGD, Adam, AdamW, RMSprop) against independent scalar
//! re-implementations of PyTorch's update rules and against values printed by PyTorch, on
//! quadratics whose gradients come from autodiff; state round trips; settings validation;
//! gradient clipping.
//!
//! Tolerance of the reference comparisons: the loops and the tensor ops round in different
//! orders (the matmul and sums behind the autodiff gradient, `(a·b)/c` against `a·(b/c)`),
//! a few ulps per step; over five steps that stays far below 1e-12 relative, while any
//! formula slip (a missing bias correction, dampening or ε in the wrong place) changes the
//! iterates by more than 1e-4 — which `assert_differs` checks each option does.

#[path = "common/optim_reference.rs"]
mod reference;

use fluxion_autodiff::Var;
use fluxion_nn::{
    clip_grad_norm, clip_grad_value, Adam, AdamConfig, AdamW, AdamWConfig, Error, Optimizer,
    OptimizerState, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use fluxion_tensor::{DType, Device, Tensor};
use reference::{
    adam, adamw, assert_close, assert_differs, quadratic, rmsprop, sgd, t, values, Cfg, Quadratic,
};

const N: usize = 4;
const STEPS: usize = 5;
const RTOL: f64 = 1e-12;
const F64: DType = DType::F64;

/// Each case against its reference, and each case after the first against the first.
fn check_cases(q: &Quadratic, cases: &[(&str, Cfg)]) {
    let first = q.run(&cases[0].1, STEPS, F64);
    for (label, cfg) in cases {
        let got = q.run(cfg, STEPS, F64);
        assert_close(label, &got, &q.reference(cfg, STEPS), RTOL);
        if *label != cases[0].0 {
            assert_differs(label, &got, &first);
        }
    }
}

#[test]
fn sgd_variants_match_the_scalar_reference() {
    let q = quadratic(N, 11);
    #[rustfmt::skip]
    let cases = [
        //                    lr   momentum dampening wd  nesterov maximize
        ("plain",        sgd(0.1, 0.0,     0.0,      0.0, false,   false)),
        ("momentum",     sgd(0.1, 0.9,     0.0,      0.0, false,   false)),
        ("nesterov",     sgd(0.1, 0.9,     0.0,      0.0, true,    false)),
        ("weight decay", sgd(0.1, 0.0,     0.0,      0.3, false,   false)),
        ("dampening",    sgd(0.1, 0.9,     0.3,      0.0, false,   false)),
        ("maximize",     sgd(0.1, 0.9,     0.0,      0.0, false,   true)),
    ];
    check_cases(&q, &cases);
    // Dampening and Nesterov each change the momentum trajectory.
    let momentum = q.run(&cases[1].1, STEPS, F64);
    assert_differs("nesterov", &q.run(&cases[2].1, STEPS, F64), &momentum);
    assert_differs("dampening", &q.run(&cases[4].1, STEPS, F64), &momentum);
}

#[test]
fn adam_and_adamw_match_pytorch_arithmetic() {
    let q = quadratic(N, 12);
    // amsgrad needs a short second-moment memory (β₂ = 0.5) for v to fall below its running
    // maximum as the gradients shrink; with β₂ = 0.999 it only grows over five steps.
    #[rustfmt::skip]
    let cases = [
        //                           lr   betas         wd   amsgrad maximize
        ("adam",              adam(0.1, (0.9, 0.999), 0.0, false, false)),
        ("adam weight decay", adam(0.1, (0.9, 0.999), 0.5, false, false)),
        ("adam β₂ = 0.5",     adam(0.1, (0.9, 0.5),   0.0, false, false)),
        ("adam amsgrad",      adam(0.1, (0.9, 0.5),   0.0, true,  false)),
        ("adam maximize",     adam(0.1, (0.8, 0.99),  0.0, false, true)),
        ("adamw",             adamw(0.1, (0.9, 0.999), 0.5, false)),
        ("adamw amsgrad",     adamw(0.1, (0.9, 0.5),   0.5, true)),
    ];
    check_cases(&q, &cases);
    let run = |i: usize| q.run(&cases[i].1, STEPS, F64);
    assert_differs("amsgrad vs the same betas without", &run(3), &run(2));
    // Decoupled decay differs from the L2 form with the same λ.
    assert_differs("adamw vs adam with L2", &run(5), &run(1));
    assert_eq!(AdamWConfig::default().weight_decay, 1e-2);
    assert_eq!(AdamConfig::default().weight_decay, 0.0);
}

#[test]
fn rmsprop_variants_match_the_scalar_reference() {
    let q = quadratic(N, 13);
    #[rustfmt::skip]
    let cases = [
        //                                   lr    alpha wd   momentum centered
        ("plain",                  rmsprop(0.01, 0.99, 0.0, 0.0,     false)),
        ("centered",               rmsprop(0.01, 0.99, 0.0, 0.0,     true)),
        ("momentum",               rmsprop(0.01, 0.99, 0.0, 0.9,     false)),
        ("centered momentum wd",   rmsprop(0.01, 0.9,  0.2, 0.5,     true)),
    ];
    check_cases(&q, &cases);
    assert_eq!(RmsPropConfig::default().lr, 1e-2);
}

/// f(x) = ½ xᵀ[[2, 1], [1, 3]]x − [1, 2]ᵀx from (1, 0).
fn small() -> Quadratic {
    Quadratic {
        a: vec![2.0, 1.0, 1.0, 3.0],
        b: vec![1.0, 2.0],
        x0: vec![1.0, 0.0],
    }
}

#[test]
fn sgd_momentum_two_steps_by_hand() {
    // lr 0.1, momentum 0.9 on `small()`:
    //   g₁ = (2·1 + 0 − 1, 1 + 0 − 2) = (1, −1);  b₁ = g₁;  x₁ = (0.9, 0.1)
    //   g₂ = (1.8 + 0.1 − 1, 0.9 + 0.3 − 2) = (0.9, −0.8)
    //   b₂ = 0.9·(1, −1) + (0.9, −0.8) = (1.8, −1.7);  x₂ = (0.72, 0.27)
    let got = small().run(&sgd(0.1, 0.9, 0.0, 0.0, false, false), 2, F64);
    // Each literal is within an ulp or two of the computed value.
    for (g, w) in got.iter().zip([[0.9, 0.1], [0.72, 0.27]]) {
        assert!(
            g.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-15),
            "{got:?}"
        );
    }
}

#[test]
fn adam_first_step_by_hand() {
    // lr 0.1 on `small()`: g = (1, −1); m = 0.1·g, v = 0.001·g²; the bias corrections are
    // 1 − 0.9 = 0.1 and 1 − 0.999 = 0.001, so m̂ = g and √v/√0.001 = |g| = 1, and the step is
    // 0.1·g/(1 + 1e-8):  x₁ = (1 − 0.1/(1 + 1e-8), 0.1/(1 + 1e-8)) = (0.900000001, 0.099999999)
    // to 1e-16.
    let got = small().run(&adam(0.1, (0.9, 0.999), 0.0, false, false), 1, F64);
    assert!((got[0][0] - 0.900000001).abs() < 1e-15, "{got:?}");
    assert!((got[0][1] - 0.099999999).abs() < 1e-15, "{got:?}");
}

/// Three steps on `small()` in f64 against the values PyTorch 2.5.1 printed for the same
/// settings:
///
/// ```python
/// A = torch.tensor([[2.0, 1.0], [1.0, 3.0]]); b = torch.tensor([1.0, 2.0])
/// x = torch.tensor([1.0, 0.0], requires_grad=True); opt = torch.optim.Adam([x], lr=0.1)
/// for _ in range(3):
///     opt.zero_grad(); (0.5 * x @ A @ x - b @ x).backward(); opt.step()
/// ```
///
/// PyTorch forms some averages with `lerp` and `addcmul`, another rounding order, so the
/// agreement is to a few ulps: 1e-14 relative.
#[test]
fn matches_values_printed_by_pytorch() {
    #[rustfmt::skip]
    let cases = [
        // SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
        (sgd(0.1, 0.9, 0.0, 0.1, true, false), [0.291653691, 0.56028051]),
        // SGD(lr=0.1, momentum=0.9, dampening=0.3)
        (sgd(0.1, 0.9, 0.3, 0.0, false, false), [0.5575, 0.41345000000000004]),
        // Adam(lr=0.1)
        (adam(0.1, (0.9, 0.999), 0.0, false, false), [0.7015928863163604, 0.2951412616530952]),
        // Adam(lr=0.1, betas=(0.9, 0.5), weight_decay=0.2, amsgrad=True)
        (adam(0.1, (0.9, 0.5), 0.2, true, false), [0.6954194147281104, 0.2985714628106244]),
        // AdamW(lr=0.1, weight_decay=0.5)
        (adamw(0.1, (0.9, 0.999), 0.5, false), [0.5767894494639914, 0.2824046739906703]),
        // RMSprop(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)
        (rmsprop(0.01, 0.99, 0.1, 0.5, true), [0.6714439006896333, 0.3109028761031609]),
    ];
    for (cfg, want) in cases {
        let got = small().run(&cfg, 3, F64).pop().unwrap();
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-14 * w.abs(),
                "{cfg:?}: {got:?} vs {want:?}"
            );
        }
    }
}

#[test]
fn f32_parameters_stay_f32_and_follow_the_f64_reference() {
    let q = quadratic(N, 14);
    let cfg = adam(0.1, (0.9, 0.999), 0.0, false, false);
    let params = q.params(DType::F32);
    let mut opt = cfg.build(params.clone());
    let mut got = Vec::new();
    for _ in 0..STEPS {
        q.step(&mut *opt);
        got.push(values(&params));
    }
    assert!(params.iter().all(|p| p.dtype() == DType::F32));
    // f32 rounding (6e-8 per op) through five normalised steps of size ≤ 0.1: 1e-5 is two
    // orders above the accumulated error and far below a wrong update.
    assert_close("adam f32", &got, &q.reference(&cfg, STEPS), 1e-5);
}

#[test]
fn parameters_without_gradients_are_skipped() {
    let cfgs = [
        sgd(0.1, 0.9, 0.0, 0.1, false, false),
        adam(0.1, (0.9, 0.999), 0.1, true, false),
        adamw(0.1, (0.9, 0.999), 0.1, false),
        rmsprop(0.01, 0.99, 0.1, 0.5, true),
    ];
    for cfg in cfgs {
        let used = Var::leaf(t(vec![1.0, -2.0], &[2]));
        let unused = Var::leaf(t(vec![3.0, 4.0], &[2]));
        let mut opt = cfg.build(vec![used.clone(), unused.clone()]);
        for _ in 0..2 {
            opt.zero_grad();
            used.square()
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            opt.step().unwrap();
        }
        assert_ne!(
            used.tensor().to_vec::<f64>().unwrap(),
            [1.0, -2.0],
            "{cfg:?}"
        );
        assert_eq!(
            unused.tensor().to_vec::<f64>().unwrap(),
            [3.0, 4.0],
            "{cfg:?}"
        );
        let s = opt.state();
        assert!(s.tensors.keys().any(|k| k.starts_with("0.")), "{cfg:?}");
        let keys = s.tensors.keys().chain(s.scalars.keys());
        assert!(!keys.into_iter().any(|k| k.starts_with("1.")), "{cfg:?}");
    }
}

#[test]
fn state_round_trip_continues_identically() {
    // Run 3 steps, move the state into a fresh optimizer built with other settings over
    // copies of the parameters, then run 3 more steps on both.
    let pairs = [
        (
            sgd(0.05, 0.9, 0.0, 0.01, true, false),
            sgd(1e-3, 0.0, 0.0, 0.0, false, false),
        ),
        (
            adam(0.05, (0.8, 0.9), 0.1, true, false),
            adam(1e-3, (0.9, 0.999), 0.0, false, false),
        ),
        (
            adamw(0.05, (0.9, 0.999), 0.1, false),
            adamw(1e-3, (0.9, 0.99), 0.0, true),
        ),
        (
            rmsprop(0.01, 0.9, 0.0, 0.5, true),
            rmsprop(1.0, 0.99, 0.0, 0.0, false),
        ),
    ];
    let q = quadratic(N, 15);
    for (cfg, other) in pairs {
        let params = q.params(F64);
        let mut a = cfg.build(params.clone());
        for _ in 0..3 {
            q.step(&mut *a);
        }
        let copies: Vec<Var> = params.iter().map(|p| Var::leaf(p.tensor())).collect();
        let mut b = other.build(copies.clone());
        b.load_state(&a.state()).unwrap();
        assert_eq!(b.learning_rate(), a.learning_rate(), "{cfg:?}");
        for _ in 0..3 {
            q.step(&mut *a);
            q.step(&mut *b);
            assert_eq!(values(&params), values(&copies), "{cfg:?}");
        }
        assert_eq!(a.state().scalars, b.state().scalars, "{cfg:?}");
    }
}

fn state_error(opt: &mut dyn Optimizer, s: &OptimizerState) -> String {
    match opt.load_state(s) {
        Err(e @ Error::OptimizerState { .. }) => e.to_string(),
        other => panic!("expected an OptimizerState error, got {other:?}"),
    }
}

#[test]
fn load_state_names_the_entry_that_does_not_fit() {
    let q = quadratic(N, 16);
    let cfg = adam(0.1, (0.9, 0.999), 0.0, true, false);
    let mut opt = cfg.build(q.params(F64));
    q.step(&mut *opt);
    let good = opt.state();
    let mut fresh = cfg.build(q.params(F64));
    let edited = |edit: &dyn Fn(&mut OptimizerState)| {
        let mut s = good.clone();
        edit(&mut s);
        s
    };

    let mut sgd_opt = Sgd::new(q.params(F64), SgdConfig::default()).unwrap();
    let msg = state_error(&mut sgd_opt, &good);
    assert!(msg.contains("kind") && msg.contains("adam"), "{msg}");
    let mut adamw_opt = AdamW::new(q.params(F64), AdamWConfig::default()).unwrap();
    assert!(state_error(&mut adamw_opt, &good).contains("kind"));

    let zeros3 = Tensor::zeros([3], F64, &Device::Cpu).unwrap();
    let s = edited(&|s| {
        s.tensors.insert("1.exp_avg".into(), zeros3.clone());
    });
    let msg = state_error(&mut *fresh, &s);
    assert!(msg.contains("1.exp_avg") && msg.contains("[3]"), "{msg}");
    let s = edited(&|s| {
        let f32_buf = s.tensors["0.exp_avg_sq"].to_dtype(DType::F32).unwrap();
        s.tensors.insert("0.exp_avg_sq".into(), f32_buf);
    });
    assert!(state_error(&mut *fresh, &s).contains("0.exp_avg_sq"));
    let s = edited(&|s| {
        s.tensors.remove("0.max_exp_avg_sq");
    });
    assert!(state_error(&mut *fresh, &s).contains("0.max_exp_avg_sq"));
    let s = edited(&|s| {
        let extra = s.tensors["0.exp_avg"].clone();
        s.tensors.insert("7.exp_avg".into(), extra);
    });
    assert!(state_error(&mut *fresh, &s).contains("7.exp_avg"));
    let s = edited(&|s| {
        s.scalars.insert("beta1".into(), 1.5);
    });
    let msg = state_error(&mut *fresh, &s);
    assert!(msg.contains("betas.0") && msg.contains("1.5"), "{msg}");

    let mut three = q.params(F64);
    three.push(Var::leaf(t(vec![0.0], &[1])));
    assert!(state_error(&mut *cfg.build(three), &good).contains("param_count"));

    // A failed load leaves the optimizer as it was; the good state still loads.
    fresh.load_state(&good).unwrap();
    assert_eq!(fresh.state().scalars, good.scalars);
}

fn invalid_argument(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::InvalidArgument { .. }) => e.to_string(),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn invalid_settings_are_rejected_with_name_and_value() {
    let p = || vec![Var::leaf(t(vec![1.0], &[1]))];
    let (s, a, w, r) = (
        SgdConfig::default(),
        AdamConfig::default(),
        AdamWConfig::default(),
        RmsPropConfig::default(),
    );
    let cases = [
        (
            invalid_argument(Sgd::new(p(), SgdConfig { lr: -0.5, ..s })),
            "lr",
            "-0.5",
        ),
        (
            invalid_argument(Sgd::new(
                p(),
                SgdConfig {
                    weight_decay: -0.5,
                    ..s
                },
            )),
            "weight_decay",
            "-0.5",
        ),
        (
            invalid_argument(Adam::new(
                p(),
                AdamConfig {
                    betas: (0.9, 1.0),
                    ..a
                },
            )),
            "betas.1",
            "1",
        ),
        (
            invalid_argument(Adam::new(p(), AdamConfig { eps: -0.5, ..a })),
            "eps",
            "-0.5",
        ),
        (
            invalid_argument(AdamW::new(
                p(),
                AdamWConfig {
                    betas: (-0.5, 0.9),
                    ..w
                },
            )),
            "betas.0",
            "-0.5",
        ),
        (
            invalid_argument(RmsProp::new(
                p(),
                RmsPropConfig {
                    momentum: -0.5,
                    ..r
                },
            )),
            "momentum",
            "-0.5",
        ),
    ];
    for (msg, name, value) in cases {
        assert!(msg.contains(name) && msg.contains(value), "{msg}");
    }
    let no_momentum = SgdConfig {
        nesterov: true,
        ..s
    };
    let damped = SgdConfig {
        momentum: 0.9,
        dampening: 0.1,
        ..no_momentum
    };
    for c in [no_momentum, damped] {
        let msg = invalid_argument(Sgd::new(p(), c));
        assert!(msg.contains("nesterov"), "{msg}");
    }
}

/// Two parameters with gradients (3, 4) and (−12) — 2-norm √(9 + 16 + 144) = 13, ∞-norm 12,
/// 1-norm 19 — and one without.
fn clip_params() -> Vec<Var> {
    let a = Var::leaf(t(vec![0.0, 0.0], &[2]));
    let b = Var::leaf(t(vec![0.0], &[1, 1]));
    let none = Var::leaf(t(vec![5.0], &[1]));
    a.set_grad(Some(t(vec![3.0, 4.0], &[2])));
    b.set_grad(Some(t(vec![-12.0], &[1, 1])));
    vec![a, b, none]
}

fn grads(params: &[Var]) -> Vec<f64> {
    let present = params.iter().filter_map(|p| p.grad());
    present.flat_map(|g| g.to_vec::<f64>().unwrap()).collect()
}

#[test]
fn clip_grad_norm_scales_by_max_norm_over_total() {
    for (norm_type, total, max_norm) in [
        (2.0, 13.0, 6.5),
        (f64::INFINITY, 12.0, 3.0),
        (1.0, 19.0, 1.0),
    ] {
        let params = clip_params();
        let got = clip_grad_norm(&params, max_norm, norm_type).unwrap();
        assert!((got - total).abs() < 1e-14, "norm {norm_type}: {got}");
        let coef = max_norm / (total + 1e-6);
        let want: Vec<f64> = [3.0, 4.0, -12.0].iter().map(|g| g * coef).collect();
        let now = grads(&params);
        for (a, b) in now.iter().zip(&want) {
            assert!(
                (a - b).abs() < 1e-14,
                "norm {norm_type}: {now:?} vs {want:?}"
            );
        }
        assert!(params[2].grad().is_none());
        // The clipped norm is max_norm up to the 1e-6 guard: total/(total + 1e-6) ≈ 1 − 1e-7.
        let again = clip_grad_norm(&params, f64::MAX, norm_type).unwrap();
        assert!((again - max_norm).abs() < 1e-6 * max_norm, "{again}");
    }
    // Under the limit: the gradients are untouched, bit for bit.
    let params = clip_params();
    assert_eq!(clip_grad_norm(&params, 13.1, 2.0).unwrap(), 13.0);
    assert_eq!(grads(&params), vec![3.0, 4.0, -12.0]);
    // No gradients: norm 0.
    assert_eq!(
        clip_grad_norm(&[Var::leaf(t(vec![1.0], &[1]))], 1.0, 2.0).unwrap(),
        0.0
    );
    assert!(clip_grad_norm(&params, 1.0, 0.0).is_err());
    assert!(clip_grad_norm(&params, 1.0, f64::NAN).is_err());
}

#[test]
fn clip_grad_value_clamps_each_element() {
    let params = clip_params();
    clip_grad_value(&params, 3.5).unwrap();
    assert_eq!(grads(&params), vec![3.0, 3.5, -3.5]);
    assert!(params[2].grad().is_none());
    assert!(clip_grad_value(&params, -1.0).is_err());
}
