//! First- and second-order gradcheck of reductions, views, matrix products, index ops and
//! FFTs, on contiguous, strided and broadcast layouts.

mod common;

use common::{check, distinct, one, uniform};
use fluxion_autodiff::Var;
use fluxion_tensor::{Device, FftNorm, Shape, Tensor};

fn ids(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape, &Device::Cpu).unwrap()
}

#[test]
fn reductions() {
    let x = uniform(&[2, 3, 4], 20, -1.0, 1.0);
    let x1 = std::slice::from_ref(&x);
    check("sum axis 1", |v| one(v[0].sum(&[1], false)), x1);
    check(
        "sum axes 0,2 keepdim",
        |v| one(v[0].sum(&[0, -1], true)),
        x1,
    );
    check("sum_all", |v| one(v[0].sum_all()), x1);
    check("mean axis 2", |v| one(v[0].mean(&[2], false)), x1);
    check(
        "mean_all of permuted",
        |v| one(v[0].permute(&[2, 0, 1])?.square()?.mean_all()),
        x1,
    );
    check("var axis 1", |v| one(v[0].var(&[1], 1.0, false)), x1);
    check(
        "var population keepdim",
        |v| one(v[0].var(&[0, 2], 0.0, true)),
        x1,
    );
    check("norm axis 2", |v| one(v[0].norm(&[2], false)), x1);
    check("norm_all", |v| one(v[0].norm_all()), x1);
    let d = distinct(&[3, 4], 21);
    let d1 = std::slice::from_ref(&d);
    check("max axis 0", |v| one(v[0].max(&[0], false)), d1);
    check("min axis 1 keepdim", |v| one(v[0].min(&[1], true)), d1);
    check("max_all of transposed", |v| one(v[0].t()?.max_all()), d1);
    check("min_all", |v| one(v[0].min_all()), d1);
    check("sum_to", |v| one(v[0].sum_to(&Shape::from([3, 1]))), d1);
}

#[test]
fn max_shares_the_gradient_among_ties() {
    let x = Var::leaf(Tensor::from_vec(vec![1.0f64, 3.0, 3.0, 2.0], [4], &Device::Cpu).unwrap());
    x.max_all().unwrap().backward().unwrap();
    assert_eq!(
        x.grad().unwrap().to_vec::<f64>().unwrap(),
        vec![0.0, 0.5, 0.5, 0.0]
    );
    let a = Var::leaf(Tensor::from_vec(vec![1.0f64, 2.0], [2], &Device::Cpu).unwrap());
    let b = Var::leaf(Tensor::from_vec(vec![1.0f64, 1.0], [2], &Device::Cpu).unwrap());
    a.maximum(&b)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(a.grad().unwrap().to_vec::<f64>().unwrap(), vec![0.5, 1.0]);
    assert_eq!(b.grad().unwrap().to_vec::<f64>().unwrap(), vec![0.5, 0.0]);
}

#[test]
fn views() {
    let x = uniform(&[2, 3, 4], 22, -1.0, 1.0);
    let x1 = std::slice::from_ref(&x);
    // Each view is followed by a nonlinearity so second derivatives are not all zero.
    check("reshape", |v| one(v[0].reshape([6, 4])?.sin()), x1);
    check(
        "reshape of strided",
        |v| one(v[0].transpose(0, 2)?.reshape([4, 6])?.sin()),
        x1,
    );
    check("permute", |v| one(v[0].permute(&[1, 2, 0])?.square()), x1);
    check("narrow", |v| one(v[0].narrow(2, 1, 2)?.sin()), x1);
    check(
        "slice of transposed",
        |v| one(v[0].t()?.slice(1, 1..3)?.sin()),
        x1,
    );
    check(
        "flatten_all + contiguous",
        |v| one(v[0].t()?.contiguous()?.flatten_all()?.sin()),
        x1,
    );
    let y = uniform(&[3, 1], 23, -1.0, 1.0);
    check(
        "broadcast_to",
        |v| one(v[0].broadcast_to([2, 3, 4])?.sin()),
        std::slice::from_ref(&y),
    );
    check(
        "unsqueeze/squeeze",
        |v| one(v[0].squeeze(1)?.unsqueeze(0)?.sin()),
        &[y],
    );
}

#[test]
fn matrix_products() {
    let a = uniform(&[3, 4], 24, -1.0, 1.0);
    let b = uniform(&[4, 2], 25, -1.0, 1.0);
    check(
        "matmul 2d",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[a.clone(), b.clone()],
    );
    check(
        "matmul transposed operands",
        |v| one(v[1].t()?.matmul(&v[0].t()?)?.tanh()),
        &[a.clone(), b.clone()],
    );
    let batch = uniform(&[2, 3, 4], 26, -1.0, 1.0);
    check(
        "matmul batch @ shared",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[batch.clone(), b.clone()],
    );
    let bb = uniform(&[2, 1, 4, 2], 27, -1.0, 1.0);
    check(
        "matmul broadcast batches",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[a.clone(), bb],
    );
    let vec4 = uniform(&[4], 28, -1.0, 1.0);
    check(
        "vector @ matrix",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[vec4.clone(), b.clone()],
    );
    check(
        "matrix @ vector",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[a, vec4.clone()],
    );
    check(
        "vector @ vector",
        |v| one(v[0].matmul(&v[1])?.tanh()),
        &[vec4.clone(), vec4],
    );
}

#[test]
fn complex_matrix_products() {
    // Complex (re, im) pairs: [batch, rows, cols, 2]. Every conjugation, a broadcast batch, a
    // transposed view; tanh after the product so the output gradient is not constant.
    let a = uniform(&[2, 3, 4, 2], 40, -1.0, 1.0);
    let b = uniform(&[2, 4, 2, 2], 41, -1.0, 1.0);
    for (ca, cb) in [(false, false), (true, false), (false, true), (true, true)] {
        check(
            &format!("complex_matmul conj ({ca}, {cb})"),
            |v| one(v[0].complex_matmul(&v[1], ca, cb)?.tanh()),
            &[a.clone(), b.clone()],
        );
    }
    let shared = uniform(&[1, 4, 2, 2], 42, -1.0, 1.0);
    check(
        "complex_matmul broadcast batch",
        |v| one(v[0].complex_matmul(&v[1], false, true)?.tanh()),
        &[a.clone(), shared],
    );
    let bt = uniform(&[2, 2, 4, 2], 43, -1.0, 1.0);
    check(
        "complex_matmul transposed rhs view",
        |v| {
            one(v[0]
                .complex_matmul(&v[1].transpose(-3, -2)?, true, false)?
                .sin())
        },
        &[a, bt],
    );
}

#[test]
fn concatenation_and_index_ops() {
    let a = uniform(&[2, 3], 29, -1.0, 1.0);
    let b = uniform(&[2, 2], 30, -1.0, 1.0);
    check(
        "concat",
        |v| one(Var::concat(&[&v[0], &v[1].sin()?], 1)?.square()),
        &[a.clone(), b],
    );
    let c = uniform(&[2, 3], 31, -1.0, 1.0);
    check(
        "stack",
        |v| one(Var::stack(&[&v[0], &v[1]], 1)?.square()),
        &[a.clone(), c],
    );
    let sel = ids(&[2, 0, 2, 1], &[4]);
    check(
        "index_select with repeats",
        |v| one(v[0].index_select(&sel, 1)?.square()),
        std::slice::from_ref(&a),
    );
    let g = ids(&[1, 0, 1, 1, 1, 0], &[3, 2]);
    check(
        "gather",
        |v| one(v[0].t()?.gather(&g, 1)?.square()),
        std::slice::from_ref(&a),
    );
    let target = uniform(&[3, 2], 32, -1.0, 1.0);
    let src = uniform(&[3, 2], 33, -1.0, 1.0);
    check(
        "scatter_add",
        |v| one(v[0].scatter_add(&g, &v[1].sin()?, 1)?.square()),
        &[target, src],
    );
}

#[test]
fn real_ffts() {
    for norm in [FftNorm::Backward, FftNorm::Ortho, FftNorm::Forward] {
        for n in [6usize, 7] {
            let x = uniform(&[2, n], 34 + n as u64, -1.0, 1.0);
            check(
                &format!("rfft n={n} {norm:?}"),
                |v| one(v[0].rfft(norm)?.square()),
                std::slice::from_ref(&x),
            );
            let bins = n / 2 + 1;
            let z = uniform(&[2, bins, 2], 40 + n as u64, -1.0, 1.0);
            let z1 = std::slice::from_ref(&z);
            check(
                &format!("irfft default n, {bins} bins {norm:?}"),
                |v| one(v[0].irfft(None, norm)?.square()),
                z1,
            );
            check(
                &format!("irfft n={n} {norm:?}"),
                |v| one(v[0].irfft(Some(n), norm)?.square()),
                z1,
            );
            // More output points than bins cover (zero-padded input), and fewer (truncated).
            check(
                &format!("irfft padded from {bins} bins {norm:?}"),
                |v| one(v[0].irfft(Some(2 * n), norm)?.square()),
                z1,
            );
            check(
                &format!("irfft truncated from {bins} bins {norm:?}"),
                |v| one(v[0].irfft(Some(3), norm)?.square()),
                z1,
            );
        }
        let x2 = uniform(&[3, 4], 50, -1.0, 1.0);
        check(
            &format!("rfftn 2d {norm:?}"),
            |v| one(v[0].rfftn(2, norm)?.square()),
            std::slice::from_ref(&x2),
        );
        check(
            &format!("rfftn 2d of transposed {norm:?}"),
            |v| one(v[0].t()?.rfftn(2, norm)?.square()),
            &[x2],
        );
        let x3 = uniform(&[2, 3, 2, 5], 51, -1.0, 1.0);
        check(
            &format!("rfftn 3d {norm:?}"),
            |v| one(v[0].rfftn(3, norm)?.square()),
            &[x3],
        );
        let z2 = uniform(&[3, 3, 2], 52, -1.0, 1.0);
        check(
            &format!("irfftn 2d even {norm:?}"),
            |v| one(v[0].irfftn(2, None, norm)?.square()),
            std::slice::from_ref(&z2),
        );
        check(
            &format!("irfftn 2d odd {norm:?}"),
            |v| one(v[0].irfftn(2, Some(5), norm)?.square()),
            &[z2],
        );
    }
}
