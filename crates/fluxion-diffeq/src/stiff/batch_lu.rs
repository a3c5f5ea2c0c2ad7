//! Batched dense LU: one pivoted factorisation per system of a stack `[B, n, n]`, on the host,
//! in parallel over the batch.

use rayon::prelude::*;

use super::lu::Lu;

/// Systems per rayon task: enough `O(n³)` work per task to pay for the scheduling.
fn min_len(n: usize) -> usize {
    (4096 / (n * n * n).max(1)).max(1)
}

/// `P_b·A_b = L_b·U_b` for every system `b` of a batch of `B` independent `n × n` matrices,
/// each by [`Lu`] (partial pivoting, LINPACK `dgefa`/`dgesl`), in parallel over `b` with rayon.
///
/// The batch lives in host memory as one row-major `[B, n, n]` slice (`A_b[i][j]` at
/// `b·n² + i·n + j`), right-hand sides as `[B, n]`. This is what
/// [`solve_stiff_batch`](crate::solve_stiff_batch) factors once per step; it also serves as a
/// plain batched `solve` for small dense systems.
///
/// ```
/// use fluxion_diffeq::BatchLu;
/// // A₀ = [[2, 0], [0, 4]], A₁ = [[0, 1], [1, 0]] (needs a row swap); b₀ = b₁ = (2, 4).
/// let mut lu = BatchLu::new(2, 2);
/// lu.factor(&[2.0, 0.0, 0.0, 4.0, 0.0, 1.0, 1.0, 0.0]).unwrap();
/// let mut x = vec![2.0, 4.0, 2.0, 4.0];
/// lu.solve(&mut x);
/// assert_eq!(x, vec![1.0, 1.0, 4.0, 2.0]);
/// ```
#[derive(Debug, Clone)]
pub struct BatchLu {
    n: usize,
    lus: Vec<Lu>,
}

impl BatchLu {
    /// Storage for `batch` factorisations of order `n`.
    pub fn new(batch: usize, n: usize) -> Self {
        BatchLu {
            n,
            lus: vec![Lu::new(n); batch],
        }
    }

    /// The number of systems `B`.
    pub fn batch(&self) -> usize {
        self.lus.len()
    }

    /// The order `n` of each system.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Factors every `A_b` of the row-major `[B, n, n]` slice `a` (copied; `a` is untouched).
    ///
    /// # Errors
    /// `Err((b, k))` for the lowest-numbered system `b` whose column `k` has no finite non-zero
    /// pivot (see [`Lu::factor`]); the other systems are factored, but the batch should not be
    /// used for solves.
    ///
    /// # Panics
    /// If `a.len() != B·n²`.
    pub fn factor(&mut self, a: &[f64]) -> Result<(), (usize, usize)> {
        let nn = self.n * self.n;
        assert_eq!(
            a.len(),
            self.lus.len() * nn,
            "BatchLu::factor: expected [{}, {}, {}]",
            self.lus.len(),
            self.n,
            self.n
        );
        if nn == 0 {
            return Ok(());
        }
        let failures: Vec<Option<usize>> = self
            .lus
            .par_iter_mut()
            .zip(a.par_chunks(nn))
            .with_min_len(min_len(self.n))
            .map(|(lu, ab)| lu.factor(ab).err())
            .collect();
        match failures.iter().position(Option::is_some) {
            Some(b) => Err((b, failures[b].expect("position found a failure"))),
            None => Ok(()),
        }
    }

    /// Solves `A_b·x_b = r_b` in place for every `b` (`x` holds the `[B, n]` right-hand sides
    /// on entry) with the last factorisation.
    ///
    /// # Panics
    /// If `x.len() != B·n`.
    pub fn solve(&self, x: &mut [f64]) {
        let n = self.n;
        assert_eq!(
            x.len(),
            self.lus.len() * n,
            "BatchLu::solve: right-hand sides are not [{}, {n}]",
            self.lus.len()
        );
        if n == 0 {
            return;
        }
        self.lus
            .par_iter()
            .zip(x.par_chunks_mut(n))
            .with_min_len(min_len(n) * n)
            .for_each(|(lu, xb)| lu.solve(xb));
    }

    /// Writes every `A_b⁻¹` into the row-major `[B, n, n]` slice `out`, column by column from
    /// the factorisation (`n` solves per system, `O(n³)`, as the factorisation itself).
    ///
    /// # Panics
    /// If `out.len() != B·n²`.
    pub fn inverse(&self, out: &mut [f64]) {
        let n = self.n;
        let nn = n * n;
        assert_eq!(
            out.len(),
            self.lus.len() * nn,
            "BatchLu::inverse: output is not [{}, {n}, {n}]",
            self.lus.len()
        );
        if n == 0 {
            return;
        }
        self.lus
            .par_iter()
            .zip(out.par_chunks_mut(nn))
            .with_min_len(min_len(n))
            .for_each(|(lu, ob)| {
                let mut col = vec![0.0; n];
                for j in 0..n {
                    col.fill(0.0);
                    col[j] = 1.0;
                    lu.solve(&mut col);
                    for (i, v) in col.iter().enumerate() {
                        ob[i * n + j] = *v;
                    }
                }
            });
    }
}
