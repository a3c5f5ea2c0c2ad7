//! The PINN problem: a domain, a residual closure, conditions, input scaling and an optional
//! hard-constraint output transform — and the loss terms they define for a network.
//!
//! The loss is Σᵢ wᵢ·MSEᵢ over the terms: the residual's components first (named by
//! [`PinnProblemBuilder::residual_names`], `"pde"` by default), then the conditions in the
//! order they were added.
//!
//! ```
//! use fluxion_pinn::{Condition, Domain, PinnProblem, SamplerConfig, Side, Target};
//! // dy/dt + y = 0, y(0) = 1 on [0, 5].
//! let domain = Domain::interval("t", 0.0, 5.0)?;
//! let y0 = domain.face("t", Side::Lo)?;
//! let problem = PinnProblem::builder(domain, 1)
//!     .residual(501, SamplerConfig::JitteredGrid { sigma: 0.1, counts: None }, |ctx| {
//!         Ok(vec![ctx.d(0)?.add(ctx.u())?])
//!     })
//!     .condition(Condition::dirichlet("y0", y0, Target::constant(1.0)).points(1))
//!     .build()?;
//! assert_eq!(problem.term_names(), vec!["pde", "y0"]);
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use std::fmt;
use std::sync::Arc;

use fluxion_autodiff::Var;
use fluxion_nn::Module;
use fluxion_tensor::{DType, Device, Tensor};

use crate::condition::{Condition, ConditionKind};
use crate::derivatives::Derivatives;
use crate::geometry::{Domain, Region, Side};
use crate::sampler::{PointSet, SamplerConfig};
use crate::{Error, Result};

/// The residual closure: the PDE's residual components at the context's points.
pub type ResidualFn = Arc<dyn Fn(&ResidualContext) -> Result<Vec<Var>> + Send + Sync>;
/// A hard-constraint output transform (x, network output) ↦ u.
pub type OutputTransform = Arc<dyn Fn(&Var, &Var) -> Result<Var> + Send + Sync>;

/// What a residual closure sees: the points x `[N, d]` (requiring a gradient, in the domain's
/// coordinates), u `[N, m]` (after the output transform) and cached derivatives of u.
#[derive(Debug)]
pub struct ResidualContext<'a> {
    domain: &'a Domain,
    derivs: Derivatives,
}

impl<'a> ResidualContext<'a> {
    /// A context for x and u (for tests and custom losses).
    ///
    /// # Errors
    /// As [`Derivatives::new`].
    pub fn new(domain: &'a Domain, x: &Var, u: &Var) -> Result<ResidualContext<'a>> {
        Ok(ResidualContext {
            domain,
            derivs: Derivatives::new(u, x)?,
        })
    }

    /// The points `[N, d]`.
    pub fn x(&self) -> &Var {
        self.derivs.x()
    }

    /// Column `i` of x, `[N, 1]`.
    ///
    /// # Errors
    /// For `i` ≥ d.
    pub fn coord(&self, i: usize) -> Result<Var> {
        Ok(self.x().narrow(1, i, 1)?)
    }

    /// The column of axis `name`, `[N, 1]`.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn coord_name(&self, name: &str) -> Result<Var> {
        self.coord(self.domain.axis_index(name)?)
    }

    /// u `[N, m]`.
    pub fn u(&self) -> &Var {
        self.derivs.u()
    }

    /// Component `c` of u, `[N, 1]`.
    ///
    /// # Errors
    /// For `c` ≥ m.
    pub fn u_c(&self, c: usize) -> Result<Var> {
        Ok(self.u().narrow(1, c, 1)?)
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        self.domain
    }

    /// The derivative cache (for multi-component outputs).
    pub fn derivatives(&self) -> &Derivatives {
        &self.derivs
    }

    /// ∂u/∂xᵢ of component 0, `[N, 1]`.
    ///
    /// # Errors
    /// For `i` ≥ d; autodiff errors.
    pub fn d(&self, i: usize) -> Result<Var> {
        self.derivs.d(0, i)
    }

    /// ∂²u/∂xᵢ∂xⱼ of component 0, `[N, 1]`.
    ///
    /// # Errors
    /// As [`ResidualContext::d`].
    pub fn d2(&self, i: usize, j: usize) -> Result<Var> {
        self.derivs.d2(0, i, j)
    }

    /// The spatial Laplacian (all non-time axes) of component 0, `[N, 1]`.
    ///
    /// # Errors
    /// On a domain without spatial axes; autodiff errors.
    pub fn laplacian(&self) -> Result<Var> {
        self.derivs.laplacian(0, &self.domain.spatial_axes())
    }

    /// ∂u/∂(axis `name`) of component 0.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn d_name(&self, name: &str) -> Result<Var> {
        self.d(self.domain.axis_index(name)?)
    }

    /// ∂²u/∂a∂b of component 0 by axis names.
    ///
    /// # Errors
    /// For an unknown name.
    pub fn d2_name(&self, a: &str, b: &str) -> Result<Var> {
        self.d2(self.domain.axis_index(a)?, self.domain.axis_index(b)?)
    }
}

/// A PINN problem; build with [`PinnProblem::builder`].
#[derive(Clone)]
pub struct PinnProblem {
    pub(crate) domain: Domain,
    pub(crate) outputs: usize,
    pub(crate) residual: ResidualFn,
    pub(crate) residual_names: Vec<String>,
    pub(crate) residual_points: usize,
    pub(crate) residual_sampler: SamplerConfig,
    pub(crate) residual_fixed: Option<PointSet>,
    pub(crate) residual_weight: f64,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) scale_inputs: bool,
    pub(crate) transform: Option<OutputTransform>,
}

impl fmt::Debug for PinnProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnProblem")
            .field("domain", &self.domain)
            .field("terms", &self.term_names())
            .field("scale_inputs", &self.scale_inputs)
            .field("output_transform", &self.transform.is_some())
            .finish()
    }
}

/// Settings of a [`PinnProblem`] under construction.
pub struct PinnProblemBuilder {
    problem: PinnProblem,
    has_residual: bool,
}

impl fmt::Debug for PinnProblemBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl PinnProblem {
    /// A builder for a network with `outputs` components on `domain`.
    pub fn builder(domain: Domain, outputs: usize) -> PinnProblemBuilder {
        PinnProblemBuilder {
            problem: PinnProblem {
                domain,
                outputs,
                residual: Arc::new(|_| Ok(Vec::new())),
                residual_names: vec!["pde".to_string()],
                residual_points: 1000,
                residual_sampler: SamplerConfig::Random,
                residual_fixed: None,
                residual_weight: 1.0,
                conditions: Vec::new(),
                scale_inputs: false,
                transform: None,
            },
            has_residual: false,
        }
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// Output components m.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The conditions, in order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The points added to every draw of the residual's points
    /// ([`PinnProblemBuilder::residual_fixed_points`]).
    pub fn residual_fixed_points(&self) -> Option<&PointSet> {
        self.residual_fixed.as_ref()
    }

    /// Loss term names: residual components, then conditions.
    pub fn term_names(&self) -> Vec<String> {
        let mut names = self.residual_names.clone();
        names.extend(self.conditions.iter().map(|c| c.name.clone()));
        names
    }

    /// Static weights, one per term.
    pub fn static_weights(&self) -> Vec<f64> {
        let mut w = vec![self.residual_weight; self.residual_names.len()];
        w.extend(self.conditions.iter().map(|c| c.weight));
        w
    }

    /// The network applied to x `[N, d]` with input scaling and the output transform: u `[N, m]`.
    ///
    /// # Errors
    /// When the network's output is not `[N, m]`; errors of the network and the transform.
    pub fn forward(&self, net: &dyn Module, x: &Var) -> Result<Var> {
        let input = if self.scale_inputs {
            let (lo, hi) = (self.domain.lo(), self.domain.hi());
            let d = lo.len();
            let (dt, dev) = (x.dtype(), x.device());
            if d == 1 {
                let h = 0.5 * (hi[0] - lo[0]);
                x.affine(1.0 / h, -(lo[0] + h) / h)?
            } else {
                let mid: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
                let inv: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 2.0 / (b - a)).collect();
                let mid = Var::constant(Tensor::from_vec(mid, [1, d], &dev)?.to_dtype(dt)?);
                let inv = Var::constant(Tensor::from_vec(inv, [1, d], &dev)?.to_dtype(dt)?);
                x.sub(&mid)?.mul(&inv)?
            }
        } else {
            x.clone()
        };
        let mut u = net.forward(&input)?;
        if let Some(t) = &self.transform {
            u = t(x, &u)?;
        }
        let n = x.dims()[0];
        if u.dims() != [n, self.outputs] {
            return Err(Error::invalid(
                "PinnProblem::forward",
                format!(
                    "expected u of shape [{n}, {}], got {:?}",
                    self.outputs,
                    u.dims()
                ),
            ));
        }
        Ok(u)
    }
}

impl PinnProblemBuilder {
    /// The residual on `points` interior points from `sampler`: `f` returns the residual
    /// components (each `[N, 1]` or `[N]`), each fitted to zero in mean square.
    pub fn residual(
        mut self,
        points: usize,
        sampler: SamplerConfig,
        f: impl Fn(&ResidualContext) -> Result<Vec<Var>> + Send + Sync + 'static,
    ) -> Self {
        self.problem.residual = Arc::new(f);
        self.problem.residual_points = points;
        self.problem.residual_sampler = sampler;
        self.has_residual = true;
        self
    }

    /// Points added to every draw of the residual's points (after the sampled ones), e.g. the
    /// data points, as Raissi et al.'s code does (`X_f = vstack(X_f, X_u)`). The residual
    /// term then has `points + fixed.len()` points.
    pub fn residual_fixed_points(mut self, fixed: PointSet) -> Self {
        self.problem.residual_fixed = Some(fixed);
        self
    }

    /// Names of the residual's components (one term each; default `["pde"]`). The closure
    /// must return exactly this many.
    pub fn residual_names(mut self, names: &[&str]) -> Self {
        self.problem.residual_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Static weight of every residual term (default 1).
    pub fn residual_weight(mut self, w: f64) -> Self {
        self.problem.residual_weight = w;
        self
    }

    /// Adds a condition term.
    pub fn condition(mut self, c: Condition) -> Self {
        self.problem.conditions.push(c);
        self
    }

    /// Feed the network x mapped affinely from each axis's [lo, hi] to [−1, 1] (Raissi et
    /// al. 2019). Derivatives in the residual stay with respect to the unscaled x.
    pub fn scale_inputs(mut self, on: bool) -> Self {
        self.problem.scale_inputs = on;
        self
    }

    /// A hard constraint: u = t(x, N(x)) (e.g. u = 1 + t·N for u(0) = 1, Lagaris et al.).
    pub fn output_transform(
        mut self,
        t: impl Fn(&Var, &Var) -> Result<Var> + Send + Sync + 'static,
    ) -> Self {
        self.problem.transform = Some(Arc::new(t));
        self
    }

    /// Checks and returns the problem.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero outputs, no residual, zero points, a negative or
    /// non-finite weight, duplicate term names, a condition region the domain lacks, a
    /// Neumann condition off the boundary, a periodic axis that does not exist, a component
    /// out of range, data of the wrong width, or a bad sampler setting.
    pub fn build(mut self) -> Result<PinnProblem> {
        let p = &mut self.problem;
        let what = "PinnProblem::build";
        if p.outputs == 0 {
            return Err(Error::invalid(
                what,
                "the network needs at least one output",
            ));
        }
        if !self.has_residual {
            return Err(Error::invalid(
                what,
                "no residual given; call .residual(..)",
            ));
        }
        if p.residual_points == 0 || p.residual_names.is_empty() {
            return Err(Error::invalid(
                what,
                "the residual needs ≥ 1 point and ≥ 1 name",
            ));
        }
        p.residual_sampler.validate()?;
        if let Some(fixed) = &p.residual_fixed {
            if fixed.dim() != p.domain.dim() {
                return Err(Error::invalid(
                    what,
                    format!(
                        "the residual's fixed points have {} coordinates, the domain {}",
                        fixed.dim(),
                        p.domain.dim()
                    ),
                ));
            }
        }
        check_weight(what, "residual", p.residual_weight)?;
        let mut names = p.residual_names.clone();
        for c in &mut p.conditions {
            if names.contains(&c.name) {
                return Err(Error::invalid(
                    what,
                    format!("term name {:?} given twice", c.name),
                ));
            }
            names.push(c.name.clone());
            resolve_condition(&p.domain, p.outputs, c)?;
        }
        Ok(self.problem)
    }
}

fn check_weight(what: &'static str, name: &str, w: f64) -> Result<()> {
    if !(w.is_finite() && w >= 0.0) {
        return Err(Error::invalid(
            what,
            format!("term {name:?}: weight must be finite and ≥ 0, got {w}"),
        ));
    }
    Ok(())
}

/// Checks a condition against the domain and fixes a periodic condition's region.
fn resolve_condition(domain: &Domain, outputs: usize, c: &mut Condition) -> Result<()> {
    let what = "PinnProblem::build";
    let name = c.name.clone();
    check_weight(what, &name, c.weight)?;
    c.sampler.validate()?;
    if c.points == 0 {
        return Err(Error::invalid(
            what,
            format!("term {name:?} needs ≥ 1 point"),
        ));
    }
    let width = match c.component {
        Some(k) if k >= outputs => {
            return Err(Error::invalid(
                what,
                format!("term {name:?}: component {k} out of range for {outputs} outputs"),
            ))
        }
        Some(_) => 1,
        None => outputs,
    };
    let target_width = match &c.kind {
        ConditionKind::Initial(g) | ConditionKind::Dirichlet(g) | ConditionKind::Neumann(g) => {
            g.width()
        }
        ConditionKind::Data { points, values } => {
            if points.dim() != domain.dim() {
                return Err(Error::invalid(
                    what,
                    format!(
                        "term {name:?}: {}-D points in a {}-D domain",
                        points.dim(),
                        domain.dim()
                    ),
                ));
            }
            Some(values.len() / points.len())
        }
        ConditionKind::Periodic { axis, .. } => {
            c.region = Region::Face {
                axis: domain.axis_index(axis)?,
                side: Side::Lo,
            };
            None
        }
    };
    if let Some(tw) = target_width {
        if tw != width {
            return Err(Error::invalid(
                what,
                format!("term {name:?}: the target gives {tw} values per point, the term constrains {width}"),
            ));
        }
    }
    if let ConditionKind::Neumann(_) = c.kind {
        if !matches!(c.region, Region::Face { .. } | Region::SpatialBoundary) {
            return Err(Error::invalid(
                what,
                format!("term {name:?}: a Neumann condition needs a face or the spatial boundary"),
            ));
        }
    }
    domain.check_region(&c.region)
}

/// A term's points for one epoch as tensors, with their targets.
#[derive(Debug, Clone)]
pub(crate) struct TermBatch {
    pub(crate) x: Tensor,
    /// Periodic partner points (the upper face).
    pub(crate) x_hi: Option<Tensor>,
    pub(crate) normals: Option<Tensor>,
    pub(crate) target: Option<Var>,
}

impl PinnProblem {
    /// The points of condition `k` for one epoch, drawn from its sampler (or its data).
    pub(crate) fn condition_points(&self, k: usize, seed: u64, epoch: u64) -> Result<PointSet> {
        let c = &self.conditions[k];
        match &c.kind {
            ConditionKind::Data { points, .. } => Ok(points.clone()),
            _ => c
                .sampler
                .sample(&self.domain, &c.region, c.points, seed, epoch),
        }
    }

    /// Tensors for condition `k` at `points`.
    pub(crate) fn condition_batch(
        &self,
        k: usize,
        points: PointSet,
        dtype: DType,
        device: &Device,
    ) -> Result<TermBatch> {
        let c = &self.conditions[k];
        let width = if c.component.is_some() {
            1
        } else {
            self.outputs
        };
        let n = points.len();
        let target_vals = match &c.kind {
            ConditionKind::Initial(g) | ConditionKind::Dirichlet(g) | ConditionKind::Neumann(g) => {
                Some(g.eval_all(&points, width))
            }
            ConditionKind::Data { values, .. } => Some(values.clone()),
            ConditionKind::Periodic { .. } => None,
        };
        let target = target_vals
            .map(|v| -> Result<Var> {
                Ok(Var::constant(
                    Tensor::from_vec(v, [n, width], device)?.to_dtype(dtype)?,
                ))
            })
            .transpose()?;
        let x_hi = match (&c.kind, &c.region) {
            (ConditionKind::Periodic { .. }, Region::Face { axis, .. }) => {
                let hi = self.domain.axes()[*axis].hi;
                let mut coords = points.coords().to_vec();
                coords
                    .chunks_exact_mut(points.dim())
                    .for_each(|r| r[*axis] = hi);
                Some(PointSet::new(points.dim(), coords, None)?.to_tensor(dtype, device)?)
            }
            _ => None,
        };
        Ok(TermBatch {
            x: points.to_tensor(dtype, device)?,
            normals: points.normals_tensor(dtype, device)?,
            x_hi,
            target,
        })
    }
}
