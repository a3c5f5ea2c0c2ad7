//! Matrix products, concatenation and index ops on `Var`, and their backward rules.

use fluxion_tensor::{Shape, Tensor};

use crate::op::Op;
use crate::{Result, Var};

impl Var {
    /// Batched matrix product with NumPy's rules: rank-1 operands are promoted (and the
    /// promoted axis dropped from the result), batch axes broadcast.
    ///
    /// Backward: ∂/∂A = G Bᵀ and ∂/∂B = Aᵀ G, summed over broadcast batch axes.
    ///
    /// # Errors
    /// As [`Tensor::matmul`].
    pub fn matmul(&self, rhs: &Var) -> Result<Var> {
        let (ta, tb) = (self.tensor(), rhs.tensor());
        let (ra, rb) = (ta.rank(), tb.rank());
        if ra == 0 || rb == 0 || ta.dims()[ra - 1] != tb.dims()[rb.saturating_sub(2)] {
            // Let the tensor op name the problem.
            ta.matmul(&tb)?;
        }
        let a = if ra == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if rb == 1 {
            rhs.unsqueeze(1)?
        } else {
            rhs.clone()
        };
        let (da, db) = (a.dims(), b.dims());
        let (m, k, n) = (da[da.len() - 2], da[da.len() - 1], db[db.len() - 1]);
        let batch = Shape::from(&da[..da.len() - 2])
            .broadcast(&Shape::from(&db[..db.len() - 2]), "matmul")?;
        let with = |extra: [usize; 2]| Shape::from([batch.dims(), &extra[..]].concat());
        let a = a.broadcast_to(with([m, k]))?;
        let b = b.broadcast_to(with([k, n]))?;
        let value = a.tensor_ref().matmul(&b.tensor_ref())?;
        let mut out = Var::record(value, Op::MatMul, vec![a, b]);
        if ra == 1 {
            out = out.squeeze(-2)?;
        }
        if rb == 1 {
            out = out.squeeze(-1)?;
        }
        Ok(out)
    }

    /// Batched complex matrix product of (re, im) pair tensors, optionally conjugating either
    /// operand ([`Tensor::complex_matmul`]); batch axes broadcast.
    ///
    /// Backward, with G the output gradient as a complex pair tensor (∂L/∂re + i·∂L/∂im): for
    /// `C = A·B`, ∂/∂A = G·conj(B)ᵀ and ∂/∂B = conj(A)ᵀ·G; a conjugated operand's gradient is
    /// the conjugate of the one for its conjugate. Both are `complex_matmul`s of transposed views,
    /// so they are differentiable again.
    ///
    /// # Errors
    /// As [`Tensor::complex_matmul`].
    pub fn complex_matmul(&self, rhs: &Var, conj_lhs: bool, conj_rhs: bool) -> Result<Var> {
        // The tensor op validates, broadcasts and computes; the inputs recorded are the
        // broadcast operands, so broadcast batch axes are summed out by their own backward.
        let value = self
            .tensor_ref()
            .complex_matmul(&rhs.tensor_ref(), conj_lhs, conj_rhs)?;
        let d = value.dims();
        let r = d.len();
        let (m, n, k) = (d[r - 3], d[r - 2], self.dims()[self.dims().len() - 2]);
        let with = |extra: [usize; 3]| Shape::from([&d[..r - 3], &extra[..]].concat());
        let a = self.broadcast_to(with([m, k, 2]))?;
        let b = rhs.broadcast_to(with([k, n, 2]))?;
        Ok(Var::record(
            value,
            Op::ComplexMatMul {
                conj: [conj_lhs, conj_rhs],
            },
            vec![a, b],
        ))
    }

    /// Concatenation along `axis`.
    ///
    /// # Errors
    /// As [`Tensor::concat`].
    pub fn concat(vars: &[&Var], axis: isize) -> Result<Var> {
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.tensor()).collect();
        let refs: Vec<&Tensor> = tensors.iter().collect();
        let value = Tensor::concat(&refs, axis)?;
        let axis = tensors[0].axis(axis, "concat")?;
        Ok(Var::record(
            value,
            Op::Concat { axis },
            vars.iter().map(|&v| v.clone()).collect(),
        ))
    }

    /// Stacking along a new `axis`.
    ///
    /// # Errors
    /// As [`Tensor::stack`].
    pub fn stack(vars: &[&Var], axis: isize) -> Result<Var> {
        let tensors: Vec<Tensor> = vars.iter().map(|v| v.tensor()).collect();
        // Validate (shapes, axis range) with the tensor op's messages.
        Tensor::stack(&tensors.iter().collect::<Vec<_>>(), axis)?;
        let expanded = vars
            .iter()
            .map(|v| v.unsqueeze(axis))
            .collect::<Result<Vec<_>>>()?;
        Var::concat(&expanded.iter().collect::<Vec<_>>(), axis)
    }

    /// The entries `ids` (1-D, `I64`, constant) of `axis`; the gradient is scattered back.
    ///
    /// # Errors
    /// As [`Tensor::index_select`].
    pub fn index_select(&self, ids: &Tensor, axis: isize) -> Result<Var> {
        let t = self.tensor();
        let value = t.index_select(ids, axis)?;
        let axis = t.axis(axis, "index_select")?;
        let op = Op::IndexSelect {
            ids: ids.clone(),
            axis,
        };
        Ok(Var::record(value, op, vec![self.clone()]))
    }

    /// `out[i][j] = x[ids[i][j]][j]` along `axis` (PyTorch's `gather`).
    ///
    /// # Errors
    /// As [`Tensor::gather`].
    pub fn gather(&self, ids: &Tensor, axis: isize) -> Result<Var> {
        let t = self.tensor();
        let value = t.gather(ids, axis)?;
        let axis = t.axis(axis, "gather")?;
        Ok(Var::record(
            value,
            Op::Gather {
                ids: ids.clone(),
                axis,
            },
            vec![self.clone()],
        ))
    }

    /// This variable with `src` added at `ids` along `axis` (PyTorch's `scatter_add`).
    /// Differentiable in both; `src` must have the shape of `ids`.
    ///
    /// # Errors
    /// As [`Tensor::scatter_add`], and [`fluxion_tensor::Error::ShapeMismatch`] when `src`
    /// and `ids` differ in shape.
    pub fn scatter_add(&self, ids: &Tensor, src: &Var, axis: isize) -> Result<Var> {
        let (t, s) = (self.tensor(), src.tensor());
        if s.shape() != ids.shape() {
            return Err(fluxion_tensor::Error::ShapeMismatch {
                op: "scatter_add (Var: src must have the ids' shape)",
                expected: ids.shape().to_string(),
                got: s.shape().clone(),
            }
            .into());
        }
        let value = t.scatter_add(ids, &s, axis)?;
        let axis = t.axis(axis, "scatter_add")?;
        let op = Op::ScatterAdd {
            ids: ids.clone(),
            axis,
        };
        Ok(Var::record(value, op, vec![self.clone(), src.clone()]))
    }
}

/// Gradients of a matrix product whose operands share batch axes.
/// Only the gradients in `needs` are computed (each is a full matrix product).
pub(crate) fn matmul_backward(
    a: &Var,
    b: &Var,
    g: &Var,
    needs: &[bool],
) -> Result<Vec<Option<Var>>> {
    let ga = if needs[0] {
        Some(g.matmul(&b.t()?)?)
    } else {
        None
    };
    let gb = if needs[1] {
        Some(a.t()?.matmul(g)?)
    } else {
        None
    };
    Ok(vec![ga, gb])
}

/// Gradients of `C = opA(A)·opB(B)` ([`Var::complex_matmul`] with `conj = [cA, cB]`):
/// ∂/∂A = G·conj(opB(B))ᵀ, conjugated when cA; ∂/∂B = conj(opA(A))ᵀ·G, conjugated when cB.
/// Written as one `complex_matmul` each, conjugating G instead of the product where needed.
pub(crate) fn complex_matmul_backward(
    a: &Var,
    b: &Var,
    g: &Var,
    [ca, cb]: [bool; 2],
    needs: &[bool],
) -> Result<Vec<Option<Var>>> {
    // The matrix axes of a [..., rows, cols, 2] pair tensor swapped.
    let transpose = |v: &Var| v.transpose(-3, -2);
    let ga = if needs[0] {
        // cA = false: G·conj(opB(B))ᵀ; cA = true: conj(G)·opB(B)ᵀ.
        Some(g.complex_matmul(&transpose(b)?, ca, if ca { cb } else { !cb })?)
    } else {
        None
    };
    let gb = if needs[1] {
        // cB = false: conj(opA(A))ᵀ·G; cB = true: opA(A)ᵀ·conj(G).
        Some(transpose(a)?.complex_matmul(g, if cb { ca } else { !ca }, cb)?)
    } else {
        None
    };
    Ok(vec![ga, gb])
}

/// Gradients of a concatenation: the matching slices of `g`.
pub(crate) fn concat_backward(inputs: &[Var], axis: usize, g: &Var) -> Result<Vec<Option<Var>>> {
    let mut start = 0;
    inputs
        .iter()
        .map(|x| {
            let len = x.dims()[axis];
            let part = g.narrow(axis as isize, start, len)?;
            start += len;
            Ok(Some(part))
        })
        .collect()
}

/// The gradient of `index_select`: `g` added back at `ids`.
pub(crate) fn index_select_backward(x: &Var, ids: &Tensor, axis: usize, g: &Var) -> Result<Var> {
    let gd = g.dims();
    let mut along = vec![1; gd.len()];
    along[axis] = ids.elem_count();
    let ids = ids.reshape(along)?.broadcast_to(gd)?.contiguous()?;
    x.full_const(&x.shape(), 0.0)?
        .scatter_add(&ids, g, axis as isize)
}

/// The gradient of `gather`: `g` added back at `ids`.
pub(crate) fn gather_backward(x: &Var, ids: &Tensor, axis: usize, g: &Var) -> Result<Var> {
    x.full_const(&x.shape(), 0.0)?
        .scatter_add(ids, g, axis as isize)
}
