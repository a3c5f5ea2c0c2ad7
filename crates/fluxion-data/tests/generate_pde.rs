//! Advection, Burgers and Darcy generators: exact solutions, conservation, an independent solve,
//! discrete residuals, and the files they write.

mod common;

use fluxion_data::generate::advection::AdvectionConfig;
use fluxion_data::generate::burgers::{BurgersConfig, BurgersEtdrk4, BurgersLayout};
use fluxion_data::generate::darcy::{solve, DarcyConfig, FaceAverage};
use fluxion_data::generate::no_progress;
use fluxion_data::pdebench::darcy::PdeBenchDarcy;
use fluxion_data::pdebench::one_d::PdeBench1d;
use fluxion_data::{Resolution, WriteOptions};
use rustfft::num_complex::Complex64;
use rustfft::FftPlanner;

/// βΔt = one cell: frame k is frame 0 rolled by k cells, to rounding.
#[test]
fn advection_is_the_exact_shift() {
    let cfg = AdvectionConfig {
        samples: 6,
        nx: 64,
        beta: 0.25,
        t_final: 1.0,
        steps: 16,
        seed: 3,
        ..Default::default()
    };
    let nx = cfg.nx;
    for i in 0..3 {
        let u = cfg.sample(i);
        for k in 0..=cfg.steps {
            for j in 0..nx {
                let shifted = u[(j + nx - k % nx) % nx];
                let d = (u[k * nx + j] - shifted).abs();
                assert!(d < 1e-13, "sample {i} frame {k} cell {j}: {d:e}");
            }
        }
    }
    let dir = common::scratch("generate_advection");
    let p = cfg
        .generate(dir.join("adv.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    let f = PdeBench1d::open(&p, Resolution::FULL).unwrap();
    assert_eq!(f.len(), 6);
    assert_eq!(f.sample_shape(), vec![17, 64]);
    assert_eq!(f.attrs().unwrap()["beta"], 0.25);
    assert_eq!(f.t_coordinate().unwrap().dims(), &[18]);
    let want: Vec<f32> = cfg.sample(4).iter().map(|&v| v as f32).collect();
    assert_eq!(f.sample(4).unwrap().to_vec::<f32>().unwrap(), want);
    // Same seed on one thread: the same data; another seed: different data.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let q = one
        .install(|| cfg.generate(dir.join("adv1.h5"), WriteOptions::default(), &no_progress))
        .unwrap();
    let g = PdeBench1d::open(&q, Resolution::FULL).unwrap();
    let all = |f: &PdeBench1d| f.range(0..6, 1).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(all(&f), all(&g));
    let other = AdvectionConfig { seed: 4, ..cfg };
    let r = other
        .generate(dir.join("adv2.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    assert_ne!(
        all(&f),
        all(&PdeBench1d::open(&r, Resolution::FULL).unwrap())
    );
}

/// Lawson (integrating-factor) RK4, complex FFTs: independent of the ETDRK4 code path.
fn lawson_rk4(u0: &[f64], nu: f64, t: f64, steps: usize) -> Vec<f64> {
    let s = u0.len();
    let mut planner = FftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(s), planner.plan_fft_inverse(s));
    let k: Vec<f64> = (0..s)
        .map(|i| {
            let f = if i < s / 2 {
                i as f64
            } else {
                i as f64 - s as f64
            };
            std::f64::consts::TAU * f
        })
        .collect();
    let h = t / steps as f64;
    let e: Vec<f64> = k.iter().map(|k| (-nu * k * k * h).exp()).collect();
    let e2: Vec<f64> = k.iter().map(|k| (-nu * k * k * h / 2.0).exp()).collect();
    let n = |v: &[Complex64]| -> Vec<Complex64> {
        let mut u = v.to_vec();
        inv.process(&mut u);
        for x in &mut u {
            *x = Complex64::new((x.re / s as f64).powi(2), 0.0);
        }
        fwd.process(&mut u);
        for (i, x) in u.iter_mut().enumerate() {
            let kk = k[i] / std::f64::consts::TAU;
            let keep = kk.abs() <= s as f64 / 3.0;
            *x *= Complex64::new(0.0, -k[i] / 2.0) * if keep { h } else { 0.0 };
        }
        u
    };
    let mut v: Vec<Complex64> = u0.iter().map(|&x| Complex64::new(x, 0.0)).collect();
    fwd.process(&mut v);
    for _ in 0..steps {
        let k1 = n(&v);
        let a: Vec<Complex64> = (0..s).map(|i| (v[i] + k1[i] / 2.0) * e2[i]).collect();
        let k2 = n(&a);
        let b: Vec<Complex64> = (0..s).map(|i| v[i] * e2[i] + k2[i] / 2.0).collect();
        let k3 = n(&b);
        let c: Vec<Complex64> = (0..s).map(|i| v[i] * e[i] + k3[i] * e2[i]).collect();
        let k4 = n(&c);
        for i in 0..s {
            v[i] = v[i] * e[i] + (k1[i] * e[i] + (k2[i] + k3[i]) * (2.0 * e2[i]) + k4[i]) / 6.0;
        }
    }
    inv.process(&mut v);
    v.iter().map(|x| x.re / s as f64).collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn burgers_conserves_dissipates_and_agrees() {
    let cfg = BurgersConfig {
        samples: 4,
        s: 256,
        dt: 1e-3,
        layout: BurgersLayout::PdeBench { frames: 10 },
        seed: 9,
        ..Default::default()
    };
    let (solver, n) = cfg.integrator().unwrap();
    assert_eq!(n, 100);
    let u0 = cfg.initial_condition(1);
    let frames = solver.solve(&u0, n, 10);
    let mean = |u: &[f64]| u.iter().sum::<f64>() / u.len() as f64;
    let energy = |u: &[f64]| u.iter().map(|v| v * v).sum::<f64>() / u.len() as f64;
    let m0 = mean(&u0);
    for (k, f) in frames.iter().enumerate() {
        assert!(
            (mean(f) - m0).abs() < 1e-12,
            "frame {k}: mean {} vs {m0}",
            mean(f)
        );
    }
    for w in frames.windows(2) {
        assert!(energy(&w[1]) < energy(&w[0]), "energy must decay");
    }
    let last = frames.last().unwrap();
    let scale = last.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // Independent solver, same grid, 10× smaller step.
    let reference = lawson_rk4(&u0, cfg.nu, 1.0, 10_000);
    let d = max_abs_diff(last, &reference);
    eprintln!("burgers: max|u| = {scale:.3e}, ETDRK4 vs Lawson-RK4 {d:.3e}");
    assert!(d < 1e-7 * scale, "vs Lawson RK4: {d:e}");
    // Same solver, 4× finer grid (u0 interpolated spectrally), 4× smaller step.
    let fine_s = 4 * cfg.s;
    let mut planner = FftPlanner::<f64>::new();
    let mut c: Vec<Complex64> = u0.iter().map(|&x| Complex64::new(x, 0.0)).collect();
    planner.plan_fft_forward(cfg.s).process(&mut c);
    let mut cf = vec![Complex64::default(); fine_s];
    for i in 0..cfg.s {
        let j = if i < cfg.s / 2 {
            i
        } else {
            fine_s - (cfg.s - i)
        };
        cf[j] = c[i] / cfg.s as f64;
    }
    cf[fine_s - cfg.s / 2] = Complex64::default(); // drop the coarse Nyquist mode
    planner.plan_fft_inverse(fine_s).process(&mut cf);
    let mut u0f: Vec<f64> = cf.iter().map(|x| x.re).collect();
    // Put the coarse Nyquist mode back as a real cosine so coarse points match exactly.
    let nyq = c[cfg.s / 2].re / cfg.s as f64;
    for (j, v) in u0f.iter_mut().enumerate() {
        *v += nyq * (std::f64::consts::PI * j as f64 / 4.0).cos();
    }
    assert!(max_abs_diff(&u0f.iter().step_by(4).copied().collect::<Vec<_>>(), &u0) < 1e-12);
    let fine = BurgersEtdrk4::new(fine_s, cfg.nu, 2.5e-4).solve(&u0f, 4000, 1);
    let coarse_pts: Vec<f64> = fine[1].iter().step_by(4).copied().collect();
    let d = max_abs_diff(last, &coarse_pts);
    eprintln!("burgers: s = 256 vs s = 1024 at t = 1: {d:.3e}");
    assert!(d < 1e-7 * scale, "vs fine grid: {d:e}");

    // The file.
    let dir = common::scratch("generate_burgers");
    let p = cfg
        .generate(dir.join("b.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    let f = PdeBench1d::open(&p, Resolution::FULL).unwrap();
    assert_eq!(f.sample_shape(), vec![11, 256]);
    let a = f.attrs().unwrap();
    assert_eq!((a["Nu"], a["seed"], a["dt"]), (0.1, 9.0, 1e-3));
    let got = f.sample(1).unwrap().to_vec::<f32>().unwrap();
    let want: Vec<f32> = frames.iter().flatten().map(|&v| v as f32).collect();
    assert_eq!(got, want);
}

/// `(1/h²) Σ a_pq (u_p − u_q) = 1` recomputed here, faces by the stated averages.
fn residual(a: &[f64], u: &[f64], s: usize, harmonic: bool) -> f64 {
    let face = |p: f64, q: f64| {
        if harmonic {
            2.0 * p * q / (p + q)
        } else {
            (p + q) / 2.0
        }
    };
    let h2 = 1.0 / ((s - 1) as f64).powi(2);
    let (mut r2, mut b2) = (0.0, 0.0);
    for i in 1..s - 1 {
        for j in 1..s - 1 {
            let p = i * s + j;
            let mut au = 0.0;
            for q in [p + s, p - s, p + 1, p - 1] {
                au += face(a[p], a[q]) * (u[p] - u[q]) / h2;
            }
            r2 += (1.0 - au).powi(2);
            b2 += 1.0;
        }
    }
    for i in 0..s {
        for q in [i, (s - 1) * s + i, i * s, i * s + s - 1] {
            assert_eq!(u[q], 0.0, "boundary");
        }
    }
    (r2 / b2).sqrt()
}

#[test]
fn darcy_satisfies_the_discrete_equations() {
    let cfg = DarcyConfig {
        samples: 3,
        s: 33,
        modes: 33,
        seed: 5,
        ..Default::default()
    };
    let a = cfg.coefficient(0);
    assert!(a.iter().all(|&v| v == 3.0 || v == 12.0));
    assert!(a.contains(&3.0) && a.contains(&12.0), "both phases present");
    for (avg, harmonic) in [
        (FaceAverage::Harmonic, true),
        (FaceAverage::Arithmetic, false),
    ] {
        let sol = solve(&a, cfg.s, 1.0, avg, 1e-10, 10_000).unwrap();
        let r = residual(&a, &sol.u, cfg.s, harmonic);
        eprintln!(
            "darcy {avg:?}: {} iterations, residual {:.2e} (recomputed {r:.2e})",
            sol.iterations, sol.residual
        );
        assert!(r < 1e-8, "residual {r:e}");
        assert!(
            sol.u.iter().all(|&v| v >= 0.0),
            "maximum principle: f = 1 > 0"
        );
    }
    let dir = common::scratch("generate_darcy");
    let p = cfg
        .generate(dir.join("d.h5"), WriteOptions::default(), &no_progress)
        .unwrap();
    let f = PdeBenchDarcy::open(&p, Resolution::FULL).unwrap();
    assert_eq!(f.len(), 3);
    let at = f.attrs().unwrap();
    assert_eq!((at["beta"], at["high"], at["low"]), (1.0, 12.0, 3.0));
    assert!(at["max_residual"] <= 1e-10);
    let (a2, sol) = cfg.sample(2).unwrap();
    let as32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    assert_eq!(
        f.coefficient(2).unwrap().to_vec::<f32>().unwrap(),
        as32(&a2)
    );
    assert_eq!(
        f.solution(2).unwrap().to_vec::<f32>().unwrap(),
        as32(&sol.u)
    );
}
