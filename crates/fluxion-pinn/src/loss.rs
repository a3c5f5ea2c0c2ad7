//! The loss terms of a [`PinnProblem`] for a network: mean squares of residuals and of
//! condition mismatches.

use fluxion_autodiff::{no_grad, Var};
use fluxion_nn::Module;
use fluxion_tensor::{DType, Device};

use crate::condition::ConditionKind;
use crate::derivatives::jacobian;
use crate::geometry::Region;
use crate::problem::{PinnProblem, ResidualContext, TermBatch};
use crate::sampler::PointSet;
use crate::{Error, Result};

/// (1/N) Σ r², the MSE of r against zero.
fn mean_square(r: &Var) -> Result<Var> {
    Ok(r.square()?.mean_all()?)
}

fn select(u: &Var, component: Option<usize>) -> Result<Var> {
    Ok(match component {
        Some(c) if u.dims()[1] > 1 => u.narrow(1, c, 1)?,
        _ => u.clone(),
    })
}

impl PinnProblem {
    /// The residual components at x `[N, d]` (which must require a gradient).
    fn residual_at(&self, net: &dyn Module, x: &Var) -> Result<Vec<Var>> {
        let u = self.forward(net, x)?;
        let ctx = ResidualContext::new(&self.domain, x, &u)?;
        let r = (self.residual)(&ctx)?;
        if r.len() != self.residual_names.len() {
            return Err(Error::invalid(
                "residual",
                format!(
                    "the closure returned {} components but the problem names {} ({:?})",
                    r.len(),
                    self.residual_names.len(),
                    self.residual_names
                ),
            ));
        }
        let n = x.dims()[0];
        for (k, rk) in r.iter().enumerate() {
            if rk.elem_count() != n {
                return Err(Error::invalid(
                    "residual",
                    format!(
                        "component {k} has shape {:?}, expected N = {n} values",
                        rk.dims()
                    ),
                ));
            }
        }
        Ok(r)
    }

    /// One mean-square term per residual component on `batch`.
    pub(crate) fn residual_losses(&self, net: &dyn Module, batch: &TermBatch) -> Result<Vec<Var>> {
        let x = Var::leaf(batch.x.clone());
        self.residual_at(net, &x)?.iter().map(mean_square).collect()
    }

    /// The mean-square mismatch of condition `k` on `batch`.
    pub(crate) fn condition_loss(
        &self,
        net: &dyn Module,
        k: usize,
        batch: &TermBatch,
    ) -> Result<Var> {
        let c = &self.conditions[k];
        let target = || {
            batch
                .target
                .as_ref()
                .ok_or_else(|| Error::invalid("condition_loss", "missing target"))
        };
        match &c.kind {
            ConditionKind::Initial(_)
            | ConditionKind::Dirichlet(_)
            | ConditionKind::Data { .. } => {
                let x = Var::constant(batch.x.clone());
                let u = select(&self.forward(net, &x)?, c.component)?;
                mean_square(&u.sub(target()?)?)
            }
            ConditionKind::Neumann(_) => {
                let x = Var::leaf(batch.x.clone());
                let u = select(&self.forward(net, &x)?, c.component)?;
                let normals = batch.normals.as_ref().ok_or_else(|| {
                    Error::invalid("condition_loss", "Neumann points lack normals")
                })?;
                let nv = Var::constant(normals.clone());
                let cols = jacobian(&u, &x)?
                    .iter()
                    .map(|j| j.mul(&nv)?.sum(&[1], true))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let refs: Vec<&Var> = cols.iter().collect();
                let dn = if refs.len() == 1 {
                    cols[0].clone()
                } else {
                    Var::concat(&refs, 1)?
                };
                mean_square(&dn.sub(target()?)?)
            }
            ConditionKind::Periodic { derivative, .. } => {
                let Region::Face { axis, .. } = c.region else {
                    return Err(Error::invalid(
                        "condition_loss",
                        "periodic term without a face",
                    ));
                };
                let x_hi = batch.x_hi.as_ref().ok_or_else(|| {
                    Error::invalid("condition_loss", "periodic term lacks points")
                })?;
                let make = |t: &fluxion_tensor::Tensor| {
                    if *derivative {
                        Var::leaf(t.clone())
                    } else {
                        Var::constant(t.clone())
                    }
                };
                let (xl, xh) = (make(&batch.x), make(x_hi));
                let ul = select(&self.forward(net, &xl)?, c.component)?;
                let uh = select(&self.forward(net, &xh)?, c.component)?;
                let mut loss = mean_square(&ul.sub(&uh)?)?;
                if *derivative {
                    let dl: Vec<Var> = jacobian(&ul, &xl)?;
                    let dh: Vec<Var> = jacobian(&uh, &xh)?;
                    for (a, b) in dl.iter().zip(&dh) {
                        let diff = a.narrow(1, axis, 1)?.sub(&b.narrow(1, axis, 1)?)?;
                        loss = loss.add(&mean_square(&diff)?)?;
                    }
                }
                Ok(loss)
            }
        }
    }

    /// |r(x)| at each point, the Euclidean norm over the residual's components (for
    /// residual-based refinement and diagnostics). Parameters are not differentiated.
    ///
    /// # Errors
    /// Errors of the residual closure and the network.
    pub fn residual_magnitude(
        &self,
        net: &dyn Module,
        points: &PointSet,
        dtype: DType,
        device: &Device,
    ) -> Result<Vec<f64>> {
        let x = Var::leaf(points.to_tensor(dtype, device)?);
        let r = self.residual_at(net, &x)?;
        let mut sq = vec![0.0f64; points.len()];
        for rk in &r {
            let v = rk.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?;
            sq.iter_mut().zip(v).for_each(|(s, x)| *s += x * x);
        }
        Ok(sq.into_iter().map(f64::sqrt).collect())
    }

    /// u at `points` without recording, row-major `[N, m]` in f64.
    ///
    /// # Errors
    /// Errors of the network.
    pub fn predict(
        &self,
        net: &dyn Module,
        points: &PointSet,
        dtype: DType,
        device: &Device,
    ) -> Result<Vec<f64>> {
        let x = Var::constant(points.to_tensor(dtype, device)?);
        let u = no_grad(|| self.forward(net, &x))?;
        Ok(u.tensor().to_dtype(DType::F64)?.to_vec::<f64>()?)
    }
}
