//! Rosenbrock tableaus in Hairer's transformed form, and the stiff methods that use them.
//!
//! A Rosenbrock method with `s` stages, written in the variables `uᵢ = Σⱼ≤ᵢ γᵢⱼ kᵢ` that need no
//! matrix–vector product (HNW II, section IV.7, eq. 7.25–7.27), solves per step
//!
//! ```text
//! (I/(hγ) − J) uᵢ = f(t₀ + cᵢh, y₀ + Σⱼ<ᵢ aᵢⱼ uⱼ) + Σⱼ<ᵢ (Cᵢⱼ/h) uⱼ + h·dᵢ·∂f/∂t
//! y₁ = y₀ + Σᵢ bᵢ uᵢ,      err = Σᵢ eᵢ uᵢ
//! ```
//!
//! with one LU factorisation of `I/(hγ) − J` per step and one solve per stage. The classical
//! coefficients follow from `Γ⁻¹ = diag(1/γ) − C`, `α = A·Γ`, `b_classical = b·Γ` (HNW II,
//! eq. 7.26), which is how `tests/stiff.rs` checks the order conditions.

/// A Rosenbrock method as data, in the transformed (`uᵢ`) form of HNW II, section IV.7.
#[derive(Debug, Clone, Copy)]
pub struct RosenbrockTableau {
    /// The method's usual name.
    pub name: &'static str,
    /// The diagonal `γ` of `Γ` (one value for every stage).
    pub gamma: f64,
    /// Strictly lower rows of `A`: `a[i]` holds `aᵢ₀ … aᵢ,ᵢ₋₁` (`a[0]` is empty).
    pub a: &'static [&'static [f64]],
    /// Strictly lower rows of `C` (same layout as `a`); enter the stages divided by `h`.
    pub c_mat: &'static [&'static [f64]],
    /// Nodes `cᵢ = Σⱼ αᵢⱼ` (stage times `t₀ + cᵢh`).
    pub c: &'static [f64],
    /// `dᵢ = γᵢ = Σⱼ≤ᵢ γᵢⱼ`, the weights of `∂f/∂t` (non-autonomous problems).
    pub d: &'static [f64],
    /// Weights of the propagated solution `y₁ = y₀ + Σ bᵢuᵢ`.
    pub b: &'static [f64],
    /// Weights of the local error estimate `err = Σ eᵢuᵢ` (`y₁ − ŷ₁`).
    pub e: &'static [f64],
    /// Classical order of `b`.
    pub order: u32,
    /// Order of the embedded solution `ŷ₁ = y₁ − err`.
    pub embedded_order: u32,
    /// Rows of the dense-output matrix `H`: `Kₘ = Σᵢ H[m][i]·uᵢ`, used as
    /// `y(t₀ + θh) = (1 − θ)y₀ + θ(y₁ + (1 − θ)(K₁ + θ(K₂ + θK₃)))`.
    pub dense: &'static [&'static [f64]],
}

impl RosenbrockTableau {
    /// Number of stages `s`.
    pub fn stages(&self) -> usize {
        self.b.len()
    }

    /// Exponent `k` with `err ∝ hᵏ` (embedded order + 1), for the [`PiController`](crate::PiController).
    pub fn error_exponent(&self) -> u32 {
        self.embedded_order + 1
    }
}

/// A stiff (linearly implicit) method for [`solve_stiff`](crate::solve_stiff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StiffMethod {
    /// Rodas5P (Steinebach 2023): 8 stages (7 evaluations of `f` with the first reused),
    /// order 5 with an embedded order-4 estimate, stiffly accurate, L-stable, with a 4th-order
    /// dense output; coefficients of OrdinaryDiffEq.jl's `Rodas5PTableau`.
    Rodas5P,
}

impl StiffMethod {
    /// The method's tableau.
    pub fn tableau(self) -> &'static RosenbrockTableau {
        match self {
            StiffMethod::Rodas5P => &RODAS5P,
        }
    }
}

// Rodas5P rows 6–8: stage 7 is y₀ + Σ a₆ⱼuⱼ + u₆, stage 8 adds u₇, y₁ adds u₈ (stiffly accurate).
const A61: f64 = -7.502846399306121;
const A62: f64 = 2.561846144803919;
const A63: f64 = -11.627539656261098;
const A64: f64 = -0.18268767659942256;
const A65: f64 = 0.030198172008377946;

/// Rodas5P, G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P and numerical
/// benchmarks within the Julia Differential Equations package", BIT Numer. Math. 63 (2023) 27.
///
/// Coefficients typed from `Rodas5PTableau` in OrdinaryDiffEq.jl
/// (`src/tableaus/rosenbrock_tableaus.jl`), the transformed form with `W = J − I/(hγ)` and
/// `uᵢ = −W⁻¹(…)` used by its `perform_step!`; the error estimate is the last increment `u₈`
/// and the dense output is Steinebach's `H` (`h21 … h48`). `tests/stiff.rs` checks the order
/// conditions through order 5 (order 4 for the embedded solution) on these numbers.
pub static RODAS5P: RosenbrockTableau = RosenbrockTableau {
    name: "Rodas5P",
    gamma: 0.21193756319429014,
    a: &[
        &[],
        &[3.0],
        &[2.849394379747939, 0.45842242204463923],
        &[-6.954028509809101, 2.489845061869568, -10.358996098473584],
        &[
            2.8029986275628964,
            0.5072464736228206,
            -0.3988312541770524,
            -0.04721187230404641,
        ],
        &[A61, A62, A63, A64, A65],
        &[A61, A62, A63, A64, A65, 1.0],
        &[A61, A62, A63, A64, A65, 1.0, 1.0],
    ],
    c_mat: &[
        &[],
        &[-14.155112264123755],
        &[-17.97296035885952, -2.859693295451294],
        &[147.12150275711716, -1.41221402718213, 71.68940251302358],
        &[
            165.43517024871676,
            -0.4592823456491126,
            42.90938336958603,
            -5.961986721573306,
        ],
        &[
            24.854864614690072,
            -3.0009227002832186,
            47.4931110020768,
            5.5814197821558125,
            -0.6610691825249471,
        ],
        &[
            30.91273214028599,
            -3.1208243349937974,
            77.79954646070892,
            34.28646028294783,
            -19.097331116725623,
            -28.087943162872662,
        ],
        &[
            37.80277123390563,
            -3.2571969029072276,
            112.26918849496327,
            66.9347231244047,
            -40.06618937091002,
            -54.66780262877968,
            -9.48861652309627,
        ],
    ],
    c: &[
        0.0,
        0.6358126895828704,
        0.4095798393397535,
        0.9769306725060716,
        0.4288403609558664,
        1.0,
        1.0,
        1.0,
    ],
    d: &[
        0.21193756319429014,
        -0.42387512638858027,
        -0.3384627126235924,
        1.8046452872882734,
        2.325825639765069,
        0.0,
        0.0,
        0.0,
    ],
    b: &[A61, A62, A63, A64, A65, 1.0, 1.0, 1.0],
    e: &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    order: 5,
    embedded_order: 4,
    dense: &[
        &[
            25.948786856663858,
            -2.5579724845846235,
            10.433815404888879,
            -2.3679251022685204,
            0.524948541321073,
            1.1241088310450404,
            0.4272876194431874,
            -0.17202221070155493,
        ],
        &[
            -9.91568850695171,
            -0.9689944594115154,
            3.0438037242978453,
            -24.495224566215796,
            20.176138334709044,
            15.98066361424651,
            -6.789040303419874,
            -6.710236069923372,
        ],
        &[
            11.419903575922262,
            2.8879645146136994,
            72.92137995996029,
            80.12511834622643,
            -52.072871366152654,
            -59.78993625266729,
            -0.15582684282751913,
            4.883087185713722,
        ],
    ],
};
