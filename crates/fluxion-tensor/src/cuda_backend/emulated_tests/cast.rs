//! `cast.cu` against the CPU's `to_dtype`, every dtype pair, bit for bit.

use super::*;

// ---------------------------------------------------------------------------------------------
// cast.cu

/// The f32 values halfway between consecutive f16 and bf16 values near `x` (exact in f32), and
/// their neighbours: where round-to-nearest-even decides.
fn narrow_ties_f32(rng: &mut Rng, count: usize) -> Vec<f32> {
    let mut v = Vec::new();
    for _ in 0..count {
        let h = f16::from_bits((rng.next() as u16) & 0x7bff);
        let mid = (h.to_f32() + f16::from_bits(h.to_bits() + 1).to_f32()) / 2.0;
        let b = bf16::from_bits((rng.next() as u16) & 0x7f7f);
        let bmid = (b.to_f32() + bf16::from_bits(b.to_bits() + 1).to_f32()) / 2.0;
        for m in [mid, bmid, -mid, -bmid] {
            v.extend([
                m,
                f32::from_bits(m.to_bits() + 1),
                f32::from_bits(m.to_bits() - 1),
            ]);
        }
    }
    v
}

/// Source values for every cast from `dtype`: all bit patterns of the 8- and 16-bit types; for
/// the others signed zeros, subnormals, infinities, NaNs with payloads, rounding ties of every
/// narrower float type, the saturation boundaries of u8 and i64, and random bit patterns.
fn cast_inputs(dtype: DType) -> CpuStorage {
    let mut rng = Rng(51);
    match dtype {
        DType::F16 => CpuStorage::F16((0..=u16::MAX).map(f16::from_bits).collect()),
        DType::BF16 => CpuStorage::BF16((0..=u16::MAX).map(bf16::from_bits).collect()),
        DType::U8 => CpuStorage::U8((0..=u8::MAX).collect()),
        DType::F32 => {
            let mut v: Vec<f32> = [
                0x0000_0000u32,
                0x8000_0000,
                0x0000_0001, // subnormals
                0x807f_ffff,
                0x7f80_0000, // infinities
                0xff80_0000,
                0x7fc0_0000, // NaNs: quiet, signalling, with payloads, negative
                0x7f80_0001,
                0x7fbf_ffff,
                0xffc0_1234,
                0x7f7f_ffff, // f32::MAX
                0x3380_0000, // 2^-24: f16's smallest subnormal
                0x3300_0000, // 2^-25: ties to 0 in f16
                0x3300_0001,
                0x3340_0000, // 1.5 * 2^-25
                0x477f_f000, // 65520: ties to inf in f16
                0x477f_efff,
            ]
            .map(f32::from_bits)
            .to_vec();
            v.extend([
                255.0f32,
                255.5,
                256.0,
                254.99998,
                -0.5,
                -1.0,
                0.99999994,
                9.223_372e18, // 2^63
                9.223_371_5e18,
                -9.223_372e18,
                -9.223_373e18,
                1e19,
                -1e30,
            ]);
            v.extend(narrow_ties_f32(&mut rng, 2000));
            v.extend((0..20_000).map(|_| f32::from_bits(rng.next() as u32)));
            v.extend((0..5_000).map(|_| rng.uniform(-70_000.0, 70_000.0) as f32));
            CpuStorage::F32(v)
        }
        DType::F64 => {
            let mut v: Vec<f64> = [
                0x0000_0000_0000_0000u64,
                0x8000_0000_0000_0000,
                0x0000_0000_0000_0001,
                0x800f_ffff_ffff_ffff,
                0x7ff0_0000_0000_0000,
                0xfff0_0000_0000_0000,
                0x7ff8_0000_0000_0000,
                0x7ff0_0000_0000_0001,
                0x7ff4_0000_0000_0000,
                0xfffc_0000_dead_beef,
                0x7fef_ffff_ffff_ffff,
            ]
            .map(f64::from_bits)
            .to_vec();
            v.extend([
                2f64.powi(-25), // f16 ties around the subnormals
                2f64.powi(-25) * (1.0 + f64::EPSILON),
                3.0 * 2f64.powi(-25),
                65520.0,
                65519.999,
                2f64.powi(-150),       // f32 subnormal tie
                2f64.powi(-134),       // bf16 subnormal tie
                3.4028235677973366e38, // rounds to f32::MAX or inf
                255.0,
                255.999_999,
                256.0,
                254.5,
                -0.99,
                9_223_372_036_854_775_808.0, // 2^63
                9_223_372_036_854_774_784.0, // the f64 below 2^63
                -9_223_372_036_854_775_808.0,
                -9_223_372_036_854_777_856.0,
                1e19,
                -1e19,
                4_503_599_627_370_495.5,
            ]);
            // Ties of f32, f16 and bf16 (exact in f64), and their neighbours.
            for x in narrow_ties_f32(&mut rng, 1000) {
                v.push(f64::from(x));
            }
            for _ in 0..3000 {
                let x = f32::from_bits((rng.next() as u32) & 0x7f7f_ffff);
                let mid = (f64::from(x) + f64::from(f32::from_bits(x.to_bits() + 1))) / 2.0;
                v.extend([
                    mid,
                    -mid,
                    f64::from_bits(mid.to_bits() + 1),
                    f64::from_bits(mid.to_bits() - 1),
                ]);
            }
            v.extend((0..20_000).map(|_| f64::from_bits(rng.next())));
            v.extend((0..5_000).map(|_| rng.uniform(-70_000.0, 70_000.0)));
            v.extend((0..2_000).map(|_| rng.uniform(-1e-4, 1e-4)));
            CpuStorage::F64(v)
        }
        DType::I64 => {
            let mut v: Vec<i64> = vec![
                0,
                1,
                -1,
                255,
                256,
                -255,
                i64::MIN,
                i64::MIN + 1,
                i64::MAX,
                (1 << 24) + 1, // f32 ties
                (1 << 24) + 3,
                (1 << 53) + 1,
                (1 << 53) + 3,
                (1 << 40) + (1 << 16),
                (1 << 40) + (1 << 16) + 1,
                (1 << 40) + 3 * (1 << 16),
                2049, // f16 ties
                2051,
                65519,
                65520,
                257, // bf16 ties
                259,
                (1 << 62) + (1 << 54),
                (1 << 62) + (1 << 54) + 1,
                -((1 << 62) + (1 << 38)),
            ];
            v.extend((0..5_000).map(|_| rng.next() as i64));
            v.extend((0..5_000).map(|_| (rng.next() as i64) >> 32));
            v.extend((0..5_000).map(|_| (rng.next() as i64) >> 3));
            CpuStorage::I64(v)
        }
    }
}

#[test]
fn emulated_casts_match_the_cpu_bit_for_bit_for_every_dtype_pair() {
    let Some(m) = require_or_skip(Id::Cast) else {
        return;
    };
    for src in DType::ALL {
        let input = cast_inputs(src);
        let n = input.len();
        let l = Layout::contiguous([n]);
        for dst in DType::ALL {
            if dst == src {
                continue; // cast.rs copies instead
            }
            let want = input.to_dtype(&l, dst).unwrap();
            let name = format!("cast_{}_{}", src.as_str(), dst.as_str());
            for cfg in configs(n) {
                // Packed as cast.rs `launch`: (out, in, n).
                let mut din = DevBuf::upload(&input);
                let mut out = DevBuf::poisoned(n, dst);
                let (pi, po) = (din.ptr(), out.ptr());
                // SAFETY: `din` holds n source elements, `out` n destination elements.
                unsafe { run(&m, &name, cfg, &kernel_args![&po, &pi, &n]) };
                check(
                    &format!("{name} {cfg:?}"),
                    &out.download(),
                    &want,
                    Nan::Bits,
                    None,
                );
            }
        }
    }
}
