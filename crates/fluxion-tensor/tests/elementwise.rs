//! Unary, binary (NumPy broadcasting), scalar, comparison and `where_` ops on every layout, in
//! f32 and f64, against per-element references evaluated in f64 on the host; plus inputs large
//! enough (≥ 2¹⁵ elements) to take the parallel paths.
//!
//! Tolerances: the inputs are exactly representable in the dtype, so the reference sees the
//! same operands. A correctly rounded op is within ½ ulp of the f64 value, so `rel = 1·eps`
//! leaves 2× margin; libm's transcendental functions are within 1–2 ulp (`rel = 4·eps`);
//! composite formulas (sigmoid, GELU, softplus, affine) chain up to ~6 roundings and may cancel
//! (1 + tanh near −1), which is covered by an absolute part of a few eps times the O(1) input
//! scale. A wrong formula, sign or index is off by orders of magnitude more.

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result, Tensor};

type TensorFn = fn(&Tensor) -> Result<Tensor>;

/// (name, op, reference, input range, rel ulps, abs ulps)
type UnaryCase = (&'static str, TensorFn, fn(f64) -> f64, (f64, f64), f64, f64);

fn gelu_tanh_ref(x: f64) -> f64 {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

fn unary_cases() -> Vec<UnaryCase> {
    vec![
        ("neg", |t| t.neg(), |x| -x, (-3.0, 3.0), 0.0, 0.0),
        ("abs", |t| t.abs(), f64::abs, (-3.0, 3.0), 0.0, 0.0),
        ("exp", |t| t.exp(), f64::exp, (-3.0, 3.0), 4.0, 0.0),
        ("log", |t| t.log(), f64::ln, (0.01, 5.0), 4.0, 4.0),
        ("sqrt", |t| t.sqrt(), f64::sqrt, (0.0, 5.0), 1.0, 0.0),
        ("square", |t| t.square(), |x| x * x, (-3.0, 3.0), 1.0, 0.0),
        ("recip", |t| t.recip(), |x| 1.0 / x, (0.2, 4.0), 1.0, 0.0),
        (
            "powf(2.5)",
            |t| t.powf(2.5),
            |x| x.powf(2.5),
            (0.1, 3.0),
            4.0,
            0.0,
        ),
        (
            "powf(-1.5)",
            |t| t.powf(-1.5),
            |x| x.powf(-1.5),
            (0.1, 3.0),
            4.0,
            0.0,
        ),
        ("sin", |t| t.sin(), f64::sin, (-6.0, 6.0), 4.0, 4.0),
        ("cos", |t| t.cos(), f64::cos, (-6.0, 6.0), 4.0, 4.0),
        ("tanh", |t| t.tanh(), f64::tanh, (-4.0, 4.0), 4.0, 4.0),
        (
            "sigmoid",
            |t| t.sigmoid(),
            |x| 1.0 / (1.0 + (-x).exp()),
            (-8.0, 8.0),
            6.0,
            2.0,
        ),
        ("relu", |t| t.relu(), |x| x.max(0.0), (-3.0, 3.0), 0.0, 0.0),
        (
            "leaky_relu(0.1)",
            |t| t.leaky_relu(0.1),
            |x| if x < 0.0 { 0.1 * x } else { x },
            (-3.0, 3.0),
            2.0,
            0.0,
        ),
        (
            "leaky_relu_grad(0.1)",
            |t| t.leaky_relu_grad(0.1),
            |x| if x > 0.0 { 1.0 } else { 0.1 },
            (-3.0, 3.0),
            1.0,
            0.0,
        ),
        (
            "gelu_erf",
            |t| t.gelu_erf(),
            |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            (-4.0, 4.0),
            6.0,
            8.0,
        ),
        (
            // Φ(x) + xφ(x).
            "gelu_erf_grad",
            |t| t.gelu_erf_grad(),
            |x| {
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)) + x * pdf
            },
            (-5.0, 5.0),
            6.0,
            8.0,
        ),
        ("erf", |t| t.erf(), libm::erf, (-4.0, 4.0), 4.0, 8.0),
        (
            "gelu_tanh",
            |t| t.gelu_tanh(),
            gelu_tanh_ref,
            (-4.0, 4.0),
            6.0,
            8.0,
        ),
        (
            // PyTorch's softplus: x itself above the threshold 20.
            "softplus",
            |t| t.softplus(),
            |x| if x > 20.0 { x } else { x.exp().ln_1p() },
            (-30.0, 30.0),
            6.0,
            2.0,
        ),
        ("sign", |t| t.sign(), f64::signum, (-3.0, 3.0), 0.0, 0.0),
        (
            "affine(1.5, -0.25)",
            |t| t.affine(1.5, -0.25),
            |x| 1.5 * x - 0.25,
            (-3.0, 3.0),
            2.0,
            2.0,
        ),
    ]
}

fn unary_ops_match_reference(dev: &Device) -> Result<()> {
    for (name, op, reference, (lo, hi), rel, abs) in unary_cases() {
        for dtype in FLOATS {
            for shape in [&[3, 4, 5][..], &[7], &[]] {
                for v in layouts(shape, dtype, dev, 10, lo, hi)? {
                    let got = op(&v.t)?;
                    assert_eq!((got.dims(), got.dtype()), (shape, dtype));
                    let want: Vec<f64> = v.vals.iter().map(|&x| reference(x)).collect();
                    let e = eps(dtype);
                    assert_close(
                        &values(&got)?,
                        &want,
                        abs * e,
                        rel * e,
                        &format!("{name} {dtype} {:?} {}", shape, v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(unary_ops_match_reference, unary_cpu, unary_cuda);

type BinaryFn = fn(&Tensor, &Tensor) -> Result<Tensor>;

/// (name, op, reference, lhs range, rhs range, rel ulps)
type BinaryCase = (
    &'static str,
    BinaryFn,
    fn(f64, f64) -> f64,
    (f64, f64),
    (f64, f64),
    f64,
);

fn binary_cases() -> Vec<BinaryCase> {
    vec![
        (
            "add",
            |a, b| a.add(b),
            |x, y| x + y,
            (-3.0, 3.0),
            (-3.0, 3.0),
            1.0,
        ),
        (
            "sub",
            |a, b| a.sub(b),
            |x, y| x - y,
            (-3.0, 3.0),
            (-3.0, 3.0),
            1.0,
        ),
        (
            "mul",
            |a, b| a.mul(b),
            |x, y| x * y,
            (-3.0, 3.0),
            (-3.0, 3.0),
            1.0,
        ),
        (
            "div",
            |a, b| a.div(b),
            |x, y| x / y,
            (-3.0, 3.0),
            (0.5, 2.0),
            1.0,
        ),
        (
            "pow",
            |a, b| a.pow(b),
            f64::powf,
            (0.1, 3.0),
            (-2.0, 2.0),
            4.0,
        ),
        (
            "maximum",
            |a, b| a.maximum(b),
            f64::max,
            (-3.0, 3.0),
            (-3.0, 3.0),
            0.0,
        ),
        (
            "minimum",
            |a, b| a.minimum(b),
            f64::min,
            (-3.0, 3.0),
            (-3.0, 3.0),
            0.0,
        ),
    ]
}

/// Shape pairs that broadcast NumPy-style, including a 0-d operand.
const BROADCAST_PAIRS: [(&[usize], &[usize]); 6] = [
    (&[3, 4, 5], &[3, 4, 5]),
    (&[3, 1, 5], &[4, 1]),
    (&[5], &[2, 3, 5]),
    (&[], &[3, 4]),
    (&[2, 1], &[1, 3]),
    (&[4, 6], &[]),
];

/// The elementwise reference of `f` on broadcast operands.
fn broadcast_ref(
    a: &[f64],
    sa: &[usize],
    b: &[f64],
    sb: &[usize],
    f: impl Fn(f64, f64) -> f64,
) -> (Vec<f64>, Vec<usize>) {
    let out = broadcast_shapes(sa, sb).expect("shapes broadcast");
    let va = broadcast_values(a, sa, &out);
    let vb = broadcast_values(b, sb, &out);
    (va.iter().zip(&vb).map(|(&x, &y)| f(x, y)).collect(), out)
}

fn binary_ops_broadcast_like_numpy(dev: &Device) -> Result<()> {
    for (name, op, reference, lr, rr, rel) in binary_cases() {
        for dtype in FLOATS {
            for (sa, sb) in BROADCAST_PAIRS {
                let lhs = layouts(sa, dtype, dev, 20, lr.0, lr.1)?;
                let rhs = layouts(sb, dtype, dev, 21, rr.0, rr.1)?;
                for a in &lhs {
                    for b in &rhs {
                        let got = op(&a.t, &b.t)?;
                        let (want, shape) = broadcast_ref(&a.vals, sa, &b.vals, sb, reference);
                        assert_eq!(got.dims(), shape.as_slice());
                        assert_close(
                            &values(&got)?,
                            &want,
                            0.0,
                            rel * eps(dtype),
                            &format!("{name} {dtype} {sa:?} {} with {sb:?} {}", a.name, b.name),
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
test_device!(binary_ops_broadcast_like_numpy, binary_cpu, binary_cuda);

type ScalarFn = fn(&Tensor, f64) -> Result<Tensor>;
/// (name, op, reference(x, s), rel ulps)
type ScalarCase = (&'static str, ScalarFn, fn(f64, f64) -> f64, f64);

fn scalar_variants_convert_the_scalar_first(dev: &Device) -> Result<()> {
    // (name, op, reference(x, s), rel ulps); s = 0.37 is not representable in f32, and the
    // documented semantics convert it to the tensor's dtype before the op.
    let cases: [ScalarCase; 9] = [
        ("add_scalar", |t, s| t.add_scalar(s), |x, s| x + s, 1.0),
        ("sub_scalar", |t, s| t.sub_scalar(s), |x, s| x - s, 1.0),
        ("mul_scalar", |t, s| t.mul_scalar(s), |x, s| x * s, 1.0),
        ("div_scalar", |t, s| t.div_scalar(s), |x, s| x / s, 1.0),
        ("pow_scalar", |t, s| t.pow_scalar(s), f64::powf, 4.0),
        ("maximum_scalar", |t, s| t.maximum_scalar(s), f64::max, 0.0),
        ("minimum_scalar", |t, s| t.minimum_scalar(s), f64::min, 0.0),
        ("rsub_scalar", |t, s| t.rsub_scalar(s), |x, s| s - x, 1.0),
        ("rdiv_scalar", |t, s| t.rdiv_scalar(s), |x, s| s / x, 1.0),
    ];
    for (name, op, reference, rel) in cases {
        for dtype in FLOATS {
            let s = round_to(0.37, dtype);
            for v in layouts(&[3, 4, 5], dtype, dev, 30, 0.25, 3.0)? {
                let got = op(&v.t, 0.37)?;
                assert_eq!((got.dims(), got.dtype()), (&[3, 4, 5][..], dtype));
                let want: Vec<f64> = v.vals.iter().map(|&x| reference(x, s)).collect();
                assert_close(
                    &values(&got)?,
                    &want,
                    0.0,
                    rel * eps(dtype),
                    &format!("{name} {dtype} {}", v.name),
                );
            }
        }
    }
    Ok(())
}
test_device!(
    scalar_variants_convert_the_scalar_first,
    scalar_cpu,
    scalar_cuda
);

type CmpFn = fn(&Tensor, &Tensor) -> Result<Tensor>;
type CmpScalarFn = fn(&Tensor, f64) -> Result<Tensor>;
/// (name, op, scalar op, reference)
type CmpCase = (&'static str, CmpFn, CmpScalarFn, fn(f64, f64) -> bool);

fn comparisons_give_u8_masks(dev: &Device) -> Result<()> {
    let cases: [CmpCase; 6] = [
        ("eq", |a, b| a.eq(b), |a, s| a.eq_scalar(s), |x, y| x == y),
        ("ne", |a, b| a.ne(b), |a, s| a.ne_scalar(s), |x, y| x != y),
        ("lt", |a, b| a.lt(b), |a, s| a.lt_scalar(s), |x, y| x < y),
        ("le", |a, b| a.le(b), |a, s| a.le_scalar(s), |x, y| x <= y),
        ("gt", |a, b| a.gt(b), |a, s| a.gt_scalar(s), |x, y| x > y),
        ("ge", |a, b| a.ge(b), |a, s| a.ge_scalar(s), |x, y| x >= y),
    ];
    // Small integers so that ties are frequent; every dtype compares.
    let ints = |r: &mut Rng| r.uniform(0.0, 4.0).floor() - 1.0;
    for (name, op, op_scalar, reference) in cases {
        for dtype in DType::ALL {
            for (sa, sb) in BROADCAST_PAIRS {
                let lhs = layouts_with(sa, dtype, dev, 40, ints)?;
                let rhs = layouts_with(sb, dtype, dev, 41, ints)?;
                for a in &lhs {
                    for b in &rhs {
                        let got = op(&a.t, &b.t)?;
                        assert_eq!(got.dtype(), DType::U8);
                        let (want, shape) = broadcast_ref(&a.vals, sa, &b.vals, sb, |x, y| {
                            f64::from(u8::from(reference(x, y)))
                        });
                        assert_eq!(got.dims(), shape.as_slice());
                        assert_exact(
                            &values(&got)?,
                            &want,
                            &format!("{name} {dtype} {sa:?} {} with {sb:?} {}", a.name, b.name),
                        );
                    }
                }
            }
            for a in layouts_with(&[3, 4], dtype, dev, 42, ints)? {
                let got = op_scalar(&a.t, 1.0)?;
                let want: Vec<f64> = a
                    .vals
                    .iter()
                    .map(|&x| f64::from(u8::from(reference(x, 1.0))))
                    .collect();
                assert_exact(
                    &values(&got)?,
                    &want,
                    &format!("{name}_scalar {dtype} {}", a.name),
                );
            }
        }
    }
    Ok(())
}
test_device!(comparisons_give_u8_masks, cmp_cpu, cmp_cuda);

fn where_selects_with_broadcasting(dev: &Device) -> Result<()> {
    let (sc, st, sf): (&[usize], &[usize], &[usize]) = (&[3, 1, 5], &[4, 5], &[3, 4, 1]);
    let out = [3, 4, 5];
    for dtype in [DType::F32, DType::F64, DType::I64, DType::F16] {
        let conds = layouts_with(sc, DType::U8, dev, 50, |r| r.uniform(0.0, 2.0).floor())?;
        let ts = layouts(st, dtype, dev, 51, -5.0, 5.0)?;
        let fs = layouts(sf, dtype, dev, 52, 10.0, 20.0)?;
        for c in &conds {
            for t in &ts {
                for f in &fs {
                    let got = c.t.where_(&t.t, &f.t)?;
                    assert_eq!((got.dims(), got.dtype()), (&out[..], dtype));
                    let (vc, vt, vf) = (
                        broadcast_values(&c.vals, sc, &out),
                        broadcast_values(&t.vals, st, &out),
                        broadcast_values(&f.vals, sf, &out),
                    );
                    let want: Vec<f64> = (0..vc.len())
                        .map(|i| if vc[i] != 0.0 { vt[i] } else { vf[i] })
                        .collect();
                    assert_exact(
                        &values(&got)?,
                        &want,
                        &format!(
                            "where {dtype} cond {} true {} false {}",
                            c.name, t.name, f.name
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(where_selects_with_broadcasting, where_cpu, where_cuda);

fn large_inputs_take_parallel_paths(dev: &Device) -> Result<()> {
    // 300×200 = 60 000 and 2¹⁷ elements are above the 2¹⁵ parallel threshold; a chunk or row
    // boundary mistake shows up as wrong or NaN (padding) elements.
    for dtype in FLOATS {
        let e = eps(dtype);
        for v in layouts(&[300, 200], dtype, dev, 60, -3.0, 3.0)? {
            let what = |op: &str| format!("{op} {dtype} 300×200 {}", v.name);
            let want: Vec<f64> = v.vals.iter().map(|x| x.tanh()).collect();
            assert_close(
                &values(&v.t.tanh()?)?,
                &want,
                4.0 * e,
                4.0 * e,
                &what("tanh"),
            );
            // Strided lhs with a broadcast row and with another strided operand.
            let (row, rv) = seeded(&[200], dtype, dev, 61, -3.0, 3.0)?;
            let got = v.t.mul(&row)?;
            let (want, _) = broadcast_ref(&v.vals, &[300, 200], &rv, &[200], |x, y| x * y);
            assert_close(&values(&got)?, &want, 0.0, e, &what("mul by a row"));
            let col = row
                .narrow(0, 0, 150)?
                .reshape([150, 1, 1])?
                .broadcast_to([150, 2, 200])?;
            let got = col.reshape([300, 200])?.sub(&v.t)?;
            let cv: Vec<f64> = (0..60_000).map(|i| rv[(i / 200) / 2]).collect();
            let want: Vec<f64> = cv.iter().zip(&v.vals).map(|(c, x)| c - x).collect();
            assert_close(&values(&got)?, &want, 0.0, e, &what("sub from a column"));
            let tt = v.t.t()?.contiguous()?.t()?;
            let want: Vec<f64> = v.vals.iter().map(|x| x.max(0.0) + x).collect();
            let got = v.t.relu()?.add(&tt)?;
            assert_close(&values(&got)?, &want, 0.0, e, &what("relu + transposed"));
            let mask = v.t.gt_scalar(0.5)?;
            let got = mask.where_(&v.t, &row)?;
            let want: Vec<f64> = (0..60_000)
                .map(|i| {
                    if v.vals[i] > 0.5 {
                        v.vals[i]
                    } else {
                        rv[i % 200]
                    }
                })
                .collect();
            assert_exact(&values(&got)?, &want, &what("where"));
        }
        let n = 1 << 17;
        let (a, av) = seeded(&[n], dtype, dev, 62, -3.0, 3.0)?;
        let (b, bv) = seeded(&[n], dtype, dev, 63, 0.5, 2.0)?;
        let want: Vec<f64> = av.iter().zip(&bv).map(|(x, y)| x / y).collect();
        assert_close(&values(&a.div(&b)?)?, &want, 0.0, e, "div 2^17");
        let want: Vec<f64> = av.iter().map(|x| x.exp()).collect();
        assert_close(&values(&a.exp()?)?, &want, 0.0, 4.0 * e, "exp 2^17");
        // Every other element of a 2¹⁸ vector: strided, parallel.
        let s = Tensor::concat(&[&a, &b], 0)?
            .reshape([n, 2])?
            .narrow(1, 0, 1)?
            .squeeze(1)?;
        assert!(!s.is_contiguous());
        let cat: Vec<f64> = av.iter().chain(&bv).copied().collect();
        let want: Vec<f64> = (0..n).map(|i| -cat[2 * i]).collect();
        assert_exact(&values(&s.neg()?)?, &want, "neg of a strided 2^17 view");
    }
    Ok(())
}
test_device!(large_inputs_take_parallel_paths, large_cpu, large_cuda);

/// The fused leaky-ReLU derivative is bitwise the composite it replaces in autodiff:
/// `(x > 0)` cast to the dtype, then `affine(1 − α, α)`, including at ±0, ±∞ and NaN.
#[test]
fn leaky_relu_grad_matches_mask_affine_bitwise() -> Result<()> {
    let dev = Device::Cpu;
    let xs = vec![
        -2.5,
        -1e-30,
        -0.0,
        0.0,
        1e-30,
        0.75,
        3.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    for dtype in [DType::F32, DType::F64, DType::F16, DType::BF16] {
        for slope in [0.01, 0.1, 0.2, 0.0, -0.5, 1.5] {
            let x = Tensor::from_vec(xs.clone(), [xs.len()], &dev)?.to_dtype(dtype)?;
            let fused = x.leaky_relu_grad(slope)?;
            let composite = x
                .gt_scalar(0.0)?
                .to_dtype(dtype)?
                .affine(1.0 - slope, slope)?;
            let (f, c) = (
                fused.to_dtype(DType::F64)?.to_vec::<f64>()?,
                composite.to_dtype(DType::F64)?.to_vec::<f64>()?,
            );
            for (a, b) in f.iter().zip(&c) {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{dtype:?} slope {slope}: {f:?} vs {c:?}"
                );
            }
            // Strided input takes the row path.
            let m = Tensor::from_vec(xs.repeat(2), [2, xs.len()], &dev)?.to_dtype(dtype)?;
            let t = m.t()?.leaky_relu_grad(slope)?;
            let tc = m
                .t()?
                .gt_scalar(0.0)?
                .to_dtype(dtype)?
                .affine(1.0 - slope, slope)?;
            assert_eq!(
                t.to_dtype(DType::F64)?
                    .to_vec::<f64>()?
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
                tc.to_dtype(DType::F64)?
                    .to_vec::<f64>()?
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            );
        }
    }
    Ok(())
}
