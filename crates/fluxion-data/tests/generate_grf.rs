//! Gaussian random fields: empirical spectra and covariances against the covariance operator.

use fluxion_data::generate::grf::{neumann_2d, periodic_1d, periodic_2d, GrfSpec};
use fluxion_data::generate::SampleRng;

/// `|DFT_k(u)|²` by the naive sum (independent of the generator's FFT).
fn periodogram_1d(u: &[f64]) -> Vec<f64> {
    let n = u.len();
    (0..n)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, v) in u.iter().enumerate() {
                let th = -std::f64::consts::TAU * (k * j) as f64 / n as f64;
                re += v * th.cos();
                im += v * th.sin();
            }
            re * re + im * im
        })
        .collect()
}

fn freq(i: usize, n: usize) -> f64 {
    if i < n.div_ceil(2) {
        i as f64
    } else {
        i as f64 - n as f64
    }
}

/// `E|û_k|² / s² = λ_k`: each periodogram ordinate is λ_k s² times a χ²₂/2 (χ²₁ at 0 and
/// Nyquist) variable, so the mean of N has relative standard deviation ≤ √(2/N); allow 5 of them.
#[test]
fn periodic_1d_spectrum_and_variance() {
    let (s, n) = (16, 4000);
    let spec = GrfSpec::BURGERS;
    let mut mean_p = vec![0.0; s];
    let mut var = 0.0;
    for i in 0..n {
        let u = periodic_1d(&spec, s, &mut SampleRng::new(11, i));
        for (m, p) in mean_p.iter_mut().zip(periodogram_1d(&u)) {
            *m += p / (s * s) as f64 / n as f64;
        }
        var += u.iter().map(|v| v * v).sum::<f64>() / (s * n as usize) as f64;
    }
    let tol = 5.0 * (2.0 / n as f64).sqrt();
    assert!(mean_p[0] < 1e-24, "mean mode {}", mean_p[0]);
    for k in 1..s {
        let lam = spec.periodic_eigenvalue(&[freq(k, s)]);
        let rel = (mean_p[k] / lam - 1.0).abs();
        assert!(
            rel < tol,
            "k = {k}: {} vs λ = {lam} (rel {rel:.3})",
            mean_p[k]
        );
    }
    let total: f64 = (1..s)
        .map(|k| spec.periodic_eigenvalue(&[freq(k, s)]))
        .sum();
    assert!((var / total - 1.0).abs() < tol, "variance {var} vs {total}");
}

#[test]
fn periodic_2d_spectrum() {
    let (s, n) = (8, 1500);
    let spec = GrfSpec::NAVIER_STOKES;
    let mut mean_p = vec![0.0; s * s];
    for i in 0..n {
        let u = periodic_2d(&spec, s, &mut SampleRng::new(5, i));
        // 2-D periodogram by rows then columns of naive DFTs.
        for k1 in 0..s {
            for k2 in 0..s {
                let (mut re, mut im) = (0.0, 0.0);
                for a in 0..s {
                    for b in 0..s {
                        let th = -std::f64::consts::TAU * ((k1 * a + k2 * b) % s) as f64 / s as f64;
                        re += u[a * s + b] * th.cos();
                        im += u[a * s + b] * th.sin();
                    }
                }
                mean_p[k1 * s + k2] += (re * re + im * im) / (s as f64).powi(4) / n as f64;
            }
        }
    }
    let tol = 5.0 * (2.0 / n as f64).sqrt();
    for k1 in 0..s {
        for k2 in 0..s {
            let lam = spec.periodic_eigenvalue(&[freq(k1, s), freq(k2, s)]);
            let m = mean_p[k1 * s + k2];
            if lam == 0.0 {
                assert!(m < 1e-24);
            } else {
                assert!(
                    (m / lam - 1.0).abs() < tol,
                    "k = ({k1}, {k2}): {m} vs {lam}"
                );
            }
        }
    }
}

/// Covariances at nodes against `Σ_k λ_k φ_k(p) φ_k(q)`; the sample covariance of N draws has
/// standard deviation ≤ √(2/N) · C(p,p) (Gaussian fourth moments), allow 5 of them.
#[test]
fn neumann_2d_covariance() {
    let (s, modes, n) = (9, 9, 6000);
    let spec = GrfSpec::DARCY;
    let pts = [(0usize, 0usize), (2, 3), (4, 4), (8, 1)];
    let mut c = vec![0.0; pts.len() * pts.len()];
    for i in 0..n {
        let u = neumann_2d(&spec, s, modes, &mut SampleRng::new(2, i));
        for (a, p) in pts.iter().enumerate() {
            for (b, q) in pts.iter().enumerate() {
                c[a * pts.len() + b] += u[p.0 * s + p.1] * u[q.0 * s + q.1] / n as f64;
            }
        }
    }
    let phi = |k: usize, i: usize| {
        let ck = if k == 0 { 1.0 } else { 2f64.sqrt() };
        ck * (std::f64::consts::PI * (k * i) as f64 / (s - 1) as f64).cos()
    };
    let exact = |p: (usize, usize), q: (usize, usize)| {
        let mut sum = 0.0;
        for k1 in 0..modes {
            for k2 in 0..modes {
                let l = spec.neumann_eigenvalue(&[k1 as f64, k2 as f64]);
                sum += l * phi(k1, p.0) * phi(k2, p.1) * phi(k1, q.0) * phi(k2, q.1);
            }
        }
        sum
    };
    for (a, &p) in pts.iter().enumerate() {
        for (b, &q) in pts.iter().enumerate() {
            let e = exact(p, q);
            let scale = (exact(p, p) * exact(q, q)).sqrt();
            let got = c[a * pts.len() + b];
            assert!(
                (got - e).abs() < 5.0 * (2.0 / n as f64).sqrt() * scale,
                "C({p:?}, {q:?}) = {got} vs {e}"
            );
        }
    }
}

#[test]
fn streams_are_per_sample() {
    let a = periodic_1d(&GrfSpec::BURGERS, 32, &mut SampleRng::new(1, 7));
    let b = periodic_1d(&GrfSpec::BURGERS, 32, &mut SampleRng::new(1, 7));
    let c = periodic_1d(&GrfSpec::BURGERS, 32, &mut SampleRng::new(2, 7));
    let d = periodic_1d(&GrfSpec::BURGERS, 32, &mut SampleRng::new(1, 8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, d);
}
