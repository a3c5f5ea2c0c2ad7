// Element type conversion of a contiguous buffer: out[i] = (D) in[i] for 0 <= i < n.
//
// Kernel arguments: (D* out, const S* in, size_t n); symbols are named cast_{src}_{dst}.
// f16 and bf16 are raw bit patterns (`unsigned short`), converted here at the bit level so the module
// needs no CUDA headers. Narrowing conversions round to nearest, ties to even, directly from the
// source type (f64 -> f16 is one rounding, not two through f32); overflow gives +-inf, values below
// half the smallest subnormal give +-0, NaN stays NaN (quiet bit set, leading payload bits kept,
// as in the `half` crate). Widening conversions are exact. Grid-stride loop: any launch
// configuration is valid.

// Round-to-nearest-even of m / 2^s, for 1 <= s <= 63.
__device__ __forceinline__ unsigned long long cast_rne_shr(unsigned long long m, unsigned int s) {
    const unsigned long long q = m >> s;
    const unsigned long long rem = m & ((1ull << s) - 1ull);
    const unsigned long long half = 1ull << (s - 1);
    return q + ((rem > half || (rem == half && (q & 1ull) != 0ull)) ? 1ull : 0ull);
}

// f32 -> binary16 (IEEE 754 half): 5 exponent bits (bias 15), 10 mantissa bits.
__device__ __forceinline__ unsigned short f32_to_f16(float v) {
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
        return (unsigned short)(sign | (unsigned int)cast_rne_shr(m, (unsigned int)s));
    }
    // The rounded 11-bit significand carries its leading one into the exponent field; a carry out of
    // the significand bumps the exponent, up to 0x7c00 (inf).
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 10) + (unsigned int)cast_rne_shr(m, 13)));
}

// f64 -> binary16, one rounding.
__device__ __forceinline__ unsigned short f64_to_f16(double v) {
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
        return (unsigned short)(sign | (unsigned int)cast_rne_shr(m, (unsigned int)s));
    }
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 10) + (unsigned int)cast_rne_shr(m, 42)));
}

// f32 -> bfloat16: the upper 16 bits of an f32, rounded to nearest even.
__device__ __forceinline__ unsigned short f32_to_bf16(float v) {
    const unsigned int x = __float_as_uint(v);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short)((x >> 16) | 0x0040u);
    }
    return (unsigned short)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// f64 -> bfloat16: 8 exponent bits (bias 127), 7 mantissa bits, one rounding.
__device__ __forceinline__ unsigned short f64_to_bf16(double v) {
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
        return (unsigned short)(sign | (unsigned int)cast_rne_shr(m, (unsigned int)s));
    }
    return (unsigned short)(sign | (((unsigned int)(e - 1) << 7) + (unsigned int)cast_rne_shr(m, 45)));
}

// binary16 -> f32, exact.
__device__ __forceinline__ float f16_to_f32(unsigned short h) {
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
__device__ __forceinline__ double f16_to_f64(unsigned short h) {
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
__device__ __forceinline__ float bf16_to_f32(unsigned short h) {
    unsigned int x = (unsigned int)h << 16;
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        x |= 0x00400000u;
    }
    return __uint_as_float(x);
}

// bfloat16 -> f64, exact.
__device__ __forceinline__ double bf16_to_f64(unsigned short h) {
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

__device__ __forceinline__ unsigned short f16_to_bf16(unsigned short h) {
    return f32_to_bf16(f16_to_f32(h));
}

__device__ __forceinline__ unsigned short bf16_to_f16(unsigned short h) {
    return f32_to_f16(bf16_to_f32(h));
}

__device__ __forceinline__ double f32_to_f64(float v) {
    return (double)v;
}

__device__ __forceinline__ float f64_to_f32(double v) {
    return __double2float_rn(v);
}

template <typename S, typename D, D (*Convert)(S)>
__device__ __forceinline__ void cast_contiguous(D* out, const S* in, size_t n) {
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = Convert(in[i]);
    }
}

extern "C" __global__ void cast_f16_bf16(unsigned short* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned short, f16_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f16_f32(float* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, float, f16_to_f32>(out, in, n);
}

extern "C" __global__ void cast_f16_f64(double* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, double, f16_to_f64>(out, in, n);
}

extern "C" __global__ void cast_bf16_f16(unsigned short* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, unsigned short, bf16_to_f16>(out, in, n);
}

extern "C" __global__ void cast_bf16_f32(float* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, float, bf16_to_f32>(out, in, n);
}

extern "C" __global__ void cast_bf16_f64(double* out, const unsigned short* in, size_t n) {
    cast_contiguous<unsigned short, double, bf16_to_f64>(out, in, n);
}

extern "C" __global__ void cast_f32_f16(unsigned short* out, const float* in, size_t n) {
    cast_contiguous<float, unsigned short, f32_to_f16>(out, in, n);
}

extern "C" __global__ void cast_f32_bf16(unsigned short* out, const float* in, size_t n) {
    cast_contiguous<float, unsigned short, f32_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f32_f64(double* out, const float* in, size_t n) {
    cast_contiguous<float, double, f32_to_f64>(out, in, n);
}

extern "C" __global__ void cast_f64_f16(unsigned short* out, const double* in, size_t n) {
    cast_contiguous<double, unsigned short, f64_to_f16>(out, in, n);
}

extern "C" __global__ void cast_f64_bf16(unsigned short* out, const double* in, size_t n) {
    cast_contiguous<double, unsigned short, f64_to_bf16>(out, in, n);
}

extern "C" __global__ void cast_f64_f32(float* out, const double* in, size_t n) {
    cast_contiguous<double, float, f64_to_f32>(out, in, n);
}
