//! Index ops: index_select, gather, scatter_add, concat.

use super::elementwise::gather_layout;
use super::strided::Rows;
use super::{map_storage, CpuStorage};
use crate::backend::BackendStorage;
use crate::{Error, Layout, Result, WithDType};

/// Checks an index against an axis size.
fn check(op: &'static str, id: i64, axis: usize, size: usize) -> Result<usize> {
    if id < 0 || id as u64 >= size as u64 {
        return Err(Error::IndexOutOfRange {
            op,
            index: id,
            axis,
            size,
        });
    }
    Ok(id as usize)
}

fn ids_of<'a>(ids: &'a CpuStorage, op: &'static str) -> Result<&'a [i64]> {
    ids.as_slice::<i64>(op)
}

pub(super) fn index_select(
    s: &CpuStorage,
    l: &Layout,
    ids: &CpuStorage,
    li: &Layout,
    axis: usize,
) -> Result<CpuStorage> {
    let idx = gather_layout(ids_of(ids, "index_select")?, li);
    let dims = l.dims();
    let size = dims[axis];
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    let checked = idx
        .iter()
        .map(|&i| check("index_select", i, axis, size))
        .collect::<Result<Vec<_>>>()?;
    Ok(map_storage!(s, v => {
        let src = gather_layout(v, l);
        let mut out = Vec::with_capacity(outer * checked.len() * inner);
        for o in 0..outer {
            for &i in &checked {
                let start = (o * size + i) * inner;
                out.extend_from_slice(&src[start..start + inner]);
            }
        }
        WithDType::into_storage(out)
    }))
}

/// Strides of `l`'s dims with `axis` zeroed, for walking a source by an index tensor's shape.
fn strides_without_axis(l: &Layout, axis: usize) -> Vec<usize> {
    let mut s = l.strides().to_vec();
    s[axis] = 0;
    s
}

pub(super) fn gather(
    s: &CpuStorage,
    l: &Layout,
    ids: &CpuStorage,
    li: &Layout,
    axis: usize,
) -> Result<CpuStorage> {
    let idx = ids_of(ids, "gather")?;
    let size = l.dims()[axis];
    let axis_stride = l.strides()[axis];
    let base = strides_without_axis(l, axis);
    let rows = Rows::new(
        li.dims(),
        [(&base, l.start_offset()), (li.strides(), li.start_offset())],
    );
    let [sa, si] = rows.inner_stride;
    map_storage!(s, v => {
        let mut out = Vec::with_capacity(li.elem_count());
        let mut err = None;
        rows.for_rows(0..rows.n_rows, |_, [o, oi]| {
            for j in 0..rows.inner_len {
                match check("gather", idx[oi + j * si], axis, size) {
                    Ok(i) => out.push(v[o + j * sa + i * axis_stride]),
                    // Read nothing: the output is discarded, and an empty axis has no
                    // element to stand in.
                    Err(e) => {
                        err.get_or_insert(e);
                    }
                }
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(WithDType::into_storage(out)),
        }
    })
}

pub(super) fn scatter_add(
    s: &CpuStorage,
    l: &Layout,
    ids: &CpuStorage,
    li: &Layout,
    src: &CpuStorage,
    ls: &Layout,
    axis: usize,
) -> Result<CpuStorage> {
    if s.dtype() != src.dtype() {
        return Err(Error::DTypeMismatch {
            op: "scatter_add",
            lhs: s.dtype(),
            rhs: src.dtype(),
        });
    }
    let idx = ids_of(ids, "scatter_add")?;
    let out_l = Layout::contiguous(l.shape().clone());
    let size = l.dims()[axis];
    let axis_stride = out_l.strides()[axis];
    let base = strides_without_axis(&out_l, axis);
    let rows = Rows::new(
        li.dims(),
        [
            (&base, 0),
            (li.strides(), li.start_offset()),
            (ls.strides(), ls.start_offset()),
        ],
    );
    let [so, si, ss] = rows.inner_stride;
    // Validate every index before writing anything.
    let mut err = None;
    rows.for_rows(0..rows.n_rows, |_, [_, oi, _]| {
        for j in 0..rows.inner_len {
            if let Err(e) = check("scatter_add", idx[oi + j * si], axis, size) {
                err.get_or_insert(e);
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    fn go<T: WithDType>(
        out: &mut [T],
        add: &[T],
        rows: &Rows<3>,
        idx: &[i64],
        strides: [usize; 4],
    ) {
        let [so, si, ss, axis_stride] = strides;
        rows.for_rows(0..rows.n_rows, |_, [o, oi, os]| {
            for j in 0..rows.inner_len {
                let dst = o + j * so + idx[oi + j * si] as usize * axis_stride;
                out[dst] = T::from_f64(out[dst].to_f64() + add[os + j * ss].to_f64());
            }
        });
    }
    Ok(map_storage!(s, v => {
        let mut out = gather_layout(v, l);
        let add = WithDType::slice(src).expect("dtype checked");
        go(&mut out, add, &rows, idx, [so, si, ss, axis_stride]);
        WithDType::into_storage(out)
    }))
}

pub(super) fn concat(parts: &[(&CpuStorage, &Layout)], axis: usize) -> Result<CpuStorage> {
    let (first, fl) = parts[0];
    for (p, _) in parts {
        if p.dtype() != first.dtype() {
            return Err(Error::DTypeMismatch {
                op: "concat",
                lhs: first.dtype(),
                rhs: p.dtype(),
            });
        }
    }
    let outer: usize = fl.dims()[..axis].iter().product();
    let total: usize = parts.iter().map(|(_, l)| l.elem_count()).sum();
    fn go<T: WithDType>(
        _witness: &[T],
        parts: &[(&CpuStorage, &Layout)],
        axis: usize,
        outer: usize,
        total: usize,
    ) -> Vec<T> {
        let blocks: Vec<(Vec<T>, usize)> = parts
            .iter()
            .map(|(p, l)| {
                let block: usize = l.dims()[axis..].iter().product();
                (gather_layout(T::slice(p).expect("dtype checked"), l), block)
            })
            .collect();
        let mut out = Vec::with_capacity(total);
        for o in 0..outer {
            for (data, block) in &blocks {
                out.extend_from_slice(&data[o * block..(o + 1) * block]);
            }
        }
        out
    }
    Ok(map_storage!(first, v => WithDType::into_storage(go(v, parts, axis, outer, total))))
}
