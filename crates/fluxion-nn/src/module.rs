//! The `Module` trait: a differentiable function with named parameters.

use fluxion_autodiff::Var;

use crate::Result;

/// A layer or model: a forward function and the parameters it owns, by name.
///
/// Names are dotted paths as in PyTorch's `state_dict` (`"layers.0.weight"`), so checkpoints
/// line up with the module tree. A container visits each child with its own prefix.
pub trait Module: Send + Sync {
    /// Applies the module to `x`.
    ///
    /// # Errors
    /// Shape or dtype errors from the ops inside.
    fn forward(&self, x: &Var) -> Result<Var>;

    /// Calls `visitor(name, parameter)` for every parameter, in a fixed order.
    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var));

    /// Every parameter, in visiting order.
    fn parameters(&self) -> Vec<Var> {
        let mut out = Vec::new();
        self.visit_parameters(&mut |_, p| out.push(p.clone()));
        out
    }

    /// Every parameter with its dotted name, in visiting order.
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        self.visit_parameters(&mut |n, p| out.push((n.to_string(), p.clone())));
        out
    }

    /// Total number of scalar parameters.
    fn parameter_count(&self) -> usize {
        let mut n = 0;
        self.visit_parameters(&mut |_, p| n += p.elem_count());
        n
    }

    /// Clears every parameter's gradient.
    fn zero_grad(&self) {
        self.visit_parameters(&mut |_, p| p.zero_grad());
    }
}

/// Visits `child`'s parameters with `prefix.` in front of their names.
pub fn visit_child(prefix: &str, child: &dyn Module, visitor: &mut dyn FnMut(&str, &Var)) {
    child.visit_parameters(&mut |name, p| visitor(&format!("{prefix}.{name}"), p));
}
