//! `cmatmul.cu` against the kernel's host reference loop (`testing::complex_matmul_reference`,
//! the same order of separately rounded operations: bit for bit) and against the CPU backend's
//! `complex_matmul` (gemm, to rounding), for every conjugation, f32 and f64, on the views FNO's
//! three products use (transposes, a broadcast batch, planar re/im, an offset start).

use super::*;
use crate::cuda_backend::cmatmul::operand_strides;
use crate::random::Generator;
use crate::testing::complex_matmul_reference;
use crate::{Device, Storage, Tensor};

/// The whole buffer behind `t` (not just its view) and its layout.
fn buffer(t: &Tensor) -> (CpuStorage, Layout) {
    match &*t.storage() {
        Storage::Cpu(c) => (c.clone(), t.layout().clone()),
        #[allow(unreachable_patterns)]
        _ => unreachable!("CPU tensors"),
    }
}

/// `cmatmul_{dtype}` per cmatmul.cu's ABI, packed as cuda_backend/cmatmul.rs `typed` packs it:
/// each operand's buffer offset to its view's start, with `operand_strides` of its layout.
fn emulate(m: &HostModule, a: &Tensor, b: &Tensor, conj: [bool; 2], cfg: (u32, u32)) -> CpuStorage {
    let ((sa_buf, la), (sb_buf, lb)) = (buffer(a), buffer(b));
    let (sa, sb) = (
        operand_strides(&la).expect("a batch that collapses"),
        operand_strides(&lb).expect("a batch that collapses"),
    );
    let r = la.dims().len();
    let (rows, inner, cols) = (la.dims()[r - 3], la.dims()[r - 2], lb.dims()[r - 2]);
    let batch: usize = la.dims()[..r - 3].iter().product();
    let dtype = a.dtype();
    let mut out = DevBuf::poisoned(2 * batch * rows * cols, dtype);
    let (mut ab, mut bb) = (DevBuf::upload(&sa_buf), DevBuf::upload(&sb_buf));
    let size = dtype.size_in_bytes();
    // SAFETY: the start offsets lie inside the uploaded buffers (the layouts are views of them).
    let (pa, pb) = unsafe {
        (
            ab.ptr()
                .cast::<u8>()
                .add(la.start_offset() * size)
                .cast::<c_void>(),
            bb.ptr()
                .cast::<u8>()
                .add(lb.start_offset() * size)
                .cast::<c_void>(),
        )
    };
    let po = out.ptr();
    let (conj_a, conj_b) = (i32::from(conj[0]), i32::from(conj[1]));
    let name = format!("cmatmul_{}", dtype.as_str());
    let args = kernel_args![
        &po, &pa, &pb, &batch, &rows, &cols, &inner, &sa[0], &sa[1], &sa[2], &sa[3], &sb[0],
        &sb[1], &sb[2], &sb[3], &conj_a, &conj_b
    ];
    // SAFETY: the views' strides address only elements of the uploaded buffers; `out` holds
    // 2·batch·rows·cols elements.
    unsafe { run(m, &name, cfg, &args) };
    out.download()
}

/// max |t| (0 for an empty tensor).
fn max_abs(t: &Tensor) -> f64 {
    let v = t.to_dtype(DType::F64).unwrap().to_vec::<f64>().unwrap();
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn rand(dims: &[usize], dtype: DType, seed: u64) -> Tensor {
    Tensor::randn(
        0.0,
        1.0,
        dims,
        dtype,
        &Device::Cpu,
        &mut Generator::new(seed),
    )
    .unwrap()
}

#[test]
fn emulated_cmatmul_matches_the_reference_loop_bit_for_bit() {
    let Some(m) = require_or_skip(Id::CMatMul) else {
        return;
    };
    for dtype in [DType::F32, DType::F64] {
        let r = |dims: &[usize], seed| rand(dims, dtype, seed);
        // FNO-1d at small size: x̂ [M, B, C_in], W [M, C_in, C_out] as the layer's views.
        let x = r(&[3, 5, 4, 2], 1).permute(&[1, 0, 2, 3]).unwrap(); // [B, M, C] → [M, B, C]
        let w = r(&[4, 6, 5, 2], 2).permute(&[2, 0, 1, 3]).unwrap(); // [Ci, Co, M] → [M, Ci, Co]
        let g = r(&[5, 3, 6, 2], 3); // ĝ [M, B, C_out]
        let cases: Vec<(&str, Tensor, Tensor)> = vec![
            ("contiguous", r(&[3, 7, 9, 2], 4), r(&[3, 9, 5, 2], 5)),
            ("forward x̂·W", x.clone(), w.clone()),
            (
                "input gradient ĝ·Wᵀ",
                g.clone(),
                w.permute(&[0, 2, 1, 3]).unwrap(),
            ),
            ("weight gradient x̂ᵀ·ĝ", x.permute(&[0, 2, 1, 3]).unwrap(), g),
            (
                "broadcast rhs batch",
                r(&[4, 3, 6, 2], 6),
                r(&[1, 6, 2, 2], 7).broadcast_to([4, 6, 2, 2]).unwrap(),
            ),
            (
                "planar pairs, offset start",
                r(&[2, 3, 5, 4], 8).permute(&[1, 2, 3, 0]).unwrap(),
                r(&[3, 9, 6, 2], 9).narrow(1, 5, 4).unwrap(),
            ),
            ("inner length 0", r(&[2, 3, 0, 2], 10), r(&[2, 0, 4, 2], 11)),
        ];
        for (what, a, b) in &cases {
            for conj in [[false, false], [true, false], [false, true], [true, true]] {
                let want = complex_matmul_reference(a, b, conj[0], conj[1]).unwrap();
                let gemm = a.complex_matmul(b, conj[0], conj[1]).unwrap();
                let n = want.elem_count() / 2;
                for cfg in configs(n) {
                    let got = emulate(&m, a, b, conj, cfg);
                    let label = format!("cmatmul_{dtype} {what}, conj {conj:?}, launch {cfg:?}");
                    check(&label, &got, &buffer(&want).0, Nan::Bits, None);
                    // And the CPU backend to rounding: 2(k + 2)·eps per unit of Σ|a||b| (the
                    // bound of tests/complex_matmul.rs), with Σ|a||b| ≤ 2·k·max|a|·max|b|.
                    let k = a.dims()[a.rank() - 2] as f64;
                    let (amax, bmax) = (max_abs(a), max_abs(b));
                    let eps = if dtype == DType::F32 {
                        f64::from(f32::EPSILON)
                    } else {
                        f64::EPSILON
                    };
                    let tol = 2.0 * (k + 2.0) * eps * 2.0 * k * amax * bmax;
                    let tol = move |_: usize, _: f64| tol;
                    check(
                        &format!("{label} against the CPU backend"),
                        &got,
                        &buffer(&gemm.contiguous().unwrap()).0,
                        Nan::Any,
                        Some(&tol),
                    );
                }
            }
        }
    }
}
