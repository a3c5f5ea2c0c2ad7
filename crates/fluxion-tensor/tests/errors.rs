//! Bad input: shape, dtype, axis and index errors must be errors (never panics) whose messages
//! name the op and the shapes or dtypes involved; empty tensors and NaN/Inf flow through with the
//! documented results.

mod common;

use common::*;
use fluxion_tensor::{BinaryOp, DType, Device, Error, FftNorm, Layout, Result, Shape, Tensor};

/// The error of `r`, after checking that its message contains every one of `parts`.
fn expect_err<T: std::fmt::Debug>(r: Result<T>, parts: &[&str], what: &str) -> Error {
    let e = match r {
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        Err(e) => e,
    };
    let msg = e.to_string();
    for p in parts {
        assert!(msg.contains(p), "{what}: message {msg:?} lacks {p:?}");
    }
    e
}

fn f32s(v: &[f32], shape: &[usize], dev: &Device) -> Result<Tensor> {
    Tensor::from_slice(v, shape, dev)
}

fn broadcast_failures_name_op_and_shapes(dev: &Device) -> Result<()> {
    let a = Tensor::zeros([2, 3], DType::F32, dev)?;
    let b = Tensor::zeros([4], DType::F32, dev)?;
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
    ] {
        let e = expect_err(a.binary(&b, op), &[op.name(), "[2, 3]", "[4]"], op.name());
        assert!(matches!(e, Error::BroadcastIncompatible { .. }), "{e:?}");
    }
    expect_err(a.lt(&b), &["lt", "[2, 3]", "[4]"], "lt");
    let mask = Tensor::zeros([2, 3], DType::U8, dev)?;
    expect_err(mask.where_(&a, &b), &["where", "[4]"], "where_");
    expect_err(
        a.broadcast_to([4, 3]),
        &["broadcast_to", "[2, 3]", "[4, 3]"],
        "broadcast_to",
    );
    expect_err(
        a.broadcast_to([3]),
        &["broadcast_to", "[2, 3]", "[3]"],
        "broadcast_to to rank 1",
    );
    let x = Tensor::zeros([2, 3, 4], DType::F32, dev)?;
    let y = Tensor::zeros([5, 4, 6], DType::F32, dev)?;
    expect_err(x.matmul(&y), &["matmul", "[2]", "[5]"], "matmul batch");
    Ok(())
}
test_device!(
    broadcast_failures_name_op_and_shapes,
    broadcast_err_cpu,
    broadcast_err_cuda
);

fn dtype_mismatches_name_both_dtypes(dev: &Device) -> Result<()> {
    let a = Tensor::ones([2, 2], DType::F32, dev)?;
    let b = Tensor::ones([2, 2], DType::F64, dev)?;
    let h = Tensor::ones([2, 2], DType::F16, dev)?;
    for (r, op) in [
        (a.add(&b), "add"),
        (a.eq(&h), "eq"),
        (a.matmul(&b), "matmul"),
        (Tensor::concat(&[&a, &b], 0), "concat"),
        (Tensor::stack(&[&a, &h], 0), "concat"),
        (a.gt(&a).and_then(|m| m.where_(&a, &b)), "where"),
    ] {
        let e = expect_err(r, &[op, "dtype"], op);
        assert!(matches!(e, Error::DTypeMismatch { .. }), "{op}: {e:?}");
    }
    expect_err(a.add(&b), &["f32", "f64"], "add dtypes");
    expect_err(a.where_(&a, &a), &["where", "f32", "u8"], "where condition");
    let f_ids = f32s(&[0.0, 1.0], &[2], dev)?;
    expect_err(
        a.index_select(&f_ids, 0),
        &["index_select", "f32", "i64"],
        "index_select ids",
    );
    let u_ids = Tensor::zeros([2, 2], DType::U8, dev)?;
    expect_err(a.gather(&u_ids, 0), &["gather", "u8", "i64"], "gather ids");
    let ids = Tensor::zeros([2, 2], DType::I64, dev)?;
    expect_err(
        a.scatter_add(&ids, &b, 0),
        &["scatter_add", "f32", "f64"],
        "scatter_add src",
    );
    expect_err(a.to_vec::<f64>(), &["to_vec", "f32", "f64"], "to_vec");
    Ok(())
}
test_device!(
    dtype_mismatches_name_both_dtypes,
    dtype_err_cpu,
    dtype_err_cuda
);

fn unsupported_dtypes_say_which_work(dev: &Device) -> Result<()> {
    let i = Tensor::ones([2, 2], DType::I64, dev)?;
    let u = Tensor::ones([2, 2], DType::U8, dev)?;
    let unsupported = |e: &Error| matches!(e, Error::UnsupportedDType { .. });
    for (r, parts) in [
        (i.exp(), &["exp", "i64", "f32"][..]),
        (u.add(&u), &["add", "u8"]),
        (u.add_scalar(1.0), &["add", "u8"]),
        (i.sum(&[0], false), &["sum", "i64"]),
        (i.mean_all(), &["i64"]),
        (i.matmul(&i), &["matmul", "i64"]),
        (u.rfft(FftNorm::Backward), &["rfft", "u8"]),
        (
            i.reshape([1, 2, 2])
                .and_then(|t| t.irfft(None, FftNorm::Backward)),
            &["irfft", "i64"],
        ),
    ] {
        let e = expect_err(r, parts, parts[0]);
        assert!(unsupported(&e), "{e:?}");
    }
    let mut g = fluxion_tensor::random::Generator::new(0);
    let e = expect_err(
        Tensor::rand(0.0, 1.0, [2], DType::I64, dev, &mut g),
        &["rand", "i64"],
        "rand",
    );
    assert!(unsupported(&e));
    expect_err(
        Tensor::randn(0.0, 1.0, [2], DType::U8, dev, &mut g),
        &["randn", "u8"],
        "randn",
    );
    Ok(())
}
test_device!(
    unsupported_dtypes_say_which_work,
    unsupported_cpu,
    unsupported_cuda
);

fn axes_out_of_range_positive_and_negative(dev: &Device) -> Result<()> {
    let x = Tensor::zeros([2, 3, 4], DType::F32, dev)?;
    let ids = Tensor::zeros([2, 3, 4], DType::I64, dev)?;
    let ids1 = Tensor::zeros([1], DType::I64, dev)?;
    let axis_err = |e: &Error| matches!(e, Error::AxisOutOfRange { .. });
    for bad in [3isize, -4, 7] {
        let b = bad.to_string();
        let cases: Vec<(Result<Tensor>, &str)> = vec![
            (x.sum(&[bad], false), "sum"),
            (x.mean(&[bad], true), "mean"),
            (x.var(&[0, bad], 1.0, false), "var"),
            (x.norm(&[bad], false), "norm"),
            (x.max(&[bad], false), "max"),
            (x.min(&[bad], false), "min"),
            (x.argmax(bad, false), "argmax"),
            (x.argmin(bad, true), "argmin"),
            (x.transpose(0, bad), "transpose"),
            (x.narrow(bad, 0, 1), "narrow"),
            (x.squeeze(bad), "squeeze"),
            (Tensor::concat(&[&x, &x], bad), "concat"),
            (x.index_select(&ids1, bad), "index_select"),
            (x.gather(&ids, bad), "gather"),
            (x.scatter_add(&ids, &x, bad), "scatter_add"),
        ];
        for (r, op) in cases {
            let e = expect_err(r, &[op, &format!("axis {b}"), "rank 3", "[2, 3, 4]"], op);
            assert!(axis_err(&e), "{op}: {e:?}");
        }
    }
    // unsqueeze and stack accept rank + 1 positions: -4..=3 for a rank-3 tensor.
    for bad in [4isize, -5] {
        let b = bad.to_string();
        expect_err(
            x.unsqueeze(bad),
            &["unsqueeze", &format!("axis {b}")],
            "unsqueeze",
        );
        expect_err(
            Tensor::stack(&[&x, &x], bad),
            &["stack", &format!("axis {b}")],
            "stack",
        );
    }
    let e = expect_err(
        x.sum(&[0, -3], false),
        &["sum", "axis 0", "more than once"],
        "duplicate",
    );
    assert!(matches!(e, Error::DuplicateAxis { .. }));
    expect_err(
        x.rfftn(4, FftNorm::Ortho),
        &["rfftn", "[2, 3, 4]"],
        "rfftn ndim",
    );
    Ok(())
}
test_device!(
    axes_out_of_range_positive_and_negative,
    axis_err_cpu,
    axis_err_cuda
);

fn indices_out_of_range(dev: &Device) -> Result<()> {
    let x = f32s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], dev)?;
    let idx = |v: &[i64], shape: &[usize]| Tensor::from_slice(v, shape, dev);
    let oob = |e: &Error| matches!(e, Error::IndexOutOfRange { .. });
    for (r, parts) in [
        (
            x.index_select(&idx(&[0, 3], &[2])?, 1),
            &["index_select", "index 3", "size 3"][..],
        ),
        (
            x.index_select(&idx(&[-1], &[1])?, 0),
            &["index_select", "index -1", "size 2"],
        ),
        (
            x.gather(&idx(&[0, 5, 1, 0], &[2, 2])?, 1),
            &["gather", "index 5", "size 3"],
        ),
        (
            x.gather(&idx(&[0, -2], &[1, 2])?, 0),
            &["gather", "index -2", "size 2"],
        ),
        (
            x.scatter_add(&idx(&[0, 1, 2, 3], &[2, 2])?, &x, 1),
            &["scatter_add", "index 3", "size 3"],
        ),
        (
            x.scatter_add(&idx(&[-1, 0], &[1, 2])?, &x, 0),
            &["scatter_add", "index -1", "size 2"],
        ),
    ] {
        let e = expect_err(r, parts, parts[0]);
        assert!(oob(&e), "{e:?}");
    }
    // Indexing into an empty axis: every index is out of range, and nothing panics.
    let empty = Tensor::zeros([2, 0], DType::F32, dev)?;
    let ids = idx(&[0, 0], &[2, 1])?;
    expect_err(
        empty.gather(&ids, 1),
        &["gather", "index 0", "size 0"],
        "gather from empty",
    );
    let src = Tensor::ones([2, 1], DType::F32, dev)?;
    expect_err(
        empty.scatter_add(&ids, &src, 1),
        &["scatter_add", "size 0"],
        "scatter_add into empty",
    );
    expect_err(
        empty.index_select(&idx(&[0], &[1])?, 1),
        &["index_select", "size 0"],
        "index_select empty",
    );
    Ok(())
}
test_device!(indices_out_of_range, index_err_cpu, index_err_cuda);

fn shape_errors_name_op_and_shapes(dev: &Device) -> Result<()> {
    let a = Tensor::zeros([2, 3], DType::F32, dev)?;
    let b = Tensor::zeros([4, 5], DType::F32, dev)?;
    let e = expect_err(
        a.matmul(&b),
        &["matmul", "[2, 3]", "[4, 5]"],
        "matmul inner",
    );
    assert!(matches!(e, Error::MatmulShape { .. }));
    let v = Tensor::zeros([4], DType::F32, dev)?;
    expect_err(a.matmul(&v), &["matmul", "[2, 3]", "[4]"], "matmul vector");
    expect_err(
        a.matmul(&Tensor::scalar(1.0, DType::F32, dev)?),
        &["matmul", "rank"],
        "matmul 0-d",
    );
    let e = expect_err(a.reshape([4]), &["reshape", "6", "[4]"], "reshape");
    assert!(matches!(e, Error::ElementCount { .. }));
    expect_err(
        Tensor::from_vec(vec![1.0f32; 3], [2, 2], dev),
        &["from_vec", "3", "[2, 2]"],
        "from_vec",
    );
    let c = Tensor::zeros([2, 4], DType::F32, dev)?;
    expect_err(
        Tensor::concat(&[&a, &c], 0),
        &["concat", "[2, 4]"],
        "concat shapes",
    );
    expect_err(Tensor::concat(&[], 0), &["concat"], "concat nothing");
    expect_err(
        Tensor::stack(&[&a, &a.t()?], 0),
        &["stack", "[3, 2]"],
        "stack shapes",
    );
    let ids2 = Tensor::zeros([1, 1], DType::I64, dev)?;
    expect_err(
        a.index_select(&ids2, 0),
        &["index_select", "[1, 1]"],
        "index_select ids rank",
    );
    let ids = Tensor::zeros([3, 3], DType::I64, dev)?;
    expect_err(
        a.gather(&ids, 1),
        &["gather", "[3, 3]", "[2, 3]"],
        "gather ids larger off-axis",
    );
    expect_err(
        a.gather(&ids2.flatten_all()?, 0),
        &["gather", "[1]"],
        "gather ids rank",
    );
    let small = Tensor::zeros([1, 1], DType::F32, dev)?;
    let ids = Tensor::zeros([2, 2], DType::I64, dev)?;
    expect_err(
        a.scatter_add(&ids, &small, 0),
        &["scatter_add", "[1, 1]"],
        "scatter_add src",
    );
    expect_err(
        a.irfft(None, FftNorm::Backward),
        &["irfft", "[2, 3]"],
        "irfft not complex",
    );
    expect_err(v.t(), &["t", "rank", "[4]"], "t of a vector");
    expect_err(a.squeeze(1), &["squeeze", "extent 3"], "squeeze");
    expect_err(
        a.narrow(1, 2, 2),
        &["narrow", "exceeds", "[2, 3]"],
        "narrow",
    );
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = a.slice(1, 2..1);
    expect_err(reversed, &["slice", "reversed"], "slice");
    expect_err(a.permute(&[0, 0]), &["permute", "[2, 3]"], "permute");
    expect_err(a.to_scalar::<f32>(), &["to_scalar", "[2, 3]"], "to_scalar");
    expect_err(a.to_vec1::<f32>(), &["to_vec1", "[2, 3]"], "to_vec1");
    expect_err(
        Tensor::arange(0.0, 1.0, 0.0, DType::F32, dev),
        &["arange", "step"],
        "arange",
    );
    expect_err(
        Tensor::linspace(0.0, f64::NAN, 3, DType::F32, dev),
        &["linspace"],
        "linspace",
    );
    let l = Layout::new(Shape::from([3, 3]), vec![3, 1], 0);
    expect_err(a.as_strided(l), &["as_strided", "6"], "as_strided");
    Ok(())
}
test_device!(
    shape_errors_name_op_and_shapes,
    shape_err_cpu,
    shape_err_cuda
);

fn empty_tensors_flow_through(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        let e = Tensor::zeros([0, 3], dtype, dev)?;
        assert_eq!(e.exp()?.dims(), &[0, 3]);
        assert_eq!(e.t()?.gelu_erf()?.dims(), &[3, 0]);
        let row = Tensor::ones([1, 4], dtype, dev)?;
        let col = Tensor::ones([0, 1], dtype, dev)?;
        assert_eq!(col.add(&row)?.dims(), &[0, 4]);
        assert_eq!(col.lt(&row)?.dims(), &[0, 4]);
        assert_eq!(col.lt(&row)?.where_(&col, &row)?.dims(), &[0, 4]);
        assert_eq!(e.to_dtype(DType::F16)?.dims(), &[0, 3]);
        // Sum of nothing is 0, the mean NaN, and the variance NaN.
        assert_eq!(values(&e.sum_all()?)?, vec![0.0]);
        assert_exact(
            &values(&e.sum(&[0], false)?)?,
            &[0.0; 3],
            "sum over the empty axis",
        );
        assert_eq!(e.sum(&[1], true)?.dims(), &[0, 1]);
        assert!(values(&e.mean_all()?)?[0].is_nan(), "mean of empty");
        assert_exact(
            &values(&e.mean(&[0], false)?)?,
            &[f64::NAN; 3],
            "mean over the empty axis",
        );
        for correction in [0.0, 1.0] {
            let v = values(&e.var(&[0], correction, false)?)?;
            assert!(
                v.iter().all(|v| v.is_nan()),
                "var(correction={correction}) of empty: {v:?}"
            );
        }
        assert_eq!(values(&e.norm_all()?)?, vec![0.0]);
        // Max of nothing has no identity.
        for (r, op) in [
            (e.max_all(), "max"),
            (e.min(&[0], false), "min"),
            (e.argmax(0, false), "argmax"),
            (e.argmin(-2, true), "argmin"),
        ] {
            let err = expect_err(r, &[op, "[0, 3]", "empty"], op);
            assert!(matches!(err, Error::EmptyReduction { .. }), "{err:?}");
        }
        // Reducing a non-empty axis of an empty tensor gives an empty result.
        assert_eq!(e.max(&[1], false)?.dims(), &[0]);
        assert_eq!(e.argmax(1, true)?.dims(), &[0, 1]);
        // matmul with k = 0 is zeros.
        let z = Tensor::ones([2, 0], dtype, dev)?.matmul(&Tensor::ones([0, 3], dtype, dev)?)?;
        assert_exact(&values(&z)?, &[0.0; 6], "matmul k = 0");
        // FFT of an empty axis is an error; an empty batch is not.
        for (r, what) in [
            (
                Tensor::zeros([0], dtype, dev)?.rfft(FftNorm::Backward),
                "rfft of [0]",
            ),
            (e.t()?.rfft(FftNorm::Ortho), "rfft of [3, 0]"),
            (e.rfftn(2, FftNorm::Forward), "rfftn over [0, 3]"),
        ] {
            let err = expect_err(r, &["rfft", "empty"], what);
            assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        }
        expect_err(
            Tensor::zeros([0, 2], dtype, dev)?.irfft(None, FftNorm::Backward),
            &["irfft", "[0, 2]"],
            "irfft of no bins",
        );
        expect_err(
            Tensor::zeros([3, 2], dtype, dev)?.irfft(Some(0), FftNorm::Backward),
            &["irfft", "n = 0"],
            "irfft to length 0",
        );
        expect_err(
            Tensor::zeros([0, 3, 2], dtype, dev)?.irfftn(2, Some(4), FftNorm::Backward),
            &["irfftn", "empty"],
            "irfftn over an empty axis",
        );
        let spec = Tensor::zeros([0, 8], dtype, dev)?.rfft(FftNorm::Backward)?;
        assert_eq!(spec.dims(), &[0, 5, 2]);
        assert_eq!(spec.irfft(None, FftNorm::Backward)?.dims(), &[0, 8]);
        // Index ops and concat with empty pieces.
        let x = Tensor::ones([2, 3], dtype, dev)?;
        assert_eq!(Tensor::concat(&[&e, &x], 0)?.dims(), &[2, 3]);
        let ids = Tensor::from_vec(Vec::<i64>::new(), [0], dev)?;
        assert_eq!(x.index_select(&ids, 0)?.dims(), &[0, 3]);
        let gids = Tensor::zeros([2, 0], DType::I64, dev)?;
        assert_eq!(x.gather(&gids, 1)?.dims(), &[2, 0]);
        assert_exact(
            &values(&x.scatter_add(&gids, &gids.to_dtype(dtype)?, 1)?)?,
            &[1.0; 6],
            "scatter nothing",
        );
    }
    Ok(())
}
test_device!(empty_tensors_flow_through, empty_cpu, empty_cuda);

fn nan_and_inf_flow_through(dev: &Device) -> Result<()> {
    let (nan, inf) = (f64::NAN, f64::INFINITY);
    for dtype in FLOATS {
        let t = |v: &[f64], shape: &[usize]| tensor(v, shape, dtype, dev);
        // Reductions propagate NaN wherever it sits; arg* pick the first NaN.
        let x = t(&[1.0, nan, 3.0, nan, 5.0, 6.0, 7.0, 8.0, nan], &[3, 3])?;
        assert_exact(&values(&x.max(&[1], false)?)?, &[nan, nan, nan], "max rows");
        assert_exact(&values(&x.min(&[0], false)?)?, &[nan, nan, nan], "min cols");
        assert!(values(&x.max_all()?)?[0].is_nan());
        assert!(values(&x.sum_all()?)?[0].is_nan());
        assert!(values(&x.mean(&[1], false)?)?.iter().all(|v| v.is_nan()));
        assert_eq!(x.argmax(1, false)?.to_vec::<i64>()?, vec![1, 0, 2]);
        assert_eq!(x.argmin(1, false)?.to_vec::<i64>()?, vec![1, 0, 2]);
        assert_eq!(x.argmax(0, false)?.to_vec::<i64>()?, vec![1, 0, 2]);
        let y = t(&[1.0, 4.0, nan, 2.0], &[4])?;
        assert_eq!(y.argmax(0, false)?.to_vec::<i64>()?, vec![2]);
        assert_eq!(y.argmin(0, false)?.to_vec::<i64>()?, vec![2]);
        // maximum/minimum propagate NaN from either side.
        let a = t(&[nan, 1.0, nan, -inf], &[4])?;
        let b = t(&[1.0, nan, nan, 2.0], &[4])?;
        assert_exact(&values(&a.maximum(&b)?)?, &[nan, nan, nan, 2.0], "maximum");
        assert_exact(&values(&a.minimum(&b)?)?, &[nan, nan, nan, -inf], "minimum");
        assert_exact(
            &values(&a.maximum_scalar(0.0)?)?,
            &[nan, 1.0, nan, 0.0],
            "maximum_scalar",
        );
        // Sums with infinities.
        assert_eq!(values(&t(&[1.0, inf, 2.0], &[3])?.sum_all()?)?, vec![inf]);
        assert!(values(&t(&[inf, -inf], &[2])?.sum_all()?)?[0].is_nan());
        // Unary functions at the edges of their domains.
        let edge = t(&[inf, -inf, 0.0, -0.0, nan, -1.0], &[6])?;
        let cases: [(&str, Result<Tensor>, [f64; 6]); 10] = [
            ("exp", edge.exp(), [inf, 0.0, 1.0, 1.0, nan, (-1f64).exp()]),
            ("log", edge.log(), [inf, nan, -inf, -inf, nan, nan]),
            ("sqrt", edge.sqrt(), [inf, nan, 0.0, -0.0, nan, nan]),
            ("relu", edge.relu(), [inf, 0.0, 0.0, -0.0, nan, 0.0]),
            ("recip", edge.recip(), [0.0, -0.0, inf, -inf, nan, -1.0]),
            (
                "tanh",
                edge.tanh(),
                [1.0, -1.0, 0.0, -0.0, nan, (-1f64).tanh()],
            ),
            (
                "sigmoid",
                edge.sigmoid(),
                [1.0, 0.0, 0.5, 0.5, nan, 1.0 / (1.0 + 1f64.exp())],
            ),
            ("sign", edge.sign(), [1.0, -1.0, 0.0, -0.0, nan, -1.0]),
            (
                "softplus",
                edge.softplus(),
                [inf, 0.0, 2f64.ln(), 2f64.ln(), nan, (-1f64).exp().ln_1p()],
            ),
            ("abs", edge.abs(), [inf, inf, 0.0, 0.0, nan, 1.0]),
        ];
        for (name, got, want) in cases {
            let got = values(&got?)?;
            let want: Vec<f64> = want.iter().map(|&w| round_to(w, dtype)).collect();
            assert_close(
                &got,
                &want,
                0.0,
                4.0 * eps(dtype),
                &format!("{name} {dtype} at the edges"),
            );
            // Signed zeros are part of the contract for sqrt, recip, tanh and sign.
            for (g, w) in got.iter().zip(&want) {
                if *w == 0.0 && matches!(name, "sqrt" | "recip" | "tanh" | "sign") {
                    assert_eq!(
                        g.is_sign_negative(),
                        w.is_sign_negative(),
                        "{name}: sign of zero"
                    );
                }
            }
        }
        // Comparisons: NaN is unequal to everything, itself included.
        let c = t(&[nan, nan, 1.0], &[3])?;
        let d = t(&[nan, 1.0, nan], &[3])?;
        assert_eq!(c.eq(&d)?.to_vec::<u8>()?, vec![0, 0, 0]);
        assert_eq!(c.ne(&d)?.to_vec::<u8>()?, vec![1, 1, 1]);
        assert_eq!(c.lt(&d)?.to_vec::<u8>()?, vec![0, 0, 0]);
        assert_eq!(c.ge_scalar(0.0)?.to_vec::<u8>()?, vec![0, 0, 1]);
    }
    Ok(())
}
test_device!(nan_and_inf_flow_through, nan_inf_cpu, nan_inf_cuda);
