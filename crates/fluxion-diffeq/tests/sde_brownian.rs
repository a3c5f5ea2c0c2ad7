//! Brownian motion: the virtual tree answers the same in any query order, adjacent increments
//! add up exactly, increments have variance t − s; the grid's Lévy areas have variance h/12; the
//! tree with Lévy area answers `(W, H)` in any order, obeys Chen's relation and has the joint
//! law of Brownian increments and space-time areas across intervals and scales.

use fluxion_diffeq::sde::{BrownianGrid, BrownianIncrements, BrownianSource, BrownianTree};

fn inc(bm: &impl BrownianSource, s: f64, t: f64) -> Vec<f64> {
    let (p, m) = bm.shape();
    let mut dw = vec![0.0; p * m];
    bm.increment(0, s, t, &mut dw).unwrap();
    dw
}

/// A deterministic scramble of 0..n (LCG shuffle) for query orders.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = seed;
    for i in (1..n).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (x >> 33) as usize % (i + 1));
    }
    v
}

#[test]
fn tree_is_independent_of_query_order() {
    // Dyadic and non-dyadic points, queried forward, shuffled, backward, on fresh trees.
    let pts: Vec<f64> = (0..=40)
        .map(|i| 0.3 + 2.0 * (i as f64 / 40.0).powf(1.3))
        .collect();
    let fresh = || BrownianTree::new(11, 0.3, 2.3, 5, 3).unwrap();
    let a = fresh();
    let forward: Vec<Vec<f64>> = pts.windows(2).map(|w| inc(&a, w[0], w[1])).collect();
    let b = fresh();
    let mut other = vec![Vec::new(); forward.len()];
    for i in shuffled(forward.len(), 3) {
        other[i] = inc(&b, pts[i], pts[i + 1]);
    }
    assert_eq!(forward, other);
    let c = fresh();
    for i in (0..forward.len()).rev() {
        c.clear_cache();
        assert_eq!(forward[i], inc(&c, pts[i], pts[i + 1]));
    }
    // Another seed gives another path.
    let d = BrownianTree::new(12, 0.3, 2.3, 5, 3).unwrap();
    assert_ne!(forward[0], inc(&d, pts[0], pts[1]));
}

#[test]
fn tree_adjacent_increments_add_up_exactly() {
    let bm = BrownianTree::new(5, 0.0, 1.0, 64, 2).unwrap();
    let mut x = 17u64;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..50 {
        let mut abc = [next(), next(), next()];
        abc.sort_by(f64::total_cmp);
        let [a, b, c] = abc;
        let (ab, bc, ac) = (inc(&bm, a, b), inc(&bm, b, c), inc(&bm, a, c));
        for i in 0..ab.len() {
            assert_eq!(
                ab[i] + bc[i],
                ac[i],
                "W({a},{b}) + W({b},{c}) != W({a},{c})"
            );
        }
    }
    // A whole fine grid sums exactly to W(t1) − W(t0).
    let n = 1 << 9;
    let mut sum = vec![0.0; 128];
    for k in 0..n {
        let d = inc(&bm, k as f64 / n as f64, (k + 1) as f64 / n as f64);
        sum.iter_mut().zip(&d).for_each(|(s, v)| *s += v);
    }
    assert_eq!(sum, inc(&bm, 0.0, 1.0));
}

/// Sample variance and mean of increments over [s, t] across paths; with P paths the
/// variance estimate has relative standard deviation √(2/P) (1 % at P = 20 000), so 5 %
/// is five standard deviations.
#[test]
fn tree_increment_variance_is_t_minus_s() {
    let p = 20_000;
    let bm = BrownianTree::new(99, 0.0, 1.0, p, 1).unwrap();
    for (s, t) in [(0.0, 1.0), (0.25, 0.5), (0.1, 0.13), (0.6180339, 0.7034567)] {
        let d = inc(&bm, s, t);
        let mean = d.iter().sum::<f64>() / p as f64;
        let var = d.iter().map(|x| x * x).sum::<f64>() / p as f64;
        let h = t - s;
        assert!(
            (var / h - 1.0).abs() < 0.05,
            "var {var} vs {h} on [{s}, {t}]"
        );
        assert!(
            mean.abs() < 5.0 * (h / p as f64).sqrt(),
            "mean {mean} on [{s}, {t}]"
        );
    }
    // Disjoint increments are uncorrelated: |corr| < 5/√P.
    let (a, b) = (inc(&bm, 0.1, 0.4), inc(&bm, 0.4, 0.45));
    let cov = a.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>() / p as f64;
    assert!(cov.abs() / (0.3f64 * 0.05).sqrt() < 5.0 / (p as f64).sqrt());
}

#[test]
fn sequential_increments_and_areas_have_the_right_law() {
    let p = 20_000;
    let bm = BrownianIncrements::new(3, p, 1);
    let (mut dw, mut dh) = (vec![0.0; p], vec![0.0; p]);
    bm.increment_with_area(7, 0.0, 0.2, &mut dw, &mut dh)
        .unwrap();
    let var = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var(&dw) / 0.2 - 1.0).abs() < 0.05);
    assert!((var(&dh) / (0.2 / 12.0) - 1.0).abs() < 0.05);
    let cov = dw.iter().zip(&dh).map(|(x, y)| x * y).sum::<f64>() / p as f64;
    assert!(cov.abs() / (var(&dw) * var(&dh)).sqrt() < 5.0 / (p as f64).sqrt());
    // Same (seed, step) → same numbers; the area stream does not change ΔW.
    let mut again = vec![0.0; p];
    bm.increment(7, 0.0, 0.2, &mut again).unwrap();
    assert_eq!(dw, again);
}

#[test]
fn grid_aggregates_areas_with_the_right_law() {
    // Coarse (ΔW, ΔH) over 8 fine steps: variances h and h/12, uncorrelated.
    let p = 10_000;
    let g = BrownianGrid::sample(1, 0.0, 1.0 / 64.0, 64, p, 1).unwrap();
    let (mut dw, mut dh) = (vec![0.0; p], vec![0.0; p]);
    let h = 0.125;
    g.increment_with_area(0, 0.25, 0.375, &mut dw, &mut dh)
        .unwrap();
    let var = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var(&dw) / h - 1.0).abs() < 0.07, "{}", var(&dw) / h);
    assert!(
        (var(&dh) / (h / 12.0) - 1.0).abs() < 0.07,
        "{}",
        var(&dh) / (h / 12.0)
    );
    // One fine step gives back the stored fine values.
    g.increment_with_area(0, 0.0, 1.0 / 64.0, &mut dw, &mut dh)
        .unwrap();
    let (fw, fh) = g.fine_step(0);
    for i in 0..p {
        assert!((dw[i] - fw[i]).abs() < 1e-15 && (dh[i] - fh[i]).abs() < 1e-12);
    }
    assert!(g.increment(0, 0.0, 0.01, &mut dw).is_err());
}

fn inc_area(bm: &BrownianTree, s: f64, t: f64) -> (Vec<f64>, Vec<f64>) {
    let (p, m) = bm.shape();
    let (mut dw, mut dh) = (vec![0.0; p * m], vec![0.0; p * m]);
    bm.increment_with_area(0, s, t, &mut dw, &mut dh).unwrap();
    (dw, dh)
}

/// `H_{s,t}` from the areas of `[s, u]` and `[u, t]` (Chen's relation for space-time areas).
fn chen(h1: f64, h2: f64, w1: f64, a1: f64, w2: f64, a2: f64) -> f64 {
    let h = h1 + h2;
    (h1 * a1 + h2 * a2) / h + (h2 * w1 - h1 * w2) / (2.0 * h)
}

#[test]
fn levy_tree_is_order_independent_and_obeys_chen() {
    let pts: Vec<f64> = (0..=30)
        .map(|i| -1.0 + 3.0 * (i as f64 / 30.0).powf(1.4))
        .collect();
    let fresh = || {
        BrownianTree::new(21, -1.0, 2.0, 4, 3)
            .unwrap()
            .with_levy_area()
    };
    let a = fresh();
    let forward: Vec<_> = pts.windows(2).map(|w| inc_area(&a, w[0], w[1])).collect();
    let b = fresh();
    let mut other = vec![(Vec::new(), Vec::new()); forward.len()];
    for i in shuffled(forward.len(), 5) {
        b.clear_cache();
        other[i] = inc_area(&b, pts[i], pts[i + 1]);
    }
    assert_eq!(forward, other);
    // `increment` gives the same W as `increment_with_area`.
    assert_eq!(inc(&a, pts[3], pts[4]), forward[3].0);

    // Chen: W adds up exactly, H combines to rounding (|H| ~ √(h/12) ≥ 0.05 here).
    let bm = fresh();
    let mut x = 29u64;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        -1.0 + 3.0 * (x >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..40 {
        let mut abc = [next(), next(), next()];
        abc.sort_by(f64::total_cmp);
        let [s, u, t] = abc;
        if u - s < 1e-2 || t - u < 1e-2 {
            continue;
        }
        let ((w1, a1), (w2, a2), (w, h)) = (
            inc_area(&bm, s, u),
            inc_area(&bm, u, t),
            inc_area(&bm, s, t),
        );
        for i in 0..w.len() {
            assert_eq!(w1[i] + w2[i], w[i]);
            let c = chen(u - s, t - u, w1[i], a1[i], w2[i], a2[i]);
            assert!(
                (c - h[i]).abs() < 1e-12,
                "H({s},{t}) = {} but Chen gives {c} from [{s},{u}], [{u},{t}]",
                h[i]
            );
        }
    }
}

#[test]
fn plain_tree_refuses_the_area_and_names_the_fix() {
    let bm = BrownianTree::new(1, 0.0, 1.0, 2, 1).unwrap();
    assert!(!bm.has_levy_area());
    let (mut w, mut h) = (vec![0.0; 2], vec![0.0; 2]);
    let e = bm
        .increment_with_area(0, 0.0, 0.5, &mut w, &mut h)
        .unwrap_err()
        .to_string();
    assert!(e.contains("with_levy_area"), "{e}");
    let bm = bm.with_levy_area();
    let e = bm
        .increment_with_area(0, 0.5, 0.5, &mut w, &mut h)
        .unwrap_err()
        .to_string();
    assert!(e.contains("s < t"), "{e}");
}

/// The joint law over P = 20 000 paths (variance estimates have relative standard deviation
/// √(2/P) = 1 %, correlations 1/√P = 0.7 %; bounds are five of them): `W_{s,t} ~ N(0, h)`,
/// `H_{s,t} ~ N(0, h/12)` independent of it, on dyadic and non-dyadic intervals; areas and
/// increments of disjoint intervals uncorrelated; and across scales the covariance Chen's
/// relation implies, `Cov(W_{s,u}, H_{s,t}) = h₁h₂/(2h)` (correlation 0.61 at the midpoint),
/// which a tree drawing each interval's area independently would miss.
#[test]
fn levy_tree_has_the_joint_law_of_increments_and_areas() {
    let p = 20_000;
    let bm = BrownianTree::new(77, 0.0, 1.0, p, 1)
        .unwrap()
        .with_levy_area();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / p as f64;
    let cov = |a: &[f64], b: &[f64]| {
        let (ma, mb) = (mean(a), mean(b));
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / p as f64
    };
    let corr = |a: &[f64], b: &[f64]| cov(a, b) / (cov(a, a) * cov(b, b)).sqrt();
    let bound = 5.0 / (p as f64).sqrt();
    for (s, t) in [(0.0, 1.0), (0.25, 0.5), (0.1, 0.13), (0.6180339, 0.7034567)] {
        let h = t - s;
        let (w, a) = inc_area(&bm, s, t);
        assert!((cov(&w, &w) / h - 1.0).abs() < 0.05, "var W on [{s}, {t}]");
        assert!(
            (cov(&a, &a) / (h / 12.0) - 1.0).abs() < 0.05,
            "var H on [{s}, {t}]: {} vs {}",
            cov(&a, &a),
            h / 12.0
        );
        assert!(corr(&w, &a).abs() < bound, "corr(W, H) on [{s}, {t}]");
        assert!(mean(&a).abs() < 5.0 * (h / 12.0 / p as f64).sqrt());
    }
    let ((w1, a1), (w2, a2)) = (inc_area(&bm, 0.1, 0.4), inc_area(&bm, 0.4, 0.45));
    for (x, y, what) in [
        (&a1, &a2, "H, H"),
        (&w1, &a2, "W, H"),
        (&a1, &w2, "H, W"),
        (&w1, &w2, "W, W"),
    ] {
        assert!(corr(x, y).abs() < bound, "adjacent intervals: corr({what})");
    }
    for (s, u, t) in [(0.25, 0.375, 0.5), (0.1, 0.17, 0.3), (0.0, 0.9, 1.0)] {
        let (h1, h2) = (u - s, t - u);
        let ((w1, _), (_, a)) = (inc_area(&bm, s, u), inc_area(&bm, s, t));
        let want = h1 * h2 / (2.0 * (h1 + h2));
        let sd = (h1 * (h1 + h2) / 12.0 / p as f64).sqrt();
        assert!(
            (cov(&w1, &a) - want).abs() < 5.0 * sd,
            "Cov(W[{s},{u}], H[{s},{t}]) = {} vs {want}",
            cov(&w1, &a)
        );
    }
}
