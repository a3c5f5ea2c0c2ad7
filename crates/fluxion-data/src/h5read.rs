//! Hyperslab reads as f32 straight into a buffer we allocate, backed by transparent huge pages
//! when the read is large.
//!
//! Reading a whole PDEBench file (0.8 GB) spends most of its time in the kernel: the page
//! cache is copied into a freshly allocated buffer, and every 4 KiB page of that buffer faults
//! on first touch. NumPy advises large arrays with `MADV_HUGEPAGE`, so h5py faults once per
//! 2 MiB; `hdf5-metno`'s `read_slice` allocates its own `Vec` with no such advice. Measured on
//! the `cpu_io` bench (2-core Xeon, THP `enabled=always`, `defrag=madvise`): 1.9 GiB/s with
//! 4 KiB pages, 3.5 GiB/s with huge pages. So reads of at least [`HUGE_READ_BYTES`] allocate
//! their buffer here, advise it, and call `H5Dread` on it under `hdf5-metno`'s global lock;
//! smaller reads go through `read_slice` unchanged.
//!
//! When the dataset is stored contiguously as native f32 (h5py's default layout, PDEBench's
//! files) and the selection is one contiguous run of bytes (whole samples at full resolution),
//! the bytes are read with `pread` from the dataset's file offset (`H5Dget_offset`, absolute,
//! user block included) by all rayon threads at once, each copying its own part. HDF5 itself
//! serialises every call behind one lock, so this is the only way its reads use both cores.

use std::path::Path;

use hdf5::{Dataset, Dataspace, Datatype, Hyperslab, Selection, SliceOrIndex};

/// Reads at or above this size (bytes) use the huge-page buffer.
pub(crate) const HUGE_READ_BYTES: usize = 8 << 20;

/// Parallel `pread`s are cut into pieces of at least this many bytes.
const MIN_PIECE_BYTES: usize = 256 << 10;

/// The selection `sel` of `ds` (shape `shape`, in the file at `path`) as f32 values in row-major
/// order (HDF5 converts f64 files); `direct` is [`direct_offset`]'s answer for `ds`.
///
/// # Errors
/// The selection does not fit the dataset, HDF5 fails to read (its error stack is kept), or the
/// direct read of a contiguous dataset fails (the I/O error is kept).
pub(crate) fn read_f32(
    path: &Path,
    ds: &Dataset,
    direct: Option<u64>,
    shape: &[usize],
    sel: Vec<SliceOrIndex>,
) -> hdf5::Result<Vec<f32>> {
    if let Some((offset, n)) = direct.and_then(|base| contiguous_run(base, shape, &sel)) {
        return read_direct(path, offset, n);
    }
    let selection = Selection::from(Hyperslab::from(sel));
    let space = ds.space()?;
    let out_shape = selection.out_shape(space.shape())?;
    let n: usize = out_shape.iter().product();
    if n == 0 || n * std::mem::size_of::<f32>() < HUGE_READ_BYTES {
        let arr = ds.read_slice::<f32, _, ndarray::IxDyn>(selection)?;
        return Ok(crate::h5util::into_vec(arr));
    }
    let fspace = space.select(selection)?;
    if fspace.selection_size() != n {
        return Err(hdf5::Error::from(format!(
            "selection holds {} values, its shape {out_shape:?} has {n}",
            fspace.selection_size()
        )));
    }
    // HDF5 fills the memory space in the selection's row-major order, so a flat space of n
    // values receives the hyperslab exactly as `read_slice` would lay it out.
    let mspace = Dataspace::try_new(n)?;
    let mem_type = Datatype::from_type::<f32>()?;
    let mut buf: Vec<f32> = Vec::with_capacity(n);
    advise_huge_pages(buf.as_mut_ptr().cast(), n * std::mem::size_of::<f32>());
    hdf5::sync::sync(|| {
        // SAFETY: `buf` has capacity for the n values the memory space describes, and the
        // ids are alive for the call (held by `ds`, `mem_type`, `mspace`, `fspace`).
        let status = unsafe {
            hdf5_sys::h5d::H5Dread(
                ds.id(),
                mem_type.id(),
                mspace.id(),
                fspace.id(),
                hdf5_sys::h5p::H5P_DEFAULT,
                buf.as_mut_ptr().cast(),
            )
        };
        hdf5::h5check(status)
    })?;
    // SAFETY: H5Dread succeeded, so all n values were written.
    unsafe { buf.set_len(n) };
    Ok(buf)
}

/// The absolute byte offset of `ds`'s data when it is stored contiguously as native f32 (so
/// that [`read_f32`] may `pread` it), else `None`. Asked once when a dataset is opened.
///
/// # Errors
/// HDF5 errors reading the datatype.
pub(crate) fn direct_offset(ds: &Dataset) -> hdf5::Result<Option<u64>> {
    if ds.is_chunked() || ds.dtype()? != Datatype::from_type::<f32>()? {
        return Ok(None);
    }
    // SAFETY: a plain query on a live dataset id.
    let addr = hdf5::sync::sync(|| unsafe { hdf5_sys::h5d::H5Dget_offset(ds.id()) });
    // HADDR_UNDEF: not allocated yet, or stored in an external file.
    Ok((addr != hdf5_sys::h5::HADDR_UNDEF).then_some(addr))
}

/// `(absolute byte offset, value count)` of the selection of a contiguous dataset of `shape`
/// whose data starts at byte `base`, when the selection is one contiguous run; `None` when
/// HDF5 has to read.
fn contiguous_run(base: u64, shape: &[usize], sel: &[SliceOrIndex]) -> Option<(u64, usize)> {
    if sel.len() != shape.len() {
        return None;
    }
    // Row-major: indices pin the leading axes, one step-1 slice may follow, and every later
    // axis must be taken whole.
    let (mut first, mut count, mut whole_from) = (0usize, 1usize, shape.len());
    for (k, (s, &len)) in sel.iter().zip(shape).enumerate() {
        let (start, n) = match *s {
            SliceOrIndex::Index(i) => (i, None),
            SliceOrIndex::SliceCount {
                start,
                step,
                count: c,
                block: 1,
            } if step == 1 || c <= 1 => (start, Some(c)),
            _ => return None,
        };
        if start + n.unwrap_or(1) > len {
            return None; // out of range: HDF5 reports it
        }
        if whole_from < shape.len() {
            // After the slice axis: must be the whole axis.
            if !(start == 0 && n == Some(len)) {
                return None;
            }
            continue;
        }
        first = first * len + start;
        if let Some(c) = n {
            count = c;
            whole_from = k + 1;
        }
    }
    let row: usize = shape[whole_from.min(shape.len())..].iter().product();
    let (first, n) = (first * row, count * row);
    if n == 0 || (first + n) > shape.iter().product::<usize>() {
        return None;
    }
    Some((base + (first * std::mem::size_of::<f32>()) as u64, n))
}

/// `n` native f32 values from byte `offset` of the file at `path`, read in parallel.
fn read_direct(path: &Path, offset: u64, n: usize) -> hdf5::Result<Vec<f32>> {
    use rayon::prelude::*;
    use std::os::fd::AsRawFd;

    let file = std::fs::File::open(path)
        .map_err(|e| hdf5::Error::from(format!("direct read of contiguous data: {e}")))?;
    let bytes = n * std::mem::size_of::<f32>();
    let mut buf: Vec<f32> = Vec::with_capacity(n);
    if bytes >= HUGE_READ_BYTES {
        advise_huge_pages(buf.as_mut_ptr().cast(), bytes);
    }
    let base = buf.as_mut_ptr() as usize;
    let piece = bytes
        .div_ceil(rayon::current_num_threads())
        .max(MIN_PIECE_BYTES);
    let fd = file.as_raw_fd();
    (0..bytes.div_ceil(piece))
        .into_par_iter()
        .try_for_each(|i| {
            let (mut at, end) = (i * piece, ((i + 1) * piece).min(bytes));
            while at < end {
                // SAFETY: `[base + at, base + end)` lies in `buf`'s capacity, and pieces are
                // disjoint; `fd` stays open for the whole loop.
                let got = unsafe {
                    libc::pread(
                        fd,
                        (base + at) as *mut libc::c_void,
                        end - at,
                        (offset + at as u64) as libc::off_t,
                    )
                };
                match got {
                    g if g > 0 => at += g as usize,
                    0 => {
                        return Err(hdf5::Error::from(format!(
                            "direct read of contiguous data: the file ends before byte {} \
                         (truncated?)",
                            offset + end as u64
                        )))
                    }
                    _ => {
                        let e = std::io::Error::last_os_error();
                        if e.kind() != std::io::ErrorKind::Interrupted {
                            return Err(hdf5::Error::from(format!(
                                "direct read of contiguous data: {e}"
                            )));
                        }
                    }
                }
            }
            Ok(())
        })?;
    // SAFETY: every byte of the first `n` values was written by the reads above.
    unsafe { buf.set_len(n) };
    Ok(buf)
}

/// Asks the kernel to back the 2 MiB-aligned interior of `[ptr, ptr + len)` with huge pages.
/// Advice only: failure (no THP, another OS) leaves ordinary pages.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    const HUGE: usize = 2 << 20;
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + len) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside an allocation we own; MADV_HUGEPAGE changes no contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}
