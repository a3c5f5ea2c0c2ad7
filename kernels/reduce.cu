// Reductions over the middle axis of a contiguous [outer, reduce, inner] view, mirroring
// fluxion_tensor's ReduceOp (the CPU reference is cpu_backend/reduce.rs). The host permutes and
// collapses the tensor to this form (reduced axes in the middle, contiguous). Compiled after
// prelude.cuh (see lib.rs).
//
// Kernel arguments (every kernel):
//   (const T* in, O* out, size_t outer, size_t reduce, size_t inner)
// element (o, j, k) is in[(o * reduce + j) * inner + k]; out is contiguous [outer, inner], one
// output per (o, k): out[o * inner + k]. O = T except argmax/argmin, where O = long long (i64).
// T is `unsigned short` (raw bits) for f16/bf16, float, double, unsigned char (u8), long long (i64).
//
// Kernels: sum_{f16,bf16,f32,f64}; max, min, argmax, argmin for all six dtypes.
//   sum: accumulated in f64 for every float dtype (as the CPU), rounded once to T at the end
//        (f64 -> f16/bf16 directly, nearest even). The summation order (a tree) differs from the
//        CPU's, so sums agree with the CPU only to f64 rounding. An empty reduction gives 0.
//   max/min: NaN if any element is NaN (the first NaN's bits); otherwise the first element (lowest
//        j) holding the extreme value, so of equal values such as 0 and -0 the first one wins.
//   argmax/argmin: the index j of that element (a NaN counts as the extreme; first on ties).
//   f16/bf16 compare through their exact f32 values; max/min return the element's own bits.
//   An empty reduction (reduce == 0) writes 0 (the CPU rejects it for max/min/argmax/argmin).
//
// Launch contract: blockDim.x a multiple of 32 and at most 1024 (blockDim.y = blockDim.z = 1);
// no dynamic shared memory (each kernel uses at most 32 * 16 bytes of static shared memory). One
// block computes one output group at a time and blocks stride over the outer * inner groups, so
// any gridDim.x >= 1 is valid (gridDim.x = min(outer * inner, a few per SM) is typical). Inside a
// block the threads stride over the reduced axis, then combine with a __shfl_down_sync tree in each
// warp and across warps through shared memory.

// The f64 sum rounded to the storage type (the CPU's T::from_f64).
__device__ __forceinline__ unsigned short fx_sum_store(double s, FxF16) { return fx_f64_to_f16(s); }
__device__ __forceinline__ unsigned short fx_sum_store(double s, FxBF16) { return fx_f64_to_bf16(s); }
__device__ __forceinline__ float fx_sum_store(double s, FxF32) { return __double2float_rn(s); }
__device__ __forceinline__ double fx_sum_store(double s, FxF64) { return s; }

// NaN test on any compute type (integers are never NaN).
__device__ __forceinline__ bool fx_is_nan_any(float a) { return a != a; }
__device__ __forceinline__ bool fx_is_nan_any(double a) { return a != a; }
__device__ __forceinline__ bool fx_is_nan_any(unsigned char) { return false; }
__device__ __forceinline__ bool fx_is_nan_any(long long) { return false; }

// Warp shuffles for every storage type (narrow types travel widened).
__device__ __forceinline__ float fx_shfl_down(float v, unsigned int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ double fx_shfl_down(double v, unsigned int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ long long fx_shfl_down(long long v, unsigned int d) {
    return __shfl_down_sync(0xffffffffu, v, d);
}
__device__ __forceinline__ unsigned long long fx_shfl_down(unsigned long long v, unsigned int d) {
    return __shfl_down_sync(0xffffffffu, v, d);
}
__device__ __forceinline__ unsigned short fx_shfl_down(unsigned short v, unsigned int d) {
    return (unsigned short)__shfl_down_sync(0xffffffffu, (unsigned int)v, d);
}
__device__ __forceinline__ unsigned char fx_shfl_down(unsigned char v, unsigned int d) {
    return (unsigned char)__shfl_down_sync(0xffffffffu, (unsigned int)v, d);
}

// "No element yet" index.
#define FX_NO_INDEX 0xffffffffffffffffull

// Folds candidate (x, ix) into (best, bi): NaN beats everything, then the larger (Max) or smaller
// value, then the lower index. A total order, so the combination order does not matter.
template <class D, bool Max>
__device__ __forceinline__ void fx_ext_take(typename D::storage& best, unsigned long long& bi,
                                            typename D::storage x, unsigned long long ix) {
    if (ix == FX_NO_INDEX) {
        return;
    }
    bool take;
    if (bi == FX_NO_INDEX) {
        take = true;
    } else {
        const typename D::compute xv = D::load(x);
        const typename D::compute bv = D::load(best);
        const bool xn = fx_is_nan_any(xv);
        const bool bn = fx_is_nan_any(bv);
        if (xn || bn) {
            take = xn && (!bn || ix < bi);
        } else if (xv == bv) {
            take = ix < bi;
        } else {
            take = Max ? (xv > bv) : (xv < bv);
        }
    }
    if (take) {
        best = x;
        bi = ix;
    }
}

template <class D, bool Max>
__device__ __forceinline__ void fx_ext_warp(typename D::storage& best, unsigned long long& bi) {
    for (unsigned int d = 16; d > 0; d >>= 1) {
        const typename D::storage ov = fx_shfl_down(best, d);
        const unsigned long long oi = fx_shfl_down(bi, d);
        fx_ext_take<D, Max>(best, bi, ov, oi);
    }
}

// max/min (Arg = false, O = storage) and argmax/argmin (Arg = true, O = long long).
template <class D, bool Max, bool Arg, class O>
__device__ __forceinline__ void fx_reduce_ext(const typename D::storage* in, O* out, size_t outer, size_t reduce,
                                              size_t inner) {
    typedef typename D::storage S;
    __shared__ S shared_val[32];
    __shared__ unsigned long long shared_idx[32];
    const unsigned int lane = threadIdx.x & 31u;
    const unsigned int warp = threadIdx.x >> 5;
    const unsigned int warps = blockDim.x >> 5;
    const size_t groups = outer * inner;
    for (size_t g = blockIdx.x; g < groups; g += gridDim.x) {
        const size_t o = g / inner;
        const size_t k = g % inner;
        const S* base = in + o * reduce * inner + k;
        S best = (S)0;
        unsigned long long bi = FX_NO_INDEX;
        for (size_t j = threadIdx.x; j < reduce; j += blockDim.x) {
            fx_ext_take<D, Max>(best, bi, base[j * inner], (unsigned long long)j);
        }
        fx_ext_warp<D, Max>(best, bi);
        if (lane == 0) {
            shared_val[warp] = best;
            shared_idx[warp] = bi;
        }
        __syncthreads();
        if (warp == 0) {
            best = lane < warps ? shared_val[lane] : (S)0;
            bi = lane < warps ? shared_idx[lane] : FX_NO_INDEX;
            fx_ext_warp<D, Max>(best, bi);
            if (lane == 0) {
                if (Arg) {
                    out[g] = (O)(bi == FX_NO_INDEX ? 0ull : bi);
                } else {
                    out[g] = (O)(bi == FX_NO_INDEX ? (S)0 : best);
                }
            }
        }
        __syncthreads();
    }
}

template <class D>
__device__ __forceinline__ void fx_reduce_sum(const typename D::storage* in, typename D::storage* out, size_t outer,
                                              size_t reduce, size_t inner) {
    __shared__ double shared_sum[32];
    const unsigned int lane = threadIdx.x & 31u;
    const unsigned int warp = threadIdx.x >> 5;
    const unsigned int warps = blockDim.x >> 5;
    const size_t groups = outer * inner;
    for (size_t g = blockIdx.x; g < groups; g += gridDim.x) {
        const size_t o = g / inner;
        const size_t k = g % inner;
        const typename D::storage* base = in + o * reduce * inner + k;
        double acc = 0.0;
        for (size_t j = threadIdx.x; j < reduce; j += blockDim.x) {
            acc = __dadd_rn(acc, (double)D::load(base[j * inner]));
        }
        for (unsigned int d = 16; d > 0; d >>= 1) {
            acc = __dadd_rn(acc, fx_shfl_down(acc, d));
        }
        if (lane == 0) {
            shared_sum[warp] = acc;
        }
        __syncthreads();
        if (warp == 0) {
            acc = lane < warps ? shared_sum[lane] : 0.0;
            for (unsigned int d = 16; d > 0; d >>= 1) {
                acc = __dadd_rn(acc, fx_shfl_down(acc, d));
            }
            if (lane == 0) {
                out[g] = fx_sum_store(acc, D());
            }
        }
        __syncthreads();
    }
}

#define FX_REDUCE_ARGS(T, O) const T* in, O* out, size_t outer, size_t reduce, size_t inner
#define FX_REDUCE_PASS in, out, outer, reduce, inner

// ---- kernels ----
extern "C" __global__ void sum_f16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_sum<FxF16>(FX_REDUCE_PASS);
}
extern "C" __global__ void sum_bf16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_sum<FxBF16>(FX_REDUCE_PASS);
}
extern "C" __global__ void sum_f32(FX_REDUCE_ARGS(float, float)) {
    fx_reduce_sum<FxF32>(FX_REDUCE_PASS);
}
extern "C" __global__ void sum_f64(FX_REDUCE_ARGS(double, double)) {
    fx_reduce_sum<FxF64>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_f16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_ext<FxF16, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_bf16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_ext<FxBF16, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_f32(FX_REDUCE_ARGS(float, float)) {
    fx_reduce_ext<FxF32, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_f64(FX_REDUCE_ARGS(double, double)) {
    fx_reduce_ext<FxF64, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_u8(FX_REDUCE_ARGS(unsigned char, unsigned char)) {
    fx_reduce_ext<FxU8, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void max_i64(FX_REDUCE_ARGS(long long, long long)) {
    fx_reduce_ext<FxI64, true, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_f16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_ext<FxF16, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_bf16(FX_REDUCE_ARGS(unsigned short, unsigned short)) {
    fx_reduce_ext<FxBF16, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_f32(FX_REDUCE_ARGS(float, float)) {
    fx_reduce_ext<FxF32, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_f64(FX_REDUCE_ARGS(double, double)) {
    fx_reduce_ext<FxF64, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_u8(FX_REDUCE_ARGS(unsigned char, unsigned char)) {
    fx_reduce_ext<FxU8, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void min_i64(FX_REDUCE_ARGS(long long, long long)) {
    fx_reduce_ext<FxI64, false, false>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_f16(FX_REDUCE_ARGS(unsigned short, long long)) {
    fx_reduce_ext<FxF16, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_bf16(FX_REDUCE_ARGS(unsigned short, long long)) {
    fx_reduce_ext<FxBF16, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_f32(FX_REDUCE_ARGS(float, long long)) {
    fx_reduce_ext<FxF32, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_f64(FX_REDUCE_ARGS(double, long long)) {
    fx_reduce_ext<FxF64, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_u8(FX_REDUCE_ARGS(unsigned char, long long)) {
    fx_reduce_ext<FxU8, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmax_i64(FX_REDUCE_ARGS(long long, long long)) {
    fx_reduce_ext<FxI64, true, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_f16(FX_REDUCE_ARGS(unsigned short, long long)) {
    fx_reduce_ext<FxF16, false, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_bf16(FX_REDUCE_ARGS(unsigned short, long long)) {
    fx_reduce_ext<FxBF16, false, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_f32(FX_REDUCE_ARGS(float, long long)) {
    fx_reduce_ext<FxF32, false, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_f64(FX_REDUCE_ARGS(double, long long)) {
    fx_reduce_ext<FxF64, false, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_u8(FX_REDUCE_ARGS(unsigned char, long long)) {
    fx_reduce_ext<FxU8, false, true>(FX_REDUCE_PASS);
}
extern "C" __global__ void argmin_i64(FX_REDUCE_ARGS(long long, long long)) {
    fx_reduce_ext<FxI64, false, true>(FX_REDUCE_PASS);
}
