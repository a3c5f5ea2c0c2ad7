//! Unary, binary, comparison and `where` maps with the kernels of `kernels/elementwise.cu`, over
//! strided operands described by one `info` array (null when all are contiguous).

use cudarc::driver::{CudaSlice, PushKernelArg};
use fluxion_device::{CudaDevice, DType};

use super::copy::{empty, uninit};
use super::launch::{grid, kernel, OrCuda, StridedHead};
use super::{map_data, same_dtype, CudaData, CudaStorage, DevElem};
use crate::backend::BackendStorage;
use crate::cpu_backend::float_only;
use crate::{BinaryOp, CmpOp, Error, Layout, Result, UnaryOp};

/// The scalar parameters a unary kernel takes after `out`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Params {
    None,
    One(f64),
    Two(f64, f64),
}

fn params(op: UnaryOp) -> Params {
    match op {
        UnaryOp::Powf(p) => Params::One(p),
        UnaryOp::LeakyRelu(a) | UnaryOp::LeakyReluGrad(a) => Params::One(a),
        UnaryOp::Affine { mul, add } => Params::Two(mul, add),
        UnaryOp::Neg
        | UnaryOp::Abs
        | UnaryOp::Exp
        | UnaryOp::Log
        | UnaryOp::Sqrt
        | UnaryOp::Square
        | UnaryOp::Recip
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Tanh
        | UnaryOp::Sigmoid
        | UnaryOp::Relu
        | UnaryOp::GeluTanh
        | UnaryOp::GeluErf
        | UnaryOp::GeluErfGrad
        | UnaryOp::Erf
        | UnaryOp::Softplus
        | UnaryOp::Sign => Params::None,
    }
}

fn check_float(op: &'static str, dtype: DType) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(float_only(op, dtype))
    }
}

pub(super) fn unary(s: &CudaStorage, layout: &Layout, op: UnaryOp) -> Result<CudaStorage> {
    let dtype = s.dtype();
    check_float(op.name(), dtype)?;
    let dev = s.cuda_device();
    let n = layout.elem_count();
    if n == 0 {
        return empty(dev, dtype, op.name());
    }
    // SAFETY: the unary kernel below writes all n elements.
    let out = unsafe { uninit(dev, n, dtype, op.name())? };
    map_data!(s.data(), buf => map_data!(out.data(), dst => unary_launch(dev, buf, layout, dtype, op, dst)))?;
    Ok(out)
}

/// `out = op(buf viewed through layout)`; `out` is a fresh buffer of the same type.
pub(super) fn unary_launch<T: DevElem, U: DevElem>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    layout: &Layout,
    dtype: DType,
    op: UnaryOp,
    out: &CudaSlice<U>,
) -> Result<()> {
    let n = layout.elem_count();
    let name = format!("{}_{}", op.name(), dtype.as_str());
    let func = kernel(dev, &name, op.name())?;
    let head = StridedHead::new(dev, n, [layout], op.name())?;
    let offset = layout.start_offset();
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    head.push(&mut b);
    b.arg(buf).arg(&offset).arg(out);
    let p = params(op);
    let (p0, p1) = match p {
        Params::None => (0.0, 0.0),
        Params::One(a) => (a, 0.0),
        Params::Two(a, c) => (a, c),
    };
    match p {
        Params::None => {}
        Params::One(_) => {
            b.arg(&p0);
        }
        Params::Two(..) => {
            b.arg(&p0).arg(&p1);
        }
    }
    // SAFETY: matches `{op}_{dtype}(size_t n, size_t rank, const size_t* info, const T* in,
    // size_t in_offset, T* out [, double p [, double q]])` of kernels/elementwise.cu, with exactly
    // the doubles this op's kernel declares (`params`). `info` holds rank dims then rank strides
    // of the input (or is null with rank 0 for a contiguous input); every offset it yields plus
    // `offset` lies inside `buf` (the layout was validated against the storage); `out` is a fresh
    // buffer of n elements that nothing else references yet.
    unsafe { b.launch(grid(n)) }.or_cuda(op.name(), || format!("{name} of {layout:?}"))?;
    Ok(())
}

pub(super) fn binary(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    op: BinaryOp,
) -> Result<CudaStorage> {
    same_dtype(op.name(), a, b)?;
    let dtype = a.dtype();
    check_float(op.name(), dtype)?;
    let name = format!("{}_{}", op.name(), dtype.as_str());
    pair(a, la, b, lb, op.name(), name, dtype)
}

pub(super) fn cmp(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    op: CmpOp,
) -> Result<CudaStorage> {
    same_dtype(op.name(), a, b)?;
    let name = format!("cmp_{}_{}", op.name(), a.dtype().as_str());
    pair(a, la, b, lb, op.name(), name, DType::U8)
}

/// A binary or comparison kernel `name` over two operands of one (broadcast) shape, writing
/// `out_dtype`.
fn pair(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    op: &'static str,
    name: String,
    out_dtype: DType,
) -> Result<CudaStorage> {
    let dev = a.cuda_device();
    let n = la.elem_count();
    if n == 0 {
        return empty(dev, out_dtype, op);
    }
    // SAFETY: the kernel below writes all n elements.
    let out = unsafe { uninit(dev, n, out_dtype, op)? };
    let func = kernel(dev, &name, op)?;
    let head = StridedHead::new(dev, n, [la, lb], op)?;
    let (oa, ob) = (la.start_offset(), lb.start_offset());
    let stream = dev.stream();
    let mut builder = stream.launch_builder(&func);
    head.push(&mut builder);
    map_data!(a.data(), x => builder.arg(x));
    builder.arg(&oa);
    map_data!(b.data(), y => builder.arg(y));
    builder.arg(&ob);
    map_data!(out.data(), o => builder.arg(o));
    // SAFETY: matches `{op}_{dtype}` / `cmp_{op}_{dtype}(size_t n, size_t rank, const size_t*
    // info, const T* lhs, size_t lhs_offset, const T* rhs, size_t rhs_offset, O* out)` of
    // kernels/elementwise.cu: both inputs hold `dtype` elements (checked above), `info` holds
    // rank dims then each operand's rank strides (or is null with rank 0 when both are
    // contiguous), all offsets it yields lie inside the buffers (layouts validated and broadcast
    // by the caller), and `out` is a fresh buffer of n elements of O (T, or u8 for comparisons).
    unsafe { builder.launch(grid(n)) }.or_cuda(op, || format!("{name} of {la:?} and {lb:?}"))?;
    Ok(out)
}

pub(super) fn where_cond(
    cond: &CudaStorage,
    lc: &Layout,
    t: &CudaStorage,
    lt: &Layout,
    f: &CudaStorage,
    lf: &Layout,
) -> Result<CudaStorage> {
    const OP: &str = "where";
    same_dtype(OP, t, f)?;
    if cond.dtype() != DType::U8 {
        return Err(Error::DTypeMismatch {
            op: "where (condition must be u8)",
            lhs: DType::U8,
            rhs: cond.dtype(),
        });
    }
    let dev = cond.cuda_device();
    let dtype = t.dtype();
    let n = lc.elem_count();
    if n == 0 {
        return empty(dev, dtype, OP);
    }
    // SAFETY: the kernel below writes all n elements.
    let out = unsafe { uninit(dev, n, dtype, OP)? };
    let name = format!("where_{}", dtype.as_str());
    let func = kernel(dev, &name, OP)?;
    let head = StridedHead::new(dev, n, [lc, lt, lf], OP)?;
    let offs = [lc.start_offset(), lt.start_offset(), lf.start_offset()];
    let stream = dev.stream();
    let mut b = stream.launch_builder(&func);
    head.push(&mut b);
    map_data!(cond.data(), c => b.arg(c));
    b.arg(&offs[0]);
    map_data!(t.data(), x => b.arg(x));
    b.arg(&offs[1]);
    map_data!(f.data(), y => b.arg(y));
    b.arg(&offs[2]);
    map_data!(out.data(), o => b.arg(o));
    // SAFETY: matches `where_{dtype}(size_t n, size_t rank, const size_t* info, const unsigned
    // char* cond, size_t cond_offset, const T* a, size_t a_offset, const T* b, size_t b_offset,
    // T* out)` of kernels/elementwise.cu: cond is u8 and a, b share `dtype` (checked above),
    // `info` holds rank dims then the three operands' strides (or is null), every offset lies
    // inside its buffer, and `out` is a fresh buffer of n elements.
    unsafe { b.launch(grid(n)) }.or_cuda(OP, || format!("{name} of {lc:?}, {lt:?}, {lf:?}"))?;
    Ok(out)
}

/// `buf` (contiguous, n elements of a float dtype) times `scale`, into a new buffer: the affine
/// kernel with `add = -0.0`, so that `x·s + (−0)` is exactly `x·s` for every x, signed zeros
/// included (the CPU multiplies by the scale).
pub(super) fn scale_contiguous<T: DevElem>(
    dev: &CudaDevice,
    buf: &CudaSlice<T>,
    n: usize,
    dtype: DType,
    scale: f64,
    op: &'static str,
) -> Result<CudaSlice<T>> {
    // SAFETY: the affine kernel writes all n elements.
    let out = unsafe { super::launch::alloc::<T>(dev, n, op)? };
    let l = Layout::contiguous([n]);
    unary_launch(
        dev,
        buf,
        &l,
        dtype,
        UnaryOp::Affine {
            mul: scale,
            add: -0.0,
        },
        &out,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameterised_ops_pass_their_doubles() {
        assert_eq!(params(UnaryOp::Powf(1.5)), Params::One(1.5));
        assert_eq!(params(UnaryOp::LeakyReluGrad(0.1)), Params::One(0.1));
        assert_eq!(
            params(UnaryOp::Affine {
                mul: 2.0,
                add: -0.0
            }),
            Params::Two(2.0, -0.0)
        );
        assert_eq!(params(UnaryOp::Exp), Params::None);
    }

    #[test]
    fn affine_with_negative_zero_is_an_exact_multiply() {
        // The identity scale_contiguous relies on: x·s + (−0) == x·s bit for bit.
        for x in [
            0.0f64,
            -0.0,
            1.5,
            -3.25,
            f64::MIN_POSITIVE / 4.0,
            f64::INFINITY,
        ] {
            for s in [1.0, 0.5, -0.125, 1e-300] {
                let p = x * s;
                assert_eq!((p + -0.0).to_bits(), p.to_bits(), "{x} {s}");
            }
        }
    }
}
