//! Batch sampling, prefetch and unit-Gaussian normalisers.

use std::collections::HashMap;

use fluxion_data::loader::{BatchSampler, Prefetch, UnitGaussianNormalizer};
use fluxion_data::Error;
use fluxion_tensor::{Device, Tensor};

#[test]
fn epochs_visit_every_sample_once() {
    let s = BatchSampler {
        len: 23,
        batch_size: 5,
        shuffle: true,
        drop_last: false,
        seed: 8,
    };
    let e0 = s.epoch(0);
    let e1 = s.epoch(1);
    for e in [&e0, &e1] {
        let mut all: Vec<usize> = e.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..23).collect::<Vec<_>>());
        assert_eq!(e.iter().map(Vec::len).collect::<Vec<_>>(), [5, 5, 5, 5, 3]);
    }
    assert_eq!(e0, s.epoch(0), "same seed and epoch, same order");
    assert_ne!(e0, e1, "epochs differ");
    assert_ne!(e0, BatchSampler { seed: 9, ..s }.epoch(0), "seeds differ");
    let dropped = BatchSampler {
        drop_last: true,
        ..s
    }
    .epoch(0);
    assert_eq!(dropped.len(), 4);
    let plain = BatchSampler {
        shuffle: false,
        ..s
    }
    .epoch(3);
    assert_eq!(plain[0], [0, 1, 2, 3, 4]);
}

#[test]
fn prefetch_keeps_order_and_stops_at_errors() {
    let batches = BatchSampler {
        len: 10,
        batch_size: 3,
        shuffle: true,
        drop_last: false,
        seed: 1,
    }
    .epoch(2);
    let got: Vec<Vec<usize>> = Prefetch::new(batches.clone(), |ix: &[usize]| Ok(ix.to_vec()))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got, batches);
    let mut it = Prefetch::new(vec![vec![0], vec![1], vec![2]], |ix: &[usize]| {
        if ix[0] == 1 {
            Err(Error::InvalidArgument { what: "bad".into() })
        } else {
            Ok(ix[0])
        }
    });
    assert_eq!(it.next().unwrap().unwrap(), 0);
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
    // Dropping early does not hang.
    let mut early = Prefetch::new(vec![vec![0]; 100], |ix: &[usize]| Ok(ix[0]));
    assert_eq!(early.next().unwrap().unwrap(), 0);
    drop(early);
}

fn t(v: Vec<f32>, shape: Vec<usize>) -> Tensor {
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

#[test]
fn normalisers_fit_round_trip_and_save() {
    // Samples [1, 2] and [3, 6]: mean [2, 4], unbiased std [√2, √8].
    let x = t(vec![1., 2., 3., 6.], vec![2, 2]);
    let n = UnitGaussianNormalizer::fit_pointwise(&x).unwrap();
    assert_eq!(n.mean(), [2.0, 4.0]);
    let want = [2f32.sqrt(), 8f32.sqrt()];
    for (a, b) in n.std().iter().zip(want) {
        assert!((a - b).abs() < 1e-6);
    }
    let y = n.encode(&x).unwrap().to_vec::<f32>().unwrap();
    let e = UnitGaussianNormalizer::EPS;
    assert!((y[0] - (1.0 - 2.0) / (want[0] + e)).abs() < 1e-6);
    assert!((y[3] - (6.0 - 4.0) / (want[1] + e)).abs() < 1e-6);
    // Batch of another size with the same trailing shape; round trip.
    let z = t(vec![0.5, -1.0, 7.0, 2.0, 3.0, 4.0], vec![3, 2]);
    let back = n
        .decode(&n.encode(&z).unwrap())
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    for (a, b) in back.iter().zip(z.to_vec::<f32>().unwrap()) {
        assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
    assert!(n.encode(&t(vec![0.; 3], vec![1, 3])).is_err());
    // Save and load as named tensors.
    let map: HashMap<String, Tensor> = n.to_tensors("x_norm").unwrap().into_iter().collect();
    assert!(map.contains_key("x_norm.mean") && map.contains_key("x_norm.eps"));
    assert_eq!(
        UnitGaussianNormalizer::from_tensors("x_norm", &map).unwrap(),
        n
    );
    assert!(UnitGaussianNormalizer::from_tensors("y_norm", &map).is_err());
    // Global: mean 3, unbiased std of [1, 2, 3, 6] = √(14/3).
    let g = UnitGaussianNormalizer::fit_global(&x).unwrap();
    assert_eq!(g.mean(), [3.0]);
    assert!((g.std()[0] - (14f32 / 3.0).sqrt()).abs() < 1e-6);
    let map: HashMap<String, Tensor> = g.to_tensors("g").unwrap().into_iter().collect();
    assert_eq!(UnitGaussianNormalizer::from_tensors("g", &map).unwrap(), g);
    // Encoded training data has mean ≈ 0 and unbiased std ≈ 1 per point.
    let data: Vec<f32> = (0..200)
        .map(|i| ((i * 37 % 101) as f32).sin() * 3.0 + 1.0)
        .collect();
    let d = t(data, vec![50, 4]);
    let nd = UnitGaussianNormalizer::fit_pointwise(&d).unwrap();
    let enc = nd.encode(&d).unwrap().to_vec::<f32>().unwrap();
    for p in 0..4 {
        let col: Vec<f64> = enc.iter().skip(p).step_by(4).map(|&v| v as f64).collect();
        let m = col.iter().sum::<f64>() / 50.0;
        let s = (col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 49.0).sqrt();
        assert!(
            m.abs() < 1e-5 && (s - 1.0).abs() < 1e-4,
            "point {p}: mean {m}, std {s}"
        );
    }
}
