//! Domains: axis-aligned boxes with named axes, one of which may be time, and the regions of a
//! box that PINN terms sample (interior, one face, the spatial boundary, the initial slice).
//!
//! Coordinates are columns in the order the axes were declared; a time axis added with
//! [`Domain::with_time`] is always the last column, as in DeepXDE's `GeometryXTime`.
//!
//! ```
//! use fluxion_pinn::{Domain, Region, Side};
//! // Burgers: x ∈ [−1, 1], t ∈ [0, 0.99].
//! let d = Domain::interval("x", -1.0, 1.0)?.with_time("t", 0.0, 0.99)?;
//! assert_eq!(d.dim(), 2);
//! assert_eq!(d.axis_index("t")?, 1);
//! let left = d.face("x", Side::Lo)?;
//! assert_eq!(left, Region::Face { axis: 0, side: Side::Lo });
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One coordinate axis of a box: its name and its closed range [lo, hi].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The name used in residuals (`ctx.d_name("x")`) and conditions.
    pub name: String,
    /// Lower end.
    pub lo: f64,
    /// Upper end (> lo).
    pub hi: f64,
}

impl Axis {
    /// hi − lo.
    pub fn extent(&self) -> f64 {
        self.hi - self.lo
    }
}

/// Which end of an axis a face sits at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Side {
    /// The face x_axis = lo, outward normal −e_axis.
    Lo,
    /// The face x_axis = hi, outward normal +e_axis.
    Hi,
}

impl Side {
    /// The sign of the outward normal: −1 for [`Side::Lo`], +1 for [`Side::Hi`].
    pub fn normal_sign(self) -> f64 {
        match self {
            Side::Lo => -1.0,
            Side::Hi => 1.0,
        }
    }
}

/// A part of a [`Domain`] that a loss term samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Region {
    /// The whole box, time included (space × [t0, t1]).
    Interior,
    /// The face where axis `axis` (a column index) is at its `side`.
    Face {
        /// Column index of the fixed axis.
        axis: usize,
        /// Which end.
        side: Side,
    },
    /// Every face of every non-time axis (the spatial boundary × [t0, t1]).
    SpatialBoundary,
    /// The slice t = t0 of a time-dependent domain.
    Initial,
}

/// A piece of a region: a box in which some axes are fixed (lo = hi), with the outward normal
/// of the face it lies on, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxPiece {
    /// Lower corner (fixed axes have lo = hi).
    pub lo: Vec<f64>,
    /// Upper corner.
    pub hi: Vec<f64>,
    /// The axes that vary, in column order.
    pub free: Vec<usize>,
    /// The outward unit normal (one entry per column) for a face, `None` otherwise.
    pub normal: Option<Vec<f64>>,
}

impl BoxPiece {
    /// The (free-dimensional) measure: the product of the free extents (1 for a point).
    pub fn measure(&self) -> f64 {
        self.free.iter().map(|&a| self.hi[a] - self.lo[a]).product()
    }
}

/// An axis-aligned box with named axes, optionally with one axis marked as time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    axes: Vec<Axis>,
    time: Option<usize>,
}

fn check_axis(what: &'static str, name: &str, lo: f64, hi: f64) -> Result<Axis> {
    if name.is_empty() {
        return Err(Error::invalid(what, "an axis name must not be empty"));
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::invalid(
            what,
            format!("axis {name:?} needs finite lo < hi, got [{lo}, {hi}]"),
        ));
    }
    Ok(Axis {
        name: name.to_string(),
        lo,
        hi,
    })
}

impl Domain {
    /// The interval [lo, hi] on one axis.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when lo ≥ hi, either is not finite, or the name is empty.
    pub fn interval(name: &str, lo: f64, hi: f64) -> Result<Domain> {
        Domain::hyperbox(&[(name, lo, hi)])
    }

    /// The rectangle [x.1, x.2] × [y.1, y.2] with the axes' names x.0 and y.0.
    ///
    /// # Errors
    /// As [`Domain::hyperbox`].
    pub fn rectangle(x: (&str, f64, f64), y: (&str, f64, f64)) -> Result<Domain> {
        Domain::hyperbox(&[x, y])
    }

    /// The box Π [loᵢ, hiᵢ] over named axes `(name, lo, hi)`, in column order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no axes, lo ≥ hi, a non-finite end, an empty or a
    /// duplicate name.
    pub fn hyperbox(axes: &[(&str, f64, f64)]) -> Result<Domain> {
        if axes.is_empty() {
            return Err(Error::invalid(
                "Domain::hyperbox",
                "needs at least one axis",
            ));
        }
        let mut out = Domain {
            axes: Vec::with_capacity(axes.len()),
            time: None,
        };
        for &(name, lo, hi) in axes {
            out.push_axis("Domain::hyperbox", name, lo, hi)?;
        }
        Ok(out)
    }

    fn push_axis(&mut self, what: &'static str, name: &str, lo: f64, hi: f64) -> Result<()> {
        let axis = check_axis(what, name, lo, hi)?;
        if self.axes.iter().any(|a| a.name == name) {
            return Err(Error::invalid(
                what,
                format!("axis name {name:?} given twice"),
            ));
        }
        self.axes.push(axis);
        Ok(())
    }

    /// This domain × [t0, t1], with the new axis (the last column) marked as time.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the domain already has a time axis, t0 ≥ t1, or the
    /// name is taken.
    pub fn with_time(mut self, name: &str, t0: f64, t1: f64) -> Result<Domain> {
        if let Some(t) = self.time {
            return Err(Error::invalid(
                "Domain::with_time",
                format!("the domain already has time axis {:?}", self.axes[t].name),
            ));
        }
        self.push_axis("Domain::with_time", name, t0, t1)?;
        self.time = Some(self.axes.len() - 1);
        Ok(self)
    }

    /// Number of columns (space and time).
    pub fn dim(&self) -> usize {
        self.axes.len()
    }

    /// The axes in column order.
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// The time axis's column, if any.
    pub fn time_axis(&self) -> Option<usize> {
        self.time
    }

    /// The columns of the non-time axes.
    pub fn spatial_axes(&self) -> Vec<usize> {
        (0..self.dim()).filter(|&a| Some(a) != self.time).collect()
    }

    /// The column of the axis called `name`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the axes that exist.
    pub fn axis_index(&self, name: &str) -> Result<usize> {
        self.axes
            .iter()
            .position(|a| a.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.axes.iter().map(|a| a.name.as_str()).collect();
                Error::invalid(
                    "Domain",
                    format!("no axis named {name:?}; the axes are {names:?}"),
                )
            })
    }

    /// Lower corner.
    pub fn lo(&self) -> Vec<f64> {
        self.axes.iter().map(|a| a.lo).collect()
    }

    /// Upper corner.
    pub fn hi(&self) -> Vec<f64> {
        self.axes.iter().map(|a| a.hi).collect()
    }

    /// The face of axis `name` at `side` as a region.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name.
    pub fn face(&self, name: &str, side: Side) -> Result<Region> {
        Ok(Region::Face {
            axis: self.axis_index(name)?,
            side,
        })
    }

    /// Whether `x` (one point, `dim` coordinates) lies in the closed box.
    pub fn contains(&self, x: &[f64]) -> bool {
        x.len() == self.dim()
            && self
                .axes
                .iter()
                .zip(x)
                .all(|(a, &v)| v >= a.lo && v <= a.hi)
    }

    /// Checks that `region` exists in this domain.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a face axis out of range, [`Region::Initial`] without a
    /// time axis, [`Region::SpatialBoundary`] on a domain that only has time.
    pub fn check_region(&self, region: &Region) -> Result<()> {
        match region {
            Region::Interior => Ok(()),
            Region::Face { axis, .. } if *axis >= self.dim() => Err(Error::invalid(
                "Region::Face",
                format!("axis {axis} out of range for a {}-D domain", self.dim()),
            )),
            Region::Face { .. } => Ok(()),
            Region::SpatialBoundary if self.spatial_axes().is_empty() => Err(Error::invalid(
                "Region::SpatialBoundary",
                "the domain has no spatial axis",
            )),
            Region::SpatialBoundary => Ok(()),
            Region::Initial if self.time.is_none() => Err(Error::invalid(
                "Region::Initial",
                "the domain has no time axis; add one with Domain::with_time",
            )),
            Region::Initial => Ok(()),
        }
    }

    /// The box pieces that make up `region` (one for the interior, a face or the initial
    /// slice; 2·(spatial axes) faces for the spatial boundary).
    ///
    /// # Errors
    /// As [`Domain::check_region`].
    pub fn pieces(&self, region: &Region) -> Result<Vec<BoxPiece>> {
        self.check_region(region)?;
        let all: Vec<usize> = (0..self.dim()).collect();
        let face = |axis: usize, side: Side| {
            let (mut lo, mut hi) = (self.lo(), self.hi());
            let v = match side {
                Side::Lo => lo[axis],
                Side::Hi => hi[axis],
            };
            lo[axis] = v;
            hi[axis] = v;
            let mut normal = vec![0.0; self.dim()];
            normal[axis] = side.normal_sign();
            BoxPiece {
                lo,
                hi,
                free: all.iter().copied().filter(|&a| a != axis).collect(),
                normal: Some(normal),
            }
        };
        Ok(match region {
            Region::Interior => vec![BoxPiece {
                lo: self.lo(),
                hi: self.hi(),
                free: all.clone(),
                normal: None,
            }],
            Region::Face { axis, side } => vec![face(*axis, *side)],
            Region::SpatialBoundary => self
                .spatial_axes()
                .into_iter()
                .flat_map(|a| [face(a, Side::Lo), face(a, Side::Hi)])
                .collect(),
            Region::Initial => {
                let t = self.time.expect("checked by check_region");
                let mut p = face(t, Side::Lo);
                // The initial slice is not a boundary with an outward normal in the sense of
                // Neumann conditions.
                p.normal = None;
                vec![p]
            }
        })
    }
}

/// Splits `n` points over pieces in proportion to their measures (largest remainders), so
/// every piece of positive measure gets its share and the counts add up to `n`. Pieces of
/// measure zero (points, in a 1-D spatial boundary) share equally.
pub(crate) fn split_counts(pieces: &[BoxPiece], n: usize) -> Vec<usize> {
    let mut w: Vec<f64> = pieces.iter().map(BoxPiece::measure).collect();
    let total: f64 = w.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        w = vec![1.0; pieces.len()];
    }
    let total: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|wi| wi / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}
