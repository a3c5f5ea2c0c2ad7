//! `SpectralConv` against a naive f64 reference (direct-sum rfftn → keep modes → complex
//! weights → direct-sum irfftn), resolution invariance, gradient checks and argument errors.
//!
//! Tolerances: the layer sums O(N) products per output (N points per channel, at most a few
//! hundred here) in both directions, so the rounding error is a small multiple of
//! `eps · N · max|y|`; we allow `1e-12 · max|y|` in f64 (eps·N ≈ 5e-14) and `1e-5 · max|y|`
//! in f32 (eps·N ≈ 3e-5 worst case, ≈ eps·√N typical), plus a tiny absolute part for outputs
//! that vanish.

use fluxion_autodiff::{gradcheck, gradgradcheck, GradcheckOptions, Var};
use fluxion_nn::Module;
use fluxion_operator::dft::{self, DftMatrices};
use fluxion_operator::{SpectralConv, SpectralMethod};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, FftNorm, Tensor};
use std::f64::consts::PI;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

const METHODS: [SpectralMethod; 3] = [
    SpectralMethod::Dft,
    SpectralMethod::Fft,
    SpectralMethod::Auto,
];

/// Row-major multi-index of flat index `i` in `dims`.
fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for a in (0..dims.len()).rev() {
        idx[a] = i % dims[a];
        i /= dims[a];
    }
    idx
}

fn ravel(idx: &[usize], dims: &[usize]) -> usize {
    idx.iter().zip(dims).fold(0, |acc, (&i, &n)| acc * n + i)
}

/// The naive layer: `x [B, n…, Cin]`, `w [Cin, Cout, K…, m_d, 2]` (f64, row-major) →
/// `[B, n…, Cout]`, through the full spectrum computed by direct sums.
fn naive(
    x: &[f64],
    w: &[f64],
    b: usize,
    sizes: &[usize],
    modes: &[usize],
    cin: usize,
    cout: usize,
) -> Vec<f64> {
    let d = sizes.len();
    let npts: usize = sizes.iter().product();
    let h = sizes[d - 1] / 2 + 1;
    let mut spec_dims = sizes.to_vec();
    spec_dims[d - 1] = h;
    let nspec: usize = spec_dims.iter().product();
    let kept: Vec<usize> = (0..d)
        .map(|a| if a + 1 < d { 2 * modes[a] } else { modes[a] })
        .collect();
    let nkept: usize = kept.iter().product();
    let phase = |k: &[usize], s: &[usize]| -> f64 {
        (0..d)
            .map(|a| 2.0 * PI * ((k[a] * s[a]) % sizes[a]) as f64 / sizes[a] as f64)
            .sum()
    };
    let mut y = vec![0.0; b * npts * cout];
    for bi in 0..b {
        // Full rfftn of every input channel: X[k] = Σ_s x[s] e^{−2πi k·s/n}.
        let mut xs = vec![(0.0, 0.0); cin * nspec];
        for c in 0..cin {
            for ks in 0..nspec {
                let k = unravel(ks, &spec_dims);
                let (mut re, mut im) = (0.0, 0.0);
                for ss in 0..npts {
                    let s = unravel(ss, sizes);
                    let v = x[(bi * npts + ss) * cin + c];
                    let t = phase(&k, &s);
                    re += v * t.cos();
                    im -= v * t.sin();
                }
                xs[c * nspec + ks] = (re, im);
            }
        }
        // Keep the modes, multiply by the weights, zeros elsewhere.
        let mut ys = vec![(0.0, 0.0); cout * nspec];
        for q in 0..nkept {
            let j = unravel(q, &kept);
            let k: Vec<usize> = (0..d)
                .map(|a| {
                    if a + 1 == d || j[a] < modes[a] {
                        j[a]
                    } else {
                        sizes[a] - 2 * modes[a] + j[a]
                    }
                })
                .collect();
            let ks = ravel(&k, &spec_dims);
            for o in 0..cout {
                let (mut re, mut im) = (0.0, 0.0);
                for i in 0..cin {
                    let wi = ((i * cout + o) * nkept + q) * 2;
                    let (wr, wim) = (w[wi], w[wi + 1]);
                    let (xr, xim) = xs[i * nspec + ks];
                    re += xr * wr - xim * wim;
                    im += xr * wim + xim * wr;
                }
                ys[o * nspec + ks] = (re, im);
            }
        }
        // irfftn: y[s] = (1/N) Σ_k c_{k_d} Re(Y[k] e^{+2πi k·s/n}), c = 1 on DC and Nyquist.
        let nl = sizes[d - 1];
        for ss in 0..npts {
            let s = unravel(ss, sizes);
            for o in 0..cout {
                let mut acc = 0.0;
                for ks in 0..nspec {
                    let (re, im) = ys[o * nspec + ks];
                    if re == 0.0 && im == 0.0 {
                        continue;
                    }
                    let k = unravel(ks, &spec_dims);
                    let c = if k[d - 1] == 0 || 2 * k[d - 1] == nl {
                        1.0
                    } else {
                        2.0
                    };
                    let t = phase(&k, &s);
                    acc += c * (re * t.cos() - im * t.sin());
                }
                y[(bi * npts + ss) * cout + o] = acc / npts as f64;
            }
        }
    }
    y
}

fn randn(dims: &[usize], dtype: DType, seed: u64) -> R<Tensor> {
    Ok(Tensor::randn(
        0.0,
        1.0,
        dims.to_vec(),
        dtype,
        &Device::Cpu,
        &mut Generator::new(seed),
    )?)
}

fn to_f64(t: &Tensor) -> R<Vec<f64>> {
    Ok(t.to_dtype(DType::F64)?.to_vec::<f64>()?)
}

/// max |a − b| ≤ atol + rtol · max |b|, with a message on failure.
fn assert_close(a: &[f64], b: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        err <= atol + rtol * scale,
        "{what}: max error {err:e} > {atol:e} + {rtol:e} · {scale:e}"
    );
    assert!(scale > 0.0, "{what}: reference is identically zero");
}

struct Case {
    sizes: &'static [usize],
    modes: &'static [usize],
}

/// Odd and even n; m = n/2 and m = n/2 + 1 (Nyquist bin) on the last axis; 2m = n on a
/// non-last axis.
const CASES: &[Case] = &[
    Case {
        sizes: &[16],
        modes: &[8],
    },
    Case {
        sizes: &[16],
        modes: &[9],
    },
    Case {
        sizes: &[15],
        modes: &[8],
    },
    Case {
        sizes: &[9],
        modes: &[3],
    },
    Case {
        sizes: &[10, 9],
        modes: &[5, 5],
    },
    Case {
        sizes: &[12, 8],
        modes: &[3, 4],
    },
    Case {
        sizes: &[7, 6],
        modes: &[2, 4],
    },
    Case {
        sizes: &[6, 5, 8],
        modes: &[3, 2, 5],
    },
    Case {
        sizes: &[5, 7, 7],
        modes: &[2, 3, 4],
    },
];

fn check_naive(dtype: DType, rtol: f64) -> R {
    let (b, cin, cout) = (3, 3, 2);
    for (ci, case) in CASES.iter().enumerate() {
        let mut layer = SpectralConv::new(cin, cout, case.modes, dtype, &Device::Cpu, 7)?;
        // Signed weights of unit size exercise every sign combination of the complex product.
        let wdims = layer.weight().dims();
        layer
            .weight()
            .set_value(randn(&wdims, dtype, 100 + ci as u64)?)?;
        let mut xdims = vec![b];
        xdims.extend_from_slice(case.sizes);
        xdims.push(cin);
        let x = randn(&xdims, dtype, 200 + ci as u64)?;
        let expected = naive(
            &to_f64(&x)?,
            &to_f64(&layer.weight().tensor())?,
            b,
            case.sizes,
            case.modes,
            cin,
            cout,
        );
        for method in METHODS {
            layer = layer.with_method(method);
            let y = layer.forward(&Var::constant(x.clone()))?;
            let mut ydims = xdims.clone();
            *ydims.last_mut().expect("rank ≥ 3") = cout;
            assert_eq!(y.dims(), ydims);
            assert_eq!(y.dtype(), dtype);
            let what = format!(
                "{dtype} sizes {:?} modes {:?} {method:?}",
                case.sizes, case.modes
            );
            assert_close(&to_f64(&y.tensor())?, &expected, rtol, 1e-14, &what);
        }
    }
    Ok(())
}

#[test]
fn matches_naive_reference_f64() -> R {
    check_naive(DType::F64, 1e-12)
}

#[test]
fn matches_naive_reference_f32() -> R {
    check_naive(DType::F32, 1e-5)
}

/// At sizes too large for the naive sums, the two methods agree to rounding.
#[test]
fn dft_and_fft_agree_at_larger_sizes() -> R {
    let cases: [(&[usize], &[usize]); 3] = [
        (&[256], &[16]),
        (&[40, 36], &[12, 12]),
        (&[12, 16, 10], &[4, 5, 6]),
    ];
    for (i, (sizes, modes)) in cases.into_iter().enumerate() {
        let layer = SpectralConv::new(4, 5, modes, DType::F64, &Device::Cpu, i as u64)?;
        let mut xdims = vec![2];
        xdims.extend_from_slice(sizes);
        xdims.push(4);
        let x = Var::constant(randn(&xdims, DType::F64, 10 + i as u64)?);
        let layer = layer.with_method(SpectralMethod::Fft);
        let yf = to_f64(&layer.forward(&x)?.tensor())?;
        let layer = layer.with_method(SpectralMethod::Dft);
        let yd = to_f64(&layer.forward(&x)?.tensor())?;
        assert_close(&yd, &yf, 1e-12, 1e-15, &format!("{sizes:?} {modes:?}"));
    }
    Ok(())
}

/// The truncated transform against the library's full rfftn (a second, independent reference).
#[test]
fn truncated_rfftn_matches_library_rfftn() -> R {
    let (sizes, modes) = ([6usize, 8, 9], [2usize, 3, 4]);
    let x = randn(&[2, 6, 8, 9, 3], DType::F64, 5)?;
    let mats = DftMatrices::new();
    let (re, im) = dft::truncated_rfftn(&Var::constant(x.clone()), &modes, &mats)?;
    assert_eq!(re.dims(), vec![2, 4, 6, 4, 3]);
    assert_eq!(mats.len(), 3);
    // Library: channels first, rfftn over the three spatial axes: [2, 3, 6, 8, 5, 2].
    let full = to_f64(&x.permute(&[0, 4, 1, 2, 3])?.rfftn(3, FftNorm::Backward)?)?;
    let fdims = [2, 3, 6, 8, 5, 2];
    let kdims = re.dims();
    let (re, im) = (to_f64(&re.tensor())?, to_f64(&im.tensor())?);
    let mut err = 0.0f64;
    let mut scale = 0.0f64;
    for (q, (&vr, &vi)) in re.iter().zip(&im).enumerate() {
        let j = unravel(q, &kdims);
        let (bi, j1, j2, k, c) = (j[0], j[1], j[2], j[3], j[4]);
        let k1 = if j1 < modes[0] {
            j1
        } else {
            sizes[0] - 2 * modes[0] + j1
        };
        let k2 = if j2 < modes[1] {
            j2
        } else {
            sizes[1] - 2 * modes[1] + j2
        };
        let fr = full[ravel(&[bi, c, k1, k2, k, 0], &fdims)];
        let fi = full[ravel(&[bi, c, k1, k2, k, 1], &fdims)];
        err = err.max((vr - fr).abs()).max((vi - fi).abs());
        scale = scale.max(fr.abs()).max(fi.abs());
    }
    assert!(err <= 1e-12 * scale, "error {err:e} vs scale {scale:e}");
    Ok(())
}

/// A real signal with frequencies |f_a| < m_a sampled on a grid of `sizes`: `[1, sizes…, 2]`.
fn band_limited(sizes: &[usize], modes: &[usize], seed: u64) -> R<Tensor> {
    let d = sizes.len();
    // Frequencies per axis: −(m−1)..=(m−1) on the non-last axes, 0..m on the last.
    let ranges: Vec<Vec<i64>> = (0..d)
        .map(|a| {
            let m = modes[a] as i64;
            if a + 1 < d {
                (-(m - 1)..m).collect()
            } else {
                (0..m).collect()
            }
        })
        .collect();
    let counts: Vec<usize> = ranges.iter().map(Vec::len).collect();
    let nf: usize = counts.iter().product();
    let coef = to_f64(&randn(&[nf, 2, 2], DType::F64, seed)?)?;
    let npts: usize = sizes.iter().product();
    let mut x = vec![0.0; npts * 2];
    for p in 0..npts {
        let s = unravel(p, sizes);
        for q in 0..nf {
            let j = unravel(q, &counts);
            let t: f64 = (0..d)
                .map(|a| 2.0 * PI * ranges[a][j[a]] as f64 * s[a] as f64 / sizes[a] as f64)
                .sum();
            for c in 0..2 {
                let (a, b) = (coef[(q * 2 + c) * 2], coef[(q * 2 + c) * 2 + 1]);
                x[p * 2 + c] += a * t.cos() + b * t.sin();
            }
        }
    }
    let mut dims = vec![1];
    dims.extend_from_slice(sizes);
    dims.push(2);
    Ok(Tensor::from_vec(x, dims, &Device::Cpu)?)
}

/// The same weights on a band-limited input at n and 2n give the same function: the values
/// at the common grid points agree.
#[test]
fn resolution_invariance() -> R {
    let cases: [(&[usize], &[usize]); 3] = [
        (&[12], &[4]),
        (&[10, 12], &[3, 4]),
        (&[8, 6, 10], &[2, 2, 3]),
    ];
    for (i, (sizes, modes)) in cases.into_iter().enumerate() {
        let fine: Vec<usize> = sizes.iter().map(|n| 2 * n).collect();
        for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
            let layer = SpectralConv::new(2, 3, modes, DType::F64, &Device::Cpu, i as u64)?
                .with_method(method);
            let coarse = layer.forward(&Var::constant(band_limited(sizes, modes, 40)?))?;
            let dense = layer.forward(&Var::constant(band_limited(&fine, modes, 40)?))?;
            let (cd, fd) = (coarse.dims(), dense.dims());
            let (coarse, dense) = (to_f64(&coarse.tensor())?, to_f64(&dense.tensor())?);
            let mut got = Vec::new();
            for q in 0..coarse.len() {
                let mut fi = unravel(q, &cd);
                for v in &mut fi[1..=sizes.len()] {
                    *v *= 2;
                }
                got.push(dense[ravel(&fi, &fd)]);
            }
            let want = coarse;
            assert_close(&got, &want, 1e-12, 1e-15, &format!("{sizes:?} {method:?}"));
        }
    }
    Ok(())
}

fn grad_case(sizes: &[usize], modes: &[usize], method: SpectralMethod, second: bool) -> R {
    let (cin, cout) = (2, 3);
    let layer =
        SpectralConv::new(cin, cout, modes, DType::F64, &Device::Cpu, 3)?.with_method(method);
    let mut xdims = vec![2];
    xdims.extend_from_slice(sizes);
    xdims.push(cin);
    let x = randn(&xdims, DType::F64, 11)?;
    let w = randn(&layer.weight().dims(), DType::F64, 12)?;
    let f = |v: &[Var]| -> fluxion_autodiff::Result<Vec<Var>> {
        let y = layer
            .forward_with_weight(&v[0], &v[1])
            .map_err(|e| match e {
                fluxion_nn::Error::Autodiff(e) => e,
                other => panic!("unexpected layer error {other}"),
            })?;
        // A nonlinear readout so the second-order check has something to see.
        Ok(vec![if second { y.square()? } else { y }])
    };
    let opts = GradcheckOptions {
        atol: 1e-7,
        rtol: 1e-6,
        ..GradcheckOptions::default()
    };
    if second {
        gradgradcheck(f, &[x, w], &opts)?;
    } else {
        gradcheck(f, &[x, w], &opts)?;
    }
    Ok(())
}

#[test]
fn gradcheck_1d() -> R {
    for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
        grad_case(&[8], &[5], method, false)?;
        grad_case(&[7], &[3], method, false)?;
    }
    Ok(())
}

#[test]
fn gradcheck_2d() -> R {
    for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
        grad_case(&[4, 5], &[2, 2], method, false)?;
    }
    Ok(())
}

#[test]
fn gradcheck_3d() -> R {
    for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
        grad_case(&[4, 3, 4], &[2, 1, 2], method, false)?;
    }
    Ok(())
}

#[test]
fn gradgradcheck_1d() -> R {
    for method in [SpectralMethod::Dft, SpectralMethod::Fft] {
        grad_case(&[6], &[3], method, true)?;
    }
    Ok(())
}

#[test]
fn init_follows_the_reference() -> R {
    let (cin, cout) = (4, 5);
    let layer = SpectralConv::new(cin, cout, &[3, 2], DType::F32, &Device::Cpu, 9)?;
    assert_eq!(layer.weight().dims(), vec![4, 5, 6, 2, 2]);
    assert_eq!(layer.weight().dtype(), DType::F32);
    assert!(layer.weight().requires_grad());
    assert_eq!((layer.in_channels(), layer.out_channels()), (4, 5));
    assert_eq!(layer.modes(), &[3, 2]);
    assert_eq!(layer.parameter_count(), 4 * 5 * 6 * 2 * 2);
    let w = to_f64(&layer.weight().tensor())?;
    let scale = 1.0 / (cin * cout) as f64;
    assert!(w.iter().all(|&v| (0.0..scale).contains(&v)));
    // Mean of U[0, scale): scale/2 ± 4 standard errors (σ = scale/√12, 480 draws).
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let se = scale / 12f64.sqrt() / (w.len() as f64).sqrt();
    assert!((mean - scale / 2.0).abs() < 4.0 * se, "mean {mean}");
    let same = SpectralConv::new(cin, cout, &[3, 2], DType::F32, &Device::Cpu, 9)?;
    let other = SpectralConv::new(cin, cout, &[3, 2], DType::F32, &Device::Cpu, 10)?;
    assert_eq!(w, to_f64(&same.weight().tensor())?);
    assert_ne!(w, to_f64(&other.weight().tensor())?);
    Ok(())
}

fn err_of(layer: &SpectralConv, dims: &[usize], dtype: DType) -> String {
    let x = Var::constant(Tensor::zeros(dims.to_vec(), dtype, &Device::Cpu).expect("zeros"));
    match layer.forward(&x) {
        Ok(y) => panic!("input {dims:?} accepted, output {:?}", y.dims()),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
}

#[test]
fn invalid_inputs_are_errors() -> R {
    let layer = SpectralConv::new(3, 2, &[4, 5], DType::F64, &Device::Cpu, 0)?;
    for method in METHODS {
        let layer =
            SpectralConv::new(3, 2, &[4, 5], DType::F64, &Device::Cpu, 0)?.with_method(method);
        let m = err_of(&layer, &[2, 16, 3], DType::F64);
        assert_mentions(&m, &["SpectralConv2d", "rank 4", "[2, 16, 3]"]);
        let m = err_of(&layer, &[2, 8, 16, 4], DType::F64);
        assert_mentions(
            &m,
            &[
                "SpectralConv2d",
                "3 input channels",
                "got 4",
                "[2, 8, 16, 4]",
            ],
        );
        let m = err_of(&layer, &[2, 7, 16, 3], DType::F64);
        assert_mentions(
            &m,
            &[
                "SpectralConv2d",
                "axis 0",
                "n = 7",
                "m = 4",
                "[2, 7, 16, 3]",
            ],
        );
        let m = err_of(&layer, &[2, 8, 7, 3], DType::F64);
        assert_mentions(
            &m,
            &["SpectralConv2d", "axis 1", "n = 7", "m = 5", "[2, 8, 7, 3]"],
        );
        let m = err_of(&layer, &[2, 8, 16, 3], DType::F32);
        assert_mentions(&m, &["SpectralConv2d", "f32", "f64"]);
        let m = err_of(&layer, &[2, 0, 16, 3], DType::F64);
        assert_mentions(&m, &["SpectralConv2d", "axis 0", "empty"]);
    }
    // The limits themselves are accepted: 2m = n on axis 0, m = n/2 + 1 on the last axis.
    let y = layer.forward(&Var::constant(Tensor::zeros(
        [1, 8, 8, 3],
        DType::F64,
        &Device::Cpu,
    )?))?;
    assert_eq!(y.dims(), vec![1, 8, 8, 2]);
    let bad_w = Var::constant(Tensor::zeros([3, 2, 8, 4, 2], DType::F64, &Device::Cpu)?);
    let x = Var::constant(Tensor::zeros([1, 8, 8, 3], DType::F64, &Device::Cpu)?);
    let m = layer
        .forward_with_weight(&x, &bad_w)
        .expect_err("bad weight")
        .to_string();
    assert_mentions(&m, &["SpectralConv2d", "weight", "[3, 2, 8, 4, 2]"]);
    Ok(())
}

#[test]
fn invalid_arguments_to_new_are_errors() {
    let dev = Device::Cpu;
    type NewCase<'a> = (usize, usize, &'a [usize], DType, &'a [&'a str]);
    let cases: [NewCase; 5] = [
        (2, 2, &[], DType::F64, &["1, 2 or 3", "[]"]),
        (
            2,
            2,
            &[2, 2, 2, 2],
            DType::F64,
            &["1, 2 or 3", "[2, 2, 2, 2]"],
        ),
        (2, 2, &[3, 0], DType::F64, &["axis 1", "0 modes"]),
        (0, 2, &[3], DType::F64, &["in 0"]),
        (2, 2, &[3], DType::I64, &["f32 or f64", "i64"]),
    ];
    for (cin, cout, modes, dtype, parts) in cases {
        let e = SpectralConv::new(cin, cout, modes, dtype, &dev, 0).expect_err("invalid");
        let msg = e.to_string();
        assert_mentions(&msg, &["SpectralConv::new"]);
        assert_mentions(&msg, parts);
    }
}

#[test]
fn auto_picks_a_method_per_shape() -> R {
    let layer = SpectralConv::new(2, 2, &[4], DType::F64, &Device::Cpu, 0)?;
    assert_eq!(
        layer.method_for(&[16]),
        fluxion_operator::spectral::auto_method(&[16], &[4])
    );
    let fixed = layer.with_method(SpectralMethod::Fft);
    assert_eq!(fixed.method_for(&[16]), SpectralMethod::Fft);
    Ok(())
}
