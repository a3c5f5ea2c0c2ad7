//! `elementwise.cu` (unary, binary, comparisons, where, strided copy) and `fill.cu` against the CPU.

use super::*;

// ---------------------------------------------------------------------------------------------
// elementwise.cu: unary ops

/// The doubles a unary kernel takes after `out`: mirrors `params` in elementwise.rs (private to
/// that module), which `unary_launch` pushes after `out`.
fn scalar_params(op: UnaryOp) -> Vec<f64> {
    match op {
        UnaryOp::Powf(p) | UnaryOp::LeakyRelu(p) | UnaryOp::LeakyReluGrad(p) => vec![p],
        UnaryOp::Affine { mul, add } => vec![mul, add],
        _ => Vec::new(),
    }
}

/// `{op}_{dtype}` over `src` viewed through `l`, packed as elementwise.rs `unary_launch`:
/// (n, rank, info, in, in_offset, out [, p [, q]]).
fn emulate_unary(
    m: &HostModule,
    op: UnaryOp,
    src: &CpuStorage,
    l: &Layout,
    cfg: (u32, u32),
) -> CpuStorage {
    let dtype = src.dtype();
    let n = l.elem_count();
    let name = format!("{}_{}", op.name(), dtype.as_str());
    let info = info_array([l]);
    let rank = info_rank(&info, 1);
    let info = info_ptr(&info);
    let offset = l.start_offset();
    let mut input = DevBuf::upload(src);
    let mut out = DevBuf::poisoned(n, dtype);
    let (inp, outp) = (input.ptr(), out.ptr());
    let params = scalar_params(op);
    let mut args = kernel_args![&n, &rank, &info, &inp, &offset, &outp];
    for p in &params {
        args.push(p);
    }
    // SAFETY: `input` holds src's elements, every offset of `l` (validated by its construction)
    // lies inside it, `info` (if not null) has rank dims then rank strides, `out` holds n elements.
    unsafe { run(m, &name, cfg, &args) };
    input.download();
    out.download()
}

/// Every unary op, parameterised ones with a few parameters (affine with add = -0 is
/// `scale_contiguous`'s exact multiply).
fn unary_ops() -> Vec<UnaryOp> {
    vec![
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Square,
        UnaryOp::Recip,
        UnaryOp::Powf(2.0),
        UnaryOp::Powf(-1.5),
        UnaryOp::Powf(0.1),
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::LeakyRelu(0.01),
        UnaryOp::LeakyReluGrad(0.2),
        UnaryOp::GeluTanh,
        UnaryOp::GeluErf,
        UnaryOp::GeluErfGrad,
        UnaryOp::Erf,
        UnaryOp::Softplus,
        UnaryOp::Sign,
        UnaryOp::Affine {
            mul: 1.5,
            add: -0.3,
        },
        UnaryOp::Affine {
            mul: 0.1,
            add: -0.0,
        },
    ]
}

/// Allowed |emulated − CPU| for an element with input `x` and CPU result `w`, or `None` where the
/// op must agree bit for bit (only separately rounded `+ - * /`, sqrt and selections).
///
/// - exp, log, sin, cos, tanh, pow, log1p (softplus), and the ops built on them (sigmoid,
///   gelu_tanh): the CPU calls the system libm through Rust's std and the emulator calls the same
///   glibc functions, so they agree bit for bit here; 4 ulp is the bound stated in
///   elementwise.cu ("libdevice ... may differ in the last ulp or two"), doubled for the
///   compound ops.
/// - f32 erf and the ops built on it: the CPU uses `fast_math::erf_f32`, within 1e-7 absolute
///   (its module docs), the emulator glibc's erff (within 1 ulp): 2e-7 absolute on erf, scaled by
///   the factor the op multiplies erf by (0.5·|x| for gelu_erf, 0.5 for gelu_erf_grad), plus
///   gelu_erf_grad's exp term, for which the CPU uses `fast_math::exp_f32` (2 ulp).
/// - f64 erf: the CPU uses the `libm` crate (musl's erf), the emulator glibc's: both within an
///   ulp, so 4 ulp of 1 (absolute) on erf, scaled as for f32.
///
/// f16/bf16 compute in f32 and round once, so their bound is the f32 one plus one ulp of the
/// narrow type (an f32 difference can cross a rounding boundary).
fn unary_tolerance(op: UnaryOp, dtype: DType) -> Option<Box<dyn Fn(f64, f64) -> f64>> {
    let wide = if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let narrow = matches!(dtype, DType::F16 | DType::BF16);
    // Absolute error of erf on the two sides, and relative error of the CPU's fused exp.
    let (erf_abs, exp_rel) = if wide == DType::F64 {
        (4.0 * f64::EPSILON, 4.0 * f64::EPSILON)
    } else {
        (2e-7, 3.0 * f64::from(f32::EPSILON))
    };
    let libm_ulps = |ulps: f64| -> Box<dyn Fn(f64, f64) -> f64> {
        Box::new(move |_x, w| ulps * ulp(wide, w) + if narrow { ulp(dtype, w) } else { 0.0 })
    };
    let k = 0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2;
    let with_abs = |abs: Box<dyn Fn(f64) -> f64>| -> Box<dyn Fn(f64, f64) -> f64> {
        Box::new(move |x, w| abs(x) + 4.0 * ulp(wide, w) + if narrow { ulp(dtype, w) } else { 0.0 })
    };
    match op {
        UnaryOp::Neg
        | UnaryOp::Abs
        | UnaryOp::Sqrt
        | UnaryOp::Square
        | UnaryOp::Recip
        | UnaryOp::Relu
        | UnaryOp::LeakyRelu(_)
        | UnaryOp::LeakyReluGrad(_)
        | UnaryOp::Sign
        | UnaryOp::Affine { .. } => None,
        UnaryOp::Exp | UnaryOp::Log | UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tanh => {
            Some(libm_ulps(4.0))
        }
        UnaryOp::Powf(_) | UnaryOp::Sigmoid | UnaryOp::Softplus | UnaryOp::GeluTanh => {
            Some(libm_ulps(8.0))
        }
        UnaryOp::Erf => Some(with_abs(Box::new(move |_x| erf_abs))),
        UnaryOp::GeluErf => Some(with_abs(Box::new(move |x: f64| 0.5 * x.abs() * erf_abs))),
        UnaryOp::GeluErfGrad => Some(with_abs(Box::new(move |x: f64| {
            0.5 * erf_abs + (x * k).abs() * (-0.5 * x * x).exp() * exp_rel
        }))),
    }
}

/// Every unary op of `dtypes` over every layout and both launch configurations.
fn check_unary(dtypes: &[DType], ops: &[UnaryOp]) {
    let Some(m) = require_or_skip(Id::Elementwise) else {
        return;
    };
    for &dtype in dtypes {
        for (lname, l) in layouts() {
            let src = buffer_for(&l, dtype, 7, false);
            let inputs = src.copy_strided(&l).unwrap();
            for &op in ops {
                let want = src.unary(&l, op).unwrap();
                let tol = unary_tolerance(op, dtype);
                let inputs = &inputs;
                let tol = tol
                    .as_ref()
                    .map(|t| move |i: usize, w: f64| t(elem(inputs, i).1, w));
                for cfg in configs(l.elem_count()) {
                    let got = emulate_unary(&m, op, &src, &l, cfg);
                    let what = format!("{op:?} {dtype} {lname} {cfg:?}");
                    let tol_ref = tol.as_ref().map(|t| t as &dyn Fn(usize, f64) -> f64);
                    check(&what, &got, &want, Nan::Any, tol_ref);
                }
            }
        }
    }
}

#[test]
fn emulated_unary_ops_match_the_cpu_in_f32_and_f64() {
    check_unary(&[DType::F32, DType::F64], &unary_ops());
}

#[test]
fn emulated_unary_ops_match_the_cpu_in_f16_and_bf16() {
    let ops = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sqrt,
        UnaryOp::Recip,
        UnaryOp::Exp,
        UnaryOp::Tanh,
        UnaryOp::GeluErf,
        UnaryOp::LeakyReluGrad(0.2),
        UnaryOp::Affine {
            mul: 1.5,
            add: -0.3,
        },
    ];
    check_unary(&[DType::F16, DType::BF16], &ops);
}

// ---------------------------------------------------------------------------------------------
// elementwise.cu: binary ops, comparisons, where

/// `name` over (lhs, la) and (rhs, lb) into `out_dtype`, packed as elementwise.rs `pair`:
/// (n, rank, info, lhs, lhs_offset, rhs, rhs_offset, out).
fn emulate_pair(
    m: &HostModule,
    name: &str,
    (lhs, la): (&CpuStorage, &Layout),
    (rhs, lb): (&CpuStorage, &Layout),
    out_dtype: DType,
    cfg: (u32, u32),
) -> CpuStorage {
    let n = la.elem_count();
    let info = info_array([la, lb]);
    let rank = info_rank(&info, 2);
    let info = info_ptr(&info);
    let (oa, ob) = (la.start_offset(), lb.start_offset());
    let (mut a, mut b) = (DevBuf::upload(lhs), DevBuf::upload(rhs));
    let mut out = DevBuf::poisoned(n, out_dtype);
    let (pa, pb, po) = (a.ptr(), b.ptr(), out.ptr());
    let args = kernel_args![&n, &rank, &info, &pa, &oa, &pb, &ob, &po];
    // SAFETY: both inputs hold their layouts' elements, `info` (or null) describes the two
    // operands, `out` holds n elements of `out_dtype`.
    unsafe { run(m, name, cfg, &args) };
    a.download();
    b.download();
    out.download()
}

const BINARY_OPS: [BinaryOp; 7] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Pow,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
];

const CMP_OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

fn check_binary(dtypes: &[DType], ops: &[BinaryOp]) {
    let Some(m) = require_or_skip(Id::Elementwise) else {
        return;
    };
    for &dtype in dtypes {
        for (lname, la, lb) in layout_pairs() {
            for discrete in [false, true] {
                let a = buffer_for(&la, dtype, 11, discrete);
                let b = buffer_for(&lb, dtype, 12, discrete);
                for &op in ops {
                    let want = a.binary(&la, &b, &lb, op).unwrap();
                    // pow is libm's on both sides (see `unary_tolerance`); the rest is exact.
                    let wide = if dtype == DType::F64 {
                        DType::F64
                    } else {
                        DType::F32
                    };
                    let pow_tol = move |_i: usize, w: f64| 8.0 * ulp(wide, w) + ulp(dtype, w);
                    let tol =
                        (op == BinaryOp::Pow).then_some(&pow_tol as &dyn Fn(usize, f64) -> f64);
                    let name = format!("{}_{}", op.name(), dtype.as_str());
                    for cfg in configs(la.elem_count()) {
                        let got = emulate_pair(&m, &name, (&a, &la), (&b, &lb), dtype, cfg);
                        let what = format!("{name} {lname} discrete={discrete} {cfg:?}");
                        check(&what, &got, &want, Nan::Any, tol);
                    }
                }
            }
        }
    }
}

#[test]
fn emulated_binary_ops_match_the_cpu_in_f32_and_f64() {
    check_binary(&[DType::F32, DType::F64], &BINARY_OPS);
}

#[test]
fn emulated_binary_ops_match_the_cpu_in_f16_and_bf16() {
    let ops = [
        BinaryOp::Add,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
    ];
    check_binary(&[DType::F16, DType::BF16], &ops);
}

#[test]
fn emulated_comparisons_match_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Elementwise) else {
        return;
    };
    for dtype in DType::ALL {
        for (lname, la, lb) in layout_pairs() {
            let a = buffer_for(&la, dtype, 21, true);
            let b = buffer_for(&lb, dtype, 22, true);
            for op in CMP_OPS {
                let want = a.cmp(&la, &b, &lb, op).unwrap();
                // Packed as elementwise.rs `cmp`, then `pair` with a u8 output.
                let name = format!("cmp_{}_{}", op.name(), dtype.as_str());
                for cfg in configs(la.elem_count()) {
                    let got = emulate_pair(&m, &name, (&a, &la), (&b, &lb), DType::U8, cfg);
                    check(
                        &format!("{name} {lname} {cfg:?}"),
                        &got,
                        &want,
                        Nan::Bits,
                        None,
                    );
                }
            }
        }
    }
}

#[test]
fn emulated_where_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Elementwise) else {
        return;
    };
    for dtype in DType::ALL {
        for (lname, la, lb) in layout_pairs() {
            // The condition takes the other operand's layout shape: contiguous, or broadcast.
            let lc = match lname {
                "broadcast rhs" | "broadcast both, offset" => lb.clone(),
                _ => Layout::contiguous(la.shape().clone()),
            };
            let mut rng = Rng(31);
            let cond = CpuStorage::U8(
                (0..lc.storage_extent())
                    .map(|_| [0u8, 1, 2, 255][rng.below(4)])
                    .collect(),
            );
            let a = buffer_for(&la, dtype, 32, false);
            let b = buffer_for(&lb, dtype, 33, false);
            let want = cond.where_cond(&lc, &a, &la, &b, &lb).unwrap();
            let name = format!("where_{}", dtype.as_str());
            for cfg in configs(la.elem_count()) {
                // Packed as elementwise.rs `where_cond`: (n, rank, info, cond, cond_offset, a,
                // a_offset, b, b_offset, out), info for the operands (cond, a, b).
                let n = lc.elem_count();
                let info = info_array([&lc, &la, &lb]);
                let rank = info_rank(&info, 3);
                let info = info_ptr(&info);
                let offs = [lc.start_offset(), la.start_offset(), lb.start_offset()];
                let (mut dc, mut da, mut db) = (
                    DevBuf::upload(&cond),
                    DevBuf::upload(&a),
                    DevBuf::upload(&b),
                );
                let mut out = DevBuf::poisoned(n, dtype);
                let (pc, pa, pb, po) = (dc.ptr(), da.ptr(), db.ptr(), out.ptr());
                let args = kernel_args![
                    &n, &rank, &info, &pc, &offs[0], &pa, &offs[1], &pb, &offs[2], &po
                ];
                // SAFETY: the three inputs hold their layouts' elements, `info` (or null)
                // describes them, `out` holds n elements.
                unsafe { run(&m, &name, cfg, &args) };
                let got = out.download();
                check(
                    &format!("{name} {lname} {cfg:?}"),
                    &got,
                    &want,
                    Nan::Bits,
                    None,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// elementwise.cu copy, fill.cu

#[test]
fn emulated_strided_copy_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Elementwise) else {
        return;
    };
    for dtype in DType::ALL {
        for (lname, l) in layouts() {
            let src = buffer_for(&l, dtype, 41, false);
            let want = src.copy_strided(&l).unwrap();
            let name = format!("copy_{}", dtype.as_str());
            for cfg in configs(l.elem_count()) {
                // Packed as copy.rs `strided_copy`: (n, rank, info, in, in_offset, out).
                let n = l.elem_count();
                let info = info_array([&l]);
                let rank = info_rank(&info, 1);
                let info = info_ptr(&info);
                let offset = l.start_offset();
                let mut input = DevBuf::upload(&src);
                let mut out = DevBuf::poisoned(n, dtype);
                let (pi, po) = (input.ptr(), out.ptr());
                let args = kernel_args![&n, &rank, &info, &pi, &offset, &po];
                // SAFETY: `input` holds the layout's elements, `out` n elements.
                unsafe { run(&m, &name, cfg, &args) };
                let got = out.download();
                check(
                    &format!("{name} {lname} {cfg:?}"),
                    &got,
                    &want,
                    Nan::Bits,
                    None,
                );
            }
        }
    }
}

/// `fill_{dtype}(out, n, value)` with `value` in the storage type `T` of `dtype`.
fn emulate_fill<T: Copy>(
    m: &HostModule,
    name: &str,
    n: usize,
    value: T,
    dtype: DType,
    cfg: (u32, u32),
) -> CpuStorage {
    let mut out = DevBuf::poisoned(n, dtype);
    let po = out.ptr();
    // SAFETY: `out` holds n elements of T.
    unsafe { run(m, name, cfg, &kernel_args![&po, &n, &value]) };
    out.download()
}

#[test]
fn emulated_fill_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Fill) else {
        return;
    };
    // Converted on the host as copy.rs `full` does (the CPU's from_f64: rounding, saturation).
    let values = [
        0.0,
        -0.0,
        1.5,
        -2.75,
        f64::NAN,
        f64::INFINITY,
        1e-7,
        70000.0,
        300.0,
        -5.0,
        1e20,
    ];
    let n = 1000;
    for dtype in DType::ALL {
        for value in values {
            let want = CpuStorage::full(value, n, dtype);
            let name = format!("fill_{}", dtype.as_str());
            for cfg in configs(n) {
                // Packed as copy.rs `full`: (out, n, value), the value converted on the host to
                // the storage type (raw bits for f16/bf16).
                let got = match dtype {
                    DType::F16 => emulate_fill(
                        &m,
                        &name,
                        n,
                        <f16 as WithDType>::from_f64(value).to_bits(),
                        dtype,
                        cfg,
                    ),
                    DType::BF16 => emulate_fill(
                        &m,
                        &name,
                        n,
                        <bf16 as WithDType>::from_f64(value).to_bits(),
                        dtype,
                        cfg,
                    ),
                    DType::F32 => emulate_fill(
                        &m,
                        &name,
                        n,
                        <f32 as WithDType>::from_f64(value),
                        dtype,
                        cfg,
                    ),
                    DType::F64 => emulate_fill(&m, &name, n, value, dtype, cfg),
                    DType::U8 => {
                        emulate_fill(&m, &name, n, <u8 as WithDType>::from_f64(value), dtype, cfg)
                    }
                    DType::I64 => emulate_fill(
                        &m,
                        &name,
                        n,
                        <i64 as WithDType>::from_f64(value),
                        dtype,
                        cfg,
                    ),
                };
                check(
                    &format!("{name}({value}) {cfg:?}"),
                    &got,
                    &want,
                    Nan::Bits,
                    None,
                );
            }
        }
    }
}
