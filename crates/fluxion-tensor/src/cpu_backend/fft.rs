//! Batched CPU FFTs on contiguous slices, with a process-wide plan cache.
//!
//! Conventions (the same as NumPy's `numpy.fft` and PyTorch's `torch.fft`):
//!
//! * forward DFT:  `X_k = Σ_{j=0}^{n-1} x_j · e^{-2πi·jk/n}`;
//! * inverse DFT:  `x_j = Σ_{k=0}^{n-1} X_k · e^{+2πi·jk/n}` (unnormalised: the caller picks the
//!   normalisation through the `scale` argument, e.g. `1/n` for NumPy's `"backward"` norm);
//! * complex values are stored interleaved, `[.., 2]` with `(re, im)` in the trailing axis, which
//!   is the memory layout of [`Complex<T>`] (`#[repr(C)] struct { re: T, im: T }`), so slices are
//!   reinterpreted in place rather than copied.
//!
//! The transforms themselves come from RustFFT (complex, mixed-radix/Bluestein/Rader with AVX and
//! SSE kernels chosen at run time) and realfft (real ↔ half-complex via one complex FFT of length
//! `n/2` plus an `O(n)` twiddle pass). Plans are built once per `(type, length, direction)` by a
//! planner held in a process-wide `Mutex`; a call takes the plan's `Arc` under the lock, releases
//! the lock and then runs, so concurrent callers only serialise on the (cheap) cache look-up.
//!
//! Large batches (`rows · row_length ≥` [`PAR_MIN_WORK`]) are split into a few chunks of whole
//! rows per rayon thread; each chunk allocates its scratch buffers once. Small inputs run on the
//! calling thread. The arithmetic done for a row does not depend on the chunking, so results are
//! bit-for-bit identical whether or not the parallel path is taken.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftDirection, FftPlanner};

/// Minimum total work (`rows · row_length` elements) before a call fans out over rayon.
const PAR_MIN_WORK: usize = 32_768;

/// Chunks per rayon thread on the parallel path (more than one, for load balancing).
const CHUNKS_PER_THREAD: usize = 4;

/// Lines gathered and transformed together by [`fft_axis`] when `inner > 1`; 16 lines keep the
/// transpose's destination cache lines resident in L1.
const TILE: usize = 16;

/// Float types the FFT engine supports (`f32`, `f64`); gives access to the per-type plan cache.
///
/// Each implementation owns two process-wide planners (real and complex), created on first use.
/// Planners cache plans and share twiddle tables between plans of related lengths.
pub(crate) trait FftFloat:
    rustfft::FftNum + realfft::num_traits::Float + Send + Sync
{
    /// The process-wide real-to-complex / complex-to-real planner for this type.
    fn real_planner() -> &'static Mutex<RealFftPlanner<Self>>;
    /// The process-wide complex planner for this type.
    fn complex_planner() -> &'static Mutex<FftPlanner<Self>>;
}

macro_rules! impl_fft_float {
    ($t:ty) => {
        impl FftFloat for $t {
            fn real_planner() -> &'static Mutex<RealFftPlanner<Self>> {
                static PLANNER: OnceLock<Mutex<RealFftPlanner<$t>>> = OnceLock::new();
                PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()))
            }
            fn complex_planner() -> &'static Mutex<FftPlanner<Self>> {
                static PLANNER: OnceLock<Mutex<FftPlanner<$t>>> = OnceLock::new();
                PLANNER.get_or_init(|| Mutex::new(FftPlanner::new()))
            }
        }
    };
}
impl_fft_float!(f32);
impl_fft_float!(f64);

/// Locks a planner. A poisoned lock is recovered: a planner is only a cache, and a panic while
/// it was held cannot leave it in a state that yields a wrong plan.
fn lock<P>(m: &Mutex<P>) -> MutexGuard<'_, P> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cached forward real plan of length `n` (lock held only for the look-up).
fn real_forward_plan<T: FftFloat>(n: usize) -> Arc<dyn RealToComplex<T>> {
    lock(T::real_planner()).plan_fft_forward(n)
}

/// The cached inverse real plan of length `n` (lock held only for the look-up).
fn real_inverse_plan<T: FftFloat>(n: usize) -> Arc<dyn ComplexToReal<T>> {
    lock(T::real_planner()).plan_fft_inverse(n)
}

/// The cached complex plan of length `n` in `direction` (lock held only for the look-up).
fn complex_plan<T: FftFloat>(n: usize, direction: FftDirection) -> Arc<dyn Fft<T>> {
    lock(T::complex_planner()).plan_fft(n, direction)
}

/// Views an interleaved `[.., 2]` real slice as complex values.
///
/// # Panics
/// If `x.len()` is odd (internal invariant: callers pass interleaved complex data).
fn as_complex<T>(x: &[T]) -> &[Complex<T>] {
    assert!(
        x.len() % 2 == 0,
        "interleaved complex slice of odd length {}",
        x.len()
    );
    // SAFETY: `Complex<T>` is `#[repr(C)] { re: T, im: T }`, so it has the size of `[T; 2]` and
    // the alignment of `T`. The pointer comes from a valid `&[T]` of `2·(len/2)` elements, so it
    // is aligned and covers exactly `len/2` complex values; the lifetime is tied to `x`.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<Complex<T>>(), x.len() / 2) }
}

/// Views an interleaved `[.., 2]` real slice mutably as complex values.
///
/// # Panics
/// If `x.len()` is odd (internal invariant: callers pass interleaved complex data).
fn as_complex_mut<T>(x: &mut [T]) -> &mut [Complex<T>] {
    assert!(
        x.len() % 2 == 0,
        "interleaved complex slice of odd length {}",
        x.len()
    );
    // SAFETY: as in `as_complex`; the exclusive borrow of `x` is moved into the returned slice,
    // so no other reference can alias it while it lives.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<Complex<T>>(), x.len() / 2) }
}

/// Multiplies every value by `s` (skipped when `s == 1`, which is exact anyway).
fn scale_real<T: FftFloat>(v: &mut [T], s: T) {
    if s != T::one() {
        v.iter_mut().for_each(|e| *e = *e * s);
    }
}

/// Multiplies the real and imaginary part of every value by `s` (skipped when `s == 1`).
fn scale_complex<T: FftFloat>(v: &mut [Complex<T>], s: T) {
    if s != T::one() {
        v.iter_mut()
            .for_each(|c| *c = Complex::new(c.re * s, c.im * s));
    }
}

/// Splits `rows` rows of `row_work` elements each into chunks: `(parallel, rows_per_chunk)`.
fn partition(rows: usize, row_work: usize) -> (bool, usize) {
    let threads = rayon::current_num_threads();
    let parallel = threads > 1 && rows > 1 && rows.saturating_mul(row_work) >= PAR_MIN_WORK;
    if parallel {
        (true, rows.div_ceil(threads * CHUNKS_PER_THREAD).max(1))
    } else {
        (false, rows.max(1))
    }
}

/// Calls `f(chunk_index, chunk)` on consecutive chunks of `chunk_len` elements of `dst`
/// (the last may be shorter), on the rayon pool when `parallel`, else on this thread.
fn for_each_chunk<B: Send>(
    dst: &mut [B],
    chunk_len: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [B]) + Sync,
) {
    if parallel {
        dst.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    } else {
        dst.chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// Real-to-complex FFT of each row of a contiguous real array `[batch, n]`.
///
/// For each row `x`, bin `k ∈ 0..=n/2` of the result is
/// `X_k = scale · Σ_{j=0}^{n-1} x_j e^{-2πi·jk/n}` (the other bins follow from `X_{n-k} = X̄_k`).
/// Returns interleaved complex `[batch, n/2 + 1, 2]` (NumPy's `rfft(x, axis=-1) * scale`).
/// `batch = x.len() / n`; an empty `x` gives an empty result. Odd `n` has no Nyquist bin.
///
/// ```ignore
/// // crate-private, so not a doctest; see `tests::rfft_matches_naive_dft_*`.
/// let spec = rfft_rows(&[1.0f32, 2.0, 3.0, 4.0], 4, 1.0); // [1, 3, 2] = [10, -2+2i, -2]
/// assert_eq!(spec, [10.0, 0.0, -2.0, 2.0, -2.0, 0.0]);
/// ```
///
/// # Panics
/// If `x` is non-empty and `n == 0` or `x.len()` is not a multiple of `n` (the caller's shape
/// bookkeeping is wrong — an internal invariant, never a property of the data).
pub(crate) fn rfft_rows<T: FftFloat>(x: &[T], n: usize, scale: T) -> Vec<T> {
    if x.is_empty() {
        return Vec::new();
    }
    assert!(
        n > 0 && x.len() % n == 0,
        "rfft_rows: len {} is not [batch, {n}]",
        x.len()
    );
    let batch = x.len() / n;
    let out_row = 2 * (n / 2 + 1);
    let mut out = vec![T::zero(); batch * out_row];
    let plan = real_forward_plan::<T>(n);
    let (parallel, rows_per_chunk) = partition(batch, n);
    for_each_chunk(
        &mut out,
        rows_per_chunk * out_row,
        parallel,
        |ci, out_chunk| {
            let first = ci * rows_per_chunk;
            let rows = out_chunk.len() / out_row;
            let x_chunk = &x[first * n..(first + rows) * n];
            // realfft uses its input as scratch, so each row is copied into a reusable buffer.
            let mut input = plan.make_input_vec();
            let mut scratch = plan.make_scratch_vec();
            for (x_row, o_row) in x_chunk
                .chunks_exact(n)
                .zip(out_chunk.chunks_exact_mut(out_row))
            {
                input.copy_from_slice(x_row);
                plan.process_with_scratch(&mut input, as_complex_mut(o_row), &mut scratch)
                    .expect("rfft_rows: buffer lengths match the plan");
                scale_real(o_row, scale);
            }
        },
    );
    out
}

/// Complex-to-real inverse FFT of each row of an interleaved complex array `[batch, m, 2]`,
/// producing real `[batch, n]`.
///
/// As NumPy's `irfft(a, n) · n · scale`: each row is truncated or zero-padded to `h = n/2 + 1`
/// bins `X_0..X_{h-1}`, completed by Hermitian symmetry `X_{n-k} = X̄_k`, and
/// `x_j = scale · Σ_{k=0}^{n-1} X_k e^{+2πi·jk/n}`
/// `  = scale · (X_0 + 2 Σ_{0<k<n/2} Re(X_k e^{2πi·jk/n}) + [n even] (-1)^j X_{n/2})`.
/// The imaginary parts of the DC bin and (for even `n`) the Nyquist bin are ignored, as any
/// real signal's spectrum has them zero. Unnormalised: pass `scale = 1/n` for the exact inverse
/// of [`rfft_rows`].
///
/// `batch = x.len() / (2m)`. An empty `x` (so `batch == 0`, or `m == 0`) returns an empty
/// `Vec`, as does `n == 0`. **Note:** with `m == 0` the row count cannot be recovered from
/// `x`, so a caller with `batch > 0` rows of zero bins must build its `[batch, n]` zeros itself.
///
/// ```ignore
/// // crate-private, so not a doctest; see `tests::irfft_matches_naive_inverse_*`.
/// let x = irfft_rows(&[10.0f32, 0.0, -2.0, 2.0, -2.0, 0.0], 3, 4, 0.25);
/// assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
/// ```
///
/// # Panics
/// If `x` is non-empty and `m == 0` or `x.len()` is not a multiple of `2m` (internal
/// shape-bookkeeping invariant). Never on the values: NaN or non-zero DC/Nyquist imaginary
/// parts are accepted.
pub(crate) fn irfft_rows<T: FftFloat>(x: &[T], m: usize, n: usize, scale: T) -> Vec<T> {
    if x.is_empty() || n == 0 {
        return Vec::new();
    }
    assert!(
        m > 0 && x.len() % (2 * m) == 0,
        "irfft_rows: len {} is not [batch, {m}, 2]",
        x.len()
    );
    let batch = x.len() / (2 * m);
    let bins = n / 2 + 1;
    let keep = m.min(bins);
    let mut out = vec![T::zero(); batch * n];
    let plan = real_inverse_plan::<T>(n);
    let (parallel, rows_per_chunk) = partition(batch, n);
    for_each_chunk(&mut out, rows_per_chunk * n, parallel, |ci, out_chunk| {
        let first = ci * rows_per_chunk;
        let rows = out_chunk.len() / n;
        let x_chunk = &x[first * 2 * m..(first + rows) * 2 * m];
        let mut spectrum = plan.make_input_vec();
        let mut scratch = plan.make_scratch_vec();
        let zero = Complex::new(T::zero(), T::zero());
        for (x_row, o_row) in x_chunk
            .chunks_exact(2 * m)
            .zip(out_chunk.chunks_exact_mut(n))
        {
            // Refill every row: realfft overwrites its input, so the padding must be restored.
            spectrum[..keep].copy_from_slice(as_complex(&x_row[..2 * keep]));
            spectrum[keep..].fill(zero);
            // realfft reports (and we must not propagate) non-zero DC/Nyquist imaginary parts.
            spectrum[0].im = T::zero();
            if n % 2 == 0 {
                spectrum[bins - 1].im = T::zero();
            }
            plan.process_with_scratch(&mut spectrum, o_row, &mut scratch)
                .expect("irfft_rows: buffer lengths match the plan and DC/Nyquist are real");
            scale_real(o_row, scale);
        }
    });
    out
}

/// In-place complex FFT along the middle axis of a contiguous interleaved complex array of
/// logical shape `[outer, len, inner]` (memory `[outer, len, inner, 2]`).
///
/// For every line `(o, i)`: `y_{o,k,i} = scale · Σ_{j=0}^{len-1} x_{o,j,i} e^{∓2πi·jk/len}`,
/// with `-` for the forward transform and `+` for `inverse` (unnormalised; pass
/// `scale = 1/len` for NumPy's `ifft`).
///
/// With `inner == 1` the lines are contiguous rows and are transformed where they lie. With
/// `inner > 1` each `[len, inner]` slab is transposed (in tiles of [`TILE`] lines) into a
/// scratch array of the same size as `x`, transformed there while the tile is in cache, and
/// transposed back.
///
/// ```ignore
/// // crate-private, so not a doctest; see `tests::fft_axis_matches_naive_dft_*`.
/// let mut x = [1.0f64, 0.0, 0.0, 0.0]; // [1, 2, 1] complex: the impulse (1, 0)
/// fft_axis(&mut x, 1, 2, 1, false, 1.0);
/// assert_eq!(x, [1.0, 0.0, 1.0, 0.0]);
/// ```
///
/// # Panics
/// If `x.len() != outer · len · inner · 2` (internal shape-bookkeeping invariant).
pub(crate) fn fft_axis<T: FftFloat>(
    x: &mut [T],
    outer: usize,
    len: usize,
    inner: usize,
    inverse: bool,
    scale: T,
) {
    let expected = outer
        .checked_mul(len)
        .and_then(|v| v.checked_mul(inner))
        .and_then(|v| v.checked_mul(2));
    assert_eq!(
        Some(x.len()),
        expected,
        "fft_axis: len is not [{outer}, {len}, {inner}, 2]"
    );
    if x.is_empty() {
        return;
    }
    if len == 1 {
        // A length-1 DFT is the identity.
        scale_real(x, scale);
        return;
    }
    let direction = if inverse {
        FftDirection::Inverse
    } else {
        FftDirection::Forward
    };
    let plan = complex_plan::<T>(len, direction);
    let data = as_complex_mut(x);
    if inner == 1 {
        fft_contiguous_rows(data, len, &*plan, scale);
    } else {
        fft_strided_lines(data, outer, len, inner, &*plan, scale);
    }
}

/// Transforms the contiguous rows of `data` (`[rows, len]` complex) in place.
fn fft_contiguous_rows<T: FftFloat>(data: &mut [Complex<T>], len: usize, plan: &dyn Fft<T>, s: T) {
    let (parallel, rows_per_chunk) = partition(data.len() / len, len);
    for_each_chunk(data, rows_per_chunk * len, parallel, |_, chunk| {
        let mut scratch = vec![Complex::new(T::zero(), T::zero()); plan.get_inplace_scratch_len()];
        for row in chunk.chunks_exact_mut(len) {
            plan.process_with_scratch(row, &mut scratch);
            scale_complex(row, s);
        }
    });
}

/// Transforms the lines `(o, ·, i)` of `data` (`[outer, len, inner]` complex, `inner > 1`) in
/// place, through a transposed `[outer, inner, len]` buffer.
fn fft_strided_lines<T: FftFloat>(
    data: &mut [Complex<T>],
    outer: usize,
    len: usize,
    inner: usize,
    plan: &dyn Fft<T>,
    s: T,
) {
    let zero = Complex::new(T::zero(), T::zero());
    let mut lines = vec![zero; data.len()];
    // Phase 1: gather tiles of lines, transform them while they are hot.
    let src: &[Complex<T>] = data;
    let (parallel, lines_per_chunk) = partition(outer * inner, len);
    for_each_chunk(&mut lines, lines_per_chunk * len, parallel, |ci, chunk| {
        let mut scratch = vec![zero; plan.get_inplace_scratch_len()];
        let first = ci * lines_per_chunk;
        for (ti, tile) in chunk.chunks_mut(TILE * len).enumerate() {
            transpose_rows_into(src, inner, len, first + ti * TILE, tile);
            plan.process_with_scratch(tile, &mut scratch);
            scale_complex(tile, s);
        }
    });
    // Phase 2: scatter back, parallel over rows `(o, j)` of the original layout.
    let (parallel, rows_per_chunk) = partition(outer * len, inner);
    for_each_chunk(data, rows_per_chunk * inner, parallel, |ci, chunk| {
        transpose_rows_into(&lines, len, inner, ci * rows_per_chunk, chunk);
    });
}

/// Fills rows `q0..q0 + dst.len()/cols` of a `[outer, rows, cols]` array from the slab-wise
/// transpose `src` (`[outer, cols, rows]`): `dst[o][r][c] = src[o][c][r]`.
///
/// Works in tiles of [`TILE`] destination rows within one slab, so each source read is a
/// contiguous run of up to `TILE` values and the `TILE` destination rows stay in cache.
fn transpose_rows_into<C: Copy>(src: &[C], rows: usize, cols: usize, q0: usize, dst: &mut [C]) {
    let nrows = dst.len() / cols;
    let mut q = 0;
    while q < nrows {
        let (o, r) = ((q0 + q) / rows, (q0 + q) % rows);
        let t = TILE.min(rows - r).min(nrows - q);
        let slab = &src[o * rows * cols..(o + 1) * rows * cols];
        let tile = &mut dst[q * cols..(q + t) * cols];
        for c in 0..cols {
            let run = &slab[c * rows + r..c * rows + r + t];
            for (b, &v) in run.iter().enumerate() {
                tile[b * cols + c] = v;
            }
        }
        q += t;
    }
}

#[cfg(test)]
mod tests {
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

    fn eps<T: FftFloat>() -> f64 {
        T::epsilon().to_f64().unwrap()
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

    /// Asserts `max |got - want| ≤ C·eps·log2(n+1)·norm + eps`.
    fn assert_close(
        got: &[Complex<f64>],
        want: &[Complex<f64>],
        n: usize,
        norm: f64,
        eps: f64,
        what: &str,
    ) {
        assert_eq!(got.len(), want.len(), "{what}: length");
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
        if n % 2 == 0 {
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
                let want = &naive_dft(&xr, -1.0)[..h];
                let got = interleaved(&y[b * 2 * h..(b + 1) * 2 * h]);
                assert_close(&got, want, n, norm(&xr), eps::<T>(), "rfft_rows");
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
                assert_close(&got, &want, n, scale * norm(&spec), eps::<T>(), what);
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
                assert_close(
                    &real_to_complex(br),
                    &xr,
                    n,
                    norm(&xr),
                    eps::<T>(),
                    "round trip",
                );
            }
        }
    }

    fn check_fft_axis<T: FftFloat>() {
        let outer = 2;
        for (s, &len) in LENGTHS.iter().enumerate() {
            for inner in [1, 3] {
                for inverse in [false, true] {
                    let x =
                        random::<T>(400 + s as u64 + 10 * inner as u64, outer * len * inner * 2);
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
                            assert_close(&got, &want, len, scale * norm(&line), eps::<T>(), &what);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rfft_matches_naive_dft_f32() {
        check_rfft::<f32>();
    }
    #[test]
    fn rfft_matches_naive_dft_f64() {
        check_rfft::<f64>();
    }
    #[test]
    fn irfft_matches_naive_inverse_f32() {
        check_irfft::<f32>(|n| n / 2 + 1, "irfft_rows");
    }
    #[test]
    fn irfft_matches_naive_inverse_f64() {
        check_irfft::<f64>(|n| n / 2 + 1, "irfft_rows");
    }
    #[test]
    fn irfft_truncates_and_zero_pads_f32() {
        check_irfft::<f32>(|n| n / 4 + 1, "irfft_rows(m < n/2+1)");
        check_irfft::<f32>(|n| n + 5, "irfft_rows(m > n/2+1)");
    }
    #[test]
    fn irfft_truncates_and_zero_pads_f64() {
        check_irfft::<f64>(|n| n / 4 + 1, "irfft_rows(m < n/2+1)");
        check_irfft::<f64>(|n| n + 5, "irfft_rows(m > n/2+1)");
    }
    #[test]
    fn round_trip_is_identity_f32() {
        check_round_trip::<f32>();
    }
    #[test]
    fn round_trip_is_identity_f64() {
        check_round_trip::<f64>();
    }
    #[test]
    fn fft_axis_matches_naive_dft_f32() {
        check_fft_axis::<f32>();
    }
    #[test]
    fn fft_axis_matches_naive_dft_f64() {
        check_fft_axis::<f64>();
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

            let (outer, len, inner) = (2, 128, 160);
            let x = random::<f32>(13, outer * len * inner * 2);
            let mut y = x.clone();
            fft_axis(&mut y, outer, len, inner, false, 0.5);
            for o in 0..outer {
                for i in 0..inner {
                    let at = |j: usize| 2 * ((o * len + j) * inner + i);
                    let mut line: Vec<f32> =
                        (0..len).flat_map(|j| [x[at(j)], x[at(j) + 1]]).collect();
                    fft_axis(&mut line, 1, len, 1, false, 0.5);
                    let got: Vec<f32> = (0..len).flat_map(|j| [y[at(j)], y[at(j) + 1]]).collect();
                    assert_eq!(got, line, "line ({o}, {i})");
                }
            }
            let mut y = random::<f32>(14, 40 * 1024 * 2);
            let mut rows = y.clone();
            fft_axis(&mut y, 40, 1024, 1, true, 1.0);
            rows.chunks_exact_mut(2048)
                .for_each(|r| fft_axis(r, 1, 1024, 1, true, 1.0));
            assert_eq!(y, rows);
        });
    }
}
