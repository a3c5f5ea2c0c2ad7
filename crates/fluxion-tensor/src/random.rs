//! Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
//! easy as 1, 2, 3", SC 2011), keyed by (seed, offset).
//!
//! The stream is defined so that a CUDA kernel produces the same numbers (`kernels/philox.cu`):
//! key = (seed mod 2³², seed >> 32); block j of a draw at `offset` encrypts the counter
//! (lo32(offset + j), hi32(offset + j), 0, 0) into four words w[4j..4j+4].
//!
//! - f32 uniform element i: u = (w[i] >> 8)·2⁻²⁴ ∈ [0, 1), value lo + (hi − lo)·u, or the
//!   largest value below hi (and not below lo) when that rounds up to hi.
//! - f64 uniform element i: u = ((w[2i] << 32 | w[2i+1]) >> 11)·2⁻⁵³, value as for f32.
//! - f32 normal pair (2p, 2p+1) from (w[2p], w[2p+1]): u₁ = ((w >> 8) + 1)·2⁻²⁴ ∈ (0, 1],
//!   u₂ = (w >> 8)·2⁻²⁴, r = √(−2 ln u₁), z = (r cos 2πu₂, r sin 2πu₂) (Box–Muller).
//! - f64 normal pair p from block p's four words, the 53-bit uniforms built as above.
//!
//! A draw of n f32 values uses ⌈n/4⌉ blocks, of n f64 values ⌈n/2⌉ blocks; [`Generator`]
//! advances its offset by that much, so consecutive draws never overlap.

use rayon::prelude::*;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The Philox4x32 bijection with 10 rounds: encrypts `ctr` under `key`.
///
/// ```
/// use fluxion_tensor::random::philox4x32_10;
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
#[inline]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = ctr;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        let p0 = u64::from(M0) * u64::from(c0);
        let p1 = u64::from(M1) * u64::from(c2);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        if round < 9 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
    }
    [c0, c1, c2, c3]
}

/// The four words of block `j` of the stream at (seed, offset).
#[inline]
pub fn block(seed: u64, offset: u64, j: u64) -> [u32; 4] {
    let c = offset.wrapping_add(j);
    philox4x32_10(
        [c as u32, (c >> 32) as u32, 0, 0],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// A seed and a position in its stream, advanced by every draw (like PyTorch's generator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    offset: u64,
}

impl Generator {
    /// A generator at the start of `seed`'s stream.
    pub fn new(seed: u64) -> Self {
        Self { seed, offset: 0 }
    }

    /// A generator at block `offset` of `seed`'s stream.
    pub fn with_offset(seed: u64, offset: u64) -> Self {
        Self { seed, offset }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next block to be used.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reserves `blocks` blocks and returns the offset of the first.
    pub fn advance(&mut self, blocks: u64) -> u64 {
        let o = self.offset;
        self.offset = self.offset.wrapping_add(blocks);
        o
    }
}

/// Blocks a draw of `n` values uses: 4 values per block for 32-bit types, 2 for f64.
pub fn blocks_for(n: usize, wide: bool) -> u64 {
    n.div_ceil(if wide { 2 } else { 4 }) as u64
}

const TWO_M24: f32 = 1.0 / (1u32 << 24) as f32;
const TWO_M53: f64 = 1.0 / (1u64 << 53) as f64;

#[inline(always)]
fn u24(w: u32) -> f32 {
    (w >> 8) as f32 * TWO_M24
}

#[inline(always)]
fn u53(hi: u32, lo: u32) -> f64 {
    (((u64::from(hi) << 32) | u64::from(lo)) >> 11) as f64 * TWO_M53
}

/// Fills `out` block by block: `f(block_words, chunk)` writes up to `per` values per block.
fn fill_blocks<T: Send>(
    out: &mut [T],
    per: usize,
    seed: u64,
    offset: u64,
    f: impl Fn([u32; 4], &mut [T]) + Sync,
) {
    const BLOCKS_PER_TASK: usize = 4096;
    let task = |(t, chunk): (usize, &mut [T])| {
        for (j, c) in chunk.chunks_mut(per).enumerate() {
            f(block(seed, offset, (t * BLOCKS_PER_TASK + j) as u64), c);
        }
    };
    if out.len() >= 1 << 15 {
        out.par_chunks_mut(per * BLOCKS_PER_TASK)
            .enumerate()
            .for_each(task);
    } else {
        out.chunks_mut(per * BLOCKS_PER_TASK)
            .enumerate()
            .for_each(task);
    }
}

/// The next representable value below the float with bit pattern `bits` (`sign` is the sign
/// bit's mask): ±0 steps to the smallest negative subnormal, +∞ to the largest finite value.
pub(crate) fn next_down_bits(bits: u64, sign: u64) -> u64 {
    if bits & !sign == 0 {
        sign | 1
    } else if bits & sign != 0 {
        bits + 1
    } else {
        bits - 1
    }
}

/// `x` if below `hi`, otherwise the largest f32 below `hi` (but not below `lo`): with u < 1,
/// lo + (hi − lo)·u can still round up to hi.
#[inline(always)]
fn below_f32(x: f32, lo: f32, hi: f32) -> f32 {
    if x < hi {
        x
    } else {
        f32::from_bits(next_down_bits(u64::from(hi.to_bits()), 1 << 31) as u32).max(lo)
    }
}

/// As [`below_f32`] for f64.
#[inline(always)]
fn below_f64(x: f64, lo: f64, hi: f64) -> f64 {
    if x < hi {
        x
    } else {
        f64::from_bits(next_down_bits(hi.to_bits(), 1 << 63)).max(lo)
    }
}

/// n uniform f32 values in [lo, hi).
pub fn uniform_f32(n: usize, seed: u64, offset: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; n];
    fill_blocks(&mut out, 4, seed, offset, |w, c| {
        for (x, &wi) in c.iter_mut().zip(&w) {
            *x = below_f32(lo + (hi - lo) * u24(wi), lo, hi);
        }
    });
    out
}

/// n uniform f64 values in [lo, hi).
pub fn uniform_f64(n: usize, seed: u64, offset: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut out = vec![0.0f64; n];
    fill_blocks(&mut out, 2, seed, offset, |w, c| {
        for (k, x) in c.iter_mut().enumerate() {
            *x = below_f64(lo + (hi - lo) * u53(w[2 * k], w[2 * k + 1]), lo, hi);
        }
    });
    out
}

/// n normal f32 values with the given mean and standard deviation.
pub fn normal_f32(n: usize, seed: u64, offset: u64, mean: f32, std: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; n];
    fill_blocks(&mut out, 4, seed, offset, |w, c| {
        for (p, pair) in c.chunks_mut(2).enumerate() {
            let u1 = ((w[2 * p] >> 8) + 1) as f32 * TWO_M24;
            let u2 = u24(w[2 * p + 1]);
            let r = (-2.0 * u1.ln()).sqrt();
            let (s, co) = (std::f32::consts::TAU * u2).sin_cos();
            pair[0] = mean + std * r * co;
            if let Some(z1) = pair.get_mut(1) {
                *z1 = mean + std * r * s;
            }
        }
    });
    out
}

/// n normal f64 values with the given mean and standard deviation.
pub fn normal_f64(n: usize, seed: u64, offset: u64, mean: f64, std: f64) -> Vec<f64> {
    let mut out = vec![0.0f64; n];
    fill_blocks(&mut out, 2, seed, offset, |w, pair| {
        let u1 = ((((u64::from(w[0]) << 32) | u64::from(w[1])) >> 11) + 1) as f64 * TWO_M53;
        let u2 = u53(w[2], w[3]);
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, co) = (std::f64::consts::TAU * u2).sin_cos();
        pair[0] = mean + std * r * co;
        if let Some(z1) = pair.get_mut(1) {
            *z1 = mean + std * r * s;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors from Random123's kat_vectors (philox4x32, 10 rounds).
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn draws_depend_only_on_seed_and_offset() {
        let a = uniform_f32(100_003, 7, 0, 0.0, 1.0);
        // The same stream read from block 5 onwards equals the tail of the first draw,
        // whether or not the draw runs in parallel.
        let b = uniform_f32(20, 7, 5, 0.0, 1.0);
        assert_eq!(&a[20..40], &b[..]);
        assert_ne!(uniform_f32(4, 8, 0, 0.0, 1.0), a[..4]);
        let d = uniform_f64(50_001, 7, 0, 0.0, 1.0);
        assert_eq!(&d[10..14], &uniform_f64(4, 7, 5, 0.0, 1.0)[..]);
        assert!(a.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert!(d.iter().all(|&x| (0.0..1.0).contains(&x)));
    }

    #[test]
    fn moments_are_right() {
        // Mean and variance of 2^20 draws within 5 standard errors of the truth.
        let n = 1 << 20;
        let se = 5.0 / (n as f64).sqrt();
        let u = uniform_f64(n, 1, 0, 0.0, 1.0);
        let m = u.iter().sum::<f64>() / n as f64;
        assert!((m - 0.5).abs() < se * (1.0f64 / 12.0).sqrt(), "{m}");
        for z in [
            normal_f32(n, 2, 0, 0.0, 1.0)
                .into_iter()
                .map(f64::from)
                .collect::<Vec<_>>(),
            normal_f64(n, 3, 0, 0.0, 1.0),
        ] {
            let m = z.iter().sum::<f64>() / n as f64;
            let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
            let k4 = z.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n as f64;
            assert!(m.abs() < se, "mean {m}");
            assert!((v - 1.0).abs() < se * 2f64.sqrt(), "var {v}");
            assert!(
                (k4 - 3.0).abs() < 5.0 * (96.0f64 / n as f64).sqrt(),
                "fourth moment {k4}"
            );
            assert!(z.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn generator_advances_without_overlap() {
        let mut g = Generator::new(42);
        assert_eq!(g.advance(blocks_for(10, false)), 0);
        assert_eq!(g.offset(), 3);
        assert_eq!(g.advance(blocks_for(3, true)), 3);
        assert_eq!(g.offset(), 5);
    }
}
