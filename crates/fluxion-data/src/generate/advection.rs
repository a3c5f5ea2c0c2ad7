//! 1-D linear advection `u_t + β u_x = 0` on the periodic unit interval, solved exactly:
//! `u(t, x) = u₀(x − βt mod 1)` (PDEBench's `1D_Advection_Sols_beta{β}.hdf5`).
//!
//! Initial data follow PDEBench's `init_multi` (sums of sine waves):
//! `u₀(x) = Σ_{m=1}^{W} A_m sin(2π n_m x + φ_m)`, `A_m ~ U(0, 1)`, `n_m` uniform in
//! `1..=max_mode`, `φ_m ~ U(0, 2π)`, drawn in that order per wave from sample `i`'s
//! [`SampleRng`]. PDEBench also applies a random absolute value and a random window to some
//! samples; those are not reproduced here.

use std::path::{Path, PathBuf};

use super::{cell_centres, default_block, rows_f32, run_blocks, Progress, SampleRng};
use crate::error::{Error, Result};
use crate::pdebench::one_d::{TENSOR, T_COORDINATE, X_COORDINATE};
use crate::write::{Hdf5Writer, WriteOptions};

/// Parameters of an advection data set.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvectionConfig {
    /// Number of samples `N`.
    pub samples: usize,
    /// Number of cells `X` (cell centres `(j + ½)/X`).
    pub nx: usize,
    /// Advection speed `β`.
    pub beta: f64,
    /// Final time (PDEBench: 2).
    pub t_final: f64,
    /// Number of time intervals; `steps + 1` frames at `t_k = k · t_final / steps` (PDEBench: 200).
    pub steps: usize,
    /// Number of sine waves `W` (PDEBench: 2).
    pub waves: usize,
    /// Largest integer wavenumber `n` (PDEBench: 8 — stated here, not read from its config).
    pub max_mode: i64,
    /// The seed.
    pub seed: u64,
}

impl Default for AdvectionConfig {
    fn default() -> Self {
        Self {
            samples: 10_000,
            nx: 1024,
            beta: 0.1,
            t_final: 2.0,
            steps: 200,
            waves: 2,
            max_mode: 8,
            seed: 0,
        }
    }
}

/// `u₀(x) = Σ A_m sin(2π n_m x + φ_m)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SineSum {
    /// `(A_m, n_m, φ_m)` per wave.
    pub waves: Vec<(f64, i64, f64)>,
}

impl SineSum {
    /// Draws `W` waves from `rng` as the module docs say.
    pub fn draw(waves: usize, max_mode: i64, rng: &mut SampleRng) -> Self {
        let waves = (0..waves)
            .map(|_| {
                let a = rng.uniform();
                let n = rng.integer(1, max_mode);
                let phi = std::f64::consts::TAU * rng.uniform();
                (a, n, phi)
            })
            .collect();
        Self { waves }
    }

    /// `u₀(x)`.
    pub fn eval(&self, x: f64) -> f64 {
        self.waves
            .iter()
            .map(|&(a, n, phi)| a * (std::f64::consts::TAU * n as f64 * x + phi).sin())
            .sum()
    }
}

impl AdvectionConfig {
    fn check(&self) -> Result<()> {
        if self.nx == 0 || self.steps == 0 || self.waves == 0 || self.max_mode < 1 {
            return Err(Error::invalid(format!(
                "advection: nx, steps, waves and max_mode must be positive, got {self:?}"
            )));
        }
        Ok(())
    }

    /// Sample `i`'s initial condition.
    pub fn initial_condition(&self, i: usize) -> SineSum {
        SineSum::draw(
            self.waves,
            self.max_mode,
            &mut SampleRng::new(self.seed, i as u64),
        )
    }

    /// Sample `i` as row-major `[steps + 1, nx]`: `u(t_k, x_j) = u₀(x_j − β t_k)`, the shift taken
    /// modulo 1 before evaluating (sines are periodic; the reduction keeps arguments small).
    pub fn sample(&self, i: usize) -> Vec<f64> {
        let u0 = self.initial_condition(i);
        let x = cell_centres(self.nx);
        let mut out = Vec::with_capacity((self.steps + 1) * self.nx);
        for k in 0..=self.steps {
            let t = k as f64 * self.t_final / self.steps as f64;
            let shift = (self.beta * t).rem_euclid(1.0);
            out.extend(x.iter().map(|&xj| u0.eval((xj - shift).rem_euclid(1.0))));
        }
        out
    }

    /// Writes the PDEBench 1-D layout to `path`: `tensor` f32 `[N, steps + 1, nx]`,
    /// `x-coordinate` `[nx]`, `t-coordinate` `[steps + 2]` (`k · dt`, one entry more than frames, as
    /// PDEBench's files), file attributes `beta`, `t_final`, `seed`, `waves`, `max_mode`.
    ///
    /// # Errors
    /// Invalid parameters, HDF5 or file-system errors.
    pub fn generate(
        &self,
        path: impl AsRef<Path>,
        opts: WriteOptions,
        progress: Progress<'_>,
    ) -> Result<PathBuf> {
        self.check()?;
        let w = Hdf5Writer::create(path, opts)?;
        let frames = self.steps + 1;
        w.create_dataset(TENSOR, &[self.samples, frames, self.nx])?;
        run_blocks(
            self.samples,
            default_block(),
            |i| Ok(self.sample(i)),
            |start, rows| w.write_rows(TENSOR, start, &rows_f32(rows.iter().map(Vec::as_slice))),
            progress,
        )?;
        write_grid(&w, self.nx, frames + 1, self.t_final / self.steps as f64)?;
        for (name, v) in [
            ("beta", self.beta),
            ("t_final", self.t_final),
            ("seed", self.seed as f64),
            ("waves", self.waves as f64),
            ("max_mode", self.max_mode as f64),
        ] {
            w.set_attr("/", name, v)?;
        }
        w.finish()
    }
}

/// Writes `x-coordinate` (cell centres of `nx` cells) and `t-coordinate` (`k · dt`, `nt` entries).
pub(crate) fn write_grid(w: &Hdf5Writer, nx: usize, nt: usize, dt: f64) -> Result<()> {
    let x: Vec<f32> = cell_centres(nx).iter().map(|&v| v as f32).collect();
    w.create_dataset(X_COORDINATE, &[nx])?;
    w.write_rows(X_COORDINATE, 0, &x)?;
    let t: Vec<f32> = (0..nt).map(|k| (k as f64 * dt) as f32).collect();
    w.create_dataset(T_COORDINATE, &[nt])?;
    w.write_rows(T_COORDINATE, 0, &t)?;
    Ok(())
}
