//! Elementwise ops: unary functions, broadcast binary ops and their scalar forms,
//! comparisons, `where_` and casts.

use fluxion_device::DType;

use crate::{BinaryOp, CmpOp, Error, Result, Tensor, UnaryOp};

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:expr;)*) => {
        $(
            $(#[$doc])*
            ///
            /// # Errors
            /// [`Error::UnsupportedDType`] for integer tensors.
            pub fn $name(&self) -> Result<Tensor> {
                self.unary($op)
            }
        )*
    };
}

macro_rules! binary_methods {
    ($($(#[$doc:meta])* $name:ident, $scalar:ident => $op:expr;)*) => {
        $(
            $(#[$doc])*
            /// Shapes broadcast NumPy-style.
            ///
            /// # Errors
            /// [`Error::BroadcastIncompatible`], [`Error::DTypeMismatch`],
            /// [`Error::DeviceMismatch`], or [`Error::UnsupportedDType`] for integers.
            pub fn $name(&self, rhs: &Tensor) -> Result<Tensor> {
                self.binary(rhs, $op)
            }

            $(#[$doc])*
            /// The right operand is the scalar `rhs`, converted to this tensor's dtype.
            ///
            /// # Errors
            /// [`Error::UnsupportedDType`] for integer tensors.
            pub fn $scalar(&self, rhs: f64) -> Result<Tensor> {
                self.binary(&self.scalar_like(rhs)?, $op)
            }
        )*
    };
}

macro_rules! cmp_methods {
    ($($(#[$doc:meta])* $name:ident, $scalar:ident => $op:expr;)*) => {
        $(
            $(#[$doc])*
            /// Gives a `U8` tensor of 0/1; shapes broadcast.
            ///
            /// # Errors
            /// [`Error::BroadcastIncompatible`], [`Error::DTypeMismatch`], [`Error::DeviceMismatch`].
            pub fn $name(&self, rhs: &Tensor) -> Result<Tensor> {
                self.cmp(rhs, $op)
            }

            $(#[$doc])*
            /// Against the scalar `rhs` converted to this tensor's dtype.
            ///
            /// # Errors
            /// Device errors only.
            pub fn $scalar(&self, rhs: f64) -> Result<Tensor> {
                self.cmp(&self.scalar_like(rhs)?, $op)
            }
        )*
    };
}

impl Tensor {
    /// `op` applied to each element.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let s = self.storage().unary(self.layout(), op)?;
        Ok(Tensor::from_storage(s, self.shape().clone()))
    }

    unary_methods! {
        /// −x
        neg => UnaryOp::Neg;
        /// |x|
        abs => UnaryOp::Abs;
        /// eˣ
        exp => UnaryOp::Exp;
        /// ln x (NaN for x < 0, −∞ at 0)
        log => UnaryOp::Log;
        /// √x
        sqrt => UnaryOp::Sqrt;
        /// x²
        square => UnaryOp::Square;
        /// 1/x
        recip => UnaryOp::Recip;
        /// sin x
        sin => UnaryOp::Sin;
        /// cos x
        cos => UnaryOp::Cos;
        /// tanh x
        tanh => UnaryOp::Tanh;
        /// 1/(1 + e⁻ˣ)
        sigmoid => UnaryOp::Sigmoid;
        /// max(x, 0)
        relu => UnaryOp::Relu;
        /// ½x(1 + erf(x/√2)), the exact GELU (PyTorch's default).
        gelu_erf => UnaryOp::GeluErf;
        /// Φ(x) + xφ(x), the derivative of [`Tensor::gelu_erf`], in one pass.
        gelu_erf_grad => UnaryOp::GeluErfGrad;
        /// erf x, the error function.
        erf => UnaryOp::Erf;
        /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), the tanh approximation of GELU.
        gelu_tanh => UnaryOp::GeluTanh;
        /// ln(1 + eˣ), linear above 20 as in PyTorch.
        softplus => UnaryOp::Softplus;
        /// −1, 0 or 1; NaN stays NaN.
        sign => UnaryOp::Sign;
    }

    /// xᵖ for a scalar exponent.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn powf(&self, p: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Powf(p))
    }

    /// x for x ≥ 0, `slope`·x otherwise.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn leaky_relu(&self, slope: f64) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyRelu(slope))
    }

    /// The derivative of [`Tensor::leaky_relu`]: 1 for x > 0, `slope` otherwise (PyTorch's
    /// convention at 0), in one pass.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn leaky_relu_grad(&self, slope: f64) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyReluGrad(slope))
    }

    /// `mul`·x + `add` in one pass.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn affine(&self, mul: f64, add: f64) -> Result<Tensor> {
        self.unary(UnaryOp::Affine { mul, add })
    }

    /// A 0-d tensor of this dtype and device.
    fn scalar_like(&self, v: f64) -> Result<Tensor> {
        Tensor::scalar(v, self.dtype(), self.device())
    }

    /// Both operands broadcast to their common shape.
    pub(crate) fn broadcast_pair(
        &self,
        rhs: &Tensor,
        op: &'static str,
    ) -> Result<(Tensor, Tensor)> {
        let shape = self.shape().broadcast(rhs.shape(), op)?;
        Ok((self.broadcast_to(shape.clone())?, rhs.broadcast_to(shape)?))
    }

    /// `op` applied elementwise with broadcasting.
    ///
    /// # Errors
    /// See the named methods ([`Tensor::add`] …).
    pub fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        self.check_pair(rhs, op.name(), true)?;
        let (a, b) = self.broadcast_pair(rhs, op.name())?;
        let s = a
            .storage()
            .binary(a.layout(), &b.storage(), b.layout(), op)?;
        Ok(Tensor::from_storage(s, a.shape().clone()))
    }

    binary_methods! {
        /// a + b.
        add, add_scalar => BinaryOp::Add;
        /// a − b.
        sub, sub_scalar => BinaryOp::Sub;
        /// a · b.
        mul, mul_scalar => BinaryOp::Mul;
        /// a / b.
        div, div_scalar => BinaryOp::Div;
        /// aᵇ.
        pow, pow_scalar => BinaryOp::Pow;
        /// max(a, b), NaN when either is NaN.
        maximum, maximum_scalar => BinaryOp::Maximum;
        /// min(a, b), NaN when either is NaN.
        minimum, minimum_scalar => BinaryOp::Minimum;
    }

    /// `lhs − self` for a scalar `lhs` (PyTorch's `rsub`).
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn rsub_scalar(&self, lhs: f64) -> Result<Tensor> {
        self.scalar_like(lhs)?.sub(self)
    }

    /// `lhs / self` for a scalar `lhs`.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for integer tensors.
    pub fn rdiv_scalar(&self, lhs: f64) -> Result<Tensor> {
        self.scalar_like(lhs)?.div(self)
    }

    /// Elementwise comparison giving `U8` 0/1, with broadcasting.
    ///
    /// # Errors
    /// See [`Tensor::eq`].
    pub fn cmp(&self, rhs: &Tensor, op: CmpOp) -> Result<Tensor> {
        self.check_pair(rhs, op.name(), true)?;
        let (a, b) = self.broadcast_pair(rhs, op.name())?;
        let s = a.storage().cmp(a.layout(), &b.storage(), b.layout(), op)?;
        Ok(Tensor::from_storage(s, a.shape().clone()))
    }

    cmp_methods! {
        /// a == b.
        eq, eq_scalar => CmpOp::Eq;
        /// a != b.
        ne, ne_scalar => CmpOp::Ne;
        /// a < b.
        lt, lt_scalar => CmpOp::Lt;
        /// a <= b.
        le, le_scalar => CmpOp::Le;
        /// a > b.
        gt, gt_scalar => CmpOp::Gt;
        /// a >= b.
        ge, ge_scalar => CmpOp::Ge;
    }

    /// `self ? on_true : on_false` elementwise, `self` being a `U8` mask; all three broadcast.
    ///
    /// # Errors
    /// [`Error::DTypeMismatch`] when the mask is not `U8` or the branches differ in dtype;
    /// broadcast and device errors.
    pub fn where_(&self, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        if self.dtype() != DType::U8 {
            return Err(Error::DTypeMismatch {
                op: "where (condition)",
                lhs: self.dtype(),
                rhs: DType::U8,
            });
        }
        self.check_pair(on_true, "where", false)?;
        on_true.check_pair(on_false, "where", true)?;
        let shape = self
            .shape()
            .broadcast(on_true.shape(), "where")?
            .broadcast(on_false.shape(), "where")?;
        let (c, t, f) = (
            self.broadcast_to(shape.clone())?,
            on_true.broadcast_to(shape.clone())?,
            on_false.broadcast_to(shape.clone())?,
        );
        let s = c.storage().where_cond(
            c.layout(),
            &t.storage(),
            t.layout(),
            &f.storage(),
            f.layout(),
        )?;
        Ok(Tensor::from_storage(s, shape))
    }

    /// The elements converted to `dtype` (round to nearest; float → integer truncates toward
    /// zero and saturates, NaN → 0). Returns `self` when the dtype already matches.
    ///
    /// # Errors
    /// Device errors.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let s = self.storage().to_dtype(self.layout(), dtype)?;
        Ok(Tensor::from_storage(s, self.shape().clone()))
    }
}
