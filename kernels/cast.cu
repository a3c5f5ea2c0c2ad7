// Element type conversion of a contiguous buffer: out[i] = (D) in[i] for 0 <= i < n.
//
// Kernel arguments: (D* out, const S* in, size_t n); symbols are named cast_{src}_{dst}.
// f16 and bf16 are raw bit patterns (`unsigned short`), converted at the bit level by the fx_
// helpers of prelude.cuh (compiled before this file), so the module needs no CUDA headers. Narrowing conversions round to nearest, ties to even, directly from the
// source type (f64 -> f16 is one rounding, not two through f32); overflow gives +-inf, values below
// half the smallest subnormal give +-0, NaN stays NaN (quiet bit set, leading payload bits kept,
// as in the `half` crate). Widening conversions are exact. Grid-stride loop: any launch
// configuration is valid.

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
