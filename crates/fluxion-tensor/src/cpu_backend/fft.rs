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

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rayon::prelude::*;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftDirection, FftPlanner};

/// Minimum total work (`rows · row_length` elements) before a call fans out over rayon.
const PAR_MIN_WORK: usize = 32_768;

/// Chunks per rayon thread on the parallel path (more than one, for load balancing).
const CHUNKS_PER_THREAD: usize = 4;

/// Bytes of gathered lines per tile of [`fft_axis`] with `inner > 1`: about half of a 512 KiB
/// L2 cache, so a tile stays cached between its gather, transform and scatter.
const TILE_BYTES: usize = 256 * 1024;

/// Bounds on the lines per tile. Wide tiles make each strided row access a longer contiguous
/// run (fewer pages and cache lines touched per line); 32 `f32` complex values are 256 bytes.
const TILE_LINES: std::ops::RangeInclusive<usize> = 4..=32;

/// Padding (in complex values) between the gathered lines of a tile; see [`LineTile`].
const PAD: usize = 8;

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

/// A new `Vec` of `rows` rows of `row_len` values, each produced by `f(state, r, row)`.
///
/// Rows are handed to `f` zeroed just before use (so the zeroing hits L1, instead of a separate
/// `calloc`-style pass over the whole output) and are processed in chunks as [`partition`]
/// decides; each chunk builds its own `state` (plan buffers) once.
///
/// # Panics
/// If `f` panics (the partially built output is then dropped, never exposed).
fn rows_vec<T: FftFloat, S>(
    rows: usize,
    row_len: usize,
    state: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &mut [T]) + Sync,
) -> Vec<T> {
    let len = rows * row_len;
    let mut out = Vec::with_capacity(len);
    if len == 0 {
        return out;
    }
    let (parallel, rows_per_chunk) = partition(rows, row_len);
    let uninit = &mut out.spare_capacity_mut()[..len];
    for_each_chunk(uninit, rows_per_chunk * row_len, parallel, |ci, chunk| {
        let mut s = state();
        for (k, row) in chunk.chunks_exact_mut(row_len).enumerate() {
            row.iter_mut().for_each(|v| {
                v.write(T::zero());
            });
            // SAFETY: every element of `row` was initialised just above, and `MaybeUninit<T>`
            // is guaranteed to have the size and alignment of `T`, so the slice may be viewed
            // as `&mut [T]` for the rest of this iteration (the view reborrows `row`).
            let row = unsafe { &mut *(row as *mut [MaybeUninit<T>] as *mut [T]) };
            f(&mut s, ci * rows_per_chunk + k, row);
        }
    });
    // SAFETY: the chunks partition `spare_capacity_mut()[..len]`, and each chunk's length is a
    // multiple of `row_len` (it is `rows_per_chunk · row_len`, or the remainder of
    // `len = rows · row_len`), so `chunks_exact_mut` visited, and zeroed, every one of the
    // first `len` elements. Had `f` panicked, the panic would have left `for_each_chunk`
    // before this point and `out` would be dropped with length 0.
    unsafe { out.set_len(len) };
    out
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
/// let spec = rfft_rows(&[1.0f32, 2.0, 3.0, 4.0], 4, 1.0); // shape [1, 3, 2]: 10, -2+2i, -2
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
    let out_row = 2 * (n / 2 + 1);
    let plan = real_forward_plan::<T>(n);
    // realfft uses its input as scratch, so each row is copied into a reusable buffer.
    let state = || (plan.make_input_vec(), plan.make_scratch_vec());
    rows_vec(x.len() / n, out_row, state, |(input, scratch), r, o_row| {
        input.copy_from_slice(&x[r * n..(r + 1) * n]);
        plan.process_with_scratch(input, as_complex_mut(o_row), scratch)
            .expect("rfft_rows: buffer lengths match the plan");
        scale_real(o_row, scale);
    })
}

/// Complex-to-real inverse FFT of each row of an interleaved complex array `[batch, m, 2]`,
/// producing real `[batch, n]`.
///
/// As NumPy's `irfft(a, n) · n · scale`: each row is truncated or zero-padded to `h = n/2 + 1`
/// bins `X_0..X_{h-1}`, completed by Hermitian symmetry `X_{n-k} = X̄_k`, and
/// `x_j = scale · Σ_{k=0}^{n-1} X_k e^{+2πi·jk/n}`
/// `  = scale · (Re X_0 + 2 Σ_{0<k<n/2} Re(X_k e^{2πi·jk/n}) + [n even] (-1)^j Re X_{n/2})`.
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
    let bins = n / 2 + 1;
    let keep = m.min(bins);
    let plan = real_inverse_plan::<T>(n);
    let zero = Complex::new(T::zero(), T::zero());
    let state = || (plan.make_input_vec(), plan.make_scratch_vec());
    rows_vec(
        x.len() / (2 * m),
        n,
        state,
        |(spectrum, scratch), r, o_row| {
            // Refill every row: realfft overwrites its input, so the padding must be restored.
            let x_row = &x[r * 2 * m..(r + 1) * 2 * m];
            spectrum[..keep].copy_from_slice(as_complex(&x_row[..2 * keep]));
            spectrum[keep..].fill(zero);
            // realfft reports (and we must not propagate) non-zero DC/Nyquist imaginary parts.
            spectrum[0].im = T::zero();
            if n % 2 == 0 {
                spectrum[bins - 1].im = T::zero();
            }
            plan.process_with_scratch(spectrum, o_row, scratch)
                .expect("irfft_rows: buffer lengths match the plan and DC/Nyquist are real");
            scale_real(o_row, scale);
        },
    )
}

/// In-place complex FFT along the middle axis of a contiguous interleaved complex array of
/// logical shape `[outer, len, inner]` (memory `[outer, len, inner, 2]`).
///
/// For every line `(o, i)`: `y_{o,k,i} = scale · Σ_{j=0}^{len-1} x_{o,j,i} e^{∓2πi·jk/len}`,
/// with `-` for the forward transform and `+` for `inverse` (unnormalised; pass
/// `scale = 1/len` for NumPy's `ifft`).
///
/// With `inner == 1` the lines are contiguous rows and are transformed where they lie. With
/// `inner > 1`, tiles of up to 32 neighbouring lines are gathered into a small contiguous
/// buffer (padded against cache-set conflicts), transformed there while in cache and scattered
/// back, so `x` is read and written once. Large inputs run tiles in parallel: whole
/// `[len, inner]` slabs per task when there are enough of them, otherwise column tiles of each
/// slab, handed to tasks as lists of disjoint row segments (all safe code).
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
/// place, a tile of `width` neighbouring lines at a time (see [`TILE_BYTES`]).
fn fft_strided_lines<T: FftFloat>(
    data: &mut [Complex<T>],
    outer: usize,
    len: usize,
    inner: usize,
    plan: &dyn Fft<T>,
    s: T,
) {
    let slab_len = len * inner;
    let threads = rayon::current_num_threads();
    let line_bytes = len * std::mem::size_of::<Complex<T>>();
    let width = (TILE_BYTES / line_bytes).clamp(*TILE_LINES.start(), *TILE_LINES.end());
    let wide = threads > 1 && data.len() >= PAR_MIN_WORK && inner > width;
    if !wide || outer >= threads * CHUNKS_PER_THREAD {
        // Enough slabs to share out (or a serial call): whole slabs per task.
        let (parallel, slabs_per_chunk) = partition(outer, slab_len);
        for_each_chunk(data, slabs_per_chunk * slab_len, parallel, |_, chunk| {
            let mut work = LineTile::new(plan, len, width);
            for slab in chunk.chunks_exact_mut(slab_len) {
                for i0 in (0..inner).step_by(width) {
                    let t = width.min(inner - i0);
                    work.run(&mut SlabColumns { slab, inner, i0 }, t, plan, s);
                }
            }
        });
    } else {
        // Few wide slabs: split each into column tiles. A tile is the list of its `len`
        // disjoint row segments `slab[j][i0..i0 + t]`, so tasks own their data outright.
        let tiles_per_slab = inner.div_ceil(width);
        let mut tiles: Vec<Vec<&mut [Complex<T>]>> = Vec::with_capacity(outer * tiles_per_slab);
        for slab in data.chunks_exact_mut(slab_len) {
            let first = tiles.len();
            tiles.extend((0..tiles_per_slab).map(|_| Vec::with_capacity(len)));
            for row in slab.chunks_exact_mut(inner) {
                for (tile, run) in tiles[first..].iter_mut().zip(row.chunks_mut(width)) {
                    tile.push(run);
                }
            }
        }
        let (_, tiles_per_chunk) = partition(tiles.len(), len * width);
        tiles.par_chunks_mut(tiles_per_chunk).for_each(|chunk| {
            let mut work = LineTile::new(plan, len, width);
            for tile in chunk {
                let t = tile[0].len();
                work.run(tile.as_mut_slice(), t, plan, s);
            }
        });
    }
}

/// The `t` lines of a tile, seen row by row: `row(j)` starts with the lines' `t` values at
/// position `j` along the transformed axis (`j < len`).
trait TileRows<C> {
    fn row(&mut self, j: usize) -> &mut [C];
}

/// The lines (columns) starting at `i0` of a contiguous `[len, inner]` slab.
struct SlabColumns<'a, C> {
    slab: &'a mut [C],
    inner: usize,
    i0: usize,
}

impl<C> TileRows<C> for SlabColumns<'_, C> {
    #[inline(always)]
    fn row(&mut self, j: usize) -> &mut [C] {
        &mut self.slab[j * self.inner + self.i0..]
    }
}

/// A column tile handed over as its row segments.
impl<C> TileRows<C> for [&mut [C]] {
    #[inline(always)]
    fn row(&mut self, j: usize) -> &mut [C] {
        self[j]
    }
}

/// Working storage for transforming up to `width` lines of length `len` gathered from a strided
/// array: the line buffer `[t, stride]` and the FFT scratch.
///
/// Lines sit `stride = len + PAD` apart rather than `len` apart: with a power-of-two `len` the
/// `t` values stored (or loaded) for one row `j` would otherwise all map to the same L1 cache
/// set and evict each other; the padding spreads them over `t` sets.
struct LineTile<T> {
    len: usize,
    stride: usize,
    lines: Vec<Complex<T>>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftFloat> LineTile<T> {
    fn new(plan: &dyn Fft<T>, len: usize, width: usize) -> Self {
        let zero = Complex::new(T::zero(), T::zero());
        let stride = len + PAD;
        Self {
            len,
            stride,
            lines: vec![zero; width * stride],
            scratch: vec![zero; plan.get_inplace_scratch_len()],
        }
    }

    /// Gathers the `t` lines of `rows`, transforms them, multiplies by `s`, scatters them back.
    fn run<R: TileRows<Complex<T>> + ?Sized>(
        &mut self,
        rows: &mut R,
        t: usize,
        plan: &dyn Fft<T>,
        s: T,
    ) {
        let (len, stride) = (self.len, self.stride);
        for j in 0..len {
            for (b, &v) in rows.row(j)[..t].iter().enumerate() {
                self.lines[b * stride + j] = v;
            }
        }
        for line in self.lines.chunks_exact_mut(stride).take(t) {
            let line = &mut line[..len];
            plan.process_with_scratch(line, &mut self.scratch);
            scale_complex(line, s);
        }
        for j in 0..len {
            for (b, v) in rows.row(j)[..t].iter_mut().enumerate() {
                *v = self.lines[b * stride + j];
            }
        }
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
    fn assert_close<T: FftFloat>(
        got: &[Complex<f64>],
        want: &[Complex<f64>],
        norm: f64,
        what: &str,
    ) {
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
}
