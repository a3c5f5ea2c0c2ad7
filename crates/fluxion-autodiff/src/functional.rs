//! Function transforms over tensors, as `torch.autograd.functional`: vector–Jacobian and
//! Jacobian–vector products and Hessian–vector products.

use fluxion_tensor::Tensor;

use crate::{grad, Error, Result, Var};

fn leaves(inputs: &[Tensor]) -> Vec<Var> {
    inputs.iter().cloned().map(Var::leaf).collect()
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(Error::Arity {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

fn constants(ts: &[Tensor]) -> Vec<Var> {
    ts.iter().cloned().map(Var::constant).collect()
}

/// f(x) and the vector–Jacobian product vᵀ J_f(x), one entry per input.
///
/// # Errors
/// When `v` does not match the outputs in number, shape or dtype; errors from `f`.
pub fn vjp(
    f: impl Fn(&[Var]) -> Result<Vec<Var>>,
    inputs: &[Tensor],
    v: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    let xs = leaves(inputs);
    let ys = f(&xs)?;
    check_len("vjp: v (one per output)", ys.len(), v.len())?;
    let gs = grad(&ys, &xs, Some(&constants(v)), false)?;
    Ok((
        ys.iter().map(Var::tensor).collect(),
        gs.iter().map(Var::tensor).collect(),
    ))
}

/// f(x) and the Jacobian–vector product J_f(x) v, one entry per output.
///
/// Computed by the double-vjp trick: g(u) = J ᵀu is linear in u, so differentiating
/// ⟨g(u), v⟩ with respect to u gives J v. This costs two reverse passes and needs no forward
/// rules, and is exact (not a finite difference).
///
/// # Errors
/// When `tangents` does not match the inputs in number, shape or dtype; errors from `f`.
pub fn jvp(
    f: impl Fn(&[Var]) -> Result<Vec<Var>>,
    inputs: &[Tensor],
    tangents: &[Tensor],
) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
    check_len(
        "jvp: tangents (one per input)",
        inputs.len(),
        tangents.len(),
    )?;
    let xs = leaves(inputs);
    let ys = f(&xs)?;
    let us = ys
        .iter()
        .map(|y| Ok(Var::leaf(Tensor::zeros(y.shape(), y.dtype(), &y.device())?)))
        .collect::<Result<Vec<_>>>()?;
    let gs = grad(&ys, &xs, Some(&us), true)?;
    let jv = grad(&gs, &us, Some(&constants(tangents)), false)?;
    Ok((
        ys.iter().map(Var::tensor).collect(),
        jv.iter().map(Var::tensor).collect(),
    ))
}

/// f(x) for a scalar f and the Hessian–vector product (∇²f) v, one entry per input.
///
/// Computed as ∇ₓ⟨∇ₓf, v⟩ with the inner gradient recorded (`create_graph`).
///
/// # Errors
/// [`Error::NotScalar`] when f is not a scalar; when `v` does not match the inputs.
pub fn hvp(
    f: impl Fn(&[Var]) -> Result<Var>,
    inputs: &[Tensor],
    v: &[Tensor],
) -> Result<(Tensor, Vec<Tensor>)> {
    check_len("hvp: v (one per input)", inputs.len(), v.len())?;
    for (i, (x, vi)) in inputs.iter().zip(v).enumerate() {
        if x.shape() != vi.shape() || x.dtype() != vi.dtype() {
            return Err(Error::GradOutputMismatch {
                index: i,
                shape: x.shape().clone(),
                dtype: x.dtype(),
                got_shape: vi.shape().clone(),
                got_dtype: vi.dtype(),
            });
        }
    }
    let xs = leaves(inputs);
    let y = f(&xs)?;
    let gs = grad(std::slice::from_ref(&y), &xs, None, true)?;
    let mut dot: Option<Var> = None;
    for (g, vi) in gs.iter().zip(v) {
        let term = g.mul(&Var::constant(vi.clone()))?.sum_all()?;
        dot = Some(match dot {
            Some(d) => d.add(&term)?,
            None => term,
        });
    }
    let Some(dot) = dot else {
        return Ok((y.tensor(), Vec::new()));
    };
    let hv = grad(&[dot], &xs, None, false)?;
    Ok((y.tensor(), hv.iter().map(Var::tensor).collect()))
}
