//! `reduce.cu` (run as cooperating fibers) against the CPU's reductions.

use super::*;

// ---------------------------------------------------------------------------------------------
// reduce.cu

/// `{op}_{dtype}` over `s` viewed through `l`, reducing `axes`, packed as reduce.rs `launch`:
/// the plan's layout made contiguous, then (in, out, outer, reduce, inner), over
/// `reduce_config(groups, reduce)` or `cfg` when given.
fn emulate_reduce(
    m: &HostModule,
    op: ReduceOp,
    s: &CpuStorage,
    l: &Layout,
    axes: &[usize],
    cfg: Option<(u32, u32)>,
) -> CpuStorage {
    let p = plan(l, axes);
    let out_dtype = match op {
        ReduceOp::ArgMax | ReduceOp::ArgMin => DType::I64,
        ReduceOp::Sum | ReduceOp::Max | ReduceOp::Min => s.dtype(),
    };
    let groups = p.outer * p.inner;
    let mut input = DevBuf::upload(&contig(s, &p.layout));
    let mut out = DevBuf::poisoned(groups, out_dtype);
    let (pi, po) = (input.ptr(), out.ptr());
    let args = kernel_args![&pi, &po, &p.outer, &p.reduce, &p.inner];
    let c = reduce_config(groups, p.reduce);
    let cfg = cfg.unwrap_or((c.grid_dim.0, c.block_dim.0));
    let name = format!("{}_{}", op.name(), s.dtype().as_str());
    // SAFETY: `input` holds outer·reduce·inner contiguous elements, `out` outer·inner outputs.
    unsafe { run(m, &name, cfg, &args) };
    out.download()
}

#[test]
fn emulated_reductions_match_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Reduce) else {
        return;
    };
    // Adjacent axes of a contiguous input (no copy; inner > 1), non-adjacent axes and a
    // transposed input (the permuted copy, inner = 1), and one long axis (256 threads: eight
    // warps combine through shared memory).
    let base = Layout::contiguous([4, 37, 3]);
    let cases = [
        ("middle axis", base.clone(), vec![1]),
        ("outer axes", base.clone(), vec![0, 2]),
        (
            "transposed",
            Layout::contiguous([37, 4]).transpose(0, 1),
            vec![0],
        ),
        ("long axis", Layout::contiguous([1500]), vec![0]),
    ];
    let ops = [
        ReduceOp::Sum,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::ArgMax,
        ReduceOp::ArgMin,
    ];
    for dtype in DType::ALL {
        for (lname, l, axes) in &cases {
            for discrete in [false, true] {
                let s = buffer_for(l, dtype, 101, discrete);
                // Sums see no infinities or NaNs: ordinary values, where the order matters.
                let plain: Vec<f64> = (0..l.storage_extent())
                    .map(|i| ((i * 7919) % 2001) as f64 / 100.0 - 10.0)
                    .collect();
                let plain = CpuStorage::from_f64s(&plain, dtype);
                for op in ops {
                    // Sums take the ordinary values only (`plain`, once).
                    if op == ReduceOp::Sum && (discrete || !dtype.is_float()) {
                        continue;
                    }
                    let src = if op == ReduceOp::Sum { &plain } else { &s };
                    let want = src.reduce(l, op, axes).unwrap();
                    // Sums: the kernel adds in f64 in a tree, the CPU in f64 in its own order;
                    // both round once at the end. The f64 sums differ by at most
                    // 2·len·eps·Σ|x|, and the rounded results by that plus one ulp of the type.
                    let contiguous = Layout::contiguous(l.shape().clone());
                    let abs_sums = (op == ReduceOp::Sum).then(|| {
                        let abs = src.unary(l, UnaryOp::Abs).unwrap();
                        let abs = abs.to_dtype(&contiguous, DType::F64).unwrap();
                        abs.reduce(&contiguous, ReduceOp::Sum, axes).unwrap()
                    });
                    let len = plan(l, axes).reduce as f64;
                    let sum_tol = |i: usize, w: f64| {
                        let abs_sum = abs_sums.as_ref().map_or(0.0, |a| elem(a, i).1);
                        ulp(dtype, w) + 2.0 * len * f64::EPSILON * abs_sum
                    };
                    let tol = abs_sums
                        .is_some()
                        .then_some(&sum_tol as &dyn Fn(usize, f64) -> f64);
                    for cfg in [None, Some((2, 64))] {
                        let got = emulate_reduce(&m, op, src, l, axes, cfg);
                        let what = format!(
                            "{}_{} {lname} discrete={discrete} {cfg:?}",
                            op.name(),
                            dtype.as_str()
                        );
                        check(&what, &got, &want, Nan::Bits, tol);
                    }
                }
            }
        }
    }
}
