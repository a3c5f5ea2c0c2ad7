//! Shared helpers for the integration tests of `fluxion-tensor`: seeded inputs, layout
//! variants, naive references, tolerance checks that name the worst element, and the
//! `test_device!` macro that runs one test body on the CPU and on CUDA.
//!
//! Inputs come from a local SplitMix64 generator (Steele, Lea & Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014), so the references never depend on the library's
//! own random numbers or casts: values are drawn in f64, rounded on the host to the dtype under test
//! with `half` / `as`, and uploaded with `Tensor::from_vec`.
#![allow(dead_code)]

use fluxion_tensor::{DType, Device, Result, Tensor};
use half::{bf16, f16};
use num_complex::Complex64;

/// The dtypes every float op is checked in against a reference.
pub const FLOATS: [DType; 2] = [DType::F32, DType::F64];

/// Expands to a `#[test]` for the CPU and one for CUDA running `$case(&device)`.
///
/// The CUDA test opens `Device::cuda(0)` through [`cuda_device`]: without a GPU it prints
/// `skipping <name>: no CUDA device (<error>)` and passes, unless the environment variable
/// `FLUXION_REQUIRE_CUDA=1` is set, in which case the missing device is a failure (for CI
/// machines that have a GPU, so that a broken driver setup cannot pass silently). An op the
/// CUDA backend lacks fails the test like any other error.
#[allow(unused_macros)] // cuda_parity.rs compares devices directly
macro_rules! test_device {
    ($case:ident, $cpu:ident, $cuda:ident) => {
        #[test]
        fn $cpu() -> fluxion_tensor::Result<()> {
            $case(&fluxion_tensor::Device::Cpu)
        }

        #[test]
        fn $cuda() -> fluxion_tensor::Result<()> {
            match $crate::common::cuda_device(stringify!($cuda)) {
                Some(dev) => $case(&dev),
                None => Ok(()),
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use test_device;

/// `Device::cuda(0)`, or `None` after printing why not ([`fluxion_tensor::testing::cuda_device`]).
///
/// # Panics
/// When there is no CUDA device and `FLUXION_REQUIRE_CUDA=1` is set.
pub fn cuda_device(test: &str) -> Option<Device> {
    fluxion_tensor::testing::cuda_device(test)
}

/// SplitMix64: a tiny, seeded, well-mixed generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)` (53 random bits).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }

    /// Uniform integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `n` uniform values in `[lo, hi)` rounded to `dtype`.
    pub fn values(&mut self, n: usize, lo: f64, hi: f64, dtype: DType) -> Vec<f64> {
        (0..n)
            .map(|_| round_to(self.uniform(lo, hi), dtype))
            .collect()
    }
}

/// `v` rounded to `dtype` on the host, as the library documents its conversions: round to
/// nearest (ties to even) for floats, truncation toward zero with saturation for integers
/// (NaN → 0). f16/bf16 use [`round_to_format`], an exact integer computation: `half`'s own
/// `from_f64` is not used because it is not correctly rounded (bf16 and the non-F16C f16 path drop
/// the low 32 mantissa bits before rounding; the F16C path rounds through f32 first).
pub fn round_to(v: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F16 => round_to_format(v, 11, -14, 15),
        DType::BF16 => round_to_format(v, 8, -126, 127),
        DType::F32 => v as f32 as f64,
        DType::F64 => v,
        DType::U8 => v as u8 as f64,
        DType::I64 => v as i64 as f64,
    }
}

/// `v` rounded to nearest, ties to even, in a binary format with a `p`-bit significand (hidden
/// bit included), smallest normal exponent `emin` and largest exponent `emax`, with gradual
/// underflow and overflow to ±∞. Exact: works on the integer significand of `v`.
pub fn round_to_format(v: f64, p: u32, emin: i32, emax: i32) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    // |v| = m · 2^e exactly.
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    round_int_to_format(v < 0.0, m, e, p, emin, emax)
}

/// `(−1)^neg · m · 2^e` rounded as in [`round_to_format`].
pub fn round_int_to_format(neg: bool, m: u64, e: i32, p: u32, emin: i32, emax: i32) -> f64 {
    if m == 0 {
        return if neg { -0.0 } else { 0.0 };
    }
    let top = e + 63 - m.leading_zeros() as i32; // exponent of the leading bit
    let k = top.max(emin) - (p as i32 - 1); // exponent of the last kept bit
    let q = if e >= k {
        (m as u128) << (e - k)
    } else {
        let shift = (k - e) as u32;
        if shift > 64 {
            0 // below half of the quantum
        } else {
            let m = m as u128;
            let q = m >> shift;
            let rem = m & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        }
    };
    let mag = q as f64 * 2f64.powi(k);
    let max = (2.0 - 2f64.powi(1 - p as i32)) * 2f64.powi(emax);
    let mag = if mag > max { f64::INFINITY } else { mag };
    if neg {
        -mag
    } else {
        mag
    }
}

/// A tensor of `dtype` holding `vals` (already representable in `dtype`) with `shape`.
pub fn tensor(vals: &[f64], shape: &[usize], dtype: DType, dev: &Device) -> Result<Tensor> {
    match dtype {
        DType::F16 => Tensor::from_vec(
            vals.iter().map(|&v| f16::from_f64(v)).collect::<Vec<_>>(),
            shape,
            dev,
        ),
        DType::BF16 => Tensor::from_vec(
            vals.iter().map(|&v| bf16::from_f64(v)).collect::<Vec<_>>(),
            shape,
            dev,
        ),
        DType::F32 => Tensor::from_vec(
            vals.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            shape,
            dev,
        ),
        DType::F64 => Tensor::from_vec(vals.to_vec(), shape, dev),
        DType::U8 => Tensor::from_vec(
            vals.iter().map(|&v| v as u8).collect::<Vec<_>>(),
            shape,
            dev,
        ),
        DType::I64 => Tensor::from_vec(
            vals.iter().map(|&v| v as i64).collect::<Vec<_>>(),
            shape,
            dev,
        ),
    }
}

/// The elements of `t` in row-major order as f64, read in the tensor's own dtype (no library
/// cast involved).
pub fn values(t: &Tensor) -> Result<Vec<f64>> {
    Ok(match t.dtype() {
        DType::F16 => t.to_vec::<f16>()?.into_iter().map(f64::from).collect(),
        DType::BF16 => t.to_vec::<bf16>()?.into_iter().map(f64::from).collect(),
        DType::F32 => t.to_vec::<f32>()?.into_iter().map(f64::from).collect(),
        DType::F64 => t.to_vec::<f64>()?,
        DType::U8 => t.to_vec::<u8>()?.into_iter().map(f64::from).collect(),
        DType::I64 => t.to_vec::<i64>()?.into_iter().map(|v| v as f64).collect(),
    })
}

/// A contiguous tensor of seeded uniform values in `[lo, hi)`, with those values.
pub fn seeded(
    shape: &[usize],
    dtype: DType,
    dev: &Device,
    seed: u64,
    lo: f64,
    hi: f64,
) -> Result<(Tensor, Vec<f64>)> {
    let n = shape.iter().product();
    let vals = Rng::new(seed).values(n, lo, hi, dtype);
    Ok((tensor(&vals, shape, dtype, dev)?, vals))
}

/// One layout of a logical tensor, with the values it should hold in row-major order.
#[derive(Debug)]
pub struct Variant {
    /// contiguous, transposed (rank ≥ 2: stored with the axes reversed and viewed back),
    /// strided (rank 1: every other element of a larger vector), narrowed (a window of a larger
    /// tensor padded with garbage on every axis) or broadcast (stride-0 axes).
    pub name: &'static str,
    /// The tensor.
    pub t: Tensor,
    /// Its logical values, row-major.
    pub vals: Vec<f64>,
}

/// A value that must never be read: NaN for floats, a sentinel for integers.
fn garbage(dtype: DType) -> f64 {
    match dtype {
        DType::U8 => 171.0,
        DType::I64 => -987_654.0,
        _ => f64::NAN,
    }
}

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of linear index `i` in `shape`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for ax in (0..shape.len()).rev() {
        idx[ax] = i % shape[ax];
        i /= shape[ax];
    }
    idx
}

/// The linear index of `idx` in `shape`.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum()
}

/// For each element of `shape` in row-major order, `base + Σₐ idx[a]·st[a]` (an odometer, no
/// allocation per element): the storage offset of every element of a strided view.
pub fn offsets_of(shape: &[usize], st: &[usize], base: usize) -> Vec<usize> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    let mut off = base;
    for _ in 0..n {
        out.push(off);
        for ax in (0..shape.len()).rev() {
            idx[ax] += 1;
            off += st[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            off -= st[ax] * shape[ax];
            idx[ax] = 0;
        }
    }
    out
}

/// The strides that read `from` (a shape broadcastable to `to`) at each index of `to`.
pub fn broadcast_strides(from: &[usize], to: &[usize]) -> Vec<usize> {
    let off = to.len() - from.len();
    let sf = strides(from);
    (0..to.len())
        .map(|a| {
            if a < off || from[a - off] == 1 {
                0
            } else {
                sf[a - off]
            }
        })
        .collect()
}

/// NumPy's broadcast of two shapes, or `None`.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let dim = |s: &[usize], k: usize| {
        if k < s.len() {
            s[s.len() - 1 - k]
        } else {
            1
        }
    };
    let mut out = vec![0; r];
    for k in 0..r {
        let (x, y) = (dim(a, k), dim(b, k));
        out[r - 1 - k] = match (x, y) {
            _ if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The element of `vals` (shape `from`) that output multi-index `idx` (shape rank ≥ `from`'s)
/// reads under NumPy broadcasting.
pub fn broadcast_index(idx: &[usize], from: &[usize]) -> usize {
    let off = idx.len() - from.len();
    let src: Vec<usize> = from
        .iter()
        .enumerate()
        .map(|(i, &d)| if d == 1 { 0 } else { idx[off + i] })
        .collect();
    ravel(&src, from)
}

/// `vals` of shape `from` broadcast to `to`.
pub fn broadcast_values(vals: &[f64], from: &[usize], to: &[usize]) -> Vec<f64> {
    offsets_of(to, &broadcast_strides(from, to), 0)
        .into_iter()
        .map(|o| vals[o])
        .collect()
}

/// Values of `vals` (shape `shape`) with axes permuted: output axis i is input axis `perm[i]`.
pub fn permute_values(vals: &[f64], shape: &[usize], perm: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let st = strides(shape);
    let pst: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    let out = offsets_of(&out_shape, &pst, 0)
        .into_iter()
        .map(|o| vals[o])
        .collect();
    (out, out_shape)
}

/// Values of `vals` restricted to `start..start + len` along `axis`.
pub fn narrow_values(
    vals: &[f64],
    shape: &[usize],
    axis: usize,
    start: usize,
    len: usize,
) -> (Vec<f64>, Vec<usize>) {
    let mut out_shape = shape.to_vec();
    out_shape[axis] = len;
    let st = strides(shape);
    let out = offsets_of(&out_shape, &st, start * st[axis])
        .into_iter()
        .map(|o| vals[o])
        .collect();
    (out, out_shape)
}

/// The same logical values as several layouts: contiguous, transposed/strided and narrowed
/// (the same values), and broadcast (its own values, constant along the broadcast axes).
/// Values come from `gen`, rounded to `dtype`.
pub fn layouts_with(
    shape: &[usize],
    dtype: DType,
    dev: &Device,
    seed: u64,
    mut gen: impl FnMut(&mut Rng) -> f64,
) -> Result<Vec<Variant>> {
    let mut rng = Rng::new(seed);
    let n: usize = shape.iter().product();
    let mut draw =
        |k: usize| -> Vec<f64> { (0..k).map(|_| round_to(gen(&mut rng), dtype)).collect() };
    let vals = draw(n);
    let mut out = vec![Variant {
        name: "contiguous",
        t: tensor(&vals, shape, dtype, dev)?,
        vals: vals.clone(),
    }];
    let rank = shape.len();
    if rank >= 2 {
        // Stored with the axes reversed (Fortran order), then viewed back.
        let rev: Vec<usize> = shape.iter().rev().copied().collect();
        let rst: Vec<usize> = strides(&rev).into_iter().rev().collect();
        let mut data = vec![0.0; n];
        for (o, &v) in offsets_of(shape, &rst, 0).into_iter().zip(&vals) {
            data[o] = v;
        }
        let perm: Vec<usize> = (0..rank).rev().collect();
        let t = tensor(&data, &rev, dtype, dev)?.permute(&perm)?;
        assert_eq!(t.dims(), shape);
        if shape.iter().filter(|&&d| d > 1).count() >= 2 {
            assert!(
                !t.is_contiguous(),
                "transposed variant of {shape:?} is contiguous"
            );
        }
        out.push(Variant {
            name: "transposed",
            t,
            vals: vals.clone(),
        });
    } else if rank == 1 {
        // Every other element of a [n, 2] matrix whose second column is garbage.
        let mut data = vec![garbage(dtype); 2 * n];
        for (i, &v) in vals.iter().enumerate() {
            data[2 * i] = v;
        }
        let t = tensor(&data, &[n, 2], dtype, dev)?
            .narrow(1, 0, 1)?
            .squeeze(1)?;
        out.push(Variant {
            name: "strided",
            t,
            vals: vals.clone(),
        });
    }
    if rank >= 1 {
        // A window of a tensor padded by 1 before and 2 after on every axis.
        let big: Vec<usize> = shape.iter().map(|d| d + 3).collect();
        let mut data = vec![garbage(dtype); big.iter().product()];
        let bst = strides(&big);
        let base = bst.iter().sum();
        for (o, &v) in offsets_of(shape, &bst, base).into_iter().zip(&vals) {
            data[o] = v;
        }
        let mut t = tensor(&data, &big, dtype, dev)?;
        for (ax, &d) in shape.iter().enumerate() {
            t = t.narrow(ax as isize, 1, d)?;
        }
        out.push(Variant {
            name: "narrowed",
            t,
            vals: vals.clone(),
        });
        // Broadcast from a smaller tensor: a new leading axis, and for rank ≥ 3 a size-1 axis.
        let mut small = shape[1..].to_vec();
        if small.len() >= 2 {
            small[0] = 1;
        }
        if rank == 1 {
            small = vec![1];
        }
        let sv = draw(small.iter().product());
        let t = tensor(&sv, &small, dtype, dev)?.broadcast_to(shape)?;
        out.push(Variant {
            name: "broadcast",
            t,
            vals: broadcast_values(&sv, &small, shape),
        });
    }
    Ok(out)
}

/// [`layouts_with`] for uniform values in `[lo, hi)`.
pub fn layouts(
    shape: &[usize],
    dtype: DType,
    dev: &Device,
    seed: u64,
    lo: f64,
    hi: f64,
) -> Result<Vec<Variant>> {
    layouts_with(shape, dtype, dev, seed, |r| r.uniform(lo, hi))
}

/// Checks `|got − want| ≤ tol[i]` element by element; NaN must meet NaN and an infinity the same
/// infinity. On failure, panics naming `what`, the number of failures and the worst element.
pub fn assert_close_each(got: &[f64], want: &[f64], tol: &[f64], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: got {} elements, want {}",
        got.len(),
        want.len()
    );
    let mut fails = 0usize;
    let mut worst: Option<(usize, f64)> = None;
    for (i, ((&g, &w), &t)) in got.iter().zip(want).zip(tol).enumerate() {
        let ratio = if w.is_nan() || g.is_nan() || w.is_infinite() || g.is_infinite() {
            if (w.is_nan() && g.is_nan()) || g == w {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            let err = (g - w).abs();
            if err == 0.0 {
                0.0
            } else if t > 0.0 {
                err / t
            } else {
                f64::INFINITY
            }
        };
        if ratio > 1.0 {
            fails += 1;
        }
        if worst.is_none_or(|(_, r)| ratio > r) {
            worst = Some((i, ratio));
        }
    }
    if fails > 0 {
        let (i, r) = worst.expect("a failure was recorded");
        panic!(
            "{what}: {fails} of {} elements out of tolerance; worst at [{i}]: got {:e}, want {:e}, \
             |diff| {:e} > tol {:e} ({r:.3e}× the tolerance)",
            got.len(),
            got[i],
            want[i],
            (got[i] - want[i]).abs(),
            tol[i],
        );
    }
}

/// Checks `|got − want| ≤ abs + rel·|want|` element by element (see [`assert_close_each`]).
pub fn assert_close(got: &[f64], want: &[f64], abs: f64, rel: f64, what: &str) {
    let tol: Vec<f64> = want.iter().map(|w| abs + rel * w.abs()).collect();
    assert_close_each(got, want, &tol, what);
}

/// Exact equality (bit-level for floats, NaN meeting NaN).
pub fn assert_exact(got: &[f64], want: &[f64], what: &str) {
    assert_close(got, want, 0.0, 0.0, what);
}

/// The machine epsilon of `dtype`.
pub fn eps(dtype: DType) -> f64 {
    dtype.epsilon()
}

/// Neumaier's compensated sum (Kahan–Babuška), accurate to about one rounding in f64.
pub fn kahan_sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x;
        } else {
            c += (x - t) + s;
        }
        s = t;
    }
    s + c
}

/// The elements of `vals` (shape `shape`) grouped by output of a reduction over `axes`
/// (sorted, distinct), each group in row-major order, with the output shape.
pub fn naive_groups(
    vals: &[f64],
    shape: &[usize],
    axes: &[usize],
    keepdim: bool,
) -> (Vec<Vec<f64>>, Vec<usize>) {
    let kept_shape: Vec<usize> = (0..shape.len())
        .map(|a| if axes.contains(&a) { 1 } else { shape[a] })
        .collect();
    let kst = strides(&kept_shape);
    let gst: Vec<usize> = (0..shape.len())
        .map(|a| if axes.contains(&a) { 0 } else { kst[a] })
        .collect();
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); kept_shape.iter().product()];
    for (g, &v) in offsets_of(shape, &gst, 0).into_iter().zip(vals) {
        groups[g].push(v);
    }
    let out_shape = if keepdim {
        kept_shape
    } else {
        (0..shape.len())
            .filter(|a| !axes.contains(a))
            .map(|a| shape[a])
            .collect()
    };
    (groups, out_shape)
}

/// A reduction over `axes` (sorted, distinct) of `vals` with `shape`, applying `f` to each
/// output's reduced elements in row-major order. Returns values and output shape.
pub fn naive_reduce(
    vals: &[f64],
    shape: &[usize],
    axes: &[usize],
    keepdim: bool,
    f: impl Fn(&[f64]) -> f64,
) -> (Vec<f64>, Vec<usize>) {
    let (groups, out_shape) = naive_groups(vals, shape, axes, keepdim);
    (groups.iter().map(|g| f(g)).collect(), out_shape)
}

/// NumPy `matmul` of `a` (shape `sa`) and `b` (shape `sb`), Kahan-summed in f64, with rank-1
/// operands promoted and batch dims broadcast. Returns (values, Σₖ|aᵢₖ||bₖⱼ| per element, shape).
pub fn naive_matmul(
    a: &[f64],
    sa: &[usize],
    b: &[f64],
    sb: &[usize],
) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let sa2 = if sa.len() == 1 {
        vec![1, sa[0]]
    } else {
        sa.to_vec()
    };
    let sb2 = if sb.len() == 1 {
        vec![sb[0], 1]
    } else {
        sb.to_vec()
    };
    let (ra, rb) = (sa2.len(), sb2.len());
    let (m, k, n) = (sa2[ra - 2], sa2[ra - 1], sb2[rb - 1]);
    assert_eq!(k, sb2[rb - 2]);
    let batch = broadcast_shapes(&sa2[..ra - 2], &sb2[..rb - 2]).expect("batch broadcast");
    let nb: usize = batch.iter().product();
    let mut out = Vec::with_capacity(nb * m * n);
    let mut mag = Vec::with_capacity(nb * m * n);
    for bi in 0..nb {
        let bidx = unravel(bi, &batch);
        let abase = broadcast_index(&bidx, &sa2[..ra - 2]) * m * k;
        let bbase = broadcast_index(&bidx, &sb2[..rb - 2]) * k * n;
        for i in 0..m {
            for j in 0..n {
                let terms = (0..k).map(|p| a[abase + i * k + p] * b[bbase + p * n + j]);
                out.push(kahan_sum(terms.clone()));
                mag.push(terms.map(f64::abs).sum());
            }
        }
    }
    let mut shape = batch;
    if sa.len() > 1 {
        shape.push(m);
    }
    if sb.len() > 1 {
        shape.push(n);
    }
    (out, mag, shape)
}

/// e^{sign·2πi·num/den}, with the angle reduced exactly first (`num` is taken mod `den`).
pub fn twiddle(num: usize, den: usize, sign: f64) -> Complex64 {
    let r = (num % den) as f64 / den as f64;
    let (s, c) = (std::f64::consts::TAU * r).sin_cos();
    Complex64::new(c, sign * s)
}

/// The naive DFT `X_k = Σ_j x_j e^{sign·2πi jk/n}` with compensated sums; the twiddles come
/// from a table of e^{sign·2πi r/n} indexed by jk mod n, each accurate to an f64 rounding.
pub fn naive_dft(x: &[Complex64], sign: f64) -> Vec<Complex64> {
    let n = x.len();
    let table: Vec<Complex64> = (0..n).map(|r| twiddle(r, n, sign)).collect();
    (0..n)
        .map(|k| {
            let term = |j: usize| x[j] * table[(j * k) % n];
            Complex64::new(
                kahan_sum((0..n).map(|j| term(j).re)),
                kahan_sum((0..n).map(|j| term(j).im)),
            )
        })
        .collect()
}

/// The naive multi-dimensional DFT of `x` (shape `dims`, all axes transformed), summing over every
/// index tuple directly.
pub fn naive_dftn(x: &[Complex64], dims: &[usize], sign: f64) -> Vec<Complex64> {
    let n = x.len();
    let idx: Vec<Vec<usize>> = (0..n).map(|i| unravel(i, dims)).collect();
    (0..n)
        .map(|o| {
            let k = &idx[o];
            let terms: Vec<Complex64> = (0..n)
                .map(|i| {
                    let j = &idx[i];
                    let mut w = Complex64::new(1.0, 0.0);
                    for ax in 0..dims.len() {
                        w *= twiddle(j[ax] * k[ax], dims[ax], sign);
                    }
                    x[i] * w
                })
                .collect();
            Complex64::new(
                kahan_sum(terms.iter().map(|t| t.re)),
                kahan_sum(terms.iter().map(|t| t.im)),
            )
        })
        .collect()
}

/// Interleaves complex values as `(re, im)` pairs.
pub fn interleave(z: &[Complex64]) -> Vec<f64> {
    z.iter().flat_map(|c| [c.re, c.im]).collect()
}

/// Euclidean norm.
pub fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
