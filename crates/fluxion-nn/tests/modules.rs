//! Linear, Mlp, Sequential, activations and losses: values against hand computations,
//! gradients by gradcheck, names as in PyTorch.

use fluxion_autodiff::{gradcheck, GradcheckOptions, Var};
use fluxion_nn::loss::{l1_loss, mse_loss};
use fluxion_nn::{Activation, Linear, Mlp, Module, Sequential};
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Tensor};

fn t(v: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

#[test]
fn linear_computes_x_wt_plus_b() {
    let w = t(vec![1.0, 2.0, 3.0, -1.0, 0.5, 0.0], &[2, 3]);
    let b = t(vec![0.25, -2.0], &[2]);
    let layer = Linear::from_tensors(w, Some(b)).unwrap();
    let x = Var::constant(t(vec![1.0, 1.0, 1.0, 2.0, 0.0, -1.0], &[2, 3]));
    let y = layer
        .forward(&x)
        .unwrap()
        .tensor()
        .to_vec2::<f64>()
        .unwrap();
    assert_eq!(y, vec![vec![6.25, -2.5], vec![-0.75, -4.0]]);
    // Rank 1 and rank 3 inputs apply to the last axis.
    let x1 = Var::constant(t(vec![1.0, 0.0, 0.0], &[3]));
    assert_eq!(
        layer
            .forward(&x1)
            .unwrap()
            .tensor()
            .to_vec::<f64>()
            .unwrap(),
        vec![1.25, -3.0]
    );
    let x3 = Var::constant(Tensor::ones([4, 5, 3], DType::F64, &Device::Cpu).unwrap());
    assert_eq!(layer.forward(&x3).unwrap().dims(), vec![4, 5, 2]);
    let names: Vec<String> = layer
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["weight", "bias"]);
}

#[test]
fn linear_default_init_is_uniform_within_one_over_sqrt_fan_in() {
    let mut g = Generator::new(3);
    let layer = Linear::new(64, 200, true, DType::F64, &Device::Cpu, &mut g).unwrap();
    let bound = 1.0 / 8.0;
    for p in layer.parameters() {
        let v = p.tensor().to_vec::<f64>().unwrap();
        assert!(v.iter().all(|x| x.abs() < bound));
        // Variance of U(−a, a) is a²/3; 12 800 draws give a relative standard error of
        // √(0.8/n) ≈ 0.8 % for the weight, so 5 % is over 6 standard errors.
        if v.len() > 1000 {
            let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
            assert!(
                (var / (bound * bound / 3.0) - 1.0).abs() < 0.05,
                "variance {var}"
            );
        }
    }
    let again = Linear::new(
        64,
        200,
        true,
        DType::F64,
        &Device::Cpu,
        &mut Generator::new(3),
    )
    .unwrap();
    assert_eq!(
        again.weight().tensor().to_vec::<f64>().unwrap(),
        layer.weight().tensor().to_vec::<f64>().unwrap()
    );
    assert!(Linear::new(0, 3, true, DType::F32, &Device::Cpu, &mut g).is_err());
}

#[test]
fn mlp_names_counts_and_gradients() {
    let net = Mlp::builder(&[2, 5, 4, 1])
        .activation(Activation::Tanh)
        .dtype(DType::F64)
        .seed(7)
        .build()
        .unwrap();
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.weight",
            "layers.1.bias",
            "layers.2.weight",
            "layers.2.bias"
        ]
    );
    assert_eq!(net.parameter_count(), 2 * 5 + 5 + 5 * 4 + 4 + 4 + 1);
    // Gradients with respect to every parameter and the input, checked by central differences.
    let x = Tensor::rand(
        -1.0,
        1.0,
        [3, 2],
        DType::F64,
        &Device::Cpu,
        &mut Generator::new(1),
    )
    .unwrap();
    let params: Vec<Tensor> = net.parameters().iter().map(Var::tensor).collect();
    let f = |v: &[Var]| -> fluxion_autodiff::Result<Vec<Var>> {
        let mut y = v[0].clone();
        for l in 0..3 {
            y = y.matmul(&v[1 + 2 * l].t()?)?.add(&v[2 + 2 * l])?;
            if l < 2 {
                y = y.tanh()?;
            }
        }
        Ok(vec![y])
    };
    let mut inputs = vec![x.clone()];
    inputs.extend(params);
    gradcheck(
        f,
        &inputs,
        &GradcheckOptions {
            atol: 1e-8,
            rtol: 1e-6,
            ..Default::default()
        },
    )
    .unwrap();
    // and the module computes exactly that function
    let y_mod = net
        .forward(&Var::constant(x))
        .unwrap()
        .tensor()
        .to_vec::<f64>()
        .unwrap();
    let vars: Vec<Var> = inputs.into_iter().map(Var::constant).collect();
    let y_ref = f(&vars).unwrap()[0].tensor().to_vec::<f64>().unwrap();
    assert_eq!(y_mod, y_ref);
    assert!(Mlp::builder(&[3]).build().is_err());
    assert!(Mlp::builder(&[3, 0, 1]).build().is_err());
}

#[test]
fn sequential_names_follow_pytorch() {
    let mut g = Generator::new(0);
    let seq = Sequential::new()
        .push(Linear::new(2, 3, true, DType::F32, &Device::Cpu, &mut g).unwrap())
        .push(Activation::Relu)
        .push(Linear::new(3, 1, false, DType::F32, &Device::Cpu, &mut g).unwrap());
    let names: Vec<String> = seq.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight"]);
    let x = Var::constant(Tensor::ones([4, 2], DType::F32, &Device::Cpu).unwrap());
    assert_eq!(seq.forward(&x).unwrap().dims(), vec![4, 1]);
}

#[test]
fn activations_parse_print_and_apply() {
    for a in [
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu(0.2),
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Softplus,
        Activation::Sin,
        Activation::Sigmoid,
        Activation::Silu,
        Activation::Identity,
    ] {
        assert_eq!(a.to_string().parse::<Activation>().unwrap(), a);
    }
    assert_eq!(
        "leaky_relu".parse::<Activation>().unwrap(),
        Activation::LeakyRelu(0.01)
    );
    let e = "swishy".parse::<Activation>().unwrap_err().to_string();
    assert!(e.contains("swishy") && e.contains("tanh"), "{e}");
    assert!("tanh:3".parse::<Activation>().is_err());
    assert!("leaky_relu:x".parse::<Activation>().is_err());
    let x = Var::constant(t(vec![-2.0, 0.5], &[2]));
    let silu = Activation::Silu
        .apply(&x)
        .unwrap()
        .tensor()
        .to_vec::<f64>()
        .unwrap();
    let want: Vec<f64> = [-2.0f64, 0.5]
        .iter()
        .map(|v| v / (1.0 + (-v).exp()))
        .collect();
    assert!((silu[0] - want[0]).abs() < 1e-15 && (silu[1] - want[1]).abs() < 1e-15);
}

#[test]
fn losses_match_pytorch_definitions() {
    let p = Var::constant(t(vec![1.0, 2.0, 4.0], &[3]));
    let q = Var::constant(t(vec![0.0, 2.0, 1.0], &[3]));
    assert_eq!(
        mse_loss(&p, &q)
            .unwrap()
            .tensor()
            .to_scalar::<f64>()
            .unwrap(),
        10.0 / 3.0
    );
    assert_eq!(
        l1_loss(&p, &q)
            .unwrap()
            .tensor()
            .to_scalar::<f64>()
            .unwrap(),
        4.0 / 3.0
    );
    let r = Var::constant(t(vec![0.0; 3], &[3, 1]));
    let e = mse_loss(&p, &r).unwrap_err().to_string();
    assert!(e.contains("[3]") && e.contains("[3, 1]"), "{e}");
}

#[test]
fn mlp_initialisations() {
    use fluxion_nn::WeightInit;
    let build = |init| {
        Mlp::builder(&[40, 60, 1])
            .dtype(DType::F64)
            .init(init)
            .seed(2)
            .build()
            .unwrap()
    };
    // Xavier normal: std √(2/(40+60)) = √0.02; 2400 draws give a 3 % standard error on the
    // variance, so 15 % is 5 standard errors. Biases start at zero.
    let net = build(WeightInit::XavierNormal);
    let w = net.layers()[0].weight().tensor().to_vec::<f64>().unwrap();
    let var = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
    assert!((var / 0.02 - 1.0).abs() < 0.15, "variance {var}");
    assert!(net.layers()[0]
        .bias()
        .unwrap()
        .tensor()
        .to_vec::<f64>()
        .unwrap()
        .iter()
        .all(|&b| b == 0.0));
    // Orthogonal: the rows of the 60×40 weight's transpose are orthonormal (WᵀW = I).
    let net = build(WeightInit::Orthogonal);
    let w = net.layers()[0].weight().tensor();
    let wtw = w.t().unwrap().matmul(&w).unwrap();
    let eye = Tensor::eye(40, DType::F64, &Device::Cpu).unwrap();
    let err = wtw
        .sub(&eye)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    assert!(err < 1e-12, "{err}");
    // Xavier uniform stays within its bound √(6/100).
    let net = build(WeightInit::XavierUniform);
    let w = net.layers()[0].weight().tensor().to_vec::<f64>().unwrap();
    assert!(w.iter().all(|x| x.abs() <= 0.06f64.sqrt()));
}
