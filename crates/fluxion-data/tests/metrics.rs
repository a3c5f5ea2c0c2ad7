//! PDEBench metrics and FNO's relative L2 on small arrays with hand-computed values.

use fluxion_data::metrics::{pdebench_metrics, relative_l2, MetricOptions};
use fluxion_tensor::{Device, Tensor};

fn t(v: Vec<f32>, shape: Vec<usize>) -> Tensor {
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    // Inputs are small f32 integers; the only error is f64 rounding in sums and roots.
    assert!(
        (a - b).abs() <= 1e-12 + 1e-12 * b.abs(),
        "{what}: {a} vs {b}"
    );
}

/// `[B=2, C=2, T=1, X=4]`: channel 0 has errors `[0,0,0,2]` (target 1..4) and `[1,0,0,0]`
/// (target ones); channel 1 is exact.
#[test]
fn one_d_by_hand() {
    let target = vec![
        1., 2., 3., 4., /* c1 */ 5., 5., 5., 5., //
        1., 1., 1., 1., /* c1 */ 7., 7., 7., 7.,
    ];
    let mut pred = target.clone();
    pred[3] = 6.0;
    pred[8] = 2.0;
    let m = pdebench_metrics(
        &t(pred, vec![2, 2, 1, 4]),
        &t(target, vec![2, 2, 1, 4]),
        &MetricOptions::default(),
    )
    .unwrap();
    assert_eq!((m.channels, m.times), (2, 1));
    close(m.rmse[0], (1.0 + 0.5) / 2.0, "rmse");
    close(m.rmse[1], 0.0, "rmse c1");
    close(m.nrmse[0], (2.0 / 30f64.sqrt() + 0.5) / 2.0, "nrmse");
    close(m.crmse[0], 2.5f64.sqrt() / 4.0, "crmse");
    close(m.max_error[0], 2.0, "max");
    close(m.brmse[0], (2f64.sqrt() + 0.5f64.sqrt()) / 2.0, "brmse");
    // |ê_k|² = 4 and 1 for every k: E_k = √2.5 / 4 in bins 0..=2; mid and high bands empty.
    close(m.frmse[0][0], 2.5f64.sqrt() / 4.0, "frmse low");
    assert!(m.frmse[1][0].is_nan() && m.frmse[2][0].is_nan());
    let s = m.mean();
    close(s.rmse, 0.375, "mean rmse");
    close(s.max_error, 1.0, "mean max");
    close(s.crmse, 2.5f64.sqrt() / 8.0, "mean crmse");
}

/// `[1, 1, 1, 4, 4]`, target ones, error 1 at the corner `(0, 0)`.
#[test]
fn two_d_by_hand() {
    let target = vec![1.0f32; 16];
    let mut pred = target.clone();
    pred[0] = 2.0;
    let opts = MetricOptions {
        lengths: (2.0, 0.5),
        ..Default::default()
    };
    let m = pdebench_metrics(
        &t(pred, vec![1, 1, 1, 4, 4]),
        &t(target, vec![1, 1, 1, 4, 4]),
        &opts,
    )
    .unwrap()
    .mean();
    close(m.rmse, 0.25, "rmse");
    close(m.nrmse, 0.25, "nrmse");
    close(m.crmse, 1.0 / 16.0, "crmse");
    close(m.max_error, 1.0, "max");
    // The corner is on row x = 0 and column y = 0: 2 / (2·4 + 2·4).
    close(m.brmse, (2.0f64 / 16.0).sqrt(), "brmse");
    // |ê|² = 1 everywhere; bins over i, j < 2: bin 0 ← (0,0), bin 1 ← (0,1), (1,0), (1,1).
    // E_k = √(power) · Lx·Ly / 16, low band = mean of bins 0 and 1.
    close(m.frmse[0], (1.0 + 3f64.sqrt()) / 2.0 / 16.0, "frmse low");
}

#[test]
fn relative_l2_by_hand() {
    let target = t(vec![3., 4., 1., 0.], vec![2, 2]);
    let pred = t(vec![3., 5., 2., 0.], vec![2, 2]);
    close(
        relative_l2(&pred, &target).unwrap(),
        (0.2 + 1.0) / 2.0,
        "rel l2",
    );
    assert!(relative_l2(&pred, &t(vec![0.; 2], vec![2])).is_err());
}

#[test]
fn shapes_are_checked() {
    let a = t(vec![0.; 8], vec![1, 1, 2, 4]);
    let b = t(vec![0.; 8], vec![1, 1, 4, 2]);
    assert!(pdebench_metrics(&a, &b, &MetricOptions::default()).is_err());
    let c = t(vec![0.; 8], vec![2, 4]);
    assert!(pdebench_metrics(&c, &c, &MetricOptions::default()).is_err());
}
