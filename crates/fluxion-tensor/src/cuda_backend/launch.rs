//! Launch plumbing shared by the CUDA ops: launch configurations, the strided `info` array of
//! the elementwise kernel ABI (`kernels/elementwise.cu`), buffer allocation and error mapping.

use cudarc::driver::{
    CudaFunction, CudaSlice, DeviceRepr, LaunchArgs, LaunchConfig, PushKernelArg,
};
use fluxion_device::CudaDevice;

use crate::{Error, Layout, Result};

/// Threads per block of the grid-stride kernels.
pub(crate) const THREADS: u32 = 256;

/// Most blocks launched for one grid-stride kernel: beyond this each thread loops (the kernels
/// use grid-stride loops, so any grid covers any n).
pub(crate) const MAX_BLOCKS: usize = 65_535 * 16;

/// The configuration for a grid-stride kernel over `n` elements: 256 threads per block and
/// enough blocks for one element per thread, at most [`MAX_BLOCKS`].
pub(crate) fn grid(n: usize) -> LaunchConfig {
    let blocks = n.div_ceil(THREADS as usize).clamp(1, MAX_BLOCKS);
    LaunchConfig {
        grid_dim: (blocks as u32, 1, 1),
        block_dim: (THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// The configuration for `kernels/reduce.cu`: one block per output group (blocks stride over
/// groups beyond [`MAX_BLOCKS`]), and a block width that is a multiple of 32 and at most 1024,
/// as the kernels require: the reduced length rounded up to a power of two, between 32 and 256.
pub(crate) fn reduce_config(groups: usize, reduce_len: usize) -> LaunchConfig {
    let threads = reduce_len.next_power_of_two().clamp(32, 256) as u32;
    LaunchConfig {
        grid_dim: (groups.clamp(1, MAX_BLOCKS) as u32, 1, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// `dims` walked by N operands with the given strides, with axes of extent 1 dropped and
/// adjacent axes merged wherever every operand stays evenly strided across them (as NumPy's
/// iterator does). The result describes the same elements in the same row-major order with
/// fewer axes, so the kernels do less index arithmetic.
pub(crate) fn collapse<const N: usize>(
    dims: &[usize],
    strides: [&[usize]; N],
) -> (Vec<usize>, [Vec<usize>; N]) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: [Vec<usize>; N] = std::array::from_fn(|_| Vec::new());
    for ax in 0..dims.len() {
        let d = dims[ax];
        if d == 1 {
            continue;
        }
        let merge = !out_dims.is_empty()
            && (0..N).all(|k| *out_strides[k].last().expect("non-empty") == strides[k][ax] * d);
        if merge {
            *out_dims.last_mut().expect("non-empty") *= d;
            for k in 0..N {
                *out_strides[k].last_mut().expect("non-empty") = strides[k][ax];
            }
        } else {
            out_dims.push(d);
            for k in 0..N {
                out_strides[k].push(strides[k][ax]);
            }
        }
    }
    (out_dims, out_strides)
}

/// The `info` array of the strided kernel ABI for operands of one logical shape: the collapsed
/// dims, then each operand's strides. `None` when every operand is contiguous (from its own
/// start offset), which the kernels take as a null `info` and run their contiguous fast path.
pub(crate) fn info_array<const N: usize>(layouts: [&Layout; N]) -> Option<Vec<usize>> {
    let dims = layouts[0].dims();
    let (cd, cs) = collapse::<N>(dims, std::array::from_fn(|k| layouts[k].strides()));
    if cd.len() <= 1 && cs.iter().all(|s| s.iter().all(|&x| x == 1)) {
        return None;
    }
    let mut info = cd;
    for s in cs {
        info.extend(s);
    }
    Some(info)
}

/// The rank that goes with an `info` array built for `n_operands` operands.
pub(crate) fn info_rank(info: &Option<Vec<usize>>, n_operands: usize) -> usize {
    info.as_ref().map_or(0, |i| i.len() / (n_operands + 1))
}

/// A null device pointer, passed for `info` on the contiguous path.
pub(crate) static NULL_PTR: u64 = 0;

/// The `(n, rank, info)` head of the strided elementwise kernel ABI for `N` operands: `info`
/// ([`info_array`]) uploaded to the device, or absent (rank 0, a null pointer) when every
/// operand is contiguous.
pub(crate) struct StridedHead {
    n: usize,
    rank: usize,
    info: Option<CudaSlice<usize>>,
}

impl StridedHead {
    /// The head for `n` elements over the operands' `layouts`, in the kernel's operand order.
    pub(crate) fn new<const N: usize>(
        dev: &CudaDevice,
        n: usize,
        layouts: [&Layout; N],
        op: &'static str,
    ) -> Result<Self> {
        let info = info_array(layouts);
        let rank = info_rank(&info, N);
        Ok(StridedHead {
            n,
            rank,
            info: upload_info(dev, &info, op)?,
        })
    }

    /// Pushes `n`, `rank` and the `info` pointer (null on the contiguous path).
    pub(crate) fn push<'a>(&'a self, b: &mut LaunchArgs<'a>) {
        b.arg(&self.n).arg(&self.rank);
        match &self.info {
            Some(i) => b.arg(i),
            None => b.arg(&NULL_PTR),
        };
    }
}

/// Maps a CUDA error into [`Error::Cuda`] naming the op and its operands.
pub(crate) trait OrCuda<T> {
    /// The error, if any, as [`Error::Cuda`] with `op` and the text `detail` gives.
    fn or_cuda(self, op: &'static str, detail: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<fluxion_device::Error>> OrCuda<T> for std::result::Result<T, E> {
    fn or_cuda(self, op: &'static str, detail: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Cuda {
            op,
            detail: detail(),
            source: Box::new(e.into()),
        })
    }
}

/// The kernel `name` on `dev`, compiled on first use.
pub(crate) fn kernel(dev: &CudaDevice, name: &str, op: &'static str) -> Result<CudaFunction> {
    dev.function(name)
        .or_cuda(op, || format!("loading kernel {name}"))
}

/// A new buffer for `n` elements, uninitialised (at least one element is allocated, so an empty
/// result never asks for zero bytes).
///
/// # Safety
/// The caller must write every one of the `n` elements (a kernel or a copy queued on the device's
/// stream) before anything reads them.
pub(crate) unsafe fn alloc<T: DeviceRepr>(
    dev: &CudaDevice,
    n: usize,
    op: &'static str,
) -> Result<CudaSlice<T>> {
    // SAFETY: forwarded to the caller (the memory is uninitialised until written).
    unsafe { dev.stream().alloc::<T>(n.max(1)) }.or_cuda(op, || {
        format!(
            "allocating {n} elements of {} bytes",
            std::mem::size_of::<T>()
        )
    })
}

/// `info` uploaded to the device, or `None` (the contiguous path).
pub(crate) fn upload_info(
    dev: &CudaDevice,
    info: &Option<Vec<usize>>,
    op: &'static str,
) -> Result<Option<CudaSlice<usize>>> {
    info.as_ref()
        .map(|i| {
            dev.stream()
                .clone_htod(i)
                .or_cuda(op, || format!("uploading the strided info array {i:?}"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Shape;

    #[test]
    fn contiguous_operands_take_the_fast_path() {
        let l = Layout::contiguous([2, 3, 4]);
        assert_eq!(info_array([&l, &l]), None);
        // An offset does not matter: it is passed separately.
        let n = Layout::contiguous([4, 3, 4]).narrow(0, 1, 2).unwrap();
        assert!(n.is_contiguous());
        assert_eq!(info_array([&n]), None);
        assert_eq!(info_array([&Layout::contiguous(())]), None);
    }

    #[test]
    fn broadcast_and_transposed_layouts_build_the_abi_array() {
        // lhs [2, 3] contiguous, rhs a row [3] broadcast over 2 rows.
        let lhs = Layout::contiguous([2, 3]);
        let rhs = Layout::contiguous([3])
            .broadcast_as(&Shape::from([2, 3]))
            .unwrap();
        assert_eq!(info_array([&lhs, &rhs]), Some(vec![2, 3, 3, 1, 0, 1]));
        assert_eq!(info_rank(&info_array([&lhs, &rhs]), 2), 2);
        // A transposed [3, 2] view of a [2, 3] buffer.
        let t = Layout::contiguous([2, 3]).transpose(0, 1);
        assert_eq!(info_array([&t]), Some(vec![3, 2, 1, 3]));
        // Extent-1 axes vanish and contiguous runs merge: [2, 1, 3, 4] with the last two axes
        // contiguous in both operands and the first broadcast in one.
        let a = Layout::contiguous([2, 1, 3, 4]);
        let b = Layout::contiguous([1, 1, 3, 4])
            .broadcast_as(&Shape::from([2, 1, 3, 4]))
            .unwrap();
        assert_eq!(info_array([&a, &b]), Some(vec![2, 12, 12, 1, 0, 1]));
    }

    #[test]
    fn collapsed_info_addresses_the_same_elements() {
        // Walk the collapsed description the way fx_strided_offsets does and compare with the
        // layout's own offsets, for a mix of views.
        let base = Layout::contiguous([3, 4, 5]);
        let cases = [
            base.transpose(0, 2),
            base.narrow(1, 1, 2).unwrap(),
            base.permute(&[1, 2, 0]).unwrap().narrow(2, 1, 2).unwrap(),
            Layout::contiguous([4, 1])
                .broadcast_as(&Shape::from([2, 4, 3]))
                .unwrap(),
        ];
        for l in &cases {
            let info = info_array([l]).expect("strided");
            let rank = info_rank(&Some(info.clone()), 1);
            let (dims, strides) = info.split_at(rank);
            let got: Vec<usize> = (0..l.elem_count())
                .map(|i| {
                    let (mut rem, mut off) = (i, l.start_offset());
                    for d in (0..rank).rev() {
                        off += (rem % dims[d]) * strides[d];
                        rem /= dims[d];
                    }
                    off
                })
                .collect();
            let want =
                crate::cpu_backend::strided::offsets(l.dims(), l.strides(), l.start_offset());
            assert_eq!(got, want, "{l:?}");
        }
    }

    #[test]
    fn launch_configs_respect_the_kernel_contracts() {
        assert_eq!(grid(0).grid_dim.0, 1);
        assert_eq!(grid(256).grid_dim.0, 1);
        assert_eq!(grid(257).grid_dim.0, 2);
        assert_eq!(grid(usize::MAX / 2).grid_dim.0 as usize, MAX_BLOCKS);
        for (groups, len) in [(0, 0), (1, 1), (7, 33), (1 << 30, 5000), (3, 1 << 20)] {
            let c = reduce_config(groups, len);
            let t = c.block_dim.0;
            assert!(t.is_multiple_of(32) && (32..=1024).contains(&t), "{t}");
            assert!(c.grid_dim.0 >= 1 && c.grid_dim.0 as usize <= MAX_BLOCKS);
        }
    }
}
