//! Elementwise activation functions as a module.

use std::fmt;
use std::str::FromStr;

use fluxion_autodiff::Var;

use crate::{Error, Module, Result};

/// An activation function, usable as a parameter-free [`Module`] and parsed from config
/// names (`tanh`, `relu`, `leaky_relu` or `leaky_relu:0.2`, `gelu`, `gelu_tanh`, `softplus`,
/// `sin`, `sigmoid`, `silu`, `identity`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// tanh x
    Tanh,
    /// max(x, 0)
    Relu,
    /// x for x > 0, slope·x otherwise (PyTorch's default slope is 0.01).
    LeakyRelu(f64),
    /// ½x(1 + erf(x/√2)), PyTorch's default `GELU`.
    Gelu,
    /// The tanh approximation of GELU (`GELU(approximate="tanh")`).
    GeluTanh,
    /// ln(1 + eˣ) (linear above 20).
    Softplus,
    /// sin x (SIREN-style networks, periodic PINNs).
    Sin,
    /// 1/(1 + e⁻ˣ)
    Sigmoid,
    /// x·σ(x)
    Silu,
    /// x
    Identity,
}

impl Activation {
    /// Applies the function.
    ///
    /// # Errors
    /// Tensor errors (integer dtypes).
    pub fn apply(self, x: &Var) -> Result<Var> {
        Ok(match self {
            Activation::Tanh => x.tanh()?,
            Activation::Relu => x.relu()?,
            Activation::LeakyRelu(s) => x.leaky_relu(s)?,
            Activation::Gelu => x.gelu_erf()?,
            Activation::GeluTanh => x.gelu_tanh()?,
            Activation::Softplus => x.softplus()?,
            Activation::Sin => x.sin()?,
            Activation::Sigmoid => x.sigmoid()?,
            Activation::Silu => x.silu()?,
            Activation::Identity => x.clone(),
        })
    }
}

impl Module for Activation {
    fn forward(&self, x: &Var) -> Result<Var> {
        self.apply(x)
    }

    fn visit_parameters(&self, _: &mut dyn FnMut(&str, &Var)) {}
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Tanh => f.write_str("tanh"),
            Activation::Relu => f.write_str("relu"),
            Activation::LeakyRelu(s) => write!(f, "leaky_relu:{s}"),
            Activation::Gelu => f.write_str("gelu"),
            Activation::GeluTanh => f.write_str("gelu_tanh"),
            Activation::Softplus => f.write_str("softplus"),
            Activation::Sin => f.write_str("sin"),
            Activation::Sigmoid => f.write_str("sigmoid"),
            Activation::Silu => f.write_str("silu"),
            Activation::Identity => f.write_str("identity"),
        }
    }
}

impl FromStr for Activation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let bad = |reason: String| Error::InvalidArgument {
            what: "activation",
            reason,
        };
        let act = match name.trim().to_ascii_lowercase().as_str() {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky_relu" | "leakyrelu" => {
                let slope = match arg {
                    Some(a) => a
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| bad(format!("{s:?}: slope {a:?} is not a number")))?,
                    None => 0.01,
                };
                return Ok(Activation::LeakyRelu(slope));
            }
            "gelu" => Activation::Gelu,
            "gelu_tanh" => Activation::GeluTanh,
            "softplus" => Activation::Softplus,
            "sin" => Activation::Sin,
            "sigmoid" => Activation::Sigmoid,
            "silu" | "swish" => Activation::Silu,
            "identity" | "linear" | "none" => Activation::Identity,
            _ => {
                return Err(bad(format!(
                    "unknown activation {s:?}; expected tanh, relu, leaky_relu[:slope], gelu, \
                     gelu_tanh, softplus, sin, sigmoid, silu or identity"
                )))
            }
        };
        if let Some(a) = arg {
            return Err(bad(format!("{name} takes no parameter, got {a:?}")));
        }
        Ok(act)
    }
}
