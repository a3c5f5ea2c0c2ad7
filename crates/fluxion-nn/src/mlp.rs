//! The multilayer perceptron: linear layers with an activation between them.

use fluxion_autodiff::Var;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device};

use crate::{visit_child, Activation, Error, Linear, Module, Result};

/// Linear layers of the given widths with `activation` after each but the last (and an
/// optional `output_activation` after the last). Parameters are named `layers.{i}.weight` and
/// `layers.{i}.bias`, i counting linear layers.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_nn::{Activation, Mlp, Module};
/// use fluxion_tensor::{DType, Device, Tensor};
/// // The PINN tutorial network: 1-50-50-50-1 with LeakyReLU.
/// let net = Mlp::builder(&[1, 50, 50, 50, 1]).activation(Activation::LeakyRelu(0.01)).seed(0).build()?;
/// assert_eq!(net.parameter_count(), 2 * 50 + 2 * (50 * 50 + 50) + 51);
/// let t = Var::constant(Tensor::linspace(0.0, 5.0, 501, DType::F32, &Device::Cpu)?.reshape([501, 1])?);
/// assert_eq!(net.forward(&t)?.dims(), vec![501, 1]);
/// # Ok::<(), fluxion_nn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
    output_activation: Activation,
}

/// Settings for [`Mlp`]; start from [`Mlp::builder`].
#[derive(Debug, Clone)]
pub struct MlpBuilder {
    widths: Vec<usize>,
    activation: Activation,
    output_activation: Activation,
    bias: bool,
    dtype: DType,
    device: Device,
    seed: u64,
}

impl Mlp {
    /// A builder for widths `[in, hidden…, out]`; defaults: tanh, no output activation,
    /// biases, f32 on the CPU, seed 0, PyTorch's default initialisation.
    pub fn builder(widths: &[usize]) -> MlpBuilder {
        MlpBuilder {
            widths: widths.to_vec(),
            activation: Activation::Tanh,
            output_activation: Activation::Identity,
            bias: true,
            dtype: DType::F32,
            device: Device::Cpu,
            seed: 0,
        }
    }

    /// The linear layers.
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl MlpBuilder {
    /// Activation between layers.
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }

    /// Activation after the last layer (identity by default).
    pub fn output_activation(mut self, a: Activation) -> Self {
        self.output_activation = a;
        self
    }

    /// Whether layers have biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Parameter dtype.
    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    /// Parameter device.
    pub fn device(mut self, device: &Device) -> Self {
        self.device = device.clone();
        self
    }

    /// Seed of the initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Draws the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for fewer than two widths or a zero width.
    pub fn build(self) -> Result<Mlp> {
        if self.widths.len() < 2 || self.widths.contains(&0) {
            return Err(Error::InvalidArgument {
                what: "Mlp",
                reason: format!(
                    "needs at least an input and an output width, all positive; got {:?}",
                    self.widths
                ),
            });
        }
        let mut gen = Generator::new(self.seed);
        let layers = self
            .widths
            .windows(2)
            .map(|w| Linear::new(w[0], w[1], self.bias, self.dtype, &self.device, &mut gen))
            .collect::<Result<Vec<_>>>()?;
        Ok(Mlp {
            layers,
            activation: self.activation,
            output_activation: self.output_activation,
        })
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Var) -> Result<Var> {
        let last = self.layers.len() - 1;
        let mut y = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            y = layer.forward(&y)?;
            y = if i < last {
                self.activation.apply(&y)?
            } else {
                self.output_activation.apply(&y)?
            };
        }
        Ok(y)
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        for (i, layer) in self.layers.iter().enumerate() {
            visit_child(&format!("layers.{i}"), layer, visitor);
        }
    }
}
