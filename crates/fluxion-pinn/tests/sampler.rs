//! Collocation samplers and residual-based refinement.

use fluxion_pinn::refine::{rar_select, rard_select};
use fluxion_pinn::sampler::sobol_seed;
use fluxion_pinn::{Domain, PointSet, Region, SamplerConfig};

fn unit_square() -> Domain {
    Domain::rectangle(("x", 0.0, 1.0), ("y", 0.0, 1.0)).unwrap()
}

fn all_samplers() -> Vec<SamplerConfig> {
    vec![
        SamplerConfig::Random,
        SamplerConfig::LatinHypercube,
        SamplerConfig::Sobol,
        SamplerConfig::Grid { counts: None },
        SamplerConfig::JitteredGrid {
            sigma: 0.0,
            counts: None,
        },
    ]
}

#[test]
fn bounds_counts_reproducibility_and_epoch_change() {
    let d = Domain::hyperbox(&[("x", -1.0, 2.0), ("y", 0.0, 0.5), ("z", 10.0, 11.0)]).unwrap();
    for s in all_samplers() {
        let a = s.sample(&d, &Region::Interior, 343, 5, 3).unwrap();
        assert!(a.rows().all(|p| d.contains(p)), "{s:?} out of bounds");
        if !matches!(
            s,
            SamplerConfig::Grid { .. } | SamplerConfig::JitteredGrid { .. }
        ) {
            assert_eq!(a.len(), 343, "{s:?}");
        }
        let b = s.sample(&d, &Region::Interior, 343, 5, 3).unwrap();
        assert_eq!(a, b, "{s:?}: same (seed, epoch) must give the same points");
        if matches!(
            s,
            SamplerConfig::Random | SamplerConfig::LatinHypercube | SamplerConfig::Sobol
        ) {
            let c = s.sample(&d, &Region::Interior, 343, 5, 4).unwrap();
            assert_ne!(a, c, "{s:?}: the next epoch must differ");
            let e = s.sample(&d, &Region::Interior, 343, 6, 3).unwrap();
            assert_ne!(a, e, "{s:?}: another seed must differ");
        }
    }
}

#[test]
fn grid_has_exact_coordinates() {
    let d = Domain::interval("t", 0.0, 5.0).unwrap();
    let g = SamplerConfig::Grid { counts: None }
        .sample(&d, &Region::Interior, 501, 0, 0)
        .unwrap();
    assert_eq!(g.len(), 501);
    for (i, p) in g.rows().enumerate() {
        assert!(
            (p[0] - 0.01 * i as f64).abs() <= 1e-15 * 5.0,
            "t[{i}] = {}",
            p[0]
        );
    }
    assert_eq!(
        (g.row(0)[0], g.row(500)[0]),
        (0.0, 5.0),
        "both ends exactly"
    );
    let r = Domain::rectangle(("x", 0.0, 2.0), ("y", -1.0, 1.0)).unwrap();
    let g = SamplerConfig::Grid {
        counts: Some(vec![3, 2]),
    }
    .sample(&r, &Region::Interior, 1, 0, 0)
    .unwrap();
    let want = [
        [0.0, -1.0],
        [0.0, 1.0],
        [1.0, -1.0],
        [1.0, 1.0],
        [2.0, -1.0],
        [2.0, 1.0],
    ];
    assert_eq!(g.coords(), want.concat().as_slice());
    // Even split by extent: x twice as long as y gets about √2 times the points per unit…
    let g = SamplerConfig::Grid { counts: None }
        .sample(&r, &Region::Interior, 100, 0, 0)
        .unwrap();
    assert_eq!(g.len(), 100, "10 × 10 on a 2 × 2 box");
    assert!(SamplerConfig::Grid {
        counts: Some(vec![3])
    }
    .sample(&r, &Region::Interior, 1, 0, 0)
    .is_err());
}

#[test]
fn jittered_grid_is_grid_plus_unclipped_noise() {
    let d = Domain::interval("t", 0.0, 5.0).unwrap();
    let grid = SamplerConfig::Grid { counts: None }
        .sample(&d, &Region::Interior, 501, 0, 0)
        .unwrap();
    let j = SamplerConfig::JitteredGrid {
        sigma: 0.1,
        counts: None,
    };
    let a = j.sample(&d, &Region::Interior, 501, 9, 0).unwrap();
    let noise: Vec<f64> = a
        .coords()
        .iter()
        .zip(grid.coords())
        .map(|(a, g)| a - g)
        .collect();
    let n = noise.len() as f64;
    let mean = noise.iter().sum::<f64>() / n;
    let sd = (noise.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Sample mean of 501 N(0, 0.01) has sd 0.0045 (5σ bound); sample sd within ±0.016 (5σ).
    assert!(mean.abs() < 0.0224, "mean {mean}");
    assert!((sd - 0.1).abs() < 0.016, "sd {sd}");
    assert!(
        a.coords()[0] != 0.0 && a.rows().any(|p| !d.contains(p)),
        "not clipped"
    );
    assert_ne!(a, j.sample(&d, &Region::Interior, 501, 9, 1).unwrap());
}

#[test]
fn latin_hypercube_has_one_point_per_stratum_on_every_axis() {
    let d = Domain::hyperbox(&[
        ("a", 0.0, 1.0),
        ("b", -2.0, 2.0),
        ("c", 5.0, 6.0),
        ("e", 0.0, 10.0),
    ])
    .unwrap();
    let n = 97;
    for epoch in 0..3 {
        let p = SamplerConfig::LatinHypercube
            .sample(&d, &Region::Interior, n, 1, epoch)
            .unwrap();
        for (j, ax) in d.axes().iter().enumerate() {
            let mut seen = vec![false; n];
            for row in p.rows() {
                let s = ((row[j] - ax.lo) / ax.extent() * n as f64).floor() as usize;
                assert!(!seen[s], "axis {j}: stratum {s} twice");
                seen[s] = true;
            }
            assert!(seen.iter().all(|&b| b), "axis {j}: a stratum is empty");
        }
    }
}

/// Star discrepancy of points in [0, 1]²: the max over anchored boxes [0, a) × [0, b) with
/// corners at point coordinates (or 1) of |#inside/N − ab|, counting both open and closed
/// boxes (an exact evaluation over the critical grid, O(N³)).
fn star_discrepancy(p: &PointSet) -> f64 {
    let n = p.len();
    let mut xs: Vec<f64> = p.rows().map(|r| r[0]).chain([1.0]).collect();
    let mut ys: Vec<f64> = p.rows().map(|r| r[1]).chain([1.0]).collect();
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let mut worst = 0.0f64;
    for &a in &xs {
        for &b in &ys {
            let (mut open, mut closed) = (0usize, 0usize);
            for r in p.rows() {
                if r[0] < a && r[1] < b {
                    open += 1;
                }
                if r[0] <= a && r[1] <= b {
                    closed += 1;
                }
            }
            let vol = a * b;
            worst = worst
                .max(vol - open as f64 / n as f64)
                .max(closed as f64 / n as f64 - vol);
        }
    }
    worst
}

#[test]
fn sobol_matches_the_crate_and_beats_random_on_discrepancy() {
    let d = unit_square();
    let n = 256;
    let s = SamplerConfig::Sobol;
    for epoch in 0..2u32 {
        let p = s
            .sample(&d, &Region::Interior, n, 11, u64::from(epoch))
            .unwrap();
        for (i, row) in p.rows().enumerate() {
            let idx = epoch * n as u32 + i as u32;
            let want = [0, 1].map(|j| f64::from(sobol_burley::sample(idx, j, sobol_seed(11))));
            assert_eq!(row, want, "point {i} of epoch {epoch}");
        }
    }
    let sob = star_discrepancy(&s.sample(&d, &Region::Interior, n, 11, 0).unwrap());
    // Mean over a few random draws so the comparison is not a single lucky draw.
    let rnd: f64 = (0..4)
        .map(|e| {
            star_discrepancy(
                &SamplerConfig::Random
                    .sample(&d, &Region::Interior, n, 11, e)
                    .unwrap(),
            )
        })
        .sum::<f64>()
        / 4.0;
    let lhs = star_discrepancy(
        &SamplerConfig::LatinHypercube
            .sample(&d, &Region::Interior, n, 11, 0)
            .unwrap(),
    );
    println!("D* (N = {n}): sobol {sob:.4}, LHS {lhs:.4}, random (mean of 4) {rnd:.4}");
    // Scrambled Sobol: D* = O(log² N / N) ≈ 0.01–0.03 here; random ≈ 1/√N ≈ 0.06–0.1.
    assert!(sob < 0.5 * rnd, "sobol {sob} vs random {rnd}");
}

#[test]
fn rar_picks_the_largest_residuals() {
    let r: Vec<f64> = (0..50).map(|i| ((i * 37) % 50) as f64 * 0.1).collect();
    let top = rar_select(&r, 5).unwrap();
    let mut sorted = r.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let picked: Vec<f64> = top.iter().map(|&i| r[i]).collect();
    assert_eq!(picked, sorted[..5].to_vec());
    assert!(rar_select(&r, 51).is_err());
    assert!(rar_select(&[1.0, f64::NAN], 1).is_err());
}

#[test]
fn rard_prefers_large_residuals_and_is_distinct() {
    // Half the candidates have |r| = 10, half 1: with k = 2, c = 0 a big one is 100 times as
    // likely as a small one.
    let r: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 10.0 } else { 1.0 })
        .collect();
    let pick = rard_select(&r, 2.0, 0.0, 40, 3).unwrap();
    let mut uniq = pick.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 40, "without replacement");
    let big = pick.iter().filter(|&&i| i % 2 == 0).count();
    assert!(big >= 36, "{big} of 40 from the large-residual half");
    // c large: nearly uniform.
    let pick = rard_select(&r, 2.0, 1e6, 100, 3).unwrap();
    let big = pick.iter().filter(|&&i| i % 2 == 0).count();
    assert!((35..=65).contains(&big), "{big} of 100 with c = 1e6");
    assert_eq!(
        rard_select(&r, 2.0, 0.0, 40, 3).unwrap(),
        rard_select(&r, 2.0, 0.0, 40, 3).unwrap()
    );
}
