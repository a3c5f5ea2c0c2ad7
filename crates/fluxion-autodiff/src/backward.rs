//! Reverse-mode differentiation: the graph walk behind [`grad`] and [`Var::backward`].
//!
//! The walk sorts the graph topologically (iteratively, so graphs a million ops deep are
//! fine), keeps only the nodes that lie on a path to a requested input, and visits them from
//! the outputs back. Each node's rule turns its output gradient into input gradients, which
//! are summed per variable. Without `retain_graph` a node's saved inputs are released as soon
//! as its rule has run, so intermediates are freed progressively during the walk.

use std::collections::{HashMap, HashSet};

use fluxion_tensor::Tensor;

use crate::var::GradModeGuard;
use crate::{Error, Result, Var};

/// Options for [`grad_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GradOptions {
    /// Record the backward computation so the gradients can be differentiated again.
    pub create_graph: bool,
    /// Keep the graph for another backward; defaults to `create_graph`, as in PyTorch.
    pub retain_graph: Option<bool>,
}

/// Gradients of `outputs` with respect to `inputs`: Σᵢ (∂outputsᵢ/∂input)ᵀ · grad_outputsᵢ.
///
/// `grad_outputs` defaults to ones for scalar outputs. Inputs that the outputs do not depend
/// on get zeros (as in JAX). With `create_graph` the result is recorded and can be
/// differentiated again (any order); without it the walk records nothing and frees the graph.
///
/// ```
/// use fluxion_autodiff::{grad, Var};
/// use fluxion_tensor::{Device, Tensor};
/// let x = Var::leaf(Tensor::from_vec(vec![3.0f64], [], &Device::Cpu)?);
/// let y = x.powf(3.0)?;                                  // x³
/// let dy = grad(&[y], &[x.clone()], None, true)?;        // 3x² = 27
/// let d2y = grad(&dy, &[x.clone()], None, false)?;       // 6x = 18
/// assert_eq!(dy[0].tensor().to_scalar::<f64>()?, 27.0);
/// assert_eq!(d2y[0].tensor().to_scalar::<f64>()?, 18.0);
/// # Ok::<(), fluxion_autodiff::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotScalar`] for an implicit gradient of a non-scalar output,
/// [`Error::GradOutputMismatch`], [`Error::Arity`], [`Error::GraphFreed`], tensor errors.
pub fn grad(
    outputs: &[Var],
    inputs: &[Var],
    grad_outputs: Option<&[Var]>,
    create_graph: bool,
) -> Result<Vec<Var>> {
    let opts = GradOptions {
        create_graph,
        retain_graph: None,
    };
    grad_with(outputs, inputs, grad_outputs, opts)
}

/// [`grad`] with every option.
///
/// # Errors
/// As [`grad`].
pub fn grad_with(
    outputs: &[Var],
    inputs: &[Var],
    grad_outputs: Option<&[Var]>,
    opts: GradOptions,
) -> Result<Vec<Var>> {
    let targets: HashSet<u64> = inputs.iter().map(Var::id).collect();
    let seeds = seeds(outputs, grad_outputs, opts.create_graph)?;
    let found = walk(outputs, seeds, &|v: &Var| targets.contains(&v.id()), opts)?;
    inputs
        .iter()
        .map(|x| match found.get(&x.id()) {
            Some((_, g)) => Ok(g.clone()),
            None => x.full_const(&x.shape(), 0.0),
        })
        .collect()
}

impl Var {
    /// Accumulates d self / d leaf into the `.grad` of every leaf that requires a gradient
    /// (self must be a scalar), then frees the graph.
    ///
    /// # Errors
    /// As [`grad`].
    pub fn backward(&self) -> Result<()> {
        self.backward_with(None, false)
    }

    /// [`Var::backward`] with an explicit output gradient (for non-scalar outputs) and the
    /// choice to keep the graph for another backward.
    ///
    /// # Errors
    /// As [`grad`].
    pub fn backward_with(&self, grad_output: Option<&Tensor>, retain_graph: bool) -> Result<()> {
        let seed = grad_output.map(|g| vec![Var::constant(g.clone())]);
        let outputs = std::slice::from_ref(self);
        let seeds = seeds(outputs, seed.as_deref(), false)?;
        let opts = GradOptions {
            create_graph: false,
            retain_graph: Some(retain_graph),
        };
        let found = walk(
            outputs,
            seeds,
            &|v: &Var| v.is_leaf() && v.requires_grad(),
            opts,
        )?;
        for (leaf, g) in found.into_values() {
            let mut slot = leaf.grad_slot();
            let sum = match slot.take() {
                Some(old) => old.add(&g.tensor())?,
                None => g.tensor(),
            };
            *slot = Some(sum);
        }
        Ok(())
    }
}

/// The starting gradient of each output.
fn seeds(outputs: &[Var], grad_outputs: Option<&[Var]>, create_graph: bool) -> Result<Vec<Var>> {
    if let Some(g) = grad_outputs {
        if g.len() != outputs.len() {
            return Err(Error::Arity {
                what: "grad_outputs",
                expected: outputs.len(),
                got: g.len(),
            });
        }
    }
    outputs
        .iter()
        .enumerate()
        .map(|(i, y)| match grad_outputs {
            Some(gs) => {
                let g = &gs[i];
                if g.shape() != y.shape() || g.dtype() != y.dtype() {
                    return Err(Error::GradOutputMismatch {
                        index: i,
                        shape: y.shape(),
                        dtype: y.dtype(),
                        got_shape: g.shape(),
                        got_dtype: g.dtype(),
                    });
                }
                Ok(if create_graph { g.clone() } else { g.detach() })
            }
            None if y.elem_count() == 1 => y.full_const(&y.shape(), 1.0),
            None => Err(Error::NotScalar {
                index: i,
                shape: y.shape(),
            }),
        })
        .collect()
}

/// Variables in post-order (inputs before the ops that read them) with, for each, whether a
/// target lies at or behind it.
fn topo_order(outputs: &[Var], is_target: &dyn Fn(&Var) -> bool) -> (Vec<Var>, HashSet<u64>) {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    let mut needed = HashSet::new();
    // (var, children pushed yet?)
    let mut stack: Vec<(Var, bool)> = outputs.iter().map(|v| (v.clone(), false)).collect();
    while let Some((v, expanded)) = stack.pop() {
        if expanded {
            let freed = !v.is_leaf() && v.node().is_none();
            let behind = v
                .node()
                .as_ref()
                .is_some_and(|n| n.inputs.iter().any(|x| needed.contains(&x.id())));
            if is_target(&v) || behind || freed {
                needed.insert(v.id());
            }
            order.push(v);
            continue;
        }
        if !v.requires_grad() || !visited.insert(v.id()) {
            continue;
        }
        let children: Vec<Var> = v
            .node()
            .as_ref()
            .map(|n| n.inputs.clone())
            .unwrap_or_default();
        stack.push((v, true));
        stack.extend(children.into_iter().map(|c| (c, false)));
    }
    (order, needed)
}

/// Propagates `seeds` from `outputs` back to the variables `is_target` accepts and returns
/// each one with its gradient, by id.
fn walk(
    outputs: &[Var],
    seeds: Vec<Var>,
    is_target: &dyn Fn(&Var) -> bool,
    opts: GradOptions,
) -> Result<HashMap<u64, (Var, Var)>> {
    let retain = opts.retain_graph.unwrap_or(opts.create_graph);
    let _mode = GradModeGuard::set(opts.create_graph);
    let (order, needed) = topo_order(outputs, is_target);
    let mut grads: HashMap<u64, Var> = HashMap::new();
    for (y, g) in outputs.iter().zip(seeds) {
        if y.requires_grad() {
            accumulate(&mut grads, y.id(), g)?;
        }
    }
    let mut found = HashMap::new();
    for v in order.into_iter().rev() {
        let Some(g) = grads.remove(&v.id()) else {
            continue;
        };
        if is_target(&v) {
            found.insert(v.id(), (v.clone(), g.clone()));
        }
        let Some(op_name) = v.op_name() else {
            continue;
        };
        let node = {
            let mut slot = v.node();
            if retain {
                slot.as_ref().map(|n| (n.op.clone(), n.inputs.clone()))
            } else {
                slot.take().map(|n| (n.op, n.inputs))
            }
        };
        let Some((op, inputs)) = node else {
            if needed.contains(&v.id()) && !is_target(&v) {
                return Err(Error::GraphFreed { op: op_name });
            }
            continue;
        };
        if !inputs.iter().any(|x| needed.contains(&x.id())) {
            continue;
        }
        let needs: Vec<bool> = inputs
            .iter()
            .map(|x| x.requires_grad() && needed.contains(&x.id()))
            .collect();
        let input_grads = op.backward(&inputs, &v, &g, &needs)?;
        for (x, gx) in inputs.iter().zip(input_grads) {
            if let Some(gx) = gx {
                if x.requires_grad() && needed.contains(&x.id()) {
                    debug_assert_eq!(gx.shape(), x.shape(), "{op_name}: gradient shape");
                    accumulate(&mut grads, x.id(), gx)?;
                }
            }
        }
    }
    Ok(found)
}

fn accumulate(grads: &mut HashMap<u64, Var>, id: u64, g: Var) -> Result<()> {
    let sum = match grads.remove(&id) {
        Some(old) => old.add(&g)?,
        None => g,
    };
    grads.insert(id, sum);
    Ok(())
}
