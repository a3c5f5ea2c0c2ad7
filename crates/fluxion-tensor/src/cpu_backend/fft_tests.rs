//! Tests of the batched FFT engine against a naive DFT (kept apart from `fft.rs` for size).
//! Every entry point is checked against a naive `O(n²)` DFT evaluated in `f64`, on seeded
//! pseudo-random inputs in `[-1, 1)`.
//!
//! Tolerance: `max_k |y_k - ref_k| ≤ C · eps · log2(n + 1) · ‖v‖₂ + eps`, where `v` is the
//! vector actually transformed (input row/line, or the full Hermitian spectrum for irfft) and
//! `eps` the machine epsilon of the type under test. FFT round-off grows like
//! `eps · log2 n` relative to the data's 2-norm (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, §24.1). The largest observed `err / (eps·log2(n+1)·‖v‖₂)` over these tests
//! is ≈ 0.6 for `f32` and ≈ 0.95 for `f64` (where the reference's own `f64` twiddles add a
//! comparable error), so `C = 4` leaves a ≥ 4× margin, while any indexing, sign or scaling
//! bug (error ~ ‖v‖₂, a ratio ~ 1/(eps·log2 n)) fails by orders of magnitude. The absolute
//! floor `eps` (data are O(1)) keeps an exactly-zero or `n = 1` comparison well defined.
use super::*;
use std::f64::consts::PI;

const C: f64 = 4.0;
const LENGTHS: [usize; 6] = [1, 2, 7, 64, 1000, 1024];
const BATCH: usize = 3;

/// splitmix64 (Steele, Lea & Flood 2014): a tiny seeded generator, no `rand` needed.
struct SplitMix64(u64);
impl SplitMix64 {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

fn random<T: FftFloat>(seed: u64, len: usize) -> Vec<T> {
    let mut g = SplitMix64(seed);
    (0..len)
        .map(|_| T::from_f64(g.next_f64()).unwrap())
        .collect()
}

fn f64s<T: FftFloat>(v: &[T]) -> Vec<f64> {
    v.iter().map(|e| e.to_f64().unwrap()).collect()
}

/// Double-double accumulator: `hi + lo` holds a running sum of exact products, so the
/// reference's own round-off (≈ eps·‖x‖₂, from the twiddles) stays well under the tolerance
/// even when the type under test is `f64` itself.
#[derive(Default)]
struct Dd {
    hi: f64,
    lo: f64,
}
impl Dd {
    /// Adds `a·b` exactly (fma two-product, Knuth two-sum).
    fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        let pe = a.mul_add(b, -p);
        let s = self.hi + p;
        let bb = s - self.hi;
        let se = (self.hi - (s - bb)) + (p - bb);
        self.hi = s;
        self.lo += se + pe;
    }
    fn value(&self) -> f64 {
        self.hi + self.lo
    }
}

/// `Σ_j x_j e^{sign·2πi·jk/n}` for every `k`: twiddles in `f64` with exact `jk mod n`
/// reduction, sums accumulated in double-double.
fn naive_dft(x: &[Complex<f64>], sign: f64) -> Vec<Complex<f64>> {
    let n = x.len();
    let w: Vec<_> = (0..n)
        .map(|p| Complex::from_polar(1.0, sign * 2.0 * PI * p as f64 / n as f64))
        .collect();
    (0..n)
        .map(|k| {
            let (mut re, mut im) = (Dd::default(), Dd::default());
            for (j, xj) in x.iter().enumerate() {
                let wk = w[(j * k) % n];
                re.add_product(xj.re, wk.re);
                re.add_product(-xj.im, wk.im);
                im.add_product(xj.re, wk.im);
                im.add_product(xj.im, wk.re);
            }
            Complex::new(re.value(), im.value())
        })
        .collect()
}

fn norm(v: &[Complex<f64>]) -> f64 {
    v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt()
}

/// Asserts `max |got - want| ≤ C·eps·log2(n+1)·norm + eps`, `eps` that of `T`.
fn assert_close<T: FftFloat>(got: &[Complex<f64>], want: &[Complex<f64>], norm: f64, what: &str) {
    let (n, eps) = (want.len(), T::epsilon().to_f64().unwrap());
    assert_eq!(got.len(), n, "{what}: length");
    let tol = C * eps * ((n + 1) as f64).log2() * norm + eps;
    let err = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).norm())
        .fold(0.0, f64::max);
    assert!(
        err <= tol,
        "{what}: n={n}: error {err:e} > tolerance {tol:e}"
    );
}

fn real_to_complex(v: &[f64]) -> Vec<Complex<f64>> {
    v.iter().map(|&r| Complex::new(r, 0.0)).collect()
}

fn interleaved(v: &[f64]) -> Vec<Complex<f64>> {
    v.chunks_exact(2)
        .map(|c| Complex::new(c[0], c[1]))
        .collect()
}

/// The full length-`n` Hermitian spectrum irfft transforms, from `m` given bins.
fn hermitian(bins: &[Complex<f64>], n: usize) -> Vec<Complex<f64>> {
    let h = n / 2 + 1;
    let mut half: Vec<_> = bins.iter().copied().take(h).collect();
    half.resize(h, Complex::new(0.0, 0.0));
    half[0].im = 0.0;
    if n.is_multiple_of(2) {
        half[h - 1].im = 0.0;
    }
    (0..n)
        .map(|k| if k < h { half[k] } else { half[n - k].conj() })
        .collect()
}

fn check_rfft<T: FftFloat>() {
    for (s, &n) in LENGTHS.iter().enumerate() {
        let x = random::<T>(100 + s as u64, BATCH * n);
        let y = f64s(&rfft_rows(&x, n, T::one()));
        let h = n / 2 + 1;
        assert_eq!(y.len(), BATCH * h * 2);
        for (b, row) in f64s(&x).chunks_exact(n).enumerate() {
            let xr = real_to_complex(row);
            let mut got = interleaved(&y[b * 2 * h..(b + 1) * 2 * h]);
            got.extend(hermitian(&got, n).split_off(h)); // all n bins, for the length
            assert_close::<T>(&got, &naive_dft(&xr, -1.0), norm(&xr), "rfft_rows");
        }
    }
}

fn check_irfft<T: FftFloat>(m_of: impl Fn(usize) -> usize, what: &str) {
    for (s, &n) in LENGTHS.iter().enumerate() {
        let m = m_of(n);
        let x = random::<T>(200 + s as u64, BATCH * m * 2);
        let scale = 0.5;
        let y = f64s(&irfft_rows(&x, m, n, T::from_f64(scale).unwrap()));
        assert_eq!(y.len(), BATCH * n);
        for (b, row) in f64s(&x).chunks_exact(2 * m).enumerate() {
            let spec = hermitian(&interleaved(row), n);
            let want: Vec<_> = naive_dft(&spec, 1.0)
                .iter()
                .map(|v| Complex::new(v.re * scale, 0.0))
                .collect();
            let got = real_to_complex(&y[b * n..(b + 1) * n]);
            assert_close::<T>(&got, &want, scale * norm(&spec), what);
        }
    }
}

fn check_round_trip<T: FftFloat>() {
    for (s, &n) in LENGTHS.iter().enumerate() {
        let x = random::<T>(300 + s as u64, BATCH * n);
        let spec = rfft_rows(&x, n, T::one());
        let back = irfft_rows(&spec, n / 2 + 1, n, T::one() / T::from_usize(n).unwrap());
        for (xr, br) in f64s(&x).chunks_exact(n).zip(f64s(&back).chunks_exact(n)) {
            let xr = real_to_complex(xr);
            assert_close::<T>(&real_to_complex(br), &xr, norm(&xr), "round trip");
        }
    }
}

fn check_fft_axis<T: FftFloat>() {
    let outer = 2;
    for (s, &len) in LENGTHS.iter().enumerate() {
        for inner in [1, 3] {
            for inverse in [false, true] {
                let x = random::<T>(400 + s as u64 + 10 * inner as u64, outer * len * inner * 2);
                let scale = if inverse { 1.0 / len as f64 } else { 1.0 };
                let mut y = x.clone();
                fft_axis(
                    &mut y,
                    outer,
                    len,
                    inner,
                    inverse,
                    T::from_f64(scale).unwrap(),
                );
                let (xc, yc) = (interleaved(&f64s(&x)), interleaved(&f64s(&y)));
                for o in 0..outer {
                    for i in 0..inner {
                        let at = |j: usize| (o * len + j) * inner + i;
                        let line: Vec<_> = (0..len).map(|j| xc[at(j)]).collect();
                        let got: Vec<_> = (0..len).map(|j| yc[at(j)]).collect();
                        let sign = if inverse { 1.0 } else { -1.0 };
                        let want: Vec<_> =
                            naive_dft(&line, sign).iter().map(|v| v * scale).collect();
                        let what = format!("fft_axis(inner={inner}, inverse={inverse})");
                        assert_close::<T>(&got, &want, scale * norm(&line), &what);
                    }
                }
            }
        }
    }
}

/// Expands one generic check into an `f32` and an `f64` test.
macro_rules! for_f32_and_f64 {
    ($($f32:ident, $f64:ident => $check:ident $(($($arg:expr),*))?;)*) => {$(
        #[test]
        fn $f32() {
            $check::<f32>($($($arg),*)?);
        }
        #[test]
        fn $f64() {
            $check::<f64>($($($arg),*)?);
        }
    )*};
}

fn check_irfft_truncation<T: FftFloat>() {
    check_irfft::<T>(|n| n / 4 + 1, "irfft_rows(m < n/2+1)");
    check_irfft::<T>(|n| n + 5, "irfft_rows(m > n/2+1)");
}

for_f32_and_f64! {
    rfft_matches_naive_dft_f32, rfft_matches_naive_dft_f64 => check_rfft;
    irfft_matches_naive_inverse_f32, irfft_matches_naive_inverse_f64
        => check_irfft(|n| n / 2 + 1, "irfft_rows");
    irfft_truncates_and_zero_pads_f32, irfft_truncates_and_zero_pads_f64
        => check_irfft_truncation;
    round_trip_is_identity_f32, round_trip_is_identity_f64 => check_round_trip;
    fft_axis_matches_naive_dft_f32, fft_axis_matches_naive_dft_f64 => check_fft_axis;
}

/// Padding with zero bins, or dropping bins past `n/2`, is bit-for-bit the same as passing
/// exactly `n/2 + 1` bins.
#[test]
fn irfft_padding_and_truncation_are_exact() {
    let n = 10;
    let h = n / 2 + 1;
    let full = random::<f64>(7, 2 * h * 2); // two rows of h bins
    let want = irfft_rows(&full, h, n, 1.0);
    let mut longer = Vec::new();
    for row in full.chunks_exact(2 * h) {
        longer.extend_from_slice(row);
        longer.extend(random::<f64>(8, 2 * 4)); // 4 extra bins, ignored
    }
    assert_eq!(irfft_rows(&longer, h + 4, n, 1.0), want);
    let short: Vec<f64> = full
        .chunks_exact(2 * h)
        .flat_map(|r| r[..2 * 3].to_vec())
        .collect();
    let mut padded = Vec::new();
    for row in short.chunks_exact(6) {
        padded.extend_from_slice(row);
        padded.extend([0.0; 6]);
    }
    assert_eq!(
        irfft_rows(&short, 3, n, 1.0),
        irfft_rows(&padded, h, n, 1.0)
    );
}

/// DC and (even n) Nyquist imaginary parts, even NaN/∞, are ignored; for odd n the last
/// bin is an ordinary bin whose imaginary part matters.
#[test]
fn irfft_ignores_dc_and_nyquist_imaginary_parts() {
    for n in [1usize, 2, 8, 9] {
        let h = n / 2 + 1;
        let clean = {
            let mut v = random::<f32>(n as u64, 2 * h);
            v[1] = 0.0;
            if n % 2 == 0 {
                v[2 * h - 1] = 0.0;
            }
            v
        };
        let want = irfft_rows(&clean, h, n, 1.0);
        for junk in [3.5f32, f32::NAN, f32::INFINITY] {
            let mut dirty = clean.clone();
            dirty[1] = junk;
            if n % 2 == 0 {
                dirty[2 * h - 1] = -junk;
            }
            assert_eq!(irfft_rows(&dirty, h, n, 1.0), want, "n={n}, junk={junk}");
        }
        if n % 2 == 1 && h > 1 {
            let mut odd = clean.clone();
            odd[2 * h - 1] += 1.0;
            assert_ne!(
                irfft_rows(&odd, h, n, 1.0),
                want,
                "odd n={n}: last bin is not Nyquist"
            );
        }
    }
}

/// A power-of-two scale is exact, so scaled output equals the scaled unit-scale output.
#[test]
fn scale_multiplies_every_value() {
    let x = random::<f32>(9, 3 * 12);
    let twice = |v: Vec<f32>| v.iter().map(|e| 2.0 * e).collect::<Vec<_>>();
    assert_eq!(rfft_rows(&x, 12, 2.0), twice(rfft_rows(&x, 12, 1.0)));
    assert_eq!(
        irfft_rows(&x, 6, 10, 2.0),
        twice(irfft_rows(&x, 6, 10, 1.0))
    );
    for (outer, inner) in [(9, 1), (3, 3)] {
        let (mut a, mut b) = (x.clone(), x.clone());
        fft_axis(&mut a, outer, 2, inner, true, 2.0);
        fft_axis(&mut b, outer, 2, inner, true, 1.0);
        assert_eq!(a, twice(b));
    }
}

/// The worked examples in the doc comments (which cannot be doctests: crate-private).
#[test]
fn doc_examples_hold() {
    let spec = rfft_rows(&[1.0f32, 2.0, 3.0, 4.0], 4, 1.0);
    assert_eq!(spec, [10.0, 0.0, -2.0, 2.0, -2.0, 0.0]);
    let x = irfft_rows(&[10.0f32, 0.0, -2.0, 2.0, -2.0, 0.0], 3, 4, 0.25);
    assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
    let mut x = [1.0f64, 0.0, 0.0, 0.0];
    fft_axis(&mut x, 1, 2, 1, false, 1.0);
    assert_eq!(x, [1.0, 0.0, 1.0, 0.0]);
}

#[test]
fn empty_inputs_give_empty_outputs() {
    assert!(rfft_rows::<f32>(&[], 8, 1.0).is_empty());
    assert!(irfft_rows::<f32>(&[], 5, 8, 1.0).is_empty());
    assert!(irfft_rows::<f32>(&[], 0, 8, 1.0).is_empty());
    assert!(irfft_rows::<f64>(&[1.0, 2.0], 1, 0, 1.0).is_empty());
    fft_axis::<f64>(&mut [], 0, 8, 3, false, 1.0);
    fft_axis::<f64>(&mut [], 2, 0, 3, false, 1.0);
    fft_axis::<f64>(&mut [], 2, 8, 0, true, 1.0);
}

/// "Dirty scratch": plans and scratch are reused across calls and rows, so a second call
/// (after calls of other lengths) must reproduce the first bit for bit.
#[test]
fn repeated_calls_are_identical() {
    let x = random::<f64>(11, 4 * 30 * 2);
    let run = || {
        let a = rfft_rows(&x, 30, 1.0);
        let b = irfft_rows(&x, 6, 30, 1.0);
        let mut c = x.clone();
        fft_axis(&mut c, 4, 10, 3, false, 1.0);
        (a, b, c)
    };
    let first = run();
    let _ = rfft_rows(&x, 16, 1.0);
    let _ = irfft_rows(&x, 12, 31, 1.0);
    fft_axis(&mut x.clone(), 4, 30, 1, true, 1.0);
    assert_eq!(run(), first);
}

/// `fft_axis` on `[outer, len, inner]` equals `fft_axis` on each line extracted alone (the
/// contiguous `inner == 1` path), bit for bit.
fn assert_matches_line_by_line(outer: usize, len: usize, inner: usize, inverse: bool) {
    let x = random::<f32>((outer * 1000 + len) as u64, outer * len * inner * 2);
    let mut y = x.clone();
    fft_axis(&mut y, outer, len, inner, inverse, 0.5);
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| 2 * ((o * len + j) * inner + i);
            let mut want: Vec<f32> = (0..len).flat_map(|j| [x[at(j)], x[at(j) + 1]]).collect();
            fft_axis(&mut want, 1, len, 1, inverse, 0.5);
            let got: Vec<f32> = (0..len).flat_map(|j| [y[at(j)], y[at(j) + 1]]).collect();
            assert_eq!(got, want, "[{outer}, {len}, {inner}] line ({o}, {i})");
        }
    }
}

/// Inputs over the parallel threshold take the chunked rayon path; it must agree bit for
/// bit with transforming each row (or line) on its own, which the tests above validate.
#[test]
fn parallel_path_matches_row_by_row() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    pool.install(|| {
        let (batch, n) = (45, 1024);
        assert!(batch * n >= PAR_MIN_WORK && partition(batch, n).0);
        let x = random::<f32>(12, batch * n);
        let h = n / 2 + 1;
        let spec = rfft_rows(&x, n, 1.0);
        let rows: Vec<f32> = x
            .chunks_exact(n)
            .flat_map(|r| rfft_rows(r, n, 1.0))
            .collect();
        assert_eq!(spec, rows);
        let back = irfft_rows(&spec, h, n, 1.0);
        let rows: Vec<f32> = spec
            .chunks_exact(2 * h)
            .flat_map(|r| irfft_rows(r, h, n, 1.0))
            .collect();
        assert_eq!(back, rows);

        let mut y = random::<f32>(14, 40 * 1024 * 2);
        let mut rows = y.clone();
        fft_axis(&mut y, 40, 1024, 1, true, 1.0);
        rows.chunks_exact_mut(2048)
            .for_each(|r| fft_axis(r, 1, 1024, 1, true, 1.0));
        assert_eq!(y, rows);

        // Few wide slabs (column tiles per task; 40 = 32 + 8 leaves a partial tile) and
        // many slabs (whole slabs per task), narrow and wide.
        for (outer, len, inner) in [(2, 128, 160), (1, 1000, 40), (128, 64, 5), (16, 64, 40)] {
            assert!(outer * len * inner >= PAR_MIN_WORK);
            assert_matches_line_by_line(outer, len, inner, false);
            assert_matches_line_by_line(outer, len, inner, true);
        }
    });
}
