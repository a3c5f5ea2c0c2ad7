//! Initial, boundary and data conditions of a [`crate::PinnProblem`], and the target values
//! they are fitted to.

use std::fmt;
use std::sync::Arc;

use crate::geometry::Region;
use crate::sampler::{PointSet, SamplerConfig};
use crate::{Error, Result};

type TargetFn = dyn Fn(&[f64], &mut [f64]) + Send + Sync;

/// Target values g(x) of a condition: a function of one point's coordinates (in column order)
/// that fills one value per constrained output component, evaluated in f64.
///
/// ```
/// use fluxion_pinn::Target;
/// use std::f64::consts::PI;
/// let g = Target::scalar(|x| -(PI * x[0]).sin()); // Burgers' u(x, 0) = −sin πx
/// let mut out = [0.0];
/// g.eval(&[0.5, 0.0], &mut out);
/// assert_eq!(out[0], -1.0);
/// ```
#[derive(Clone)]
pub struct Target {
    width: Option<usize>,
    f: Arc<TargetFn>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("width", &self.width)
            .finish()
    }
}

impl Target {
    /// One value per point.
    pub fn scalar(f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static) -> Target {
        Target {
            width: Some(1),
            f: Arc::new(move |x, out| out[0] = f(x)),
        }
    }

    /// The same value `v` everywhere (every constrained component).
    pub fn constant(v: f64) -> Target {
        Target {
            width: None,
            f: Arc::new(move |_, out| out.fill(v)),
        }
    }

    /// `width` values per point written into the output slice.
    pub fn vector(width: usize, f: impl Fn(&[f64], &mut [f64]) + Send + Sync + 'static) -> Target {
        Target {
            width: Some(width),
            f: Arc::new(f),
        }
    }

    /// How many components the target fills (`None`: any, for constants).
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// Fills `out` with g(x).
    pub fn eval(&self, x: &[f64], out: &mut [f64]) {
        (self.f)(x, out)
    }

    /// g at every point, row-major `[N, width]`.
    pub(crate) fn eval_all(&self, pts: &PointSet, width: usize) -> Vec<f64> {
        let mut out = vec![0.0; pts.len() * width];
        for (row, o) in pts.rows().zip(out.chunks_exact_mut(width)) {
            self.eval(row, o);
        }
        out
    }
}

/// What a condition constrains.
#[derive(Debug, Clone)]
pub enum ConditionKind {
    /// u(x, t0) = g(x) on the initial slice.
    Initial(Target),
    /// u = g on a face or the spatial boundary.
    Dirichlet(Target),
    /// ∂u/∂n = ∇u·n = g on a face or the spatial boundary (n the outward unit normal).
    Neumann(Target),
    /// u(x)|_{axis=lo} = u(x)|_{axis=hi} at matching other coordinates, and also
    /// ∂u/∂x_axis when `derivative`.
    Periodic {
        /// The periodic axis by name (resolved when the problem is built).
        axis: String,
        /// Also match the first derivative along the axis.
        derivative: bool,
    },
    /// u(xₖ) = yₖ at given points (observations).
    Data {
        /// The points.
        points: PointSet,
        /// Row-major values `[N, width]`.
        values: Vec<f64>,
    },
}

/// One initial, boundary or data term: a name, a kind, where its points come from, how many,
/// and its static loss weight.
#[derive(Debug, Clone)]
pub struct Condition {
    pub(crate) name: String,
    pub(crate) kind: ConditionKind,
    pub(crate) region: Region,
    pub(crate) points: usize,
    pub(crate) sampler: SamplerConfig,
    pub(crate) weight: f64,
    pub(crate) component: Option<usize>,
}

impl Condition {
    fn new(name: &str, kind: ConditionKind, region: Region) -> Condition {
        Condition {
            name: name.to_string(),
            kind,
            region,
            points: 100,
            sampler: SamplerConfig::Random,
            weight: 1.0,
            component: None,
        }
    }

    /// u(x, t0) = g(x) (defaults: 100 random points, weight 1, every component).
    pub fn initial(name: &str, g: Target) -> Condition {
        Condition::new(name, ConditionKind::Initial(g), Region::Initial)
    }

    /// u = g on `region` (a face or [`Region::SpatialBoundary`]; a face of a 1-D interval is
    /// a single point, as the tutorial's y(0) = 1).
    pub fn dirichlet(name: &str, region: Region, g: Target) -> Condition {
        Condition::new(name, ConditionKind::Dirichlet(g), region)
    }

    /// ∂u/∂n = g on `region` (a face or [`Region::SpatialBoundary`]).
    pub fn neumann(name: &str, region: Region, g: Target) -> Condition {
        Condition::new(name, ConditionKind::Neumann(g), region)
    }

    /// u periodic in axis `axis` (points drawn on its lower face and mirrored to the upper),
    /// with ∂u/∂x_axis periodic too when `derivative`.
    pub fn periodic(name: &str, axis: &str, derivative: bool) -> Condition {
        let kind = ConditionKind::Periodic {
            axis: axis.to_string(),
            derivative,
        };
        // The region is fixed when the problem resolves the axis name.
        Condition::new(name, kind, Region::Interior)
    }

    /// u(xₖ) = yₖ at the given points; `values` row-major, one row per point.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no points, or values that do not make whole rows.
    pub fn data(name: &str, points: PointSet, values: Vec<f64>) -> Result<Condition> {
        let n = points.len();
        if n == 0 || !values.len().is_multiple_of(n) || values.is_empty() {
            return Err(Error::invalid(
                "Condition::data",
                format!("{} values for {n} points", values.len()),
            ));
        }
        let mut c = Condition::new(
            name,
            ConditionKind::Data { points, values },
            Region::Interior,
        );
        c.points = n;
        Ok(c)
    }

    /// Number of points drawn per epoch.
    pub fn points(mut self, n: usize) -> Condition {
        self.points = n;
        self
    }

    /// The sampler of the points.
    pub fn sampler(mut self, s: SamplerConfig) -> Condition {
        self.sampler = s;
        self
    }

    /// The static loss weight.
    pub fn weight(mut self, w: f64) -> Condition {
        self.weight = w;
        self
    }

    /// Constrain output component `c` only (all components by default).
    pub fn component(mut self, c: usize) -> Condition {
        self.component = Some(c);
        self
    }

    /// The term's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it constrains.
    pub fn kind(&self) -> &ConditionKind {
        &self.kind
    }

    /// Where its points come from.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Its static weight.
    pub fn static_weight(&self) -> f64 {
        self.weight
    }
}
