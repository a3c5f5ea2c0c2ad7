//! `NeuralOde`: shapes, backprop vs adjoint training gradients, and the spiral demo at a
//! reduced scale (torchdiffeq's `ode_demo.py`, Chen et al. 2018).

use fluxion_autodiff::Var;
use fluxion_diffeq::spiral::{spiral_data, train_spiral, SpiralConfig};
use fluxion_diffeq::{GradientMode, NeuralOde};
use fluxion_nn::loss::l1_loss;
use fluxion_nn::{Activation, Mlp};
use fluxion_tensor::{DType, Device, Tensor};

fn net(seed: u64) -> Mlp {
    Mlp::builder(&[2, 16, 2])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .seed(seed)
        .build()
        .unwrap()
}

fn y0() -> Tensor {
    Tensor::from_vec(
        vec![1.0f64, 0.5, -0.4, 0.9, 0.2, -1.0],
        [3, 2],
        &Device::Cpu,
    )
    .unwrap()
}

#[test]
fn forward_gives_time_batch_dim_and_starts_at_y0() {
    let node = NeuralOde::new(net(0)).cube_input(true);
    let traj = node
        .forward(&Var::constant(y0()), &[0.0, 0.3, 0.9])
        .unwrap();
    assert_eq!(traj.dims(), vec![3, 3, 2]);
    let first = traj
        .tensor()
        .narrow(0, 0, 1)
        .unwrap()
        .reshape([3, 2])
        .unwrap();
    assert_eq!(
        first.to_vec::<f64>().unwrap(),
        y0().to_vec::<f64>().unwrap()
    );
    let adj = NeuralOde::new(net(0))
        .cube_input(true)
        .gradient_mode(GradientMode::Adjoint);
    let traj2 = adj.forward(&Var::constant(y0()), &[0.0, 0.3, 0.9]).unwrap();
    let d = traj
        .tensor()
        .sub(&traj2.tensor())
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    assert!(d < 1e-6, "backprop and adjoint forward differ by {d:e}");
    assert!(node.forward(&Var::constant(y0()), &[1.0, 0.0]).is_err());
}

#[test]
fn backprop_and_adjoint_training_gradients_agree() {
    // The L1 loss against a fixed target; both modes at rtol = atol = 1e-10, so their
    // parameter and y0 gradients agree to the solver tolerance (checked at 1e-6 relative).
    let ts = [0.0, 0.25, 0.5, 1.0];
    let target = Var::constant(Tensor::zeros([4, 3, 2], DType::F64, &Device::Cpu).unwrap());
    let grads = |mode: GradientMode| -> (f64, Vec<f64>) {
        let node = NeuralOde::new(net(7))
            .cube_input(true)
            .tolerances(1e-10, 1e-10)
            .gradient_mode(mode);
        let y0v = Var::leaf(y0());
        let loss = node
            .loss_backward(&y0v, &ts, |pred| Ok(l1_loss(pred, &target)?))
            .unwrap();
        let mut g: Vec<f64> = y0v.grad().unwrap().to_vec::<f64>().unwrap();
        for p in node.parameters() {
            g.extend(p.grad().unwrap().to_vec::<f64>().unwrap());
        }
        (loss, g)
    };
    let (lb, gb) = grads(GradientMode::Backprop);
    let (la, ga) = grads(GradientMode::Adjoint);
    let num: f64 = ga.iter().zip(&gb).map(|(a, b)| (a - b).powi(2)).sum();
    let den: f64 = gb.iter().map(|b| b * b).sum();
    let rel = (num / den).sqrt();
    println!("NeuralOde loss {lb:.6} vs {la:.6}; adjoint vs backprop gradient rel err {rel:.2e}");
    assert!((lb - la).abs() < 1e-8 * lb.abs().max(1.0));
    assert!(rel < 1e-6, "{rel:e}");
}

#[test]
fn spiral_data_matches_the_reference_setup() {
    let data = spiral_data(&SpiralConfig::default()).unwrap();
    assert_eq!(data.ts.len(), 1000);
    assert_eq!(data.ys.dims(), &[1000, 2]);
    let v = data.ys.to_vec::<f64>().unwrap();
    assert_eq!(&v[..2], &[2.0, 0.0]);
    // A damped cubic oscillator: the radius shrinks but stays away from zero on [0, 25].
    let r_end = (v[1998].powi(2) + v[1999].powi(2)).sqrt();
    assert!(r_end < 2.0 && r_end > 0.1, "final radius {r_end}");
}

#[test]
fn spiral_demo_reduced_scale_reduces_the_loss() {
    // 200 of the demo's 2000 iterations: the batch loss and the full-trajectory L1 error must
    // fall substantially from the untrained model's.
    let cfg = SpiralConfig {
        iters: 200,
        ..SpiralConfig::default()
    };
    let r = train_spiral(&cfg).unwrap();
    let head: f64 = r.losses[..20].iter().sum::<f64>() / 20.0;
    let tail: f64 = r.losses[180..].iter().sum::<f64>() / 20.0;
    println!(
        "spiral 200 iters: batch loss {head:.4} → {tail:.4}, full-trajectory L1 {:.4} → {:.4}, \
         {:.2} ms/iter",
        r.initial_l1, r.final_l1, r.ms_per_iter
    );
    assert!(tail < 0.6 * head, "batch loss {head} → {tail}");
    assert!(r.final_l1 < 0.8 * r.initial_l1);
}
