// Elementwise maps mirroring fluxion_tensor's UnaryOp, BinaryOp, CmpOp and where_cond (the CPU
// backend's cpu_backend/elementwise.rs is the reference). Compiled after prelude.cuh (see lib.rs).
//
// Kernel ABI (every kernel; grid-stride loops over the n output elements, any launch is valid):
//
//   unary  {op}_{dtype}(size_t n, size_t rank, const size_t* info,
//                        const T* in, size_t in_offset, T* out [, double p [, double q]])
//   binary {op}_{dtype}(size_t n, size_t rank, const size_t* info,
//                        const T* lhs, size_t lhs_offset, const T* rhs, size_t rhs_offset, T* out)
//   cmp_{op}_{dtype}   (same arguments as binary, but `unsigned char* out`, 0 or 1)
//   copy_{dtype}(size_t n, size_t rank, const size_t* info, const T* in, size_t in_offset, T* out)
//                      out[i] = in[offset of logical element i]: a strided view made contiguous
//   where_{dtype}(size_t n, size_t rank, const size_t* info,
//                 const unsigned char* cond, size_t cond_offset, const T* a, size_t a_offset,
//                 const T* b, size_t b_offset, T* out)                  out = cond != 0 ? a : b
//
// `info` is a device array: `rank` dims, then for each input operand (1, 2 or 3 of them, in
// argument order) `rank` strides in elements (stride 0 broadcasts). Operand k's element for
// logical (row-major) index i is base_k[offset_k + sum_d coord_d(i) * stride_k[d]]. When
// `info == nullptr` or `rank == 0` every input is contiguous from base + offset. The output is
// always contiguous, n elements. T is `unsigned short` (raw bits) for f16/bf16, float, double,
// unsigned char (u8), long long (i64).
//
// Unary and binary ops exist for f16, bf16, f32, f64; f16/bf16 load to f32, compute in f32 and round
// back to nearest even, as the CPU does. Comparisons, where and copy exist for all six dtypes.
// Parameters: powf(p), leaky_relu(alpha), leaky_relu_grad(alpha), affine(mul, add), passed as double
// and rounded to the compute type first (the CPU's T::from_f64).
//
// Semantics (exactly the CPU expressions; +, -, *, / and sqrt are separately rounded, never fused
// into FMAs, so these ops agree bit for bit with the CPU; exp, log, sin, cos, tanh, erf, log1p and
// pow use CUDA's libdevice and may differ from the CPU's libm / fast_math in the last ulp or two):
//   neg -x; abs |x|; exp; log; sqrt; square x*x; recip 1/x; powf pow(x, p); sin; cos; tanh;
//   sigmoid 1/(1+exp(-x)); relu x < 0 ? 0 : x (NaN and -0 pass through);
//   leaky_relu x < 0 ? alpha*x : x; leaky_relu_grad x > 0 ? 1*(1-alpha)+alpha : 0*(1-alpha)+alpha
//   with 1-alpha computed in f64 then rounded (NaN takes the second branch);
//   gelu_tanh 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x*x*x)));
//   gelu_erf 0.5*x*(1+erf(x/sqrt 2)) (x times the rounded constant 1/sqrt 2);
//   gelu_erf_grad 0.5*(1+erf(x/sqrt 2)) + x*(1/sqrt(2 pi))*exp(-0.5*x*x); erf;
//   softplus x > 20 ? x : log1p(exp(x)); sign x > 0 ? 1 : x < 0 ? -1 : x (keeps +-0 and NaN);
//   affine x*mul + add.
//   add, sub, mul, div; pow pow(a, b); maximum (isnan(a) || a > b) ? a : b;
//   minimum (isnan(a) || a < b) ? a : b (NaN if either is NaN; on equal values, e.g. 0 and -0,
//   the result is b).
//   Comparisons are IEEE: NaN is unequal to everything (ne gives 1, the others 0); f16/bf16
//   compare their exact f32 values.
//
// Fast path: f32 unary and binary kernels with contiguous inputs and 16-byte aligned input and
// output pointers (after adding the offsets) use float4 loads and stores, with a scalar tail.

// Math wrappers, overloaded on the compute type (CUDA's builtin math functions, no headers).
__device__ __forceinline__ float fx_exp(float x) { return expf(x); }
__device__ __forceinline__ double fx_exp(double x) { return exp(x); }
__device__ __forceinline__ float fx_log(float x) { return logf(x); }
__device__ __forceinline__ double fx_log(double x) { return log(x); }
__device__ __forceinline__ float fx_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double fx_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float fx_sin(float x) { return sinf(x); }
__device__ __forceinline__ double fx_sin(double x) { return sin(x); }
__device__ __forceinline__ float fx_cos(float x) { return cosf(x); }
__device__ __forceinline__ double fx_cos(double x) { return cos(x); }
__device__ __forceinline__ float fx_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double fx_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float fx_erf(float x) { return erff(x); }
__device__ __forceinline__ double fx_erf(double x) { return erf(x); }
__device__ __forceinline__ float fx_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double fx_pow(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float fx_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double fx_abs(double x) { return fabs(x); }

// ---- unary op functors: `T operator()(T x)` for T = float or double ----

struct OpNeg {
    __device__ __forceinline__ OpNeg(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return -x; }
};
struct OpAbs {
    __device__ __forceinline__ OpAbs(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_abs(x); }
};
struct OpExp {
    __device__ __forceinline__ OpExp(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_exp(x); }
};
struct OpLog {
    __device__ __forceinline__ OpLog(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_log(x); }
};
struct OpSqrt {
    __device__ __forceinline__ OpSqrt(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_sqrt(x); }
};
struct OpSquare {
    __device__ __forceinline__ OpSquare(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_mul(x, x); }
};
struct OpRecip {
    __device__ __forceinline__ OpRecip(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_div((T)1, x); }
};
struct OpPowf {
    double p;
    __device__ __forceinline__ OpPowf(double p_, double) : p(p_) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return fx_pow(x, fx_from_f64(p, T()));
    }
};
struct OpSin {
    __device__ __forceinline__ OpSin(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_sin(x); }
};
struct OpCos {
    __device__ __forceinline__ OpCos(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_cos(x); }
};
struct OpTanh {
    __device__ __forceinline__ OpTanh(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_tanh(x); }
};
struct OpSigmoid {
    __device__ __forceinline__ OpSigmoid(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return fx_div((T)1, fx_add((T)1, fx_exp(-x)));
    }
};
struct OpRelu {
    __device__ __forceinline__ OpRelu(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return x < (T)0 ? (T)0 : x; }
};
struct OpLeakyRelu {
    double alpha;
    __device__ __forceinline__ OpLeakyRelu(double a, double) : alpha(a) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return x < (T)0 ? fx_mul(fx_from_f64(alpha, T()), x) : x;
    }
};
struct OpLeakyReluGrad {
    double alpha;
    __device__ __forceinline__ OpLeakyReluGrad(double a, double) : alpha(a) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        // Exactly mask*(1 - alpha) + alpha for mask in {0, 1}, as the CPU rounds it.
        const T m = fx_from_f64(1.0 - alpha, T());
        const T a = fx_from_f64(alpha, T());
        return x > (T)0 ? fx_add(fx_mul((T)1, m), a) : fx_add(fx_mul((T)0, m), a);
    }
};
struct OpGeluTanh {
    __device__ __forceinline__ OpGeluTanh(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        const T k = fx_from_f64(0.79788456080286535588, T()); // sqrt(2/pi)
        const T a = fx_from_f64(0.044715, T());
        const T inner = fx_add(x, fx_mul(fx_mul(fx_mul(a, x), x), x));
        return fx_mul(fx_mul((T)0.5, x), fx_add((T)1, fx_tanh(fx_mul(k, inner))));
    }
};
struct OpGeluErf {
    __device__ __forceinline__ OpGeluErf(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        const T r = fx_from_f64(0.70710678118654752440, T()); // 1/sqrt(2)
        return fx_mul(fx_mul((T)0.5, x), fx_add((T)1, fx_erf(fx_mul(x, r))));
    }
};
struct OpGeluErfGrad {
    __device__ __forceinline__ OpGeluErfGrad(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        const T r = fx_from_f64(0.70710678118654752440, T()); // 1/sqrt(2)
        // 0.5 * (2/sqrt(pi)) * (1/sqrt(2)) in f64, as the CPU computes it: 1/sqrt(2 pi).
        const T k = fx_from_f64(0.5 * 1.12837916709551257390 * 0.70710678118654752440, T());
        const T cdf = fx_mul((T)0.5, fx_add((T)1, fx_erf(fx_mul(x, r))));
        const T pdf = fx_mul(fx_mul(x, k), fx_exp(fx_mul(fx_mul((T)-0.5, x), x)));
        return fx_add(cdf, pdf);
    }
};
struct OpErf {
    __device__ __forceinline__ OpErf(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const { return fx_erf(x); }
};
struct OpSoftplus {
    __device__ __forceinline__ OpSoftplus(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return x > (T)20 ? x : fx_log1p(fx_exp(x));
    }
};
struct OpSign {
    __device__ __forceinline__ OpSign(double, double) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return x > (T)0 ? (T)1 : (x < (T)0 ? (T)-1 : x);
    }
};
struct OpAffine {
    double mul;
    double add;
    __device__ __forceinline__ OpAffine(double m, double a) : mul(m), add(a) {}
    template <class T> __device__ __forceinline__ T operator()(T x) const {
        return fx_add(fx_mul(x, fx_from_f64(mul, T())), fx_from_f64(add, T()));
    }
};

// ---- binary op functors ----

struct OpAdd {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return fx_add(a, b); }
};
struct OpSub {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return fx_sub(a, b); }
};
struct OpMul {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return fx_mul(a, b); }
};
struct OpDiv {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return fx_div(a, b); }
};
struct OpPow {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return fx_pow(a, b); }
};
struct OpMaximum {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const {
        return (fx_isnan(a) || a > b) ? a : b;
    }
};
struct OpMinimum {
    template <class T> __device__ __forceinline__ T operator()(T a, T b) const {
        return (fx_isnan(a) || a < b) ? a : b;
    }
};

// ---- comparison functors (on the compute type; result 0 or 1) ----

struct CmpEq {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a == b ? 1 : 0; }
};
struct CmpNe {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a != b ? 1 : 0; }
};
struct CmpLt {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a < b ? 1 : 0; }
};
struct CmpLe {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a <= b ? 1 : 0; }
};
struct CmpGt {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a > b ? 1 : 0; }
};
struct CmpGe {
    template <class T> __device__ __forceinline__ unsigned char operator()(T a, T b) const { return a >= b ? 1 : 0; }
};

// ---- drivers ----

// float4 fast paths: only the f32 descriptor has them; others report "not taken".
template <class D>
struct FxVec4 {
    template <class Op>
    static __device__ __forceinline__ bool unary(size_t, const typename D::storage*, typename D::storage*, const Op&) {
        return false;
    }
    template <class Op>
    static __device__ __forceinline__ bool binary(size_t, const typename D::storage*, const typename D::storage*,
                                                  typename D::storage*, const Op&) {
        return false;
    }
};

template <>
struct FxVec4<FxF32> {
    template <class Op>
    static __device__ __forceinline__ bool unary(size_t n, const float* in, float* out, const Op& op) {
        if (n < 4 || !fx_aligned16(in) || !fx_aligned16(out)) {
            return false;
        }
        const size_t n4 = n / 4;
        const float4* in4 = (const float4*)in;
        float4* out4 = (float4*)out;
        for (size_t i = fx_grid_start(); i < n4; i += fx_grid_stride()) {
            float4 v = in4[i];
            v.x = op(v.x);
            v.y = op(v.y);
            v.z = op(v.z);
            v.w = op(v.w);
            out4[i] = v;
        }
        for (size_t i = n4 * 4 + fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = op(in[i]);
        }
        return true;
    }
    template <class Op>
    static __device__ __forceinline__ bool binary(size_t n, const float* a, const float* b, float* out, const Op& op) {
        if (n < 4 || !fx_aligned16(a) || !fx_aligned16(b) || !fx_aligned16(out)) {
            return false;
        }
        const size_t n4 = n / 4;
        const float4* a4 = (const float4*)a;
        const float4* b4 = (const float4*)b;
        float4* out4 = (float4*)out;
        for (size_t i = fx_grid_start(); i < n4; i += fx_grid_stride()) {
            const float4 x = a4[i];
            const float4 y = b4[i];
            float4 v;
            v.x = op(x.x, y.x);
            v.y = op(x.y, y.y);
            v.z = op(x.z, y.z);
            v.w = op(x.w, y.w);
            out4[i] = v;
        }
        for (size_t i = n4 * 4 + fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = op(a[i], b[i]);
        }
        return true;
    }
};

template <class D, class Op>
__device__ __forceinline__ void fx_unary(size_t n, size_t rank, const size_t* info, const typename D::storage* in,
                                         size_t in_offset, typename D::storage* out, const Op& op) {
    in += in_offset;
    if (info == nullptr || rank == 0) {
        if (FxVec4<D>::unary(n, in, out, op)) {
            return;
        }
        for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = D::store(op(D::load(in[i])));
        }
        return;
    }
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        size_t off[1];
        fx_strided_offsets<1>(i, rank, info, off);
        out[i] = D::store(op(D::load(in[off[0]])));
    }
}

template <class D, class Op>
__device__ __forceinline__ void fx_binary(size_t n, size_t rank, const size_t* info, const typename D::storage* lhs,
                                          size_t lhs_offset, const typename D::storage* rhs, size_t rhs_offset,
                                          typename D::storage* out, const Op& op) {
    lhs += lhs_offset;
    rhs += rhs_offset;
    if (info == nullptr || rank == 0) {
        if (FxVec4<D>::binary(n, lhs, rhs, out, op)) {
            return;
        }
        for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = D::store(op(D::load(lhs[i]), D::load(rhs[i])));
        }
        return;
    }
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        size_t off[2];
        fx_strided_offsets<2>(i, rank, info, off);
        out[i] = D::store(op(D::load(lhs[off[0]]), D::load(rhs[off[1]])));
    }
}

template <class D, class Op>
__device__ __forceinline__ void fx_cmp(size_t n, size_t rank, const size_t* info, const typename D::storage* lhs,
                                       size_t lhs_offset, const typename D::storage* rhs, size_t rhs_offset,
                                       unsigned char* out, const Op& op) {
    lhs += lhs_offset;
    rhs += rhs_offset;
    if (info == nullptr || rank == 0) {
        for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = op(D::load(lhs[i]), D::load(rhs[i]));
        }
        return;
    }
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        size_t off[2];
        fx_strided_offsets<2>(i, rank, info, off);
        out[i] = op(D::load(lhs[off[0]]), D::load(rhs[off[1]]));
    }
}

template <class D>
__device__ __forceinline__ void fx_where(size_t n, size_t rank, const size_t* info, const unsigned char* cond,
                                         size_t cond_offset, const typename D::storage* a, size_t a_offset,
                                         const typename D::storage* b, size_t b_offset, typename D::storage* out) {
    cond += cond_offset;
    a += a_offset;
    b += b_offset;
    if (info == nullptr || rank == 0) {
        for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = cond[i] != 0 ? a[i] : b[i];
        }
        return;
    }
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        size_t off[3];
        fx_strided_offsets<3>(i, rank, info, off);
        out[i] = cond[off[0]] != 0 ? a[off[1]] : b[off[2]];
    }
}

#define FX_UNARY_ARGS(T) size_t n, size_t rank, const size_t* info, const T* in, size_t in_offset, T* out
#define FX_BINARY_ARGS(T, O) \
    size_t n, size_t rank, const size_t* info, const T* lhs, size_t lhs_offset, const T* rhs, size_t rhs_offset, O* out
#define FX_WHERE_ARGS(T)                                                                                      \
    size_t n, size_t rank, const size_t* info, const unsigned char* cond, size_t cond_offset, const T* a, \
        size_t a_offset, const T* b, size_t b_offset, T* out

// ---- the extern "C" entry points: one per (op, dtype), generated ----
// FX_EACH_FLOAT(M, NAME, OP) expands M(dtype suffix, element type, descriptor, NAME, OP) for
// f16, bf16, f32, f64; FX_EACH_DTYPE adds u8 and i64. Each M defines NAME_<dtype>.
#define FX_EACH_FLOAT(M, NAME, OP)                                                                \
    M(f16, unsigned short, FxF16, NAME, OP)                                                       \
    M(bf16, unsigned short, FxBF16, NAME, OP)                                                     \
    M(f32, float, FxF32, NAME, OP)                                                                \
    M(f64, double, FxF64, NAME, OP)
#define FX_EACH_DTYPE(M, NAME, OP)                                                                \
    FX_EACH_FLOAT(M, NAME, OP)                                                                    \
    M(u8, unsigned char, FxU8, NAME, OP)                                                          \
    M(i64, long long, FxI64, NAME, OP)
// Unary kernels with 0, 1 (p) or 2 (p, q) parameters.
#define FX_UNARY0(DT, T, FX, NAME, OP)                                                            \
    extern "C" __global__ void NAME##_##DT(FX_UNARY_ARGS(T)) {                                    \
        fx_unary<FX>(n, rank, info, in, in_offset, out, OP(0.0, 0.0));                           \
    }
#define FX_UNARY1(DT, T, FX, NAME, OP)                                                            \
    extern "C" __global__ void NAME##_##DT(FX_UNARY_ARGS(T), double p) {                          \
        fx_unary<FX>(n, rank, info, in, in_offset, out, OP(p, 0.0));                             \
    }
#define FX_UNARY2(DT, T, FX, NAME, OP)                                                            \
    extern "C" __global__ void NAME##_##DT(FX_UNARY_ARGS(T), double p, double q) {                \
        fx_unary<FX>(n, rank, info, in, in_offset, out, OP(p, q));                                \
    }
#define FX_BINARY(DT, T, FX, NAME, OP)                                                            \
    extern "C" __global__ void NAME##_##DT(FX_BINARY_ARGS(T, T)) {                                \
        fx_binary<FX>(n, rank, info, lhs, lhs_offset, rhs, rhs_offset, out, OP());                \
    }
#define FX_CMP(DT, T, FX, NAME, OP)                                                               \
    extern "C" __global__ void NAME##_##DT(FX_BINARY_ARGS(T, unsigned char)) {                    \
        fx_cmp<FX>(n, rank, info, lhs, lhs_offset, rhs, rhs_offset, out, OP());                   \
    }
#define FX_WHERE(DT, T, FX, NAME, OP)                                                             \
    extern "C" __global__ void NAME##_##DT(FX_WHERE_ARGS(T)) {                                    \
        fx_where<FX>(n, rank, info, cond, cond_offset, a, a_offset, b, b_offset, out);           \
    }
#define FX_COPY(DT, T, FX, NAME, OP)                                                              \
    extern "C" __global__ void NAME##_##DT(FX_UNARY_ARGS(T)) { fx_copy(n, rank, info, in, in_offset, out); }

// ---- unary kernels ----
FX_EACH_FLOAT(FX_UNARY0, neg, OpNeg)
FX_EACH_FLOAT(FX_UNARY0, abs, OpAbs)
FX_EACH_FLOAT(FX_UNARY0, exp, OpExp)
FX_EACH_FLOAT(FX_UNARY0, log, OpLog)
FX_EACH_FLOAT(FX_UNARY0, sqrt, OpSqrt)
FX_EACH_FLOAT(FX_UNARY0, square, OpSquare)
FX_EACH_FLOAT(FX_UNARY0, recip, OpRecip)
FX_EACH_FLOAT(FX_UNARY1, powf, OpPowf)
FX_EACH_FLOAT(FX_UNARY0, sin, OpSin)
FX_EACH_FLOAT(FX_UNARY0, cos, OpCos)
FX_EACH_FLOAT(FX_UNARY0, tanh, OpTanh)
FX_EACH_FLOAT(FX_UNARY0, sigmoid, OpSigmoid)
FX_EACH_FLOAT(FX_UNARY0, relu, OpRelu)
FX_EACH_FLOAT(FX_UNARY1, leaky_relu, OpLeakyRelu)
FX_EACH_FLOAT(FX_UNARY1, leaky_relu_grad, OpLeakyReluGrad)
FX_EACH_FLOAT(FX_UNARY0, gelu_tanh, OpGeluTanh)
FX_EACH_FLOAT(FX_UNARY0, gelu_erf, OpGeluErf)
FX_EACH_FLOAT(FX_UNARY0, gelu_erf_grad, OpGeluErfGrad)
FX_EACH_FLOAT(FX_UNARY0, erf, OpErf)
FX_EACH_FLOAT(FX_UNARY0, softplus, OpSoftplus)
FX_EACH_FLOAT(FX_UNARY0, sign, OpSign)
FX_EACH_FLOAT(FX_UNARY2, affine, OpAffine)

// ---- binary kernels ----
FX_EACH_FLOAT(FX_BINARY, add, OpAdd)
FX_EACH_FLOAT(FX_BINARY, sub, OpSub)
FX_EACH_FLOAT(FX_BINARY, mul, OpMul)
FX_EACH_FLOAT(FX_BINARY, div, OpDiv)
FX_EACH_FLOAT(FX_BINARY, pow, OpPow)
FX_EACH_FLOAT(FX_BINARY, maximum, OpMaximum)
FX_EACH_FLOAT(FX_BINARY, minimum, OpMinimum)

// ---- comparison kernels ----
FX_EACH_DTYPE(FX_CMP, cmp_eq, CmpEq)
FX_EACH_DTYPE(FX_CMP, cmp_ne, CmpNe)
FX_EACH_DTYPE(FX_CMP, cmp_lt, CmpLt)
FX_EACH_DTYPE(FX_CMP, cmp_le, CmpLe)
FX_EACH_DTYPE(FX_CMP, cmp_gt, CmpGt)
FX_EACH_DTYPE(FX_CMP, cmp_ge, CmpGe)

// ---- where ----
FX_EACH_DTYPE(FX_WHERE, where, _)

// ---- copy (strided view -> contiguous, bits unchanged) ----
template <typename T>
__device__ __forceinline__ void fx_copy(size_t n, size_t rank, const size_t* info, const T* in, size_t in_offset,
                                        T* out) {
    in += in_offset;
    if (info == nullptr || rank == 0) {
        for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
            out[i] = in[i];
        }
        return;
    }
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        size_t off[1];
        fx_strided_offsets<1>(i, rank, info, off);
        out[i] = in[off[0]];
    }
}
FX_EACH_DTYPE(FX_COPY, copy, _)
