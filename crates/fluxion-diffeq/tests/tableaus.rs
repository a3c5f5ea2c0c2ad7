//! Order conditions of every tableau (Butcher trees through order 5; DOP853's quadrature
//! conditions through order 8). Tolerance 1e-12: coefficients are stored to ~17 digits and the
//! sums involve entries up to |a| ≈ 44, so rounding stays below 1e-13.

use fluxion_diffeq::{ErrorEstimate, Method, Tableau};

fn a_full(t: &Tableau) -> Vec<Vec<f64>> {
    let s = t.stages();
    (0..s)
        .map(|i| {
            (0..s)
                .map(|j| if j < t.a[i].len() { t.a[i][j] } else { 0.0 })
                .collect()
        })
        .collect()
}
fn matvec(a: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|r| r.iter().zip(v).map(|(x, y)| x * y).sum())
        .collect()
}
fn dot(b: &[f64], v: &[f64]) -> f64 {
    b.iter().zip(v).map(|(x, y)| x * y).sum()
}
fn hadamard(u: &[f64], v: &[f64]) -> Vec<f64> {
    u.iter().zip(v).map(|(x, y)| x * y).collect()
}

/// The 17 conditions up to order 5 as (order, Σ…, expected).
fn conditions(a: &[Vec<f64>], b: &[f64], c: &[f64]) -> Vec<(u32, &'static str, f64, f64)> {
    let c2 = hadamard(c, c);
    let c3 = hadamard(&c2, c);
    let c4 = hadamard(&c3, c);
    let ac = matvec(a, c);
    let ac2 = matvec(a, &c2);
    let ac3 = matvec(a, &c3);
    let aac = matvec(a, &ac);
    let aac2 = matvec(a, &ac2);
    let aaac = matvec(a, &aac);
    let one = vec![1.0; c.len()];
    vec![
        (1, "b·1", dot(b, &one), 1.0),
        (2, "b·c", dot(b, c), 0.5),
        (3, "b·c²", dot(b, &c2), 1.0 / 3.0),
        (3, "b·Ac", dot(b, &ac), 1.0 / 6.0),
        (4, "b·c³", dot(b, &c3), 0.25),
        (4, "b·(c∘Ac)", dot(b, &hadamard(c, &ac)), 1.0 / 8.0),
        (4, "b·Ac²", dot(b, &ac2), 1.0 / 12.0),
        (4, "b·AAc", dot(b, &aac), 1.0 / 24.0),
        (5, "b·c⁴", dot(b, &c4), 0.2),
        (5, "b·(c²∘Ac)", dot(b, &hadamard(&c2, &ac)), 0.1),
        (5, "b·(c∘Ac²)", dot(b, &hadamard(c, &ac2)), 1.0 / 15.0),
        (5, "b·(c∘AAc)", dot(b, &hadamard(c, &aac)), 1.0 / 30.0),
        (5, "b·(Ac)²", dot(b, &hadamard(&ac, &ac)), 1.0 / 20.0),
        (5, "b·Ac³", dot(b, &ac3), 1.0 / 20.0),
        (
            5,
            "b·A(c∘Ac)",
            dot(b, &matvec(a, &hadamard(c, &ac))),
            1.0 / 40.0,
        ),
        (5, "b·AAc²", dot(b, &aac2), 1.0 / 60.0),
        (5, "b·AAAc", dot(b, &aaac), 1.0 / 120.0),
    ]
}

fn check(name: &str, a: &[Vec<f64>], b: &[f64], c: &[f64], order: u32) {
    let conds = conditions(a, b, c);
    for (p, what, got, want) in &conds {
        if *p <= order.min(5) {
            assert!(
                (got - want).abs() < 1e-12,
                "{name}: {what} = {got}, want {want} (order {p})"
            );
        }
    }
    // The conditions of order p+1 fail for a method of exactly order p ≤ 4 (the test can fail).
    if order < 5 {
        let next_fails = conds
            .iter()
            .any(|(p, _, got, want)| *p == order + 1 && (got - want).abs() > 1e-6);
        assert!(next_fails, "{name}: satisfies order {} too", order + 1);
    }
}

#[test]
fn row_sums_equal_c() {
    for m in Method::ALL {
        let t = m.tableau();
        assert_eq!(t.a.len(), t.stages(), "{}", t.name);
        for i in 0..t.stages() {
            let sum: f64 = t.a[i].iter().sum();
            assert!(
                (sum - t.c[i]).abs() < 1e-12,
                "{} row {i}: Σa = {sum}, c = {}",
                t.name,
                t.c[i]
            );
        }
        if let fluxion_diffeq::DenseKind::Dop853 { extra, .. } = t.dense {
            for (c, row) in extra {
                let sum: f64 = row.iter().sum();
                assert!(
                    (sum - c).abs() < 1e-12,
                    "Dop853 extra stage: Σa = {sum}, c = {c}"
                );
            }
        }
    }
}

#[test]
fn order_conditions_of_b() {
    for m in Method::ALL {
        let t = m.tableau();
        check(t.name, &a_full(t), t.b, t.c, t.order);
    }
}

#[test]
fn order_conditions_of_embedded_b_hat() {
    // b̂ = b − e has order: Bosh3 2, Dopri5 4, Tsit5 4.
    for (m, p) in [(Method::Bosh3, 2), (Method::Dopri5, 4), (Method::Tsit5, 4)] {
        let t = m.tableau();
        let ErrorEstimate::Embedded(e) = t.error else {
            panic!("{} has no embedded pair", t.name)
        };
        let bhat: Vec<f64> = t.b.iter().zip(e).map(|(b, e)| b - e).collect();
        check(&format!("{} b̂", t.name), &a_full(t), &bhat, t.c, p);
    }
}

#[test]
fn dop853_quadrature_conditions_through_order_8() {
    let t = Method::Dop853.tableau();
    for k in 0..8 {
        let s: f64 = t.b.iter().zip(t.c).map(|(b, c)| b * c.powi(k)).sum();
        let want = 1.0 / f64::from(k as u32 + 1);
        assert!((s - want).abs() < 1e-12, "Σb c^{k} = {s}, want {want}");
    }
    // Σ E5 = 0 and Σ E3 = 0: both estimates vanish on a constant f.
    let ErrorEstimate::Dop853 { e5, e3 } = t.error else {
        panic!()
    };
    assert!(e5.iter().sum::<f64>().abs() < 1e-12);
    assert!(e3.iter().sum::<f64>().abs() < 1e-12);
}

#[test]
fn dense_weights_reproduce_b_at_theta_one() {
    // wᵢ(1) must equal bᵢ (f₁ and extra stages weight 0), and wᵢ(0) = 0.
    for m in Method::ALL {
        let t = m.tableau();
        let mut w = [0.0; 16];
        t.dense_weights(1.0, &mut w);
        for i in 0..t.dense_len() {
            let b = t.b.get(i).copied().unwrap_or(0.0);
            assert!(
                (w[i] - b).abs() < 1e-12,
                "{} w_{i}(1) = {}, b = {b}",
                t.name,
                w[i]
            );
        }
        t.dense_weights(0.0, &mut w);
        assert!(
            w[..t.dense_len()].iter().all(|x| x.abs() < 1e-15),
            "{}",
            t.name
        );
    }
}
