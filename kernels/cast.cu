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

// One entry point per (source, destination) pair: `cast_{s}_{d}` converts with `fx_{s}_to_{d}`
// between the storage types S and D (f16/bf16 as their bits).
#define FX_CAST(s, d, S, D)                                                        \
    extern "C" __global__ void cast_##s##_##d(D* out, const S* in, size_t n) {     \
        cast_contiguous<S, D, fx_##s##_to_##d>(out, in, n);                        \
    }

FX_CAST(f16, bf16, unsigned short, unsigned short)
FX_CAST(f16, f32, unsigned short, float)
FX_CAST(f16, f64, unsigned short, double)
FX_CAST(bf16, f16, unsigned short, unsigned short)
FX_CAST(bf16, f32, unsigned short, float)
FX_CAST(bf16, f64, unsigned short, double)
FX_CAST(f32, f16, float, unsigned short)
FX_CAST(f32, bf16, float, unsigned short)
FX_CAST(f32, f64, float, double)
FX_CAST(f64, f16, double, unsigned short)
FX_CAST(f64, bf16, double, unsigned short)
FX_CAST(f64, f32, double, float)

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

FX_CAST(f16, u8, unsigned short, unsigned char)
FX_CAST(f16, i64, unsigned short, long long)
FX_CAST(bf16, u8, unsigned short, unsigned char)
FX_CAST(bf16, i64, unsigned short, long long)
FX_CAST(f32, u8, float, unsigned char)
FX_CAST(f32, i64, float, long long)
FX_CAST(f64, u8, double, unsigned char)
FX_CAST(f64, i64, double, long long)
FX_CAST(u8, f16, unsigned char, unsigned short)
FX_CAST(u8, bf16, unsigned char, unsigned short)
FX_CAST(u8, f32, unsigned char, float)
FX_CAST(u8, f64, unsigned char, double)
FX_CAST(u8, i64, unsigned char, long long)
FX_CAST(i64, f16, long long, unsigned short)
FX_CAST(i64, bf16, long long, unsigned short)
FX_CAST(i64, f32, long long, float)
FX_CAST(i64, f64, long long, double)
FX_CAST(i64, u8, long long, unsigned char)
