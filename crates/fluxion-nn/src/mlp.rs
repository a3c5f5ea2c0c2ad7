//! The multilayer perceptron: linear layers with an activation between them.

use fluxion_autodiff::Var;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device};

use crate::init;
use crate::{visit_child, Activation, Error, Linear, Module, Result};

/// How [`Mlp`] draws its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightInit {
    /// PyTorch's `nn.Linear` default: W and b uniform in ±1/√fan_in.
    #[default]
    TorchDefault,
    /// Glorot & Bengio (2010) uniform, W ~ U(±√(6/(fan_in + fan_out))), zero biases.
    XavierUniform,
    /// Glorot & Bengio (2010) normal, W ~ N(0, 2/(fan_in + fan_out)), zero biases.
    XavierNormal,
    /// The same normal truncated at ±2σ (redrawn beyond), zero biases — TensorFlow 1's
    /// `truncated_normal`, the initialisation of Raissi et al.'s PINN code.
    XavierTruncatedNormal,
    /// Saxe et al. (2014) orthogonal W, zero biases.
    Orthogonal,
}

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
    init: WeightInit,
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
            init: WeightInit::TorchDefault,
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

    /// How weights are drawn ([`WeightInit::TorchDefault`] unless set).
    pub fn init(mut self, init: WeightInit) -> Self {
        self.init = init;
        self
    }

    fn layer(&self, fan_in: usize, fan_out: usize, gen: &mut Generator) -> Result<Linear> {
        let (dt, dev) = (self.dtype, &self.device);
        let shape = [fan_out, fan_in];
        let w = match self.init {
            WeightInit::TorchDefault => {
                return Linear::new(fan_in, fan_out, self.bias, dt, dev, gen)
            }
            WeightInit::XavierUniform => init::xavier_uniform(1.0, shape, dt, dev, gen)?,
            WeightInit::XavierNormal => init::xavier_normal(1.0, shape, dt, dev, gen)?,
            WeightInit::XavierTruncatedNormal => {
                init::xavier_truncated_normal(1.0, shape, dt, dev, gen)?
            }
            WeightInit::Orthogonal => init::orthogonal(1.0, shape, dt, dev, gen)?,
        };
        let b = if self.bias {
            Some(init::constant(0.0, [fan_out], dt, dev)?)
        } else {
            None
        };
        Linear::from_tensors(w, b)
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
            .map(|w| self.layer(w[0], w[1], &mut gen))
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
