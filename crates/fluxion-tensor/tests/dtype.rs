//! Casts between every pair of dtypes (f16/bf16 rounding checked against the `half` crate, and
//! integer conversions against Rust's saturating `as`), and f16/bf16 arithmetic, which stores
//! half values and computes through f32: each result must be the f32 result rounded to the
//! half type, within a couple of half-ulps.

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result, Tensor};
use half::{bf16, f16};

/// A source value: exact in f64, or an i64 that f64 cannot hold exactly.
#[derive(Debug, Clone, Copy)]
enum Src {
    F(f64),
    I(i64),
}

/// An i64 rounded to f16 (p = 11) or bf16 (p = 8), exactly.
fn i64_to_half(x: i64, dtype: DType) -> f64 {
    let (p, emin, emax) = if dtype == DType::F16 {
        (11, -14, 15)
    } else {
        (8, -126, 127)
    };
    round_int_to_format(x < 0, x.unsigned_abs(), 0, p, emin, emax)
}

/// The reference conversion of `s` (held as `from`) to `to`. Sources exact in f32 go to f16/bf16
/// through `half`'s `from_f32` (correctly rounded); f64 and i64 sources through the exact integer
/// rounding of `common::round_to_format`.
fn convert(s: Src, from: DType, to: DType) -> f64 {
    match (s, to) {
        (Src::I(x), DType::F16 | DType::BF16) => i64_to_half(x, to),
        (Src::I(x), DType::F32) => x as f32 as f64,
        (Src::I(x), DType::F64) => x as f64,
        (Src::I(x), DType::U8) => x.clamp(0, 255) as f64,
        (Src::I(x), DType::I64) => x as f64,
        (Src::F(v), DType::F16) => match from {
            DType::F64 => round_to(v, DType::F16),
            _ => f16::from_f32(v as f32).to_f64(),
        },
        (Src::F(v), DType::BF16) => match from {
            DType::F64 => round_to(v, DType::BF16),
            _ => bf16::from_f32(v as f32).to_f64(),
        },
        (Src::F(v), DType::F32) => v as f32 as f64,
        (Src::F(v), DType::F64) => v,
        (Src::F(v), DType::U8) => v as u8 as f64,
        (Src::F(v), DType::I64) => v as i64 as f64,
    }
}

/// Values that exercise rounding, ties, saturation, subnormals and non-finite inputs.
fn special_values() -> Vec<f64> {
    let p = |e: i32| 2f64.powi(e);
    vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        0.999,
        255.0,
        255.5,
        255.99,
        256.0,
        -1.0,
        -300.7,
        65504.0,
        65519.0,
        65520.0,
        1.0e5,
        1.0 + p(-11),          // f16 tie → even (1.0)
        1.0 + 3.0 * p(-11),    // f16 tie → even (1 + 2⁻⁹)
        1.0 + p(-11) + p(-40), // just above an f16 tie: rounds up (no double rounding)
        1.0 + p(-8),           // bf16 tie → even (1.0)
        1.0 + 3.0 * p(-8),     // bf16 tie → even
        1.0 + p(-8) + p(-40),  // just above a bf16 tie
        1.0 + p(-24) + p(-50), // just above an f32 tie
        p(-20),                // f16 subnormal
        3.0 * p(-25),          // f16 subnormal tie region
        p(-140),               // bf16/f32 subnormal
        1.0e39,                // beyond f32 and bf16
        -3.4e38,
        1.0e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]
}

fn special_ints() -> Vec<i64> {
    vec![
        0,
        1,
        -1,
        255,
        256,
        -300,
        65_504,
        65_520,
        1 << 24,
        (1 << 24) + 1,
        (1 << 53) + 1,
        (1 << 60) + (1 << 36) + 1,    // f32 via f64 would round twice
        -((1 << 60) + (1 << 52) + 1), // bf16 via f64 would round twice
        i64::MAX,
        i64::MIN,
    ]
}

/// A strided view holding the same values as `t` (rank 1): column 1 of `stack([t, t], 1)`.
fn strided(t: &Tensor) -> Result<Tensor> {
    Tensor::stack(&[t, t], 1)?.narrow(1, 1, 1)?.squeeze(1)
}

fn check_cast(t: &Tensor, src: &[Src], to: DType, what: &str) -> Result<()> {
    let from = t.dtype();
    let got = t.to_dtype(to)?;
    assert_eq!((got.dims(), got.dtype()), (t.dims(), to));
    let what = format!("{what}: {from} → {to}");
    if to == DType::I64 {
        // Compared as integers: f64 cannot hold every i64.
        let want: Vec<i64> = src
            .iter()
            .map(|&s| match s {
                Src::I(x) => x,
                Src::F(v) => v as i64,
            })
            .collect();
        assert_eq!(got.to_vec::<i64>()?, want, "{what}");
    } else {
        let want: Vec<f64> = src.iter().map(|&s| convert(s, from, to)).collect();
        assert_exact(&values(&got)?, &want, &what);
    }
    Ok(())
}

fn casts_between_all_dtypes(dev: &Device) -> Result<()> {
    for from in DType::ALL {
        // The source values as the source dtype holds them.
        let (t, src): (Tensor, Vec<Src>) = match from {
            DType::I64 => {
                let v = special_ints();
                (
                    Tensor::from_vec(v.clone(), [v.len()], dev)?,
                    v.into_iter().map(Src::I).collect(),
                )
            }
            _ => {
                let v: Vec<f64> = special_values()
                    .into_iter()
                    .map(|x| round_to(x, from))
                    .collect();
                (
                    tensor(&v, &[v.len()], from, dev)?,
                    v.into_iter().map(Src::F).collect(),
                )
            }
        };
        for to in DType::ALL {
            check_cast(&t, &src, to, "special values")?;
            check_cast(&strided(&t)?, &src, to, "special values, strided")?;
            // Random values on every layout.
            for v in layouts(&[3, 4, 5], from, dev, 1000, -300.0, 300.0)? {
                let src: Vec<Src> = v.vals.iter().map(|&x| Src::F(x)).collect();
                check_cast(&v.t, &src, to, &format!("random {}", v.name))?;
            }
        }
    }
    Ok(())
}
test_device!(casts_between_all_dtypes, casts_cpu, casts_cuda);

fn same_dtype_cast_is_free(dev: &Device) -> Result<()> {
    for dtype in DType::ALL {
        let t = Tensor::ones([2, 3], dtype, dev)?;
        assert!(t.to_dtype(dtype)?.same_storage(&t));
    }
    Ok(())
}
test_device!(same_dtype_cast_is_free, same_cast_cpu, same_cast_cuda);

fn large_casts_in_parallel(dev: &Device) -> Result<()> {
    for v in layouts(&[300, 200], DType::F32, dev, 1001, -70_000.0, 70_000.0)? {
        for to in [DType::F16, DType::BF16, DType::I64, DType::U8] {
            let src: Vec<Src> = v.vals.iter().map(|&x| Src::F(x)).collect();
            check_cast(&v.t, &src, to, &format!("300×200 {}", v.name))?;
        }
    }
    Ok(())
}
test_device!(large_casts_in_parallel, large_casts_cpu, large_casts_cuda);

type UnaryFn = fn(&Tensor) -> Result<Tensor>;
/// (name, op, reference)
type UnaryCase = (&'static str, UnaryFn, fn(f64) -> f64);

fn half_types_compute_through_f32(dev: &Device) -> Result<()> {
    // Tolerance: the exact result rounded to the half type is within ½ half-ulp; the f32
    // computation adds ≤ a few f32 ulps of O(1) values before that rounding. So
    // `rel = 2·eps_half` (2 half-ulps, 4× the rounding) and `abs = 8·eps_f32` for results near 0.
    let unary: [UnaryCase; 5] = [
        ("exp", |t| t.exp(), f64::exp),
        ("sin", |t| t.sin(), f64::sin),
        ("sqrt∘abs", |t| t.abs()?.sqrt(), |x| x.abs().sqrt()),
        (
            "gelu_erf",
            |t| t.gelu_erf(),
            |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        ),
        ("affine", |t| t.affine(0.75, 0.125), |x| 0.75 * x + 0.125),
    ];
    for dtype in [DType::F16, DType::BF16] {
        let (abs, rel) = (8.0 * eps(DType::F32), 2.0 * eps(dtype));
        for v in layouts(&[3, 4, 5], dtype, dev, 1100, -3.0, 3.0)? {
            for (name, op, reference) in unary {
                let got = op(&v.t)?;
                assert_eq!(got.dtype(), dtype);
                let want: Vec<f64> = v
                    .vals
                    .iter()
                    .map(|&x| round_to(reference(x), dtype))
                    .collect();
                assert_close(
                    &values(&got)?,
                    &want,
                    abs,
                    rel,
                    &format!("{name} {dtype} {}", v.name),
                );
            }
            // Broadcast binary ops with a row.
            let (row, rv) = seeded(&[5], dtype, dev, 1101, 0.5, 2.0)?;
            for (name, got, f) in [
                ("add", v.t.add(&row)?, (|x, y| x + y) as fn(f64, f64) -> f64),
                ("mul", v.t.mul(&row)?, |x, y| x * y),
                ("div", v.t.div(&row)?, |x, y| x / y),
                ("maximum", v.t.maximum(&row)?, f64::max),
            ] {
                let want: Vec<f64> = v
                    .vals
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| round_to(f(x, rv[i % 5]), dtype))
                    .collect();
                assert_close(
                    &values(&got)?,
                    &want,
                    abs,
                    rel,
                    &format!("{name} {dtype} {}", v.name),
                );
            }
            let want: Vec<f64> = v
                .vals
                .iter()
                .map(|&x| round_to(x * round_to(1.3, dtype), dtype))
                .collect();
            assert_close(
                &values(&v.t.mul_scalar(1.3)?)?,
                &want,
                abs,
                rel,
                "mul_scalar",
            );
            // Reductions accumulate in f64 and round once.
            let (s, _) = naive_reduce(&v.vals, &[3, 4, 5], &[0, 2], false, |g| {
                kahan_sum(g.iter().copied())
            });
            let want: Vec<f64> = s.iter().map(|&x| round_to(x, dtype)).collect();
            let got = v.t.sum(&[0, 2], false)?;
            assert_eq!((got.dims(), got.dtype()), (&[4][..], dtype));
            assert_close(
                &values(&got)?,
                &want,
                abs,
                rel,
                &format!("sum {dtype} {}", v.name),
            );
            let (m, _) = naive_reduce(&v.vals, &[3, 4, 5], &[1], true, |g| {
                g.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            });
            assert_exact(&values(&v.t.max(&[1], true)?)?, &m, "max");
            // A mask and where_ keep half values bit for bit.
            let mask = v.t.gt_scalar(0.0)?;
            let got = mask.where_(&v.t, &v.t.neg()?)?;
            let want: Vec<f64> = v.vals.iter().map(|x| x.abs()).collect();
            assert_exact(&values(&got)?, &want, "where(x > 0, x, -x)");
        }
    }
    Ok(())
}
test_device!(
    half_types_compute_through_f32,
    half_compute_cpu,
    half_compute_cuda
);

#[test]
fn reference_rounding_is_right() {
    // Hand-computed f64 → f16/bf16 roundings, including just-above-tie values that a
    // conversion dropping low bits (or rounding through f32 first) gets wrong.
    let p = |e: i32| 2f64.powi(e);
    for (v, f16_want, bf16_want) in [
        (1.0 + p(-11), 1.0, 1.0),
        (1.0 + 3.0 * p(-11), 1.0 + p(-9), 1.0),
        (1.0 + p(-11) + p(-40), 1.0 + p(-10), 1.0),
        (1.0 + p(-8) + p(-40), 1.0 + p(-8), 1.0 + p(-7)),
        (1.0 + p(-8), 1.0 + p(-8), 1.0),
        (65519.0, 65504.0, 65536.0),
        (65520.0, f64::INFINITY, 65536.0),
        (-p(-25), -0.0, -p(-25)),
        (p(-25) + p(-60), p(-24), p(-25)),
        (3.0 * p(-26), p(-24), 3.0 * p(-26)),
    ] {
        assert_eq!(round_to(v, DType::F16), f16_want, "f16 of {v:e}");
        assert_eq!(round_to(v, DType::BF16), bf16_want, "bf16 of {v:e}");
    }
    assert!(round_to(-0.0, DType::F16).is_sign_negative());
    // For every source exact in f32, the exact reference agrees with half's from_f32.
    let mut rng = Rng::new(1);
    for _ in 0..200_000 {
        let x = f32::from_bits(rng.next_u64() as u32);
        if x.is_nan() {
            continue;
        }
        let v = f64::from(x);
        assert_eq!(
            round_to(v, DType::F16),
            f16::from_f32(x).to_f64(),
            "f16 of {x:e}"
        );
        assert_eq!(
            round_to(v, DType::BF16),
            bf16::from_f32(x).to_f64(),
            "bf16 of {x:e}"
        );
    }
    assert_eq!(
        i64_to_half(-((1 << 60) + (1 << 52) + 1), DType::BF16),
        -(p(60) + p(53))
    );
    assert_eq!(i64_to_half(i64::MAX, DType::BF16), p(63));
    assert_eq!(i64_to_half(70_000, DType::F16), f64::INFINITY);
}
