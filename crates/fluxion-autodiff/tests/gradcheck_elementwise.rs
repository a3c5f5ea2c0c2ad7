//! First- and second-order gradcheck of every elementwise op, with broadcast and strided
//! operands.

mod common;

use common::{away_from_zero, check, distinct, one, uniform};
use fluxion_autodiff::{Result, Var};
use fluxion_tensor::Tensor;

type Unary = fn(&Var) -> Result<Var>;

#[test]
fn unary_ops_on_a_strided_view() {
    let general: &[(&str, Unary)] = &[
        ("neg", |x| x.neg()),
        ("exp", |x| x.exp()),
        ("square", |x| x.square()),
        ("sin", |x| x.sin()),
        ("cos", |x| x.cos()),
        ("tanh", |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid()),
        ("gelu_erf", |x| x.gelu_erf()),
        ("gelu_erf_grad", |x| x.gelu_erf_grad()),
        ("gelu_tanh", |x| x.gelu_tanh()),
        ("erf", |x| x.erf()),
        ("softplus", |x| x.softplus()),
        ("silu", |x| x.silu()),
        ("affine", |x| x.affine(-1.5, 0.25)),
        ("add_scalar", |x| x.add_scalar(3.0)),
        ("rsub_scalar", |x| x.rsub_scalar(3.0)),
        ("div_scalar", |x| x.div_scalar(-4.0)),
        ("maximum_scalar", |x| x.maximum_scalar(0.1)),
        ("minimum_scalar", |x| x.minimum_scalar(-0.1)),
    ];
    let x = uniform(&[3, 4], 1, -2.0, 2.0);
    for (name, op) in general {
        // Transposed: the op reads a non-contiguous layout.
        check(name, |v| one(op(&v[0].t()?)), std::slice::from_ref(&x));
    }
    let kinked: &[(&str, Unary)] = &[
        ("abs", |x| x.abs()),
        ("relu", |x| x.relu()),
        ("leaky_relu", |x| x.leaky_relu(0.1)),
        ("sign", |x| x.sign()),
        ("recip", |x| x.recip()),
        ("rdiv_scalar", |x| x.rdiv_scalar(2.0)),
    ];
    let x = away_from_zero(&[3, 4], 2);
    for (name, op) in kinked {
        check(name, |v| one(op(&v[0].t()?)), std::slice::from_ref(&x));
    }
    let positive: &[(&str, Unary)] = &[
        ("log", |x| x.log()),
        ("sqrt", |x| x.sqrt()),
        ("powf(2.5)", |x| x.powf(2.5)),
        ("powf(-1.5)", |x| x.powf(-1.5)),
        ("powf(0)", |x| x.powf(0.0)),
        ("pow_scalar(1.7)", |x| x.pow_scalar(1.7)),
    ];
    let x = uniform(&[3, 4], 3, 0.3, 2.0);
    for (name, op) in positive {
        check(name, |v| one(op(&v[0].t()?)), std::slice::from_ref(&x));
    }
    // Softplus above its threshold is linear (and exactly so in the forward pass).
    let big = uniform(&[4], 4, 20.5, 23.0);
    check("softplus above 20", |v| one(v[0].softplus()), &[big]);
}

type Binary = fn(&Var, &Var) -> Result<Var>;

#[test]
fn binary_ops_with_broadcasting() {
    let ops: &[(&str, Binary)] = &[
        ("add", |a, b| a.add(b)),
        ("sub", |a, b| a.sub(b)),
        ("mul", |a, b| a.mul(b)),
        ("div", |a, b| a.div(b)),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
    ];
    // [3, 1, 4] with [2, 4] → [3, 2, 4]; b is read transposed from a [4, 2] input.
    let a = distinct(&[3, 1, 4], 5);
    let b = away_from_zero(&[4, 2], 6);
    for (name, op) in ops {
        check(
            name,
            |v| one(op(&v[0], &v[1].t()?)),
            &[a.clone(), b.clone()],
        );
    }
    // pow with a positive base, both operands differentiated.
    let base = uniform(&[2, 3], 7, 0.5, 2.0);
    let exponent = uniform(&[3], 8, -1.5, 2.5);
    check("pow", |v| one(v[0].pow(&v[1])), &[base, exponent]);
    // A scalar (0-d) operand broadcast against everything.
    let s = uniform(&[], 9, 0.5, 1.5);
    let m = uniform(&[2, 3], 10, -1.0, 1.0);
    check("mul by 0-d", |v| one(v[1].mul(&v[0])), &[s, m]);
}

#[test]
fn binary_ops_used_twice_and_chained() {
    // x appears on both sides and in a chain: gradients from every use add up.
    let x = uniform(&[5], 11, 0.5, 1.5);
    check(
        "x*x/(x+1)",
        |v| one(v[0].mul(&v[0])?.div(&v[0].add_scalar(1.0)?)),
        &[x],
    );
}

#[test]
fn where_and_casts() {
    let a = uniform(&[2, 3], 12, -1.0, 1.0);
    let b = uniform(&[3], 13, -1.0, 1.0);
    let cond = Tensor::from_vec(
        vec![1u8, 0, 1, 0, 0, 1],
        [2, 3],
        &fluxion_tensor::Device::Cpu,
    )
    .unwrap();
    check(
        "where",
        |v| one(Var::where_cond(&cond, &v[0].sin()?, &v[1].square()?)),
        &[a, b],
    );
}

#[test]
fn cast_gradient_comes_back_in_the_input_dtype() {
    use fluxion_tensor::DType;
    let x = Var::leaf(uniform(&[4], 14, -1.0, 1.0));
    let y = x
        .to_dtype(DType::F32)
        .unwrap()
        .mul_scalar(3.0)
        .unwrap()
        .sum_all()
        .unwrap();
    y.backward().unwrap();
    let g = x.grad().unwrap();
    assert_eq!(g.dtype(), DType::F64);
    assert_eq!(g.to_vec::<f64>().unwrap(), vec![3.0; 4]);
}
