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
/// Planners cache plans, and RustFFT's reuses sub-transforms (with their twiddle tables)
/// across plans of related lengths.
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
        x.len().is_multiple_of(2),
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
        x.len().is_multiple_of(2),
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
        n > 0 && x.len().is_multiple_of(n),
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
        m > 0 && x.len().is_multiple_of(2 * m),
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
            if n.is_multiple_of(2) {
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
/// `inner > 1`, tiles of up to 32 neighbouring lines (fewer when long: a tile holds about
/// [`TILE_BYTES`]) are gathered into a small buffer (padded against cache-set conflicts),
/// transformed there while in cache and scattered back, so `x` is read and written once.
/// Large inputs run tiles in parallel: whole `[len, inner]` slabs per task when there are
/// enough of them, otherwise column tiles of each slab, handed to tasks as lists of disjoint
/// row segments (all safe code).
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
#[path = "fft_tests.rs"]
mod tests;
