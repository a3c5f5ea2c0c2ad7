//! Neural SDEs: `dy = f_θ(y) dt + g_φ(y) ∘dW` with networks as drift and diagonal diffusion
//! (Li, Wong, Chen & Duvenaud 2020; Kidger, Foster, Li & Lyons 2021; torchsde's examples).

use fluxion_autodiff::Var;
use fluxion_nn::Module;

use super::brownian::BrownianSource;
use super::problem::{NoiseType, SdeMethod, SdeSystem, SdeType};
use super::solve::{solve_sde, SdeOptions};
use crate::error::{invalid, Result};

/// A neural SDE with diagonal noise: drift `f(y)` and diffusion `g(y)` (elementwise on `dW`),
/// both networks `[.., d] → [.., d]`, solved over a batch of paths `[B, d]`.
///
/// ```
/// use fluxion_autodiff::Var;
/// use fluxion_diffeq::sde::{BrownianIncrements, NeuralSde};
/// use fluxion_nn::{Activation, Mlp};
/// use fluxion_tensor::{DType, Device, Tensor};
/// let f = Mlp::builder(&[2, 8, 2]).activation(Activation::Tanh).dtype(DType::F64).seed(1).build()?;
/// let g = Mlp::builder(&[2, 8, 2]).activation(Activation::Tanh).dtype(DType::F64).seed(2).build()?;
/// let sde = NeuralSde::new(f, g);
/// let y0 = Var::constant(Tensor::zeros([3, 2], DType::F64, &Device::Cpu)?);
/// let traj = sde.forward(&y0, &[0.0, 0.5, 1.0], 0.1, &BrownianIncrements::new(0, 3, 2))?;
/// assert_eq!(traj.dims(), vec![3, 3, 2]); // [T, B, d]
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NeuralSde<Mf, Mg> {
    drift: Mf,
    diffusion: Mg,
    sde_type: SdeType,
    method: SdeMethod,
}

impl<Mf: Module, Mg: Module> NeuralSde<Mf, Mg> {
    /// An Itô neural SDE solved by Euler–Maruyama.
    pub fn new(drift: Mf, diffusion: Mg) -> Self {
        NeuralSde {
            drift,
            diffusion,
            sde_type: SdeType::Ito,
            method: SdeMethod::EulerMaruyama,
        }
    }

    /// Itô or Stratonovich.
    pub fn sde_type(mut self, sde_type: SdeType) -> Self {
        self.sde_type = sde_type;
        self
    }

    /// The scheme (checked against the SDE type at solve time).
    pub fn method(mut self, method: SdeMethod) -> Self {
        self.method = method;
        self
    }

    /// Parameters of both networks (drift first).
    pub fn parameters(&self) -> Vec<Var> {
        let mut p = self.drift.parameters();
        p.extend(self.diffusion.parameters());
        p
    }

    /// The trajectory `[T, B, d]` at `ts` (strictly increasing, `ts[0]` the start) from
    /// `y0` (`[B, d]`) with steps `dt`, recorded for backpropagation.
    ///
    /// # Errors
    /// Unsorted or empty `ts`, an unsupported method, solver and network errors.
    pub fn forward<B: BrownianSource + ?Sized>(
        &self,
        y0: &Var,
        ts: &[f64],
        dt: f64,
        bm: &B,
    ) -> Result<Var> {
        if ts.len() < 2 {
            return Err(invalid("ts", "needs at least a start and an end time"));
        }
        let opts = SdeOptions::fixed(dt).t_eval(ts.to_vec());
        let sol = solve_sde(self.method, self, (ts[0], ts[ts.len() - 1]), y0, bm, &opts)?;
        Ok(Var::stack(&sol.ys.iter().collect::<Vec<_>>(), 0)?)
    }
}

impl<Mf: Module, Mg: Module> SdeSystem<Var> for NeuralSde<Mf, Mg> {
    fn noise_type(&self) -> NoiseType {
        NoiseType::Diagonal
    }

    fn sde_type(&self) -> SdeType {
        self.sde_type
    }

    fn drift(&self, _t: f64, y: &Var, out: &mut Var) -> Result<()> {
        *out = self.drift.forward(y)?;
        Ok(())
    }

    fn diffusion_prod(&self, _t: f64, y: &Var, v: &Var, out: &mut Var) -> Result<()> {
        *out = self.diffusion.forward(y)?.mul(v)?;
        Ok(())
    }
}
