//! A chain of modules applied in order.

use std::fmt;

use fluxion_autodiff::Var;

use crate::{visit_child, Module, Result};

/// Modules applied one after another; parameters are named `"{index}.{name}"` as in
/// PyTorch's `nn.Sequential` (activations take an index too).
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    /// An empty chain (the identity).
    pub fn new() -> Self {
        Sequential::default()
    }

    /// Appends `layer`.
    pub fn push(mut self, layer: impl Module + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl fmt::Debug for Sequential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sequential")
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Var) -> Result<Var> {
        let mut y = x.clone();
        for layer in &self.layers {
            y = layer.forward(&y)?;
        }
        Ok(y)
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        for (i, layer) in self.layers.iter().enumerate() {
            visit_child(&i.to_string(), layer.as_ref(), visitor);
        }
    }
}
