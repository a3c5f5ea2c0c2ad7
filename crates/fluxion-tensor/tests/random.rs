//! Random tensors: reproducible from a seed, drawn from non-overlapping stretches of the Philox
//! stream as the `Generator` advances, inside `[lo, hi)` in every float dtype, with the right
//! moments, and equal to the stream's documented definition (which the CUDA kernels share).

mod common;

use common::*;
use fluxion_tensor::random::{block, blocks_for, Generator};
use fluxion_tensor::{DType, Device, Result, Tensor};
use half::{bf16, f16};

const FLOAT_DTYPES: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];

fn rand(
    lo: f64,
    hi: f64,
    n: usize,
    dtype: DType,
    dev: &Device,
    g: &mut Generator,
) -> Result<Vec<f64>> {
    values(&Tensor::rand(lo, hi, [n], dtype, dev, g)?)
}

fn randn(
    mean: f64,
    std: f64,
    n: usize,
    dtype: DType,
    dev: &Device,
    g: &mut Generator,
) -> Result<Vec<f64>> {
    values(&Tensor::randn(mean, std, [n], dtype, dev, g)?)
}

/// Bit patterns, so that equal means identical (NaN-free data).
fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn same_seed_same_tensor(dev: &Device) -> Result<()> {
    for dtype in FLOAT_DTYPES {
        let shape = [7, 13];
        let a = Tensor::rand(-1.0, 2.0, shape, dtype, dev, &mut Generator::new(42))?;
        let b = Tensor::rand(-1.0, 2.0, shape, dtype, dev, &mut Generator::new(42))?;
        let c = Tensor::rand(-1.0, 2.0, shape, dtype, dev, &mut Generator::new(43))?;
        assert_eq!(
            bits(&values(&a)?),
            bits(&values(&b)?),
            "rand {dtype}: same seed"
        );
        let same = values(&a)?
            .iter()
            .zip(values(&c)?)
            .filter(|(x, y)| *x == y)
            .count();
        assert!(
            same < 10,
            "rand {dtype}: seeds 42 and 43 agree on {same} of 91 elements"
        );
        let a = Tensor::randn(0.0, 1.0, shape, dtype, dev, &mut Generator::new(42))?;
        let b = Tensor::randn(0.0, 1.0, shape, dtype, dev, &mut Generator::new(42))?;
        let c = Tensor::randn(0.0, 1.0, shape, dtype, dev, &mut Generator::new(43))?;
        assert_eq!(
            bits(&values(&a)?),
            bits(&values(&b)?),
            "randn {dtype}: same seed"
        );
        let same = values(&a)?
            .iter()
            .zip(values(&c)?)
            .filter(|(x, y)| *x == y)
            .count();
        assert!(
            same < 10,
            "randn {dtype}: seeds 42 and 43 agree on {same} of 91 elements"
        );
    }
    Ok(())
}
test_device!(same_seed_same_tensor, same_seed_cpu, same_seed_cuda);

fn generator_advances_past_each_draw(dev: &Device) -> Result<()> {
    let mut g = Generator::new(7);
    let first = rand(0.0, 1.0, 10, DType::F32, dev, &mut g)?;
    assert_eq!(g.offset(), 3, "10 f32 values use ⌈10/4⌉ blocks");
    let second = rand(0.0, 1.0, 5, DType::F32, dev, &mut g)?;
    assert_eq!(g.offset(), 5);
    assert_ne!(first[..5], second[..], "consecutive draws differ");
    randn(0.0, 1.0, 3, DType::F64, dev, &mut g)?;
    assert_eq!(g.offset(), 7, "3 f64 values use ⌈3/2⌉ blocks");
    rand(0.0, 1.0, 0, DType::F32, dev, &mut g)?;
    assert_eq!(g.offset(), 7, "an empty draw uses no blocks");
    rand(0.0, 1.0, 9, DType::F16, dev, &mut g)?;
    assert_eq!(g.offset(), 10, "f16 draws in f32: 4 values per block");
    assert_eq!(g.seed(), 7);
    // Consecutive draws tile the stream: the second starts at the first unused block.
    let all = rand(0.0, 1.0, 40, DType::F32, dev, &mut Generator::new(7))?;
    assert_eq!(bits(&first), bits(&all[..10]));
    assert_eq!(bits(&second), bits(&all[12..17]));
    let again = rand(
        0.0,
        1.0,
        5,
        DType::F32,
        dev,
        &mut Generator::with_offset(7, 3),
    )?;
    assert_eq!(bits(&again), bits(&second));
    assert_eq!(blocks_for(10, false), 3);
    assert_eq!(blocks_for(3, true), 2);
    Ok(())
}
test_device!(generator_advances_past_each_draw, advance_cpu, advance_cuda);

fn different_offsets_do_not_overlap(dev: &Device) -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        let wide = dtype == DType::F64;
        let n = 100_003; // parallel path (≥ 2¹⁵), not a whole number of blocks
        let mut g = Generator::new(99);
        let a = rand(0.0, 1.0, n, dtype, dev, &mut g)?;
        let b = rand(0.0, 1.0, n, dtype, dev, &mut g)?;
        // Disjoint stretches of the stream: no shared value in f64 (53-bit values collide with
        // probability ~n²/2⁵³); in f32 collisions of 24-bit values are expected at rate n²/2²⁴
        // per pair, so compare positions instead.
        if wide {
            let mut sa = bits(&a);
            sa.sort_unstable();
            let shared = bits(&b)
                .iter()
                .filter(|x| sa.binary_search(x).is_ok())
                .count();
            assert_eq!(
                shared,
                0,
                "f64 draws at offsets 0 and {} share values",
                blocks_for(n, wide)
            );
        } else {
            let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
            assert!(
                same < 10,
                "f32 draws at consecutive offsets agree at {same} positions"
            );
        }
        // The parallel draw equals serial draws of its pieces at their own offsets.
        let per = if wide { 2 } else { 4 };
        let piece = 4000 * per;
        let mut pieced = Vec::new();
        for start in (0..n).step_by(piece) {
            let len = piece.min(n - start);
            let mut gp = Generator::with_offset(99, (start / per) as u64);
            pieced.extend(rand(0.0, 1.0, len, dtype, dev, &mut gp)?);
        }
        assert_eq!(
            bits(&pieced),
            bits(&a),
            "{dtype}: parallel draw vs serial pieces"
        );
    }
    Ok(())
}
test_device!(different_offsets_do_not_overlap, offsets_cpu, offsets_cuda);

/// The largest value of `dtype` below `hi`.
fn below(hi: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F16 => {
            let h = f16::from_f64(hi);
            f16::from_bits(if hi > 0.0 {
                h.to_bits() - 1
            } else {
                h.to_bits() + 1
            })
            .to_f64()
        }
        DType::BF16 => {
            let h = bf16::from_f64(hi);
            bf16::from_bits(if hi > 0.0 {
                h.to_bits() - 1
            } else {
                h.to_bits() + 1
            })
            .to_f64()
        }
        DType::F32 => {
            let h = hi as f32;
            f32::from_bits(if hi > 0.0 {
                h.to_bits() - 1
            } else {
                h.to_bits() + 1
            }) as f64
        }
        _ => f64::from_bits(if hi > 0.0 {
            hi.to_bits() - 1
        } else {
            hi.to_bits() + 1
        }),
    }
}

fn rand_stays_in_the_half_open_interval(dev: &Device) -> Result<()> {
    let n = 1 << 16;
    for dtype in FLOAT_DTYPES {
        // Ends representable in every float dtype.
        for (k, (lo, hi)) in [(0.0, 1.0), (-2.0, 3.0), (10.0, 11.0), (-0.5, 0.25)]
            .into_iter()
            .enumerate()
        {
            let v = rand(lo, hi, n, dtype, dev, &mut Generator::new(300 + k as u64))?;
            let (mn, mx) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            assert!(
                mn >= lo && mx < hi,
                "rand({lo}, {hi}) {dtype}: values span [{mn}, {mx}]"
            );
            // And they fill it: within 1% (plus two ulps of the dtype) of both ends.
            let slack = 0.01 * (hi - lo) + 2.0 * eps(dtype) * hi.abs().max(lo.abs());
            assert!(
                mn < lo + slack && mx > hi - slack,
                "rand({lo}, {hi}) {dtype}: [{mn}, {mx}]"
            );
        }
    }
    // An interval one ulp wide: lo + (hi − lo)·u rounds up to hi for half of all u unless the
    // draw guards against it; every value must still be lo.
    for (dtype, lo, hi) in [
        (DType::F32, 1.0, 1.0 + f64::from(f32::EPSILON)),
        (DType::F64, 1.0, 1.0 + f64::EPSILON),
        (DType::F16, 1.0, 1.0 + f64::from(f16::EPSILON)),
        (DType::BF16, 1.0, 1.0 + f64::from(bf16::EPSILON)),
    ] {
        let v = rand(lo, hi, 4096, dtype, dev, &mut Generator::new(310))?;
        assert!(
            v.iter().all(|&x| x == lo),
            "rand({lo}, {hi}) {dtype} reached hi"
        );
        assert_eq!(below(hi, dtype), lo);
    }
    Ok(())
}
test_device!(
    rand_stays_in_the_half_open_interval,
    interval_cpu,
    interval_cuda
);

fn moments_within_five_standard_errors(dev: &Device) -> Result<()> {
    // For n draws, the sample mean has standard error σ/√n and the sample variance (of a
    // normal) σ²·√(2/n); of a uniform on [a, b), √((b − a)⁴/180/n). Five standard errors fail
    // a correct generator with probability < 10⁻⁶, and catch a wrong scale or shift of 1%.
    let n = 1 << 18;
    let nf = n as f64;
    let moments = |v: &[f64]| {
        let m = kahan_sum(v.iter().copied()) / nf;
        let var = kahan_sum(v.iter().map(|x| (x - m) * (x - m))) / nf;
        (m, var)
    };
    for (k, dtype) in FLOAT_DTYPES.into_iter().enumerate() {
        let (mean, std) = (1.5, 2.0);
        let v = randn(
            mean,
            std,
            n,
            dtype,
            dev,
            &mut Generator::new(400 + k as u64),
        )?;
        let (m, var) = moments(&v);
        // f16/bf16 rounding adds variance ≤ (eps·|x|)²/12, far below one standard error here
        // for f16; for bf16 (eps = 2⁻⁷) it is up to ~2·10⁻⁴·σ², still < 0.1 standard error.
        assert!(
            (m - mean).abs() < 5.0 * std / nf.sqrt(),
            "randn {dtype}: mean {m}"
        );
        assert!(
            (var - std * std).abs() < 5.0 * std * std * (2.0 / nf).sqrt(),
            "randn {dtype}: variance {var}"
        );
        let (lo, hi) = (-2.0, 3.0);
        let v = rand(lo, hi, n, dtype, dev, &mut Generator::new(410 + k as u64))?;
        let (m, var) = moments(&v);
        let w: f64 = hi - lo;
        assert!(
            (m - 0.5).abs() < 5.0 * w / 12f64.sqrt() / nf.sqrt(),
            "rand {dtype}: mean {m}"
        );
        assert!(
            (var - w * w / 12.0).abs() < 5.0 * (w.powi(4) / 180.0 / nf).sqrt(),
            "rand {dtype}: variance {var}"
        );
    }
    Ok(())
}
test_device!(
    moments_within_five_standard_errors,
    moments_cpu,
    moments_cuda
);

fn f64_and_f32_draws_share_the_stream(dev: &Device) -> Result<()> {
    // f32 element i uses the top 24 bits of word i; f64 element i the top 53 bits of words
    // (2i, 2i + 1). So f64 element i lies in [f32 element 2i, f32 element 2i + 2⁻²⁴).
    let m = 5000;
    let x = rand(0.0, 1.0, 2 * m, DType::F32, dev, &mut Generator::new(500))?;
    let y = rand(0.0, 1.0, m, DType::F64, dev, &mut Generator::new(500))?;
    for i in 0..m {
        let d = y[i] - x[2 * i];
        assert!(
            (0.0..2f64.powi(-24)).contains(&d),
            "element {i}: f64 {} vs f32 {}",
            y[i],
            x[2 * i]
        );
    }
    // f16/bf16 are the f32 draw rounded (kept below hi), from the same blocks.
    for dtype in [DType::F16, DType::BF16] {
        let (lo, hi) = (-1.0, 1.0);
        let x = rand(lo, hi, 1000, DType::F32, dev, &mut Generator::new(501))?;
        let mut g = Generator::new(501);
        let h = rand(lo, hi, 1000, dtype, dev, &mut g)?;
        assert_eq!(g.offset(), blocks_for(1000, false));
        let want: Vec<f64> = x
            .iter()
            .map(|&v| {
                let r = round_to(v, dtype);
                if r >= hi {
                    below(hi, dtype)
                } else {
                    r
                }
            })
            .collect();
        assert_exact(&h, &want, &format!("rand {dtype} vs f32 rounded"));
    }
    Ok(())
}
test_device!(
    f64_and_f32_draws_share_the_stream,
    shared_stream_cpu,
    shared_stream_cuda
);

fn draws_follow_the_documented_stream(dev: &Device) -> Result<()> {
    // The stream definition in `random.rs` (and kernels/philox.cu), evaluated directly from the
    // Philox blocks: uniform values bit for bit, normal values to a few ulps.
    let (seed, offset) = (0x0123_4567_89AB_CDEF_u64, 5u64);
    let (lo, hi) = (-3.0f64, 5.0f64);
    let n = 10;
    let x = rand(
        lo,
        hi,
        n,
        DType::F32,
        dev,
        &mut Generator::with_offset(seed, offset),
    )?;
    for i in 0..n {
        let w = block(seed, offset, (i / 4) as u64)[i % 4];
        let u = (w >> 8) as f32 * 2f32.powi(-24);
        let want = lo as f32 + (hi - lo) as f32 * u;
        assert_eq!(x[i], f64::from(want), "f32 uniform element {i}");
    }
    let y = rand(
        lo,
        hi,
        n,
        DType::F64,
        dev,
        &mut Generator::with_offset(seed, offset),
    )?;
    let u53 = |a: u32, b: u32| ((((a as u64) << 32) | b as u64) >> 11) as f64 * 2f64.powi(-53);
    for i in 0..n {
        let w = block(seed, offset, (i / 2) as u64);
        let u = u53(w[2 * (i % 2)], w[2 * (i % 2) + 1]);
        assert_eq!(y[i], lo + (hi - lo) * u, "f64 uniform element {i}");
    }
    let (mean, std) = (0.5, 3.0);
    let z = randn(
        mean,
        std,
        n,
        DType::F64,
        dev,
        &mut Generator::with_offset(seed, offset),
    )?;
    let mut want = Vec::new();
    for p in 0..n / 2 {
        let w = block(seed, offset, p as u64);
        let u1 = (((((w[0] as u64) << 32) | w[1] as u64) >> 11) + 1) as f64 * 2f64.powi(-53);
        let u2 = u53(w[2], w[3]);
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        want.push(mean + std * r * t.cos());
        want.push(mean + std * r * t.sin());
    }
    // Box–Muller through ln, sqrt, sin and cos: a few ulps of the O(std·r) values.
    assert_close(
        &z,
        &want,
        8.0 * f64::EPSILON * std * 6.0,
        0.0,
        "f64 normal vs Box–Muller",
    );
    Ok(())
}
test_device!(draws_follow_the_documented_stream, stream_cpu, stream_cuda);
