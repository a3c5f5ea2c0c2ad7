//! Data-parallel loss evaluation (`TrainConfig::max_chunks`): splitting every term's points into
//! row chunks must give the same losses, gradients and adaptive weights as one graph per term
//! (to rounding), and the same bits on any number of threads.
//!
//! The problem has a term of every batch shape: a Laplacian residual on 1000 points (4 chunks),
//! a Dirichlet boundary on 600 (3), a Neumann face on 300 with normals (2) and a data term on
//! 520 with targets (3), in f64 so that rounding differences stay near 1e-15.

use fluxion_nn::{Activation, Mlp, Module};
use fluxion_pinn::{
    chunk_ranges, Condition, Domain, EpochRecord, FirstOrder, LbfgsPhase, PinnProblem, PinnTrainer,
    PointSet, Region, SamplerConfig, Side, Target, TrainConfig, WeightingConfig,
};
use fluxion_tensor::DType;

fn problem() -> PinnProblem {
    let domain = Domain::rectangle(("x", 0.0, 1.0), ("y", 0.0, 1.0)).unwrap();
    let right = domain.face("x", Side::Hi).unwrap();
    // Data: u = x·y at 520 scattered points.
    let coords: Vec<f64> = (0..520)
        .flat_map(|i| {
            let t = i as f64 / 520.0;
            [t, (7.0 * t).fract()]
        })
        .collect();
    let values = coords.chunks(2).map(|p| p[0] * p[1]).collect();
    let data = PointSet::new(2, coords, None).unwrap();
    PinnProblem::builder(domain, 1)
        .residual(1000, SamplerConfig::Sobol, |ctx| {
            Ok(vec![ctx.laplacian()?.add_scalar(1.0)?])
        })
        .condition(
            Condition::dirichlet("bc", Region::SpatialBoundary, Target::constant(0.0))
                .points(600)
                .sampler(SamplerConfig::Random),
        )
        .condition(
            Condition::neumann("flux", right, Target::constant(0.5))
                .points(300)
                .sampler(SamplerConfig::Random),
        )
        .condition(Condition::data("data", data, values).unwrap())
        .build()
        .unwrap()
}

fn net() -> Mlp {
    Mlp::builder(&[2, 16, 16, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .seed(3)
        .build()
        .unwrap()
}

fn trainer(max_chunks: usize, weighting: WeightingConfig) -> PinnTrainer<Mlp> {
    let config = TrainConfig {
        epochs: 3,
        optimizer: FirstOrder::sgd(1e-3),
        weighting,
        max_chunks,
        seed: 11,
        ..Default::default()
    };
    PinnTrainer::new(problem(), net(), config).unwrap()
}

fn flat_params(net: &Mlp) -> Vec<f64> {
    net.parameters()
        .iter()
        .flat_map(|p| p.tensor().to_vec::<f64>().unwrap())
        .collect()
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    diff / scale
}

#[test]
fn the_split_is_the_one_the_docs_promise() {
    assert_eq!(chunk_ranges(1000, 8).len(), 4);
    assert_eq!(chunk_ranges(600, 8).len(), 3);
    assert_eq!(chunk_ranges(300, 8).len(), 2);
    for (n, max) in [(1, 8), (255, 8), (257, 8), (1000, 3), (100_000, 8), (7, 1)] {
        let r = chunk_ranges(n, max);
        assert!(!r.is_empty() && r.len() <= max, "{n} {max}: {r:?}");
        assert_eq!(r[0].start, 0);
        assert_eq!(r.last().unwrap().end, n);
        assert!(r.windows(2).all(|w| w[0].end == w[1].start));
        let (lo, hi) = r.iter().fold((usize::MAX, 0), |(lo, hi), c| {
            (lo.min(c.len()), hi.max(c.len()))
        });
        assert!(hi - lo <= 1, "{n} {max}: unequal chunks {r:?}");
    }
}

/// One SGD epoch: the terms' losses agree to rounding and so does the update, i.e. the
/// gradient (a missing n_c/N share would change it several-fold).
#[test]
fn chunked_losses_and_gradients_match_one_graph() {
    let mut one = trainer(1, WeightingConfig::Static);
    let mut split = trainer(8, WeightingConfig::Static);
    let start = flat_params(one.net());
    assert_eq!(start, flat_params(split.net()));
    let (a, b) = (one.epoch_step().unwrap(), split.epoch_step().unwrap());
    assert_eq!(a.terms.len(), 4);
    for (x, y) in a.terms.iter().zip(&b.terms) {
        assert!((x - y).abs() <= 1e-13 * x.abs(), "term {x} vs {y}");
    }
    let step = |t: &PinnTrainer<Mlp>| -> Vec<f64> {
        flat_params(t.net())
            .iter()
            .zip(&start)
            .map(|(p, s)| p - s)
            .collect()
    };
    let (da, db) = (step(&one), step(&split));
    assert!(da.iter().any(|d| *d != 0.0));
    let r = rel_diff(&da, &db);
    assert!(r < 1e-9, "updates differ by {r:e} (relative)");
}

/// The gradient statistics behind learning-rate annealing are per term; chunked they give the
/// same weights.
#[test]
fn annealing_weights_match_one_graph() {
    let weighting = WeightingConfig::Annealing {
        alpha: 0.5,
        every: 1,
    };
    let mut one = trainer(1, weighting.clone());
    let mut split = trainer(8, weighting);
    for _ in 0..3 {
        one.epoch_step().unwrap();
        split.epoch_step().unwrap();
    }
    let (wa, wb) = (one.weights(), split.weights());
    assert!(wa.iter().any(|w| (w - 1.0).abs() > 1e-3), "weights {wa:?}");
    let r = rel_diff(&wa, &wb);
    assert!(r < 1e-9, "weights {wa:?} vs {wb:?}");
}

/// The split never depends on the thread count: the same bits on 1 and on 3 threads, through
/// Adam epochs and an L-BFGS phase.
#[test]
fn results_are_the_same_bits_on_any_thread_count() {
    let run = |threads: usize| -> (Vec<f64>, Vec<EpochRecord>) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let config = TrainConfig {
                epochs: 4,
                optimizer: FirstOrder::adam(1e-3),
                lbfgs: Some(LbfgsPhase {
                    steps: 2,
                    max_iter: 4,
                    ..Default::default()
                }),
                seed: 11,
                ..Default::default()
            };
            let mut t = PinnTrainer::new(problem(), net(), config).unwrap();
            let report = t.train().unwrap();
            (flat_params(t.net()), report.history)
        })
    };
    let (p1, h1) = run(1);
    let (p3, h3) = run(3);
    assert_eq!(p1, p3);
    let losses = |h: &[EpochRecord]| h.iter().map(|r| r.loss.to_bits()).collect::<Vec<_>>();
    assert_eq!(losses(&h1), losses(&h3));
    assert_eq!(h1.len(), 6);
}

#[test]
fn zero_chunks_is_an_error() {
    let config = TrainConfig {
        max_chunks: 0,
        ..Default::default()
    };
    let err = PinnTrainer::new(problem(), net(), config).unwrap_err();
    assert!(err.to_string().contains("max_chunks"), "{err}");
}
