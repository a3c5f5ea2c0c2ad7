//! `adam.cu` against the CPU's fused update (`crate::fused::adam_update`, itself bitwise equal
//! to the op-by-op step): every option, the first step (null moments) and a later one.

use super::*;
use crate::fused::{adam_update, AdamMoments, AdamScalars};
use crate::{Storage, Tensor};

fn cpu(t: &Tensor) -> CpuStorage {
    match &*t.contiguous().unwrap().storage() {
        Storage::Cpu(c) => c.clone(),
        #[allow(unreachable_patterns)]
        _ => unreachable!("CPU tensors"),
    }
}

/// `adam_{dtype}` per adam.cu's ABI, with null m and v (and v_max) where `moments` has none;
/// returns (param', m', v', v_max').
fn emulate_adam(
    m: &HostModule,
    (x, g): (&CpuStorage, &CpuStorage),
    moments: Option<(&CpuStorage, &CpuStorage, Option<&CpuStorage>)>,
    s: &AdamScalars,
    cfg: (u32, u32),
) -> Vec<CpuStorage> {
    let (n, dtype) = (x.len(), x.dtype());
    let name = format!("adam_{}", dtype.as_str());
    let (mut xb, mut gb) = (DevBuf::upload(x), DevBuf::upload(g));
    let mut outs: Vec<DevBuf> = (0..if s.amsgrad { 4 } else { 3 })
        .map(|_| DevBuf::poisoned(n, dtype))
        .collect();
    let mut ins: Vec<Option<DevBuf>> = match moments {
        Some((mm, vv, xm)) => vec![
            Some(DevBuf::upload(mm)),
            Some(DevBuf::upload(vv)),
            xm.map(DevBuf::upload),
        ],
        None => vec![None, None, None],
    };
    let null = std::ptr::null_mut::<c_void>();
    let (px, pg) = (xb.ptr(), gb.ptr());
    let po: Vec<*mut c_void> = outs.iter_mut().map(DevBuf::ptr).collect();
    let pi: Vec<*mut c_void> = ins
        .iter_mut()
        .map(|b| b.as_mut().map_or(null, DevBuf::ptr))
        .collect();
    let vmax_out = po.get(3).copied().unwrap_or(null);
    let (decoupled, maximize) = (i32::from(s.decoupled), i32::from(s.maximize));
    // As cuda_backend/adam.rs `typed`: (param_out, param, grad, m_out, m, v_out, v, v_max_out,
    // v_max, n, lr, beta1, beta2, eps, weight_decay, bc1, bc2, decoupled, maximize).
    let args = kernel_args![
        &po[0],
        &px,
        &pg,
        &po[1],
        &pi[0],
        &po[2],
        &pi[1],
        &vmax_out,
        &pi[2],
        &n,
        &s.lr,
        &s.beta1,
        &s.beta2,
        &s.eps,
        &s.weight_decay,
        &s.bias_correction1,
        &s.bias_correction2,
        &decoupled,
        &maximize
    ];
    // SAFETY: every non-null pointer holds n elements of the dtype; the outputs are distinct.
    unsafe { run(m, &name, cfg, &args) };
    outs.iter().map(DevBuf::download).collect()
}

#[test]
fn emulated_adam_matches_the_cpu_bit_for_bit() {
    let Some(m) = require_or_skip(Id::Adam) else {
        return;
    };
    let n = 1037;
    for dtype in [DType::F32, DType::F64] {
        for (wd, decoupled) in [(0.0, false), (1e-2, false), (1e-2, true)] {
            for amsgrad in [false, true] {
                for maximize in [false, true] {
                    let x = Tensor::from_storage(Storage::Cpu(sample(dtype, n, 1)), [n]);
                    let mut state: Option<crate::fused::AdamOutput> = None;
                    for step in 1..=2u64 {
                        let g =
                            Tensor::from_storage(Storage::Cpu(sample(dtype, n, 10 + step)), [n]);
                        let s = AdamScalars {
                            lr: 1e-3,
                            beta1: 0.9,
                            beta2: 0.999,
                            eps: 1e-8,
                            weight_decay: wd,
                            bias_correction1: 1.0 - 0.9f64.powf(step as f64),
                            bias_correction2: 1.0 - 0.999f64.powf(step as f64),
                            decoupled,
                            maximize,
                            amsgrad,
                        };
                        let moments = AdamMoments {
                            exp_avg: state.as_ref().map(|o| &o.exp_avg),
                            exp_avg_sq: state.as_ref().map(|o| &o.exp_avg_sq),
                            max_exp_avg_sq: state.as_ref().and_then(|o| o.max_exp_avg_sq.as_ref()),
                        };
                        let want = adam_update(&x, &g, moments, &s).unwrap();
                        let (mc, vc, xc) = (
                            moments.exp_avg.map(cpu),
                            moments.exp_avg_sq.map(cpu),
                            moments.max_exp_avg_sq.map(cpu),
                        );
                        let ins = mc
                            .as_ref()
                            .zip(vc.as_ref())
                            .map(|(a, b)| (a, b, xc.as_ref()));
                        let mut wants = vec![&want.param, &want.exp_avg, &want.exp_avg_sq];
                        wants.extend(want.max_exp_avg_sq.as_ref());
                        for cfg in configs(n) {
                            let got = emulate_adam(&m, (&cpu(&x), &cpu(&g)), ins, &s, cfg);
                            assert_eq!(got.len(), wants.len());
                            for (k, (got, want)) in got.iter().zip(&wants).enumerate() {
                                let what = format!(
                                    "adam_{dtype} output {k}, step {step}, wd {wd} decoupled {decoupled} amsgrad {amsgrad} maximize {maximize}, launch {cfg:?}"
                                );
                                check(&what, got, &cpu(want), Nan::Any, None);
                            }
                        }
                        state = Some(want);
                    }
                }
            }
        }
    }
}
