//! `philox.cu` against the CPU's Philox stream (`crate::random`).

use super::*;

// ---------------------------------------------------------------------------------------------
// philox.cu

/// (seed, offset, n): n not a multiple of 4 (or 2), a counter that wraps around 2^64, and one
/// that carries into its high 32-bit word.
const PHILOX_CASES: [(u64, u64, usize); 5] = [
    (0, 0, 1),
    (42, 0, 7),
    (0xDEAD_BEEF_0123_4567, 5, 1001),
    (u64::MAX, u64::MAX - 2, 13),
    (7, (1 << 32) - 3, 64),
];

/// `rand_{kind}_{dtype}` per philox.cu's ABI: (out, n, seed, offset, a, b).
fn emulate_philox<T: WithDType>(
    m: &HostModule,
    name: &str,
    (seed, offset, n): (u64, u64, usize),
    (a, b): (T, T),
    cfg: (u32, u32),
) -> CpuStorage {
    let mut out = DevBuf::poisoned(n, T::DTYPE);
    let po = out.ptr();
    // SAFETY: `out` holds n elements of T.
    unsafe { run(m, name, cfg, &kernel_args![&po, &n, &seed, &offset, &a, &b]) };
    out.download()
}

#[test]
fn emulated_philox_uniforms_match_the_cpu_bit_for_bit() {
    let Some(m) = require_or_skip(Id::Philox) else {
        return;
    };
    // Ranges: ordinary, one ulp wide (lo + span·u rounds up to hi half the time, which the
    // kernels map to the value below hi), empty, and one whose span overflows to inf.
    let one_up32 = f32::from_bits(1f32.to_bits() + 1);
    let one_up64 = f64::from_bits(1f64.to_bits() + 1);
    let r32 = [
        (0.0, 1.0),
        (-3.0, 5.0),
        (1.0, one_up32),
        (2.0, 2.0),
        (-3e38, 3e38),
    ];
    let r64 = [
        (0.0, 1.0),
        (-3.0, 5.0),
        (1.0, one_up64),
        (2.0, 2.0),
        (-1e308, 1e308),
    ];
    for case in PHILOX_CASES {
        let (seed, offset, n) = case;
        for cfg in configs(n) {
            for (lo, hi) in r32 {
                let want = CpuStorage::F32(crate::random::uniform_f32(n, seed, offset, lo, hi));
                let got = emulate_philox(&m, "rand_uniform_f32", case, (lo, hi), cfg);
                let what = format!("rand_uniform_f32 {case:?} [{lo}, {hi}) {cfg:?}");
                check(&what, &got, &want, Nan::Bits, None);
            }
            for (lo, hi) in r64 {
                let want = CpuStorage::F64(crate::random::uniform_f64(n, seed, offset, lo, hi));
                let got = emulate_philox(&m, "rand_uniform_f64", case, (lo, hi), cfg);
                let what = format!("rand_uniform_f64 {case:?} [{lo}, {hi}) {cfg:?}");
                check(&what, &got, &want, Nan::Bits, None);
            }
        }
    }
}

/// Box-Muller's radius r = sqrt(-2 ln u1) for output element `i`, from the stream's words.
fn philox_radius(wide: bool, (seed, offset, _): (u64, u64, usize), i: usize) -> f64 {
    let u1 = if wide {
        let w = crate::random::block(seed, offset, (i / 2) as u64);
        let x = (u64::from(w[0]) << 32) | u64::from(w[1]);
        ((x >> 11) + 1) as f64 * 2f64.powi(-53)
    } else {
        let w = crate::random::block(seed, offset, (i / 4) as u64);
        f64::from((w[(i % 4) / 2 * 2] >> 8) + 1) * 2f64.powi(-24)
    };
    (-2.0 * u1.ln()).sqrt()
}

#[test]
fn emulated_philox_normals_match_the_cpu_within_a_few_ulp() {
    let Some(m) = require_or_skip(Id::Philox) else {
        return;
    };
    // The kernels take sin/cos(2π·u2) from sincospi(2·u2), with an exact argument; the CPU
    // from sin_cos(fl(2π)·u2), whose argument is off by |fl(2π) − 2π|·u2 plus the product's
    // rounding, together less than one ulp of 2π in the type (4.8e-7 in f32). That moves cos
    // and sin by as much in absolute terms, which std·r scales, and near a zero of cos or sin the
    // relative difference is unbounded, so "a few ulp of the value" cannot hold. The bound:
    // 2·ulp(2π)·std·r (the argument, plus the libm's log, sqrt, sin and cos within an ulp each)
    // and 4 ulp of the value (the final products and sum).
    let bound = |dtype: DType, std: f64, r: f64, w: f64| {
        4.0 * ulp(dtype, w) + 2.0 * ulp(dtype, std::f64::consts::TAU) * std.abs() * r
    };
    for case in PHILOX_CASES {
        let n = case.2;
        for cfg in configs(n) {
            for (mean, std) in [(0.0, 1.0), (3.0, 0.5), (-1e3, 1e-2)] {
                let (seed, offset) = (case.0, case.1);
                let want = CpuStorage::F32(crate::random::normal_f32(
                    n,
                    seed,
                    offset,
                    mean as f32,
                    std as f32,
                ));
                let got =
                    emulate_philox(&m, "rand_normal_f32", case, (mean as f32, std as f32), cfg);
                let tol =
                    |i: usize, w: f64| bound(DType::F32, std, philox_radius(false, case, i), w);
                let what = format!("rand_normal_f32 {case:?} ({mean}, {std}) {cfg:?}");
                check(&what, &got, &want, Nan::Bits, Some(&tol));

                let want = CpuStorage::F64(crate::random::normal_f64(n, seed, offset, mean, std));
                let got = emulate_philox(&m, "rand_normal_f64", case, (mean, std), cfg);
                let tol =
                    |i: usize, w: f64| bound(DType::F64, std, philox_radius(true, case, i), w);
                let what = format!("rand_normal_f64 {case:?} ({mean}, {std}) {cfg:?}");
                check(&what, &got, &want, Nan::Bits, Some(&tol));
            }
        }
    }
}
