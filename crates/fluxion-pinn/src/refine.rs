//! Residual-based adaptive refinement of the collocation set: RAR (Lu et al. 2021, DeepXDE)
//! and RAR-D (Wu et al. 2023).
//!
//! Both start from a pool of candidate points and the residual magnitude |r(x)| at each. The
//! selection functions here are pure (candidates in, indices out); [`crate::PinnTrainer`]
//! draws a uniform pool, evaluates the residual and appends the chosen points to the residual
//! term's collocation set every `every` epochs.
//!
//! - RAR (Lu, Meng, Mao & Karniadakis, SIAM Review 63, 2021, §2.8): add the `add` candidates
//!   with the largest |r|.
//! - RAR-D (Wu, Zhu, Tan, Kartha & Lu, CMAME 403, 2023, eq. 2): draw `add` candidates without
//!   replacement with probability p(x) ∝ |r(x)|ᵏ / E[|r|ᵏ] + c (their defaults k = 2, c = 0).
//!
//! ```
//! use fluxion_pinn::refine::rar_select;
//! let r = [0.1, 5.0, 0.3, 2.0];
//! assert_eq!(rar_select(&r, 2)?, vec![1, 3]);
//! # Ok::<(), fluxion_pinn::Error>(())
//! ```

use fluxion_tensor::random::uniform_f64;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which refinement the trainer runs (serialisable for configs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refinement {
    /// RAR: every `every` epochs add the `add` points with the largest |r| out of
    /// `candidates` uniform points.
    Rar {
        /// Epochs between refinements.
        every: usize,
        /// Size of the uniform candidate pool.
        candidates: usize,
        /// Points added each time.
        add: usize,
    },
    /// RAR-D: every `every` epochs draw `add` of `candidates` uniform points with probability
    /// ∝ |r|ᵏ / mean(|r|ᵏ) + c.
    RarD {
        /// Epochs between refinements.
        every: usize,
        /// Size of the uniform candidate pool.
        candidates: usize,
        /// Points added each time.
        add: usize,
        /// Exponent k (Wu et al.: 2).
        k: f64,
        /// Offset c (Wu et al.: 0).
        c: f64,
    },
}

impl Refinement {
    /// Epochs between refinements.
    pub fn every(&self) -> usize {
        match self {
            Refinement::Rar { every, .. } | Refinement::RarD { every, .. } => *every,
        }
    }

    /// Size of the candidate pool.
    pub fn candidates(&self) -> usize {
        match self {
            Refinement::Rar { candidates, .. } | Refinement::RarD { candidates, .. } => *candidates,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `every` or `candidates` 0, `add` > `candidates`, k < 0,
    /// c < 0 or non-finite values.
    pub fn validate(&self) -> Result<()> {
        let (every, candidates, add) = match self {
            Refinement::Rar {
                every,
                candidates,
                add,
            } => (*every, *candidates, *add),
            Refinement::RarD {
                every,
                candidates,
                add,
                k,
                c,
            } => {
                if !(k.is_finite() && *k >= 0.0 && c.is_finite() && *c >= 0.0) {
                    return Err(Error::invalid(
                        "Refinement::RarD",
                        format!("k and c must be finite and ≥ 0, got k = {k}, c = {c}"),
                    ));
                }
                (*every, *candidates, *add)
            }
        };
        if every == 0 || candidates == 0 || add > candidates {
            return Err(Error::invalid(
                "Refinement",
                format!(
                    "needs every ≥ 1, candidates ≥ 1 and add ≤ candidates; got every = \
                     {every}, candidates = {candidates}, add = {add}"
                ),
            ));
        }
        Ok(())
    }

    /// The candidates to add given their residual magnitudes (`seed` drives RAR-D's draw).
    ///
    /// # Errors
    /// As [`rar_select`] and [`rard_select`].
    pub fn select(&self, residual_abs: &[f64], seed: u64) -> Result<Vec<usize>> {
        match self {
            Refinement::Rar { add, .. } => rar_select(residual_abs, *add),
            Refinement::RarD { add, k, c, .. } => rard_select(residual_abs, *k, *c, *add, seed),
        }
    }
}

fn check_residuals(what: &'static str, r: &[f64], take: usize) -> Result<()> {
    if take > r.len() {
        return Err(Error::invalid(
            what,
            format!("cannot pick {take} of {} candidates", r.len()),
        ));
    }
    if let Some(i) = r.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(
            what,
            format!("residual magnitude {} at candidate {i} is not finite", r[i]),
        ));
    }
    Ok(())
}

/// RAR: the indices of the `k` largest |r| (descending; ties by lower index).
///
/// # Errors
/// [`Error::InvalidArgument`] when `k` exceeds the candidates or a residual is not finite.
pub fn rar_select(residual_abs: &[f64], k: usize) -> Result<Vec<usize>> {
    check_residuals("rar_select", residual_abs, k)?;
    let mut idx: Vec<usize> = (0..residual_abs.len()).collect();
    idx.sort_by(|&a, &b| {
        residual_abs[b]
            .abs()
            .total_cmp(&residual_abs[a].abs())
            .then(a.cmp(&b))
    });
    idx.truncate(k);
    Ok(idx)
}

/// RAR-D: `n` distinct indices drawn without replacement with probabilities
/// p_i ∝ |r_i|ᵏ / mean(|r|ᵏ) + c (Wu et al. 2023), by the Efraimidis–Spirakis keys
/// u_i^{1/p_i} (the `n` largest keys form a weighted sample without replacement).
///
/// Where every weight is zero (|r| ≡ 0 and c = 0) the draw is uniform.
///
/// # Errors
/// [`Error::InvalidArgument`] when `n` exceeds the candidates, a residual is not finite, or
/// k or c is negative or not finite.
pub fn rard_select(
    residual_abs: &[f64],
    k: f64,
    c: f64,
    n: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    check_residuals("rard_select", residual_abs, n)?;
    if !(k.is_finite() && k >= 0.0 && c.is_finite() && c >= 0.0) {
        return Err(Error::invalid(
            "rard_select",
            format!("k and c must be finite and ≥ 0, got k = {k}, c = {c}"),
        ));
    }
    let m = residual_abs.len();
    if m == 0 {
        return Ok(Vec::new());
    }
    let pw: Vec<f64> = residual_abs.iter().map(|r| r.abs().powf(k)).collect();
    let mean = pw.iter().sum::<f64>() / m as f64;
    let mut w: Vec<f64> = pw
        .iter()
        .map(|p| if mean > 0.0 { p / mean } else { 0.0 } + c)
        .collect();
    if w.iter().all(|&x| x <= 0.0) {
        w.iter_mut().for_each(|x| *x = 1.0);
    }
    let u = uniform_f64(m, seed, 0, 0.0, 1.0);
    // log key = ln(u)/w; zero weights get −∞ (drawn last, in index order).
    let keys: Vec<f64> = u
        .iter()
        .zip(&w)
        .map(|(&ui, &wi)| {
            if wi > 0.0 {
                ui.max(f64::MIN_POSITIVE).ln() / wi
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let mut idx: Vec<usize> = (0..m).collect();
    idx.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]).then(a.cmp(&b)));
    idx.truncate(n);
    Ok(idx)
}
