//! 2-D incompressible Navier–Stokes in vorticity form on the unit torus, as in FNO (Li et al.,
//! "Fourier Neural Operator for Parametric PDEs", ICLR 2021; reference code
//! `data_generation/navier_stokes/ns_2d.py` of `zongyi-li/fourier_neural_operator`):
//!
//! `w_t + u·∇w = νΔw + f`, `u = ∇^⊥ψ = (ψ_y, −ψ_x)`, `−Δψ = w`,
//! `f(x, y) = 0.1 (sin 2π(x + y) + cos 2π(x + y))`, `w₀ ~ N(0, 7^{3/2}(−Δ + 49I)^{−2.5})`
//! ([`GrfSpec::NAVIER_STOKES`]).
//!
//! Pseudo-spectral on the `s × s` grid `(i/s, j/s)` (row-major `[x, y]`), real 2-D FFTs (RealFFT
//! along `y`, RustFFT along `x`). With `λ_k = 4π²|k|²` the semi-discrete system is
//! `ŵ_t = −νλ_k ŵ + E(ŵ)`, `E(ŵ) = f̂ − D·F[u·∇w]`, where `u`, `∇w` are formed in physical space
//! from `ψ̂ = ŵ/λ_k` and the product is dealiased by ns_2d.py's 2/3 rule
//! (`D_k = 1` iff `|k_x|, |k_y| ≤ ⅔⌊s/2⌋`). Each step of size `h` treats diffusion by
//! Crank–Nicolson and `E` by Heun's explicit trapezoid rule:
//!
//! ```text
//! ŵ* = [(1 − hνλ/2) ŵⁿ + h E(ŵⁿ)] / (1 + hνλ/2)
//! ŵⁿ⁺¹ = [(1 − hνλ/2) ŵⁿ + h (E(ŵⁿ) + E(ŵ*))/2] / (1 + hνλ/2)
//! ```
//!
//! Differences from the released `ns_2d.py`, all deliberate: it takes one explicit Euler step of
//! `E` (first order), here Heun makes the scheme second order; it sets `λ_0 = 1` in the diffusion
//! factor, which slowly damps the (zero) mean, here `λ_0 = 0` and the mean mode of the advection
//! term — `∫u·∇w = ∫∇·(uw) = 0` — is set to zero, so the mean vorticity is conserved exactly; the
//! derivatives drop the Nyquist wavenumber (as usual for real spectral derivatives, and immaterial
//! after dealiasing). The FNO data sets use `s = 256`, `h = 10⁻⁴`, subsampled to `64²`.
//!
//! Files use a PDEBench-style layout (see [`NavierStokesConfig::generate`]): `tensor`
//! `[N, record_steps + 1, s_out, s_out]`, frame 0 the initial vorticity, frame `k` at
//! `t = k·T/record_steps`. FNO's own files split this into `a = tensor[:, 0]` and
//! `u = tensor[:, 1:]` moved to `[N, X, Y, T]`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use super::fft::freq;
use super::grf::{periodic_2d, GrfSpec};
use super::{default_block, rows_f32, run_blocks, Progress, SampleRng};
use crate::error::{Error, Result};
use crate::pdebench::darcy::{TENSOR, X_COORDINATE, Y_COORDINATE};
use crate::pdebench::one_d::T_COORDINATE;
use crate::write::{Hdf5Writer, WriteOptions};

const TAU: f64 = std::f64::consts::TAU;

/// Real 2-D FFT of a row-major `[s, s]` array to `[s, s/2 + 1]` coefficients and back.
struct Rfft2 {
    s: usize,
    nk: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    fwd: Arc<dyn Fft<f64>>,
    inv: Arc<dyn Fft<f64>>,
}

/// Scratch of one solve.
struct Work {
    col: Vec<Complex64>,
    scratch: Vec<Complex64>,
    spec: Vec<Complex64>,
    fields: [Vec<f64>; 4],
    n0: Vec<Complex64>,
    n1: Vec<Complex64>,
    star: Vec<Complex64>,
}

impl Rfft2 {
    fn new(s: usize) -> Self {
        let mut rp = RealFftPlanner::<f64>::new();
        let mut cp = FftPlanner::<f64>::new();
        Self {
            s,
            nk: s / 2 + 1,
            r2c: rp.plan_fft_forward(s),
            c2r: rp.plan_fft_inverse(s),
            fwd: cp.plan_fft_forward(s),
            inv: cp.plan_fft_inverse(s),
        }
    }

    fn work(&self) -> Work {
        let z = Complex64::default();
        let scratch = [
            self.r2c.get_scratch_len(),
            self.c2r.get_scratch_len(),
            self.fwd.get_inplace_scratch_len(),
            self.inv.get_inplace_scratch_len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let n = self.s * self.nk;
        Work {
            col: vec![z; self.s],
            scratch: vec![z; scratch],
            spec: vec![z; n],
            fields: std::array::from_fn(|_| vec![0.0; self.s * self.s]),
            n0: vec![z; n],
            n1: vec![z; n],
            star: vec![z; n],
        }
    }

    fn columns(
        &self,
        x: &mut [Complex64],
        fft: &dyn Fft<f64>,
        col: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        let nk = self.nk;
        let scratch = &mut scratch[..fft.get_inplace_scratch_len()];
        for j in 0..nk {
            for (i, c) in col.iter_mut().enumerate() {
                *c = x[i * nk + j];
            }
            fft.process_with_scratch(col, scratch);
            for (i, c) in col.iter().enumerate() {
                x[i * nk + j] = *c;
            }
        }
    }

    /// Unnormalised forward transform of `x` (`[s, s]`, used as scratch) into `out`
    /// (`[s, s/2 + 1]`).
    fn forward(
        &self,
        x: &mut [f64],
        out: &mut [Complex64],
        col: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        let (s, nk) = (self.s, self.nk);
        let sc = self.r2c.get_scratch_len();
        for (xr, orow) in x.chunks_exact_mut(s).zip(out.chunks_exact_mut(nk)) {
            self.r2c
                .process_with_scratch(xr, orow, &mut scratch[..sc])
                .expect("lengths fixed by construction");
        }
        self.columns(out, &*self.fwd, col, scratch);
    }

    /// Inverse transform with the `1/s²` factor; `spec` is used as scratch.
    fn inverse(
        &self,
        spec: &mut [Complex64],
        out: &mut [f64],
        col: &mut [Complex64],
        scratch: &mut [Complex64],
    ) {
        let (s, nk) = (self.s, self.nk);
        self.columns(spec, &*self.inv, col, scratch);
        let sc = self.c2r.get_scratch_len();
        let norm = 1.0 / (s * s) as f64;
        for (srow, orow) in spec.chunks_exact_mut(nk).zip(out.chunks_exact_mut(s)) {
            // Rounding leaves tiny imaginary parts where the row spectrum must be real.
            srow[0].im = 0.0;
            if s % 2 == 0 {
                srow[nk - 1].im = 0.0;
            }
            self.c2r
                .process_with_scratch(srow, orow, &mut scratch[..sc])
                .expect("lengths fixed by construction");
            orow.iter_mut().for_each(|v| *v *= norm);
        }
    }
}

/// FNO's forcing `0.1 (sin 2π(x + y) + cos 2π(x + y))` times `amplitude / 0.1` on the grid
/// `(i/s, j/s)`, row-major.
pub fn fno_forcing(s: usize, amplitude: f64) -> Vec<f64> {
    let mut f = vec![0.0; s * s];
    for i in 0..s {
        for j in 0..s {
            let p = TAU * (i + j) as f64 / s as f64;
            f[i * s + j] = amplitude * (p.sin() + p.cos());
        }
    }
    f
}

/// A Crank–Nicolson / Heun pseudo-spectral integrator of 2-D Navier–Stokes vorticity on `s × s`
/// points with step `h`, viscosity `ν` and a fixed forcing (module docs give the scheme).
pub struct NavierStokes2d {
    s: usize,
    h: f64,
    fft: Rfft2,
    /// `1/λ_k` (0 at `k = 0`).
    inv_lap: Vec<f64>,
    /// `1 − hνλ_k/2`.
    cn_a: Vec<f64>,
    /// `1/(1 + hνλ_k/2)`.
    cn_b: Vec<f64>,
    /// The 2/3-rule mask, 0 at `k = 0`.
    dealias: Vec<f64>,
    /// `2πk_x` per row (0 at the Nyquist row) and `2πk_y` per column (0 at Nyquist).
    kx: Vec<f64>,
    ky: Vec<f64>,
    /// The forcing's spectrum.
    f_hat: Vec<Complex64>,
}

impl std::fmt::Debug for NavierStokes2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NavierStokes2d")
            .field("s", &self.s)
            .field("h", &self.h)
            .finish()
    }
}

impl NavierStokes2d {
    /// Precomputes wavenumbers, Crank–Nicolson factors, the dealiasing mask and `f̂` for the
    /// forcing `forcing` (`s²` values, row-major; `None` for no forcing).
    ///
    /// # Panics
    /// When `s < 4`, `h` is not positive, `ν < 0`, or `forcing` has a length other than `s²`.
    pub fn new(s: usize, nu: f64, h: f64, forcing: Option<&[f64]>) -> Self {
        assert!(
            s >= 4 && h > 0.0 && nu >= 0.0,
            "NavierStokes2d: s = {s}, h = {h}, nu = {nu}"
        );
        let fft = Rfft2::new(s);
        let nk = fft.nk;
        let nyq = |i: usize| s.is_multiple_of(2) && i == s / 2;
        let kx: Vec<f64> = (0..s)
            .map(|i| if nyq(i) { 0.0 } else { TAU * freq(i, s) })
            .collect();
        let ky: Vec<f64> = (0..nk)
            .map(|j| if nyq(j) { 0.0 } else { TAU * j as f64 })
            .collect();
        let kmax = (s / 2) as f64 * 2.0 / 3.0;
        let n = s * nk;
        let (mut inv_lap, mut cn_a, mut cn_b, mut dealias) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for i in 0..s {
            let fx = freq(i, s);
            for j in 0..nk {
                let fy = j as f64;
                let lam = TAU * TAU * (fx * fx + fy * fy);
                let idx = i * nk + j;
                inv_lap[idx] = if lam == 0.0 { 0.0 } else { 1.0 / lam };
                cn_a[idx] = 1.0 - 0.5 * h * nu * lam;
                cn_b[idx] = 1.0 / (1.0 + 0.5 * h * nu * lam);
                let keep = fx.abs() <= kmax && fy <= kmax && idx != 0;
                dealias[idx] = if keep { 1.0 } else { 0.0 };
            }
        }
        let mut f_hat = vec![Complex64::default(); n];
        if let Some(f) = forcing {
            assert_eq!(f.len(), s * s, "NavierStokes2d: forcing length");
            let mut w = fft.work();
            let mut x = f.to_vec();
            fft.forward(&mut x, &mut f_hat, &mut w.col, &mut w.scratch);
        }
        Self {
            s,
            h,
            fft,
            inv_lap,
            cn_a,
            cn_b,
            dealias,
            kx,
            ky,
            f_hat,
        }
    }

    /// The grid size `s`.
    pub fn s(&self) -> usize {
        self.s
    }

    /// The time step `h`.
    pub fn dt(&self) -> f64 {
        self.h
    }

    /// `D·F[u·∇w]` of the spectrum `w` into `out`.
    fn advection(&self, w: &[Complex64], out: &mut [Complex64], wk: &mut Work) {
        let (s, nk) = (self.s, self.fft.nk);
        // u = ψ_y, v = −ψ_x, w_x, w_y with ψ̂ = ŵ/λ.
        for f in 0..4 {
            for i in 0..s {
                for j in 0..nk {
                    let idx = i * nk + j;
                    let m = match f {
                        0 => Complex64::new(0.0, self.ky[j] * self.inv_lap[idx]),
                        1 => Complex64::new(0.0, -self.kx[i] * self.inv_lap[idx]),
                        2 => Complex64::new(0.0, self.kx[i]),
                        _ => Complex64::new(0.0, self.ky[j]),
                    };
                    wk.spec[idx] = w[idx] * m;
                }
            }
            self.fft.inverse(
                &mut wk.spec,
                &mut wk.fields[f],
                &mut wk.col,
                &mut wk.scratch,
            );
        }
        let [u, v, wx, wy] = &mut wk.fields;
        for (((p, v), wx), wy) in u.iter_mut().zip(v.iter()).zip(wx.iter()).zip(wy.iter()) {
            *p = *p * wx + v * wy;
        }
        self.fft.forward(u, out, &mut wk.col, &mut wk.scratch);
        for (o, d) in out.iter_mut().zip(&self.dealias) {
            *o *= d;
        }
    }

    /// One step of the spectrum `w` (`s × (s/2 + 1)`).
    fn step(&self, w: &mut [Complex64], wk: &mut Work) {
        let h = self.h;
        let mut n0 = std::mem::take(&mut wk.n0);
        let mut n1 = std::mem::take(&mut wk.n1);
        let mut star = std::mem::take(&mut wk.star);
        self.advection(w, &mut n0, wk);
        for k in 0..w.len() {
            star[k] = (w[k] * self.cn_a[k] + (self.f_hat[k] - n0[k]) * h) * self.cn_b[k];
        }
        self.advection(&star, &mut n1, wk);
        for k in 0..w.len() {
            let e = self.f_hat[k] - (n0[k] + n1[k]) * 0.5;
            w[k] = (w[k] * self.cn_a[k] + e * h) * self.cn_b[k];
        }
        (wk.n0, wk.n1, wk.star) = (n0, n1, star);
    }

    /// Solves from `w0` (`s²` values, row-major) and returns `records + 1` snapshots, the first
    /// `w0`, each next one `steps_per_record` steps later, every one subsampled by `stride`
    /// (`w[::stride, ::stride]`, `(s/stride)²` values).
    ///
    /// # Panics
    /// When `w0.len() != s²` or `stride` is 0.
    pub fn solve(
        &self,
        w0: &[f64],
        steps_per_record: usize,
        records: usize,
        stride: usize,
    ) -> Vec<Vec<f64>> {
        let s = self.s;
        assert!(w0.len() == s * s && stride > 0, "NavierStokes2d::solve");
        let mut wk = self.fft.work();
        let mut w = vec![Complex64::default(); s * self.fft.nk];
        let mut real = w0.to_vec();
        self.fft
            .forward(&mut real, &mut w, &mut wk.col, &mut wk.scratch);
        let sub = |x: &[f64]| -> Vec<f64> {
            (0..s)
                .step_by(stride)
                .flat_map(|i| x[i * s..(i + 1) * s].iter().step_by(stride).copied())
                .collect()
        };
        let mut out = vec![sub(w0)];
        for _ in 0..records {
            for _ in 0..steps_per_record {
                self.step(&mut w, &mut wk);
            }
            wk.spec.copy_from_slice(&w);
            self.fft
                .inverse(&mut wk.spec, &mut real, &mut wk.col, &mut wk.scratch);
            out.push(sub(&real));
        }
        out
    }

    /// `(n, h)`: steps per record interval `Δ = t_final/records` and the step `h = Δ/n ≤ dt`.
    pub fn steps_per_record(t_final: f64, records: usize, dt: f64) -> (usize, f64) {
        let interval = t_final / records as f64;
        let n = ((interval / dt) - 1e-9).ceil().max(1.0) as usize;
        (n, interval / n as f64)
    }
}

/// Parameters of a Navier–Stokes data set (defaults: FNO's `ν = 10⁻³`, `T = 50` set, 256² solved,
/// 64² stored, one record per unit time).
#[derive(Debug, Clone, PartialEq)]
pub struct NavierStokesConfig {
    /// Number of samples `N`.
    pub samples: usize,
    /// Solver grid `s` (FNO: 256).
    pub s: usize,
    /// Stored grid `s_out`, a divisor of `s` (FNO: 64); every `s/s_out`-th point is kept.
    pub s_out: usize,
    /// Viscosity `ν` (FNO: 10⁻³, 10⁻⁴, 10⁻⁵).
    pub nu: f64,
    /// Final time `T` (FNO: 50, 30, 20).
    pub t_final: f64,
    /// Largest time step (FNO: 10⁻⁴); the step used divides each record interval evenly.
    pub dt: f64,
    /// Number of recorded snapshots after `t = 0` (FNO: `T`, one per unit time).
    pub record_steps: usize,
    /// Forcing amplitude: `f = amplitude·(sin 2π(x+y) + cos 2π(x+y))` (FNO: 0.1).
    pub forcing: f64,
    /// Initial-vorticity law.
    pub grf: GrfSpec,
    /// The seed.
    pub seed: u64,
}

impl Default for NavierStokesConfig {
    fn default() -> Self {
        Self {
            samples: 1000,
            s: 256,
            s_out: 64,
            nu: 1e-3,
            t_final: 50.0,
            dt: 1e-4,
            record_steps: 50,
            forcing: 0.1,
            grf: GrfSpec::NAVIER_STOKES,
            seed: 0,
        }
    }
}

impl NavierStokesConfig {
    fn check(&self) -> Result<()> {
        let ok = self.s >= 4
            && self.s_out >= 1
            && self.s.is_multiple_of(self.s_out)
            && self.dt > 0.0
            && self.t_final > 0.0
            && self.nu >= 0.0
            && self.record_steps >= 1;
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "navier-stokes: need s >= 4, s_out dividing s, positive dt, t_final and \
                 record_steps, nu >= 0, got {self:?}"
            )))
        }
    }

    /// The integrator and steps per record this configuration uses.
    ///
    /// # Errors
    /// Invalid parameters (see [`NavierStokesConfig::generate`]).
    pub fn integrator(&self) -> Result<(NavierStokes2d, usize)> {
        self.check()?;
        let (n, h) = NavierStokes2d::steps_per_record(self.t_final, self.record_steps, self.dt);
        let f = fno_forcing(self.s, self.forcing);
        let f = (self.forcing != 0.0).then_some(f.as_slice());
        Ok((NavierStokes2d::new(self.s, self.nu, h, f), n))
    }

    /// Sample `i`'s initial vorticity on the `s × s` grid: [`periodic_2d`] from
    /// `SampleRng::new(seed, i)`.
    pub fn initial_condition(&self, i: usize) -> Vec<f64> {
        periodic_2d(&self.grf, self.s, &mut SampleRng::new(self.seed, i as u64))
    }

    /// Sample `i` as `[record_steps + 1, s_out, s_out]` row-major (frame 0 the initial
    /// vorticity).
    ///
    /// # Errors
    /// Invalid parameters.
    pub fn sample(&self, i: usize) -> Result<Vec<f64>> {
        let (solver, n) = self.integrator()?;
        Ok(self.solve_with(&solver, n, i).concat())
    }

    fn solve_with(&self, solver: &NavierStokes2d, n: usize, i: usize) -> Vec<Vec<f64>> {
        let w0 = self.initial_condition(i);
        solver.solve(&w0, n, self.record_steps, self.s / self.s_out)
    }

    /// Writes the data set to `path`: `tensor` `[N, record_steps + 1, s_out, s_out]` f32
    /// (vorticity, `[sample, t, x, y]`), `x-coordinate` and `y-coordinate` `[s_out]` (the kept
    /// nodes `j·(s/s_out)/s`), `t-coordinate` `[record_steps + 1]`, and file attributes `Nu`,
    /// `t_final`, `dt` (the step used), `s`, `s_out`, `record_steps`, `forcing`, `seed`,
    /// `sigma2`, `tau`, `alpha`.
    ///
    /// # Errors
    /// Invalid parameters (`s < 4`, `s_out` not dividing `s`, non-positive `dt`, `t_final` or
    /// `record_steps`, negative `ν`), HDF5 or file-system errors.
    pub fn generate(
        &self,
        path: impl AsRef<Path>,
        opts: WriteOptions,
        progress: Progress<'_>,
    ) -> Result<PathBuf> {
        let (solver, n) = self.integrator()?;
        let (so, frames) = (self.s_out, self.record_steps + 1);
        let w = Hdf5Writer::create(path, opts)?;
        w.create_dataset(TENSOR, &[self.samples, frames, so, so])?;
        run_blocks(
            self.samples,
            default_block(),
            |i| Ok(self.solve_with(&solver, n, i)),
            |start, out| {
                let rows = out.iter().flat_map(|f| f.iter().map(Vec::as_slice));
                w.write_rows(TENSOR, start, &rows_f32(rows))
            },
            progress,
        )?;
        let stride = self.s / so;
        let x: Vec<f32> = (0..so)
            .map(|j| ((j * stride) as f64 / self.s as f64) as f32)
            .collect();
        for key in [X_COORDINATE, Y_COORDINATE] {
            w.create_dataset(key, &[so])?;
            w.write_rows(key, 0, &x)?;
        }
        let interval = self.t_final / self.record_steps as f64;
        let t: Vec<f32> = (0..frames).map(|k| (k as f64 * interval) as f32).collect();
        w.create_dataset(T_COORDINATE, &[frames])?;
        w.write_rows(T_COORDINATE, 0, &t)?;
        for (name, v) in [
            ("Nu", self.nu),
            ("t_final", self.t_final),
            ("dt", solver.dt()),
            ("s", self.s as f64),
            ("s_out", so as f64),
            ("record_steps", self.record_steps as f64),
            ("forcing", self.forcing),
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
