// Fused Adam / AdamW update of one contiguous parameter tensor, in place. Compiled after
// prelude.cuh (see lib.rs).
//
// Mirrors `Adam::step` / `AdamW::step` in crates/fluxion-nn/src/optim/adam.rs (the shared
// `AdamCore::step`), element for element and in the same order of separately rounded operations
// (no FMA contraction), with every f64 scalar rounded to T first as the CPU's scalar ops do:
//
//   g = grad[i]; if (maximize) g = -g
//   x = param[i]
//   if (weight_decay != 0):  decoupled (AdamW): x = x * T(1 - lr * weight_decay)
//                            otherwise  (Adam):  g = g + x * T(weight_decay)
//   m[i] = m[i] * T(beta1) + g * T(1 - beta1)
//   v[i] = v[i] * T(beta2) + (g * T(1 - beta2)) * g
//   s = v[i]; if (v_max) { v_max[i] = maximum(v_max[i], v[i]); s = v_max[i] }   (amsgrad)
//   denom = sqrt(s) / T(sqrt(bias_correction2)) + T(eps)
//   param[i] = x + (m[i] * T(-(lr / bias_correction1))) / denom
//
// where the scalar expressions inside T(...) are evaluated in f64, as on the CPU, and maximum is
// the BinaryOp::Maximum rule (NaN if either is NaN).
//
// Kernel arguments (T = float for adam_f32, double for adam_f64):
//   (T* param, const T* grad, T* m, T* v, size_t n, double lr, double beta1, double beta2,
//    double eps, double weight_decay, double bias_correction1, double bias_correction2,
//    int decoupled, T* v_max, int maximize)
// bias_correction1 = 1 - beta1^t and bias_correction2 = 1 - beta2^t for step t (1 on the first
// step), computed by the host as the CPU does (`1.0 - beta.powf(t as f64)`); the bias corrections
// enter through the step size and the denominator, not through m and v, which are stored
// uncorrected. m, v (and v_max) must start as zeros; v_max is nullptr unless amsgrad (the CPU
// starts it as a copy of the first v; zeros give the same value since v >= 0). decoupled != 0 for
// AdamW, maximize != 0 to ascend. All arrays are contiguous with n elements. Grid-stride loop:
// any launch configuration is valid.

template <class T>
__device__ __forceinline__ void fx_adam(T* param, const T* grad, T* m, T* v, size_t n, double lr, double beta1,
                                        double beta2, double eps, double weight_decay, double bias_correction1,
                                        double bias_correction2, int decoupled, T* v_max, int maximize) {
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
        const T m_new = fx_add(fx_mul(m[i], b1), fx_mul(g, one_minus_b1));
        const T v_new = fx_add(fx_mul(v[i], b2), fx_mul(fx_mul(g, one_minus_b2), g));
        m[i] = m_new;
        v[i] = v_new;
        T second = v_new;
        if (v_max != nullptr) {
            const T old = v_max[i];
            second = (fx_isnan(old) || old > v_new) ? old : v_new;
            v_max[i] = second;
        }
        const T denom = fx_add(fx_div(fx_sqrt(second), bc2_sqrt), eps_t);
        param[i] = fx_add(x, fx_div(fx_mul(m_new, neg_step), denom));
    }
}

extern "C" __global__ void adam_f32(float* param, const float* grad, float* m, float* v, size_t n, double lr,
                                    double beta1, double beta2, double eps, double weight_decay,
                                    double bias_correction1, double bias_correction2, int decoupled, float* v_max,
                                    int maximize) {
    fx_adam<float>(param, grad, m, v, n, lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2,
                   decoupled, v_max, maximize);
}

extern "C" __global__ void adam_f64(double* param, const double* grad, double* m, double* v, size_t n, double lr,
                                    double beta1, double beta2, double eps, double weight_decay,
                                    double bias_correction1, double bias_correction2, int decoupled,
                                    double* v_max, int maximize) {
    fx_adam<double>(param, grad, m, v, n, lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2,
                    decoupled, v_max, maximize);
}
