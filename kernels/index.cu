// Index ops mirroring fluxion_tensor's index_select, gather, scatter_add and concat (the CPU
// reference is cpu_backend/index.rs). Compiled after prelude.cuh (see lib.rs).
//
// Every kernel works on a contiguous [outer, dim, inner] view chosen by the host: the axes before
// the indexed (or joined) axis collapse into `outer`, the axes after it into `inner`. All buffers
// are contiguous from the pointer passed (the host adds start offsets and copies strided operands
// to contiguous ones first). Indices are i64 (`long long`), as the CPU API requires. T is
// `unsigned short` (raw bits) for f16/bf16, float, double, unsigned char (u8), long long (i64).
// Grid-stride loops with size_t indices over the elements named below: any launch is valid.
//
// Kernel ABI:
//
//   index_select_{dtype}(const T* in, const long long* idx, T* out,
//                        size_t outer, size_t dim, size_t nidx, size_t inner)
//       in is [outer, dim, inner], idx is [nidx] (rank-1 ids), out is [outer, nidx, inner]:
//       out[o, j, i] = in[o, idx[j], i].  One thread per output element.
//
//   gather_{dtype}(const T* in, const long long* idx, T* out,
//                  size_t outer, size_t dim, size_t nidx, size_t inner)
//       in is [outer, dim, inner]; idx and out are [outer, nidx, inner] (the ids' shape):
//       out[o, j, i] = in[o, idx[o, j, i], i] (PyTorch's gather along the middle axis).
//       The CPU allows ids smaller than the input off the axis; this kernel needs them equal, so
//       in that case the host first narrows the input to the ids' extents off the axis and makes
//       that view contiguous (gather reads nothing outside it).
//
//   scatter_add_{dtype}(T* out, const long long* idx, const T* src,
//                       size_t outer, size_t dim, size_t nidx, size_t inner)
//       out is [outer, dim, inner] and already holds the base values (the host copies `self`
//       into it); idx and src are [outer, nidx, inner] (src is the CPU's view of src walked by
//       the ids' shape, made contiguous): out[o, idx[o, j, i], i] += src[o, j, i], repeated
//       indices accumulate. As for gather, ids smaller than `self` off the axis are the host's
//       business (scatter into a contiguous copy of the narrowed region, then copy it back).
//       Dtypes: f16, bf16, f32, f64 (the CPU also accepts u8 and i64; they have no kernel here).
//       f32 and f64 use hardware atomicAdd (f64 needs sm_60+); f16 and bf16 use a compare-and-swap
//       loop on the aligned 32-bit word holding the element, adding in f32 (__fadd_rn) and
//       rounding back to nearest even: one such add equals the CPU's T::from_f64(a + b) bit for
//       bit (f32 has more than 2p + 2 bits for p = 11 and 8, so the double rounding is harmless).
//       The CAS never changes the other half of the word. NOT DETERMINISTIC: the atomics apply
//       the additions in whatever order the threads arrive, so with repeated indices the sum's
//       last bits can differ from the CPU's (which adds in row-major order of the ids) and from
//       run to run. Also, per the PTX ISA, atom.add.f32 on global memory may flush subnormal
//       inputs and results to zero and NaN payloads are not preserved; the f16/bf16 CAS path and
//       f64 keep subnormals.
//
//   concat_{dtype}(const T* in, T* out, size_t outer, size_t n, size_t inner,
//                  size_t total, size_t start)
//       Copies one input, in [outer, n, inner], into its slab of out [outer, total, inner] at
//       offset `start` on the middle axis: out[o, start + j, i] = in[o, j, i]. The host launches
//       once per input with start = the sum of the previous inputs' n. If start + n > total the
//       kernel writes nothing.
//
// Kernels: index_select, gather and concat for all six dtypes; scatter_add for f16, bf16, f32, f64.
//
// Out-of-range indices: the CPU checks every index on the host (0 <= id < dim, no negative
// wrapping) and returns Error::IndexOutOfRange before any kernel would run, so the kernels assume
// valid indices. They still never access memory out of bounds: index_select and gather write an
// all-zero element (+0 for floats) where the index is out of range, and scatter_add skips that
// element (adds nothing).

// The element (o, j, i) of an [outer, n, inner] view for the flat index t (inner > 0, n > 0).
__device__ __forceinline__ void fx_index_split(size_t t, size_t n, size_t inner, size_t& o, size_t& j, size_t& i) {
    i = t % inner;
    const size_t r = t / inner;
    j = r % n;
    o = r / n;
}

__device__ __forceinline__ bool fx_index_ok(long long id, size_t dim) {
    return id >= 0 && (unsigned long long)id < (unsigned long long)dim;
}

template <typename T>
__device__ __forceinline__ void fx_index_select(const T* in, const long long* idx, T* out, size_t outer, size_t dim,
                                                size_t nidx, size_t inner) {
    const size_t n = outer * nidx * inner;
    for (size_t t = fx_grid_start(); t < n; t += fx_grid_stride()) {
        size_t o, j, i;
        fx_index_split(t, nidx, inner, o, j, i);
        const long long id = idx[j];
        out[t] = fx_index_ok(id, dim) ? in[(o * dim + (size_t)id) * inner + i] : (T)0;
    }
}

template <typename T>
__device__ __forceinline__ void fx_gather(const T* in, const long long* idx, T* out, size_t outer, size_t dim,
                                          size_t nidx, size_t inner) {
    const size_t n = outer * nidx * inner;
    for (size_t t = fx_grid_start(); t < n; t += fx_grid_stride()) {
        size_t o, j, i;
        fx_index_split(t, nidx, inner, o, j, i);
        const long long id = idx[t];
        out[t] = fx_index_ok(id, dim) ? in[(o * dim + (size_t)id) * inner + i] : (T)0;
    }
}

// Atomic out[0] += v, with v in the compute type of D.
__device__ __forceinline__ void fx_atomic_add(FxF32, float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void fx_atomic_add(FxF64, double* p, double v) { atomicAdd(p, v); }

// f16/bf16: compare-and-swap on the 4-byte aligned word holding the 2-byte element (little
// endian: the element at the lower address is the low half). Compares the word's bits, so a NaN
// never makes the loop spin.
template <class D>
__device__ __forceinline__ void fx_atomic_add_16(unsigned short* p, float v) {
    unsigned int* word = (unsigned int*)((unsigned long long)p & ~3ull);
    const unsigned int shift = ((unsigned long long)p & 2ull) != 0ull ? 16u : 0u;
    const unsigned int mask = 0xffffu << shift;
    unsigned int old = *word;
    unsigned int assumed;
    do {
        assumed = old;
        const unsigned short cur = (unsigned short)((assumed & mask) >> shift);
        const unsigned short next = D::store(__fadd_rn(D::load(cur), v));
        const unsigned int repl = (assumed & ~mask) | ((unsigned int)next << shift);
        old = atomicCAS(word, assumed, repl);
    } while (old != assumed);
}
__device__ __forceinline__ void fx_atomic_add(FxF16, unsigned short* p, float v) { fx_atomic_add_16<FxF16>(p, v); }
__device__ __forceinline__ void fx_atomic_add(FxBF16, unsigned short* p, float v) { fx_atomic_add_16<FxBF16>(p, v); }

template <class D>
__device__ __forceinline__ void fx_scatter_add(typename D::storage* out, const long long* idx,
                                               const typename D::storage* src, size_t outer, size_t dim, size_t nidx,
                                               size_t inner) {
    const size_t n = outer * nidx * inner;
    for (size_t t = fx_grid_start(); t < n; t += fx_grid_stride()) {
        size_t o, j, i;
        fx_index_split(t, nidx, inner, o, j, i);
        const long long id = idx[t];
        if (fx_index_ok(id, dim)) {
            fx_atomic_add(D(), &out[(o * dim + (size_t)id) * inner + i], D::load(src[t]));
        }
    }
}

template <typename T>
__device__ __forceinline__ void fx_concat(const T* in, T* out, size_t outer, size_t n, size_t inner, size_t total,
                                          size_t start) {
    if (start > total || n > total - start) {
        return;
    }
    const size_t chunk = n * inner;
    const size_t count = outer * chunk;
    for (size_t t = fx_grid_start(); t < count; t += fx_grid_stride()) {
        const size_t o = t / chunk;
        const size_t r = t - o * chunk;
        out[(o * total + start) * inner + r] = in[t];
    }
}

#define FX_INDEX_ARGS(T) \
    const T *in, const long long *idx, T *out, size_t outer, size_t dim, size_t nidx, size_t inner
#define FX_INDEX_PASS in, idx, out, outer, dim, nidx, inner
#define FX_SCATTER_ARGS(T) \
    T *out, const long long *idx, const T *src, size_t outer, size_t dim, size_t nidx, size_t inner
#define FX_SCATTER_PASS out, idx, src, outer, dim, nidx, inner
#define FX_CONCAT_ARGS(T) const T *in, T *out, size_t outer, size_t n, size_t inner, size_t total, size_t start
#define FX_CONCAT_PASS in, out, outer, n, inner, total, start

// index_select
extern "C" __global__ void index_select_f16(FX_INDEX_ARGS(unsigned short)) { fx_index_select(FX_INDEX_PASS); }
extern "C" __global__ void index_select_bf16(FX_INDEX_ARGS(unsigned short)) { fx_index_select(FX_INDEX_PASS); }
extern "C" __global__ void index_select_f32(FX_INDEX_ARGS(float)) { fx_index_select(FX_INDEX_PASS); }
extern "C" __global__ void index_select_f64(FX_INDEX_ARGS(double)) { fx_index_select(FX_INDEX_PASS); }
extern "C" __global__ void index_select_u8(FX_INDEX_ARGS(unsigned char)) { fx_index_select(FX_INDEX_PASS); }
extern "C" __global__ void index_select_i64(FX_INDEX_ARGS(long long)) { fx_index_select(FX_INDEX_PASS); }

// gather
extern "C" __global__ void gather_f16(FX_INDEX_ARGS(unsigned short)) { fx_gather(FX_INDEX_PASS); }
extern "C" __global__ void gather_bf16(FX_INDEX_ARGS(unsigned short)) { fx_gather(FX_INDEX_PASS); }
extern "C" __global__ void gather_f32(FX_INDEX_ARGS(float)) { fx_gather(FX_INDEX_PASS); }
extern "C" __global__ void gather_f64(FX_INDEX_ARGS(double)) { fx_gather(FX_INDEX_PASS); }
extern "C" __global__ void gather_u8(FX_INDEX_ARGS(unsigned char)) { fx_gather(FX_INDEX_PASS); }
extern "C" __global__ void gather_i64(FX_INDEX_ARGS(long long)) { fx_gather(FX_INDEX_PASS); }

// scatter_add
extern "C" __global__ void scatter_add_f16(FX_SCATTER_ARGS(unsigned short)) { fx_scatter_add<FxF16>(FX_SCATTER_PASS); }
extern "C" __global__ void scatter_add_bf16(FX_SCATTER_ARGS(unsigned short)) { fx_scatter_add<FxBF16>(FX_SCATTER_PASS); }
extern "C" __global__ void scatter_add_f32(FX_SCATTER_ARGS(float)) { fx_scatter_add<FxF32>(FX_SCATTER_PASS); }
extern "C" __global__ void scatter_add_f64(FX_SCATTER_ARGS(double)) { fx_scatter_add<FxF64>(FX_SCATTER_PASS); }

// concat
extern "C" __global__ void concat_f16(FX_CONCAT_ARGS(unsigned short)) { fx_concat(FX_CONCAT_PASS); }
extern "C" __global__ void concat_bf16(FX_CONCAT_ARGS(unsigned short)) { fx_concat(FX_CONCAT_PASS); }
extern "C" __global__ void concat_f32(FX_CONCAT_ARGS(float)) { fx_concat(FX_CONCAT_PASS); }
extern "C" __global__ void concat_f64(FX_CONCAT_ARGS(double)) { fx_concat(FX_CONCAT_PASS); }
extern "C" __global__ void concat_u8(FX_CONCAT_ARGS(unsigned char)) { fx_concat(FX_CONCAT_PASS); }
extern "C" __global__ void concat_i64(FX_CONCAT_ARGS(long long)) { fx_concat(FX_CONCAT_PASS); }
