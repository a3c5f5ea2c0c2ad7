// Element type conversion of a contiguous buffer: out[i] = (D) in[i] for 0 <= i < n.
//
// Kernel arguments: (D* out, const S* in, size_t n); symbols are named cast_{src}_{dst}.
// f16 and bf16 are raw bit patterns (`unsigned short`), converted at the bit level by the fx_
// helpers of prelude.cuh (compiled before this file), so the module needs no CUDA headers. Narrowing conversions round to nearest, ties to even, directly from the
// source type (f64 -> f16 is one rounding, not two through f32); overflow gives +-inf, values below
// half the smallest subnormal give +-0, NaN stays NaN (quiet bit set, leading payload bits kept,
// as in the `half` crate). Widening conversions are exact. Grid-stride loop: any launch
// configuration is valid.
//
// Integer conversions (u8 and i64, to and from every dtype) follow the CPU backend's casts
// (fluxion_tensor's WithDType::from_f64 of the value as f64, Rust `as` semantics):
//   float -> u8 / i64: truncation toward zero with saturation, NaN -> 0 (the source value is exact
//       in f64, so converting it there first changes nothing);
//   i64 -> u8: clamped to [0, 255];  u8 -> anything: exact;
//   i64 -> f32 and i64 -> f64: rounded to nearest, ties to even, in one step (`x as f32`, `x as f64`);
//   i64 -> f16 / bf16: rounded to f32 with round-to-odd, then to nearest even (exactly the CPU's
//       i64_to_f32_round_odd followed by from_f32: one correct rounding, Boldo & Melquiond 2008).

template <typename S, typename D, D (*Convert)(S)>
__device__ __forceinline__ void cast_contiguous(D* out, const S* in, size_t n) {
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = Convert(in[i]);
    }
}

extern "C" __global__ void cast_f16_bf16(unsigned short* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned short, fx_f16_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f16_f32(float* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, float, fx_f16_to_f32>(out, in, n);
}

extern "C" __global__ void cast_f16_f64(double* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, double, fx_f16_to_f64>(out, in, n);
}

extern "C" __global__ void cast_bf16_f16(unsigned short* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned short, fx_bf16_to_f16>(out, in, n);
}

extern "C" __global__ void cast_bf16_f32(float* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, float, fx_bf16_to_f32>(out, in, n);
}

extern "C" __global__ void cast_bf16_f64(double* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, double, fx_bf16_to_f64>(out, in, n);
}

extern "C" __global__ void cast_f32_f16(unsigned short* out, const float* in, size_t n) {
    cast_contiguous<float, unsigned short, fx_f32_to_f16>(out, in, n);
}

extern "C" __global__ void cast_f32_bf16(unsigned short* out, const float* in, size_t n) {
    cast_contiguous<float, unsigned short, fx_f32_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f32_f64(double* out, const float* in, size_t n) {
    cast_contiguous<float, double, fx_f32_to_f64>(out, in, n);
}

extern "C" __global__ void cast_f64_f16(unsigned short* out, const double* in, size_t n) {
    cast_contiguous<double, unsigned short, fx_f64_to_f16>(out, in, n);
}

extern "C" __global__ void cast_f64_bf16(unsigned short* out, const double* in, size_t n) {
    cast_contiguous<double, unsigned short, fx_f64_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f64_f32(float* out, const double* in, size_t n) {
    cast_contiguous<double, float, fx_f64_to_f32>(out, in, n);
}

// ---- integer conversions (see the header) ----

__device__ __forceinline__ long long fx_f64_to_i64_sat(double v) {
    if (v != v) {
        return 0;
    }
    if (v >= 9223372036854775808.0) {
        return 0x7fffffffffffffffLL;
    }
    if (v <= -9223372036854775808.0) {
        return (long long)0x8000000000000000ULL;
    }
    return __double2ll_rz(v);
}

__device__ __forceinline__ unsigned char fx_f64_to_u8_sat(double v) {
    if (!(v > 0.0)) {
        return 0; // NaN, zeros and negatives
    }
    if (v >= 255.0) {
        return 255;
    }
    return (unsigned char)__double2uint_rz(v);
}

// i64 -> f32 rounded to odd: the value truncated toward zero, with its last significand bit set
// when the truncation was inexact. |truncated| <= |x| < 2^63 (or exactly -2^63), so the check
// converts back without overflow.
__device__ __forceinline__ float fx_i64_to_f32_odd(long long x) {
    const float f = __ll2float_rz(x);
    if (__float2ll_rz(f) == x) {
        return f;
    }
    return __uint_as_float(__float_as_uint(f) | 1u);
}

__device__ __forceinline__ unsigned char fx_f16_to_u8(unsigned short h) { return fx_f64_to_u8_sat(fx_f16_to_f64(h)); }
__device__ __forceinline__ unsigned char fx_bf16_to_u8(unsigned short h) { return fx_f64_to_u8_sat(fx_bf16_to_f64(h)); }
__device__ __forceinline__ unsigned char fx_f32_to_u8(float v) { return fx_f64_to_u8_sat((double)v); }
__device__ __forceinline__ unsigned char fx_f64_to_u8(double v) { return fx_f64_to_u8_sat(v); }
__device__ __forceinline__ unsigned char fx_i64_to_u8(long long v) {
    return v <= 0 ? (unsigned char)0 : (v >= 255 ? (unsigned char)255 : (unsigned char)v);
}
__device__ __forceinline__ long long fx_f16_to_i64(unsigned short h) { return fx_f64_to_i64_sat(fx_f16_to_f64(h)); }
__device__ __forceinline__ long long fx_bf16_to_i64(unsigned short h) { return fx_f64_to_i64_sat(fx_bf16_to_f64(h)); }
__device__ __forceinline__ long long fx_f32_to_i64(float v) { return fx_f64_to_i64_sat((double)v); }
__device__ __forceinline__ long long fx_f64_to_i64(double v) { return fx_f64_to_i64_sat(v); }
__device__ __forceinline__ long long fx_u8_to_i64(unsigned char v) { return (long long)v; }
__device__ __forceinline__ unsigned short fx_u8_to_f16(unsigned char v) { return fx_f32_to_f16((float)v); }
__device__ __forceinline__ unsigned short fx_u8_to_bf16(unsigned char v) { return fx_f32_to_bf16((float)v); }
__device__ __forceinline__ float fx_u8_to_f32(unsigned char v) { return (float)v; }
__device__ __forceinline__ double fx_u8_to_f64(unsigned char v) { return (double)v; }
__device__ __forceinline__ unsigned short fx_i64_to_f16(long long v) { return fx_f32_to_f16(fx_i64_to_f32_odd(v)); }
__device__ __forceinline__ unsigned short fx_i64_to_bf16(long long v) { return fx_f32_to_bf16(fx_i64_to_f32_odd(v)); }
__device__ __forceinline__ float fx_i64_to_f32(long long v) { return __ll2float_rn(v); }
__device__ __forceinline__ double fx_i64_to_f64(long long v) { return __ll2double_rn(v); }

extern "C" __global__ void cast_f16_u8(unsigned char* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned char, fx_f16_to_u8>(out, in, n);
}

extern "C" __global__ void cast_f16_i64(long long* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, long long, fx_f16_to_i64>(out, in, n);
}

extern "C" __global__ void cast_bf16_u8(unsigned char* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned char, fx_bf16_to_u8>(out, in, n);
}

extern "C" __global__ void cast_bf16_i64(long long* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, long long, fx_bf16_to_i64>(out, in, n);
}

extern "C" __global__ void cast_f32_u8(unsigned char* out, const float* in, size_t n) {
    cast_contiguous<float, unsigned char, fx_f32_to_u8>(out, in, n);
}

extern "C" __global__ void cast_f32_i64(long long* out, const float* in, size_t n) {
    cast_contiguous<float, long long, fx_f32_to_i64>(out, in, n);
}

extern "C" __global__ void cast_f64_u8(unsigned char* out, const double* in, size_t n) {
    cast_contiguous<double, unsigned char, fx_f64_to_u8>(out, in, n);
}

extern "C" __global__ void cast_f64_i64(long long* out, const double* in, size_t n) {
    cast_contiguous<double, long long, fx_f64_to_i64>(out, in, n);
}

extern "C" __global__ void cast_u8_f16(unsigned short* out, const unsigned char* in, size_t n) {
    cast_contiguous<unsigned char, unsigned short, fx_u8_to_f16>(out, in, n);
}

extern "C" __global__ void cast_u8_bf16(unsigned short* out, const unsigned char* in, size_t n) {
    cast_contiguous<unsigned char, unsigned short, fx_u8_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_u8_f32(float* out, const unsigned char* in, size_t n) {
    cast_contiguous<unsigned char, float, fx_u8_to_f32>(out, in, n);
}

extern "C" __global__ void cast_u8_f64(double* out, const unsigned char* in, size_t n) {
    cast_contiguous<unsigned char, double, fx_u8_to_f64>(out, in, n);
}

extern "C" __global__ void cast_u8_i64(long long* out, const unsigned char* in, size_t n) {
    cast_contiguous<unsigned char, long long, fx_u8_to_i64>(out, in, n);
}

extern "C" __global__ void cast_i64_f16(unsigned short* out, const long long* in, size_t n) {
    cast_contiguous<long long, unsigned short, fx_i64_to_f16>(out, in, n);
}

extern "C" __global__ void cast_i64_bf16(unsigned short* out, const long long* in, size_t n) {
    cast_contiguous<long long, unsigned short, fx_i64_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_i64_f32(float* out, const long long* in, size_t n) {
    cast_contiguous<long long, float, fx_i64_to_f32>(out, in, n);
}

extern "C" __global__ void cast_i64_f64(double* out, const long long* in, size_t n) {
    cast_contiguous<long long, double, fx_i64_to_f64>(out, in, n);
}

extern "C" __global__ void cast_i64_u8(unsigned char* out, const long long* in, size_t n) {
    cast_contiguous<long long, unsigned char, fx_i64_to_u8>(out, in, n);
}
