//! `index.cu` (index_select, gather, scatter_add, concat) against the CPU.

use super::*;

// ---------------------------------------------------------------------------------------------
// index.cu

fn prod(d: &[usize]) -> usize {
    d.iter().product()
}

/// `index_select_{dtype}` / `gather_{dtype}` as index.rs `launch_lookup`: (in, idx, out, outer,
/// dim, nidx, inner), over outer·nidx·inner output elements.
fn emulate_lookup(
    m: &HostModule,
    name: &str,
    input: &CpuStorage,
    ids: &[i64],
    dims: [usize; 4],
    cfg: (u32, u32),
) -> CpuStorage {
    let [outer, dim, nidx, inner] = dims;
    let n = outer * nidx * inner;
    let mut din = DevBuf::upload(input);
    let mut didx = DevBuf::upload(&CpuStorage::I64(ids.to_vec()));
    let mut out = DevBuf::poisoned(n, input.dtype());
    let (pi, px, po) = (din.ptr(), didx.ptr(), out.ptr());
    let args = kernel_args![&pi, &px, &po, &outer, &dim, &nidx, &inner];
    // SAFETY: `din` holds outer·dim·inner elements, `didx` the ids (in range), `out` n elements.
    unsafe { run(m, name, cfg, &args) };
    out.download()
}

/// A [3, 5, 4] input over a buffer, contiguous or as a permuted view of a [4, 3, 5] buffer.
fn index_inputs(dtype: DType) -> Vec<(&'static str, CpuStorage, Layout)> {
    let contiguous = Layout::contiguous([3, 5, 4]);
    let permuted = Layout::contiguous([4, 3, 5]).permute(&[1, 2, 0]).unwrap();
    vec![
        ("contiguous", sample(dtype, 60, 61), contiguous),
        ("permuted", sample(dtype, 60, 62), permuted),
    ]
}

#[test]
fn emulated_index_select_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Index) else {
        return;
    };
    for dtype in DType::ALL {
        for (lname, s, l) in index_inputs(dtype) {
            for axis in 0..3 {
                let size = l.dims()[axis];
                let ids: Vec<i64> = [size - 1, 0, 0, 2, 1, size - 1, 1]
                    .iter()
                    .map(|&i| i as i64)
                    .collect();
                let li = Layout::contiguous([ids.len()]);
                let want = s
                    .index_select(&l, &CpuStorage::I64(ids.clone()), &li, axis)
                    .unwrap();
                // index.rs `index_select` and `lookup`.
                let dims = l.dims();
                let d = [
                    prod(&dims[..axis]),
                    size,
                    ids.len(),
                    prod(&dims[axis + 1..]),
                ];
                let name = format!("index_select_{}", dtype.as_str());
                for cfg in configs(d[0] * d[2] * d[3]) {
                    let got = emulate_lookup(&m, &name, &contig(&s, &l), &ids, d, cfg);
                    let what = format!("{name} {lname} axis {axis} {cfg:?}");
                    check(&what, &got, &want, Nan::Bits, None);
                }
            }
        }
    }
}

#[test]
fn emulated_gather_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Index) else {
        return;
    };
    let mut rng = Rng(71);
    for dtype in DType::ALL {
        for (lname, s, l) in index_inputs(dtype) {
            for axis in 0..3 {
                // Ids as wide as the input off the axis, and narrower (the host narrows the
                // input first).
                for narrower in [false, true] {
                    let mut idims = l.dims().to_vec();
                    idims[axis] = 6;
                    if narrower {
                        for (a, d) in idims.iter_mut().enumerate() {
                            if a != axis {
                                *d -= 1;
                            }
                        }
                    }
                    let li = Layout::contiguous(idims.clone());
                    let size = l.dims()[axis];
                    let ids: Vec<i64> = (0..li.elem_count())
                        .map(|_| rng.below(size) as i64)
                        .collect();
                    let want = s
                        .gather(&l, &CpuStorage::I64(ids.clone()), &li, axis)
                        .unwrap();
                    // index.rs `gather`: the input narrowed to the ids' extents off the axis.
                    let mut src = l.clone();
                    for (a, &d) in li.dims().iter().enumerate() {
                        if a != axis {
                            src = src.narrow(a, 0, d).unwrap();
                        }
                    }
                    let d = [
                        prod(&idims[..axis]),
                        size,
                        idims[axis],
                        prod(&idims[axis + 1..]),
                    ];
                    let name = format!("gather_{}", dtype.as_str());
                    for cfg in configs(li.elem_count()) {
                        let got = emulate_lookup(&m, &name, &contig(&s, &src), &ids, d, cfg);
                        let what =
                            format!("{name} {lname} axis {axis} narrower={narrower} {cfg:?}");
                        check(&what, &got, &want, Nan::Bits, None);
                    }
                }
            }
        }
    }
}

#[test]
fn emulated_scatter_add_matches_the_cpu_bit_for_bit_in_launch_order() {
    // One thread per element (the backend's launch::grid) applies the additions in row-major
    // order of the ids, the CPU's order, so even repeated indices agree bit for bit (one f32 /
    // f64 rounding per addition on both sides; f16/bf16 add in f32 and round, as the CPU's
    // T::from_f64(a + b)). A grid-stride launch reorders the additions, as the GPU's atomics
    // may, so only the backend's configuration is compared.
    let Some(m) = require_or_skip(Id::Index) else {
        return;
    };
    let mut rng = Rng(81);
    for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        for (lname, s, l) in index_inputs(dtype) {
            for axis in 0..3 {
                let mut idims = l.dims().to_vec();
                idims[axis] = 9; // more ids than the axis holds: repeated targets
                let li = Layout::contiguous(idims.clone());
                let size = l.dims()[axis];
                let ids: Vec<i64> = (0..li.elem_count())
                    .map(|_| rng.below(size) as i64)
                    .collect();
                // src: a transposed [.., 9, ..] view of a larger buffer.
                let mut sdims = idims.clone();
                sdims.reverse();
                let ls = Layout::contiguous(sdims.clone())
                    .permute(&[2, 1, 0])
                    .unwrap();
                let src = sample(dtype, prod(&sdims), 82);
                let ids_s = CpuStorage::I64(ids.clone());
                let want = s.scatter_add(&l, &ids_s, &li, &src, &ls, axis).unwrap();
                // index.rs `scatter_add`: a contiguous copy of self to add into, src walked by
                // the ids' shape, dims [outer, size, nidx, inner].
                let src_view =
                    Layout::new(li.shape().clone(), ls.strides().to_vec(), ls.start_offset());
                let dims = l.dims();
                let [outer, dim, nidx, inner] = [
                    prod(&dims[..axis]),
                    size,
                    idims[axis],
                    prod(&dims[axis + 1..]),
                ];
                let mut out = DevBuf::upload(&contig(&s, &l));
                let mut didx = DevBuf::upload(&ids_s);
                let mut dadd = DevBuf::upload(&contig(&src, &src_view));
                let (po, px, pa) = (out.ptr(), didx.ptr(), dadd.ptr());
                let args = kernel_args![&po, &px, &pa, &outer, &dim, &nidx, &inner];
                let name = format!("scatter_add_{}", dtype.as_str());
                let cfg = configs(outer * nidx * inner)[0];
                // SAFETY: `out` holds outer·dim·inner elements, `didx` and `dadd`
                // outer·nidx·inner (ids in range).
                unsafe { run(&m, &name, cfg, &args) };
                let what = format!("{name} {lname} axis {axis} {cfg:?}");
                check(&what, &out.download(), &want, Nan::Any, None);
            }
        }
    }
}

#[test]
fn emulated_concat_matches_the_cpu_for_every_dtype() {
    let Some(m) = require_or_skip(Id::Index) else {
        return;
    };
    for dtype in DType::ALL {
        for axis in 0..3 {
            // Three parts along `axis` (extents 2, 0 and 3), the last one a transposed view.
            let shape = |k: usize| {
                let mut d = vec![3, 4, 2];
                d[axis] = k;
                d
            };
            let p0 = (
                sample(dtype, prod(&shape(2)), 91),
                Layout::contiguous(shape(2)),
            );
            let p1 = (sample(dtype, 0, 92), Layout::contiguous(shape(0)));
            let mut rev = shape(3);
            rev.reverse();
            let p2 = (
                sample(dtype, prod(&rev), 93),
                Layout::contiguous(rev).permute(&[2, 1, 0]).unwrap(),
            );
            let parts = [(&p0.0, &p0.1), (&p1.0, &p1.1), (&p2.0, &p2.1)];
            let want = CpuStorage::concat(&parts, axis).unwrap();
            // index.rs `concat`: one launch per non-empty part into its slab at `start`.
            let fl = shape(1);
            let (outer, inner) = (prod(&fl[..axis]), prod(&fl[axis + 1..]));
            let total_axis = 5usize;
            let name = format!("concat_{}", dtype.as_str());
            for small in [false, true] {
                let mut out = DevBuf::poisoned(want.len(), dtype);
                let po = out.ptr();
                let mut start = 0usize;
                for (p, l) in parts {
                    let n = l.dims()[axis];
                    if l.elem_count() > 0 {
                        let mut din = DevBuf::upload(&contig(p, l));
                        let pi = din.ptr();
                        let args = kernel_args![&pi, &po, &outer, &n, &inner, &total_axis, &start];
                        let cfg = configs(outer * n * inner)[usize::from(small)];
                        // SAFETY: `din` holds outer·n·inner elements, `out`
                        // outer·total·inner, start + n ≤ total.
                        unsafe { run(&m, &name, cfg, &args) };
                    }
                    start += n;
                }
                let what = format!("{name} axis {axis} small_grid={small}");
                check(&what, &out.download(), &want, Nan::Bits, None);
            }
        }
    }
}
