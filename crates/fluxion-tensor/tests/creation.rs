//! Constructors: constant fills, ranges, identity, host data, ndarray and random draws, in every
//! dtype, against values computed on the host.

mod common;

use common::*;
use fluxion_tensor::random::Generator;
use fluxion_tensor::{DType, Device, Result, Tensor};
use half::{bf16, f16};

fn constant_fills(dev: &Device) -> Result<()> {
    for dtype in DType::ALL {
        let what = |op: &str| format!("{op} {dtype}");
        let z = Tensor::zeros([2, 3, 4], dtype, dev)?;
        assert_eq!((z.dims(), z.dtype()), (&[2, 3, 4][..], dtype));
        assert!(z.is_contiguous());
        assert_exact(&values(&z)?, &[0.0; 24], &what("zeros"));
        assert_exact(
            &values(&Tensor::ones([5], dtype, dev)?)?,
            &[1.0; 5],
            &what("ones"),
        );
        // full converts its value like a cast: rounded for floats, truncated and saturated for
        // integers.
        for v in [2.7, -1.5, 300.25, 1.0e-3] {
            let t = Tensor::full(v, [3, 2], dtype, dev)?;
            assert_exact(&values(&t)?, &[round_to(v, dtype); 6], &what("full"));
        }
        let s = Tensor::scalar(4.0, dtype, dev)?;
        assert_eq!(s.rank(), 0);
        assert_eq!(values(&s)?, vec![4.0]);
        let like = Tensor::full(7.0, [2, 2], dtype, dev)?;
        assert_exact(
            &values(&like.zeros_like()?)?,
            &[0.0; 4],
            &what("zeros_like"),
        );
        assert_exact(&values(&like.ones_like()?)?, &[1.0; 4], &what("ones_like"));
        let f = like.full_like(3.0)?;
        assert_eq!((f.dims(), f.dtype()), (&[2, 2][..], dtype));
        assert_exact(&values(&f)?, &[3.0; 4], &what("full_like"));
        let e = Tensor::zeros([0, 3], dtype, dev)?;
        assert_eq!((e.elem_count(), values(&e)?.len()), (0, 0));
    }
    Ok(())
}
test_device!(constant_fills, constant_fills_cpu, constant_fills_cuda);

fn arange_follows_numpy(dev: &Device) -> Result<()> {
    // (start, end, step, expected count ⌈(end − start)/step⌉ clamped at 0)
    let cases = [
        (0.0, 5.0, 1.0, 5),
        (1.0, 2.0, 0.3, 4),
        (5.0, 0.0, -1.5, 4),
        (-2.5, 2.5, 0.5, 10),
        (3.0, 3.0, 1.0, 0),
        (3.0, 0.0, 1.0, 0),
        (0.0, 1.0, 0.1, 10),
    ];
    for dtype in [DType::F32, DType::F64, DType::BF16, DType::I64] {
        for (start, end, step, n) in cases {
            let t = Tensor::arange(start, end, step, dtype, dev)?;
            let what = format!("arange({start}, {end}, {step}) {dtype}");
            assert_eq!(t.dims(), &[n], "{what}");
            // Element i is start + i·step in f64, then converted.
            let want: Vec<f64> = (0..n)
                .map(|i| round_to(start + i as f64 * step, dtype))
                .collect();
            assert_exact(&values(&t)?, &want, &what);
        }
    }
    Ok(())
}
test_device!(arange_follows_numpy, arange_cpu, arange_cuda);

fn linspace_hits_both_ends(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        for (start, end, n) in [
            (0.0, 1.0, 5),
            (-2.0, 3.0, 7),
            (1.0, -1.0, 4),
            (0.1, 0.7, 100),
        ] {
            let t = Tensor::linspace(start, end, n, dtype, dev)?;
            let got = values(&t)?;
            let what = format!("linspace({start}, {end}, {n}) {dtype}");
            // Reference: start + (end − start)·i/(n − 1), a different evaluation order from the
            // library's start + i·step; both are within a few f64 roundings of the exact point,
            // so after rounding to the dtype they agree within one ulp of the dtype plus a few
            // f64 ulps of the end points' magnitude.
            let want: Vec<f64> = (0..n)
                .map(|i| start + (end - start) * i as f64 / (n - 1) as f64)
                .collect();
            let scale = start.abs().max(end.abs());
            assert_close(&got, &want, 4.0 * f64::EPSILON * scale, eps(dtype), &what);
            assert_eq!(got[0], round_to(start, dtype), "{what}: first point");
            assert_eq!(got[n - 1], round_to(end, dtype), "{what}: last point");
        }
        assert_eq!(
            values(&Tensor::linspace(2.0, 9.0, 1, dtype, dev)?)?,
            vec![2.0]
        );
        assert_eq!(Tensor::linspace(2.0, 9.0, 0, dtype, dev)?.dims(), &[0]);
    }
    Ok(())
}
test_device!(linspace_hits_both_ends, linspace_cpu, linspace_cuda);

fn eye_is_identity(dev: &Device) -> Result<()> {
    for dtype in DType::ALL {
        for n in [0, 1, 4] {
            let t = Tensor::eye(n, dtype, dev)?;
            assert_eq!(t.dims(), &[n, n]);
            let want: Vec<f64> = (0..n * n)
                .map(|i| {
                    if i / n.max(1) == i % n.max(1) {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            assert_exact(&values(&t)?, &want, &format!("eye({n}) {dtype}"));
        }
    }
    Ok(())
}
test_device!(eye_is_identity, eye_cpu, eye_cuda);

fn host_data_round_trips(dev: &Device) -> Result<()> {
    let v32: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 2.0).collect();
    let t = Tensor::from_vec(v32.clone(), [3, 4], dev)?;
    assert_eq!((t.dims(), t.dtype()), (&[3, 4][..], DType::F32));
    assert_eq!(t.to_vec::<f32>()?, v32);
    assert_eq!(t.to_vec2::<f32>()?[2], v32[8..12].to_vec());
    let s = Tensor::from_slice(&v32[..4], [4], dev)?;
    assert_eq!(s.to_vec1::<f32>()?, v32[..4].to_vec());
    // Every element type keeps its bits.
    let h = vec![f16::from_f32(1.5), f16::MAX, f16::MIN_POSITIVE_SUBNORMAL];
    assert_eq!(Tensor::from_slice(&h, [3], dev)?.to_vec::<f16>()?, h);
    let b = vec![bf16::from_f32(-3.25), bf16::MAX, bf16::EPSILON];
    assert_eq!(Tensor::from_slice(&b, [3], dev)?.to_vec::<bf16>()?, b);
    let d = vec![f64::MIN_POSITIVE, -0.0, 1.0e300];
    assert_eq!(Tensor::from_slice(&d, [3], dev)?.to_vec::<f64>()?, d);
    let u = vec![0u8, 7, 255];
    assert_eq!(Tensor::from_slice(&u, [3], dev)?.to_vec::<u8>()?, u);
    let i = vec![i64::MIN, -1, i64::MAX];
    assert_eq!(Tensor::from_slice(&i, [3], dev)?.to_vec::<i64>()?, i);
    assert_eq!(
        Tensor::from_vec(vec![2.5f64], (), dev)?.to_scalar::<f64>()?,
        2.5
    );
    Ok(())
}
test_device!(host_data_round_trips, host_data_cpu, host_data_cuda);

fn ndarray_round_trips(dev: &Device) -> Result<()> {
    use ndarray::{s, Array, IxDyn};
    let a = Array::from_shape_fn((4, 5, 3), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    let t = Tensor::from_ndarray(&a, dev)?;
    assert_eq!(t.dims(), &[4, 5, 3]);
    assert_eq!(t.to_ndarray::<f64>()?, a.clone().into_dyn());
    // Views of any layout come out row-major in logical order.
    for view in [
        a.view().reversed_axes().into_dyn(),
        a.slice(s![1..3, ..;2, 1..]).into_dyn(),
        a.slice(s![.., 2, ..]).t().into_dyn(),
    ] {
        let t = Tensor::from_ndarray(&view, dev)?;
        assert_eq!(t.dims(), view.shape());
        assert!(t.is_contiguous());
        assert_eq!(t.to_vec::<f64>()?, view.iter().copied().collect::<Vec<_>>());
        assert_eq!(t.to_ndarray::<f64>()?, view.to_owned());
    }
    let i = Array::from_shape_vec(IxDyn(&[2, 2]), vec![1i64, -2, 3, -4]).expect("shape");
    assert_eq!(Tensor::from_ndarray(&i, dev)?.to_ndarray::<i64>()?, i);
    // A transposed tensor converts in logical order.
    let tt = Tensor::from_ndarray(&a, dev)?.transpose(0, 2)?;
    assert_eq!(
        tt.to_ndarray::<f64>()?,
        a.view().permuted_axes([2, 1, 0]).into_dyn()
    );
    Ok(())
}
test_device!(ndarray_round_trips, ndarray_cpu, ndarray_cuda);

fn random_constructors_make_the_asked_shape(dev: &Device) -> Result<()> {
    let mut g = Generator::new(11);
    for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        let r = Tensor::rand(-1.0, 2.0, [3, 0, 2], dtype, dev, &mut g)?;
        assert_eq!((r.dims(), r.dtype()), (&[3, 0, 2][..], dtype));
        let r = Tensor::rand(-1.0, 2.0, [7, 3], dtype, dev, &mut g)?;
        assert_eq!((r.dims(), r.dtype()), (&[7, 3][..], dtype));
        assert!(values(&r)?.iter().all(|v| (-1.0..2.0).contains(v)));
        let n = Tensor::randn(0.0, 1.0, [5], dtype, dev, &mut g)?;
        assert_eq!((n.dims(), n.dtype()), (&[5][..], dtype));
        assert!(values(&n)?.iter().all(|v| v.is_finite()));
    }
    Ok(())
}
test_device!(
    random_constructors_make_the_asked_shape,
    random_shapes_cpu,
    random_shapes_cuda
);
