//! The recorded ops and the dispatch to their backward rules.
//!
//! A rule receives the node's inputs, its output and the output's gradient `g`, all as
//! [`Var`]s, and returns one gradient per input (`None` where none flows). Rules are written in
//! `Var` ops: under `create_graph` they record a graph of their own, so gradients are
//! differentiable again; otherwise backward runs them with recording off.

use fluxion_tensor::{BinaryOp, DType, FftNorm, ReduceOp, Tensor, UnaryOp};

use crate::{Result, Var};

/// One recorded op with the parameters its backward rule needs.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Unary(UnaryOp),
    /// Operands already broadcast to the output shape.
    Binary(BinaryOp),
    /// `where(cond, a, b)` with all three broadcast to the output shape.
    Where(Tensor),
    /// A cast from the given dtype.
    ToDType(DType),
    Sum {
        axes: Vec<usize>,
        keepdim: bool,
    },
    /// Max or Min.
    Extremum {
        op: ReduceOp,
        axes: Vec<usize>,
        keepdim: bool,
    },
    /// Reshape (also contiguous, squeeze and unsqueeze).
    Reshape,
    Permute(Vec<usize>),
    Narrow {
        axis: usize,
        start: usize,
    },
    BroadcastTo,
    /// Rank ≥ 2 operands with identical batch dimensions.
    MatMul,
    /// Complex pair operands already broadcast to the output's batch; `conj` per operand.
    ComplexMatMul {
        conj: [bool; 2],
    },
    Concat {
        axis: usize,
    },
    IndexSelect {
        ids: Tensor,
        axis: usize,
    },
    Gather {
        ids: Tensor,
        axis: usize,
    },
    ScatterAdd {
        ids: Tensor,
        axis: usize,
    },
    Rfftn {
        ndim: usize,
        norm: FftNorm,
    },
    Irfftn {
        ndim: usize,
        norm: FftNorm,
    },
}

impl Op {
    /// The op's name in errors.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Unary(op) => op.name(),
            Op::Binary(op) => op.name(),
            Op::Where(_) => "where",
            Op::ToDType(_) => "to_dtype",
            Op::Sum { .. } => "sum",
            Op::Extremum { op, .. } => op.name(),
            Op::Reshape => "reshape",
            Op::Permute(_) => "permute",
            Op::Narrow { .. } => "narrow",
            Op::BroadcastTo => "broadcast_to",
            Op::MatMul => "matmul",
            Op::ComplexMatMul { .. } => "complex_matmul",
            Op::Concat { .. } => "concat",
            Op::IndexSelect { .. } => "index_select",
            Op::Gather { .. } => "gather",
            Op::ScatterAdd { .. } => "scatter_add",
            Op::Rfftn { .. } => "rfftn",
            Op::Irfftn { .. } => "irfftn",
        }
    }

    /// Gradients of the inputs given the output `out` and its gradient `g`. `needs[i]` says
    /// whether the caller uses input `i`'s gradient; rules may return `None` for the others
    /// (and skip computing them), never a different value for the ones needed.
    pub(crate) fn backward(
        &self,
        inputs: &[Var],
        out: &Var,
        g: &Var,
        needs: &[bool],
    ) -> Result<Vec<Option<Var>>> {
        use crate::{
            var_elementwise as ew, var_fft as fft, var_linalg as la, var_reduce as red,
            var_views as vw,
        };
        match self {
            Op::Unary(op) => Ok(vec![ew::unary_backward(*op, &inputs[0], out, g)?]),
            Op::Binary(op) => ew::binary_backward(*op, &inputs[0], &inputs[1], out, g, needs),
            Op::Where(cond) => ew::where_backward(cond, g),
            Op::ToDType(from) => Ok(vec![Some(g.to_dtype(*from)?)]),
            Op::Sum { axes, keepdim } => Ok(vec![Some(red::sum_backward(
                &inputs[0], axes, *keepdim, g,
            )?)]),
            Op::Extremum { axes, keepdim, .. } => Ok(vec![Some(red::extremum_backward(
                &inputs[0], out, axes, *keepdim, g,
            )?)]),
            Op::Reshape => Ok(vec![Some(g.reshape(inputs[0].shape())?)]),
            Op::Permute(perm) => Ok(vec![Some(vw::permute_backward(perm, g)?)]),
            Op::Narrow { axis, start } => Ok(vec![Some(vw::narrow_backward(
                &inputs[0], *axis, *start, g,
            )?)]),
            Op::BroadcastTo => Ok(vec![Some(g.sum_to(&inputs[0].shape())?)]),
            Op::MatMul => la::matmul_backward(&inputs[0], &inputs[1], g, needs),
            Op::ComplexMatMul { conj } => {
                la::complex_matmul_backward(&inputs[0], &inputs[1], g, *conj, needs)
            }
            Op::Concat { axis } => la::concat_backward(inputs, *axis, g),
            Op::IndexSelect { ids, axis } => Ok(vec![Some(la::index_select_backward(
                &inputs[0], ids, *axis, g,
            )?)]),
            Op::Gather { ids, axis } => {
                Ok(vec![Some(la::gather_backward(&inputs[0], ids, *axis, g)?)])
            }
            Op::ScatterAdd { ids, axis } => {
                Ok(vec![Some(g.clone()), Some(g.gather(ids, *axis as isize)?)])
            }
            Op::Rfftn { ndim, norm } => Ok(vec![Some(fft::rfftn_backward(
                &inputs[0], *ndim, *norm, g,
            )?)]),
            Op::Irfftn { ndim, norm } => Ok(vec![Some(fft::irfftn_backward(
                &inputs[0], out, *ndim, *norm, g,
            )?)]),
        }
    }
}
