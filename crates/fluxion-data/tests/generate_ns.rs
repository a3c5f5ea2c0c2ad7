//! Navier–Stokes (FNO) and diffusion–reaction (PDEBench) generators. Navier–Stokes: exact decaying and forced solutions, the advection term against
//! its closed form, second-order time convergence, mean conservation and the written file;
//! diffusion–reaction: second-order Strang splitting, the invariant `[0, 1]`, the written file.

mod common;

use std::f64::consts::{PI, TAU};

use fluxion_data::generate::diffusion_reaction::{DiffusionReaction1d, DiffusionReactionConfig};
use fluxion_data::generate::navier_stokes::{fno_forcing, NavierStokes2d, NavierStokesConfig};
use fluxion_data::generate::no_progress;
use fluxion_data::pdebench::one_d::PdeBench1d;
use fluxion_data::{H5File, Resolution, WriteOptions};

/// `f(x_i, y_j)` on the `s × s` grid `(i/s, j/s)`, row-major.
fn grid(s: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    (0..s * s)
        .map(|k| f((k / s) as f64 / s as f64, (k % s) as f64 / s as f64))
        .collect()
}

fn max_abs(x: &[f64]) -> f64 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// Taylor–Green vorticity `w₀ = c cos 2πx cos 2πy`: `u·∇w ≡ 0` (ψ = w/λ, so `u·∇w = ψ_y w_x − ψ_x
/// w_y = 0`), hence `w(t) = w₀ e^{−λνt}`, `λ = 8π²`. Crank–Nicolson multiplies the mode by
/// `g = (1 − a/2)/(1 + a/2) = exp(−a − a³/12 − O(a⁵))` per step, `a = hνλ`, so after `n` steps the
/// relative error is `n a³/12` to leading order: `4.1·10⁻¹¹` for `h = 10⁻⁴, ν = 10⁻², t = 0.1`
/// (`a = 7.9·10⁻⁵`, `n = 1000`; measured `4.10·10⁻¹¹`), far inside the `~10⁻⁶` one might allow;
/// the test asks for `10⁻¹⁰`. With `h = 10⁻²` (`n = 10`, `a = 7.9·10⁻³`) the CN error
/// `4.1·10⁻⁷` must match `n a³/12` to 5 % and the result `g^n` to rounding, so a first-order
/// (implicit Euler, error `n a²/2 ≈ 3·10⁻⁴`) diffusion step would fail.
#[test]
fn taylor_green_decays_exactly() {
    let (s, nu, c, t) = (32, 1e-2, 2.5, 0.1);
    let w0 = grid(s, |x, y| c * (TAU * x).cos() * (TAU * y).cos());
    let lam = 2.0 * TAU * TAU;
    let exact: Vec<f64> = w0.iter().map(|w| w * (-lam * nu * t).exp()).collect();
    let (n, h) = NavierStokes2d::steps_per_record(t, 1, 1e-4);
    assert_eq!(n, 1000);
    let solver = NavierStokes2d::new(s, nu, h, None);
    let w = &solver.solve(&w0, n, 1, 1)[1];
    let rel = max_diff(w, &exact) / max_abs(&exact);
    assert!(rel < 1e-10, "h = 1e-4: relative error {rel:e}");

    let (n, h) = (10, 0.01);
    let a = h * nu * lam;
    let g = ((1.0 - a / 2.0) / (1.0 + a / 2.0)).powi(n as i32);
    let solver = NavierStokes2d::new(s, nu, h, None);
    let w = &solver.solve(&w0, n, 1, 1)[1];
    let cn: Vec<f64> = w0.iter().map(|v| v * g).collect();
    let rel_cn = max_diff(w, &cn) / max_abs(&cn);
    assert!(rel_cn < 1e-13, "h = 1e-2: distance to g^n {rel_cn:e}");
    let rel_exact = max_diff(w, &exact) / max_abs(&exact);
    let predicted = n as f64 * a.powi(3) / 12.0;
    assert!(
        (rel_exact - predicted).abs() < 0.05 * predicted,
        "h = 1e-2: CN error {rel_exact:e}, predicted {predicted:e}"
    );
}

/// FNO's forcing is a shear `F(x + y)`; from `w₀ = 0` the solution stays a function of `x + y`,
/// on which `u·∇w ≡ 0`, so `w(t) = f (1 − e^{−λνt})/(λν)` with `λ = 8π²`. With constant forcing
/// the scheme is the linear recursion `wⁿ⁺¹ = g wⁿ + h f/(1 + a/2)`, whose fixed point is exactly
/// `f/(λν)`, so `wⁿ = f (1 − gⁿ)/(λν)` and the relative error is
/// `(e^{−λνt} − gⁿ)/(1 − e^{−λνt}) ≈ e^{−λνt} n a³/12 /(1 − e^{−λνt})`: `8.6·10⁻⁶` for
/// `a = hνλ = 1.58·10⁻²`, `n = 100`. The test asks for that value to 5 %.
#[test]
fn forced_shear_matches_exact_solution() {
    let (s, nu, t) = (32, 2e-2, 1.0);
    let f = fno_forcing(s, 0.1);
    let lam = 2.0 * TAU * TAU;
    let exact: Vec<f64> = f
        .iter()
        .map(|v| v * (1.0 - (-lam * nu * t).exp()) / (lam * nu))
        .collect();
    let (n, h) = NavierStokes2d::steps_per_record(t, 1, 1e-2);
    let solver = NavierStokes2d::new(s, nu, h, Some(&f));
    let w = &solver.solve(&vec![0.0; s * s], n, 1, 1)[1];
    let rel = max_diff(w, &exact) / max_abs(&exact);
    let (a, decay) = (h * nu * lam, (-lam * nu * t).exp());
    let predicted = decay * n as f64 * a.powi(3) / 12.0 / (1.0 - decay);
    assert!(
        (rel - predicted).abs() < 0.05 * predicted,
        "relative error {rel:e}, predicted {predicted:e}"
    );
}

/// `w₀ = A sin 2πx + B cos 4πy`: `ψ = A sin 2πx/(4π²) + B cos 4πy/(16π²)`, `u = ψ_y`, `v = −ψ_x`,
/// so `u·∇w = (3/2)AB cos 2πx sin 4πy` and
/// `w_t(0) = −(3/2)AB cos 2πx sin 4πy − ν(4π²A sin 2πx + 16π²B cos 4πy) + f`.
/// Heun is second order, so the Richardson difference `2D(h) − D(2h)` of the one-step quotients
/// `D(h) = (w(h) − w₀)/h` matches `w_t(0)` to `O(h²)`: `h = 10⁻⁴`, `|w_ttt| ≲ 10⁴` gives `10⁻⁴`,
/// tested at `10⁻³` of `max |w_t|` (a wrong sign or factor in `u` fails by `O(1)`).
#[test]
fn advection_term_matches_closed_form() {
    let (s, nu, a, b) = (32, 1e-2, 1.0, 0.7);
    let w0 = grid(s, |x, y| a * (TAU * x).sin() + b * (2.0 * TAU * y).cos());
    let f = fno_forcing(s, 0.1);
    let fy = grid(s, |x, y| {
        -1.5 * a * b * (TAU * x).cos() * (2.0 * TAU * y).sin()
            - nu * (4.0 * PI * PI * a * (TAU * x).sin()
                + 16.0 * PI * PI * b * (2.0 * TAU * y).cos())
    });
    let want: Vec<f64> = fy.iter().zip(&f).map(|(p, q)| p + q).collect();
    let quotient = |h: f64| -> Vec<f64> {
        let w1 = &NavierStokes2d::new(s, nu, h, Some(&f)).solve(&w0, 1, 1, 1)[1];
        w1.iter().zip(&w0).map(|(p, q)| (p - q) / h).collect()
    };
    let (d1, d2) = (quotient(1e-4), quotient(2e-4));
    let rich: Vec<f64> = d1.iter().zip(&d2).map(|(p, q)| 2.0 * p - q).collect();
    let rel = max_diff(&rich, &want) / max_abs(&want);
    assert!(rel < 1e-3, "w_t(0): relative error {rel:e}");
}

/// Self-convergence on a GRF sample with forcing: errors against an `h/16` solve at `t = 0.2`
/// fall by `≈ 4` per halving of `h` (Heun + Crank–Nicolson are both second order).
#[test]
fn heun_crank_nicolson_is_second_order() {
    let cfg = NavierStokesConfig {
        s: 32,
        nu: 1e-3,
        seed: 11,
        ..Default::default()
    };
    let w0 = cfg.initial_condition(0);
    let f = fno_forcing(cfg.s, 0.1);
    let t = 0.2;
    let run = |n: usize| {
        NavierStokes2d::new(cfg.s, cfg.nu, t / n as f64, Some(&f)).solve(&w0, n, 1, 1)[1].clone()
    };
    let reference = run(320);
    let errs: Vec<f64> = [20, 40, 80]
        .iter()
        .map(|&n| max_diff(&run(n), &reference))
        .collect();
    for k in 0..2 {
        let ratio = errs[k] / errs[k + 1];
        assert!(
            (3.3..4.7).contains(&ratio),
            "errors {errs:?}: ratio {ratio} at halving {k}"
        );
    }
}

/// The mean vorticity stays 0 with FNO's (mean-free) forcing and a GRF `w₀` (mean mode removed),
/// to rounding of an `s²`-term sum (`10⁻¹²`), while the field itself evolves.
#[test]
fn mean_vorticity_is_conserved() {
    let cfg = NavierStokesConfig {
        s: 32,
        s_out: 32,
        nu: 1e-3,
        t_final: 1.0,
        dt: 2e-3,
        record_steps: 5,
        seed: 5,
        ..Default::default()
    };
    let u = cfg.sample(1).unwrap();
    let n = cfg.s * cfg.s;
    assert_eq!(u.len(), 6 * n);
    for (k, frame) in u.chunks_exact(n).enumerate() {
        let mean = frame.iter().sum::<f64>() / n as f64;
        assert!(mean.abs() < 1e-12, "frame {k}: mean {mean:e}");
    }
    let change = max_diff(&u[..n], &u[5 * n..]) / max_abs(&u[..n]);
    assert!(change > 1e-2, "field barely moved: {change:e}");
}

/// A short file: shape, coordinates, attributes, subsampling, determinism across thread counts,
/// and a different seed giving different data.
#[test]
fn generated_file_reads_back() {
    let cfg = NavierStokesConfig {
        samples: 2,
        s: 32,
        s_out: 16,
        nu: 1e-3,
        t_final: 0.05,
        dt: 1e-2,
        record_steps: 2,
        seed: 9,
        ..Default::default()
    };
    let dir = common::scratch("generate_ns");
    let p = cfg
        .generate(dir.join("ns.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    let f = H5File::open(&p).unwrap();
    let ds = f.handle().dataset("tensor").unwrap();
    assert_eq!(ds.shape(), vec![2, 3, 16, 16]);
    let data: Vec<f32> = ds.read_raw().unwrap();
    let attrs = f.numeric_attrs("/").unwrap();
    assert_eq!(attrs["Nu"], 1e-3);
    assert_eq!(attrs["t_final"], 0.05);
    assert_eq!(attrs["dt"], 0.025 / 3.0);
    assert_eq!(attrs["s"], 32.0);
    assert_eq!(attrs["s_out"], 16.0);
    assert_eq!(attrs["seed"], 9.0);
    assert_eq!(attrs["forcing"], 0.1);
    let t: Vec<f32> = f
        .handle()
        .dataset("t-coordinate")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(t, vec![0.0, 0.025, 0.05]);
    let x: Vec<f32> = f
        .handle()
        .dataset("x-coordinate")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(x[1], 2.0 / 32.0);
    // Sample 1 equals `sample(1)`, whose frame 0 is the initial condition subsampled by 2.
    let s1: Vec<f32> = cfg.sample(1).unwrap().iter().map(|&v| v as f32).collect();
    assert_eq!(&data[3 * 256..], s1.as_slice());
    let w0 = cfg.initial_condition(1);
    assert_eq!(s1[16 + 3], w0[2 * 32 + 6] as f32);
    // Same seed on one thread: the same data; another seed: different data.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let q = one
        .install(|| cfg.generate(dir.join("ns1.h5"), WriteOptions::default(), &no_progress))
        .unwrap();
    let read = |p: &std::path::Path| -> Vec<f32> {
        H5File::open(p)
            .unwrap()
            .handle()
            .dataset("tensor")
            .unwrap()
            .read_raw()
            .unwrap()
    };
    assert_eq!(read(&q), data);
    let other = NavierStokesConfig { seed: 10, ..cfg };
    let r = other
        .generate(dir.join("ns2.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    assert_ne!(read(&r), data);
}

/// Strang splitting is second order: errors against an `h/64` solve fall by `≈ 4` per halving.
/// `ν = 10⁻²`, `ρ = 5` make diffusion and reaction comparable, so the splitting error dominates
/// (both sub-flows are exact).
#[test]
fn strang_splitting_is_second_order() {
    let cfg = DiffusionReactionConfig {
        nx: 64,
        seed: 2,
        ..Default::default()
    };
    let u0 = cfg.initial_condition(0);
    let (nu, rho, t) = (1e-2, 5.0, 0.5);
    let run =
        |n: usize| DiffusionReaction1d::new(64, nu, rho, t / n as f64).solve(&u0, n, 1)[1].clone();
    let reference = run(640);
    let errs: Vec<f64> = [10, 20, 40]
        .iter()
        .map(|&n| max_diff(&run(n), &reference))
        .collect();
    assert!(
        errs[0] > 1e-6,
        "splitting error too small to measure: {errs:?}"
    );
    for k in 0..2 {
        let ratio = errs[k] / errs[k + 1];
        assert!(
            (3.5..4.5).contains(&ratio),
            "errors {errs:?}: ratio {ratio} at halving {k}"
        );
    }
}

/// `u₀ ∈ [0, 1]` (normalised sine sums, hitting 0 and 1) stays in `[0, 1]` to rounding (`10⁻¹²`)
/// under strong reaction; the written file has PDEBench's 1-D layout and attributes.
#[test]
fn diffusion_reaction_stays_in_unit_interval_and_writes() {
    let cfg = DiffusionReactionConfig {
        samples: 3,
        nx: 128,
        nu: 0.5,
        rho: 10.0,
        t_final: 1.0,
        frames: 10,
        dt: 1e-2,
        seed: 4,
        ..Default::default()
    };
    for i in 0..3 {
        let u0 = cfg.initial_condition(i);
        let (lo, hi) = u0
            .iter()
            .fold((1.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        assert!(lo == 0.0 && hi == 1.0, "u0 range [{lo}, {hi}]");
        let u = cfg.sample(i).unwrap();
        assert_eq!(u.len(), 11 * 128);
        for &v in &u {
            assert!((-1e-12..=1.0 + 1e-12).contains(&v), "sample {i}: {v}");
        }
    }
    let dir = common::scratch("generate_reacdiff");
    let p = cfg
        .generate(dir.join("rd.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    let f = PdeBench1d::open(&p, Resolution::FULL).unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(f.sample_shape(), vec![11, 128]);
    let attrs = f.attrs().unwrap();
    assert_eq!((attrs["Nu"], attrs["rho"]), (0.5, 10.0));
    let want: Vec<f32> = cfg.sample(2).unwrap().iter().map(|&v| v as f32).collect();
    assert_eq!(f.sample(2).unwrap().to_vec::<f32>().unwrap(), want);
}
