//! 1-D diffusion–reaction `u_t = ν u_xx + ρ u(1 − u)` (Fisher–KPP) on the periodic unit interval,
//! as PDEBench's `ReacDiff_Nu{ν}_Rho{ρ}.hdf5` (Takamoto et al., NeurIPS 2022 Datasets and
//! Benchmarks; PDEBench: `ν ∈ {0.5, 1, 2, 5}`, `ρ ∈ {1, 2, 5, 10}`, 1024 cells, `t ∈ [0, 1]`,
//! 101 frames).
//!
//! Strang splitting (Strang, SIAM J. Numer. Anal. 5, 1968) of two exactly solved flows, second
//! order in the step `h`: `u ← R(h/2) D(h) R(h/2) u` with the logistic flow
//! `R(τ)u = u e^{ρτ} / (1 − u + u e^{ρτ})` pointwise and the spectral heat flow
//! `D(τ): û_k ← û_k e^{−ν(2πk)²τ}` (RealFFT on the cell centres). `R` maps `[0, 1]` into itself;
//! `D`'s discrete kernel is positive up to terms of size `e^{−ντ(πs)²}`, so `u` stays in `[0, 1]`
//! to rounding whenever `ντ(πs)² ≫ 1` (PDEBench's setting: `≈ 5·10⁴` at `h = 10⁻²`).
//!
//! Initial data: PDEBench's `init_multi` with `if_norm`: the sine sum of
//! [`super::advection::SineSum`] (`W` waves, modes `1..=max_mode`, drawn from sample `i`'s
//! [`SampleRng`]) rescaled on the grid to `[0, 1]` by `(u − min)/(max − min)`. PDEBench's random
//! absolute value and window are not reproduced.

use std::path::{Path, PathBuf};

use rustfft::num_complex::Complex64;

use super::advection::{write_grid, SineSum};
use super::fft::RealFft1;
use super::{cell_centres, default_block, rows_f32, run_blocks, Progress, SampleRng};
use crate::error::{Error, Result};
use crate::pdebench::one_d::TENSOR;
use crate::write::{Hdf5Writer, WriteOptions};

/// A Strang-split integrator of `u_t = ν u_xx + ρ u(1 − u)` on `s` cells with step `h`.
pub struct DiffusionReaction1d {
    s: usize,
    rho: f64,
    h: f64,
    fft: RealFft1,
    /// `e^{−ν(2πk)²h}`.
    decay: Vec<f64>,
}

impl std::fmt::Debug for DiffusionReaction1d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiffusionReaction1d")
            .field("s", &self.s)
            .field("rho", &self.rho)
            .field("h", &self.h)
            .finish()
    }
}

impl DiffusionReaction1d {
    /// Precomputes the heat-flow factors.
    ///
    /// # Panics
    /// When `s < 2`, `h` is not positive or `ν < 0`.
    pub fn new(s: usize, nu: f64, rho: f64, h: f64) -> Self {
        assert!(
            s >= 2 && h > 0.0 && nu >= 0.0,
            "DiffusionReaction1d: s = {s}, h = {h}, nu = {nu}"
        );
        let decay = (0..s / 2 + 1)
            .map(|k| {
                let kk = std::f64::consts::TAU * k as f64;
                (-nu * kk * kk * h).exp()
            })
            .collect();
        Self {
            s,
            rho,
            h,
            fft: RealFft1::new(s),
            decay,
        }
    }

    /// The step `h`.
    pub fn dt(&self) -> f64 {
        self.h
    }

    fn logistic(&self, u: &mut [f64], tau: f64) {
        let e = (self.rho * tau).exp();
        for v in u {
            *v = *v * e / (1.0 - *v + *v * e);
        }
    }

    /// One Strang step `R(h/2) D(h) R(h/2)` of `u` in place; `spec` holds `s/2 + 1` values.
    fn step(&self, u: &mut [f64], spec: &mut [Complex64], scratch: &mut [f64]) {
        self.logistic(u, self.h / 2.0);
        scratch.copy_from_slice(u);
        self.fft.forward(scratch, spec);
        for (c, d) in spec.iter_mut().zip(&self.decay) {
            *c *= d;
        }
        self.fft.inverse(spec, u);
        self.logistic(u, self.h / 2.0);
    }

    /// Solves from `u0` (`s` values) and returns `frames + 1` snapshots, the first `u0` and each
    /// next one `steps_per_frame` steps later.
    ///
    /// # Panics
    /// When `u0.len() != s`.
    pub fn solve(&self, u0: &[f64], steps_per_frame: usize, frames: usize) -> Vec<Vec<f64>> {
        assert_eq!(u0.len(), self.s, "DiffusionReaction1d::solve: length");
        let mut u = u0.to_vec();
        let mut spec = vec![Complex64::default(); self.s / 2 + 1];
        let mut scratch = vec![0.0; self.s];
        let mut out = vec![u.clone()];
        for _ in 0..frames {
            for _ in 0..steps_per_frame {
                self.step(&mut u, &mut spec, &mut scratch);
            }
            out.push(u.clone());
        }
        out
    }
}

/// Parameters of a diffusion–reaction data set (defaults: PDEBench's `ReacDiff_Nu0.5_Rho1.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct DiffusionReactionConfig {
    /// Number of samples `N`.
    pub samples: usize,
    /// Number of cells `X` (cell centres `(j + ½)/X`).
    pub nx: usize,
    /// Diffusion coefficient `ν` (file attribute `Nu`).
    pub nu: f64,
    /// Reaction rate `ρ` (file attribute `rho`).
    pub rho: f64,
    /// Final time (PDEBench: 1).
    pub t_final: f64,
    /// Number of frame intervals; `frames + 1` frames at `t_k = k · t_final / frames`
    /// (PDEBench: 100).
    pub frames: usize,
    /// Largest time step; the step used divides each frame interval evenly.
    pub dt: f64,
    /// Number of sine waves `W` of the initial condition (PDEBench: 2).
    pub waves: usize,
    /// Largest initial wavenumber (PDEBench: 4).
    pub max_mode: i64,
    /// The seed.
    pub seed: u64,
}

impl Default for DiffusionReactionConfig {
    fn default() -> Self {
        Self {
            samples: 10_000,
            nx: 1024,
            nu: 0.5,
            rho: 1.0,
            t_final: 1.0,
            frames: 100,
            dt: 1e-3,
            waves: 2,
            max_mode: 4,
            seed: 0,
        }
    }
}

impl DiffusionReactionConfig {
    /// The integrator and steps per frame this configuration uses.
    ///
    /// # Errors
    /// `nx < 2`, zero `frames` or `waves`, `max_mode < 1`, non-positive `dt` or `t_final`,
    /// negative `ν`.
    pub fn integrator(&self) -> Result<(DiffusionReaction1d, usize)> {
        if self.nx < 2
            || self.frames == 0
            || self.waves == 0
            || self.max_mode < 1
            || self.dt <= 0.0
            || self.t_final <= 0.0
            || self.nu < 0.0
        {
            return Err(Error::invalid(format!(
                "diffusion-reaction: invalid parameters {self:?}"
            )));
        }
        let interval = self.t_final / self.frames as f64;
        let n = ((interval / self.dt) - 1e-9).ceil().max(1.0) as usize;
        let h = interval / n as f64;
        Ok((DiffusionReaction1d::new(self.nx, self.nu, self.rho, h), n))
    }

    /// Sample `i`'s initial condition on the cell centres, in `[0, 1]` (module docs).
    pub fn initial_condition(&self, i: usize) -> Vec<f64> {
        let f = SineSum::draw(
            self.waves,
            self.max_mode,
            &mut SampleRng::new(self.seed, i as u64),
        );
        let u: Vec<f64> = cell_centres(self.nx).iter().map(|&x| f.eval(x)).collect();
        let (lo, hi) = u
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = hi - lo;
        if span > 0.0 {
            u.iter().map(|v| (v - lo) / span).collect()
        } else {
            vec![0.5; self.nx]
        }
    }

    /// Sample `i` as `[frames + 1, nx]` row-major.
    ///
    /// # Errors
    /// Invalid parameters.
    pub fn sample(&self, i: usize) -> Result<Vec<f64>> {
        let (solver, n) = self.integrator()?;
        Ok(solver
            .solve(&self.initial_condition(i), n, self.frames)
            .concat())
    }

    /// Writes the data set to `path` in PDEBench's 1-D layout: `tensor` `[N, frames + 1, nx]`
    /// f32, `x-coordinate` (cell centres), `t-coordinate`, and file attributes `Nu`, `rho`,
    /// `t_final`, `dt` (the step used), `seed`.
    ///
    /// # Errors
    /// Invalid parameters, HDF5 or file-system errors.
    pub fn generate(
        &self,
        path: impl AsRef<Path>,
        opts: WriteOptions,
        progress: Progress<'_>,
    ) -> Result<PathBuf> {
        let (solver, n) = self.integrator()?;
        let w = Hdf5Writer::create(path, opts)?;
        w.create_dataset(TENSOR, &[self.samples, self.frames + 1, self.nx])?;
        run_blocks(
            self.samples,
            default_block(),
            |i| Ok(solver.solve(&self.initial_condition(i), n, self.frames)),
            |start, out| {
                let rows = out.iter().flat_map(|f| f.iter().map(Vec::as_slice));
                w.write_rows(TENSOR, start, &rows_f32(rows))
            },
            progress,
        )?;
        write_grid(
            &w,
            self.nx,
            self.frames + 2,
            self.t_final / self.frames as f64,
        )?;
        for (name, v) in [
            ("Nu", self.nu),
            ("rho", self.rho),
            ("t_final", self.t_final),
            ("dt", solver.dt()),
            ("seed", self.seed as f64),
        ] {
            w.set_attr("/", name, v)?;
        }
        w.finish()
    }
}
