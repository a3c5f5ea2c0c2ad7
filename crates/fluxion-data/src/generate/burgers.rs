//! 1-D viscous Burgers `u_t + (u²/2)_x = ν u_xx` on the periodic unit interval, as in FNO (Li et
//! al., ICLR 2021): `ν = 0.1`, `u₀ ~ N(0, 625(−Δ + 25I)^{−2})` ([`GrfSpec::BURGERS`]), output at
//! `t = 1`.
//!
//! Pseudo-spectral in space (RealFFT), exponential time differencing RK4 in time (ETDRK4, Cox &
//! Matthews, J. Comput. Phys. 176, 2002) with the φ-function coefficients computed by the
//! contour-integral means of Kassam & Trefethen (SIAM J. Sci. Comput. 26, 2005; 64 points on a
//! unit circle around each `hL_k`). In Fourier space `v̂_t = L v̂ + N(v̂)` with
//! `L_k = −ν(2πk)²` and `N(v̂)_k = −(iπk) · F[(F⁻¹v̂)²]_k`, the product dealiased by the 2/3 rule
//! (modes with `|k| > s/3` of `N` set to zero). The mean (`k = 0`) is untouched by every stage, so
//! it is conserved exactly in spectral space.

use std::path::{Path, PathBuf};

use rustfft::num_complex::Complex64;

use super::fft::RealFft1;
use super::grf::{periodic_1d, GrfSpec};
use super::{default_block, rows_f32, run_blocks, Progress, SampleRng};
use crate::error::{Error, Result};
use crate::pdebench::one_d::TENSOR;
use crate::write::{Hdf5Writer, WriteOptions};

/// An ETDRK4 integrator for Burgers on `s` points with step `dt` and viscosity `ν`.
pub struct BurgersEtdrk4 {
    s: usize,
    fft: RealFft1,
    e: Vec<f64>,
    e2: Vec<f64>,
    q: Vec<f64>,
    f1: Vec<f64>,
    f2: Vec<f64>,
    f3: Vec<f64>,
    /// `−iπk` times the dealiasing mask.
    g: Vec<Complex64>,
}

impl std::fmt::Debug for BurgersEtdrk4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BurgersEtdrk4").field("s", &self.s).finish()
    }
}

impl BurgersEtdrk4 {
    /// Precomputes `e^{hL}`, `e^{hL/2}` and the Kassam–Trefethen coefficients `Q, f₁, f₂, f₃`.
    ///
    /// # Panics
    /// When `s < 4` or `dt` is not positive.
    pub fn new(s: usize, nu: f64, dt: f64) -> Self {
        assert!(s >= 4 && dt > 0.0, "BurgersEtdrk4: s = {s}, dt = {dt}");
        const M: usize = 64;
        let nk = s / 2 + 1;
        let roots: Vec<Complex64> = (0..M)
            .map(|j| {
                Complex64::from_polar(
                    1.0,
                    std::f64::consts::PI * (j as f64 + 0.5) / M as f64 * 2.0,
                )
            })
            .collect();
        let mut c = Self {
            s,
            fft: RealFft1::new(s),
            e: vec![0.0; nk],
            e2: vec![0.0; nk],
            q: vec![0.0; nk],
            f1: vec![0.0; nk],
            f2: vec![0.0; nk],
            f3: vec![0.0; nk],
            g: vec![Complex64::default(); nk],
        };
        let cutoff = s as f64 / 3.0;
        for k in 0..nk {
            let kk = std::f64::consts::TAU * k as f64;
            let l = -nu * kk * kk;
            let hl = dt * l;
            c.e[k] = hl.exp();
            c.e2[k] = (hl / 2.0).exp();
            let (mut q, mut f1, mut f2, mut f3) = (0.0, 0.0, 0.0, 0.0);
            for r in &roots {
                let z = *r + hl;
                let ez = z.exp();
                let z3 = z * z * z;
                q += (((z / 2.0).exp() - 1.0) / z).re;
                f1 += ((-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / z3).re;
                f2 += ((2.0 + z + ez * (z - 2.0)) / z3).re;
                f3 += ((-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / z3).re;
            }
            let m = M as f64;
            c.q[k] = dt * q / m;
            c.f1[k] = dt * f1 / m;
            c.f2[k] = dt * f2 / m;
            c.f3[k] = dt * f3 / m;
            let mask = if (k as f64) <= cutoff { 1.0 } else { 0.0 };
            c.g[k] = Complex64::new(0.0, -kk / 2.0) * mask;
        }
        c
    }

    /// `N(v̂) = −(i k/2) F[(F⁻¹ v̂)²]`, dealiased, into `out`.
    fn nonlinear(
        &self,
        v: &[Complex64],
        out: &mut [Complex64],
        spec: &mut [Complex64],
        real: &mut [f64],
        scratch: &mut Vec<Complex64>,
    ) {
        spec.copy_from_slice(v);
        self.fft.inverse_with(spec, real, scratch);
        real.iter_mut().for_each(|u| *u *= *u);
        self.fft.forward_with(real, out, scratch);
        for (o, g) in out.iter_mut().zip(&self.g) {
            *o *= g;
        }
    }

    /// One ETDRK4 step of `v` (the rfft of `u`, `s/2 + 1` coefficients).
    pub fn step(&self, v: &mut [Complex64]) {
        self.step_in(v, &mut Work::new(self.s));
    }

    /// [`BurgersEtdrk4::step`] with every intermediate in `w` (no allocation).
    fn step_in(&self, v: &mut [Complex64], w: &mut Work) {
        let nk = v.len();
        let Work {
            spec,
            real,
            scratch,
            nv,
            na,
            nb,
            nc,
            a,
            b,
            c,
        } = w;
        self.nonlinear(v, nv, spec, real, scratch);
        for k in 0..nk {
            a[k] = v[k] * self.e2[k] + nv[k] * self.q[k];
        }
        self.nonlinear(a, na, spec, real, scratch);
        for k in 0..nk {
            b[k] = v[k] * self.e2[k] + na[k] * self.q[k];
        }
        self.nonlinear(b, nb, spec, real, scratch);
        for k in 0..nk {
            c[k] = a[k] * self.e2[k] + (nb[k] * 2.0 - nv[k]) * self.q[k];
        }
        self.nonlinear(c, nc, spec, real, scratch);
        for k in 0..nk {
            v[k] = v[k] * self.e[k]
                + nv[k] * self.f1[k]
                + (na[k] + nb[k]) * (2.0 * self.f2[k])
                + nc[k] * self.f3[k];
        }
    }

    /// Solves from `u0` (`s` values) and returns `frames + 1` snapshots, the first `u0` and each
    /// next one `steps_per_frame` steps of this integrator's `dt` later (pick both with
    /// [`BurgersEtdrk4::steps_per_frame`]).
    pub fn solve(&self, u0: &[f64], steps_per_frame: usize, frames: usize) -> Vec<Vec<f64>> {
        let mut real = u0.to_vec();
        let mut v = vec![Complex64::default(); self.s / 2 + 1];
        self.fft.forward(&mut real, &mut v);
        let mut out = vec![u0.to_vec()];
        let mut work = Work::new(self.s);
        for _ in 0..frames {
            for _ in 0..steps_per_frame {
                self.step_in(&mut v, &mut work);
            }
            let mut spec = v.clone();
            let mut u = vec![0.0; self.s];
            self.fft.inverse(&mut spec, &mut u);
            out.push(u);
        }
        out
    }

    /// `(n, h)`: the number of steps per frame interval `Δ = t_final/frames` and the step
    /// `h = Δ/n ≤ dt` actually used.
    pub fn steps_per_frame(t_final: f64, frames: usize, dt: f64) -> (usize, f64) {
        let interval = t_final / frames as f64;
        let n = ((interval / dt) - 1e-9).ceil().max(1.0) as usize;
        (n, interval / n as f64)
    }
}

/// The work space of one ETDRK4 step: the transform buffers and the stage vectors.
struct Work {
    spec: Vec<Complex64>,
    real: Vec<f64>,
    scratch: Vec<Complex64>,
    nv: Vec<Complex64>,
    na: Vec<Complex64>,
    nb: Vec<Complex64>,
    nc: Vec<Complex64>,
    a: Vec<Complex64>,
    b: Vec<Complex64>,
    c: Vec<Complex64>,
}

impl Work {
    fn new(s: usize) -> Self {
        let nk = s / 2 + 1;
        let z = || vec![Complex64::default(); nk];
        Self {
            spec: z(),
            real: vec![0.0; s],
            scratch: Vec::new(),
            nv: z(),
            na: z(),
            nb: z(),
            nc: z(),
            a: z(),
            b: z(),
            c: z(),
        }
    }
}

/// How a Burgers data set is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurgersLayout {
    /// FNO's: `a` `[N, s]` (the initial condition) and `u` `[N, s]` (the solution at `t_final`).
    Fno,
    /// PDEBench's 1-D layout: `tensor` `[N, frames + 1, s]` at `t_k = k · t_final / frames`.
    PdeBench {
        /// Number of frame intervals.
        frames: usize,
    },
}

/// Parameters of a Burgers data set.
#[derive(Debug, Clone, PartialEq)]
pub struct BurgersConfig {
    /// Number of samples `N`.
    pub samples: usize,
    /// Grid points `s` (FNO: 8192).
    pub s: usize,
    /// Viscosity `ν` (FNO: 0.1).
    pub nu: f64,
    /// Final time (FNO: 1).
    pub t_final: f64,
    /// Largest time step; the step used divides each frame interval evenly.
    pub dt: f64,
    /// Initial-condition law.
    pub grf: GrfSpec,
    /// File layout.
    pub layout: BurgersLayout,
    /// The seed.
    pub seed: u64,
}

impl Default for BurgersConfig {
    fn default() -> Self {
        Self {
            samples: 2048,
            s: 8192,
            nu: 0.1,
            t_final: 1.0,
            dt: 1e-4,
            grf: GrfSpec::BURGERS,
            layout: BurgersLayout::Fno,
            seed: 0,
        }
    }
}

impl BurgersConfig {
    fn frames(&self) -> usize {
        match self.layout {
            BurgersLayout::Fno => 1,
            BurgersLayout::PdeBench { frames } => frames,
        }
    }

    /// The integrator and steps per frame this configuration uses.
    ///
    /// # Errors
    /// `s < 4`, non-positive `dt`, `t_final` or zero frames.
    pub fn integrator(&self) -> Result<(BurgersEtdrk4, usize)> {
        if self.s < 4 || self.dt <= 0.0 || self.t_final <= 0.0 || self.frames() == 0 {
            return Err(Error::invalid(format!(
                "burgers: need s >= 4, positive dt and t_final and frames, got {self:?}"
            )));
        }
        let (n, h) = BurgersEtdrk4::steps_per_frame(self.t_final, self.frames(), self.dt);
        Ok((BurgersEtdrk4::new(self.s, self.nu, h), n))
    }

    /// Sample `i`'s initial condition: [`periodic_1d`] from `SampleRng::new(seed, i)`.
    pub fn initial_condition(&self, i: usize) -> Vec<f64> {
        periodic_1d(&self.grf, self.s, &mut SampleRng::new(self.seed, i as u64))
    }

    /// Writes the data set to `path` (layout as [`BurgersLayout`] says, plus `x-coordinate`
    /// (cell centres; the field's law is shift invariant) and, for PDEBench, `t-coordinate`),
    /// with file attributes `Nu`, `t_final`, `dt` (the step used), `seed`, `sigma2`, `tau`,
    /// `alpha`.
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
        let frames = self.frames();
        let w = Hdf5Writer::create(path, opts)?;
        let s = self.s;
        let sample = |i: usize| {
            let u0 = self.initial_condition(i);
            Ok(solver.solve(&u0, n, frames))
        };
        match self.layout {
            BurgersLayout::Fno => {
                w.create_dataset("a", &[self.samples, s])?;
                w.create_dataset("u", &[self.samples, s])?;
                run_blocks(
                    self.samples,
                    default_block(),
                    sample,
                    |start, out| {
                        w.write_rows("a", start, &rows_f32(out.iter().map(|f| f[0].as_slice())))?;
                        w.write_rows("u", start, &rows_f32(out.iter().map(|f| f[1].as_slice())))
                    },
                    progress,
                )?;
                let x: Vec<f32> = super::cell_centres(s).iter().map(|&v| v as f32).collect();
                w.create_dataset(crate::pdebench::one_d::X_COORDINATE, &[s])?;
                w.write_rows(crate::pdebench::one_d::X_COORDINATE, 0, &x)?;
            }
            BurgersLayout::PdeBench { frames } => {
                w.create_dataset(TENSOR, &[self.samples, frames + 1, s])?;
                run_blocks(
                    self.samples,
                    default_block(),
                    sample,
                    |start, out| {
                        let rows = out.iter().flat_map(|f| f.iter().map(Vec::as_slice));
                        w.write_rows(TENSOR, start, &rows_f32(rows))
                    },
                    progress,
                )?;
                super::advection::write_grid(&w, s, frames + 2, self.t_final / frames as f64)?;
            }
        }
        let h = self.t_final / frames as f64 / n as f64;
        for (name, v) in [
            ("Nu", self.nu),
            ("t_final", self.t_final),
            ("dt", h),
            ("seed", self.seed as f64),
            ("sigma2", self.grf.sigma2),
            ("tau", self.grf.tau),
            ("alpha", self.grf.alpha),
        ] {
            w.set_attr("/", name, v)?;
        }
        w.finish()
    }
}
