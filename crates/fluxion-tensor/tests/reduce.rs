//! Reductions (sum, mean, max, min, argmax, argmin, var, norm and the `*_all` forms) over every
//! set of axes, with and without `keepdim`, on every layout, against naive host references;
//! then inputs large enough for both parallel strategies (many outputs; few outputs with the
//! reduced range split into pieces of 65 536 elements).
//!
//! Tolerances. Sums accumulate in f64 and round once to the dtype, so the result is within
//! ½ ulp of the dtype plus the f64 accumulation error, bounded for any summation order by
//! (n − 1)·u₆₄·Σ|x| (Higham, *Accuracy and Stability*, §4.2): `tol = eps·|want| + n·eps₆₄·Σ|x|`.
//! `mean` adds one rounding (2·eps). `var` is two-pass in the working precision: each
//! (x − x̄)² carries a few roundings relative to x² + x̄², plus the accumulation of n positive
//! terms, so `tol = (8·eps + n·eps₆₄)·Σx²/(n − c)`. `norm` rounds the squares and the square
//! root, and √ halves the accumulation's relative error: `rel = 2·eps + n·eps₆₄/2`. For f32 the
//! n·eps₆₄ terms are negligible; for f64 they are the accumulation's worst case. max/min/arg*
//! are exact. The references are compensated (Kahan) sums in f64.

mod common;

use common::*;
use fluxion_tensor::{DType, Device, Result, Tensor};

const AXES: [&[isize]; 10] = [
    &[],
    &[0],
    &[1],
    &[2],
    &[-1],
    &[0, 2],
    &[-3, -1],
    &[1, 2],
    &[0, 1],
    &[0, 1, 2],
];

fn resolve(axes: &[isize], rank: usize) -> Vec<usize> {
    let mut v: Vec<usize> = axes
        .iter()
        .map(|&a| {
            if a < 0 {
                (a + rank as isize) as usize
            } else {
                a as usize
            }
        })
        .collect();
    v.sort_unstable();
    v
}

/// Index of the first maximum (or minimum) of `g`.
fn first_arg(g: &[f64], max: bool) -> f64 {
    let mut best = 0;
    for (i, &x) in g.iter().enumerate() {
        if (max && x > g[best]) || (!max && x < g[best]) {
            best = i;
        }
    }
    best as f64
}

/// Checks every reduction of `t` (values `vals`, shape `shape`) over `axes`.
fn check_reductions(
    t: &Tensor,
    vals: &[f64],
    shape: &[usize],
    axes: &[isize],
    keepdim: bool,
    what: &str,
) -> Result<()> {
    let dtype = t.dtype();
    let e = eps(dtype);
    let ax = resolve(axes, shape.len());
    let n: usize = ax.iter().map(|&a| shape[a]).product();
    let (groups, out_shape) = naive_groups(vals, shape, &ax, keepdim);
    let red = |f: &dyn Fn(&[f64]) -> f64| -> Vec<f64> { groups.iter().map(|g| f(g)).collect() };
    let what = |op: &str| format!("{op} over {axes:?} keepdim={keepdim} of {what}");

    let abs_sum = red(&|g| g.iter().map(|x| x.abs()).sum());
    let sq_sum = red(&|g| kahan_sum(g.iter().map(|x| x * x)));
    let nf = n as f64;
    let want = red(&|g| kahan_sum(g.iter().copied()));
    let got = t.sum(axes, keepdim)?;
    assert_eq!(got.dims(), out_shape.as_slice(), "{}", what("sum"));
    let tol: Vec<f64> = want
        .iter()
        .zip(&abs_sum)
        .map(|(w, a)| e * w.abs() + n as f64 * f64::EPSILON * a)
        .collect();
    assert_close_each(&values(&got)?, &want, &tol, &what("sum"));

    let mean: Vec<f64> = want.iter().map(|s| s / n as f64).collect();
    let tol: Vec<f64> = mean
        .iter()
        .zip(&abs_sum)
        .map(|(w, a)| 2.0 * e * w.abs() + f64::EPSILON * a)
        .collect();
    let got = t.mean(axes, keepdim)?;
    assert_eq!(got.dims(), out_shape.as_slice());
    assert_close_each(&values(&got)?, &mean, &tol, &what("mean"));

    for (op, max) in [("max", true), ("min", false)] {
        let want = red(&|g| {
            g.iter()
                .copied()
                .fold(g[0], |a, b| if max { a.max(b) } else { a.min(b) })
        });
        let got = if max {
            t.max(axes, keepdim)?
        } else {
            t.min(axes, keepdim)?
        };
        assert_eq!(got.dims(), out_shape.as_slice());
        assert_exact(&values(&got)?, &want, &what(op));
    }

    for correction in [0.0, 1.0] {
        let want = red(&|g| {
            let m = kahan_sum(g.iter().copied()) / g.len() as f64;
            kahan_sum(g.iter().map(|x| (x - m) * (x - m))) / (g.len() as f64 - correction)
        });
        let tol: Vec<f64> = sq_sum
            .iter()
            .map(|s| (8.0 * e + nf * f64::EPSILON) * s / (nf - correction))
            .collect();
        let got = t.var(axes, correction, keepdim)?;
        assert_eq!(got.dims(), out_shape.as_slice());
        assert_close_each(
            &values(&got)?,
            &want,
            &tol,
            &what(&format!("var(correction={correction})")),
        );
    }

    let norm: Vec<f64> = sq_sum.iter().map(|s| s.sqrt()).collect();
    let got = t.norm(axes, keepdim)?;
    assert_eq!(got.dims(), out_shape.as_slice());
    let rel = 2.0 * e + nf * f64::EPSILON / 2.0;
    assert_close(&values(&got)?, &norm, 0.0, rel, &what("norm"));
    Ok(())
}

fn reductions_over_any_axes(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    for dtype in FLOATS {
        for v in layouts(&shape, dtype, dev, 100, -3.0, 3.0)? {
            for axes in AXES {
                for keepdim in [false, true] {
                    let what = format!("{dtype} {}", v.name);
                    check_reductions(&v.t, &v.vals, &shape, axes, keepdim, &what)?;
                }
            }
        }
    }
    Ok(())
}
test_device!(reductions_over_any_axes, reduce_axes_cpu, reduce_axes_cuda);

fn all_forms_reduce_every_element(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    for dtype in FLOATS {
        let e = eps(dtype);
        for v in layouts(&shape, dtype, dev, 101, -3.0, 3.0)? {
            let what = |op: &str| format!("{op} {dtype} {}", v.name);
            let n = v.vals.len() as f64;
            let s = kahan_sum(v.vals.iter().copied());
            let a: f64 = v.vals.iter().map(|x| x.abs()).sum();
            let scalar = |t: Tensor| -> Result<Vec<f64>> {
                assert_eq!(t.rank(), 0);
                values(&t)
            };
            assert_close(
                &scalar(v.t.sum_all()?)?,
                &[s],
                n * f64::EPSILON * a,
                e,
                &what("sum_all"),
            );
            assert_close(
                &scalar(v.t.mean_all()?)?,
                &[s / n],
                f64::EPSILON * a,
                2.0 * e,
                &what("mean_all"),
            );
            let mx = v.vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mn = v.vals.iter().copied().fold(f64::INFINITY, f64::min);
            assert_exact(&scalar(v.t.max_all()?)?, &[mx], &what("max_all"));
            assert_exact(&scalar(v.t.min_all()?)?, &[mn], &what("min_all"));
            let nrm = kahan_sum(v.vals.iter().map(|x| x * x)).sqrt();
            let rel = 2.0 * e + n * f64::EPSILON / 2.0;
            assert_close(
                &scalar(v.t.norm_all()?)?,
                &[nrm],
                0.0,
                rel,
                &what("norm_all"),
            );
        }
    }
    Ok(())
}
test_device!(
    all_forms_reduce_every_element,
    reduce_all_cpu,
    reduce_all_cuda
);

/// A named generator of input values.
type ValueGen = (&'static str, fn(&mut Rng) -> f64);

fn arg_reductions_pick_the_first_extremum(dev: &Device) -> Result<()> {
    let shape = [3, 4, 5];
    // Continuous values (no ties) and small integers (many ties, so "first" matters).
    let gens: [ValueGen; 2] = [
        ("continuous", |r| r.uniform(-3.0, 3.0)),
        ("ties", |r| r.uniform(0.0, 3.0).floor()),
    ];
    for dtype in [DType::F32, DType::F64, DType::I64, DType::U8] {
        for (label, gen) in gens {
            for v in layouts_with(&shape, dtype, dev, 102, gen)? {
                for axis in [0isize, 1, 2, -1, -3] {
                    let a = resolve(&[axis], 3);
                    for keepdim in [false, true] {
                        for (op, max) in [("argmax", true), ("argmin", false)] {
                            let got = if max {
                                v.t.argmax(axis, keepdim)?
                            } else {
                                v.t.argmin(axis, keepdim)?
                            };
                            assert_eq!(got.dtype(), DType::I64);
                            let (want, ws) =
                                naive_reduce(&v.vals, &shape, &a, keepdim, |g| first_arg(g, max));
                            assert_eq!(got.dims(), ws.as_slice());
                            assert_exact(
                                &values(&got)?,
                                &want,
                                &format!(
                                    "{op}({axis}, keepdim={keepdim}) {dtype} {label} {}",
                                    v.name
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
test_device!(
    arg_reductions_pick_the_first_extremum,
    argmax_cpu,
    argmax_cuda
);

fn many_outputs_in_parallel(dev: &Device) -> Result<()> {
    // 300×200 = 60 000 elements with 200 or 300 outputs: parallel over outputs.
    let shape = [300, 200];
    for dtype in FLOATS {
        for v in layouts(&shape, dtype, dev, 103, -3.0, 3.0)? {
            for axes in [&[0isize][..], &[1], &[-1]] {
                let what = format!("{dtype} 300×200 {}", v.name);
                check_reductions(&v.t, &v.vals, &shape, axes, false, &what)?;
            }
            for axis in [0, 1] {
                let (want, _) =
                    naive_reduce(&v.vals, &shape, &[axis], false, |g| first_arg(g, true));
                assert_exact(
                    &values(&v.t.argmax(axis as isize, false)?)?,
                    &want,
                    &format!("argmax({axis}) {dtype} 300×200 {}", v.name),
                );
            }
        }
    }
    Ok(())
}
test_device!(
    many_outputs_in_parallel,
    many_outputs_cpu,
    many_outputs_cuda
);

fn few_outputs_split_the_reduced_range(dev: &Device) -> Result<()> {
    for dtype in FLOATS {
        let e = eps(dtype);
        // sum_all of 2²⁰ elements against a Kahan sum; values in [0, 1) so the sum is large
        // (≈ 5·10⁵) and a lost or doubled piece shows.
        let n = 1 << 20;
        let (t, v) = seeded(&[n], dtype, dev, 104, 0.0, 1.0)?;
        let want = kahan_sum(v.iter().copied());
        let a: f64 = v.iter().sum();
        let got = values(&t.sum_all()?)?;
        assert_close(
            &got,
            &[want],
            n as f64 * f64::EPSILON * a,
            e,
            "sum_all 2^20",
        );
        let got = values(&t.reshape([1024, 1024])?.t()?.sum_all()?)?;
        assert_close(
            &got,
            &[want],
            n as f64 * f64::EPSILON * a,
            e,
            "sum_all 2^20 transposed",
        );

        // Few outputs, each over more than one piece, with rows cut by piece boundaries.
        let cases: [(&[usize], &[isize]); 4] = [
            (&[3, 100_000], &[1]),
            (&[100_000, 3], &[0]),
            (&[300, 3, 230], &[0, 2]),
            (&[2, 70_001], &[-1]),
        ];
        for (k, (shape, axes)) in cases.into_iter().enumerate() {
            for v in layouts(shape, dtype, dev, 105 + k as u64, -3.0, 3.0)? {
                let what = format!("{dtype} {shape:?} {}", v.name);
                check_reductions(&v.t, &v.vals, shape, axes, k % 2 == 0, &what)?;
            }
        }
    }
    Ok(())
}
test_device!(
    few_outputs_split_the_reduced_range,
    few_outputs_cpu,
    few_outputs_cuda
);

fn argmax_ties_across_the_piece_boundary(dev: &Device) -> Result<()> {
    // The parallel pieces are 65 536 elements long; a tie across pieces must keep the first.
    let n = 1 << 17;
    for dtype in FLOATS {
        // (positions of the maximum 2.0, expected argmax)
        let cases: [(&[usize], usize); 4] = [
            (&[65_535, 65_536, 100_000], 65_535),
            (&[65_536, 131_071], 65_536),
            (&[131_071, 0], 0),
            (&[70_000, 65_537, 131_000], 65_537),
        ];
        for (k, (spots, first)) in cases.into_iter().enumerate() {
            let mut v = Rng::new(200 + k as u64).values(n, 0.0, 1.0, dtype);
            for &s in spots {
                v[s] = 2.0;
            }
            let t = tensor(&v, &[n], dtype, dev)?;
            let what = format!("{dtype} maxima at {spots:?}");
            assert_eq!(
                t.argmax(0, false)?.to_vec::<i64>()?,
                vec![first as i64],
                "{what}"
            );
            assert_eq!(t.max_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?, 2.0);
            let neg = t.neg()?;
            assert_eq!(
                neg.argmin(0, false)?.to_vec::<i64>()?,
                vec![first as i64],
                "{what}"
            );
            // Strided: the same vector as column 1 of a [n, 2] matrix.
            let m = Tensor::stack(&[&t.zeros_like()?, &t], 1)?;
            assert_eq!(
                m.argmax(0, false)?.to_vec::<i64>()?,
                vec![0, first as i64],
                "{what} strided"
            );
        }
        // Three rows, each with its own tie pattern: few outputs, several pieces each.
        let mut v = Rng::new(210).values(3 * n, 0.0, 1.0, dtype);
        for (row, spots) in [[65_535, 65_536], [65_536, 65_537], [131_071, 131_070]]
            .iter()
            .enumerate()
        {
            for &s in spots {
                v[row * n + s] = 5.0;
            }
        }
        let t = tensor(&v, &[3, n], dtype, dev)?;
        assert_eq!(
            t.argmax(1, false)?.to_vec::<i64>()?,
            vec![65_535, 65_536, 131_070],
            "{dtype} row-wise ties"
        );
        // A NaN counts as the maximum, and the first NaN wins even in a later piece.
        let mut v = Rng::new(211).values(n, 0.0, 1.0, dtype);
        v[10] = 9.0;
        v[70_000] = f64::NAN;
        v[100_000] = f64::NAN;
        let t = tensor(&v, &[n], dtype, dev)?;
        assert_eq!(t.argmax(0, false)?.to_vec::<i64>()?, vec![70_000]);
        assert_eq!(t.argmin(0, false)?.to_vec::<i64>()?, vec![70_000]);
        assert!(
            values(&t.max_all()?)?[0].is_nan(),
            "max_all with a NaN in piece 2"
        );
        assert!(
            values(&t.min_all()?)?[0].is_nan(),
            "min_all with a NaN in piece 2"
        );
    }
    Ok(())
}
test_device!(argmax_ties_across_the_piece_boundary, ties_cpu, ties_cuda);

/// Sums whose last axis is kept take the column-accumulator path; check it on the shapes that
/// select each of its branches (one output row with parallel column blocks, many output rows,
/// a narrowed view whose rows are not adjacent) against an f64 loop.
#[test]
fn column_sums_match_a_naive_loop() -> Result<()> {
    use fluxion_tensor::random::Generator;
    let dev = Device::Cpu;
    let mut g = Generator::new(11);
    for (dims, axes, narrow_last) in [
        (vec![300usize, 200usize], vec![0isize], None),
        (vec![3, 50, 64], vec![1], None),
        (vec![40, 6, 70], vec![0, 1], Some((5, 33))),
        (vec![9, 16], vec![0], None),
    ] {
        let full = Tensor::randn(0.0, 1.0, dims.clone(), DType::F32, &dev, &mut g)?;
        let x = match narrow_last {
            Some((s, l)) => full.narrow(-1, s, l)?,
            None => full.clone(),
        };
        let d = x.dims().to_vec();
        let v: Vec<f64> = x.to_dtype(DType::F64)?.to_vec()?;
        let got = x.sum(&axes, false)?.to_vec::<f32>()?;
        // Naive: accumulate each element into its output slot.
        let ax: Vec<usize> = axes.iter().map(|&a| a as usize).collect();
        let kept: Vec<usize> = (0..d.len()).filter(|a| !ax.contains(a)).collect();
        let out_len: usize = kept.iter().map(|&a| d[a]).product();
        let mut want = vec![0.0f64; out_len];
        let mut sum_abs = vec![0.0f64; out_len];
        for (lin, &val) in v.iter().enumerate() {
            let mut rem = lin;
            let mut idx = vec![0; d.len()];
            for a in (0..d.len()).rev() {
                idx[a] = rem % d[a];
                rem /= d[a];
            }
            let o = kept.iter().fold(0, |acc, &a| acc * d[a] + idx[a]);
            want[o] += val;
            sum_abs[o] += val.abs();
        }
        for i in 0..out_len {
            // f64 accumulation, one f32 rounding at the end: half an f32 ulp of the result,
            // plus f64 rounding of the sum of magnitudes.
            let tol = f64::from(f32::EPSILON) * want[i].abs() + 1e-12 * sum_abs[i];
            assert!(
                (f64::from(got[i]) - want[i]).abs() <= tol,
                "{dims:?} axes {axes:?} out[{i}]: {} vs {}",
                got[i],
                want[i]
            );
        }
    }
    Ok(())
}
