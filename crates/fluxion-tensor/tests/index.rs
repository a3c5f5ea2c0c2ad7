//! concat, stack, index_select, gather and scatter_add on every layout of the source (and of the
//! indices), against naive host loops. Copies are exact; scatter_add's sums are checked with the
//! bound of its additions (see there).

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result, Tensor};

const DTYPES: [DType; 4] = [DType::F32, DType::F64, DType::I64, DType::BF16];

/// An `I64` tensor of `ids` with `shape`; when `strided`, a non-contiguous view: every other
/// element of a larger buffer (rank 1) or stored with the axes reversed and viewed back.
fn ids_tensor(ids: &[i64], shape: &[usize], strided: bool, dev: &Device) -> Result<Tensor> {
    if !strided {
        return Tensor::from_vec(ids.to_vec(), shape, dev);
    }
    if shape.len() == 1 {
        let buf: Vec<i64> = ids.iter().flat_map(|&x| [x, -1]).collect();
        return Tensor::from_vec(buf, [ids.len(), 2], dev)?
            .narrow(1, 0, 1)?
            .squeeze(1);
    }
    let rank = shape.len();
    let rev: Vec<usize> = shape.iter().rev().copied().collect();
    let mut data = vec![0i64; ids.len()];
    for (i, &x) in ids.iter().enumerate() {
        let idx: Vec<usize> = unravel(i, shape).into_iter().rev().collect();
        data[ravel(&idx, &rev)] = x;
    }
    let perm: Vec<usize> = (0..rank).rev().collect();
    Tensor::from_vec(data, rev, dev)?.permute(&perm)
}

fn concat_and_stack(dev: &Device) -> Result<()> {
    for dtype in DTYPES {
        for axis in [0usize, 1, 2] {
            // Three parts that differ only along `axis`.
            let sizes = [2, 3, 1];
            let mut parts = Vec::new();
            for (k, &s) in sizes.iter().enumerate() {
                let mut shape = vec![3, 4, 5];
                shape[axis] = s;
                let vars = layouts(&shape, dtype, dev, 500 + k as u64, -9.0, 9.0)?;
                parts.push((shape, vars));
            }
            // Mix layouts: part k uses variant (j + k) mod len.
            for j in 0..4 {
                let chosen: Vec<(&Vec<usize>, &Variant)> = parts
                    .iter()
                    .enumerate()
                    .map(|(k, (s, v))| (s, &v[(j + k) % v.len()]))
                    .collect();
                let ts: Vec<&Tensor> = chosen.iter().map(|(_, v)| &v.t).collect();
                let mut out_shape = vec![3, 4, 5];
                out_shape[axis] = sizes.iter().sum();
                let n: usize = out_shape.iter().product();
                let want: Vec<f64> = (0..n)
                    .map(|i| {
                        let mut idx = unravel(i, &out_shape);
                        let mut k = 0;
                        while idx[axis] >= sizes[k] {
                            idx[axis] -= sizes[k];
                            k += 1;
                        }
                        chosen[k].1.vals[ravel(&idx, chosen[k].0)]
                    })
                    .collect();
                let names: Vec<&str> = chosen.iter().map(|(_, v)| v.name).collect();
                for ax in [axis as isize, axis as isize - 3] {
                    let got = Tensor::concat(&ts, ax)?;
                    assert_eq!(got.dims(), out_shape.as_slice());
                    assert_exact(
                        &values(&got)?,
                        &want,
                        &format!("concat({ax}) {dtype} {names:?}"),
                    );
                }
            }
        }
        // stack: equal shapes, a new axis anywhere.
        let a = layouts(&[3, 4], dtype, dev, 510, -9.0, 9.0)?;
        let b = layouts(&[3, 4], dtype, dev, 511, -9.0, 9.0)?;
        for (x, y) in a.iter().zip(b.iter().rev()) {
            for (axis, perm) in [
                (0isize, [0, 1, 2]),
                (1, [1, 0, 2]),
                (2, [1, 2, 0]),
                (-1, [1, 2, 0]),
            ] {
                let got = Tensor::stack(&[&x.t, &y.t], axis)?;
                // Stacking along 0 then moving that axis into place.
                let both: Vec<f64> = x.vals.iter().chain(&y.vals).copied().collect();
                let (want, ws) = permute_values(&both, &[2, 3, 4], &perm);
                assert_eq!(got.dims(), ws.as_slice());
                assert_exact(
                    &values(&got)?,
                    &want,
                    &format!("stack({axis}) {dtype} {} {}", x.name, y.name),
                );
            }
        }
    }
    Ok(())
}
test_device!(concat_and_stack, concat_cpu, concat_cuda);

fn index_select_with_repeats(dev: &Device) -> Result<()> {
    let shape = [4, 5, 6];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 520, -9.0, 9.0)? {
            for axis in [0isize, 1, 2, -1] {
                let a = if axis < 0 {
                    (axis + 3) as usize
                } else {
                    axis as usize
                };
                let size = shape[a] as i64;
                let ids: Vec<i64> = vec![size - 1, 0, size - 1, 1, 1, 2];
                for strided in [false, true] {
                    let it = ids_tensor(&ids, &[ids.len()], strided, dev)?;
                    let got = v.t.index_select(&it, axis)?;
                    let mut out_shape = shape.to_vec();
                    out_shape[a] = ids.len();
                    let n: usize = out_shape.iter().product();
                    let want: Vec<f64> = (0..n)
                        .map(|i| {
                            let mut idx = unravel(i, &out_shape);
                            idx[a] = ids[idx[a]] as usize;
                            v.vals[ravel(&idx, &shape)]
                        })
                        .collect();
                    assert_eq!(got.dims(), out_shape.as_slice());
                    assert_exact(
                        &values(&got)?,
                        &want,
                        &format!(
                            "index_select({axis}) {dtype} {} strided ids={strided}",
                            v.name
                        ),
                    );
                }
            }
            let none =
                v.t.index_select(&Tensor::from_vec(Vec::<i64>::new(), [0], dev)?, 1)?;
            assert_eq!(none.dims(), &[4, 0, 6]);
        }
    }
    Ok(())
}
test_device!(
    index_select_with_repeats,
    index_select_cpu,
    index_select_cuda
);

fn gather_follows_pytorch(dev: &Device) -> Result<()> {
    let shape = [4, 5, 6];
    for dtype in DTYPES {
        for v in layouts(&shape, dtype, dev, 530, -9.0, 9.0)? {
            for axis in [0usize, 1, 2] {
                // ids may be longer than the source along `axis`, and no larger elsewhere.
                let mut ids_shape = vec![3, 4, 5];
                ids_shape[axis] = 7;
                let n: usize = ids_shape.iter().product();
                let mut rng = Rng::new(531 + axis as u64);
                let ids: Vec<i64> = (0..n).map(|_| rng.below(shape[axis]) as i64).collect();
                for strided in [false, true] {
                    let it = ids_tensor(&ids, &ids_shape, strided, dev)?;
                    let got = v.t.gather(&it, axis as isize)?;
                    let want: Vec<f64> = (0..n)
                        .map(|i| {
                            let mut idx = unravel(i, &ids_shape);
                            idx[axis] = ids[i] as usize;
                            v.vals[ravel(&idx, &shape)]
                        })
                        .collect();
                    assert_eq!(got.dims(), ids_shape.as_slice());
                    assert_exact(
                        &values(&got)?,
                        &want,
                        &format!("gather({axis}) {dtype} {} strided ids={strided}", v.name),
                    );
                }
            }
        }
    }
    Ok(())
}
test_device!(gather_follows_pytorch, gather_cpu, gather_cuda);

fn scatter_add_accumulates_repeats(dev: &Device) -> Result<()> {
    let shape = [4, 5, 6];
    for dtype in [DType::F32, DType::F64, DType::BF16] {
        let e = eps(dtype);
        let base = layouts(&shape, dtype, dev, 540, -9.0, 9.0)?;
        for axis in [0usize, 1, 2] {
            // ids [3, 4, 5] with the axis extent 9 (> size, so indices repeat); src larger
            // than ids on every axis, so only its leading window is read.
            let mut ids_shape = vec![3, 4, 5];
            ids_shape[axis] = 9;
            let src_shape: Vec<usize> = ids_shape.iter().map(|d| d + 1).collect();
            let n: usize = ids_shape.iter().product();
            let mut rng = Rng::new(541 + axis as u64);
            // Only the first two slots of the axis, so every target is hit several times.
            let ids: Vec<i64> = (0..n).map(|_| rng.below(2) as i64).collect();
            let srcs = layouts(&src_shape, dtype, dev, 550 + axis as u64, -9.0, 9.0)?;
            for (j, v) in base.iter().enumerate() {
                let s = &srcs[(j + 1) % srcs.len()];
                let it = ids_tensor(&ids, &ids_shape, j % 2 == 1, dev)?;
                let got = v.t.scatter_add(&it, &s.t, axis as isize)?;
                // Reference: the exact sums in f64, and the sum of magnitudes for the bound.
                let mut want = v.vals.clone();
                let mut mag: Vec<f64> = v.vals.iter().map(|x| x.abs()).collect();
                let mut hits = vec![0.0f64; want.len()];
                for i in 0..n {
                    let idx = unravel(i, &ids_shape);
                    let x = s.vals[ravel(&idx, &src_shape)];
                    let mut dst = idx.clone();
                    dst[axis] = ids[i] as usize;
                    let d = ravel(&dst, &shape);
                    want[d] += x;
                    mag[d] += x.abs();
                    hits[d] += 1.0;
                }
                // Each addition rounds to the dtype once: error ≤ hits·u·Σ|terms| ≤
                // hits·eps·mag (a 2× margin).
                let tol: Vec<f64> = mag.iter().zip(&hits).map(|(m, h)| h * e * m).collect();
                assert_eq!(got.dims(), &shape);
                assert_close_each(
                    &values(&got)?,
                    &want,
                    &tol,
                    &format!(
                        "scatter_add({axis}) {dtype} into {} from {}",
                        v.name, s.name
                    ),
                );
                // The input is unchanged (scatter_add returns a copy).
                assert_exact(&values(&v.t)?, &v.vals, "scatter_add input");
            }
        }
    }
    Ok(())
}
test_device!(
    scatter_add_accumulates_repeats,
    scatter_add_cpu,
    scatter_add_cuda
);
