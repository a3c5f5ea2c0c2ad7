// Fused Adam / AdamW update of one contiguous parameter tensor: one pass that reads the
// parameter, its gradient and the moments and writes the new parameter and moments into fresh
// buffers (tensors are immutable values; outputs may alias inputs element for element, so an
// in-place call is valid too). Compiled after prelude.cuh (see lib.rs).
//
// Mirrors `fluxion_tensor::fused::adam_update` on the CPU (and so the op-by-op `Adam::step` /
// `AdamW::step` of crates/fluxion-nn/src/optim/adam.rs), element for element and in the same order
// of separately rounded operations (no FMA contraction), with every f64 scalar rounded to T first
// as the CPU's scalar ops do:
//
//   g = grad[i]; if (maximize) g = -g
//   x = param[i]
//   if (weight_decay != 0):  decoupled (AdamW): x = x * T(1 - lr * weight_decay)
//                            otherwise  (Adam):  g = g + x * T(weight_decay)
//   m' = m[i] * T(beta1) + g * T(1 - beta1)                 (m[i] = 0 when m is null)
//   v' = v[i] * T(beta2) + (g * T(1 - beta2)) * g           (v[i] = 0 when v is null)
//   s = v'; if amsgrad: s = v_max' = (v_max null ? v' : maximum(v_max[i], v'))
//   denom = sqrt(s) / T(sqrt(bias_correction2)) + T(eps)
//   param' = x + (m' * T(-(lr / bias_correction1))) / denom
//
// where the scalar expressions inside T(...) are evaluated in f64, as on the CPU, and maximum is
// the BinaryOp::Maximum rule (NaN if either is NaN). `0 * b + c` with the null moments of the
// first step is what the CPU computes from its zero-initialised moments, so the first step needs
// no zero buffers.
//
// Kernel arguments (T = float for adam_f32, double for adam_f64):
//   (T* param_out, const T* param, const T* grad,
//    T* m_out, const T* m, T* v_out, const T* v, T* v_max_out, const T* v_max,
//    size_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
//    double bias_correction1, double bias_correction2, int decoupled, int maximize)
// bias_correction1 = 1 - beta1^t and bias_correction2 = 1 - beta2^t for step t (1 on the first),
// computed by the host as the CPU does (`1.0 - beta.powf(t as f64)`); the corrections enter
// through the step size and the denominator, not through m and v, which are stored uncorrected.
// m and v are both null (first step) or both set; v_max_out is null unless amsgrad, and v_max is
// null on amsgrad's first step. decoupled != 0 for AdamW, maximize != 0 to ascend. All arrays are
// contiguous with n elements. Grid-stride loop: any launch configuration is valid.

template <class T>
__device__ __forceinline__ void fx_adam(T* param_out, const T* param, const T* grad, T* m_out, const T* m, T* v_out,
                                        const T* v, T* v_max_out, const T* v_max, size_t n, double lr, double beta1,
                                        double beta2, double eps, double weight_decay, double bias_correction1,
                                        double bias_correction2, int decoupled, int maximize) {
    const T zero = fx_from_f64(0.0, T());
    const T decay = fx_from_f64(1.0 - lr * weight_decay, T());
    const T wd = fx_from_f64(weight_decay, T());
    const T b1 = fx_from_f64(beta1, T());
    const T one_minus_b1 = fx_from_f64(1.0 - beta1, T());
    const T b2 = fx_from_f64(beta2, T());
    const T one_minus_b2 = fx_from_f64(1.0 - beta2, T());
    const T neg_step = fx_from_f64(-(lr / bias_correction1), T());
    const T bc2_sqrt = fx_from_f64(__dsqrt_rn(bias_correction2), T());
    const T eps_t = fx_from_f64(eps, T());
    for (size_t i = fx_grid_start(); i < n; i += fx_grid_stride()) {
        T g = grad[i];
        if (maximize != 0) {
            g = -g;
        }
        T x = param[i];
        if (weight_decay != 0.0) {
            if (decoupled != 0) {
                x = fx_mul(x, decay);
            } else {
                g = fx_add(g, fx_mul(x, wd));
            }
        }
        const T m_old = m != nullptr ? m[i] : zero;
        const T v_old = v != nullptr ? v[i] : zero;
        const T m_new = fx_add(fx_mul(m_old, b1), fx_mul(g, one_minus_b1));
        const T v_new = fx_add(fx_mul(v_old, b2), fx_mul(fx_mul(g, one_minus_b2), g));
        T second = v_new;
        if (v_max_out != nullptr) {
            if (v_max != nullptr) {
                const T old = v_max[i];
                second = (fx_isnan(old) || old > v_new) ? old : v_new;
            }
            v_max_out[i] = second;
        }
        m_out[i] = m_new;
        v_out[i] = v_new;
        const T denom = fx_add(fx_div(fx_sqrt(second), bc2_sqrt), eps_t);
        param_out[i] = fx_add(x, fx_div(fx_mul(m_new, neg_step), denom));
    }
}

extern "C" __global__ void adam_f32(float* param_out, const float* param, const float* grad, float* m_out,
                                    const float* m, float* v_out, const float* v, float* v_max_out,
                                    const float* v_max, size_t n, double lr, double beta1, double beta2, double eps,
                                    double weight_decay, double bias_correction1, double bias_correction2,
                                    int decoupled, int maximize) {
    fx_adam<float>(param_out, param, grad, m_out, m, v_out, v, v_max_out, v_max, n, lr, beta1, beta2, eps,
                   weight_decay, bias_correction1, bias_correction2, decoupled, maximize);
}

extern "C" __global__ void adam_f64(double* param_out, const double* param, const double* grad, double* m_out,
                                    const double* m, double* v_out, const double* v, double* v_max_out,
                                    const double* v_max, size_t n, double lr, double beta1, double beta2,
                                    double eps, double weight_decay, double bias_correction1,
                                    double bias_correction2, int decoupled, int maximize) {
    fx_adam<double>(param_out, param, grad, m_out, m, v_out, v, v_max_out, v_max, n, lr, beta1, beta2, eps,
                    weight_decay, bias_correction1, bias_correction2, decoupled, maximize);
}
