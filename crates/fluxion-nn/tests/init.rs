//! Initialisers: distributions checked by their first two moments, orthogonality, gains,
//! determinism and argument errors.
//!
//! Moment checks draw 200 000 values in f64 (exact Philox draws) and accept the sample mean
//! within 4 standard errors `σ/√n` of the theoretical mean and the sample variance within 4
//! standard errors `√((μ₄ − σ⁴)/n)` of the theoretical variance (μ₄ the fourth central moment:
//! `b⁴/5` for `U(−b, b)`, `3σ⁴` for a normal). With fixed seeds the tests are deterministic;
//! a correct implementation lands outside 4 standard errors with probability < 1e-4.

use fluxion_nn::init::{self, FanMode, Nonlinearity};
use fluxion_nn::Error;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

const CPU: Device = Device::Cpu;
/// 200 000 elements with distinct fans: fan_in = 500, fan_out = 400.
const MATRIX: [usize; 2] = [400, 500];
/// 200 000 elements as a conv weight: fan_in = 10·625 = 6250, fan_out = 32·625 = 20 000.
const CONV: [usize; 4] = [32, 10, 25, 25];

fn values(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>().unwrap()
}

/// Asserts the sample mean and variance of `x` match `mean` and `var` within 4 standard
/// errors, given the distribution's fourth central moment `mu4`.
fn assert_moments(x: &[f64], mean: f64, var: f64, mu4: f64, what: &str) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let s2 = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    let se_mean = (var / n).sqrt();
    let se_var = ((mu4 - var * var) / n).sqrt();
    assert!(
        (m - mean).abs() < 4.0 * se_mean,
        "{what}: mean {m} vs {mean} (4 SE = {})",
        4.0 * se_mean
    );
    assert!(
        (s2 - var).abs() < 4.0 * se_var,
        "{what}: variance {s2} vs {var} (4 SE = {})",
        4.0 * se_var
    );
}

/// `U(−b, b)` (shifted to `(lo + hi)/2` when given bounds): bounds and moments.
fn assert_uniform(x: &[f64], lo: f64, hi: f64, what: &str) {
    assert!(
        x.iter().all(|&v| lo <= v && v < hi),
        "{what}: a draw outside [{lo}, {hi})"
    );
    let w = hi - lo;
    assert_moments(x, (lo + hi) / 2.0, w * w / 12.0, w.powi(4) / 80.0, what);
}

fn assert_normal(x: &[f64], mean: f64, std: f64, what: &str) {
    let var = std * std;
    assert_moments(x, mean, var, 3.0 * var * var, what);
}

fn gen(seed: u64) -> Generator {
    Generator::new(seed)
}

#[test]
fn uniform_and_normal_moments() {
    let t = init::uniform(-0.5, 2.0, MATRIX, DType::F64, &CPU, &mut gen(1)).unwrap();
    assert_eq!(t.dims(), &MATRIX);
    assert_uniform(&values(&t), -0.5, 2.0, "uniform");
    let t = init::normal(3.0, 0.25, MATRIX, DType::F64, &CPU, &mut gen(2)).unwrap();
    assert_normal(&values(&t), 3.0, 0.25, "normal");
}

#[test]
fn uniform_in_f32_respects_bounds_and_dtype() {
    let t = init::uniform(-1.0, 1.0, [1000], DType::F32, &CPU, &mut gen(3)).unwrap();
    assert_eq!(t.dtype(), DType::F32);
    assert!(t
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .all(|&v| (-1.0..1.0).contains(&v)));
    let t = init::normal(0.0, 1.0, [2, 3], DType::BF16, &CPU, &mut gen(3)).unwrap();
    assert_eq!(t.dtype(), DType::BF16);
}

#[test]
fn constant_fills_any_dtype() {
    let t = init::constant(7.0, [2, 3], DType::I64, &CPU).unwrap();
    assert_eq!(t.to_vec::<i64>().unwrap(), vec![7; 6]);
    let t = init::constant(0.5, [4], DType::F32, &CPU).unwrap();
    assert_eq!(t.to_vec::<f32>().unwrap(), vec![0.5; 4]);
}

#[test]
fn xavier_moments() {
    for (shape, fan_in, fan_out) in [
        (&MATRIX[..], 500.0f64, 400.0),
        (&CONV[..], 6250.0, 20_000.0),
    ] {
        let gain = 5.0 / 3.0;
        let std = gain * (2.0 / (fan_in + fan_out)).sqrt();
        let b = 3f64.sqrt() * std;
        let t = init::xavier_uniform(gain, shape, DType::F64, &CPU, &mut gen(4)).unwrap();
        assert_eq!(t.dims(), shape);
        assert_uniform(&values(&t), -b, b, "xavier_uniform");
        let t = init::xavier_normal(gain, shape, DType::F64, &CPU, &mut gen(5)).unwrap();
        assert_normal(&values(&t), 0.0, std, "xavier_normal");
    }
}

#[test]
fn xavier_truncated_normal_stays_within_two_sigma_with_the_truncated_moments() {
    // The standard normal conditioned on [−2, 2]: Z = Φ(2) − Φ(−2) = erf(√2),
    // E[X²] = 1 − 2·2φ(2)/Z, E[X⁴] = 3E[X²] − 2·2³φ(2)/Z = 3 − 28φ(2)/Z.
    let phi2 = (-2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let z = 0.954_499_736_103_641_6;
    let (m2, m4) = (1.0 - 4.0 * phi2 / z, 3.0 - 28.0 * phi2 / z);
    assert!((m2.sqrt() - 0.8796).abs() < 1e-4);
    for (shape, fan_in, fan_out, gain) in [
        (&MATRIX[..], 500.0f64, 400.0, 1.0),
        (&CONV[..], 6250.0, 20_000.0, 5.0 / 3.0),
    ] {
        let std = gain * (2.0 / (fan_in + fan_out)).sqrt();
        let t = init::xavier_truncated_normal(gain, shape, DType::F64, &CPU, &mut gen(6)).unwrap();
        assert_eq!(t.dims(), shape);
        let x = values(&t);
        assert!(
            x.iter().all(|v| v.abs() <= 2.0 * std),
            "a draw beyond 2σ = {}",
            2.0 * std
        );
        let var = m2 * std * std;
        assert_moments(&x, 0.0, var, m4 * std.powi(4), "xavier_truncated_normal");
        // Not the untruncated law: its variance is 1/0.774 times larger, far outside 4 SE.
        let n = x.len() as f64;
        let s2 = x.iter().map(|v| v * v).sum::<f64>() / n;
        assert!((s2 - std * std).abs() > 0.2 * std * std);
    }
}

#[test]
fn trunc_normal_keeps_the_in_range_draws_of_the_normal_stream_in_order() {
    // [−0.5, 1.5] keeps about 62 % of N(0, 1): the first round (2 · 1000 draws) suffices, so the
    // result is exactly the in-range values among the first 2000 draws of the same stream.
    let t = init::trunc_normal(0.0, 1.0, -0.5, 1.5, [1000], DType::F64, &CPU, &mut gen(7)).unwrap();
    let stream = Tensor::randn(0.0, 1.0, [2000], DType::F64, &CPU, &mut gen(7)).unwrap();
    let want: Vec<f64> = values(&stream)
        .into_iter()
        .filter(|v| (-0.5..=1.5).contains(v))
        .take(1000)
        .collect();
    assert_eq!(values(&t), want);
    // f32 is the f64 draw rounded.
    let t32 =
        init::trunc_normal(0.0, 1.0, -0.5, 1.5, [1000], DType::F32, &CPU, &mut gen(7)).unwrap();
    let w32: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    assert_eq!(t32.to_vec::<f32>().unwrap(), w32);
    // A zero gain gives zeros (as xavier_normal does), an empty shape an empty tensor.
    let z = init::xavier_truncated_normal(0.0, [3, 4], DType::F32, &CPU, &mut gen(8)).unwrap();
    assert!(z.to_vec::<f32>().unwrap().iter().all(|&v| v == 0.0));
    let e = init::xavier_truncated_normal(1.0, [0, 4], DType::F32, &CPU, &mut gen(8)).unwrap();
    assert_eq!(e.dims(), [0, 4]);
    // An interval far in the tail is an error, not an endless loop.
    let g = &mut gen(0);
    assert_invalid(
        init::trunc_normal(0.0, 1.0, 50.0, 60.0, [3], DType::F64, &CPU, g),
        "too little",
    );
    assert_invalid(
        init::trunc_normal(0.0, 1.0, 1.0, 1.0, [3], DType::F64, &CPU, g),
        "a < b",
    );
}

#[test]
fn kaiming_moments_for_both_modes_and_gains() {
    let cases = [
        (FanMode::FanIn, Nonlinearity::Relu, 0.0, 500.0, 2f64.sqrt()),
        (FanMode::FanOut, Nonlinearity::Relu, 0.0, 400.0, 2f64.sqrt()),
        (
            FanMode::FanIn,
            Nonlinearity::LeakyRelu,
            0.2,
            500.0,
            (2.0 / 1.04f64).sqrt(),
        ),
        (
            FanMode::FanOut,
            Nonlinearity::LeakyRelu,
            0.2,
            400.0,
            (2.0 / 1.04f64).sqrt(),
        ),
    ];
    for (i, (mode, nl, a, fan, gain)) in cases.into_iter().enumerate() {
        let what = format!("{mode:?} {nl:?} a={a}");
        let std = gain / f64::sqrt(fan);
        let b = 3f64.sqrt() * std;
        let seed = 10 + i as u64;
        let t =
            init::kaiming_uniform(a, mode, nl, MATRIX, DType::F64, &CPU, &mut gen(seed)).unwrap();
        assert_uniform(&values(&t), -b, b, &format!("kaiming_uniform {what}"));
        let t =
            init::kaiming_normal(a, mode, nl, MATRIX, DType::F64, &CPU, &mut gen(seed)).unwrap();
        assert_normal(&values(&t), 0.0, std, &format!("kaiming_normal {what}"));
    }
    // Receptive field: fan_out of [32, 10, 25, 25] is 32·625 = 20 000.
    let t = init::kaiming_normal(
        0.0,
        FanMode::FanOut,
        Nonlinearity::Relu,
        CONV,
        DType::F64,
        &CPU,
        &mut gen(20),
    )
    .unwrap();
    assert_normal(&values(&t), 0.0, (2.0f64 / 20_000.0).sqrt(), "conv fan_out");
}

#[test]
fn linear_defaults_are_uniform_one_over_sqrt_fan_in() {
    let b = 1.0 / 500f64.sqrt();
    let w = init::linear_default_weight(400, 500, DType::F64, &CPU, &mut gen(30)).unwrap();
    assert_eq!(w.dims(), &[400, 500]);
    // kaiming_uniform(a = √5) computes the bound as √3·√(1/3)/√fan_in: equal to b up to
    // rounding, so allow one ulp-scale slack on the bounds.
    let x = values(&w);
    assert!(x.iter().all(|v| v.abs() <= b * (1.0 + 1e-15)));
    assert_uniform(&x, -b * (1.0 + 1e-15), b * (1.0 + 1e-15), "linear weight");
    let bias = init::linear_default_bias(200_000, 500, DType::F64, &CPU, &mut gen(31)).unwrap();
    assert_eq!(bias.dims(), &[200_000]);
    assert_uniform(&values(&bias), -b, b, "linear bias");
    let zero = init::linear_default_bias(3, 0, DType::F32, &CPU, &mut gen(32)).unwrap();
    assert_eq!(zero.to_vec::<f32>().unwrap(), vec![0.0; 3]);
}

/// Max |G − gain²·I| for G = MᵀM (k = cols) or MMᵀ (k = rows) of the row-major `rows × cols`.
fn gram_error(m: &[f64], rows: usize, cols: usize, gain: f64) -> f64 {
    let tall = rows >= cols;
    let k = if tall { cols } else { rows };
    let at = |i: usize, j: usize| m[i * cols + j];
    let mut err: f64 = 0.0;
    for p in 0..k {
        for q in 0..k {
            let g: f64 = if tall {
                (0..rows).map(|i| at(i, p) * at(i, q)).sum()
            } else {
                (0..cols).map(|j| at(p, j) * at(q, j)).sum()
            };
            let want = if p == q { gain * gain } else { 0.0 };
            err = err.max((g - want).abs());
        }
    }
    err
}

#[test]
fn orthogonal_is_orthogonal_times_gain() {
    let shapes: [&[usize]; 4] = [&[7, 3], &[3, 7], &[5, 5], &[4, 3, 2]];
    for shape in shapes {
        for gain in [1.0, 2.5] {
            let t = init::orthogonal(gain, shape, DType::F64, &CPU, &mut gen(40)).unwrap();
            assert_eq!(t.dims(), shape);
            let rows = shape[0];
            let cols: usize = shape[1..].iter().product();
            let err = gram_error(&values(&t), rows, cols, gain);
            assert!(err < 1e-12 * gain * gain, "{shape:?} gain {gain}: {err}");
        }
    }
    let t = init::orthogonal(1.0, [6, 4], DType::F32, &CPU, &mut gen(41)).unwrap();
    assert_eq!(t.dtype(), DType::F32);
}

#[test]
fn orthogonal_q_is_not_trivial() {
    // A Haar-random Q differs between seeds and is not a signed permutation.
    let a = values(&init::orthogonal(1.0, [5, 5], DType::F64, &CPU, &mut gen(1)).unwrap());
    let b = values(&init::orthogonal(1.0, [5, 5], DType::F64, &CPU, &mut gen(2)).unwrap());
    assert_ne!(a, b);
    assert!(
        a.iter()
            .filter(|v| v.abs() > 1e-3 && v.abs() < 0.999)
            .count()
            > 10
    );
}

#[test]
fn same_seed_same_tensor() {
    type Init = fn(&mut Generator) -> Tensor;
    let inits: [Init; 6] = [
        |g| init::uniform(-1.0, 1.0, [8, 9], DType::F32, &CPU, g).unwrap(),
        |g| init::normal(0.0, 1.0, [8, 9], DType::F32, &CPU, g).unwrap(),
        |g| init::xavier_uniform(1.0, [8, 9], DType::F32, &CPU, g).unwrap(),
        |g| {
            init::kaiming_normal(
                0.0,
                FanMode::FanIn,
                Nonlinearity::Relu,
                [8, 9],
                DType::F32,
                &CPU,
                g,
            )
            .unwrap()
        },
        |g| init::orthogonal(1.0, [8, 9], DType::F32, &CPU, g).unwrap(),
        |g| init::linear_default_weight(8, 9, DType::F32, &CPU, g).unwrap(),
    ];
    for f in inits {
        let a = f(&mut gen(99)).to_vec::<f32>().unwrap();
        let b = f(&mut gen(99)).to_vec::<f32>().unwrap();
        let c = f(&mut gen(100)).to_vec::<f32>().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
    // Consecutive draws from one generator differ.
    let mut g = gen(7);
    let a = init::normal(0.0, 1.0, [16], DType::F64, &CPU, &mut g).unwrap();
    let b = init::normal(0.0, 1.0, [16], DType::F64, &CPU, &mut g).unwrap();
    assert_ne!(values(&a), values(&b));
}

#[test]
fn gains_match_pytorch() {
    use Nonlinearity::*;
    for nl in [Linear, Identity, Conv, Sigmoid] {
        assert_eq!(init::calculate_gain(nl, None), 1.0);
    }
    assert_eq!(init::calculate_gain(Tanh, None), 5.0 / 3.0);
    assert_eq!(init::calculate_gain(Relu, Some(0.3)), 2f64.sqrt());
    assert_eq!(init::calculate_gain(Selu, None), 0.75);
    let leaky = init::calculate_gain(LeakyRelu, None);
    assert!((leaky - (2.0f64 / (1.0 + 0.01 * 0.01)).sqrt()).abs() < 1e-15);
    assert!((init::calculate_gain(LeakyRelu, Some(0.0)) - 2f64.sqrt()).abs() < 1e-15);
    let s5 = init::calculate_gain(LeakyRelu, Some(5f64.sqrt()));
    assert!((s5 - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
}

#[test]
fn fans_follow_pytorch() {
    assert_eq!(init::fan_in_and_fan_out(&[3, 4]).unwrap(), (4, 3));
    assert_eq!(init::fan_in_and_fan_out(&[8, 4, 3, 3]).unwrap(), (36, 72));
    assert_eq!(init::fan_in_and_fan_out(&[2, 5, 7]).unwrap(), (35, 14));
    for dims in [&[][..], &[5][..]] {
        assert!(matches!(
            init::fan_in_and_fan_out(dims),
            Err(Error::InvalidArgument { .. })
        ));
    }
}

fn assert_invalid(r: fluxion_nn::Result<Tensor>, needle: &str) {
    match r {
        Err(e @ Error::InvalidArgument { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        }
        Err(e) => panic!("expected InvalidArgument, got {e:?}"),
        Ok(t) => panic!("expected an error, got a tensor of shape {:?}", t.dims()),
    }
}

#[test]
fn bad_arguments_are_invalid_argument_errors() {
    let g = &mut gen(0);
    let f = DType::F32;
    assert_invalid(init::uniform(1.0, 0.0, [3], f, &CPU, g), "lo <= hi");
    assert_invalid(init::uniform(0.0, f64::INFINITY, [3], f, &CPU, g), "finite");
    assert_invalid(init::normal(0.0, -1.0, [3], f, &CPU, g), "std >= 0");
    assert_invalid(init::normal(f64::NAN, 1.0, [3], f, &CPU, g), "finite");
    assert_invalid(
        init::uniform(0.0, 1.0, [3], DType::I64, &CPU, g),
        "floating",
    );
    assert_invalid(init::xavier_uniform(1.0, [5], f, &CPU, g), "2 dimensions");
    assert_invalid(init::xavier_normal(1.0, [], f, &CPU, g), "2 dimensions");
    assert_invalid(init::xavier_normal(-1.0, [2, 2], f, &CPU, g), "gain");
    let (fi, relu) = (FanMode::FanIn, Nonlinearity::Relu);
    assert_invalid(
        init::kaiming_uniform(0.0, fi, relu, [5], f, &CPU, g),
        "2 dimensions",
    );
    assert_invalid(
        init::kaiming_normal(0.0, fi, relu, [5], f, &CPU, g),
        "2 dimensions",
    );
    assert_invalid(
        init::kaiming_normal(0.0, fi, relu, [2, 2], DType::U8, &CPU, g),
        "floating",
    );
    assert_invalid(init::orthogonal(1.0, [5], f, &CPU, g), "2 dimensions");
    assert_invalid(init::orthogonal(f64::NAN, [2, 2], f, &CPU, g), "gain");
}

#[test]
fn empty_tensors_are_returned_as_is() {
    let g = &mut gen(0);
    let t = init::kaiming_uniform(
        0.0,
        FanMode::FanIn,
        Nonlinearity::Relu,
        [0, 4],
        DType::F32,
        &CPU,
        g,
    )
    .unwrap();
    assert_eq!(t.dims(), &[0, 4]);
    let t = init::orthogonal(1.0, [3, 0], DType::F32, &CPU, g).unwrap();
    assert_eq!(t.dims(), &[3, 0]);
    let t = init::xavier_normal(1.0, [0, 0], DType::F32, &CPU, g).unwrap();
    assert_eq!(t.elem_count(), 0);
}
