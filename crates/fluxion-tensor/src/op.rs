//! The op vocabulary shared by every backend.
//!
//! Backends receive an op enum and `match` on it with no catch-all arm, so adding an op fails
//! to compile until every backend implements it.

/// Elementwise functions of one argument (floating dtypes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// −x
    Neg,
    /// |x|
    Abs,
    /// eˣ
    Exp,
    /// ln x
    Log,
    /// √x
    Sqrt,
    /// x²
    Square,
    /// 1/x
    Recip,
    /// xᵖ for a fixed exponent p.
    Powf(f64),
    /// sin x
    Sin,
    /// cos x
    Cos,
    /// tanh x
    Tanh,
    /// 1/(1 + e⁻ˣ)
    Sigmoid,
    /// max(x, 0)
    Relu,
    /// x for x ≥ 0, αx otherwise.
    LeakyRelu(f64),
    /// The derivative of [`UnaryOp::LeakyRelu`]: (1 − α) + α for x > 0, α otherwise
    /// (NaN included), each rounded as `mask·(1 − α) + α` would be. One pass instead of a
    /// compare, a cast and an affine map.
    LeakyReluGrad(f64),
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), PyTorch's `gelu(approximate="tanh")`.
    GeluTanh,
    /// ½x(1 + erf(x/√2)), PyTorch's default `gelu`.
    GeluErf,
    /// The derivative of [`UnaryOp::GeluErf`]: Φ(x) + x φ(x) with Φ, φ the standard normal cdf
    /// and density, in one pass.
    GeluErfGrad,
    /// The error function erf x = (2/√π) ∫₀ˣ e^{−t²} dt.
    Erf,
    /// ln(1 + eˣ), returning x for x > 20 as PyTorch does.
    Softplus,
    /// −1, 0 or 1 (NaN stays NaN, ±0 stays ±0).
    Sign,
    /// a·x + b.
    Affine {
        /// a
        mul: f64,
        /// b
        add: f64,
    },
}

impl UnaryOp {
    /// The op's name in errors and kernel symbols.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Square => "square",
            UnaryOp::Recip => "recip",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::LeakyReluGrad(_) => "leaky_relu_grad",
            UnaryOp::GeluTanh => "gelu_tanh",
            UnaryOp::GeluErf => "gelu_erf",
            UnaryOp::GeluErfGrad => "gelu_erf_grad",
            UnaryOp::Erf => "erf",
            UnaryOp::Softplus => "softplus",
            UnaryOp::Sign => "sign",
            UnaryOp::Affine { .. } => "affine",
        }
    }
}

/// Elementwise functions of two arguments (floating dtypes), broadcast NumPy-style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// a + b
    Add,
    /// a − b
    Sub,
    /// a · b
    Mul,
    /// a / b
    Div,
    /// aᵇ
    Pow,
    /// max(a, b), NaN if either is NaN.
    Maximum,
    /// min(a, b), NaN if either is NaN.
    Minimum,
}

impl BinaryOp {
    /// The op's name in errors and kernel symbols.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }
}

/// Comparisons, giving a `U8` tensor of 0/1 (any dtype; NaN compares unequal to everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// a == b
    Eq,
    /// a != b
    Ne,
    /// a < b
    Lt,
    /// a <= b
    Le,
    /// a > b
    Gt,
    /// a >= b
    Ge,
}

impl CmpOp {
    /// The op's name in errors and kernel symbols.
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
}

/// Reductions over a set of axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Σ (accumulated in f64 for every floating dtype).
    Sum,
    /// Maximum; NaN if any element is NaN.
    Max,
    /// Minimum; NaN if any element is NaN.
    Min,
    /// Index of the first maximum (a NaN counts as the maximum), as `I64`; one axis.
    ArgMax,
    /// Index of the first minimum (a NaN counts as the minimum), as `I64`; one axis.
    ArgMin,
}

impl ReduceOp {
    /// The op's name in errors and kernel symbols.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
        }
    }
}

/// FFT normalisation, with NumPy's names.
///
/// For a transform over N points: `Backward` scales the inverse by 1/N (the default),
/// `Ortho` scales both directions by 1/√N, `Forward` scales the forward transform by 1/N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FftNorm {
    /// Forward unscaled, inverse × 1/N.
    #[default]
    Backward,
    /// Both × 1/√N.
    Ortho,
    /// Forward × 1/N, inverse unscaled.
    Forward,
}

impl FftNorm {
    /// The factor applied to a transform over `n` points in the given direction.
    pub fn scale(self, n: usize, inverse: bool) -> f64 {
        let n = n.max(1) as f64;
        match (self, inverse) {
            (FftNorm::Backward, false) | (FftNorm::Forward, true) => 1.0,
            (FftNorm::Backward, true) | (FftNorm::Forward, false) => 1.0 / n,
            (FftNorm::Ortho, _) => 1.0 / n.sqrt(),
        }
    }
}

impl std::str::FromStr for FftNorm {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "backward" => Ok(FftNorm::Backward),
            "ortho" => Ok(FftNorm::Ortho),
            "forward" => Ok(FftNorm::Forward),
            _ => Err(crate::invalid(
                "fft",
                format!("unknown norm {s:?}: expected backward, ortho or forward"),
            )),
        }
    }
}
