//! The `Vec<f64>` fast path of the SDE solver (increments drawn in place, fused and
//! vectorised combination passes) against the generic path every other state type takes: a
//! newtype over `Vec<f64>` that implements only the required trait methods must give the same
//! bits, for every scheme, fixed and adaptive steps.

use fluxion_diffeq::sde::{
    solve_sde, BrownianIncrements, BrownianSource, BrownianTree, NoiseType, Sde, SdeMethod,
    SdeOptions, SdeState, SdeType,
};
use fluxion_diffeq::{OdeState, Result, Tolerance};

/// `Vec<f64>` behind the trait's default methods only.
#[derive(Debug, Clone, PartialEq)]
struct Plain(Vec<f64>);

impl OdeState for Plain {
    fn zeros_like(&self) -> Result<Self> {
        Ok(Plain(self.0.zeros_like()?))
    }
    fn n_components(&self) -> usize {
        self.0.len()
    }
    fn lin_comb(
        out: &mut Self,
        base: Option<&Self>,
        h: f64,
        coeffs: &[f64],
        ks: &[Self],
    ) -> Result<()> {
        let ks: Vec<Vec<f64>> = ks.iter().map(|k| k.0.clone()).collect();
        Vec::lin_comb(&mut out.0, base.map(|b| &b.0), h, coeffs, &ks)
    }
    fn weighted_sq_sum(
        err: &Self,
        y0: &Self,
        y1: &Self,
        rtol: &Tolerance,
        atol: &Tolerance,
    ) -> Result<f64> {
        Vec::weighted_sq_sum(&err.0, &y0.0, &y1.0, rtol, atol)
    }
    fn is_finite(&self) -> Result<bool> {
        self.0.is_finite()
    }
    fn assign(&mut self, src: &Self) -> Result<()> {
        self.0.assign(&src.0)
    }
}

impl SdeState for Plain {
    fn noise_from(&self, values: &[f64], paths: usize, m: usize) -> Result<Self> {
        Ok(Plain(self.0.noise_from(values, paths, m)?))
    }
    fn write_noise(buf: &mut Self, values: &[f64]) -> Result<()> {
        Vec::write_noise(&mut buf.0, values)
    }
    fn mul_noise(out: &mut Self, v: &Self, w: &Self) -> Result<()> {
        Vec::mul_noise(&mut out.0, &v.0, &w.0)
    }
}

const MU: f64 = 0.7;
const SIGMA: f64 = 0.4;

/// GBM-like test problem on any state: `f = μ y`, `g(y)·v = σ (1 + y/2) ⊙ v` (non-linear,
/// so every scheme's extra stages matter), Milstein term `σ² (1 + y/2)/2`.
macro_rules! problem {
    ($ty:ty, $un:expr, $noise:expr, $sde_type:expr) => {
        Sde::new(
            $noise,
            $sde_type,
            |_t, y: &$ty, out: &mut $ty| {
                let (y, o): (&Vec<f64>, &mut Vec<f64>) = ($un(y), $un(out));
                o.iter_mut().zip(y).for_each(|(o, x)| *o = MU * x);
                Ok(())
            },
            |_t, y: &$ty, v: &$ty, out: &mut $ty| {
                let (y, v, o): (&Vec<f64>, &Vec<f64>, &mut Vec<f64>) = ($un(y), $un(v), $un(out));
                let d = y.len() / v.len();
                for (i, o) in o.iter_mut().enumerate() {
                    *o = SIGMA * (1.0 + 0.5 * y[i]) * v[i / d];
                }
                Ok(())
            },
        )
        .with_milstein_term(|_t, y: &$ty, out: &mut $ty| {
            let (y, o): (&Vec<f64>, &mut Vec<f64>) = ($un(y), $un(out));
            o.iter_mut()
                .zip(y)
                .for_each(|(o, x)| *o = 0.5 * SIGMA * SIGMA * (1.0 + 0.5 * x));
            Ok(())
        })
    };
}

fn un_vec<T>(x: T) -> T {
    x
}

trait Inner {
    fn inner(&self) -> &Vec<f64>;
    fn inner_mut(&mut self) -> &mut Vec<f64>;
}
impl Inner for Plain {
    fn inner(&self) -> &Vec<f64> {
        &self.0
    }
    fn inner_mut(&mut self) -> &mut Vec<f64> {
        &mut self.0
    }
}

fn un_plain<'a, T: UnPlain<'a>>(x: T) -> T::Out {
    x.un()
}
trait UnPlain<'a> {
    type Out;
    fn un(self) -> Self::Out;
}
impl<'a> UnPlain<'a> for &'a Plain {
    type Out = &'a Vec<f64>;
    fn un(self) -> &'a Vec<f64> {
        self.inner()
    }
}
impl<'a> UnPlain<'a> for &'a mut Plain {
    type Out = &'a mut Vec<f64>;
    fn un(self) -> &'a mut Vec<f64> {
        self.inner_mut()
    }
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check<B: BrownianSource>(
    bm: &B,
    method: SdeMethod,
    noise: NoiseType,
    sde_type: SdeType,
    opts: &SdeOptions,
) {
    let (paths, m) = bm.shape();
    let d = if noise == NoiseType::Scalar { 3 } else { m };
    let y0: Vec<f64> = (0..paths * d).map(|i| 1.0 + 0.01 * i as f64).collect();
    let fast = problem!(Vec<f64>, un_vec, noise, sde_type);
    let slow = problem!(Plain, un_plain, noise, sde_type);
    let a = solve_sde(method, &fast, (0.0, 1.0), &y0, bm, opts).unwrap();
    let b = solve_sde(method, &slow, (0.0, 1.0), &Plain(y0.clone()), bm, opts).unwrap();
    assert_eq!(a.stats, b.stats, "{method:?} {noise} {sde_type}");
    assert_eq!(a.step_ts, b.step_ts, "{method:?} {noise} {sde_type}");
    for (ya, yb) in a.ys.iter().zip(&b.ys) {
        assert!(
            same_bits(ya, &yb.0),
            "{method:?} {noise} {sde_type}: fast {:?} vs generic {:?}",
            &ya[..3],
            &yb.0[..3]
        );
    }
}

#[test]
fn vec_fast_path_matches_generic_path_bitwise() {
    use SdeMethod::*;
    // 600 paths × 2: the fused passes run whole 512-blocks and a remainder.
    let (paths, m) = (600, 2);
    let fixed = SdeOptions::fixed(1.0 / 32.0).t_eval(vec![0.5, 1.0]);
    let adaptive = SdeOptions::adaptive(1e-3, 1e-3, 0.1).t_eval(vec![0.5, 1.0]);
    let inc = BrownianIncrements::new(3, paths, m);
    let tree = BrownianTree::new(3, 0.0, 1.0, paths, m).unwrap();
    let cases = [
        (EulerMaruyama, NoiseType::Diagonal, SdeType::Ito),
        (
            Milstein { grad_free: false },
            NoiseType::Diagonal,
            SdeType::Ito,
        ),
        (
            Milstein { grad_free: true },
            NoiseType::Diagonal,
            SdeType::Ito,
        ),
        (
            Milstein { grad_free: false },
            NoiseType::Diagonal,
            SdeType::Stratonovich,
        ),
        (EulerHeun, NoiseType::Diagonal, SdeType::Stratonovich),
        (Heun, NoiseType::Diagonal, SdeType::Stratonovich),
        (Midpoint, NoiseType::Diagonal, SdeType::Stratonovich),
        (ReversibleHeun, NoiseType::Diagonal, SdeType::Stratonovich),
    ];
    for (method, noise, sde_type) in cases {
        check(&inc, method, noise, sde_type, &fixed);
        if method != ReversibleHeun {
            check(&tree, method, noise, sde_type, &adaptive);
        }
    }
    // Scalar noise (one Brownian motion per path broadcast over 3 components): the Milstein
    // fused pass does not apply and the generic sequence runs for `Vec<f64>` too.
    let inc1 = BrownianIncrements::new(4, paths, 1);
    check(
        &inc1,
        Milstein { grad_free: false },
        NoiseType::Scalar,
        SdeType::Ito,
        &fixed,
    );
    check(&inc1, Sra1, NoiseType::Additive, SdeType::Ito, &fixed);
}
