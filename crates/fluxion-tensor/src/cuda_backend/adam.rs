//! The fused Adam / AdamW update (`crate::fused::adam_update`) with `adam_{f32,f64}` of
//! `kernels/adam.cu`: one launch reads the parameter, gradient and moments and writes fresh
//! buffers for the new parameter and moments.

use cudarc::driver::{CudaView, PushKernelArg};
use fluxion_device::DType;

use super::copy::uninit;
use super::launch::{grid, kernel, OrCuda, NULL_PTR};
use super::{CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::fused::{AdamInputs, AdamScalars};
use crate::{Result, Storage};

const OP: &str = "adam_update";

/// Parameter, m, v (and AMSGrad's maximum) after the step, as the CPU's `cpu_update` returns
/// them.
pub(crate) fn update(inputs: AdamInputs<'_>, n: usize, s: &AdamScalars) -> Result<Vec<Storage>> {
    let cuda = |k: usize| -> Option<(&CudaStorage, usize)> {
        inputs[k].map(|(st, off)| match st {
            Storage::Cuda(c) => (c, off),
            Storage::Cpu(_) => unreachable!("checked: every operand is on the parameter's device"),
        })
    };
    let Some((p, _)) = cuda(0) else {
        unreachable!("the parameter is always given")
    };
    let dtype = p.dtype();
    let outs = match dtype {
        DType::F32 => typed::<f32>(&cuda, n, s, dtype)?,
        DType::F64 => typed::<f64>(&cuda, n, s, dtype)?,
        other => unreachable!("checked: f32 or f64, not {other}"),
    };
    Ok(outs.into_iter().map(Storage::Cuda).collect())
}

fn typed<'a, T: DevElem>(
    cuda: &dyn Fn(usize) -> Option<(&'a CudaStorage, usize)>,
    n: usize,
    s: &AdamScalars,
    dtype: DType,
) -> Result<Vec<CudaStorage>> {
    let Some((p, _)) = cuda(0) else {
        unreachable!("the parameter is always given")
    };
    let dev = p.cuda_device();
    let outputs = if s.amsgrad { 4 } else { 3 };
    // SAFETY: the kernel below writes all n elements of every output (nothing when n = 0).
    let outs = (0..outputs)
        .map(|_| unsafe { uninit(dev, n, dtype, OP) })
        .collect::<Result<Vec<_>>>()?;
    if n == 0 {
        return Ok(outs);
    }
    let views = (0..5)
        .map(|k| {
            cuda(k)
                .map(|(st, off)| {
                    Ok::<CudaView<'a, T>, crate::Error>(
                        st.slice::<T>(OP, dtype)?.slice(off..off + n),
                    )
                })
                .transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    let out = outs
        .iter()
        .map(|o| o.slice::<T>(OP, dtype))
        .collect::<Result<Vec<_>>>()?;
    let name = format!("adam_{}", dtype.as_str());
    let func = kernel(dev, &name, OP)?;
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    let (Some(param), Some(grad)) = (&views[0], &views[1]) else {
        unreachable!("the parameter and the gradient are always given")
    };
    b.arg(out[0]).arg(param).arg(grad);
    // m_out, m, v_out, v, v_max_out, v_max: absent inputs and outputs are null pointers.
    for (o, input) in [
        (out.get(1), &views[2]),
        (out.get(2), &views[3]),
        (out.get(3), &views[4]),
    ] {
        match o {
            Some(o) => b.arg(*o),
            None => b.arg(&NULL_PTR),
        };
        match input {
            Some(i) => b.arg(i),
            None => b.arg(&NULL_PTR),
        };
    }
    let (decoupled, maximize) = (i32::from(s.decoupled), i32::from(s.maximize));
    b.arg(&n)
        .arg(&s.lr)
        .arg(&s.beta1)
        .arg(&s.beta2)
        .arg(&s.eps)
        .arg(&s.weight_decay)
        .arg(&s.bias_correction1)
        .arg(&s.bias_correction2)
        .arg(&decoupled)
        .arg(&maximize);
    // SAFETY: matches `adam_{f32,f64}(T* param_out, const T* param, const T* grad, T* m_out,
    // const T* m, T* v_out, const T* v, T* v_max_out, const T* v_max, size_t n, double lr,
    // double beta1, double beta2, double eps, double weight_decay, double bias_correction1,
    // double bias_correction2, int decoupled, int maximize)` of kernels/adam.cu. Every input view
    // holds n contiguous elements of T (shapes checked equal by `adam_update`); the outputs are
    // fresh n-element buffers nothing else references; m and v are both set or both null
    // (checked), v_max_out is set exactly when amsgrad and v_max only then.
    unsafe { b.launch(grid(n)) }.or_cuda(OP, || format!("{name} over {n} elements"))?;
    Ok(outs)
}
