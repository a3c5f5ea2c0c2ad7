//! Learning-rate schedulers: rate sequences against their closed forms, ReduceLROnPlateau on
//! scripted metrics, state round trips.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use fluxion_autodiff::Var;
use fluxion_nn::{
    CosineAnnealingLr, Error, ExponentialLr, LrScheduler, Optimizer, PlateauMode,
    ReduceLrOnPlateau, ReduceLrOnPlateauConfig, Sgd, SgdConfig, StepLr, ThresholdMode,
};
use fluxion_tensor::{Device, Tensor};

fn sgd(lr: f64) -> Sgd {
    let p = Var::leaf(Tensor::from_vec(vec![1.0f64], [1], &Device::Cpu).unwrap());
    Sgd::new(
        vec![p],
        SgdConfig {
            lr,
            ..SgdConfig::default()
        },
    )
    .unwrap()
}

/// The rates of epochs 1..=n, checked to be what the optimizer holds after each step.
fn run(s: &mut dyn LrScheduler, opt: &mut dyn Optimizer, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            s.step(opt);
            assert_eq!(s.last_lr(), opt.learning_rate());
            s.last_lr()
        })
        .collect()
}

/// Closed forms evaluated independently (repeated products instead of powers, so the
/// comparison is not the implementation's expression again): a few ulps apart at most,
/// hence 1e-14 relative.
fn assert_seq(label: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (e, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-14 * w.abs(),
            "{label}: epoch {}: {g} vs {w}",
            e + 1
        );
    }
}

fn product(gamma: f64, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, _| acc * gamma)
}

#[test]
fn step_lr_follows_gamma_to_the_floor_of_epoch_over_step_size() {
    let mut opt = sgd(0.5);
    let mut s = StepLr::new(&opt, 3, 0.1).unwrap();
    assert_eq!(s.last_lr(), 0.5);
    let got = run(&mut s, &mut opt, 20);
    let want: Vec<f64> = (1..=20).map(|e| 0.5 * product(0.1, e / 3)).collect();
    assert_seq("StepLR", &got, &want);
    // Epochs 1–2 keep 0.5, epoch 3 drops to 0.05, epoch 6 to 0.005.
    assert_eq!(&got[..2], &[0.5, 0.5]);
    assert!((got[2] - 0.05).abs() < 1e-15 * 0.05 && (got[5] - 0.005).abs() < 1e-15 * 0.005);
    assert_eq!(s.last_epoch(), 20);
}

#[test]
fn exponential_lr_multiplies_every_epoch() {
    let mut opt = sgd(0.2);
    let mut s = ExponentialLr::new(&opt, 0.9).unwrap();
    let got = run(&mut s, &mut opt, 20);
    let want: Vec<f64> = (1..=20).map(|e| 0.2 * product(0.9, e)).collect();
    assert_seq("ExponentialLR", &got, &want);
}

#[test]
fn cosine_annealing_follows_the_closed_form() {
    let (base, eta_min, t_max) = (0.1, 0.001, 10);
    let mut opt = sgd(base);
    let mut s = CosineAnnealingLr::new(&opt, t_max, eta_min).unwrap();
    let got = run(&mut s, &mut opt, 20);
    // η_t = η_min + (η₀ − η_min)(1 + cos(πt/T))/2, written as η₀ − (η₀ − η_min)·sin²(πt/2T).
    let want: Vec<f64> = (1..=20)
        .map(|t| {
            let s = (PI * t as f64 / (2.0 * t_max as f64)).sin();
            base - (base - eta_min) * s * s
        })
        .collect();
    assert_seq("CosineAnnealingLR", &got[..9], &want[..9]);
    // At T_max the rate is η_min (to rounding of cos π = −1 exactly), then it rises again.
    assert!((got[9] - eta_min).abs() < 1e-17, "{}", got[9]);
    assert!(got[10] > got[9] && got[19] > got[18]);
    assert!((got[19] - base).abs() < 1e-16, "{}", got[19]);
    // Halfway the rate is the mean of the ends.
    assert!((got[4] - (base + eta_min) / 2.0).abs() < 1e-16);
}

#[test]
fn schedulers_reject_bad_settings() {
    let opt = sgd(0.1);
    assert!(matches!(
        StepLr::new(&opt, 0, 0.1),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(ExponentialLr::new(&opt, -0.5).is_err());
    assert!(CosineAnnealingLr::new(&opt, 0, 0.0).is_err());
    let bad = ReduceLrOnPlateauConfig {
        factor: 1.0,
        ..ReduceLrOnPlateauConfig::default()
    };
    let msg = ReduceLrOnPlateau::new(&opt, bad).unwrap_err().to_string();
    assert!(msg.contains("factor") && msg.contains('1'), "{msg}");
}

#[test]
fn reduce_on_plateau_waits_for_patience_then_cools_down() {
    let mut opt = sgd(1.0);
    let config = ReduceLrOnPlateauConfig {
        factor: 0.5,
        patience: 2,
        cooldown: 2,
        min_lr: 0.2,
        ..ReduceLrOnPlateauConfig::default()
    };
    let mut s = ReduceLrOnPlateau::new(&opt, config).unwrap();
    // Epoch by epoch (patience 2: the third bad epoch in a row reduces; cooldown 2: the two
    // epochs after a reduction do not count; threshold 1e-4 relative):
    //  1: 10      best 10, bad 0                      lr 1
    //  2: 9       best 9                              lr 1
    //  3: 9       bad 1                               lr 1
    //  4: 8.9995  not below 9·(1 − 1e-4) = 8.9991: bad 2   lr 1
    //  5: 9.5     bad 3 > 2: reduce, cooldown 2       lr 0.5
    //  6: 9.5     cooldown → 1, bad cleared           lr 0.5
    //  7: 9.5     cooldown → 0, bad cleared           lr 0.5
    //  8: 9.5     bad 1                               lr 0.5
    //  9: 9.5     bad 2                               lr 0.5
    // 10: 9.5     bad 3: reduce to max(0.25, 0.2)     lr 0.25
    // 11–13: cooldown 2, then bad 1                   lr 0.25
    // 14: bad 2,  15: bad 3: max(0.125, 0.2) = 0.2    lr 0.2
    // 16–20: the next reduction, at 20, would be 0.2 → 0.2: skipped (change ≤ eps)
    //  8.0 at 21 improves: bad cleared
    let metrics = [
        10.0, 9.0, 9.0, 8.9995, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5,
        9.5, 9.5, 9.5, 8.0,
    ];
    let want = [
        1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2,
        0.2, 0.2, 0.2, 0.2,
    ];
    let mut got = Vec::new();
    for m in metrics {
        s.step_metric(m, &mut opt);
        assert_eq!(s.last_lr(), opt.learning_rate());
        got.push(s.last_lr());
    }
    assert_eq!(got, want);
    assert_eq!(s.best(), 8.0);
    assert_eq!(s.num_bad_epochs(), 0);
    assert_eq!(s.last_epoch(), 21);
}

#[test]
fn reduce_on_plateau_max_mode_and_absolute_threshold() {
    let mut opt = sgd(0.1);
    let config = ReduceLrOnPlateauConfig {
        mode: PlateauMode::Max,
        threshold_mode: ThresholdMode::Abs,
        threshold: 0.5,
        factor: 0.1,
        patience: 1,
        ..ReduceLrOnPlateauConfig::default()
    };
    let mut s = ReduceLrOnPlateau::new(&opt, config).unwrap();
    // 1 is better than −∞; 1.4 is not above 1 + 0.5 (bad 1); 1.6 is (best 1.6); 2.0 and
    // 2.1 are not above 2.1 (bad 1, bad 2 > 1: reduce to 0.01).
    for (m, lr) in [(1.0, 0.1), (1.4, 0.1), (1.6, 0.1), (2.0, 0.1), (2.1, 0.01)] {
        s.step_metric(m, &mut opt);
        // 0.1·0.1 rounds to 0.010000000000000002.
        assert!((opt.learning_rate() - lr).abs() < 1e-17, "metric {m}");
    }
    assert_eq!(s.best(), 1.6);
}

#[test]
fn reduce_on_plateau_skips_changes_below_eps() {
    let mut opt = sgd(1e-8);
    let config = ReduceLrOnPlateauConfig {
        patience: 0,
        ..ReduceLrOnPlateauConfig::default()
    };
    let mut s = ReduceLrOnPlateau::new(&opt, config).unwrap();
    s.step_metric(1.0, &mut opt);
    s.step_metric(1.0, &mut opt);
    // 1e-8 → 1e-9 would change the rate by 9e-9 ≤ eps = 1e-8: PyTorch keeps it.
    assert_eq!(opt.learning_rate(), 1e-8);
}

fn assert_resumes(
    make: impl Fn(&Sgd) -> Box<dyn LrScheduler>,
    fresh: impl Fn(&Sgd) -> Box<dyn LrScheduler>,
) {
    let mut opt_a = sgd(0.3);
    let mut a = make(&opt_a);
    run(&mut *a, &mut opt_a, 7);
    let saved: BTreeMap<String, f64> = a.state();
    let mut opt_b = sgd(5.0);
    let mut b = fresh(&opt_b);
    b.load_state(&saved).unwrap();
    assert_eq!(b.last_lr(), a.last_lr());
    opt_b.set_learning_rate(opt_a.learning_rate());
    assert_eq!(run(&mut *a, &mut opt_a, 10), run(&mut *b, &mut opt_b, 10));
    assert_eq!(a.state(), b.state());
    let mut broken = saved.clone();
    broken.remove("last_epoch");
    let msg = b.load_state(&broken).unwrap_err().to_string();
    assert!(msg.contains("last_epoch"), "{msg}");
}

#[test]
fn scheduler_state_round_trips() {
    assert_resumes(
        |o| Box::new(StepLr::new(o, 3, 0.5).unwrap()),
        |o| Box::new(StepLr::new(o, 1, 0.9).unwrap()),
    );
    assert_resumes(
        |o| Box::new(ExponentialLr::new(o, 0.8).unwrap()),
        |o| Box::new(ExponentialLr::new(o, 0.1).unwrap()),
    );
    assert_resumes(
        |o| Box::new(CosineAnnealingLr::new(o, 12, 0.01).unwrap()),
        |o| Box::new(CosineAnnealingLr::new(o, 3, 0.0).unwrap()),
    );

    let config = ReduceLrOnPlateauConfig {
        patience: 1,
        cooldown: 1,
        factor: 0.5,
        ..ReduceLrOnPlateauConfig::default()
    };
    let metrics = [
        5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 2.0,
    ];
    let mut opt_a = sgd(0.4);
    let mut a = ReduceLrOnPlateau::new(&opt_a, config).unwrap();
    for m in &metrics[..5] {
        a.step_metric(*m, &mut opt_a);
    }
    let mut opt_b = sgd(opt_a.learning_rate());
    let mut b = ReduceLrOnPlateau::new(&opt_b, ReduceLrOnPlateauConfig::default()).unwrap();
    b.load_state(&a.state()).unwrap();
    for m in &metrics[5..] {
        a.step_metric(*m, &mut opt_a);
        b.step_metric(*m, &mut opt_b);
        assert_eq!(opt_a.learning_rate(), opt_b.learning_rate());
    }
    assert!(opt_a.learning_rate() < 0.4);
    assert_eq!(a.state(), b.state());
    let mut broken = a.state();
    broken.insert("mode".into(), 2.0);
    assert!(b
        .load_state(&broken)
        .unwrap_err()
        .to_string()
        .contains("mode"));
}

/// The rates PyTorch 2.5.1 printed over 20 epochs (`get_last_lr()` after `opt.step();
/// sched.step()`) for `StepLR(step_size=3, gamma=0.1)` from 0.5, `ExponentialLR(gamma=0.9)`
/// from 0.2 and `CosineAnnealingLR(T_max=10, eta_min=0.001)` from 0.1. PyTorch's `step()`
/// uses the recursive (chainable) form, whose rounding drifts from the closed form used
/// here by up to 4.5e-15 relative over these epochs; 1e-13 bounds that.
#[test]
fn sequences_match_pytorch_to_rounding() {
    let step = [
        0.5,
        0.5,
        0.05,
        0.05,
        0.05,
        0.005000000000000001,
        0.005000000000000001,
        0.005000000000000001,
        0.0005000000000000001,
        0.0005000000000000001,
        0.0005000000000000001,
        5.0000000000000016e-05,
        5.0000000000000016e-05,
        5.0000000000000016e-05,
        5.000000000000002e-06,
        5.000000000000002e-06,
        5.000000000000002e-06,
        5.000000000000002e-07,
        5.000000000000002e-07,
        5.000000000000002e-07,
    ];
    let exp = [
        0.18000000000000002,
        0.16200000000000003,
        0.14580000000000004,
        0.13122000000000003,
        0.11809800000000004,
        0.10628820000000004,
        0.09565938000000004,
        0.08609344200000005,
        0.07748409780000004,
        0.06973568802000003,
        0.06276211921800003,
        0.056485907296200025,
        0.050837316566580026,
        0.04575358490992203,
        0.04117822641892983,
        0.03706040377703684,
        0.03335436339933316,
        0.030018927059399847,
        0.027017034353459864,
        0.02431533091811388,
    ];
    let cos = [
        0.09757729755661011,
        0.0905463412215599,
        0.07959536998847742,
        0.0657963412215599,
        0.0505,
        0.03520365877844011,
        0.02140463001152259,
        0.010453658778440109,
        0.0034227024433899004,
        0.001,
        0.0034227024433899004,
        0.01045365877844014,
        0.02140463001152267,
        0.035203658778440255,
        0.05050000000000022,
        0.06579634122156018,
        0.07959536998847777,
        0.09054634122156031,
        0.09757729755661054,
        0.10000000000000045,
    ];
    let mut o = sgd(0.5);
    let mut s = StepLr::new(&o, 3, 0.1).unwrap();
    let got = run(&mut s, &mut o, 20);
    let close = |g: &[f64], w: &[f64]| g.iter().zip(w).all(|(a, b)| (a - b).abs() <= 1e-13 * b);
    assert!(close(&got, &step), "{got:?}");
    let mut o = sgd(0.2);
    let mut s = ExponentialLr::new(&o, 0.9).unwrap();
    let got = run(&mut s, &mut o, 20);
    assert!(close(&got, &exp), "{got:?}");
    let mut o = sgd(0.1);
    let mut s = CosineAnnealingLr::new(&o, 10, 0.001).unwrap();
    let got = run(&mut s, &mut o, 20);
    assert!(close(&got, &cos), "{got:?}");
}
