//! Views (reshape, transpose/t, permute, narrow/slice, broadcast_to, squeeze/unsqueeze,
//! contiguous, flatten_all) on every layout, against naive index arithmetic on the host.
//!
//! Views move no arithmetic, so every comparison is exact.

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result};

const DTYPES: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::I64];

fn reshape_and_flatten(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 1, -10.0, 10.0)? {
            let what = |op: &str| format!("{op} of {} {dtype}", v.name);
            for new in [
                vec![12, 5],
                vec![60],
                vec![5, 3, 4],
                vec![2, 3, 2, 5],
                vec![60, 1],
            ] {
                let r = v.t.reshape(new.as_slice())?;
                assert_eq!(r.dims(), new.as_slice());
                // Reshape keeps row-major order.
                assert_exact(&values(&r)?, &v.vals, &what("reshape"));
                // Shares storage exactly when the source is contiguous.
                assert_eq!(
                    r.same_storage(&v.t),
                    v.t.is_contiguous(),
                    "{}",
                    what("reshape")
                );
            }
            let f = v.t.flatten_all()?;
            assert_eq!(f.dims(), &[60]);
            assert_exact(&values(&f)?, &v.vals, &what("flatten_all"));
        }
    }
    Ok(())
}
test_device!(reshape_and_flatten, reshape_cpu, reshape_cuda);

fn transpose_and_permute(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    let perms = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 2, -10.0, 10.0)? {
            let what = |op: String| format!("{op} of {} {dtype}", v.name);
            for perm in perms {
                let p = v.t.permute(&perm)?;
                let (want, ws) = permute_values(&v.vals, &shape, &perm);
                assert_eq!(p.dims(), ws.as_slice());
                assert!(p.same_storage(&v.t));
                assert_exact(&values(&p)?, &want, &what(format!("permute {perm:?}")));
            }
            for (a, b, perm) in [(0, 2, [2, 1, 0]), (-1, -2, [0, 2, 1]), (1, -3, [1, 0, 2])] {
                let t = v.t.transpose(a, b)?;
                let (want, _) = permute_values(&v.vals, &shape, &perm);
                assert_exact(&values(&t)?, &want, &what(format!("transpose({a}, {b})")));
            }
            let t = v.t.t()?;
            let (want, _) = permute_values(&v.vals, &shape, &[0, 2, 1]);
            assert_exact(&values(&t)?, &want, &what("t".into()));
            assert_exact(&values(&t.t()?)?, &v.vals, &what("t().t()".into()));
        }
    }
    Ok(())
}
test_device!(transpose_and_permute, transpose_cpu, transpose_cuda);

fn narrow_and_slice(dev: &Device) -> Result<()> {
    let shape = [4, 5, 6];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 3, -10.0, 10.0)? {
            for axis in 0..3 {
                for (start, len) in [(0, 1), (1, 3), (2, shape[axis] - 2), (shape[axis], 0)] {
                    let what = format!("narrow({axis}, {start}, {len}) of {} {dtype}", v.name);
                    let (want, ws) = narrow_values(&v.vals, &shape, axis, start, len);
                    let n = v.t.narrow(axis as isize, start, len)?;
                    assert_eq!(n.dims(), ws.as_slice(), "{what}");
                    assert_exact(&values(&n)?, &want, &what);
                    // The negative axis and `slice` name the same window.
                    let m = v.t.narrow(axis as isize - 3, start, len)?;
                    assert_exact(&values(&m)?, &want, &what);
                    let s = v.t.slice(axis as isize, start..start + len)?;
                    assert_exact(&values(&s)?, &want, &what);
                }
            }
            // Narrowing twice composes offsets.
            let nn = v.t.narrow(2, 1, 4)?.narrow(2, 2, 2)?.narrow(0, 1, 2)?;
            let (w1, s1) = narrow_values(&v.vals, &shape, 2, 3, 2);
            let (w2, _) = narrow_values(&w1, &s1, 0, 1, 2);
            assert_exact(&values(&nn)?, &w2, &format!("narrow∘narrow of {}", v.name));
        }
    }
    Ok(())
}
test_device!(narrow_and_slice, narrow_cpu, narrow_cuda);

fn broadcast_to_matches_numpy(dev: &Device) -> Result<()> {
    // (source shape, target shape)
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 1, 5], &[2, 3, 4, 5]),
        (&[5], &[4, 5]),
        (&[1], &[3, 2]),
        (&[], &[2, 3]),
        (&[2, 3], &[2, 3]),
    ];
    for dtype in DTYPES {
        for (from, to) in cases {
            for v in layouts(from, dtype, dev, 4, -10.0, 10.0)? {
                let b = v.t.broadcast_to(to)?;
                assert_eq!(b.dims(), to);
                assert!(b.same_storage(&v.t));
                assert_exact(
                    &values(&b)?,
                    &broadcast_values(&v.vals, from, to),
                    &format!("broadcast {from:?} → {to:?} of {} {dtype}", v.name),
                );
            }
        }
    }
    Ok(())
}
test_device!(broadcast_to_matches_numpy, broadcast_cpu, broadcast_cuda);

fn squeeze_and_unsqueeze(dev: &Device) -> Result<()> {
    let shape = [3, 4];
    for v in layouts(&shape, DType::F32, dev, 5, -1.0, 1.0)? {
        for (axis, dims) in [
            (0, [1, 3, 4]),
            (1, [3, 1, 4]),
            (2, [3, 4, 1]),
            (-1, [3, 4, 1]),
            (-2, [3, 1, 4]),
            (-3, [1, 3, 4]),
        ] {
            let u = v.t.unsqueeze(axis)?;
            let what = format!("unsqueeze({axis}) of {}", v.name);
            assert_eq!(u.dims(), &dims, "{what}");
            assert_exact(&values(&u)?, &v.vals, &what);
            let pos = dims.iter().position(|&d| d == 1).expect("a unit axis") as isize;
            let s = u.squeeze(pos)?;
            assert_eq!(s.dims(), &shape, "{what} then squeeze({pos})");
            assert_exact(&values(&s)?, &v.vals, &what);
            assert_exact(&values(&u.squeeze(pos - 3)?)?, &v.vals, &what);
            // A view after unsqueeze still transposes correctly.
            let (want, _) = permute_values(&v.vals, &dims, &[2, 1, 0]);
            assert_exact(&values(&u.transpose(0, 2)?)?, &want, &what);
        }
    }
    Ok(())
}
test_device!(squeeze_and_unsqueeze, squeeze_cpu, squeeze_cuda);

fn contiguous_copies_only_views(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 6, -10.0, 10.0)? {
            let c = v.t.contiguous()?;
            assert!(c.is_contiguous());
            assert_eq!(c.same_storage(&v.t), v.t.is_contiguous(), "{}", v.name);
            assert_eq!(c.dims(), &shape);
            assert_exact(&values(&c)?, &v.vals, &format!("contiguous of {}", v.name));
        }
    }
    Ok(())
}
test_device!(
    contiguous_copies_only_views,
    contiguous_cpu,
    contiguous_cuda
);

fn chained_views_match_index_arithmetic(dev: &Device) -> Result<()> {
    let shape = [4, 3, 6];
    for v in layouts(&shape, DType::F64, dev, 7, -10.0, 10.0)? {
        // permute → narrow → unsqueeze → broadcast → reshape
        let t =
            v.t.permute(&[2, 0, 1])?
                .narrow(0, 1, 4)?
                .narrow(2, 1, 2)?
                .unsqueeze(1)?
                .broadcast_to([4, 3, 4, 2])?
                .reshape([12, 8])?;
        let (p, ps) = permute_values(&v.vals, &shape, &[2, 0, 1]);
        let (n, ns) = narrow_values(&p, &ps, 0, 1, 4);
        let (n, ns) = narrow_values(&n, &ns, 2, 1, 2);
        let want = broadcast_values(&n, &[ns[0], 1, ns[1], ns[2]], &[4, 3, 4, 2]);
        assert_exact(&values(&t)?, &want, &format!("view chain of {}", v.name));
    }
    Ok(())
}
test_device!(
    chained_views_match_index_arithmetic,
    view_chain_cpu,
    view_chain_cuda
);
