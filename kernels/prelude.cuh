// Shared device helpers, prepended by fluxion-kernels (lib.rs) to the modules that need them
// (cast, elementwise, adam, reduce, index, cmatmul): the crate embeds `concat!(prelude.cuh, module.cu)`,
// so NVRTC still compiles one self-contained unit that includes no header. No kernels here.
//
// - f16/bf16 <-> f32/f64 conversions at the bit level (cast.cu's kernels wrap them): f16 and bf16
//   cross kernel boundaries as raw `unsigned short` bits; narrowing rounds to nearest, ties to
//   even, overflow gives +-inf, NaN stays NaN with its quiet bit set (as the `half` crate does).
// - Element type descriptors (FxF16, FxBF16, FxF32, FxF64, FxU8, FxI64): `storage` is the C type
//   in memory, `compute` the type arithmetic happens in (f32 for f16/bf16), `load`/`store`
//   convert between them.
// - Correctly rounded arithmetic helpers (fx_add, fx_mul, ...) that are never contracted into
//   FMAs, whatever the NVRTC flags, so results match the CPU backend's separately rounded ops.
// - Grid-stride loop bounds and the strided-offset helper of the strided kernel ABI.

// Round-to-nearest-even of m / 2^s, for 1 <= s <= 63.
__device__ __forceinline__ unsigned long long fx_rne_shr(unsigned long long m, unsigned int s) {
    const unsigned long long q = m >> s;
    const unsigned long long rem = m & ((1ull << s) - 1ull);
    const unsigned long long half = 1ull << (s - 1);
    return q + ((rem > half || (rem == half && (q & 1ull) != 0ull)) ? 1ull : 0ull);
}

// f32 -> binary16 (IEEE 754 half): 5 exponent bits (bias 15), 10 mantissa bits.
__device__ __forceinline__ unsigned short fx_f32_to_f16(float v) {
    const unsigned int x = __float_as_uint(v);
    const unsigned int sign = (x >> 16) & 0x8000u;
    const unsigned int exp = (x >> 23) & 0xffu;
    const unsigned int man = x & 0x7fffffu;
    if (exp == 0xffu) {
        return (unsigned short)(sign | 0x7c00u | (man != 0u ? 0x0200u | (man >> 13) : 0u));
    }
    const int e = (int)exp - 127 + 15;
    if (e >= 31) {
        return (unsigned short)(sign | 0x7c00u);
    }
    const unsigned long long m = (unsigned long long)(man | 0x800000u);
    if (e <= 0) {
        // Subnormal result in units of 2^-24; f32 zeros and subnormals land here with s > 24.
        const int s = 14 - e;
        if (s > 24) {
            return (unsigned short)sign;
        }
        return (unsigned short)(sign | (unsigned int)fx_rne_shr(m, (unsigned int)s));
    }
    // The rounded 11-bit significand carries its leading one into the exponent field; a carry out of
    // the significand bumps the exponent, up to 0x7c00 (inf).
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 10) + (unsigned int)fx_rne_shr(m, 13)));
}

// f64 -> binary16, one rounding.
__device__ __forceinline__ unsigned short fx_f64_to_f16(double v) {
    const unsigned long long x = (unsigned long long)__double_as_longlong(v);
    const unsigned int sign = (unsigned int)(x >> 48) & 0x8000u;
    const unsigned int exp = (unsigned int)(x >> 52) & 0x7ffu;
    const unsigned long long man = x & 0xfffffffffffffull;
    if (exp == 0x7ffu) {
        return (unsigned short)(sign | 0x7c00u | (man != 0ull ? 0x0200u | (unsigned int)(man >> 42) : 0u));
    }
    const int e = (int)exp - 1023 + 15;
    if (e >= 31) {
        return (unsigned short)(sign | 0x7c00u);
    }
    const unsigned long long m = man | (1ull << 52);
    if (e <= 0) {
        const int s = 43 - e;
        if (s > 53) {
            return (unsigned short)sign;
        }
        return (unsigned short)(sign | (unsigned int)fx_rne_shr(m, (unsigned int)s));
    }
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 10) + (unsigned int)fx_rne_shr(m, 42)));
}

// f32 -> bfloat16: the upper 16 bits of an f32, rounded to nearest even.
__device__ __forceinline__ unsigned short fx_f32_to_bf16(float v) {
    const unsigned int x = __float_as_uint(v);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short)((x >> 16) | 0x0040u);
    }
    return (unsigned short)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// f64 -> bfloat16: 8 exponent bits (bias 127), 7 mantissa bits, one rounding.
__device__ __forceinline__ unsigned short fx_f64_to_bf16(double v) {
    const unsigned long long x = (unsigned long long)__double_as_longlong(v);
    const unsigned int sign = (unsigned int)(x >> 48) & 0x8000u;
    const unsigned int exp = (unsigned int)(x >> 52) & 0x7ffu;
    const unsigned long long man = x & 0xfffffffffffffull;
    if (exp == 0x7ffu) {
        return (unsigned short)(sign | 0x7f80u | (man != 0ull ? 0x0040u | (unsigned int)(man >> 45) : 0u));
    }
    const int e = (int)exp - 1023 + 127;
    if (e >= 255) {
        return (unsigned short)(sign | 0x7f80u);
    }
    const unsigned long long m = man | (1ull << 52);
    if (e <= 0) {
        // Subnormal result in units of 2^-133.
        const int s = 46 - e;
        if (s > 53) {
            return (unsigned short)sign;
        }
        return (unsigned short)(sign | (unsigned int)fx_rne_shr(m, (unsigned int)s));
    }
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 7) + (unsigned int)fx_rne_shr(m, 45)));
}

// binary16 -> f32, exact.
__device__ __forceinline__ float fx_f16_to_f32(unsigned short h) {
    const unsigned int sign = ((unsigned int)h & 0x8000u) << 16;
    const unsigned int exp = ((unsigned int)h >> 10) & 0x1fu;
    const unsigned int man = (unsigned int)h & 0x3ffu;
    if (exp == 0x1fu) {
        return __uint_as_float(sign | 0x7f800000u | (man != 0u ? 0x00400000u | (man << 13) : 0u));
    }
    if (exp == 0u) {
        // Zero or subnormal: man * 2^-24, exact (and a normal f32, so immune to flush-to-zero).
        const float magnitude = (float)man * 5.9604644775390625e-08f;
        return __uint_as_float(sign | __float_as_uint(magnitude));
    }
    return __uint_as_float(sign | ((exp + 127u - 15u) << 23) | (man << 13));
}

// binary16 -> f64, exact.
__device__ __forceinline__ double fx_f16_to_f64(unsigned short h) {
    const unsigned long long sign = ((unsigned long long)h & 0x8000ull) << 48;
    const unsigned long long exp = ((unsigned long long)h >> 10) & 0x1full;
    const unsigned long long man = (unsigned long long)h & 0x3ffull;
    if (exp == 0x1full) {
        const unsigned long long nan = man != 0ull ? 0x0008000000000000ull | (man << 42) : 0ull;
        return __longlong_as_double((long long)(sign | 0x7ff0000000000000ull | nan));
    }
    if (exp == 0ull) {
        const double magnitude = (double)man * 5.9604644775390625e-08;
        return __longlong_as_double((long long)(sign | (unsigned long long)__double_as_longlong(magnitude)));
    }
    return __longlong_as_double((long long)(sign | ((exp + 1023ull - 15ull) << 52) | (man << 42)));
}

// bfloat16 -> f32, exact (NaN gets its quiet bit set).
__device__ __forceinline__ float fx_bf16_to_f32(unsigned short h) {
    unsigned int x = (unsigned int)h << 16;
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        x |= 0x00400000u;
    }
    return __uint_as_float(x);
}

// bfloat16 -> f64, exact.
__device__ __forceinline__ double fx_bf16_to_f64(unsigned short h) {
    const unsigned long long sign = ((unsigned long long)h & 0x8000ull) << 48;
    const unsigned long long exp = ((unsigned long long)h >> 7) & 0xffull;
    const unsigned long long man = (unsigned long long)h & 0x7full;
    if (exp == 0xffull) {
        const unsigned long long nan = man != 0ull ? 0x0008000000000000ull | (man << 45) : 0ull;
        return __longlong_as_double((long long)(sign | 0x7ff0000000000000ull | nan));
    }
    if (exp == 0ull) {
        // man * 2^-133, exact in f64.
        const double magnitude = (double)man * 9.183549615799121e-41;
        return __longlong_as_double((long long)(sign | (unsigned long long)__double_as_longlong(magnitude)));
    }
    return __longlong_as_double((long long)(sign | ((exp + 1023ull - 127ull) << 52) | (man << 45)));
}

__device__ __forceinline__ unsigned short fx_f16_to_bf16(unsigned short h) {
    return fx_f32_to_bf16(fx_f16_to_f32(h));
}

__device__ __forceinline__ unsigned short fx_bf16_to_f16(unsigned short h) {
    return fx_f32_to_f16(fx_bf16_to_f32(h));
}

__device__ __forceinline__ double fx_f32_to_f64(float v) {
    return (double)v;
}

__device__ __forceinline__ float fx_f64_to_f32(double v) {
    return __double2float_rn(v);
}

// Element type descriptors.
struct FxF16 {
    typedef unsigned short storage;
    typedef float compute;
    static __device__ __forceinline__ float load(unsigned short h) { return fx_f16_to_f32(h); }
    static __device__ __forceinline__ unsigned short store(float v) { return fx_f32_to_f16(v); }
};
struct FxBF16 {
    typedef unsigned short storage;
    typedef float compute;
    static __device__ __forceinline__ float load(unsigned short h) { return fx_bf16_to_f32(h); }
    static __device__ __forceinline__ unsigned short store(float v) { return fx_f32_to_bf16(v); }
};
struct FxF32 {
    typedef float storage;
    typedef float compute;
    static __device__ __forceinline__ float load(float v) { return v; }
    static __device__ __forceinline__ float store(float v) { return v; }
};
struct FxF64 {
    typedef double storage;
    typedef double compute;
    static __device__ __forceinline__ double load(double v) { return v; }
    static __device__ __forceinline__ double store(double v) { return v; }
};
struct FxU8 {
    typedef unsigned char storage;
    typedef unsigned char compute;
    static __device__ __forceinline__ unsigned char load(unsigned char v) { return v; }
    static __device__ __forceinline__ unsigned char store(unsigned char v) { return v; }
};
struct FxI64 {
    typedef long long storage;
    typedef long long compute;
    static __device__ __forceinline__ long long load(long long v) { return v; }
    static __device__ __forceinline__ long long store(long long v) { return v; }
};

// A double scalar argument in the compute type, rounded to nearest (as the CPU's T::from_f64).
__device__ __forceinline__ float fx_from_f64(double v, float) { return __double2float_rn(v); }
__device__ __forceinline__ double fx_from_f64(double v, double) { return v; }

// Separately rounded arithmetic (never fused into an FMA) and correctly rounded sqrt.
__device__ __forceinline__ float fx_add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double fx_add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float fx_sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double fx_sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float fx_mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double fx_mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float fx_div(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double fx_div(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ float fx_sqrt(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double fx_sqrt(double a) { return __dsqrt_rn(a); }
__device__ __forceinline__ bool fx_isnan(float a) { return a != a; }
__device__ __forceinline__ bool fx_isnan(double a) { return a != a; }

// Grid-stride loop bounds: `for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride())`.
__device__ __forceinline__ size_t fx_grid_start() {
    return (size_t)blockIdx.x * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ size_t fx_grid_stride() {
    return (size_t)blockDim.x * gridDim.x;
}

// Strided offsets of the logical (row-major) element `i` for N operands. `info` holds `rank` dims
// followed by N sets of `rank` strides (in elements, 0 = broadcast); off[k] receives the offset of
// operand k relative to its base (the caller adds the operand's start offset).
template <int N>
__device__ __forceinline__ void fx_strided_offsets(size_t i, size_t rank, const size_t* info, size_t (&off)[N]) {
    for (int k = 0; k < N; ++k) {
        off[k] = 0;
    }
    size_t rem = i;
    for (size_t d = rank; d-- > 0;) {
        const size_t dim = info[d];
        const size_t c = rem % dim;
        rem /= dim;
        for (int k = 0; k < N; ++k) {
            off[k] += c * info[(size_t)(k + 1) * rank + d];
        }
    }
}

// Whether a pointer is 16-byte aligned (for float4 loads and stores).
__device__ __forceinline__ bool fx_aligned16(const void* p) {
    return ((unsigned long long)p & 15ull) == 0ull;
}

