//! `Tensor::complex_matmul` on the CPU: exact small products, every conjugation, strided views
//! (transposes, broadcasts, permuted batches, a pair axis that is not contiguous), and argument
//! errors.
//!
//! Reference: the kernel's own loop (`testing::complex_matmul_reference`) in f64 on the f64
//! values of the operands. Tolerance per output part: a complex product term is two rounded
//! products and a rounded sum, then k rounded accumulations, so |error| ≤ (k + 2)·u·Σₖ(|ar||br| +
//! |ai||bi|) to first order; the tests allow 2(k + 2)·u (eps = 2u) times that magnitude. An index
//! or stride error is off by O(magnitude), a sign error in a conjugation by 2·|ai||bi|-sized terms,
//! both far beyond it.

use fluxion_tensor::random::Generator;
use fluxion_tensor::testing::complex_matmul_reference;
use fluxion_tensor::{DType, Device, Result, Tensor};

fn eps(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f64::from(f32::EPSILON),
        _ => f64::EPSILON,
    }
}

/// The magnitude each output part's rounding error is measured against: Σₖ(|ar||br| + |ai||bi|)
/// for real parts, Σₖ(|ar||bi| + |ai||br|) for imaginary parts (same layout as the product).
fn magnitude(a: &Tensor, b: &Tensor) -> Result<Vec<f64>> {
    let a = a.to_dtype(DType::F64)?.abs()?;
    let b = b.to_dtype(DType::F64)?.abs()?;
    // Real part of conj(|a|)·|b| and imaginary part of |a|·|b|, by the reference loop (not the
    // op under test, so a broken op cannot widen its own tolerance).
    let re = complex_matmul_reference(&a, &b, true, false)?.to_vec::<f64>()?;
    let im = complex_matmul_reference(&a, &b, false, false)?.to_vec::<f64>()?;
    Ok(re
        .iter()
        .zip(&im)
        .enumerate()
        .map(|(i, (r, m))| if i % 2 == 0 { *r } else { *m })
        .collect())
}

fn check(a: &Tensor, b: &Tensor, conj: (bool, bool), what: &str) -> Result<()> {
    let got = a.complex_matmul(b, conj.0, conj.1)?;
    let want = complex_matmul_reference(
        &a.to_dtype(DType::F64)?,
        &b.to_dtype(DType::F64)?,
        conj.0,
        conj.1,
    )?;
    assert_eq!(got.shape(), want.shape(), "{what}");
    assert_eq!(got.dtype(), a.dtype(), "{what}");
    let k = a.dims()[a.rank() - 2] as f64;
    let mag = magnitude(a, b)?;
    let (got, want) = (
        got.to_dtype(DType::F64)?.to_vec::<f64>()?,
        want.to_vec::<f64>()?,
    );
    let tol = 2.0 * (k + 2.0) * eps(a.dtype());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let bound = tol * mag[i] + f64::MIN_POSITIVE;
        assert!(
            (g - w).abs() <= bound,
            "{what}, conj {conj:?}: element {i} = {g}, reference {w} (|diff| {:e} > {bound:e})",
            (g - w).abs()
        );
    }
    Ok(())
}

fn rand(dims: &[usize], dtype: DType, seed: u64) -> Result<Tensor> {
    Tensor::randn(
        0.0,
        1.0,
        dims,
        dtype,
        &Device::Cpu,
        &mut Generator::new(seed),
    )
}

#[test]
fn small_products_are_exact() -> Result<()> {
    // a = [1 + 2i, 2 − i], b = [3 − i, i]ᵀ:
    //   a·b             = (5 + 5i) + (1 + 2i)   = 6 + 7i
    //   conj(a)·b       = (1 − 7i) + (−1 + 2i)  = 0 − 5i
    //   a·conj(b)       = (1 + 7i) + (−1 − 2i)  = 0 + 5i
    //   conj(a)·conj(b) = (5 − 5i) + (1 − 2i)   = 6 − 7i
    let a = Tensor::from_vec(vec![1.0f64, 2.0, 2.0, -1.0], [1, 2, 2], &Device::Cpu)?;
    let b = Tensor::from_vec(vec![3.0f64, -1.0, 0.0, 1.0], [2, 1, 2], &Device::Cpu)?;
    let cases = [
        ((false, false), [6.0, 7.0]),
        ((true, false), [0.0, -5.0]),
        ((false, true), [0.0, 5.0]),
        ((true, true), [6.0, -7.0]),
    ];
    for ((ca, cb), want) in cases {
        for dtype in [DType::F32, DType::F64] {
            let got = a
                .to_dtype(dtype)?
                .complex_matmul(&b.to_dtype(dtype)?, ca, cb)?;
            assert_eq!(got.dims(), [1, 1, 2]);
            assert_eq!(
                got.to_dtype(DType::F64)?.to_vec::<f64>()?,
                want,
                "conj ({ca}, {cb}), {dtype}"
            );
        }
    }
    Ok(())
}

#[test]
fn random_batches_match_the_reference_for_every_conjugation() -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        for (i, (m, k, n)) in [(5, 7, 4), (1, 1, 1), (20, 64, 33), (3, 130, 2)]
            .into_iter()
            .enumerate()
        {
            let a = rand(&[3, m, k, 2], dtype, 10 + i as u64)?;
            let b = rand(&[3, k, n, 2], dtype, 20 + i as u64)?;
            for conj in [(false, false), (true, false), (false, true), (true, true)] {
                check(
                    &a,
                    &b,
                    conj,
                    &format!("[3, {m}, {k}] · [3, {k}, {n}] {dtype}"),
                )?;
            }
        }
        // One product large enough to thread inside gemm rather than across the batch.
        let a = rand(&[2, 70, 80, 2], dtype, 30)?;
        let b = rand(&[2, 80, 90, 2], dtype, 31)?;
        check(&a, &b, (true, false), &format!("large {dtype}"))?;
    }
    Ok(())
}

#[test]
fn strided_views_match_the_reference() -> Result<()> {
    let dtype = DType::F64;
    let base_a = rand(&[4, 6, 5, 2], dtype, 1)?;
    let base_b = rand(&[4, 5, 3, 2], dtype, 2)?;
    let views: Vec<(&str, Tensor, Tensor)> = vec![
        // lhs stored as its transpose ([4, 5, 6] permuted to rows × cols).
        (
            "transposed lhs",
            rand(&[4, 5, 6, 2], dtype, 3)?.permute(&[0, 2, 1, 3])?,
            base_b.clone(),
        ),
        (
            "transposed rhs",
            base_a.clone(),
            rand(&[4, 3, 5, 2], dtype, 4)?.permute(&[0, 2, 1, 3])?,
        ),
        // Batch axes that do not collapse to one stride: [2, 2] batch from a permuted buffer.
        (
            "permuted batch",
            rand(&[2, 2, 6, 5, 2], dtype, 5)?.permute(&[1, 0, 2, 3, 4])?,
            rand(&[2, 2, 5, 3, 2], dtype, 6)?,
        ),
        // The pair axis is not contiguous: re and im planes [2, rows, cols] permuted last.
        (
            "planar pairs",
            rand(&[2, 4, 6, 5], dtype, 7)?.permute(&[1, 2, 3, 0])?,
            rand(&[2, 4, 5, 3], dtype, 8)?.permute(&[1, 2, 3, 0])?,
        ),
        // Narrowed rows and an odd start offset.
        (
            "narrowed",
            rand(&[4, 9, 5, 2], dtype, 9)?.narrow(1, 3, 6)?,
            rand(&[4, 5, 4, 2], dtype, 10)?.narrow(2, 1, 3)?,
        ),
        (
            "broadcast lhs batch",
            rand(&[1, 6, 5, 2], dtype, 11)?,
            base_b,
        ),
    ];
    for (what, a, b) in views {
        for conj in [(false, false), (true, true)] {
            // Read in place or copied first (the planar and permuted-batch views): either way
            // the reference's values, to rounding (gemm's blocking depends on the strides, so
            // the bits may differ from the contiguous copy's).
            check(&a, &b, conj, what)?;
        }
    }
    Ok(())
}

#[test]
fn batches_broadcast_like_matmul() -> Result<()> {
    let a = rand(&[2, 1, 3, 4, 2], DType::F64, 1)?;
    let b = rand(&[5, 4, 2, 2], DType::F64, 2)?;
    let got = a.complex_matmul(&b, false, true)?;
    assert_eq!(got.dims(), [2, 5, 3, 2, 2]);
    check(&a, &b, (false, true), "broadcast batches")
}

#[test]
fn empty_and_zero_inner_products() -> Result<()> {
    let a = Tensor::zeros([2, 3, 0, 2], DType::F32, &Device::Cpu)?;
    let b = Tensor::zeros([2, 0, 4, 2], DType::F32, &Device::Cpu)?;
    let got = a.complex_matmul(&b, false, false)?;
    assert_eq!(got.dims(), [2, 3, 4, 2]);
    assert!(got.to_vec::<f32>()?.iter().all(|&v| v == 0.0));
    let a = Tensor::zeros([2, 0, 3, 2], DType::F64, &Device::Cpu)?;
    let b = Tensor::zeros([2, 3, 4, 2], DType::F64, &Device::Cpu)?;
    assert_eq!(a.complex_matmul(&b, true, false)?.dims(), [2, 0, 4, 2]);
    Ok(())
}

#[test]
fn bad_operands_are_errors_that_name_the_shapes() -> Result<()> {
    let dev = Device::Cpu;
    let ok = Tensor::zeros([3, 4, 2], DType::F32, &dev)?;
    let cases = [
        (
            Tensor::zeros([4, 2], DType::F32, &dev)?,
            ok.clone(),
            "[4, 2]",
        ),
        (
            Tensor::zeros([3, 4, 3], DType::F32, &dev)?,
            ok.clone(),
            "[3, 4, 3]",
        ),
        (
            ok.clone(),
            Tensor::zeros([5, 2, 2], DType::F32, &dev)?,
            "inner dims differ",
        ),
        (
            Tensor::zeros([3, 4, 2], DType::F16, &dev)?,
            Tensor::zeros([4, 2, 2], DType::F16, &dev)?,
            "f16",
        ),
        (
            Tensor::zeros([2, 3, 4, 2], DType::F32, &dev)?,
            Tensor::zeros([3, 4, 2, 2], DType::F32, &dev)?,
            "broadcast",
        ),
    ];
    for (a, b, needle) in cases {
        let err = a
            .complex_matmul(&b, false, false)
            .expect_err(needle)
            .to_string();
        assert!(
            err.contains(needle) && err.contains("complex_matmul"),
            "{err}"
        );
    }
    let f64s = Tensor::zeros([4, 2, 2], DType::F64, &dev)?;
    let err = ok.complex_matmul(&f64s, false, false).unwrap_err();
    assert!(err.to_string().contains("f64"), "{err}");
    Ok(())
}
