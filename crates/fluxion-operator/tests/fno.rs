//! FNO architecture, losses, normalisers and data-reading errors.

use std::path::PathBuf;

use fluxion_autodiff::Var;
use fluxion_data::{Hdf5Writer, WriteOptions};
use fluxion_nn::Module;
use fluxion_operator::data::{load_burgers, load_darcy, load_navier_stokes};
use fluxion_operator::fno::grid_features;
use fluxion_operator::loss::{absolute_lp, relative_lp, Reduction};
use fluxion_operator::{Fno, FnoConfig, VarNormalizer};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

type R = Result<(), Box<dyn std::error::Error>>;

const CPU: Device = Device::Cpu;

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(
        0.0,
        1.0,
        shape.to_vec(),
        DType::F32,
        &CPU,
        &mut Generator::new(seed),
    )
    .unwrap()
}

fn values(v: &Var) -> Vec<f32> {
    v.tensor().to_vec::<f32>().unwrap()
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluxion-op-fno-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn output_shapes_for_one_two_and_three_spatial_axes() -> R {
    let cases: [(Vec<usize>, Vec<usize>); 3] = [
        (vec![5], vec![2, 33, 3]),
        (vec![4, 3], vec![2, 12, 9, 3]),
        (vec![2, 3, 2], vec![1, 6, 7, 5, 3]),
    ];
    for (modes, shape) in cases {
        let cfg = FnoConfig {
            in_channels: 3,
            out_channels: 2,
            modes: modes.clone(),
            width: 6,
            projection: 7,
            ..FnoConfig::default()
        };
        let fno = Fno::new(&cfg, &CPU)?;
        let y = fno.forward(&Var::constant(randn(&shape, 1)))?;
        let mut want = shape.clone();
        *want.last_mut().unwrap() = 2;
        assert_eq!(y.dims(), want, "modes {modes:?}");
        assert!(values(&y).iter().all(|v| v.is_finite()));
    }
    Ok(())
}

#[test]
fn padding_is_cropped_and_changes_the_result() -> R {
    let base = FnoConfig {
        width: 8,
        projection: 16,
        ..FnoConfig::fno2d(4, 8)
    };
    let padded = FnoConfig {
        padding: 9,
        ..base.clone()
    };
    let (a, b) = (Fno::new(&base, &CPU)?, Fno::new(&padded, &CPU)?);
    // Same seed, same parameter shapes: identical weights.
    for ((na, pa), (nb, pb)) in a.named_parameters().iter().zip(b.named_parameters()) {
        assert_eq!(na, &nb);
        assert_eq!(values(pa), values(&pb));
    }
    let x = Var::constant(randn(&[2, 11, 11, 1], 3));
    let (ya, yb) = (a.forward(&x)?, b.forward(&x)?);
    assert_eq!(yb.dims(), vec![2, 11, 11, 1]);
    let diff = ya.sub(&yb)?.abs()?.max_all()?.tensor().to_scalar::<f32>()?;
    assert!(diff > 1e-4, "padding had no effect (max diff {diff})");
    Ok(())
}

#[test]
fn grid_features_are_linspace_per_axis_and_widen_fc0() -> R {
    let g = grid_features(&[3, 2], DType::F32, &CPU)?;
    assert_eq!(g.dims(), &[1, 3, 2, 2]);
    // [x, y] per point, row-major over (i, j): x = i/2, y = j/1.
    let want = [
        0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 0.5, 1.0, 1.0, 0.0, 1.0, 1.0f32,
    ];
    assert_eq!(g.to_vec::<f32>()?, want);

    let with = Fno::new(&FnoConfig::fno2d(2, 4), &CPU)?;
    let without = Fno::new(
        &FnoConfig {
            grid: false,
            ..FnoConfig::fno2d(2, 4)
        },
        &CPU,
    )?;
    let fc0 = |m: &Fno| m.named_parameters()[0].1.dims();
    assert_eq!(fc0(&with), vec![4, 3]);
    assert_eq!(fc0(&without), vec![4, 1]);
    // The grid enters the output: a constant input gives a non-constant output.
    let y = with.forward(&Var::constant(Tensor::ones(
        [1, 8, 8, 1],
        DType::F32,
        &CPU,
    )?))?;
    let v = values(&y);
    let spread =
        v.iter().cloned().fold(f32::MIN, f32::max) - v.iter().cloned().fold(f32::MAX, f32::min);
    assert!(spread > 1e-5, "grid features had no effect");
    Ok(())
}

#[test]
fn parameter_names_and_count_match_the_pytorch_reference() -> R {
    let fno = Fno::new(&FnoConfig::burgers(), &CPU)?;
    let names: Vec<String> = fno.named_parameters().into_iter().map(|(n, _)| n).collect();
    let mut want = vec!["fc0.weight".to_string(), "fc0.bias".into()];
    want.extend((0..4).map(|l| format!("conv{l}.weight")));
    for l in 0..4 {
        want.push(format!("w{l}.weight"));
        want.push(format!("w{l}.bias"));
    }
    want.extend(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"].map(String::from));
    assert_eq!(names, want);

    // By hand from fno1d_torch.py: Linear(2, 64), 4 × (SpectralConv1d(64, 64, 16) with a
    // cfloat weight [64, 64, 16] that numel() counts once per complex entry, Conv1d(64, 64, 1)),
    // Linear(64, 128), Linear(128, 1).
    let (w, m) = (64, 16);
    let linear = |i: usize, o: usize| i * o + o;
    let torch = linear(2, w) + 4 * (w * w * m + linear(w, w)) + linear(w, 128) + linear(128, 1);
    assert_eq!(torch, 287_425);
    assert_eq!(fno.torch_parameter_count(), torch);
    // Stored as real (re, im) pairs: each complex weight counts twice here.
    assert_eq!(fno.parameter_count(), torch + 4 * w * w * m);
    Ok(())
}

#[test]
fn one_model_runs_at_any_resolution() -> R {
    let fno = Fno::new(&FnoConfig::fno1d(8, 8), &CPU)?;
    for n in [16, 64, 100, 257] {
        let y = fno.forward(&Var::constant(randn(&[2, n, 1], n as u64)))?;
        assert_eq!(y.dims(), vec![2, n, 1]);
    }
    Ok(())
}

#[test]
fn wrong_input_shape_is_an_error_naming_the_shape() -> R {
    let fno = Fno::new(&FnoConfig::fno1d(4, 8), &CPU)?;
    let err = fno
        .forward(&Var::constant(randn(&[2, 16, 3], 0)))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[2, 16, 3]") && err.contains("channels-last"),
        "{err}"
    );
    let bad = FnoConfig {
        modes: vec![4, 4, 4, 4],
        ..FnoConfig::default()
    };
    assert!(Fno::new(&bad, &CPU)
        .unwrap_err()
        .to_string()
        .contains("modes"));
    Ok(())
}

#[test]
fn config_round_trips_through_toml_like_serde_and_rejects_unknown_fields() -> R {
    let cfg = FnoConfig::darcy();
    let json = serde_json::to_string(&cfg)?;
    assert!(json.contains("\"activation\":\"gelu\"") && json.contains("\"dtype\":\"f32\""));
    assert_eq!(serde_json::from_str::<FnoConfig>(&json)?, cfg);
    let partial: FnoConfig = serde_json::from_str(r#"{"modes": [12, 12], "padding": 9}"#)?;
    assert_eq!(partial.width, 64);
    assert_eq!(partial.layers, 4);
    let err = serde_json::from_str::<FnoConfig>(r#"{"widht": 3}"#).unwrap_err();
    assert!(err.to_string().contains("widht"));
    Ok(())
}

#[test]
fn relative_and_absolute_lp_match_a_hand_computation() -> R {
    // Sample 0: y = (3, 4), pred = (3, 5): ‖e‖₂ = 1, ‖y‖₂ = 5 → 0.2.
    // Sample 1: y = (1, 0, …), pred = (−1, 2): ‖e‖₂ = √8, ‖y‖₂ = 1 → 2√2.
    let y = Var::constant(Tensor::from_vec(
        vec![3.0f32, 4.0, 1.0, 0.0],
        [2, 2, 1],
        &CPU,
    )?);
    let p = Var::leaf(Tensor::from_vec(
        vec![3.0f32, 5.0, -1.0, 2.0],
        [2, 2, 1],
        &CPU,
    )?);
    let r1 = 0.2f64;
    let r2 = 8f64.sqrt();
    let close = |a: f32, b: f64| (a as f64 - b).abs() <= 1e-6 * (1.0 + b.abs());
    let s = relative_lp(&p, &y, 2.0, Reduction::Sum)?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(close(s, r1 + r2), "{s}");
    let m = relative_lp(&p, &y, 2.0, Reduction::Mean)?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(close(m, (r1 + r2) / 2.0), "{m}");
    // p = 1: ‖e‖₁ = 1 and 4; ‖y‖₁ = 7 and 1.
    let l1 = relative_lp(&p, &y, 1.0, Reduction::Sum)?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(close(l1, 1.0 / 7.0 + 4.0), "{l1}");
    let a = absolute_lp(&p, &y, 2.0, Reduction::Sum)?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(close(a, 1.0 + r2), "{a}");
    // Gradient of Σ_b ‖p_b − y_b‖/‖y_b‖: (p_b − y_b)/(‖p_b − y_b‖·‖y_b‖).
    relative_lp(&p, &y, 2.0, Reduction::Sum)?.backward()?;
    let g = p.grad().unwrap().to_vec::<f32>()?;
    let want = [0.0, 1.0 / 5.0, -2.0 / r2, 2.0 / r2];
    for (gi, wi) in g.iter().zip(want) {
        assert!(close(*gi, wi), "grad {g:?} vs {want:?}");
    }
    assert!(relative_lp(&p, &y.reshape([2, 2])?, 2.0, Reduction::Sum).is_err());
    Ok(())
}

#[test]
fn normalizer_round_trips_and_decode_has_the_scale_as_gradient() -> R {
    let train = randn(&[16, 5, 1], 7).affine(3.0, 2.0)?;
    let n = VarNormalizer::fit_pointwise(&train, DType::F32, &CPU)?;
    let x = Var::constant(train.clone());
    let enc = n.encode(&x)?;
    // Encoded training data has mean 0 and (unbiased) std σ/(σ + ε) ≈ 1 per point.
    let mean = enc
        .mean(&[0], false)?
        .abs()?
        .max_all()?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(mean < 1e-5, "mean {mean}");
    let back = n
        .decode(&enc)?
        .sub(&x)?
        .abs()?
        .max_all()?
        .tensor()
        .to_scalar::<f32>()?;
    assert!(back < 1e-5, "round trip error {back}");
    // d/dy Σ decode(y) = σ + ε per point.
    let y = Var::leaf(randn(&[3, 5, 1], 8));
    n.decode(&y)?.sum_all()?.backward()?;
    let g = y.grad().unwrap().to_vec::<f32>()?;
    let std = n.inner().std();
    for (k, gk) in g.iter().enumerate() {
        let want = std[k % 5] + 1e-5;
        assert!(
            (gk - want).abs() <= 1e-6 * want.max(1.0),
            "{k}: {gk} vs {want}"
        );
    }
    Ok(())
}

fn write_h5(path: &PathBuf, arrays: &[(&str, Tensor)]) {
    let w = Hdf5Writer::create(path, WriteOptions::default()).unwrap();
    for (k, t) in arrays {
        w.write_tensor(k, t).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn data_errors_name_the_file_key_and_shapes() -> R {
    let dir = tmp_dir("errors");
    // Missing file.
    let missing = dir.join("nope.h5");
    let e = load_burgers(&missing, 2, 1, 4).unwrap_err().to_string();
    assert!(e.contains("nope.h5") && e.contains("no such file"), "{e}");

    // Missing key: `u` absent; the message lists what exists.
    let p = dir.join("only_a.h5");
    write_h5(&p, &[("a", randn(&[4, 8], 0)), ("v", randn(&[4, 8], 1))]);
    let e = load_burgers(&p, 2, 1, 4).unwrap_err().to_string();
    assert!(
        e.contains("only_a.h5") && e.contains("`u`") && e.contains("v"),
        "{e}"
    );

    // Wrong rank and mismatched shapes.
    let p = dir.join("rank3.h5");
    write_h5(
        &p,
        &[("a", randn(&[4, 8, 2], 0)), ("u", randn(&[4, 8, 2], 1))],
    );
    let e = load_burgers(&p, 2, 1, 4).unwrap_err().to_string();
    assert!(
        e.contains("rank3.h5") && e.contains("`a`") && e.contains("[4, 8, 2]"),
        "{e}"
    );
    let p = dir.join("mismatch.h5");
    write_h5(&p, &[("a", randn(&[4, 8], 0)), ("u", randn(&[4, 16], 1))]);
    let e = load_burgers(&p, 2, 1, 4).unwrap_err().to_string();
    assert!(
        e.contains("`u`") && e.contains("[4, 16]") && e.contains("[4, 8]"),
        "{e}"
    );

    // Resolution that does not divide the grid; too few samples.
    let p = dir.join("ok.h5");
    write_h5(&p, &[("a", randn(&[4, 8], 0)), ("u", randn(&[4, 8], 1))]);
    let e = load_burgers(&p, 2, 1, 3).unwrap_err().to_string();
    assert!(e.contains("s = 3"), "{e}");
    let e = load_burgers(&p, 3, 2, 4).unwrap_err().to_string();
    assert!(e.contains("3 + 2") && e.contains("[4, 8]"), "{e}");
    let d = load_burgers(&p, 3, 1, 4)?;
    assert_eq!(d.x_train.dims(), &[3, 4, 1]);
    assert_eq!(d.x_test.dims(), &[1, 4, 1]);

    // Darcy: PDEBench layout needs `tensor` [N, 1, n, n].
    let p = dir.join("darcy.h5");
    write_h5(
        &p,
        &[
            ("nu", randn(&[4, 5, 5], 0)),
            ("tensor", randn(&[4, 5, 5], 1)),
        ],
    );
    let e = load_darcy(&p, None, 2, 1, 2).unwrap_err().to_string();
    assert!(
        e.contains("darcy.h5") && e.contains("`tensor`") && e.contains("[N, 1, n, n]"),
        "{e}"
    );

    // Navier–Stokes: not enough recorded steps.
    let p = dir.join("ns.h5");
    write_h5(&p, &[("tensor", randn(&[4, 6, 8, 8], 0))]);
    let e = load_navier_stokes(&p, 2, 1, 3, 4).unwrap_err().to_string();
    assert!(
        e.contains("ns.h5") && e.contains("3 + 4") && e.contains("[4, 8, 8, 5]"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn loaders_subsample_and_split_as_the_reference_scripts() -> R {
    let dir = tmp_dir("layout");
    // Burgers: a[i, j] = 100 i + j; r = 8/4 = 2: x_train[0] = a[0, ::2], test = last sample.
    let a: Vec<f32> = (0..5)
        .flat_map(|i| (0..8).map(move |j| (100 * i + j) as f32))
        .collect();
    let a = Tensor::from_vec(a, [5, 8], &CPU)?;
    let p = dir.join("b.h5");
    write_h5(&p, &[("a", a.clone()), ("u", a.affine(-1.0, 0.0)?)]);
    let d = load_burgers(&p, 2, 1, 4)?;
    assert_eq!(d.x_train.to_vec::<f32>()?[..4], [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(d.x_test.to_vec::<f32>()?, [400.0, 402.0, 404.0, 406.0]);
    assert_eq!(d.y_test.to_vec::<f32>()?, [-400.0, -402.0, -404.0, -406.0]);

    // Darcy: n = 5, r = 2 → s = 3 (nodes 0, 2, 4 per axis).
    let c: Vec<f32> = (0..4 * 25).map(|k| k as f32).collect();
    let c = Tensor::from_vec(c, [4, 5, 5], &CPU)?;
    let p = dir.join("d.h5");
    write_h5(
        &p,
        &[("nu", c.clone()), ("tensor", c.reshape([4, 1, 5, 5])?)],
    );
    let d = load_darcy(&p, None, 2, 1, 2)?;
    assert_eq!(d.x_train.dims(), &[2, 3, 3, 1]);
    assert_eq!(
        d.x_train.to_vec::<f32>()?[..9],
        [0.0, 2.0, 4.0, 10.0, 12.0, 14.0, 20.0, 22.0, 24.0]
    );
    assert_eq!(d.y_test.to_vec::<f32>()?[0], 75.0);

    // Navier–Stokes: tensor[n, t, x, y] = t; frame 0 dropped; x = frames 1..=2, y = 3..=4.
    let v: Vec<f32> = (0..3 * 5 * 4).map(|k| ((k / 4) % 5) as f32).collect();
    let p = dir.join("n.h5");
    write_h5(&p, &[("tensor", Tensor::from_vec(v, [3, 5, 2, 2], &CPU)?)]);
    let d = load_navier_stokes(&p, 2, 1, 2, 2)?;
    assert_eq!(d.x_train.dims(), &[2, 2, 2, 2]);
    assert_eq!(d.x_train.to_vec::<f32>()?[..2], [1.0, 2.0]);
    assert_eq!(d.y_train.to_vec::<f32>()?[..2], [3.0, 4.0]);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
