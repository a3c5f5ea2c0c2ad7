//! Matrix products with batch broadcasting and rank-1 operands, on every layout (transposed and
//! narrowed operands reach the GEMM without a copy), against a Kahan-summed triple loop in f64.
//!
//! Tolerance: the standard forward error bound of a dot product, |fl(AB) − AB| ≤ γₖ·|A||B| with
//! γₖ ≈ k·u (Higham, *Accuracy and Stability*, §3.5), element by element: `tol = k·eps·(|A||B|)ᵢⱼ`
//! (eps = 2u, a 2× margin) plus an absolute floor of eps·(|A||B|)ᵢⱼ for k = 1. Any indexing or
//! stride error is off by O(|A||B|), far beyond it.

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result, Tensor};

fn check(a: &Variant, sa: &[usize], b: &Variant, sb: &[usize], what: &str) -> Result<()> {
    let dtype = a.t.dtype();
    let got = a.t.matmul(&b.t)?;
    let (want, mag, shape) = naive_matmul(&a.vals, sa, &b.vals, sb);
    assert_eq!(got.dims(), shape.as_slice(), "{what}");
    assert_eq!(got.dtype(), dtype);
    let k = sa[sa.len() - 1] as f64;
    let tol: Vec<f64> = mag.iter().map(|m| (k + 1.0) * eps(dtype) * m).collect();
    assert_close_each(
        &values(&got)?,
        &want,
        &tol,
        &format!("{what} {dtype}: {sa:?} {} · {sb:?} {}", a.name, b.name),
    );
    Ok(())
}

fn products_broadcast_batches_like_numpy(dev: &Device) -> Result<()> {
    let cases: [(&[usize], &[usize]); 10] = [
        (&[4, 6], &[6, 5]),
        (&[3, 4, 6], &[6, 5]),
        (&[4, 6], &[3, 6, 5]),
        (&[2, 1, 4, 6], &[3, 6, 5]),
        (&[3, 4, 6], &[3, 6, 5]),
        (&[6], &[3, 6, 5]),
        (&[3, 4, 6], &[6]),
        (&[6], &[6]),
        (&[1, 7], &[7, 1]),
        (&[5, 1], &[1, 4]),
    ];
    for dtype in FLOATS {
        for (k, (sa, sb)) in cases.into_iter().enumerate() {
            let lhs = layouts(sa, dtype, dev, 300 + k as u64, -2.0, 2.0)?;
            let rhs = layouts(sb, dtype, dev, 400 + k as u64, -2.0, 2.0)?;
            for a in &lhs {
                for b in &rhs {
                    check(a, sa, b, sb, "matmul")?;
                }
            }
        }
    }
    Ok(())
}
test_device!(
    products_broadcast_batches_like_numpy,
    batched_cpu,
    batched_cuda
);

fn transposed_operands_need_no_copy(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        let (a, av) = seeded(&[5, 7], dtype, dev, 310, -2.0, 2.0)?;
        let (b, bv) = seeded(&[6, 7], dtype, dev, 311, -2.0, 2.0)?;
        // a · bᵀ with bᵀ a strided view, and aᵀᵀ.
        let bt = b.t()?;
        assert!(!bt.is_contiguous());
        let (btv, _) = permute_values(&bv, &[6, 7], &[1, 0]);
        let va = Variant {
            name: "contiguous",
            t: a.clone(),
            vals: av.clone(),
        };
        let vbt = Variant {
            name: "bᵀ view",
            t: bt,
            vals: btv,
        };
        check(&va, &[5, 7], &vbt, &[7, 6], "a·bᵀ")?;
        // (bᵀ)ᵀ·... : both operands transposed views.
        let (atv, _) = permute_values(&av, &[5, 7], &[1, 0]);
        let at = Variant {
            name: "aᵀ view",
            t: a.t()?,
            vals: atv,
        };
        let b2 = Variant {
            name: "b view",
            t: b.t()?.t()?,
            vals: bv.clone(),
        };
        check(&b2, &[6, 7], &at, &[7, 5], "b·aᵀ")?;
    }
    Ok(())
}
test_device!(
    transposed_operands_need_no_copy,
    transposed_cpu,
    transposed_cuda
);

fn larger_batched_product(dev: &Device) -> Result<()> {
    // 3 × (67×129 · 129×33), the rhs a transposed view of a [33, 129] matrix and broadcast
    // over the batch, the lhs narrowed from a larger tensor.
    for dtype in FLOATS {
        let (big, bigv) = seeded(&[3, 70, 131], dtype, dev, 320, -1.0, 1.0)?;
        let a = big.narrow(1, 2, 67)?.narrow(2, 1, 129)?;
        let (av, _) = narrow_values(&bigv, &[3, 70, 131], 1, 2, 67);
        let (av, _) = narrow_values(&av, &[3, 67, 131], 2, 1, 129);
        let (b, bv) = seeded(&[33, 129], dtype, dev, 321, -1.0, 1.0)?;
        let (btv, _) = permute_values(&bv, &[33, 129], &[1, 0]);
        let va = Variant {
            name: "narrowed",
            t: a,
            vals: av,
        };
        let vb = Variant {
            name: "transposed",
            t: b.t()?,
            vals: btv,
        };
        check(&va, &[3, 67, 129], &vb, &[129, 33], "67×129·129×33 batched")?;
        // The same with both operands contiguous copies, and batched rhs.
        let vb3 = Variant {
            name: "broadcast batch",
            t: vb.t.broadcast_to([3, 129, 33])?,
            vals: broadcast_values(&vb.vals, &[129, 33], &[3, 129, 33]),
        };
        check(
            &va,
            &[3, 67, 129],
            &vb3,
            &[3, 129, 33],
            "67×129·129×33 batched",
        )?;
        // 128³ and above threads a single product instead of the batch.
        let (x, xv) = seeded(&[130, 140], dtype, dev, 322, -1.0, 1.0)?;
        let (y, yv) = seeded(&[140, 150], dtype, dev, 323, -1.0, 1.0)?;
        let vx = Variant {
            name: "contiguous",
            t: x,
            vals: xv,
        };
        let vy = Variant {
            name: "contiguous",
            t: y,
            vals: yv,
        };
        check(&vx, &[130, 140], &vy, &[140, 150], "130×140·140×150")?;
    }
    Ok(())
}
test_device!(larger_batched_product, larger_cpu, larger_cuda);

fn empty_inner_dimension_gives_zeros(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        let a = Tensor::zeros([2, 4, 0], dtype, dev)?;
        let b = Tensor::ones([0, 3], dtype, dev)?;
        let c = a.matmul(&b)?;
        assert_eq!(c.dims(), &[2, 4, 3]);
        assert_exact(&values(&c)?, &[0.0; 24], "k = 0");
        let c = Tensor::ones([0, 5], dtype, dev)?.matmul(&Tensor::ones([5, 3], dtype, dev)?)?;
        assert_eq!(c.dims(), &[0, 3]);
        let c = Tensor::ones([0], dtype, dev)?.matmul(&Tensor::ones([0], dtype, dev)?)?;
        assert_eq!((c.rank(), values(&c)?), (0, vec![0.0]));
        let c = Tensor::ones([0, 2, 5], dtype, dev)?.matmul(&Tensor::ones([5, 3], dtype, dev)?)?;
        assert_eq!(c.dims(), &[0, 2, 3]);
    }
    Ok(())
}
test_device!(empty_inner_dimension_gives_zeros, empty_cpu, empty_cuda);

fn half_precision_products_round_the_f32_result(dev: &Device) -> Result<()> {
    // f16/bf16 compute in f32 and round once: within the f32 bound plus ½ ulp of the half type
    // (2 half-ulps relative leaves a 4× margin on the final rounding).
    for dtype in [DType::F16, DType::BF16] {
        let (a, av) = seeded(&[2, 5, 9], dtype, dev, 330, -2.0, 2.0)?;
        let (b, bv) = seeded(&[9, 4], dtype, dev, 331, -2.0, 2.0)?;
        let got = a.matmul(&b.t()?.contiguous()?.t()?)?;
        assert_eq!(got.dtype(), dtype);
        let (want, mag, _) = naive_matmul(&av, &[2, 5, 9], &bv, &[9, 4]);
        let tol: Vec<f64> = want
            .iter()
            .zip(&mag)
            .map(|(w, m)| 2.0 * eps(dtype) * w.abs() + 10.0 * eps(DType::F32) * m)
            .collect();
        assert_close_each(&values(&got)?, &want, &tol, &format!("matmul {dtype}"));
    }
    Ok(())
}
test_device!(
    half_precision_products_round_the_f32_result,
    half_cpu,
    half_cuda
);

fn small_f32_products_at_every_register_block_tail(dev: &Device) -> Result<()> {
    // The GEMM kernels work in register blocks (AVX-512: 16-lane vectors, several rows or
    // columns per block): every row remainder, every column remainder around 16 and 64 lanes,
    // k = 1, and both operands contiguous, transposed, narrowed (NaN padding that must never
    // be read) or broadcast.
    let mut seed = 900;
    for m in [1, 5, 6, 7, 13, 50] {
        for k in [1, 3, 50] {
            for n in [1, 15, 16, 17, 50, 64, 65, 130] {
                seed += 1;
                let (sa, sb) = ([m, k], [k, n]);
                let lhs = layouts(&sa, DType::F32, dev, seed, -2.0, 2.0)?;
                let rhs = layouts(&sb, DType::F32, dev, seed + 5000, -2.0, 2.0)?;
                for a in &lhs {
                    for b in &rhs {
                        check(a, &sa, b, &sb, "small matmul")?;
                    }
                }
            }
        }
    }
    // The PINN tutorial's shapes: a hidden layer forward, its input gradient and its weight
    // gradient (k = 501 through transposed views).
    for (sa, sb) in [
        ([501, 50], [50, 50]),
        ([50, 501], [501, 50]),
        ([501, 50], [50, 1]),
    ] {
        let lhs = layouts(&sa, DType::F32, dev, 990, -1.0, 1.0)?;
        let rhs = layouts(&sb, DType::F32, dev, 991, -1.0, 1.0)?;
        for a in &lhs[..2] {
            for b in &rhs[..2] {
                check(a, &sa, b, &sb, "PINN-sized matmul")?;
            }
        }
    }
    Ok(())
}
test_device!(
    small_f32_products_at_every_register_block_tail,
    small_f32_cpu,
    small_f32_cuda
);
