//! Dense LU factorisation with partial pivoting, in place, for the small systems of a
//! Rosenbrock step.

/// `P·A = L·U` of a square row-major matrix, stored in place (Golub & Van Loan, *Matrix
/// Computations*, 4th ed., Algorithm 3.4.1; LINPACK `dgefa`/`dgesl`, as Hairer's `dec`/`sol`).
///
/// The strictly lower part of `lu` holds `L` (unit diagonal implied), the upper part `U`;
/// `piv[k]` is the row swapped with row `k` at step `k`. Factor once per step with
/// [`Lu::factor`], then [`Lu::solve`] once per stage in `O(n²)`.
///
/// ```
/// use fluxion_diffeq::Lu;
/// // [[0, 2], [1, 1]] x = [2, 2] → x = [1, 1] (needs a row swap).
/// let mut lu = Lu::new(2);
/// lu.factor(&[0.0, 2.0, 1.0, 1.0]).unwrap();
/// let mut x = vec![2.0, 2.0];
/// lu.solve(&mut x);
/// assert_eq!(x, vec![1.0, 1.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Lu {
    n: usize,
    lu: Vec<f64>,
    piv: Vec<usize>,
}

impl Lu {
    /// Storage for an `n × n` factorisation.
    pub fn new(n: usize) -> Self {
        Lu {
            n,
            lu: vec![0.0; n * n],
            piv: vec![0; n],
        }
    }

    /// The order `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Factors the row-major `n × n` matrix `a` (copied; `a` is left untouched).
    ///
    /// # Errors
    /// `Err(k)` when column `k` has no non-zero pivot at step `k` (the matrix is singular to
    /// working precision) or column `k` holds a NaN/∞; the factorisation is then unusable.
    ///
    /// # Panics
    /// If `a.len() != n²`.
    pub fn factor(&mut self, a: &[f64]) -> Result<(), usize> {
        let n = self.n;
        assert_eq!(a.len(), n * n, "Lu::factor: matrix is not {n}×{n}");
        // A NaN/∞ outside the pivots would not stop elimination but would poison every solve.
        if let Some(pos) = a.iter().position(|v| !v.is_finite()) {
            return Err(pos % n);
        }
        self.lu.copy_from_slice(a);
        let m = &mut self.lu;
        for k in 0..n {
            // Partial pivoting: the largest |m[i][k]| for i ≥ k.
            let mut p = k;
            let mut best = m[k * n + k].abs();
            for i in k + 1..n {
                let v = m[i * n + k].abs();
                if v > best {
                    best = v;
                    p = i;
                }
            }
            if best == 0.0 || !best.is_finite() {
                return Err(k);
            }
            self.piv[k] = p;
            if p != k {
                for j in 0..n {
                    m.swap(k * n + j, p * n + j);
                }
            }
            let inv = 1.0 / m[k * n + k];
            for i in k + 1..n {
                let l = m[i * n + k] * inv;
                m[i * n + k] = l;
                if l != 0.0 {
                    for j in k + 1..n {
                        m[i * n + j] -= l * m[k * n + j];
                    }
                }
            }
        }
        Ok(())
    }

    /// Solves `A·x = b` in place (`x` holds `b` on entry) with the last factorisation.
    ///
    /// # Panics
    /// If `x.len() != n`.
    pub fn solve(&self, x: &mut [f64]) {
        let n = self.n;
        assert_eq!(
            x.len(),
            n,
            "Lu::solve: right-hand side has the wrong length"
        );
        let m = &self.lu;
        // Whole rows (multipliers included) were swapped, so apply every swap first (P·b), then
        // forward substitution L·z = P·b.
        for k in 0..n {
            x.swap(k, self.piv[k]);
        }
        for k in 0..n {
            let xk = x[k];
            if xk != 0.0 {
                for i in k + 1..n {
                    x[i] -= m[i * n + k] * xk;
                }
            }
        }
        // Back substitution: U·x = z.
        for k in (0..n).rev() {
            let mut s = x[k];
            for j in k + 1..n {
                s -= m[k * n + j] * x[j];
            }
            x[k] = s / m[k * n + k];
        }
    }
}
