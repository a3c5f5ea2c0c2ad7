// Batched complex matrix product with optional conjugation of either operand: FNO's spectral
// mode mixing (`fluxion_operator::SpectralConv`) and its two gradients, through
// `fluxion_tensor::Tensor::complex_matmul`. Compiled after prelude.cuh (see lib.rs).
//
// Complex numbers are (re, im) pairs of T. For every batch entry z, row r and column c:
//
//   C[z, r, c] = sum over k = 0, 1, ..., K-1 (in that order) of opA(A[z, r, k]) * opB(B[z, k, c])
//
// with opA(x) = conj(x) when conj_a != 0 (else x), opB likewise. Each term and the running sum are
// separately rounded operations, never contracted into FMAs (prelude's fx_* helpers):
//
//   (ar, ai) = A[z, r, k], ai = -ai if conj_a;   (br, bi) = B[z, k, c], bi = -bi if conj_b
//   re = re + (ar * br - ai * bi)
//   im = im + (ar * bi + ai * br)
//
// starting from re = im = +0. This is the order of `fluxion_tensor`'s reference loop
// (`testing::complex_matmul_reference`), so the emulated kernel matches it bit for bit; the CPU
// backend (BLIS-style blocking with FMAs) agrees to rounding.
//
// Operands are strided views: element (z, r, k) of A has its real part at
//   a[z * sa_z + r * sa_r + k * sa_k]
// and its imaginary part sa_c elements further (the stride of the pair axis); B likewise with
// (sb_z, sb_k, sb_c, sb_p) for element (z, k, c). A stride of 0 broadcasts (a batch shared by all
// z, say). Transposed operands (the gradients' A^T and B^T) are views with swapped strides, so
// the one kernel serves all three products of the layer. C is written contiguous
// [Z, R, N, 2]: c[2 * ((z * R + r) * N + col)] and the element after it.
//
// One thread per output element (grid-stride loop over Z * R * N, so any launch configuration is
// valid). Consecutive threads take consecutive columns: B's loads coalesce when its column stride
// is small, and the threads of a warp read the same A element (a broadcast). FNO's products are
// small (R, N, K <= a few hundred) and latency-bound; no shared-memory tiling.
//
// Kernel arguments (T = float for cmatmul_f32, double for cmatmul_f64):
//   (T* c, const T* a, const T* b, size_t batch, size_t rows, size_t cols, size_t inner,
//    size_t sa_z, size_t sa_r, size_t sa_k, size_t sa_p,
//    size_t sb_z, size_t sb_k, size_t sb_c, size_t sb_p, int conj_a, int conj_b)

template <class T>
__device__ __forceinline__ void fx_cmatmul(T* c, const T* a, const T* b, size_t batch, size_t rows, size_t cols,
                                           size_t inner, size_t sa_z, size_t sa_r, size_t sa_k, size_t sa_p,
                                           size_t sb_z, size_t sb_k, size_t sb_c, size_t sb_p, int conj_a,
                                           int conj_b) {
    const size_t n = batch * rows * cols;
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        const size_t col = i % cols;
        const size_t row = (i / cols) % rows;
        const size_t z = i / (cols * rows);
        const T* pa = a + z * sa_z + row * sa_r;
        const T* pb = b + z * sb_z + col * sb_c;
        T re = T(0);
        T im = T(0);
        for (size_t k = 0; k < inner; ++k) {
            const T ar = pa[k * sa_k];
            const T ai = conj_a != 0 ? -pa[k * sa_k + sa_p] : pa[k * sa_k + sa_p];
            const T br = pb[k * sb_k];
            const T bi = conj_b != 0 ? -pb[k * sb_k + sb_p] : pb[k * sb_k + sb_p];
            re = fx_add(re, fx_sub(fx_mul(ar, br), fx_mul(ai, bi)));
            im = fx_add(im, fx_add(fx_mul(ar, bi), fx_mul(ai, br)));
        }
        c[2 * i] = re;
        c[2 * i + 1] = im;
    }
}

extern "C" __global__ void cmatmul_f32(float* c, const float* a, const float* b, size_t batch, size_t rows,
                                       size_t cols, size_t inner, size_t sa_z, size_t sa_r, size_t sa_k,
                                       size_t sa_p, size_t sb_z, size_t sb_k, size_t sb_c, size_t sb_p, int conj_a,
                                       int conj_b) {
    fx_cmatmul<float>(c, a, b, batch, rows, cols, inner, sa_z, sa_r, sa_k, sa_p, sb_z, sb_k, sb_c, sb_p, conj_a,
                      conj_b);
}

extern "C" __global__ void cmatmul_f64(double* c, const double* a, const double* b, size_t batch, size_t rows,
                                       size_t cols, size_t inner, size_t sa_z, size_t sa_r, size_t sa_k,
                                       size_t sa_p, size_t sb_z, size_t sb_k, size_t sb_c, size_t sb_p, int conj_a,
                                       int conj_b) {
    fx_cmatmul<double>(c, a, b, batch, rows, cols, inner, sa_z, sa_r, sa_k, sa_p, sb_z, sb_k, sb_c, sb_p, conj_a,
                       conj_b);
}
