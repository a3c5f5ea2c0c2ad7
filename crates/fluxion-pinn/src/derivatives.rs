//! Derivatives of a network output u `[N, m]` (or `[N]`) with respect to its inputs x
//! `[N, d]`, where row n of u depends only on row n of x (a pointwise network) — so one
//! reverse pass with a vector of ones gives every row's gradient at once.
//!
//! All results are recorded (`create_graph`), so they nest into higher derivatives and into
//! losses that are differentiated with respect to the parameters.
//!
//! - [`jacobian`]: ∂u_c/∂x as `[N, d]` for each component c.
//! - [`partial`], [`partial2`], [`laplacian`]: `[N, m]` columns.
//! - [`Derivatives`]: the same with a cache (DeepXDE's `dde.grad.jacobian` / `hessian`
//!   caches): the first gradient of each component is taken once, and one second pass per
//!   (component, i) gives every ∂²u/∂xᵢ∂xⱼ at once.
//!
//! ```
//! use fluxion_autodiff::Var;
//! use fluxion_pinn::derivatives::Derivatives;
//! use fluxion_tensor::{DType, Device, Tensor};
//! // u = x² y on four points; u_xy = 2x.
//! let x = Var::leaf(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [4, 2], &Device::Cpu)?);
//! let (a, b) = (x.narrow(1, 0, 1)?, x.narrow(1, 1, 1)?);
//! let u = a.square()?.mul(&b)?;
//! let d = Derivatives::new(&u, &x)?;
//! let uxy = d.d2(0, 0, 1)?.tensor().to_vec::<f64>()?;
//! assert_eq!(uxy, vec![2.0, 6.0, 10.0, 14.0]);
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use fluxion_autodiff::{grad, Var};
use fluxion_tensor::Tensor;

use crate::{Error, Result};

/// u as `[N, m]` after checking it against x `[N, d]`.
fn as_matrix(what: &'static str, u: &Var, x: &Var) -> Result<Var> {
    let (ud, xd) = (u.dims(), x.dims());
    if xd.len() != 2 {
        return Err(Error::invalid(
            what,
            format!("inputs x must be [N, d], got {xd:?}"),
        ));
    }
    if !x.requires_grad() {
        return Err(Error::invalid(
            what,
            "inputs x do not require a gradient; make them with Var::leaf",
        ));
    }
    let ok = match ud.len() {
        1 | 2 => ud[0] == xd[0],
        _ => false,
    };
    if !ok {
        return Err(Error::invalid(
            what,
            format!(
                "output u must be [N] or [N, m] with N = {} rows of x, got {ud:?}",
                xd[0]
            ),
        ));
    }
    Ok(if ud.len() == 1 {
        u.reshape([ud[0], 1])?
    } else {
        u.clone()
    })
}

fn check_axis(what: &'static str, x: &Var, i: usize) -> Result<()> {
    let d = x.dims()[1];
    if i >= d {
        return Err(Error::invalid(
            what,
            format!("input axis {i} out of range for {d} inputs"),
        ));
    }
    Ok(())
}

/// ∂u_c/∂x `[N, d]` for the `[N, 1]` column `uc`, recorded.
fn column_gradient(uc: &Var, x: &Var) -> Result<Var> {
    let ones = Var::constant(Tensor::ones(uc.shape(), uc.dtype(), &uc.device())?);
    let mut g = grad(&[uc.clone()], &[x.clone()], Some(&[ones]), true)?;
    Ok(g.remove(0))
}

/// The Jacobian rows ∂u_c/∂x `[N, d]`, one per output component c (u `[N]` counts as one).
///
/// # Errors
/// [`Error::InvalidArgument`] when x is not `[N, d]`, does not require a gradient, or u does
/// not have N rows; autodiff errors.
pub fn jacobian(u: &Var, x: &Var) -> Result<Vec<Var>> {
    let u = as_matrix("jacobian", u, x)?;
    let m = u.dims()[1];
    (0..m)
        .map(|c| column_gradient(&u.narrow(1, c, 1)?, x))
        .collect()
}

/// ∂u/∂xᵢ for every component, `[N, m]`.
///
/// # Errors
/// As [`jacobian`]; [`Error::InvalidArgument`] for `i` ≥ d.
pub fn partial(u: &Var, x: &Var, i: usize) -> Result<Var> {
    check_axis("partial", x, i)?;
    let cols = jacobian(u, x)?
        .iter()
        .map(|j| j.narrow(1, i, 1))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    concat_columns(cols)
}

/// ∂²u/∂xᵢ∂xⱼ for every component, `[N, m]`.
///
/// # Errors
/// As [`partial`].
pub fn partial2(u: &Var, x: &Var, i: usize, j: usize) -> Result<Var> {
    check_axis("partial2", x, j)?;
    partial(&partial(u, x, i)?, x, j)
}

/// Σ_{a ∈ axes} ∂²u/∂x_a² for every component, `[N, m]`.
///
/// # Errors
/// As [`partial`]; [`Error::InvalidArgument`] for an empty `axes`.
pub fn laplacian(u: &Var, x: &Var, axes: &[usize]) -> Result<Var> {
    if axes.is_empty() {
        return Err(Error::invalid("laplacian", "needs at least one axis"));
    }
    let d = Derivatives::new(u, x)?;
    let m = d.components();
    let cols = (0..m)
        .map(|c| d.laplacian(c, axes))
        .collect::<Result<Vec<_>>>()?;
    concat_columns(cols)
}

fn concat_columns(cols: Vec<Var>) -> Result<Var> {
    if cols.len() == 1 {
        return Ok(cols.into_iter().next().expect("one column"));
    }
    let refs: Vec<&Var> = cols.iter().collect();
    Ok(Var::concat(&refs, 1)?)
}

/// Cached derivatives of u `[N, m]` with respect to x `[N, d]`, for one residual evaluation.
///
/// The first request for component c runs one reverse pass for the whole row ∂u_c/∂x and
/// keeps it; the first second-derivative request for (c, i) runs one pass for the whole row
/// ∂(∂u_c/∂xᵢ)/∂x and keeps it. A residual with u_t, u_x and u_xx therefore costs two passes,
/// not three. Results are `[N, 1]` columns, recorded for further differentiation.
///
/// Not `Sync`: build one per residual evaluation.
#[derive(Debug)]
pub struct Derivatives {
    u: Var,
    x: Var,
    first: RefCell<Vec<Option<Var>>>,
    second: RefCell<HashMap<(usize, usize), Var>>,
    passes: Cell<usize>,
}

impl Derivatives {
    /// A cache for u `[N]` or `[N, m]` and x `[N, d]` (x must require a gradient).
    ///
    /// # Errors
    /// As [`jacobian`].
    pub fn new(u: &Var, x: &Var) -> Result<Derivatives> {
        let u = as_matrix("Derivatives::new", u, x)?;
        let m = u.dims()[1];
        Ok(Derivatives {
            u,
            x: x.clone(),
            first: RefCell::new(vec![None; m]),
            second: RefCell::new(HashMap::new()),
            passes: Cell::new(0),
        })
    }

    /// u as `[N, m]`.
    pub fn u(&self) -> &Var {
        &self.u
    }

    /// The inputs x.
    pub fn x(&self) -> &Var {
        &self.x
    }

    /// Number of output components m.
    pub fn components(&self) -> usize {
        self.first.borrow().len()
    }

    /// Number of input columns d.
    pub fn inputs(&self) -> usize {
        self.x.dims()[1]
    }

    /// Reverse passes run so far (to check the caching).
    pub fn passes(&self) -> usize {
        self.passes.get()
    }

    fn check(&self, what: &'static str, c: usize, axes: &[usize]) -> Result<()> {
        if c >= self.components() {
            return Err(Error::invalid(
                what,
                format!(
                    "component {c} out of range for {} outputs",
                    self.components()
                ),
            ));
        }
        for &a in axes {
            check_axis(what, &self.x, a)?;
        }
        Ok(())
    }

    /// The row ∂u_c/∂x `[N, d]` (cached).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `c` ≥ m; autodiff errors.
    pub fn jacobian(&self, c: usize) -> Result<Var> {
        self.check("Derivatives::jacobian", c, &[])?;
        if let Some(j) = &self.first.borrow()[c] {
            return Ok(j.clone());
        }
        let uc = if self.components() == 1 {
            self.u.clone()
        } else {
            self.u.narrow(1, c, 1)?
        };
        let j = column_gradient(&uc, &self.x)?;
        self.passes.set(self.passes.get() + 1);
        self.first.borrow_mut()[c] = Some(j.clone());
        Ok(j)
    }

    /// ∂u_c/∂xᵢ `[N, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `c` ≥ m or `i` ≥ d; autodiff errors.
    pub fn d(&self, c: usize, i: usize) -> Result<Var> {
        self.check("Derivatives::d", c, &[i])?;
        let j = self.jacobian(c)?;
        if self.inputs() == 1 {
            return Ok(j);
        }
        Ok(j.narrow(1, i, 1)?)
    }

    /// The row ∂(∂u_c/∂xᵢ)/∂x `[N, d]` (cached).
    fn hessian_row(&self, c: usize, i: usize) -> Result<Var> {
        if let Some(h) = self.second.borrow().get(&(c, i)) {
            return Ok(h.clone());
        }
        let h = column_gradient(&self.d(c, i)?, &self.x)?;
        self.passes.set(self.passes.get() + 1);
        self.second.borrow_mut().insert((c, i), h.clone());
        Ok(h)
    }

    /// ∂²u_c/∂xᵢ∂xⱼ `[N, 1]`; reuses the row of j when only that one is cached.
    ///
    /// # Errors
    /// As [`Derivatives::d`].
    pub fn d2(&self, c: usize, i: usize, j: usize) -> Result<Var> {
        self.check("Derivatives::d2", c, &[i, j])?;
        let (row, col) = if !self.second.borrow().contains_key(&(c, i))
            && self.second.borrow().contains_key(&(c, j))
        {
            (j, i)
        } else {
            (i, j)
        };
        let h = self.hessian_row(c, row)?;
        if self.inputs() == 1 {
            return Ok(h);
        }
        Ok(h.narrow(1, col, 1)?)
    }

    /// Σ_{a ∈ axes} ∂²u_c/∂x_a² `[N, 1]`.
    ///
    /// # Errors
    /// As [`Derivatives::d2`]; [`Error::InvalidArgument`] for an empty `axes`.
    pub fn laplacian(&self, c: usize, axes: &[usize]) -> Result<Var> {
        self.check("Derivatives::laplacian", c, axes)?;
        let mut total: Option<Var> = None;
        for &a in axes {
            let t = self.d2(c, a, a)?;
            total = Some(match total {
                Some(s) => s.add(&t)?,
                None => t,
            });
        }
        total.ok_or_else(|| Error::invalid("Derivatives::laplacian", "needs at least one axis"))
    }
}
