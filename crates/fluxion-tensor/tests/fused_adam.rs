//! `fused::adam_update` against the op-by-op Adam / AdamW step it replaces (the sequence of
//! `fluxion_nn::optim::Adam::step`, written out here with tensor ops): the same bits for every
//! option, over several steps, on each device; and its argument checks.

mod common;

use common::test_device;
use fluxion_tensor::fused::{adam_update, adam_update_ops, AdamMoments, AdamOutput, AdamScalars};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Result, Tensor};

/// The op-by-op step (PyTorch's single-tensor Adam, as fluxion-nn's `Adam::step` ran it
/// before the fused pass).
fn reference(
    x: &Tensor,
    g: &Tensor,
    m: Option<&Tensor>,
    v: Option<&Tensor>,
    vmax: Option<&Tensor>,
    s: &AdamScalars,
) -> Result<AdamOutput> {
    let moments = AdamMoments {
        exp_avg: m,
        exp_avg_sq: v,
        max_exp_avg_sq: vmax,
    };
    adam_update_ops(x, g, moments, s)
}

fn bits(t: &Tensor) -> Result<Vec<u64>> {
    Ok(match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
        _ => t.to_vec::<f64>()?.iter().map(|v| v.to_bits()).collect(),
    })
}

fn scalars(
    step: u64,
    weight_decay: f64,
    decoupled: bool,
    amsgrad: bool,
    maximize: bool,
) -> AdamScalars {
    let (beta1, beta2) = (0.9, 0.999);
    AdamScalars {
        lr: 3e-3,
        beta1,
        beta2,
        eps: 1e-8,
        weight_decay,
        bias_correction1: 1.0 - f64::powf(beta1, step as f64),
        bias_correction2: 1.0 - f64::powf(beta2, step as f64),
        decoupled,
        maximize,
        amsgrad,
    }
}

/// Five steps of every option combination, fused vs op-by-op, on `dev`: equal bits for the
/// parameter and every moment after each step. The parameter is a transposed view (the fused
/// path makes it contiguous) and the gradients include zeros, ±0 and values that make the
/// second moment tiny, so eps and the rounding of every scalar matter.
fn fused_matches_op_by_op(dev: &Device) -> Result<()> {
    for dtype in [DType::F32, DType::F64] {
        for (wd, decoupled) in [(0.0, false), (1e-2, false), (1e-2, true)] {
            for amsgrad in [false, true] {
                for maximize in [false, true] {
                    let mut gen = Generator::new(5);
                    let x0 = Tensor::randn(0.0, 1.0, [37, 29], dtype, dev, &mut gen)?.t()?;
                    let (mut x_f, mut x_r) = (x0.clone(), x0);
                    let mut st_f: Option<AdamOutput> = None;
                    let mut st_r: Option<AdamOutput> = None;
                    for step in 1..=5u64 {
                        let mut g = Tensor::randn(0.0, 1e-3, [29, 37], dtype, dev, &mut gen)?;
                        if step == 2 {
                            // Exact zeros and negative zeros: m and v stay exactly 0 there.
                            g = g
                                .mul(
                                    &Tensor::rand(0.0, 1.0, [29, 37], dtype, dev, &mut gen)?
                                        .gt_scalar(0.5)?
                                        .to_dtype(dtype)?,
                                )?
                                .neg()?;
                        }
                        let s = scalars(step, wd, decoupled, amsgrad, maximize);
                        let f = adam_update(
                            &x_f,
                            &g,
                            AdamMoments {
                                exp_avg: st_f.as_ref().map(|o| &o.exp_avg),
                                exp_avg_sq: st_f.as_ref().map(|o| &o.exp_avg_sq),
                                max_exp_avg_sq: st_f
                                    .as_ref()
                                    .and_then(|o| o.max_exp_avg_sq.as_ref()),
                            },
                            &s,
                        )?;
                        let r = reference(
                            &x_r,
                            &g,
                            st_r.as_ref().map(|o| &o.exp_avg),
                            st_r.as_ref().map(|o| &o.exp_avg_sq),
                            st_r.as_ref().and_then(|o| o.max_exp_avg_sq.as_ref()),
                            &s,
                        )?;
                        let what = format!(
                            "{dtype} on {dev}: step {step}, wd {wd} decoupled {decoupled} amsgrad {amsgrad} maximize {maximize}"
                        );
                        assert_eq!(bits(&f.param)?, bits(&r.param)?, "param, {what}");
                        assert_eq!(bits(&f.exp_avg)?, bits(&r.exp_avg)?, "m, {what}");
                        assert_eq!(bits(&f.exp_avg_sq)?, bits(&r.exp_avg_sq)?, "v, {what}");
                        assert_eq!(f.max_exp_avg_sq.is_some(), amsgrad, "{what}");
                        if let (Some(a), Some(b)) = (&f.max_exp_avg_sq, &r.max_exp_avg_sq) {
                            assert_eq!(bits(a)?, bits(b)?, "v_max, {what}");
                        }
                        assert_eq!(f.param.dims(), [29, 37]);
                        assert_ne!(
                            bits(&f.param)?,
                            bits(&x_f.contiguous()?)?,
                            "the step moves x, {what}"
                        );
                        x_f = f.param.clone();
                        x_r = r.param.clone();
                        st_f = Some(f);
                        st_r = Some(r);
                    }
                }
            }
        }
    }
    Ok(())
}
test_device!(
    fused_matches_op_by_op,
    fused_adam_matches_op_by_op_cpu,
    fused_adam_matches_op_by_op_cuda
);

/// Tensors large enough for the parallel path (several chunks, a partial last one).
fn large_tensors_match(dev: &Device) -> Result<()> {
    let mut gen = Generator::new(8);
    for amsgrad in [false, true] {
        let x = Tensor::randn(0.0, 1.0, [300, 221], DType::F32, dev, &mut gen)?;
        let mut st: Option<AdamOutput> = None;
        for step in 1..=2u64 {
            let g = Tensor::randn(0.0, 1.0, [300, 221], DType::F32, dev, &mut gen)?;
            let s = scalars(step, 1e-2, true, amsgrad, false);
            let moments = AdamMoments {
                exp_avg: st.as_ref().map(|o| &o.exp_avg),
                exp_avg_sq: st.as_ref().map(|o| &o.exp_avg_sq),
                max_exp_avg_sq: st.as_ref().and_then(|o| o.max_exp_avg_sq.as_ref()),
            };
            let f = adam_update(&x, &g, moments, &s)?;
            let r = reference(
                &x,
                &g,
                moments.exp_avg,
                moments.exp_avg_sq,
                moments.max_exp_avg_sq,
                &s,
            )?;
            assert_eq!(
                bits(&f.param)?,
                bits(&r.param)?,
                "step {step} amsgrad {amsgrad}"
            );
            assert_eq!(bits(&f.exp_avg_sq)?, bits(&r.exp_avg_sq)?);
            st = Some(f);
        }
    }
    Ok(())
}
test_device!(
    large_tensors_match,
    fused_adam_large_tensors_cpu,
    fused_adam_large_tensors_cuda
);

#[test]
fn bad_arguments_are_errors() -> Result<()> {
    let dev = Device::Cpu;
    let x = Tensor::zeros([3, 4], DType::F32, &dev)?;
    let s = scalars(1, 0.0, false, false, false);
    let none = AdamMoments::default();
    let err = |r: Result<AdamOutput>| r.expect_err("an error").to_string();

    let ints = Tensor::zeros([3, 4], DType::I64, &dev)?;
    assert!(err(adam_update(&ints, &ints, none, &s)).contains("i64"));
    let wrong = Tensor::zeros([4, 3], DType::F32, &dev)?;
    let e = err(adam_update(&x, &wrong, none, &s));
    assert!(e.contains("grad") && e.contains("[4, 3]"), "{e}");
    let f64s = Tensor::zeros([3, 4], DType::F64, &dev)?;
    assert!(err(adam_update(&x, &f64s, none, &s)).contains("f64"));
    let only_m = AdamMoments {
        exp_avg: Some(&x),
        ..none
    };
    assert!(err(adam_update(&x, &x, only_m, &s)).contains("both"));
    let vmax = AdamMoments {
        exp_avg: Some(&x),
        exp_avg_sq: Some(&x),
        max_exp_avg_sq: Some(&x),
    };
    assert!(err(adam_update(&x, &x, vmax, &s)).contains("amsgrad"));
    let bad_m = AdamMoments {
        exp_avg: Some(&wrong),
        exp_avg_sq: Some(&x),
        max_exp_avg_sq: None,
    };
    assert!(err(adam_update(&x, &x, bad_m, &s)).contains("exp_avg"));
    // Empty tensors are a valid no-op.
    let e = Tensor::zeros([0, 4], DType::F64, &dev)?;
    let out = adam_update(&e, &e, none, &s)?;
    assert_eq!(out.param.dims(), [0, 4]);
    Ok(())
}
