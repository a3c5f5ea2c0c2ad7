//! Real FFTs (rfft/irfft along the last axis, rfftn/irfftn over 2 and 3 axes) with NumPy's
//! three norms, on every layout, against naive DFTs evaluated in f64.
//!
//! Tolerance: FFT round-off grows like eps·log₂n relative to the 2-norm of the data transformed
//! (Higham, *Accuracy and Stability*, §24.1), so each output element may differ from the naive
//! DFT by `scale·eps·(4·log₂(n + 1) + 1)·‖v‖₂`, where v is the input row (or the full Hermitian
//! spectrum for the inverse) and `scale` the norm's factor. The crate's own unit tests measured
//! ≤ 0.95 of `eps·log₂(n+1)·‖v‖₂`, so this leaves ≥ 4× margin, while an index, sign or scale
//! mistake is off by O(‖v‖).

mod common;

use common::*;
use fluxion_tensor::{DType, Device, FftNorm, Result};
use num_complex::Complex64;

const NORMS: [FftNorm; 3] = [FftNorm::Backward, FftNorm::Ortho, FftNorm::Forward];
const LENGTHS: [usize; 6] = [1, 2, 7, 64, 1000, 1024];

/// NumPy's factor on the forward transform over `n` points.
fn forward_scale(norm: FftNorm, n: usize) -> f64 {
    match norm {
        FftNorm::Backward => 1.0,
        FftNorm::Ortho => 1.0 / (n as f64).sqrt(),
        FftNorm::Forward => 1.0 / n as f64,
    }
}

/// NumPy's factor on the inverse transform over `n` points.
fn inverse_scale(norm: FftNorm, n: usize) -> f64 {
    match norm {
        FftNorm::Backward => 1.0 / n as f64,
        FftNorm::Ortho => 1.0 / (n as f64).sqrt(),
        FftNorm::Forward => 1.0,
    }
}

fn tol(dtype: DType, n: usize, v_norm: f64, scale: f64) -> f64 {
    scale * eps(dtype) * (4.0 * ((n + 1) as f64).log2() + 1.0) * v_norm
}

/// The unscaled rfft of a real row: bins 0..=n/2, interleaved.
fn ref_rfft(row: &[f64]) -> Vec<f64> {
    let z: Vec<Complex64> = row.iter().map(|&x| Complex64::new(x, 0.0)).collect();
    let n = row.len();
    interleave(&naive_dft(&z, -1.0)[..n / 2 + 1])
}

/// NumPy's Hermitian completion for `irfft(c, n)`: the first n/2 + 1 bins of `c` (interleaved,
/// zero-padded or truncated), imaginary parts of DC and (even n) Nyquist dropped, and
/// X_{n−k} = conj(X_k).
fn hermitian(c: &[f64], n: usize) -> Vec<Complex64> {
    let m = c.len() / 2;
    let bin = |k: usize| {
        if k < m {
            Complex64::new(c[2 * k], c[2 * k + 1])
        } else {
            Complex64::new(0.0, 0.0)
        }
    };
    let mut full = vec![Complex64::new(0.0, 0.0); n];
    for k in 0..=n / 2 {
        let mut x = bin(k);
        if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
            x.im = 0.0;
        }
        full[k] = x;
        if k > 0 && n - k != k {
            full[n - k] = x.conj();
        }
    }
    full
}

/// The unscaled inverse of a Hermitian spectrum, real part, and the spectrum's 2-norm.
fn ref_irfft(c: &[f64], n: usize) -> (Vec<f64>, f64) {
    let full = hermitian(c, n);
    let nrm = full.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    (naive_dft(&full, 1.0).iter().map(|z| z.re).collect(), nrm)
}

fn rfft_matches_naive_dft(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        for n in LENGTHS {
            for v in layouts(&[3, n], dtype, dev, 600 + n as u64, -1.0, 1.0)? {
                let refs: Vec<(Vec<f64>, f64)> =
                    v.vals.chunks(n).map(|r| (ref_rfft(r), norm2(r))).collect();
                for norm in NORMS {
                    let got = v.t.rfft(norm)?;
                    assert_eq!(got.dims(), &[3, n / 2 + 1, 2]);
                    let s = forward_scale(norm, n);
                    let want: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, _)| r.iter().map(|x| x * s))
                        .collect();
                    let t: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, nr)| std::iter::repeat_n(tol(dtype, n, *nr, s), r.len()))
                        .collect();
                    assert_close_each(
                        &values(&got)?,
                        &want,
                        &t,
                        &format!("rfft n={n} {norm:?} {dtype} {}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(rfft_matches_naive_dft, rfft_cpu, rfft_cuda);

fn irfft_matches_naive_inverse(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        for n in LENGTHS {
            let m = n / 2 + 1;
            // Random bins, with non-zero DC and Nyquist imaginary parts that must be ignored.
            for v in layouts(&[3, m, 2], dtype, dev, 700 + n as u64, -1.0, 1.0)? {
                let refs: Vec<(Vec<f64>, f64)> =
                    v.vals.chunks(2 * m).map(|c| ref_irfft(c, n)).collect();
                for norm in NORMS {
                    // The default length 2(m − 1) is n only for even n.
                    let len = if n % 2 == 0 && n > 0 { None } else { Some(n) };
                    let got = v.t.irfft(len, norm)?;
                    assert_eq!(got.dims(), &[3, n]);
                    let s = inverse_scale(norm, n);
                    let want: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, _)| r.iter().map(|x| x * s))
                        .collect();
                    let t: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, nr)| std::iter::repeat_n(tol(dtype, n, *nr, s), r.len()))
                        .collect();
                    assert_close_each(
                        &values(&got)?,
                        &want,
                        &t,
                        &format!("irfft n={n} {norm:?} {dtype} {}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(irfft_matches_naive_inverse, irfft_cpu, irfft_cuda);

fn irfft_truncates_and_zero_pads(dev: &Device) -> Result<()> {
    // m = 9 bins (default n = 16); n below truncates the bins, above zero-pads them.
    let m = 9;
    for dtype in FLOATS {
        for v in layouts(&[2, m, 2], dtype, dev, 710, -1.0, 1.0)? {
            for n in [1, 2, 5, 10, 11, 16, 17, 30, 33] {
                for norm in NORMS {
                    let got = v.t.irfft(Some(n), norm)?;
                    assert_eq!(got.dims(), &[2, n]);
                    let s = inverse_scale(norm, n);
                    let mut want = Vec::new();
                    let mut t = Vec::new();
                    for c in v.vals.chunks(2 * m) {
                        let (r, nr) = ref_irfft(c, n);
                        want.extend(r.iter().map(|x| x * s));
                        t.extend(std::iter::repeat_n(tol(dtype, n, nr, s), n));
                    }
                    assert_close_each(
                        &values(&got)?,
                        &want,
                        &t,
                        &format!("irfft(n={n}) of {m} bins {norm:?} {dtype} {}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(irfft_truncates_and_zero_pads, irfft_len_cpu, irfft_len_cuda);

fn round_trip_restores_the_signal(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        for n in LENGTHS {
            for v in layouts(&[2, n], dtype, dev, 720 + n as u64, -1.0, 1.0)? {
                for norm in NORMS {
                    let back = v.t.rfft(norm)?.irfft(Some(n), norm)?;
                    assert_eq!(back.dims(), &[2, n]);
                    // Two transforms: twice the one-way bound on the row norm.
                    let t: Vec<f64> = v
                        .vals
                        .chunks(n)
                        .flat_map(|r| std::iter::repeat_n(2.0 * tol(dtype, n, norm2(r), 1.0), n))
                        .collect();
                    assert_close_each(
                        &values(&back)?,
                        &v.vals,
                        &t,
                        &format!("irfft(rfft) n={n} {norm:?} {dtype} {}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(
    round_trip_restores_the_signal,
    round_trip_cpu,
    round_trip_cuda
);

/// Shapes for the multi-axis transforms: (shape, ndim); leading axes beyond ndim are a batch.
const ND_CASES: [(&[usize], usize); 5] = [
    (&[4, 6], 2),
    (&[2, 5, 7], 2),
    (&[3, 4, 5], 3),
    (&[2, 3, 4, 6], 3),
    (&[1, 2, 8], 3),
];

fn rfftn_matches_naive_multidimensional_dft(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        for (k, (shape, ndim)) in ND_CASES.into_iter().enumerate() {
            let r = shape.len();
            let tdims = &shape[r - ndim..];
            let total: usize = tdims.iter().product();
            let last = tdims[ndim - 1];
            let mut out_dims = shape.to_vec();
            out_dims[r - 1] = last / 2 + 1;
            out_dims.push(2);
            for v in layouts(shape, dtype, dev, 800 + k as u64, -1.0, 1.0)? {
                // Reference per batch item: the full multi-dimensional DFT, keeping the first
                // last/2 + 1 bins of the last axis.
                let mut refs = Vec::new();
                for item in v.vals.chunks(total) {
                    let z: Vec<Complex64> = item.iter().map(|&x| Complex64::new(x, 0.0)).collect();
                    let full = naive_dftn(&z, tdims, -1.0);
                    let kept: Vec<Complex64> = full
                        .chunks(last)
                        .flat_map(|line| line[..last / 2 + 1].to_vec())
                        .collect();
                    refs.push((interleave(&kept), norm2(item)));
                }
                for norm in NORMS {
                    let got = v.t.rfftn(ndim, norm)?;
                    assert_eq!(got.dims(), out_dims.as_slice());
                    let s = forward_scale(norm, total);
                    let want: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, _)| r.iter().map(|x| x * s))
                        .collect();
                    let t: Vec<f64> = refs
                        .iter()
                        .flat_map(|(r, nr)| std::iter::repeat_n(tol(dtype, total, *nr, s), r.len()))
                        .collect();
                    assert_close_each(
                        &values(&got)?,
                        &want,
                        &t,
                        &format!("rfftn({ndim}) {shape:?} {norm:?} {dtype} {}", v.name),
                    );
                    // And back.
                    let back = got.irfftn(ndim, Some(last), norm)?;
                    assert_eq!(back.dims(), shape);
                    let t: Vec<f64> = refs
                        .iter()
                        .flat_map(|(_, nr)| {
                            std::iter::repeat_n(2.0 * tol(dtype, total, *nr, 1.0), total)
                        })
                        .collect();
                    assert_close_each(
                        &values(&back)?,
                        &v.vals,
                        &t,
                        &format!(
                            "irfftn(rfftn({ndim})) {shape:?} {norm:?} {dtype} {}",
                            v.name
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(
    rfftn_matches_naive_multidimensional_dft,
    rfftn_cpu,
    rfftn_cuda
);

fn irfftn_matches_naive_inverse(dev: &Device) -> Result<()> {
    // NumPy's irfftn: complex inverse DFTs over the leading transformed axes, then irfft (with
    // Hermitian completion along the last axis only) to length n.
    for dtype in FLOATS {
        for (k, (shape, ndim)) in ND_CASES.into_iter().enumerate() {
            let r = shape.len();
            let n = shape[r - 1];
            let m = n / 2 + 1;
            let lead = &shape[r - ndim..r - 1];
            let nl: usize = lead.iter().product();
            let batch: usize = shape[..r - ndim].iter().product();
            let mut in_dims = shape.to_vec();
            in_dims[r - 1] = m;
            in_dims.push(2);
            for v in layouts(&in_dims, dtype, dev, 900 + k as u64, -1.0, 1.0)? {
                let item_len = nl * m * 2;
                let mut want_raw = Vec::new();
                let mut norms = Vec::new();
                for item in v.vals.chunks(item_len) {
                    // Inverse DFT over the leading axes, bin by bin of the last axis.
                    let mut mixed = vec![Complex64::new(0.0, 0.0); nl * m];
                    for j in 0..m {
                        let line: Vec<Complex64> = (0..nl)
                            .map(|l| {
                                Complex64::new(item[2 * (l * m + j)], item[2 * (l * m + j) + 1])
                            })
                            .collect();
                        for (l, z) in naive_dftn(&line, lead, 1.0).into_iter().enumerate() {
                            mixed[l * m + j] = z;
                        }
                    }
                    let mut sq = 0.0;
                    for l in 0..nl {
                        let c = interleave(&mixed[l * m..(l + 1) * m]);
                        let (x, nr) = ref_irfft(&c, n);
                        want_raw.extend(x);
                        sq += nr * nr;
                    }
                    norms.push(sq.sqrt());
                }
                assert_eq!(want_raw.len(), batch * nl * n);
                let total = nl * n;
                for norm in NORMS {
                    let got = v.t.irfftn(ndim, Some(n), norm)?;
                    assert_eq!(got.dims(), shape);
                    let s = inverse_scale(norm, total);
                    let want: Vec<f64> = want_raw.iter().map(|x| x * s).collect();
                    let t: Vec<f64> = norms
                        .iter()
                        .flat_map(|nr| std::iter::repeat_n(tol(dtype, total, *nr, s), total))
                        .collect();
                    assert_close_each(
                        &values(&got)?,
                        &want,
                        &t,
                        &format!("irfftn({ndim}) {shape:?} {norm:?} {dtype} {}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(irfftn_matches_naive_inverse, irfftn_cpu, irfftn_cuda);

fn norms_parse_with_numpy_names(_dev: &Device) -> Result<()> {
    assert_eq!("backward".parse::<FftNorm>()?, FftNorm::Backward);
    assert_eq!("ortho".parse::<FftNorm>()?, FftNorm::Ortho);
    assert_eq!("forward".parse::<FftNorm>()?, FftNorm::Forward);
    assert_eq!(FftNorm::default(), FftNorm::Backward);
    let e = "orthonormal".parse::<FftNorm>().unwrap_err().to_string();
    assert!(e.contains("orthonormal") && e.contains("ortho"), "{e}");
    Ok(())
}
test_device!(norms_parse_with_numpy_names, norms_cpu, norms_cuda);

fn half_precision_fft_rounds_the_f32_result(dev: &Device) -> Result<()> {
    // f16/bf16 transform in f32 and round once: within the f32 bound plus ½ ulp of the half
    // type (2 half-ulps leaves 4× margin).
    for dtype in [DType::F16, DType::BF16] {
        let n = 16;
        let (x, xv) = seeded(&[2, n], dtype, dev, 950, -1.0, 1.0)?;
        let got = x.rfft(FftNorm::Ortho)?;
        assert_eq!(got.dtype(), dtype);
        let s = forward_scale(FftNorm::Ortho, n);
        let mut want = Vec::new();
        let mut t = Vec::new();
        for r in xv.chunks(n) {
            let spec = ref_rfft(r);
            t.extend(
                spec.iter()
                    .map(|w| 2.0 * eps(dtype) * (w * s).abs() + tol(DType::F32, n, norm2(r), s)),
            );
            want.extend(spec.iter().map(|w| w * s));
        }
        assert_close_each(&values(&got)?, &want, &t, &format!("rfft {dtype}"));
    }
    Ok(())
}
test_device!(
    half_precision_fft_rounds_the_f32_result,
    half_fft_cpu,
    half_fft_cuda
);
