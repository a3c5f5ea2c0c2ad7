//! Elementwise kernels: map over one, two or three strided operands into a new contiguous
//! vector, in parallel when large. f16/bf16 compute through f32.

use std::mem::MaybeUninit;

use half::{bf16, f16};
use rayon::prelude::*;

use super::strided::{Rows, PAR_THRESHOLD};
use super::{float_only, map_storage, CpuStorage};
use crate::backend::BackendStorage;
use crate::with_dtype::i64_to_f32_round_odd;
use crate::{BinaryOp, CmpOp, DType, Error, Layout, Result, UnaryOp, WithDType};

/// A closure argument of the elementwise maps, forced inline: [`apply1`] holds two copies of
/// its loop (baseline and AVX2), and a large closure (GELU) called from two sites would
/// otherwise stay an out-of-line call per element, which defeats vectorisation.
macro_rules! inl {
    // An attribute on a closure is accepted in argument position (not on a bare expression),
    // hence the calls are part of the macro.
    (map1($src:expr, $layout:expr, $($closure:tt)*)) => {
        map1($src, $layout, #[inline(always)] $($closure)*)
    };
    (map2($a:expr, $la:expr, $b:expr, $lb:expr, $($closure:tt)*)) => {
        map2($a, $la, $b, $lb, #[inline(always)] $($closure)*)
    };
    (apply1($out:expr, $src:expr, $($closure:tt)*)) => {
        apply1($out, $src, &identity(#[inline(always)] $($closure)*))
    };
}

/// `f` itself; see [`inl`].
#[inline(always)]
fn identity<F>(f: F) -> F {
    f
}

/// Float element types the CPU computes in natively.
pub(crate) trait CpuFloat: num_traits::Float + WithDType + Default {
    /// The error function.
    fn erf(self) -> Self;
    /// eˣ as used inside fused activations: vectorisable for f32 (within 2 ulp), libm for f64.
    fn exp_fused(self) -> Self;
}

impl CpuFloat for f32 {
    #[inline(always)]
    fn erf(self) -> Self {
        super::fast_math::erf_f32(self)
    }
    #[inline(always)]
    fn exp_fused(self) -> Self {
        super::fast_math::exp_f32(self)
    }
}

impl CpuFloat for f64 {
    #[inline(always)]
    fn erf(self) -> Self {
        libm::erf(self)
    }
    #[inline(always)]
    fn exp_fused(self) -> Self {
        self.exp()
    }
}

/// Elements per rayon task for contiguous maps.
const CHUNK: usize = 1 << 14;

/// A vector of `n` elements, each chunk written by `f(first_index, chunk)`; parallel when large.
/// `f` must initialise every element of the chunk it is given.
fn fill<U: Send>(n: usize, f: impl Fn(usize, &mut [MaybeUninit<U>]) + Sync) -> Vec<U> {
    let mut out = Vec::with_capacity(n);
    let spare = &mut out.spare_capacity_mut()[..n];
    if n >= PAR_THRESHOLD {
        spare
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(i, c)| f(i * CHUNK, c));
    } else {
        f(0, spare);
    }
    // SAFETY: every chunk of the first `n` slots was initialised by `f` (its contract, upheld
    // by every caller in this module); `n <= capacity`.
    unsafe { out.set_len(n) };
    out
}

/// A vector with one row of `rows.inner_len` elements per row of `rows`, each row written by
/// `f(row_slice, offsets)`; parallel over rows when large. `f` must initialise the whole row.
fn fill_rows<const N: usize, U: Send>(
    rows: &Rows<N>,
    f: impl Fn(&mut [MaybeUninit<U>], [usize; N]) + Sync,
) -> Vec<U> {
    let len = rows.inner_len;
    let n = rows.n_rows * len;
    let mut out = Vec::with_capacity(n);
    if n > 0 {
        let spare = &mut out.spare_capacity_mut()[..n];
        let rows_per_task = if n >= PAR_THRESHOLD {
            (CHUNK / len).max(1)
        } else {
            rows.n_rows
        };
        let task = |(t, chunk): (usize, &mut [MaybeUninit<U>])| {
            let first = t * rows_per_task;
            let count = chunk.len() / len;
            rows.for_rows(first..first + count, |r, offs| {
                let i = (r - first) * len;
                f(&mut chunk[i..i + len], offs);
            });
        };
        if n >= PAR_THRESHOLD {
            spare
                .par_chunks_mut(rows_per_task * len)
                .enumerate()
                .for_each(task);
        } else {
            task((0, spare));
        }
    }
    // SAFETY: the row chunks tile the first `n` slots exactly and `f` initialised each row.
    unsafe { out.set_len(n) };
    out
}

/// `out[i] = f(src[i])`. A separate function so that the slices arrive as distinct
/// (noalias) arguments and the closure's captures stay in registers: the loop vectorises.
/// On x86-64 with AVX2 and FMA (detected at run time; the build targets baseline SSE2) the same
/// loop runs compiled for 256-bit vectors: the closure is inlined into the AVX2 copy. IEEE
/// results do not depend on the vector width (no FMA contraction), so both copies agree bit
/// for bit.
#[inline]
fn apply1<T: Copy, U>(out: &mut [MaybeUninit<U>], src: &[T], f: &impl Fn(T) -> U) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { apply1_avx2(out, src, f) };
        return;
    }
    apply1_portable(out, src, f);
}

#[inline(always)]
fn apply1_portable<T: Copy, U>(out: &mut [MaybeUninit<U>], src: &[T], f: &impl Fn(T) -> U) {
    for (o, &x) in out.iter_mut().zip(src) {
        o.write(f(x));
    }
}

/// [`apply1_portable`] compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn apply1_avx2<T: Copy, U>(out: &mut [MaybeUninit<U>], src: &[T], f: &impl Fn(T) -> U) {
    apply1_portable(out, src, f);
}

/// Whether this x86-64 CPU has AVX2 and FMA (cached by std after the first query).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn avx2_fma() -> bool {
    #[cfg(test)]
    if tests::FORCE_PORTABLE.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// `out[i] = f(a[i], b[i])`, as [`apply1`].
#[inline]
fn apply2<T: Copy, V: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    b: &[V],
    f: &impl Fn(T, V) -> U,
) {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        unsafe { apply2_avx2(out, a, b, f) };
        return;
    }
    apply2_portable(out, a, b, f);
}

#[inline(always)]
fn apply2_portable<T: Copy, V: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    b: &[V],
    f: &impl Fn(T, V) -> U,
) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        o.write(f(x, y));
    }
}

/// [`apply2_portable`] compiled with AVX2 and FMA enabled.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn apply2_avx2<T: Copy, V: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    b: &[V],
    f: &impl Fn(T, V) -> U,
) {
    apply2_portable(out, a, b, f);
}

/// `f` applied to each element of `layout` over `src`.
pub(super) fn map1<T: Copy + Sync, U: Send>(
    src: &[T],
    layout: &Layout,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    if let Some((a, b)) = layout.contiguous_offsets() {
        let s = &src[a..b];
        return fill(s.len(), |start, out| {
            let n = out.len();
            apply1(out, &s[start..start + n], &f);
        });
    }
    let rows = Rows::new(layout.dims(), [(layout.strides(), layout.start_offset())]);
    let st = rows.inner_stride[0];
    fill_rows(&rows, |out, [o]| {
        if st == 1 {
            let n = out.len();
            apply1(out, &src[o..o + n], &f);
        } else {
            for (j, d) in out.iter_mut().enumerate() {
                d.write(f(src[o + j * st]));
            }
        }
    })
}

/// `f` applied elementwise to two operands of one (broadcast) shape.
pub(super) fn map2<T: Copy + Sync, V: Copy + Sync, U: Send>(
    a: &[T],
    la: &Layout,
    b: &[V],
    lb: &Layout,
    f: impl Fn(T, V) -> U + Sync,
) -> Vec<U> {
    if let (Some((a0, a1)), Some((b0, b1))) = (la.contiguous_offsets(), lb.contiguous_offsets()) {
        let (sa, sb) = (&a[a0..a1], &b[b0..b1]);
        return fill(sa.len(), |start, out| {
            let n = out.len();
            apply2(out, &sa[start..start + n], &sb[start..start + n], &f);
        });
    }
    let rows = Rows::new(
        la.dims(),
        [
            (la.strides(), la.start_offset()),
            (lb.strides(), lb.start_offset()),
        ],
    );
    let [sa, sb] = rows.inner_stride;
    fill_rows(&rows, |out, [oa, ob]| {
        let n = out.len();
        match (sa, sb) {
            (1, 1) => apply2(out, &a[oa..oa + n], &b[ob..ob + n], &f),
            (1, 0) => {
                let y = b[ob];
                inl!(apply1(out, &a[oa..oa + n], |x| f(x, y)));
            }
            (0, 1) => {
                let x = a[oa];
                inl!(apply1(out, &b[ob..ob + n], |y| f(x, y)));
            }
            _ => {
                for (j, d) in out.iter_mut().enumerate() {
                    d.write(f(a[oa + j * sa], b[ob + j * sb]));
                }
            }
        }
    })
}

/// `f` applied elementwise to three operands of one (broadcast) shape.
fn map3<T: Copy + Sync, V: Copy + Sync, W: Copy + Sync, U: Send>(
    ops: (&[T], &Layout),
    ops2: (&[V], &Layout),
    ops3: (&[W], &Layout),
    f: impl Fn(T, V, W) -> U + Sync,
) -> Vec<U> {
    let ((a, la), (b, lb), (c, lc)) = (ops, ops2, ops3);
    let rows = Rows::new(
        la.dims(),
        [
            (la.strides(), la.start_offset()),
            (lb.strides(), lb.start_offset()),
            (lc.strides(), lc.start_offset()),
        ],
    );
    let [sa, sb, sc] = rows.inner_stride;
    fill_rows(&rows, |out, [oa, ob, oc]| {
        for (j, d) in out.iter_mut().enumerate() {
            d.write(f(a[oa + j * sa], b[ob + j * sb], c[oc + j * sc]));
        }
    })
}

/// The elements of `layout` copied out in logical order.
pub(super) fn gather_layout<T: Copy + Send + Sync>(src: &[T], layout: &Layout) -> Vec<T> {
    match layout.contiguous_offsets() {
        Some((a, b)) => src[a..b].to_vec(),
        None => map1(src, layout, |x| x),
    }
}

/// Conversion to `dtype`, correctly rounded: through f64 (exact) for every source but i64, whose
/// values beyond 2⁵³ would be rounded twice that way; i64 goes to f32 directly and to f16/bf16
/// through f32 rounded to odd.
pub(super) fn cast(s: &CpuStorage, layout: &Layout, dtype: DType) -> CpuStorage {
    if let CpuStorage::I64(v) = s {
        match dtype {
            DType::F32 => return CpuStorage::F32(map1(v, layout, |x| x as f32)),
            DType::F16 => {
                return CpuStorage::F16(map1(v, layout, |x| f16::from_f32(i64_to_f32_round_odd(x))))
            }
            DType::BF16 => {
                return CpuStorage::BF16(map1(v, layout, |x| {
                    bf16::from_f32(i64_to_f32_round_odd(x))
                }))
            }
            DType::F64 | DType::U8 | DType::I64 => {}
        }
    }
    fn to<T: WithDType, U: WithDType>(v: &[T], l: &Layout) -> CpuStorage {
        U::into_storage(map1(v, l, |x| U::from_f64(x.to_f64())))
    }
    fn conv<T: WithDType>(v: &[T], l: &Layout, dtype: DType) -> CpuStorage {
        if T::DTYPE == dtype {
            return T::into_storage(gather_layout(v, l));
        }
        match dtype {
            DType::F16 => to::<T, f16>(v, l),
            DType::BF16 => to::<T, bf16>(v, l),
            DType::F32 if matches!(T::DTYPE, DType::F16 | DType::BF16) => {
                CpuStorage::F32(map1(v, l, |x| x.to_f32()))
            }
            DType::F32 => to::<T, f32>(v, l),
            DType::F64 => to::<T, f64>(v, l),
            DType::U8 => to::<T, u8>(v, l),
            DType::I64 => to::<T, i64>(v, l),
        }
    }
    map_storage!(s, v => conv(v, layout, dtype))
}

/// Runs a float computation natively for f32/f64 and through f32 for f16/bf16.
macro_rules! float_dispatch {
    ($s:expr, $op:expr, |$v:ident, $l:ident| $body:expr, $layout:expr) => {{
        let layout: &Layout = $layout;
        match $s {
            CpuStorage::F32($v) => {
                let $l = layout;
                Ok(CpuStorage::F32($body))
            }
            CpuStorage::F64($v) => {
                let $l = layout;
                Ok(CpuStorage::F64($body))
            }
            CpuStorage::F16(h) => {
                let tmp = map1(h, layout, f32::from);
                let $v = &tmp[..];
                let $l = &Layout::contiguous(layout.shape().clone());
                let out: Vec<f32> = $body;
                Ok(CpuStorage::F16(
                    out.into_iter().map(f16::from_f32).collect(),
                ))
            }
            CpuStorage::BF16(h) => {
                let tmp = map1(h, layout, f32::from);
                let $v = &tmp[..];
                let $l = &Layout::contiguous(layout.shape().clone());
                let out: Vec<f32> = $body;
                Ok(CpuStorage::BF16(
                    out.into_iter().map(bf16::from_f32).collect(),
                ))
            }
            s @ (CpuStorage::U8(_) | CpuStorage::I64(_)) => Err(float_only($op, s.dtype())),
        }
    }};
}

pub(super) fn unary(s: &CpuStorage, layout: &Layout, op: UnaryOp) -> Result<CpuStorage> {
    float_dispatch!(s, op.name(), |v, l| unary_float(v, l, op), layout)
}

fn unary_float<T: CpuFloat>(v: &[T], l: &Layout, op: UnaryOp) -> Vec<T> {
    let c = T::from_f64;
    let (zero, one, half) = (T::zero(), T::one(), c(0.5));
    match op {
        UnaryOp::Neg => inl!(map1(v, l, move |x| -x)),
        UnaryOp::Abs => inl!(map1(v, l, move |x| x.abs())),
        UnaryOp::Exp => inl!(map1(v, l, move |x| x.exp())),
        UnaryOp::Log => inl!(map1(v, l, move |x| x.ln())),
        UnaryOp::Sqrt => inl!(map1(v, l, move |x| x.sqrt())),
        UnaryOp::Square => inl!(map1(v, l, move |x| x * x)),
        UnaryOp::Recip => inl!(map1(v, l, move |x| one / x)),
        UnaryOp::Powf(p) => {
            let p = c(p);
            inl!(map1(v, l, move |x| x.powf(p)))
        }
        UnaryOp::Sin => inl!(map1(v, l, move |x| x.sin())),
        UnaryOp::Cos => inl!(map1(v, l, move |x| x.cos())),
        UnaryOp::Tanh => inl!(map1(v, l, move |x| x.tanh())),
        UnaryOp::Sigmoid => inl!(map1(v, l, move |x| one / (one + (-x).exp()))),
        UnaryOp::Relu => inl!(map1(v, l, move |x| if x < zero { zero } else { x })),
        UnaryOp::LeakyRelu(a) => {
            let a = c(a);
            inl!(map1(v, l, move |x| if x < zero { a * x } else { x }))
        }
        UnaryOp::LeakyReluGrad(a) => {
            // Exactly mask·(1 − α) + α for mask ∈ {0, 1}.
            let (m, a) = (c(1.0 - a), c(a));
            let (hi, lo) = (one * m + a, zero * m + a);
            inl!(map1(v, l, move |x| if x > zero { hi } else { lo }))
        }
        UnaryOp::GeluTanh => {
            let k = c((2.0 / std::f64::consts::PI).sqrt());
            let a = c(0.044715);
            inl!(map1(v, l, move |x| half
                * x
                * (one + (k * (x + a * x * x * x)).tanh())))
        }
        UnaryOp::GeluErf => {
            let r = c(std::f64::consts::FRAC_1_SQRT_2);
            inl!(map1(v, l, move |x| half * x * (one + (x * r).erf())))
        }
        UnaryOp::GeluErfGrad => {
            let r = c(std::f64::consts::FRAC_1_SQRT_2);
            let k = c(0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
            let mhalf = c(-0.5);
            inl!(map1(v, l, move |x| half * (one + (x * r).erf())
                + x * k * (mhalf * x * x).exp_fused()))
        }
        UnaryOp::Erf => inl!(map1(v, l, move |x| x.erf())),
        UnaryOp::Softplus => {
            let threshold = c(20.0);
            inl!(map1(v, l, move |x| if x > threshold {
                x
            } else {
                x.exp().ln_1p()
            }))
        }
        UnaryOp::Sign => inl!(map1(v, l, move |x| {
            if x > zero {
                one
            } else if x < zero {
                -one
            } else {
                x
            }
        })),
        UnaryOp::Affine { mul, add } => {
            let (m, a) = (c(mul), c(add));
            inl!(map1(v, l, move |x| x * m + a))
        }
    }
}

fn same_dtype(op: &'static str, a: &CpuStorage, b: &CpuStorage) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::DTypeMismatch {
            op,
            lhs: a.dtype(),
            rhs: b.dtype(),
        });
    }
    Ok(())
}

pub(super) fn binary(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: BinaryOp,
) -> Result<CpuStorage> {
    same_dtype(op.name(), a, b)?;
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => {
            Ok(CpuStorage::F32(binary_float(x, la, y, lb, op)))
        }
        (CpuStorage::F64(x), CpuStorage::F64(y)) => {
            Ok(CpuStorage::F64(binary_float(x, la, y, lb, op)))
        }
        (CpuStorage::F16(_), _) | (CpuStorage::BF16(_), _) => {
            let (x, y) = (cast(a, la, DType::F32), cast(b, lb, DType::F32));
            let shape = la.shape().clone();
            let l = Layout::contiguous(shape);
            let out = binary(&x, &l, &y, &l, op)?;
            Ok(cast(&out, &l, a.dtype()))
        }
        _ => Err(float_only(op.name(), a.dtype())),
    }
}

fn binary_float<T: CpuFloat>(a: &[T], la: &Layout, b: &[T], lb: &Layout, op: BinaryOp) -> Vec<T> {
    match op {
        BinaryOp::Add => inl!(map2(a, la, b, lb, move |x, y| x + y)),
        BinaryOp::Sub => inl!(map2(a, la, b, lb, move |x, y| x - y)),
        BinaryOp::Mul => inl!(map2(a, la, b, lb, move |x, y| x * y)),
        BinaryOp::Div => inl!(map2(a, la, b, lb, move |x, y| x / y)),
        BinaryOp::Pow => inl!(map2(a, la, b, lb, move |x, y| x.powf(y))),
        BinaryOp::Maximum => inl!(map2(a, la, b, lb, move |x, y| if x.is_nan() || x > y {
            x
        } else {
            y
        })),
        BinaryOp::Minimum => inl!(map2(a, la, b, lb, move |x, y| if x.is_nan() || x < y {
            x
        } else {
            y
        })),
    }
}

pub(super) fn cmp(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: CmpOp,
) -> Result<CpuStorage> {
    same_dtype(op.name(), a, b)?;
    fn go<T: WithDType>(x: &[T], la: &Layout, y: &[T], lb: &Layout, op: CmpOp) -> Vec<u8> {
        match op {
            CmpOp::Eq => map2(x, la, y, lb, |p, q| u8::from(p == q)),
            CmpOp::Ne => map2(x, la, y, lb, |p, q| u8::from(p != q)),
            CmpOp::Lt => map2(x, la, y, lb, |p, q| u8::from(p < q)),
            CmpOp::Le => map2(x, la, y, lb, |p, q| u8::from(p <= q)),
            CmpOp::Gt => map2(x, la, y, lb, |p, q| u8::from(p > q)),
            CmpOp::Ge => map2(x, la, y, lb, |p, q| u8::from(p >= q)),
        }
    }
    let out = map_storage!(a, x => go(x, la, WithDType::slice(b).expect("dtype checked"), lb, op));
    Ok(CpuStorage::U8(out))
}

pub(super) fn where_cond(
    cond: &CpuStorage,
    lc: &Layout,
    t: &CpuStorage,
    lt: &Layout,
    f: &CpuStorage,
    lf: &Layout,
) -> Result<CpuStorage> {
    same_dtype("where", t, f)?;
    let c = cond.as_slice::<u8>("where (condition must be u8)")?;
    Ok(map_storage!(t, x => {
        let y = WithDType::slice(f).expect("dtype checked");
        WithDType::into_storage(map3((c, lc), (&x[..], lt), (y, lf), |m, p, q| if m != 0 { p } else { q }))
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// Makes [`avx2_fma`] answer false (other tests running meanwhile only take the portable
    /// copy, which must give the same bits anyway).
    pub(super) static FORCE_PORTABLE: AtomicBool = AtomicBool::new(false);

    fn inputs<T: CpuFloat>() -> Vec<T> {
        // Spread over the ranges where the ops differ in behaviour, plus specials.
        let mut v: Vec<T> = (0..4099)
            .map(|i| T::from_f64(-9.0 + 18.0 * ((i * 7919) % 4099) as f64 / 4099.0))
            .collect();
        for x in [
            0.0,
            -0.0,
            1e-30,
            25.0,
            -25.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            v.push(T::from_f64(x));
        }
        v
    }

    fn ops() -> Vec<UnaryOp> {
        use UnaryOp::*;
        vec![
            Neg,
            Abs,
            Exp,
            Log,
            Sqrt,
            Square,
            Recip,
            Powf(1.5),
            Sin,
            Cos,
            Tanh,
            Sigmoid,
            Relu,
            LeakyRelu(0.1),
            LeakyReluGrad(0.1),
            GeluTanh,
            GeluErf,
            GeluErfGrad,
            Erf,
            Softplus,
            Sign,
            Affine {
                mul: 1.5,
                add: -0.25,
            },
        ]
    }

    fn bits<T: CpuFloat>(v: &[T]) -> Vec<u64> {
        v.iter().map(|x| WithDType::to_f64(*x).to_bits()).collect()
    }

    fn both_paths<R>(f: impl Fn() -> R) -> (R, R) {
        FORCE_PORTABLE.store(false, Ordering::Relaxed);
        let wide = f();
        FORCE_PORTABLE.store(true, Ordering::Relaxed);
        let portable = f();
        FORCE_PORTABLE.store(false, Ordering::Relaxed);
        (wide, portable)
    }

    fn check_type<T: CpuFloat>() {
        let x = inputs::<T>();
        let y: Vec<T> = x.iter().rev().copied().collect();
        let l = Layout::contiguous(crate::Shape::from(vec![x.len()]));
        for op in ops() {
            let (a, b) = both_paths(|| bits(&unary_float(&x, &l, op)));
            assert_eq!(
                a,
                b,
                "{op:?} on {:?}: AVX2 and portable loops differ",
                T::DTYPE
            );
        }
        use BinaryOp::*;
        for op in [Add, Sub, Mul, Div, Pow, Maximum, Minimum] {
            let (a, b) = both_paths(|| bits(&binary_float(&x, &l, &y, &l, op)));
            assert_eq!(
                a,
                b,
                "{op:?} on {:?}: AVX2 and portable loops differ",
                T::DTYPE
            );
        }
    }

    #[test]
    fn avx2_and_portable_loops_agree_bit_for_bit() {
        check_type::<f32>();
        check_type::<f64>();
    }
}
