//! Neural ordinary differential equations: `y' = f_θ(y)` with a network as the vector field.
//!
//! Chen, Rubanova, Bettencourt & Duvenaud (2018), "Neural Ordinary Differential Equations",
//! NeurIPS; the reference code is torchdiffeq's `odeint` / `odeint_adjoint`. Gradients come
//! either by backpropagation through the solver's recorded operations
//! ([`GradientMode::Backprop`], exact for the discretisation, memory O(steps)) or by the
//! continuous adjoint with checkpoints ([`GradientMode::Adjoint`], see
//! [`odeint_adjoint`](crate::odeint_adjoint)).

use fluxion_autodiff::Var;
use fluxion_nn::Module;

use crate::adjoint::{odeint_adjoint, AdjointOptions};
use crate::error::{invalid, Result};
use crate::options::{Options, SaveAt};
use crate::solve::solve;
use crate::tableau::Method;

/// How [`NeuralOde::loss_backward`] obtains parameter gradients.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum GradientMode {
    /// Backpropagate through every recorded solver operation (torchdiffeq's `odeint`).
    #[default]
    Backprop,
    /// Continuous adjoint with interpolating checkpoints (torchdiffeq's `odeint_adjoint`).
    Adjoint,
}

/// A neural ODE `y' = net(y)` (or `net(y³)`, as in torchdiffeq's spiral demo) solved by an
/// explicit Runge–Kutta method.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_diffeq::NeuralOde;
/// use fluxion_nn::{Activation, Mlp};
/// use fluxion_tensor::{DType, Device, Tensor};
/// let net = Mlp::builder(&[2, 16, 2]).activation(Activation::Tanh).dtype(DType::F64).build()?;
/// let node = NeuralOde::new(net).cube_input(true);
/// let y0 = Var::constant(Tensor::from_vec(vec![2.0f64, 0.0, 1.0, 1.0], [2, 2], &Device::Cpu)?);
/// let traj = node.forward(&y0, &[0.0, 0.5, 1.0])?;
/// assert_eq!(traj.dims(), vec![3, 2, 2]); // [T, B, D]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NeuralOde<M> {
    net: M,
    cube_input: bool,
    method: Method,
    options: Options,
    mode: GradientMode,
    adjoint: AdjointOptions,
}

impl<M: Module> NeuralOde<M> {
    /// `y' = net(y)` with Dopri5 at torchdiffeq's default tolerances (rtol 1e-7, atol 1e-9),
    /// gradients by backpropagation.
    pub fn new(net: M) -> Self {
        NeuralOde {
            net,
            cube_input: false,
            method: Method::Dopri5,
            options: Options::adaptive(1e-7, 1e-9),
            mode: GradientMode::Backprop,
            adjoint: AdjointOptions::new(1e-7, 1e-9),
        }
    }

    /// Apply the network to `y³` (elementwise) instead of `y`.
    pub fn cube_input(mut self, on: bool) -> Self {
        self.cube_input = on;
        self
    }

    /// The Runge–Kutta method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Scalar tolerances of the forward solve and of the adjoint solve.
    pub fn tolerances(mut self, rtol: f64, atol: f64) -> Self {
        self.options = Options {
            rtol: rtol.into(),
            atol: atol.into(),
            ..self.options
        };
        self.adjoint.forward = self.options.clone();
        self.adjoint.backward = self.options.clone();
        self
    }

    /// How gradients are computed.
    pub fn gradient_mode(mut self, mode: GradientMode) -> Self {
        self.mode = mode;
        self
    }

    /// Options of the adjoint mode (seminorm, extra checkpoints, backward tolerances).
    pub fn adjoint_options(mut self, opts: AdjointOptions) -> Self {
        self.adjoint = opts;
        self
    }

    /// The vector-field network.
    pub fn net(&self) -> &M {
        &self.net
    }

    /// The network's parameters.
    pub fn parameters(&self) -> Vec<Var> {
        self.net.parameters()
    }

    /// The vector field `net(y)` or `net(y³)`.
    ///
    /// # Errors
    /// Errors from the network.
    pub fn vector_field(&self, y: &Var) -> Result<Var> {
        let x = if self.cube_input {
            y.mul(y)?.mul(y)?
        } else {
            y.clone()
        };
        Ok(self.net.forward(&x)?)
    }

    fn check_ts(ts: &[f64]) -> Result<()> {
        if ts.is_empty()
            || ts
                .windows(2)
                .any(|w| w[1].partial_cmp(&w[0]).is_none() || w[1] <= w[0])
        {
            return Err(invalid("ts", "needs strictly increasing, finite times"));
        }
        Ok(())
    }

    /// The trajectory `[T, B, D]` from `y(ts[0]) = y0` (`[B, D]`) at the times `ts`.
    ///
    /// In [`GradientMode::Backprop`] the result is recorded through the solver, so `backward`
    /// on a loss of it reaches the parameters and `y0`. In [`GradientMode::Adjoint`] the
    /// trajectory is returned without a graph; train with [`NeuralOde::loss_backward`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for unsorted `ts`; solver and
    /// network errors.
    pub fn forward(&self, y0: &Var, ts: &[f64]) -> Result<Var> {
        Self::check_ts(ts)?;
        match self.mode {
            GradientMode::Backprop => {
                let opts = self.options.clone().save(SaveAt::Times(ts.to_vec()));
                let sol = solve(
                    self.method,
                    |_t, y: &Var, dy: &mut Var| {
                        *dy = self.vector_field(y)?;
                        Ok(())
                    },
                    (ts[0], ts[ts.len() - 1]),
                    y0,
                    &opts,
                )?;
                Ok(Var::stack(&sol.ys.iter().collect::<Vec<_>>(), 0)?)
            }
            GradientMode::Adjoint => {
                if ts.len() == 1 {
                    return Ok(Var::constant(y0.tensor().unsqueeze(0)?));
                }
                let params = self.parameters();
                let f = |_t: f64, y: &Var, _p: &[Var]| self.vector_field(y);
                let sol = odeint_adjoint(self.method, f, &params, &y0.tensor(), ts, &self.adjoint)?;
                Ok(Var::constant(sol.trajectory()?))
            }
        }
    }

    /// One training evaluation: the trajectory from `y0` at `ts`, `loss(trajectory)`, and the
    /// gradients of the loss accumulated into the parameters' `.grad` (and into `y0` when it
    /// requires a gradient), by the configured [`GradientMode`]. Returns the loss value.
    ///
    /// In adjoint mode the loss is backpropagated to the trajectory only, and
    /// `∂L/∂y(t_i)` seeds the adjoint pass.
    ///
    /// # Errors
    /// As [`NeuralOde::forward`], plus errors from `loss` and from the backward pass.
    pub fn loss_backward(
        &self,
        y0: &Var,
        ts: &[f64],
        loss: impl FnOnce(&Var) -> Result<Var>,
    ) -> Result<f64> {
        Self::check_ts(ts)?;
        let value = match self.mode {
            GradientMode::Backprop => {
                let l = loss(&self.forward(y0, ts)?)?;
                l.backward()?;
                l
            }
            GradientMode::Adjoint if ts.len() < 2 => {
                return Err(invalid("ts", "the adjoint mode needs at least two times"));
            }
            GradientMode::Adjoint => {
                let params = self.parameters();
                let f = |_t: f64, y: &Var, _p: &[Var]| self.vector_field(y);
                let sol = odeint_adjoint(self.method, f, &params, &y0.tensor(), ts, &self.adjoint)?;
                let pred = Var::leaf(sol.trajectory()?);
                let l = loss(&pred)?;
                l.backward()?;
                let dl = match pred.grad() {
                    Some(g) => g,
                    None => pred.tensor().zeros_like()?,
                };
                let dl_dy = (0..ts.len())
                    .map(|i| dl.narrow(0, i, 1)?.squeeze(0))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let g = sol.backward(&dl_dy)?;
                if y0.requires_grad() {
                    y0.backward_with(Some(&g.y0), false)?;
                }
                l
            }
        };
        Ok(value
            .tensor()
            .to_dtype(fluxion_tensor::DType::F64)?
            .to_scalar::<f64>()?)
    }
}
