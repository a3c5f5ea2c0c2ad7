//! Parity of the CUDA kernels with the CPU backend, without a GPU: each kernel runs in
//! fluxion-kernels' host emulator (`fluxion_kernels::host`, feature `host-emulation`), with its
//! arguments packed exactly as this backend packs them (the same `launch::grid`, `info_array`,
//! `info_rank`, kernel names and scalar parameters; each packing cites the backend code it
//! mirrors), and its output is compared with the CPU backend's result for the same op and layout.
//! Device pointers are plain host pointers here and `info` arrays are host vectors.
//!
//! Every launch runs twice: with the backend's configuration (`launch::grid(n)`, one thread per
//! element) and over 3 blocks of 32 threads, so that each thread strides over many elements.
//! Buffers are 16-byte aligned (as device allocations are) and followed by a guard band that must
//! survive the kernel; outputs start poisoned, so an element a kernel skips shows up as a mismatch.
//!
//! Exact operations (moves, casts, fills, `+ - * /`, `sqrt`, comparisons, selections, the
//! Philox uniforms) must agree bit for bit; a computed NaN may differ in payload (the GPU's
//! canonical NaN is not x86's), so where a kernel computes rather than moves, NaN matches NaN.
//! Transcendental ops get the per-op bounds of [`unary_tolerance`]. The emulator takes those
//! functions from glibc, not libdevice, so these tests check the kernels' logic, not CUDA's
//! last-ulp rounding. `reduce.cu`'s threads cooperate; the emulator runs them as fibers with
//! barriers for `__syncthreads` and the warp shuffles. `adam.cu` is compared with the CPU's fused
//! update (`adam.rs`). Not covered: the f32 `atomicAdd` subnormal flushing and arbitrary summation
//! order of `scatter_add` on real hardware.
//!
//! Run: `cargo test -p fluxion-tensor --features host-emulation --lib emulated` (needs a C++17
//! compiler; without one the tests print a skip notice, or fail with
//! `FLUXION_REQUIRE_EMULATION=1`).

use std::ffi::c_void;

use fluxion_kernels::host::{require_or_skip, HostModule, KernelArgs};
use fluxion_kernels::{kernel_args, Id};
use half::{bf16, f16};

use super::launch::{grid, info_array, info_rank, reduce_config};
use super::reduce::plan;
use crate::backend::BackendStorage;
use crate::{BinaryOp, CmpOp, CpuStorage, DType, Layout, ReduceOp, Shape, UnaryOp, WithDType};

mod adam;
mod cast;
mod cmatmul;
mod elementwise;
mod index;
mod philox;
mod reduce;

// ---------------------------------------------------------------------------------------------
// Buffers

/// 16 bytes, aligned as device allocations are (cudaMalloc aligns to 256), so that the f32
/// kernels' float4 path is taken exactly where it would be on a device.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Chunk([u8; 16]);

/// Bytes after the elements that a kernel must leave alone.
const GUARD: usize = 64;
/// Fill byte of fresh buffers and guard bands.
const POISON: u8 = 0xA5;

/// Host memory standing in for a device buffer of `len` elements of `dtype`.
struct DevBuf {
    mem: Vec<Chunk>,
    dtype: DType,
    len: usize,
}

impl DevBuf {
    /// `len` poisoned elements (what `launch::alloc` hands out: uninitialised memory).
    fn poisoned(len: usize, dtype: DType) -> Self {
        let bytes = len * dtype.size_in_bytes() + GUARD;
        DevBuf {
            mem: vec![Chunk([POISON; 16]); bytes.div_ceil(16)],
            dtype,
            len,
        }
    }

    /// A copy of `s`'s elements, as `copy::upload` makes one (f16/bf16 as raw bits).
    fn upload(s: &CpuStorage) -> Self {
        let raw = raw_bytes(s);
        let mut b = DevBuf::poisoned(s.len(), s.dtype());
        b.bytes_mut()[..raw.len()].copy_from_slice(&raw);
        b
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `mem` is `mem.len() * 16` initialised plain bytes.
        unsafe { std::slice::from_raw_parts(self.mem.as_ptr().cast::<u8>(), self.mem.len() * 16) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, borrowed mutably.
        unsafe {
            std::slice::from_raw_parts_mut(self.mem.as_mut_ptr().cast::<u8>(), self.mem.len() * 16)
        }
    }

    /// The "device pointer": the first element's address.
    fn ptr(&mut self) -> *mut c_void {
        self.mem.as_mut_ptr().cast()
    }

    /// The elements, after checking that nothing wrote into the guard band.
    fn download(&self) -> CpuStorage {
        let n = self.len * self.dtype.size_in_bytes();
        let bytes = self.bytes();
        if let Some(p) = bytes[n..n + GUARD].iter().position(|&b| b != POISON) {
            panic!(
                "a kernel wrote {} bytes past the end of a {}-element {} buffer",
                p + 1,
                self.len,
                self.dtype
            );
        }
        from_raw(&bytes[..n], self.dtype)
    }
}

/// The elements of `s` as native-endian bytes (f16/bf16 as their bits).
fn raw_bytes(s: &CpuStorage) -> Vec<u8> {
    match s {
        CpuStorage::F16(v) => v.iter().flat_map(|x| x.to_bits().to_ne_bytes()).collect(),
        CpuStorage::BF16(v) => v.iter().flat_map(|x| x.to_bits().to_ne_bytes()).collect(),
        CpuStorage::F32(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        CpuStorage::F64(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        CpuStorage::U8(v) => v.clone(),
        CpuStorage::I64(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
    }
}

/// The inverse of [`raw_bytes`].
fn from_raw(b: &[u8], dtype: DType) -> CpuStorage {
    fn words<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        b.chunks_exact(N)
            .map(|c| c.try_into().expect("exact chunk"))
    }
    match dtype {
        DType::F16 => CpuStorage::F16(
            words(b)
                .map(|w| f16::from_bits(u16::from_ne_bytes(w)))
                .collect(),
        ),
        DType::BF16 => CpuStorage::BF16(
            words(b)
                .map(|w| bf16::from_bits(u16::from_ne_bytes(w)))
                .collect(),
        ),
        DType::F32 => CpuStorage::F32(words(b).map(f32::from_ne_bytes).collect()),
        DType::F64 => CpuStorage::F64(words(b).map(f64::from_ne_bytes).collect()),
        DType::U8 => CpuStorage::U8(b.to_vec()),
        DType::I64 => CpuStorage::I64(words(b).map(i64::from_ne_bytes).collect()),
    }
}

/// The `info` argument: the array's address, or null on the contiguous path (the backend passes
/// `&NULL_PTR`, a zero u64, in that case).
fn info_ptr(info: &Option<Vec<usize>>) -> *const usize {
    info.as_ref().map_or(std::ptr::null(), |v| v.as_ptr())
}

// ---------------------------------------------------------------------------------------------
// Launching

/// The backend's configuration for n elements, then a small grid-stride one.
fn configs(n: usize) -> [(u32, u32); 2] {
    let c = grid(n);
    [(c.grid_dim.0, c.block_dim.0), (3, 32)]
}

/// Launches `kernel` of `m` over `(blocks, threads)`, panicking with the emulator's message.
///
/// # Safety
/// The pointers among `args` must be valid for the kernel's accesses (its ABI in the `.cu`).
unsafe fn run(m: &HostModule, kernel: &str, (blocks, threads): (u32, u32), args: &KernelArgs<'_>) {
    // SAFETY: forwarded to the caller.
    unsafe { m.launch_args(kernel, blocks, threads, args) }.unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// Comparing

/// Element `i` of `s` as (raw bits, value).
fn elem(s: &CpuStorage, i: usize) -> (u64, f64) {
    match s {
        CpuStorage::F16(v) => (u64::from(v[i].to_bits()), v[i].to_f64()),
        CpuStorage::BF16(v) => (u64::from(v[i].to_bits()), v[i].to_f64()),
        CpuStorage::F32(v) => (u64::from(v[i].to_bits()), f64::from(v[i])),
        CpuStorage::F64(v) => (v[i].to_bits(), v[i]),
        CpuStorage::U8(v) => (u64::from(v[i]), f64::from(v[i])),
        CpuStorage::I64(v) => (v[i] as u64, v[i] as f64),
    }
}

/// How NaN results compare.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Nan {
    /// Bit for bit, payload and sign included (the kernel moves or converts bits).
    Bits,
    /// Any NaN matches any NaN (the kernel computes the NaN).
    Any,
}

/// Panics listing the first mismatches unless `got` and `want` agree bit for bit (NaNs as `nan`
/// says), or within `tol(i, want_i)` where that is `Some`.
fn check(
    what: &str,
    got: &CpuStorage,
    want: &CpuStorage,
    nan: Nan,
    tol: Option<&dyn Fn(usize, f64) -> f64>,
) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut bad = Vec::new();
    for i in 0..want.len() {
        let ((gb, g), (wb, w)) = (elem(got, i), elem(want, i));
        let ok = gb == wb
            || (nan == Nan::Any && g.is_nan() && w.is_nan())
            || tol.is_some_and(|t| !g.is_nan() && !w.is_nan() && (g - w).abs() <= t(i, w));
        if !ok {
            bad.push(format!("[{i}] got {g:e} ({gb:#x}), want {w:e} ({wb:#x})"));
        }
    }
    assert!(
        bad.is_empty(),
        "{what}: {} of {} elements differ:\n{}",
        bad.len(),
        want.len(),
        bad[..bad.len().min(12)].join("\n")
    );
}

/// The spacing of `dtype`'s values at |v| (the gap to the next larger magnitude).
fn ulp(dtype: DType, v: f64) -> f64 {
    let a = v.abs();
    match dtype {
        DType::F16 => {
            let x = f16::from_f64(a);
            f16::from_bits(x.to_bits() + 1).to_f64() - x.to_f64()
        }
        DType::BF16 => {
            let x = bf16::from_f64(a);
            bf16::from_bits(x.to_bits() + 1).to_f64() - x.to_f64()
        }
        DType::F32 => {
            let x = a as f32;
            f64::from(f32::from_bits(x.to_bits() + 1)) - f64::from(x)
        }
        _ => f64::from_bits(a.to_bits() + 1) - a,
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// SplitMix64: a small deterministic generator for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values every float op should see: signed zeros, subnormals of each float type, infinities,
/// NaN, thresholds of the ops (softplus' 20, exp's overflow), and ordinary values.
const SPECIAL: [f64; 26] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e-40,   // f32 subnormal
    -3e-39,  // f32 subnormal
    6e-8,    // f16 subnormal
    -1e-310, // f64 subnormal
    5e-324,  // smallest f64 subnormal
    20.0,    // softplus threshold
    20.5,
    -20.0,
    88.8,    // exp overflows f32
    -104.0,  // exp underflows f32
    710.0,   // exp overflows f64
    65504.0, // f16 max
    3e38,
    1e300,
    1e-3,
    -7.25,
    3.0,
];

/// `len` elements of `dtype`: every fifth one a special value, the others uniform in [-10, 10]
/// (and one in eight of those in [-100, 100]).
fn sample(dtype: DType, len: usize, seed: u64) -> CpuStorage {
    let mut rng = Rng(seed);
    let v: Vec<f64> = (0..len)
        .map(|i| {
            if i % 5 == 0 {
                SPECIAL[(i / 5) % SPECIAL.len()]
            } else if rng.below(8) == 0 {
                rng.uniform(-100.0, 100.0)
            } else {
                rng.uniform(-10.0, 10.0)
            }
        })
        .collect();
    CpuStorage::from_f64s(&v, dtype)
}

/// `len` elements drawn from a few values, so that comparisons meet equal operands (and ±0,
/// NaN, ±inf) often. For u8 and i64 the values convert with the CPU's saturation.
fn sample_discrete(dtype: DType, len: usize, seed: u64) -> CpuStorage {
    const POOL: [f64; 10] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        255.0,
        7.0,
    ];
    let mut rng = Rng(seed);
    let v: Vec<f64> = (0..len).map(|_| POOL[rng.below(POOL.len())]).collect();
    CpuStorage::from_f64s(&v, dtype)
}

/// Logical length of the 1-d cases: not a multiple of 4, so the float4 path's scalar tail runs.
const N: usize = 1027;

/// Input layouts of one operand: the contiguous paths (float4-aligned with and without an
/// offset, and misaligned) and the strided ones (transposed, broadcast, permuted and narrowed).
fn layouts() -> Vec<(&'static str, Layout)> {
    let n = N;
    vec![
        ("contiguous", Layout::contiguous([n])),
        (
            "offset 4 (16-byte aligned)",
            Layout::contiguous([n + 4]).narrow(0, 4, n).unwrap(),
        ),
        (
            "offset 1 (misaligned)",
            Layout::contiguous([n + 1]).narrow(0, 1, n).unwrap(),
        ),
        ("transposed", Layout::contiguous([19, 23]).transpose(0, 1)),
        (
            "broadcast",
            Layout::contiguous([1, 23])
                .broadcast_as(&Shape::from([19, 23]))
                .unwrap(),
        ),
        (
            "permuted and narrowed",
            Layout::contiguous([5, 7, 9])
                .permute(&[2, 0, 1])
                .unwrap()
                .narrow(1, 1, 3)
                .unwrap(),
        ),
    ]
}

/// Layout pairs of one logical shape for binary ops, comparisons and `where`.
fn layout_pairs() -> Vec<(&'static str, Layout, Layout)> {
    let n = N;
    let (r, c) = (19, 23);
    let rc = Shape::from([r, c]);
    vec![
        (
            "contiguous",
            Layout::contiguous([n]),
            Layout::contiguous([n]),
        ),
        (
            "aligned offsets",
            Layout::contiguous([n + 4]).narrow(0, 4, n).unwrap(),
            Layout::contiguous([n + 8]).narrow(0, 8, n).unwrap(),
        ),
        (
            "misaligned offset",
            Layout::contiguous([n]),
            Layout::contiguous([n + 3]).narrow(0, 3, n).unwrap(),
        ),
        (
            "transposed lhs",
            Layout::contiguous([c, r]).transpose(0, 1),
            Layout::contiguous([r, c]),
        ),
        (
            "broadcast rhs",
            Layout::contiguous([r, c]),
            Layout::contiguous([1, c]).broadcast_as(&rc).unwrap(),
        ),
        (
            "broadcast both, offset",
            Layout::contiguous([r + 1, 1])
                .narrow(0, 1, r)
                .unwrap()
                .broadcast_as(&rc)
                .unwrap(),
            Layout::contiguous([1, c]).broadcast_as(&rc).unwrap(),
        ),
    ]
}

/// A buffer of `dtype` large enough for `l`.
fn buffer_for(l: &Layout, dtype: DType, seed: u64, discrete: bool) -> CpuStorage {
    let len = l.storage_extent();
    if discrete {
        sample_discrete(dtype, len, seed)
    } else {
        sample(dtype, len, seed)
    }
}

/// The backend's `contig` (copy.rs): the elements of `l` over `s` as one contiguous buffer.
fn contig(s: &CpuStorage, l: &Layout) -> CpuStorage {
    s.copy_strided(l).unwrap()
}
