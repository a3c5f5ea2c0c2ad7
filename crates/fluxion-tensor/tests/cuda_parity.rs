//! CPU-vs-CUDA parity: every op family run on the CPU and on `cuda:0` with the same seeded
//! inputs in the same layouts (contiguous, transposed/strided, narrowed, broadcast), compared
//! element by element.
//!
//! Tolerances, and why:
//! - bitwise: +, −, ×, ÷, √, neg, abs, square, recip, relu, leaky ReLU (and its grad), sign,
//!   affine, maximum, minimum, comparisons, where, copies, index ops, casts, max/min/argmax/argmin.
//!   Both backends round each operation once to nearest (the kernels use explicitly rounded
//!   intrinsics, never FMA contraction), so the bits must agree.
//! - 4 ulp (relative `4·eps`) for one transcendental function (exp, log, sin, cos, tanh, erf):
//!   CUDA's libdevice and the CPU's libm / fast_math are each within about 2 ulp of the exact
//!   value. 8 ulp with an absolute part of `8·eps` for compositions (sigmoid, softplus, the GELUs,
//!   pow/powf), where two or three such errors combine and a sum can cancel.
//! - sums: both accumulate in f64 and round once, in different orders: the difference is at most
//!   about `n·eps_f64·Σ|x|` before the final rounding, so one ulp of the result's dtype plus that.
//! - matmul: cuBLAS and gemm sum k products in different orders: `|Δ| ≤ 2·k·eps·Σ|a||b|` (the
//!   classical bound for two summation orders, faer's residual style).
//! - complex_matmul: bitwise against `testing::complex_matmul_reference`, the kernel's own loop on
//!   the host (every operation explicitly rounded on both sides, in the same order).
//! - FFT: both are O(log n) stable transforms: `|Δ| ≤ c·log2(N)·eps·‖x‖₂` per element with c = 8,
//!   where ‖x‖₂ is the norm of the input (RustFFT's convention).
//!
//! Without a GPU every test prints `skipping …` and passes; with `FLUXION_REQUIRE_CUDA=1` a
//! missing GPU fails instead (see `common::cuda_device`).

mod common;

use common::*;
use fluxion_tensor::{BinaryOp, CmpOp, DType, Device, FftNorm, ReduceOp, Result, Tensor, UnaryOp};

const ALL_FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];
const ALL: [DType; 6] = [
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
    DType::U8,
    DType::I64,
];

/// Compares with `|gpu − cpu| ≤ abs_eps·eps + rel_eps·eps·|cpu|`; (0, 0) is bitwise.
fn check(cpu: &Tensor, gpu: &Tensor, abs_eps: f64, rel_eps: f64, what: &str) -> Result<()> {
    assert_eq!(cpu.dims(), gpu.dims(), "{what}: shapes differ");
    assert_eq!(cpu.dtype(), gpu.dtype(), "{what}: dtypes differ");
    assert!(gpu.device().is_cuda(), "{what}: result left the GPU");
    let e = if cpu.dtype().is_float() {
        eps(cpu.dtype())
    } else {
        0.0
    };
    assert_close(&values(gpu)?, &values(cpu)?, abs_eps * e, rel_eps * e, what);
    Ok(())
}

/// The same layout variants of seeded values on both devices.
fn variants(
    shape: &[usize],
    dtype: DType,
    gpu: &Device,
    seed: u64,
    lo: f64,
    hi: f64,
) -> Result<Vec<(Variant, Variant)>> {
    let c = layouts(shape, dtype, &Device::Cpu, seed, lo, hi)?;
    let g = layouts(shape, dtype, gpu, seed, lo, hi)?;
    Ok(c.into_iter().zip(g).collect())
}

fn unary_cases() -> Vec<(UnaryOp, f64, f64, f64, f64)> {
    use UnaryOp::*;
    // (op, lo, hi, abs ulps, rel ulps)
    vec![
        (Neg, -5.0, 5.0, 0.0, 0.0),
        (Abs, -5.0, 5.0, 0.0, 0.0),
        (Sqrt, 0.0, 9.0, 0.0, 0.0),
        (Square, -5.0, 5.0, 0.0, 0.0),
        (Recip, 0.5, 4.0, 0.0, 0.0),
        (Relu, -2.0, 2.0, 0.0, 0.0),
        (LeakyRelu(0.1), -2.0, 2.0, 0.0, 0.0),
        (LeakyReluGrad(0.1), -2.0, 2.0, 0.0, 0.0),
        (Sign, -2.0, 2.0, 0.0, 0.0),
        (
            Affine {
                mul: 1.5,
                add: -0.25,
            },
            -3.0,
            3.0,
            0.0,
            0.0,
        ),
        (Exp, -5.0, 5.0, 0.0, 4.0),
        (Log, 0.01, 10.0, 4.0, 4.0),
        (Sin, -6.0, 6.0, 4.0, 4.0),
        (Cos, -6.0, 6.0, 4.0, 4.0),
        (Tanh, -4.0, 4.0, 4.0, 4.0),
        (Erf, -3.0, 3.0, 4.0, 4.0),
        (Powf(1.5), 0.1, 4.0, 8.0, 8.0),
        (Sigmoid, -6.0, 6.0, 8.0, 8.0),
        (Softplus, -6.0, 25.0, 8.0, 8.0),
        (GeluTanh, -4.0, 4.0, 8.0, 8.0),
        (GeluErf, -4.0, 4.0, 8.0, 8.0),
        (GeluErfGrad, -4.0, 4.0, 8.0, 8.0),
    ]
}

#[test]
fn unary_ops_agree() -> Result<()> {
    let Some(gpu) = cuda_device("unary_ops_agree") else {
        return Ok(());
    };
    for (op, lo, hi, abs, rel) in unary_cases() {
        for dtype in ALL_FLOATS {
            for (c, g) in variants(&[7, 33], dtype, &gpu, 11, lo, hi)? {
                let what = format!("{} {dtype} {}", op.name(), c.name);
                check(&c.t.unary(op)?, &g.t.unary(op)?, abs, rel, &what)?;
            }
        }
    }
    Ok(())
}

#[test]
fn binary_ops_agree_with_broadcast_and_strided_operands() -> Result<()> {
    let Some(gpu) = cuda_device("binary_ops_agree") else {
        return Ok(());
    };
    use BinaryOp::*;
    // (op, rhs lo, abs ulps, rel ulps): pow takes a positive base.
    let cases = [
        (Add, 0.0, 0.0),
        (Sub, 0.0, 0.0),
        (Mul, 0.0, 0.0),
        (Div, 0.0, 0.0),
        (Maximum, 0.0, 0.0),
        (Minimum, 0.0, 0.0),
        (Pow, 8.0, 8.0),
    ];
    for (op, abs, rel) in cases {
        for dtype in ALL_FLOATS {
            let lhs = variants(&[5, 6, 7], dtype, &gpu, 21, 0.25, 3.0)?;
            let rhs = variants(&[5, 6, 7], dtype, &gpu, 22, 0.5, 2.0)?;
            for ((ca, ga), (cb, gb)) in lhs.iter().zip(rhs.iter().rev()) {
                let what = format!("{} {dtype} {} ∘ {}", op.name(), ca.name, cb.name);
                check(
                    &ca.t.binary(&cb.t, op)?,
                    &ga.t.binary(&gb.t, op)?,
                    abs,
                    rel,
                    &what,
                )?;
            }
            // NumPy broadcasting of different ranks: [6, 1] against [5, 6, 7].
            let (c1, _) = seeded(&[6, 1], dtype, &Device::Cpu, 23, 0.5, 2.0)?;
            let g1 = c1.to_device(&gpu)?;
            let what = format!("{} {dtype} broadcast", op.name());
            check(
                &lhs[0].0.t.binary(&c1, op)?,
                &lhs[0].1.t.binary(&g1, op)?,
                abs,
                rel,
                &what,
            )?;
        }
    }
    Ok(())
}

#[test]
fn comparisons_and_where_agree_bitwise() -> Result<()> {
    let Some(gpu) = cuda_device("comparisons_and_where_agree_bitwise") else {
        return Ok(());
    };
    for dtype in ALL {
        // Few distinct values, so that equal elements occur.
        let a = variants(&[4, 9], dtype, &gpu, 31, 0.0, 4.0)?;
        let b = variants(&[4, 9], dtype, &gpu, 32, 0.0, 4.0)?;
        let (a, b): (Vec<_>, Vec<_>) = (
            a.into_iter()
                .map(|(c, g)| Ok((floor(&c.t)?, floor(&g.t)?, c.name)))
                .collect::<Result<_>>()?,
            b.into_iter()
                .map(|(c, g)| Ok((floor(&c.t)?, floor(&g.t)?, c.name)))
                .collect::<Result<_>>()?,
        );
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            for ((ca, ga, na), (cb, gb, nb)) in a.iter().zip(b.iter().rev()) {
                let what = format!("{} {dtype} {na} {nb}", op.name());
                check(&ca.cmp(cb, op)?, &ga.cmp(gb, op)?, 0.0, 0.0, &what)?;
            }
        }
        let (cm, gm) = (a[0].0.lt(&b[0].0)?, a[0].1.lt(&b[0].1)?);
        for ((ct, gt, nt), (cf, gf, nf)) in a.iter().zip(b.iter().rev()) {
            let what = format!("where {dtype} {nt} {nf}");
            check(&cm.where_(ct, cf)?, &gm.where_(gt, gf)?, 0.0, 0.0, &what)?;
        }
    }
    Ok(())
}

/// Values rounded down to integers (through f64 on the host, so no library op is involved).
fn floor(t: &Tensor) -> Result<Tensor> {
    let v: Vec<f64> = values(t)?.into_iter().map(f64::floor).collect();
    let dev = t.device().clone();
    tensor(&v, t.dims(), t.dtype(), &Device::Cpu)?
        .to_device(&dev)
        .and_then(|x| {
            // Keep the layout kind: re-apply a transpose when the input was strided.
            if t.is_contiguous() || t.rank() < 2 {
                Ok(x)
            } else {
                x.t()?.contiguous()?.t()
            }
        })
}

#[test]
fn reductions_agree_over_one_and_two_axes() -> Result<()> {
    let Some(gpu) = cuda_device("reductions_agree") else {
        return Ok(());
    };
    let shape = [6, 40, 9];
    for dtype in ALL {
        for (c, g) in variants(&shape, dtype, &gpu, 41, -50.0, 50.0)? {
            for axes in [&[1isize][..], &[2], &[0, 2], &[0, 1]] {
                for op in [ReduceOp::Max, ReduceOp::Min] {
                    let what = format!("{} {dtype} {} {axes:?}", op.name(), c.name);
                    check(
                        &c.t.reduce(op, axes, true)?,
                        &g.t.reduce(op, axes, true)?,
                        0.0,
                        0.0,
                        &what,
                    )?;
                }
                if dtype.is_float() {
                    // Σ over at most 360 elements of magnitude ≤ 50, in f64 then rounded once:
                    // the f64 sums differ by about √n·eps_f64·Σ|x| ≲ 1e-11, far below one ulp of
                    // an f32/f16/bf16 result (one ulp, plus one eps absolute near zero); for
                    // f64 results an absolute 1e-9 covers it.
                    let what = format!("sum {dtype} {} {axes:?}", c.name);
                    let (cs, gs) = (c.t.sum(axes, false)?, g.t.sum(axes, false)?);
                    let abs = if dtype == DType::F64 {
                        1e-9 / eps(dtype)
                    } else {
                        1.0
                    };
                    check(&cs, &gs, abs, 1.0, &what)?;
                }
            }
            for axis in [0isize, 1, 2] {
                let what = format!("argmax/argmin {dtype} {} axis {axis}", c.name);
                check(
                    &c.t.argmax(axis, false)?,
                    &g.t.argmax(axis, false)?,
                    0.0,
                    0.0,
                    &what,
                )?;
                check(
                    &c.t.argmin(axis, true)?,
                    &g.t.argmin(axis, true)?,
                    0.0,
                    0.0,
                    &what,
                )?;
            }
        }
    }
    Ok(())
}

/// The epsilon of the precision products are computed in (f32 for f16/bf16, as on the CPU).
fn compute_eps(dtype: DType) -> f64 {
    if dtype == DType::F64 {
        eps(DType::F64)
    } else {
        eps(DType::F32)
    }
}

#[test]
fn matmul_agrees_batched_transposed_and_broadcast() -> Result<()> {
    let Some(gpu) = cuda_device("matmul_agrees") else {
        return Ok(());
    };
    let (m, k, n) = (17, 33, 12);
    for dtype in ALL_FLOATS {
        let a = variants(&[3, m, k], dtype, &gpu, 51, -1.0, 1.0)?;
        let b = variants(&[3, k, n], dtype, &gpu, 52, -1.0, 1.0)?;
        for ((ca, ga), (cb, gb)) in a.iter().zip(b.iter()) {
            let (cc, gc) = (ca.t.matmul(&cb.t)?, ga.t.matmul(&gb.t)?);
            // |Δ| ≤ 2·k·eps·Σ|a||b| with |a|, |b| ≤ 1: Σ|a||b| ≤ k. f16/bf16 round the f32 result
            // once more: one ulp of the output dtype on top.
            let e = eps(dtype);
            let bound = 2.0 * (k * k) as f64 * compute_eps(dtype);
            let what = format!("matmul {dtype} {} · {}", ca.name, cb.name);
            check(&cc, &gc, bound / e, 1.0, &what)?;
        }
        // A transposed rhs view and a batch-broadcast lhs.
        let (ct, _) = seeded(&[3, n, k], dtype, &Device::Cpu, 53, -1.0, 1.0)?;
        let gt = ct.to_device(&gpu)?;
        let (c2, _) = seeded(&[m, k], dtype, &Device::Cpu, 54, -1.0, 1.0)?;
        let g2 = c2.to_device(&gpu)?;
        let cl = c2.broadcast_to([3, m, k])?;
        let gl = g2.broadcast_to([3, m, k])?;
        let e = eps(dtype);
        let bound = 2.0 * (k * k) as f64 * compute_eps(dtype);
        check(
            &cl.matmul(&ct.transpose(1, 2)?)?,
            &gl.matmul(&gt.transpose(1, 2)?)?,
            bound / e,
            1.0,
            &format!("matmul {dtype} broadcast · transposed"),
        )?;
    }
    tf32_on_request(&gpu)
}

/// With TF32 allowed, f32 products round each input to 10 mantissa bits (relative 2⁻¹¹ each)
/// before f32 accumulation: |Δ| ≤ (2·2⁻¹¹ + 2k·eps)·Σ|a||b|. On TF32-capable GPUs (compute
/// capability ≥ 8.0) the result must differ from the f32 one somewhere, or the mode was not
/// applied; switching back restores the f32 result bit for bit. Runs inside the matmul test so
/// that no other product on this device sees the mode.
fn tf32_on_request(gpu: &Device) -> Result<()> {
    let Device::Cuda(dev) = gpu else {
        unreachable!("cuda_device returns a CUDA device")
    };
    let (m, k, n) = (64, 256, 48);
    let (ca, _) = seeded(&[m, k], DType::F32, &Device::Cpu, 61, -1.0, 1.0)?;
    let (cb, _) = seeded(&[k, n], DType::F32, &Device::Cpu, 62, -1.0, 1.0)?;
    let (ga, gb) = (ca.to_device(gpu)?, cb.to_device(gpu)?);
    let plain = ga.matmul(&gb)?;
    assert!(!dev.allow_tf32(), "TF32 is off by default");
    dev.set_allow_tf32(true);
    let fast = ga.matmul(&gb);
    dev.set_allow_tf32(false);
    let fast = fast?;
    let bound = (2.0 * 2f64.powi(-11) + 2.0 * k as f64 * f64::from(f32::EPSILON)) * k as f64;
    check(
        &ca.matmul(&cb)?,
        &fast,
        bound / eps(DType::F32),
        0.0,
        "matmul f32 with TF32",
    )?;
    if dev.compute_capability()?.0 >= 8 {
        assert_ne!(
            values(&fast)?,
            values(&plain)?,
            "TF32 allowed but the product is the f32 one"
        );
    }
    assert_exact(
        &values(&ga.matmul(&gb)?)?,
        &values(&plain)?,
        "f32 again after TF32",
    );
    Ok(())
}

#[test]
fn complex_matmul_matches_the_reference_loop_bitwise() -> Result<()> {
    let Some(gpu) = cuda_device("complex_matmul_matches_the_reference_loop_bitwise") else {
        return Ok(());
    };
    for dtype in [DType::F32, DType::F64] {
        let (x, _) = seeded(&[3, 5, 4, 2], dtype, &Device::Cpu, 61, -1.0, 1.0)?;
        let (w, _) = seeded(&[4, 6, 5, 2], dtype, &Device::Cpu, 62, -1.0, 1.0)?;
        let (p, _) = seeded(&[2, 3, 5, 4], dtype, &Device::Cpu, 63, -1.0, 1.0)?;
        // FNO's views: x̂ [B, M, C] read as [M, B, C], W [Ci, Co, M] as [M, Ci, Co]; its transpose;
        // planar (re, im) pairs; a broadcast batch; a non-collapsible batch (copied first).
        let xv = x.permute(&[1, 0, 2, 3])?;
        let wv = w.permute(&[2, 0, 1, 3])?;
        let cases: Vec<(&str, Tensor, Tensor)> = vec![
            ("x̂·W", xv.clone(), wv.clone()),
            ("x̂ᵀ·x̂", xv.transpose(1, 2)?, xv.clone()),
            (
                "planar",
                p.permute(&[1, 2, 3, 0])?,
                wv.narrow(2, 0, 4)?.narrow(0, 0, 3)?,
            ),
            ("broadcast", xv.clone(), wv.narrow(0, 0, 1)?),
            (
                "permuted batch",
                x.reshape([3, 5, 2, 2, 2])?.permute(&[2, 0, 1, 3, 4])?,
                w.narrow(0, 0, 2)?
                    .reshape([1, 1, 2, 30, 2])?
                    .narrow(3, 0, 7)?,
            ),
        ];
        for (what, a, b) in &cases {
            for (ca, cb) in [(false, false), (true, false), (false, true), (true, true)] {
                let want = fluxion_tensor::testing::complex_matmul_reference(a, b, ca, cb)?;
                let got = a
                    .to_device(&gpu)?
                    .complex_matmul(&b.to_device(&gpu)?, ca, cb)?;
                check(
                    &want,
                    &got,
                    0.0,
                    0.0,
                    &format!("complex_matmul {dtype} {what} conj ({ca}, {cb})"),
                )?;
            }
        }
    }
    Ok(())
}

#[test]
fn index_ops_and_concat_agree_bitwise() -> Result<()> {
    let Some(gpu) = cuda_device("index_ops_agree") else {
        return Ok(());
    };
    let mut rng = Rng::new(61);
    for dtype in ALL {
        for (c, g) in variants(&[5, 7, 4], dtype, &gpu, 62, -9.0, 9.0)? {
            let ids: Vec<i64> = (0..6).map(|_| rng.below(7) as i64).collect();
            let ci = Tensor::from_vec(ids.clone(), [6], &Device::Cpu)?;
            let gi = ci.to_device(&gpu)?;
            let what = format!("index_select {dtype} {}", c.name);
            check(
                &c.t.index_select(&ci, 1)?,
                &g.t.index_select(&gi, 1)?,
                0.0,
                0.0,
                &what,
            )?;
            // gather with ids narrower than the input off the axis.
            let gids: Vec<i64> = (0..4 * 3 * 2).map(|_| rng.below(7) as i64).collect();
            let cg = Tensor::from_vec(gids, [4, 3, 2], &Device::Cpu)?;
            let gg = cg.to_device(&gpu)?;
            let what = format!("gather {dtype} {}", c.name);
            check(&c.t.gather(&cg, 1)?, &g.t.gather(&gg, 1)?, 0.0, 0.0, &what)?;
            // scatter_add with distinct ids per line (a permutation), so the atomic order
            // cannot matter and the result must agree bitwise; then repeated ids within a
            // tolerance of one rounding per addition.
            let perm: Vec<i64> = (0..5 * 7 * 4)
                .map(|i| ((i / 4 % 7 + 3) % 7) as i64)
                .collect();
            let cp = Tensor::from_vec(perm, [5, 7, 4], &Device::Cpu)?;
            let gp = cp.to_device(&gpu)?;
            let what = format!("scatter_add {dtype} {} distinct ids", c.name);
            check(
                &c.t.scatter_add(&cp, &c.t, 1)?,
                &g.t.scatter_add(&gp, &g.t, 1)?,
                0.0,
                0.0,
                &what,
            )?;
            let rep: Vec<i64> = (0..5 * 3 * 4).map(|_| rng.below(2) as i64).collect();
            let cr = Tensor::from_vec(rep, [5, 3, 4], &Device::Cpu)?;
            let gr = cr.to_device(&gpu)?;
            let src_c = c.t.narrow(1, 0, 3)?;
            let src_g = g.t.narrow(1, 0, 3)?;
            let what = format!("scatter_add {dtype} {} repeated ids", c.name);
            // Up to 4 additions of values ≤ 9 into one slot, each rounded: 4 ulp of 45.
            let abs = if dtype.is_float() { 4.0 * 64.0 } else { 0.0 };
            check(
                &c.t.scatter_add(&cr, &src_c, 1)?,
                &g.t.scatter_add(&gr, &src_g, 1)?,
                abs,
                0.0,
                &what,
            )?;
            let what = format!("concat {dtype} {}", c.name);
            check(
                &Tensor::concat(&[&c.t, &c.t.narrow(1, 2, 3)?, &c.t], 1)?,
                &Tensor::concat(&[&g.t, &g.t.narrow(1, 2, 3)?, &g.t], 1)?,
                0.0,
                0.0,
                &what,
            )?;
        }
    }
    Ok(())
}

#[test]
fn casts_between_all_dtype_pairs_agree_bitwise() -> Result<()> {
    let Some(gpu) = cuda_device("casts_agree") else {
        return Ok(());
    };
    for from in ALL {
        // Values beyond u8's range, negatives, fractions and ties for the rounding modes.
        for (c, g) in variants(&[9, 13], from, &gpu, 71, -300.0, 300.0)? {
            for to in ALL {
                let what = format!("{from} → {to} {}", c.name);
                check(&c.t.to_dtype(to)?, &g.t.to_dtype(to)?, 0.0, 0.0, &what)?;
            }
        }
    }
    // Special values: NaN, ±∞, ±0, huge i64s (round-to-odd path), saturation.
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        0.5,
        1.5,
        2.5,
        -0.7,
        255.5,
        256.0,
        1e20,
        -1e20,
        65519.0,
        65520.0,
    ];
    for from in [DType::F32, DType::F64] {
        let c = tensor(&specials, &[specials.len()], from, &Device::Cpu)?;
        let g = c.to_device(&gpu)?;
        for to in ALL {
            let what = format!("specials {from} → {to}");
            check(&c.to_dtype(to)?, &g.to_dtype(to)?, 0.0, 0.0, &what)?;
        }
    }
    let big: Vec<i64> = vec![
        i64::MAX,
        i64::MIN,
        (1 << 53) + 1,
        (1 << 24) + 1,
        -(1 << 40) - 12345,
        4097,
        -2049,
    ];
    let c = Tensor::from_vec(big.clone(), [big.len()], &Device::Cpu)?;
    let g = c.to_device(&gpu)?;
    for to in ALL {
        check(
            &c.to_dtype(to)?,
            &g.to_dtype(to)?,
            0.0,
            0.0,
            &format!("i64 → {to}"),
        )?;
    }
    Ok(())
}

#[test]
fn rfftn_and_irfftn_agree_in_1d_and_2d_with_every_norm() -> Result<()> {
    let Some(gpu) = cuda_device("fft_agrees") else {
        return Ok(());
    };
    for dtype in [DType::F32, DType::F64] {
        for (shape, ndim) in [
            (&[4usize, 30][..], 1usize),
            (&[3, 12, 10][..], 2),
            (&[2, 9, 7][..], 2),
        ] {
            for (c, g) in variants(shape, dtype, &gpu, 81, -1.0, 1.0)? {
                let n: usize = shape[shape.len() - ndim..].iter().product();
                let norm_x = norm2(&c.vals);
                for norm in [FftNorm::Backward, FftNorm::Ortho, FftNorm::Forward] {
                    // |Δ| ≤ 8·log2(N)·eps·‖x‖₂ per element (absolute, in units of eps).
                    let abs = 8.0 * (n as f64).log2().max(1.0) * norm_x;
                    let (cs, gs) = (c.t.rfftn(ndim, norm)?, g.t.rfftn(ndim, norm)?);
                    let what = format!("rfftn {dtype} {shape:?} {} {norm:?}", c.name);
                    check(&cs, &gs, abs, 0.0, &what)?;
                    // The inverse of the CPU spectrum on both devices, with the default length,
                    // an odd length and a padded length (last axis zero-padded).
                    let last = shape[shape.len() - 1];
                    let gspec = cs.to_device(&gpu)?;
                    for len in [
                        None,
                        Some(last),
                        Some(last + 3),
                        Some(last.saturating_sub(3).max(1)),
                    ] {
                        let what =
                            format!("irfftn {dtype} {shape:?} {} {norm:?} n={len:?}", c.name);
                        let spec_norm = norm2(&values(&cs)?);
                        let abs = 8.0 * (n as f64 + 3.0).log2() * spec_norm.max(norm_x);
                        check(
                            &cs.irfftn(ndim, len, norm)?,
                            &gspec.irfftn(ndim, len, norm)?,
                            abs,
                            0.0,
                            &what,
                        )?;
                    }
                }
            }
        }
    }
    // Non-Hermitian spectra (arbitrary complex values, imaginary DC/Nyquist parts): the GPU
    // follows the CPU's order of operations, so these agree too.
    let (cx, xv) = seeded(&[2, 6, 5, 2], DType::F64, &Device::Cpu, 82, -1.0, 1.0)?;
    let gx = cx.to_device(&gpu)?;
    for len in [Some(8), Some(9)] {
        let abs = 8.0 * 6.0 * norm2(&xv);
        check(
            &cx.irfftn(2, len, FftNorm::Backward)?,
            &gx.irfftn(2, len, FftNorm::Backward)?,
            abs,
            0.0,
            &format!("irfftn non-Hermitian n={len:?}"),
        )?;
    }
    // Contiguous views that start at an odd element (rows 1.. of an odd-sized slab): cuFFT
    // rejects data pointers not aligned to the complex type, so the GPU must copy them first.
    for dtype in [DType::F32, DType::F64] {
        for (shape, ndim) in [(&[3usize, 7][..], 1usize), (&[3, 3, 5][..], 2)] {
            let (cx, xv) = seeded(shape, dtype, &Device::Cpu, 83, -1.0, 1.0)?;
            let gx = cx.to_device(&gpu)?;
            let (cv, gv) = (cx.narrow(0, 1, 2)?, gx.narrow(0, 1, 2)?);
            assert!(gv.is_contiguous(), "the odd-offset view is contiguous");
            let n: usize = shape[shape.len() - ndim..].iter().product();
            let abs = 8.0 * (n as f64).log2() * norm2(&xv);
            check(
                &cv.rfftn(ndim, FftNorm::Backward)?,
                &gv.rfftn(ndim, FftNorm::Backward)?,
                abs,
                0.0,
                &format!("rfftn {dtype} {shape:?} at an odd offset"),
            )?;
        }
    }
    Ok(())
}

#[test]
fn creation_and_transfers_agree_bitwise() -> Result<()> {
    let Some(gpu) = cuda_device("creation_agrees") else {
        return Ok(());
    };
    for dtype in ALL {
        for value in [0.0, 1.0, -2.5, 0.1, 300.0] {
            let what = format!("full {value} {dtype}");
            check(
                &Tensor::full(value, [3, 5], dtype, &Device::Cpu)?,
                &Tensor::full(value, [3, 5], dtype, &gpu)?,
                0.0,
                0.0,
                &what,
            )?;
        }
        // Round trip of every layout variant.
        for (c, g) in variants(&[4, 6], dtype, &gpu, 91, -100.0, 100.0)? {
            let back = g.t.to_device(&Device::Cpu)?;
            assert_exact(
                &values(&back)?,
                &values(&c.t)?,
                &format!("round trip {dtype} {}", c.name),
            );
            check(
                &c.t.contiguous()?,
                &g.t.contiguous()?,
                0.0,
                0.0,
                "contiguous",
            )?;
        }
        // Empty tensors.
        let e = Tensor::zeros([0, 3], dtype, &gpu)?;
        assert_eq!(values(&e)?.len(), 0);
    }
    Ok(())
}

/// Device draws (`kernels/philox.cu`) against the host's Philox stream: uniform values bitwise
/// (the same words, one rounded multiply and add); normal values within an absolute bound: the
/// device evaluates sin/cos as sincospi(2u), the host as sin(fl(2π·u)), whose argument differs
/// by up to 2π·u·eps/2, so |Δ| ≤ std·r·(2π·eps + 4 ulp) with r = √(−2 ln u₁) ≤ 8.7 (f64) or 5.8
/// (f32): 64·eps·std covers it. Half dtypes: uniform draws are made on the host, normal ones on
/// the device in f32 and cast; an f32 difference that straddles a rounding boundary of the half
/// type shows as one of its ulps.
#[test]
fn random_draws_agree_with_the_host_stream() -> Result<()> {
    use fluxion_tensor::random::Generator;
    let Some(gpu) = cuda_device("random_draws_agree") else {
        return Ok(());
    };
    for dtype in ALL_FLOATS {
        for (n, seed) in [(1usize, 3u64), (7, 11), (1000, 5), (4099, 0xDEAD_BEEF)] {
            for (lo, hi) in [(0.0, 1.0), (-3.0, 5.0), (1.0, 1.0 + 1e-7)] {
                let (mut gc, mut gg) = (Generator::new(seed), Generator::new(seed));
                // Two draws each: the second starts at the offset the first advanced to.
                for k in 0..2 {
                    let c = Tensor::rand(lo, hi, [n], dtype, &Device::Cpu, &mut gc)?;
                    let g = Tensor::rand(lo, hi, [n], dtype, &gpu, &mut gg)?;
                    check(
                        &c,
                        &g,
                        0.0,
                        0.0,
                        &format!("rand {dtype} n={n} [{lo}, {hi}) draw {k}"),
                    )?;
                }
                assert_eq!(gc.offset(), gg.offset());
            }
            let (mut gc, mut gg) = (Generator::new(seed), Generator::new(seed));
            let c = Tensor::randn(0.5, 2.0, [n], dtype, &Device::Cpu, &mut gc)?;
            let g = Tensor::randn(0.5, 2.0, [n], dtype, &gpu, &mut gg)?;
            let (bound, rel) = if matches!(dtype, DType::F16 | DType::BF16) {
                (2.0 * 2.0, 1.0)
            } else {
                (64.0 * 2.0, 0.0)
            };
            check(&c, &g, bound, rel, &format!("randn {dtype} n={n}"))?;
            assert_eq!(gc.offset(), gg.offset());
        }
    }
    Ok(())
}
