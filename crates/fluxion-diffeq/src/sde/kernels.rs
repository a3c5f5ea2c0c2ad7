//! Fused elementwise passes of the `Vec<f64>` fast path, one copy per instruction set
//! (AVX-512, AVX2, baseline) chosen at run time like the normal generator (`normals.rs`).
//!
//! Each kernel computes exactly the operations, in the same order, of the generic
//! `OdeState::lin_comb` / `SdeState::mul_noise` sequence it replaces (no FMA contraction), so
//! the result has the same bits; it reads every operand once instead of once per term and
//! checks finiteness in the same pass.

/// Elements per block: a few operands of this length stay in L1.
const BLOCK: usize = 512;

/// `out = base + Σᵢ (h·cᵢ)·ksᵢ` with zero coefficients skipped (as `OdeState::lin_comb`),
/// returning whether every value is finite. `ks[i]` has at least `out.len()` values.
#[inline(always)]
fn comb_portable(out: &mut [f64], base: &[f64], h: f64, coeffs: &[f64], ks: &[&[f64]]) -> bool {
    let mut ok = true;
    for (b, o) in out.chunks_mut(BLOCK).enumerate() {
        let (start, end) = (b * BLOCK, b * BLOCK + o.len());
        let base = &base[start..end];
        let mut first = true;
        for (c, k) in coeffs.iter().zip(ks) {
            if *c == 0.0 {
                continue;
            }
            let s = h * c;
            let k = &k[start..end];
            if first {
                for ((o, bv), kv) in o.iter_mut().zip(base).zip(k) {
                    *o = bv + s * kv;
                }
                first = false;
            } else {
                for (o, kv) in o.iter_mut().zip(k) {
                    *o += s * kv;
                }
            }
        }
        if first {
            o.copy_from_slice(base);
        }
        for v in o.iter() {
            ok &= v.is_finite();
        }
    }
    ok
}

/// The Milstein update for noise weights per component (diagonal noise):
/// `out = ((y + h·f) + g) + ½·(gg′·(ΔW² − shift))`, returning whether it is finite.
#[inline(always)]
fn milstein_portable(
    out: &mut [f64],
    y: &[f64],
    h: f64,
    f: &[f64],
    g: &[f64],
    term: &[f64],
    dw: &[f64],
    shift: f64,
) -> bool {
    let mut ok = true;
    for (b, o) in out.chunks_mut(BLOCK).enumerate() {
        let (start, end) = (b * BLOCK, b * BLOCK + o.len());
        let it = o
            .iter_mut()
            .zip(&y[start..end])
            .zip(&f[start..end])
            .zip(&g[start..end])
            .zip(&term[start..end])
            .zip(&dw[start..end]);
        for (((((o, yv), fv), gv), tv), dv) in it {
            let w = dv * dv - shift;
            *o = ((yv + h * fv) + gv) + 0.5 * (tv * w);
        }
        for v in o.iter() {
            ok &= v.is_finite();
        }
    }
    ok
}

macro_rules! dispatched {
    ($(#[$doc:meta])* $name:ident, $portable:ident, $avx512:ident, $avx2:ident,
     ($($arg:ident: $ty:ty),*)) => {
        #[doc = concat!("`", stringify!($portable), "` compiled for AVX-512.")]
        ///
        /// # Safety
        /// The CPU must support AVX-512F/DQ/VL.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn $avx512($($arg: $ty),*) -> bool {
            $portable($($arg),*)
        }

        #[doc = concat!("`", stringify!($portable), "` compiled for AVX2.")]
        ///
        /// # Safety
        /// The CPU must support AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2($($arg: $ty),*) -> bool {
            $portable($($arg),*)
        }

        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(super) fn $name($($arg: $ty),*) -> bool {
            #[cfg(target_arch = "x86_64")]
            match super::normals::simd_level() {
                // SAFETY: `simd_level` checked that the CPU supports AVX-512F/DQ/VL.
                super::normals::SimdLevel::Avx512 => return unsafe { $avx512($($arg),*) },
                // SAFETY: `simd_level` checked that the CPU supports AVX2 and FMA.
                super::normals::SimdLevel::Avx2 => return unsafe { $avx2($($arg),*) },
                super::normals::SimdLevel::Portable => {}
            }
            $portable($($arg),*)
        }
    };
}

dispatched!(
    /// `out = base + Σᵢ (h·cᵢ)·ksᵢ` (zero coefficients skipped), and whether it is finite.
    comb_finite, comb_portable, comb_avx512, comb_avx2,
    (out: &mut [f64], base: &[f64], h: f64, coeffs: &[f64], ks: &[&[f64]])
);

dispatched!(
    /// `out = ((y + h·f) + g) + ½·(gg′·(ΔW² − shift))` elementwise, and whether it is finite.
    milstein_finite, milstein_portable, milstein_avx512, milstein_avx2,
    (out: &mut [f64], y: &[f64], h: f64, f: &[f64], g: &[f64], term: &[f64], dw: &[f64], shift: f64)
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sde::normals::tests::at_every_level;

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn fused_passes_match_the_term_by_term_reference_at_every_simd_level() {
        // 1300 values: two whole blocks and a remainder; seeded pseudo-random operands.
        let n = 1300;
        let v = |k: u64| -> Vec<f64> {
            (0..n as u64)
                .map(|i| ((i * 2654435761 + k * 97) % 1000) as f64 / 300.0 - 1.5)
                .collect()
        };
        let (base, k0, k1, k2, term, dw) = (v(1), v(2), v(3), v(4), v(5), v(6));
        let (h, coeffs) = (0.37, [1.3, 0.0, -0.6]);
        let mut reference = base.clone();
        for (c, k) in coeffs.iter().zip([&k0, &k1, &k2]) {
            if *c != 0.0 {
                let s = h * c;
                reference.iter_mut().zip(k).for_each(|(o, x)| *o += s * x);
            }
        }
        let combs = at_every_level(|| {
            let mut out = vec![f64::NAN; n];
            let ok = comb_finite(&mut out, &base, h, &coeffs, &[&k0, &k1, &k2]);
            (ok, out)
        });
        for (ok, out) in &combs {
            assert!(*ok && same_bits(out, &reference));
        }
        let shift = 0.01;
        let reference: Vec<f64> = (0..n)
            .map(|i| {
                let w = dw[i] * dw[i] - shift;
                let k2 = term[i] * w;
                ((base[i] + h * k0[i]) + k1[i]) + 0.5 * k2
            })
            .collect();
        let mils = at_every_level(|| {
            let mut out = vec![f64::NAN; n];
            let ok = milstein_finite(&mut out, &base, h, &k0, &k1, &term, &dw, shift);
            (ok, out)
        });
        for (ok, out) in &mils {
            assert!(*ok && same_bits(out, &reference));
        }
        // A non-finite value anywhere, including the remainder, is reported.
        for bad in [3, 700, n - 1] {
            let mut k = k0.clone();
            k[bad] = f64::INFINITY;
            let mut out = vec![0.0; n];
            assert!(!comb_finite(&mut out, &base, h, &coeffs, &[&k, &k1, &k2]));
            assert!(!milstein_finite(
                &mut out, &base, h, &k, &k1, &term, &dw, shift
            ));
        }
    }
}
