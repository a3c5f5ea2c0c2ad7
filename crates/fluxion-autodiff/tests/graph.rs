//! Graph behaviour: leaf gradients, freeing, retain_graph, no_grad, deep graphs and errors.

mod common;

use common::uniform;
use fluxion_autodiff::{grad, grad_with, is_grad_enabled, no_grad, Error, GradOptions, Var};
use fluxion_tensor::{DType, Device, Tensor};

fn scalar(v: f64) -> Tensor {
    Tensor::from_vec(vec![v], [], &Device::Cpu).unwrap()
}

#[test]
fn backward_accumulates_into_leaves_and_zero_grad_clears() {
    let x = Var::leaf(scalar(2.0));
    let c = Var::constant(scalar(5.0));
    let y = x.square().unwrap().mul(&c).unwrap(); // 5x²
    y.backward_with(None, true).unwrap();
    assert_eq!(x.grad().unwrap().to_scalar::<f64>().unwrap(), 20.0);
    assert!(c.grad().is_none(), "constants get no gradient");
    y.backward().unwrap(); // retained above, so a second pass works and adds up
    assert_eq!(x.grad().unwrap().to_scalar::<f64>().unwrap(), 40.0);
    x.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
fn backward_frees_intermediates_unless_retained() {
    let x = Var::leaf(uniform(&[1000], 1, -1.0, 1.0));
    let build = || {
        let h = x.sin().unwrap();
        (h.square().unwrap().sum_all().unwrap(), h.downgrade())
    };
    let (y, weak) = build();
    assert!(weak.upgrade().is_some(), "the graph holds the intermediate");
    y.backward().unwrap();
    assert!(
        weak.upgrade().is_none(),
        "backward released the intermediate"
    );
    match y.backward() {
        Err(e @ Error::GraphFreed { .. }) => assert!(e.to_string().contains("retain_graph")),
        other => panic!("expected GraphFreed, got {other:?}"),
    }
    // With retain_graph the intermediate survives, and so it does under create_graph.
    let (y, weak) = build();
    y.backward_with(None, true).unwrap();
    assert!(weak.upgrade().is_some());
    let (y, weak) = build();
    grad(std::slice::from_ref(&y), &[x.clone()], None, true).unwrap();
    assert!(weak.upgrade().is_some());
    drop(y);
    assert!(
        weak.upgrade().is_none(),
        "dropping the output frees a retained graph"
    );
    // grad without create_graph frees, like backward.
    let (y, weak) = build();
    grad(&[y], &[x.clone()], None, false).unwrap();
    assert!(weak.upgrade().is_none());
}

#[test]
fn no_grad_records_nothing_and_restores_the_mode() {
    let x = Var::leaf(scalar(1.0));
    assert!(is_grad_enabled());
    let y = no_grad(|| x.exp().unwrap());
    assert!(!y.requires_grad() && y.is_leaf());
    assert!(is_grad_enabled());
    let caught = std::panic::catch_unwind(|| no_grad(|| panic!("inside")));
    assert!(caught.is_err());
    assert!(is_grad_enabled(), "restored after a panic");
    let d = x.exp().unwrap().detach();
    assert!(!d.requires_grad());
}

#[test]
fn gradients_without_create_graph_are_constants_and_with_it_are_recorded() {
    let x = Var::leaf(scalar(0.3));
    let y = x.sin().unwrap();
    let g = grad(&[y.clone()], &[x.clone()], None, true)
        .unwrap()
        .remove(0);
    assert!(g.requires_grad() && !g.is_leaf());
    let y = x.sin().unwrap();
    let g = grad(&[y], &[x.clone()], None, false).unwrap().remove(0);
    assert!(!g.requires_grad());
}

#[test]
fn unused_inputs_get_zeros_and_intermediates_can_be_targets() {
    let x = Var::leaf(scalar(2.0));
    let z = Var::leaf(Tensor::ones([3], DType::F64, &Device::Cpu).unwrap());
    let h = x.square().unwrap();
    let y = h.mul_scalar(3.0).unwrap().exp().unwrap();
    let g = grad(&[y.clone()], &[x.clone(), z, h], None, false).unwrap();
    let e12 = 12f64.exp();
    assert!((g[0].tensor().to_scalar::<f64>().unwrap() - 3.0 * e12 * 4.0).abs() < 1e-9 * e12);
    assert_eq!(g[1].tensor().to_vec::<f64>().unwrap(), vec![0.0; 3]);
    assert!((g[2].tensor().to_scalar::<f64>().unwrap() - 3.0 * e12).abs() < 1e-9 * e12);
}

#[test]
fn a_million_op_chain_differentiates_and_drops_without_recursion() {
    let x = Var::leaf(scalar(1.0));
    let mut y = x.clone();
    let n = 1_000_000;
    for _ in 0..n {
        y = y.mul_scalar(1.0 + 1e-7).unwrap();
    }
    let g = grad(&[y.clone()], &[x.clone()], None, false).unwrap();
    let want = (1.0f64 + 1e-7).powi(n);
    assert!((g[0].tensor().to_scalar::<f64>().unwrap() - want).abs() < 1e-9);
    drop(g);
    drop(y); // iterative drop of the remaining graph
}

#[test]
fn bad_requests_are_clear_errors() {
    let x = Var::leaf(Tensor::ones([3], DType::F64, &Device::Cpu).unwrap());
    let y = x.sin().unwrap();
    let e = grad(&[y.clone()], &[x.clone()], None, false).unwrap_err();
    assert!(matches!(e, Error::NotScalar { index: 0, .. }), "{e}");
    let wrong = Var::constant(Tensor::ones([2], DType::F64, &Device::Cpu).unwrap());
    let e = grad(&[y.clone()], &[x.clone()], Some(&[wrong]), false).unwrap_err();
    assert!(e.to_string().contains("grad_outputs[0]"), "{e}");
    let e = grad(&[y.clone()], &[x.clone()], Some(&[]), false).unwrap_err();
    assert!(matches!(e, Error::Arity { .. }), "{e}");
    let e = y
        .set_value(Tensor::ones([3], DType::F64, &Device::Cpu).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("not a leaf"), "{e}");
    let e = x
        .set_value(Tensor::ones([3], DType::F32, &Device::Cpu).unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("f32"), "{e}");
    let opts = GradOptions {
        create_graph: false,
        retain_graph: Some(false),
    };
    let s = y.sum_all().unwrap();
    grad_with(&[s.clone()], &[x.clone()], None, opts).unwrap();
    assert!(matches!(
        grad_with(&[s], &[x], None, opts),
        Err(Error::GraphFreed { .. })
    ));
}
