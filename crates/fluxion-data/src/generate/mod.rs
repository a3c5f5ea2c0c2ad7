//! Seeded, parallel generators of FNO and PDEBench training data.
//!
//! - [`grf`]: Gaussian random fields `N(0, σ²(−Δ + τ²I)^{−α})`, periodic (FFT) and Neumann (cosine
//!   series).
//! - [`advection`]: 1-D linear advection, exact shifts of PDEBench-style sine-sum initial data.
//! - [`burgers`]: 1-D viscous Burgers (FNO), pseudo-spectral ETDRK4.
//! - [`darcy`]: 2-D Darcy flow (FNO), 5-point finite differences and Jacobi-preconditioned CG.
//! - [`diffusion_reaction`]: 1-D diffusion–reaction (PDEBench), Strang splitting of exact flows.
//! - [`navier_stokes`]: 2-D Navier–Stokes vorticity on the torus (FNO), pseudo-spectral
//!   Crank–Nicolson/Heun.
//!
//! Every generator is deterministic per sample: sample `i` of seed `s` draws its random numbers
//! from a [`SampleRng`] keyed by `(s, i)`, so a file does not depend on the number of threads or
//! on which samples are generated together. Samples are computed in parallel with rayon, in
//! blocks that are written to the file as they finish (the whole data set never sits in memory),
//! through [`crate::Hdf5Writer`] (a temporary file renamed at the end). The library prints
//! nothing: pass a [`Progress`] callback to show a bar.

pub mod advection;
pub mod burgers;
pub mod darcy;
pub mod diffusion_reaction;
pub(crate) mod fft;
pub mod grf;
pub mod navier_stokes;

use rayon::prelude::*;

use crate::error::Result;
use fluxion_tensor::random::philox4x32_10;

/// A progress callback: `(samples done, samples in total)`, called from the writing thread after
/// each block.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// A progress callback that does nothing.
pub fn no_progress(_done: usize, _total: usize) {}

/// The random stream of one sample: Philox4x32-10 (Salmon et al., SC 2011) with key `seed` and
/// counter `(j mod 2³², j >> 32, i mod 2³², i >> 32)` for block `j` of sample `i`.
///
/// Uniforms use 53 bits of two words; normals come in Box–Muller pairs from one block's four
/// words, as `fluxion_tensor::random::normal_f64`.
///
/// ```
/// use fluxion_data::generate::SampleRng;
/// let (mut a, mut b) = (SampleRng::new(7, 3), SampleRng::new(7, 3));
/// assert_eq!(a.normal(), b.normal());
/// assert_ne!(SampleRng::new(7, 4).normal(), SampleRng::new(7, 3).normal());
/// ```
#[derive(Debug, Clone)]
pub struct SampleRng {
    key: [u32; 2],
    sample: u64,
    block: u64,
    spare: Option<f64>,
}

const TWO_M53: f64 = 1.0 / (1u64 << 53) as f64;

fn u53(hi: u32, lo: u32) -> f64 {
    (((u64::from(hi) << 32) | u64::from(lo)) >> 11) as f64 * TWO_M53
}

impl SampleRng {
    /// The stream of sample `sample` under `seed`.
    pub fn new(seed: u64, sample: u64) -> Self {
        Self {
            key: [seed as u32, (seed >> 32) as u32],
            sample,
            block: 0,
            spare: None,
        }
    }

    fn next_block(&mut self) -> [u32; 4] {
        let (j, i) = (self.block, self.sample);
        self.block += 1;
        philox4x32_10(
            [j as u32, (j >> 32) as u32, i as u32, (i >> 32) as u32],
            self.key,
        )
    }

    /// A uniform number in `[0, 1)` (one block per call).
    pub fn uniform(&mut self) -> f64 {
        let w = self.next_block();
        u53(w[0], w[1])
    }

    /// A standard normal number.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let w = self.next_block();
        let u1 = ((((u64::from(w[0]) << 32) | u64::from(w[1])) >> 11) + 1) as f64 * TWO_M53;
        let u2 = u53(w[2], w[3]);
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// An integer uniform in `lo..=hi`.
    pub fn integer(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1) as f64;
        lo + ((self.uniform() * span) as i64).min(hi - lo)
    }
}

/// Runs `sample(i)` for `i in 0..n` in parallel, in blocks of `block` samples, and hands each
/// block's outputs (in sample order) to `write(start, outputs)` on the calling thread.
///
/// Logs through `tracing`: the start (generator, samples, block, threads) and the end (seconds,
/// samples per second) at info, each block at debug. The generator is named by the calling
/// file (`burgers`, `darcy`, …), found with `#[track_caller]`.
#[track_caller]
pub(crate) fn run_blocks<T: Send>(
    n: usize,
    block: usize,
    sample: impl Fn(usize) -> Result<T> + Sync,
    mut write: impl FnMut(usize, Vec<T>) -> Result<()>,
    progress: Progress<'_>,
) -> Result<()> {
    let block = block.max(1);
    let generator = std::path::Path::new(std::panic::Location::caller().file())
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let threads = rayon::current_num_threads();
    tracing::info!(generator, samples = n, block, threads, "generating");
    let clock = std::time::Instant::now();
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        let out: Vec<T> = (start..end)
            .into_par_iter()
            .map(&sample)
            .collect::<Result<_>>()?;
        write(start, out)?;
        progress(end, n);
        tracing::debug!(generator, done = end, samples = n, "block written");
        start = end;
    }
    let seconds = clock.elapsed().as_secs_f64();
    tracing::info!(
        generator,
        samples = n,
        seconds,
        samples_per_sec = n as f64 / seconds.max(1e-12),
        "generated"
    );
    Ok(())
}

/// Samples per written block: enough to keep every rayon thread busy a few times over.
pub(crate) fn default_block() -> usize {
    4 * rayon::current_num_threads()
}

/// Cell centres `(j + ½)/n` of `[0, 1]`, as PDEBench's `x-coordinate`.
pub fn cell_centres(n: usize) -> Vec<f64> {
    (0..n).map(|j| (j as f64 + 0.5) / n as f64).collect()
}

/// Concatenates per-sample f64 rows into f32 values for [`crate::Hdf5Writer::write_rows`].
pub(crate) fn rows_f32<'a>(rows: impl IntoIterator<Item = &'a [f64]>) -> Vec<f32> {
    rows.into_iter()
        .flat_map(|r| r.iter().map(|&v| v as f32))
        .collect()
}
