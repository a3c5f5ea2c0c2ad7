// Fill a contiguous buffer with one value: out[i] = value for 0 <= i < n.
//
// Kernel arguments: (T* out, size_t n, T value). f16 and bf16 are passed and stored as their raw
// IEEE binary16 / bfloat16 bit patterns (`unsigned short`; the host passes `half::f16::to_bits()`),
// so the module needs no CUDA headers. Grid-stride loop: any launch configuration is valid.

template <typename T>
__device__ __forceinline__ void fill_contiguous(T* out, size_t n, T value) {
    const size_t stride = (size_t)blockDim.x * gridDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = value;
    }
}

extern "C" __global__ void fill_f16(unsigned short* out, size_t n, unsigned short value) {
    fill_contiguous(out, n, value);
}

extern "C" __global__ void fill_bf16(unsigned short* out, size_t n, unsigned short value) {
    fill_contiguous(out, n, value);
}

extern "C" __global__ void fill_f32(float* out, size_t n, float value) {
    fill_contiguous(out, n, value);
}

extern "C" __global__ void fill_f64(double* out, size_t n, double value) {
    fill_contiguous(out, n, value);
}

extern "C" __global__ void fill_u8(unsigned char* out, size_t n, unsigned char value) {
    fill_contiguous(out, n, value);
}

extern "C" __global__ void fill_i64(long long* out, size_t n, long long value) {
    fill_contiguous(out, n, value);
}
