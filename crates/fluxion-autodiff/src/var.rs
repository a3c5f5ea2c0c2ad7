//! The differentiable variable: a tensor plus an optional node in the graph that made it.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use fluxion_tensor::{DType, Device, Shape, Tensor};

use crate::op::Op;
use crate::{Error, Result};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Whether ops on this thread record graph nodes (false inside [`no_grad`]).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Runs `f` with recording switched off on this thread: every `Var` op inside returns a
/// constant. Nests, and restores the previous state even if `f` panics.
///
/// ```
/// use fluxion_autodiff::{no_grad, Var};
/// use fluxion_tensor::{DType, Device, Tensor};
/// let x = Var::leaf(Tensor::ones([3], DType::F64, &Device::Cpu)?);
/// let y = no_grad(|| x.sin())?;
/// assert!(!y.requires_grad());
/// # Ok::<(), fluxion_autodiff::Error>(())
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = GradModeGuard::set(false);
    f()
}

/// Sets the recording mode for its lifetime and restores the previous one on drop.
#[derive(Debug)]
pub struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    /// Switches recording on (`true`) or off until the guard drops.
    pub fn set(enabled: bool) -> Self {
        let previous = GRAD_ENABLED.with(|c| c.replace(enabled));
        GradModeGuard { previous }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|c| c.set(self.previous));
    }
}

/// A recorded op and the variables it read.
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) inputs: Vec<Var>,
}

pub(crate) struct VarInner {
    pub(crate) id: u64,
    value: RwLock<Tensor>,
    requires_grad: bool,
    /// The op name, kept after the node is freed so errors can name it.
    pub(crate) op_name: Option<&'static str>,
    /// `Some` from recording until a backward without `retain_graph` frees it.
    pub(crate) node: Mutex<Option<Node>>,
    grad: Mutex<Option<Tensor>>,
}

/// A tensor that autodiff can differentiate: a leaf (made by the user), a constant, or the
/// result of a recorded op.
///
/// Cloning is cheap and shares the variable. Every differentiable tensor op has a `Var`
/// counterpart with the same name; an op records a graph node when recording is on (see
/// [`no_grad`]) and at least one input requires a gradient, and otherwise returns a constant.
///
/// ```
/// use fluxion_autodiff::{grad, Var};
/// use fluxion_tensor::{Device, Tensor};
/// let x = Var::leaf(Tensor::from_vec(vec![0.5f64], [], &Device::Cpu)?);
/// let y = x.sin()?;
/// let dy = grad(&[y], &[x.clone()], None, true)?; // cos x, recorded
/// let d2y = grad(&dy, &[x.clone()], None, false)?; // −sin x
/// assert!((d2y[0].tensor().to_scalar::<f64>()? + 0.5f64.sin()).abs() < 1e-15);
/// # Ok::<(), fluxion_autodiff::Error>(())
/// ```
#[derive(Clone)]
pub struct Var(pub(crate) Arc<VarInner>);

impl Var {
    fn make(value: Tensor, requires_grad: bool, node: Option<Node>) -> Var {
        Var(Arc::new(VarInner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value: RwLock::new(value),
            requires_grad,
            op_name: node.as_ref().map(|n| n.op.name()),
            node: Mutex::new(node),
            grad: Mutex::new(None),
        }))
    }

    /// A leaf that requires a gradient (a parameter or an input to differentiate by).
    pub fn leaf(value: Tensor) -> Var {
        Var::make(value, true, None)
    }

    /// A constant: no gradient flows into it.
    pub fn constant(value: Tensor) -> Var {
        Var::make(value, false, None)
    }

    /// The result of `op` on `inputs`: recorded when recording is on and an input requires a
    /// gradient, a constant otherwise.
    pub(crate) fn record(value: Tensor, op: Op, inputs: Vec<Var>) -> Var {
        if is_grad_enabled() && inputs.iter().any(Var::requires_grad) {
            Var::make(value, true, Some(Node { op, inputs }))
        } else {
            Var::constant(value)
        }
    }

    /// A stable identity for this variable (unique within the process).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// The value (a cheap clone sharing storage).
    pub fn tensor(&self) -> Tensor {
        self.read().clone()
    }

    /// The value, borrowed for the lifetime of the returned guard.
    pub fn tensor_ref(&self) -> std::sync::RwLockReadGuard<'_, Tensor> {
        self.read()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tensor> {
        // A poisoned lock means a panic elsewhere while replacing the value; the stored
        // tensor is always a complete one, so it stays valid.
        self.0.value.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether gradients flow into this variable.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// Whether this variable was made by the user rather than by a recorded op.
    pub fn is_leaf(&self) -> bool {
        self.0.op_name.is_none()
    }

    /// The recorded op's name, `None` for leaves and constants.
    pub fn op_name(&self) -> Option<&'static str> {
        self.0.op_name
    }

    /// The same value as a constant, cut from the graph.
    pub fn detach(&self) -> Var {
        Var::constant(self.tensor())
    }

    /// Shape of the value.
    pub fn shape(&self) -> Shape {
        self.read().shape().clone()
    }

    /// Dimensions of the value.
    pub fn dims(&self) -> Vec<usize> {
        self.read().dims().to_vec()
    }

    /// Rank of the value.
    pub fn rank(&self) -> usize {
        self.read().rank()
    }

    /// Element count of the value.
    pub fn elem_count(&self) -> usize {
        self.read().elem_count()
    }

    /// DType of the value.
    pub fn dtype(&self) -> DType {
        self.read().dtype()
    }

    /// Device of the value.
    pub fn device(&self) -> Device {
        self.read().device().clone()
    }

    /// Replaces a leaf's value (how optimizers update parameters). The new value must have
    /// the same shape, dtype and device.
    ///
    /// Graphs recorded earlier keep reading the old value: they hold its tensor.
    ///
    /// # Errors
    /// [`Error::SetValue`] for a non-leaf or a different shape, dtype or device.
    pub fn set_value(&self, value: Tensor) -> Result<()> {
        if !self.is_leaf() {
            return Err(Error::SetValue {
                reason: format!(
                    "variable {} is the result of {} and not a leaf",
                    self.id(),
                    self.op_name().unwrap_or("an op")
                ),
            });
        }
        let mut slot = self.0.value.write().unwrap_or_else(|e| e.into_inner());
        if slot.shape() != value.shape()
            || slot.dtype() != value.dtype()
            || slot.device().location() != value.device().location()
        {
            return Err(Error::SetValue {
                reason: format!(
                    "the variable is {} {} on {} but the new value is {} {} on {}",
                    slot.shape(),
                    slot.dtype(),
                    slot.device().location(),
                    value.shape(),
                    value.dtype(),
                    value.device().location()
                ),
            });
        }
        *slot = value;
        Ok(())
    }

    /// The gradient accumulated by [`Var::backward`], if any.
    pub fn grad(&self) -> Option<Tensor> {
        self.grad_slot().clone()
    }

    /// Clears the accumulated gradient.
    pub fn zero_grad(&self) {
        *self.grad_slot() = None;
    }

    /// Replaces the accumulated gradient (used by gradient clipping and tests).
    pub fn set_grad(&self, grad: Option<Tensor>) {
        *self.grad_slot() = grad;
    }

    pub(crate) fn grad_slot(&self) -> MutexGuard<'_, Option<Tensor>> {
        // Gradients are replaced whole, so a poisoned slot still holds a valid value.
        self.0.grad.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn node(&self) -> MutexGuard<'_, Option<Node>> {
        // Nodes are taken or left whole, so a poisoned slot still holds a valid value.
        self.0.node.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A constant of `value` on this variable's device and dtype, with `shape`.
    pub(crate) fn full_const(&self, shape: &Shape, value: f64) -> Result<Var> {
        let t = self.read();
        Ok(Var::constant(Tensor::full(
            value,
            shape.clone(),
            t.dtype(),
            t.device(),
        )?))
    }
}

/// A non-owning handle to a [`Var`]: it does not keep the variable (or the graph behind it)
/// alive.
#[derive(Clone, Debug)]
pub struct WeakVar(std::sync::Weak<VarInner>);

impl WeakVar {
    /// The variable, if something still owns it.
    pub fn upgrade(&self) -> Option<Var> {
        self.0.upgrade().map(Var)
    }
}

impl Var {
    /// A handle that does not keep this variable alive (to observe when a graph is freed).
    pub fn downgrade(&self) -> WeakVar {
        WeakVar(Arc::downgrade(&self.0))
    }
}

impl fmt::Debug for VarInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VarInner")
            .field("id", &self.id)
            .field("op", &self.op_name)
            .finish()
    }
}

impl fmt::Debug for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.read();
        f.debug_struct("Var")
            .field("id", &self.0.id)
            .field("shape", t.shape())
            .field("dtype", &t.dtype())
            .field("requires_grad", &self.0.requires_grad)
            .field("op", &self.0.op_name)
            .finish()
    }
}

impl Drop for VarInner {
    /// Dismantles the graph behind this variable iteratively: a chain of a million recorded
    /// ops (a long ODE solve) would otherwise overflow the stack in recursive drops.
    fn drop(&mut self) {
        let node = self
            .node
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(node) = node else { return };
        let mut stack = node.inputs;
        while let Some(v) = stack.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(v.0) {
                let n = inner
                    .node
                    .get_mut()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                if let Some(n) = n {
                    stack.extend(n.inputs);
                }
            }
        }
    }
}
