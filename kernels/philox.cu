// Counter-based random numbers: Philox4x32-10.
//
// Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11
// (reference code: Random123, philox.h). The CPU backend implements the same stream in Rust, so a
// (seed, offset) pair gives the same numbers on both devices.
//
// Stream definition (shared with the CPU implementation):
//   key     = (lo32(seed), hi32(seed))
//   block j = philox4x32_10(counter = (lo32(offset + j), hi32(offset + j), 0, 0), key)
//             and yields the words w[4j .. 4j + 4].
//   uniform f32, element i:  u = (w[i] >> 8) * 2^-24,                     x = lo + (hi - lo) * u
//   uniform f64, element i:  u = ((w[2i] << 32 | w[2i+1]) >> 11) * 2^-53, x = lo + (hi - lo) * u
//            and when x rounds up to hi, x = max(nextafter(hi, -inf), lo) instead, so x < hi.
//   normal  f32, elements (2p, 2p+1) from (w[2p], w[2p+1]):
//            u1 = ((w[2p] >> 8) + 1) * 2^-24 in (0, 1],  u2 = (w[2p+1] >> 8) * 2^-24,
//            r = sqrt(-2 ln u1),  z0 = mean + std * r * cos(2 pi u2),  z1 = mean + std * r * sin(2 pi u2)
//   normal  f64, elements (2p, 2p+1) from block p's words (w0, w1, w2, w3):
//            u1 = (((w0 << 32 | w1) >> 11) + 1) * 2^-53,  u2 = ((w2 << 32 | w3) >> 11) * 2^-53,
//            then as for f32 (Box-Muller).
// A call producing n values consumes ceil(n / 4) counters (f32) or ceil(n / 2) counters (f64); the
// caller advances `offset` by that much for the next call.
//
// Arithmetic is written with explicitly rounded intrinsics (__fmul_rn, __fadd_rn, ...) so that NVRTC
// cannot contract `lo + (hi - lo) * u` into an FMA: uniform values are then bit-identical to the CPU's
// separately rounded multiply and add, evaluated as  lo + ((hi - lo) * u)  and
// mean + ((std * r) * cos(2 pi u2)).  Normal values go through log/sqrt/sin/cos, whose last-ulp
// rounding differs between CUDA's libdevice and the CPU's libm, and the kernels take sin/cos as
// sincospi(2 u2) (exact argument) where the CPU takes sin_cos(fl(2 pi) u2): CPU and GPU normals
// agree to a few ulp of the value plus about ulp(2 pi) * std * r in absolute terms (a large
// relative difference only next to a zero of sin or cos), not bit for bit.
//
// Kernel arguments: (T* out, size_t n, unsigned long long seed, unsigned long long offset, T a, T b)
// with (a, b) = (lo, hi) for uniform and (mean, std) for normal. One thread computes one Philox block;
// grid-stride loop, any launch configuration is valid.

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// 2^-24 and 2^-53, exact in their types.
#define PHILOX_TWO_M24 5.9604644775390625e-08f
#define PHILOX_TWO_M53 1.1102230246251565404236316680908203125e-16

struct philox_block {
    unsigned int w[4];
};

// Philox4x32-10 on the 64-bit counter `ctr` (the upper 64 counter bits are zero) with key `seed`.
__device__ __forceinline__ philox_block philox4x32_10(unsigned long long ctr, unsigned long long seed) {
    unsigned int c0 = (unsigned int)ctr;
    unsigned int c1 = (unsigned int)(ctr >> 32);
    unsigned int c2 = 0u;
    unsigned int c3 = 0u;
    unsigned int k0 = (unsigned int)seed;
    unsigned int k1 = (unsigned int)(seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const unsigned int hi0 = __umulhi(PHILOX_M0, c0);
        const unsigned int lo0 = PHILOX_M0 * c0;
        const unsigned int hi1 = __umulhi(PHILOX_M1, c2);
        const unsigned int lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    philox_block b;
    b.w[0] = c0;
    b.w[1] = c1;
    b.w[2] = c2;
    b.w[3] = c3;
    return b;
}

// Uniform in [0, 1): the top 24 bits of a word.
__device__ __forceinline__ float philox_u24(unsigned int w) {
    return (float)(w >> 8) * PHILOX_TWO_M24;
}

// Uniform in (0, 1]: the top 24 bits of a word, plus one.
__device__ __forceinline__ float philox_u24_open0(unsigned int w) {
    return (float)((w >> 8) + 1u) * PHILOX_TWO_M24;
}

// Uniform in [0, 1): the top 53 bits of two words (hi, lo).
__device__ __forceinline__ double philox_u53(unsigned int hi, unsigned int lo) {
    const unsigned long long x = ((unsigned long long)hi << 32) | (unsigned long long)lo;
    return (double)(x >> 11) * PHILOX_TWO_M53;
}

// Uniform in (0, 1]: the top 53 bits of two words (hi, lo), plus one.
__device__ __forceinline__ double philox_u53_open0(unsigned int hi, unsigned int lo) {
    const unsigned long long x = ((unsigned long long)hi << 32) | (unsigned long long)lo;
    return (double)((x >> 11) + 1ull) * PHILOX_TWO_M53;
}

extern "C" __global__ void rand_uniform_f32(
    float* out, size_t n, unsigned long long seed, unsigned long long offset, float lo, float hi) {
    const float span = __fsub_rn(hi, lo);
    const float below_hi = fmaxf(nextafterf(hi, __int_as_float(0xff800000)), lo);
    const size_t blocks = n / 4 + (n % 4 != 0);
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x; j < blocks; j += stride) {
        const philox_block b = philox4x32_10(offset + (unsigned long long)j, seed);
        const size_t base = 4 * j;
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            if (base + k < n) {
                const float x = __fadd_rn(lo, __fmul_rn(span, philox_u24(b.w[k])));
                out[base + k] = x < hi ? x : below_hi;
            }
        }
    }
}

extern "C" __global__ void rand_uniform_f64(
    double* out, size_t n, unsigned long long seed, unsigned long long offset, double lo, double hi) {
    const double span = __dsub_rn(hi, lo);
    const double below_hi = fmax(nextafter(hi, __longlong_as_double(0xfff0000000000000ull)), lo);
    const size_t blocks = n / 2 + (n % 2 != 0);
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x; j < blocks; j += stride) {
        const philox_block b = philox4x32_10(offset + (unsigned long long)j, seed);
        const size_t base = 2 * j;
        const double x0 = __dadd_rn(lo, __dmul_rn(span, philox_u53(b.w[0], b.w[1])));
        out[base] = x0 < hi ? x0 : below_hi;
        if (base + 1 < n) {
            const double x1 = __dadd_rn(lo, __dmul_rn(span, philox_u53(b.w[2], b.w[3])));
            out[base + 1] = x1 < hi ? x1 : below_hi;
        }
    }
}

extern "C" __global__ void rand_normal_f32(
    float* out, size_t n, unsigned long long seed, unsigned long long offset, float mean, float std) {
    const size_t blocks = n / 4 + (n % 4 != 0);
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x; j < blocks; j += stride) {
        const philox_block b = philox4x32_10(offset + (unsigned long long)j, seed);
        const size_t base = 4 * j;
#pragma unroll
        for (int q = 0; q < 2; ++q) {
            const float u1 = philox_u24_open0(b.w[2 * q]);
            const float u2 = philox_u24(b.w[2 * q + 1]);
            const float r = sqrtf(-2.0f * logf(u1));
            float s, c;
            // sin(pi * 2u2), cos(pi * 2u2); 2u2 is exact.
            sincospif(2.0f * u2, &s, &c);
            const float sr = __fmul_rn(std, r);
            const size_t i = base + 2 * q;
            if (i < n) {
                out[i] = __fadd_rn(mean, __fmul_rn(sr, c));
            }
            if (i + 1 < n) {
                out[i + 1] = __fadd_rn(mean, __fmul_rn(sr, s));
            }
        }
    }
}

extern "C" __global__ void rand_normal_f64(
    double* out, size_t n, unsigned long long seed, unsigned long long offset, double mean, double std) {
    const size_t blocks = n / 2 + (n % 2 != 0);
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x; j < blocks; j += stride) {
        const philox_block b = philox4x32_10(offset + (unsigned long long)j, seed);
        const double u1 = philox_u53_open0(b.w[0], b.w[1]);
        const double u2 = philox_u53(b.w[2], b.w[3]);
        const double r = sqrt(-2.0 * log(u1));
        double s, c;
        sincospi(2.0 * u2, &s, &c);
        const double sr = __dmul_rn(std, r);
        const size_t i = 2 * j;
        out[i] = __dadd_rn(mean, __dmul_rn(sr, c));
        if (i + 1 < n) {
            out[i + 1] = __dadd_rn(mean, __dmul_rn(sr, s));
        }
    }
}
