//! Elementwise `Var` ops (unary functions, broadcast binary ops, `where`, casts) and their
//! backward rules.

use std::f64::consts::PI;

use fluxion_tensor::{BinaryOp, DType, Tensor, UnaryOp};

use crate::op::Op;
use crate::{Result, Var};

macro_rules! unary_vars {
    ($($(#[$doc:meta])* $name:ident => $op:expr;)*) => {
        $(
            $(#[$doc])*
            ///
            /// # Errors
            /// As the tensor op of the same name.
            pub fn $name(&self) -> Result<Var> {
                self.unary($op)
            }
        )*
    };
}

macro_rules! binary_vars {
    ($($(#[$doc:meta])* $name:ident => $op:expr;)*) => {
        $(
            $(#[$doc])*
            /// Shapes broadcast NumPy-style; the gradient of a broadcast operand is summed back
            /// to its shape.
            ///
            /// # Errors
            /// As the tensor op of the same name.
            pub fn $name(&self, rhs: &Var) -> Result<Var> {
                self.binary(rhs, $op)
            }
        )*
    };
}

impl Var {
    /// `op` applied to each element.
    ///
    /// # Errors
    /// As [`Tensor::unary`].
    pub fn unary(&self, op: UnaryOp) -> Result<Var> {
        let value = self.tensor_ref().unary(op)?;
        Ok(Var::record(value, Op::Unary(op), vec![self.clone()]))
    }

    unary_vars! {
        /// −x
        neg => UnaryOp::Neg;
        /// |x| (gradient sign(x), 0 at 0 as in PyTorch).
        abs => UnaryOp::Abs;
        /// eˣ
        exp => UnaryOp::Exp;
        /// ln x
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
        /// max(x, 0) (gradient 0 at 0 as in PyTorch).
        relu => UnaryOp::Relu;
        /// ½x(1 + erf(x/√2)), the exact GELU.
        gelu_erf => UnaryOp::GeluErf;
        /// Φ(x) + xφ(x), the derivative of [`Var::gelu_erf`] (itself differentiable).
        gelu_erf_grad => UnaryOp::GeluErfGrad;
        /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
        gelu_tanh => UnaryOp::GeluTanh;
        /// erf x
        erf => UnaryOp::Erf;
        /// ln(1 + eˣ), linear above 20 as in PyTorch.
        softplus => UnaryOp::Softplus;
        /// −1, 0 or 1 (zero gradient).
        sign => UnaryOp::Sign;
    }

    /// xᵖ for a scalar exponent.
    ///
    /// # Errors
    /// As [`Tensor::powf`].
    pub fn powf(&self, p: f64) -> Result<Var> {
        self.unary(UnaryOp::Powf(p))
    }

    /// x for x > 0, `slope`·x otherwise (gradient `slope` at 0 as in PyTorch).
    ///
    /// # Errors
    /// As [`Tensor::leaky_relu`].
    pub fn leaky_relu(&self, slope: f64) -> Result<Var> {
        self.unary(UnaryOp::LeakyRelu(slope))
    }

    /// a·x + b.
    ///
    /// # Errors
    /// As [`Tensor::affine`].
    pub fn affine(&self, mul: f64, add: f64) -> Result<Var> {
        self.unary(UnaryOp::Affine { mul, add })
    }

    /// x·σ(x) (SiLU, also called swish).
    ///
    /// # Errors
    /// As [`Tensor::sigmoid`].
    pub fn silu(&self) -> Result<Var> {
        self.mul(&self.sigmoid()?)
    }

    /// x + s.
    ///
    /// # Errors
    /// As [`Tensor::affine`].
    pub fn add_scalar(&self, s: f64) -> Result<Var> {
        self.affine(1.0, s)
    }

    /// x − s.
    ///
    /// # Errors
    /// As [`Tensor::affine`].
    pub fn sub_scalar(&self, s: f64) -> Result<Var> {
        self.affine(1.0, -s)
    }

    /// s·x.
    ///
    /// # Errors
    /// As [`Tensor::affine`].
    pub fn mul_scalar(&self, s: f64) -> Result<Var> {
        self.affine(s, 0.0)
    }

    /// x / s, a true division (not multiplication by 1/s, which rounds twice).
    ///
    /// # Errors
    /// As [`Tensor::div`].
    pub fn div_scalar(&self, s: f64) -> Result<Var> {
        self.binary_scalar(s, BinaryOp::Div)
    }

    /// s − x.
    ///
    /// # Errors
    /// As [`Tensor::affine`].
    pub fn rsub_scalar(&self, s: f64) -> Result<Var> {
        self.affine(-1.0, s)
    }

    /// s / x (one division, as [`Tensor::rdiv_scalar`]).
    ///
    /// # Errors
    /// As [`Tensor::div`].
    pub fn rdiv_scalar(&self, s: f64) -> Result<Var> {
        let t = self.tensor();
        Var::constant(Tensor::scalar(s, t.dtype(), t.device())?).div(self)
    }

    /// `op` with a constant scalar right operand.
    fn binary_scalar(&self, s: f64, op: BinaryOp) -> Result<Var> {
        let t = self.tensor();
        self.binary(
            &Var::constant(Tensor::scalar(s, t.dtype(), t.device())?),
            op,
        )
    }

    /// xˢ through the binary `pow` (PyTorch's gradient conventions at x = 0).
    ///
    /// # Errors
    /// As [`Tensor::pow_scalar`].
    pub fn pow_scalar(&self, s: f64) -> Result<Var> {
        self.binary_scalar(s, BinaryOp::Pow)
    }

    /// max(x, s) (clamp from below); at x = s the gradient is halved, as for `maximum`.
    ///
    /// # Errors
    /// As [`Tensor::maximum_scalar`].
    pub fn maximum_scalar(&self, s: f64) -> Result<Var> {
        self.binary_scalar(s, BinaryOp::Maximum)
    }

    /// min(x, s) (clamp from above).
    ///
    /// # Errors
    /// As [`Tensor::minimum_scalar`].
    pub fn minimum_scalar(&self, s: f64) -> Result<Var> {
        self.binary_scalar(s, BinaryOp::Minimum)
    }

    /// `op` of two variables, broadcast NumPy-style.
    ///
    /// # Errors
    /// As [`Tensor::binary`].
    pub fn binary(&self, rhs: &Var, op: BinaryOp) -> Result<Var> {
        let shape = self.shape().broadcast(&rhs.shape(), op.name())?;
        let (a, b) = (self.broadcast_to(shape.clone())?, rhs.broadcast_to(shape)?);
        let value = a.tensor_ref().binary(&b.tensor_ref(), op)?;
        Ok(Var::record(value, Op::Binary(op), vec![a, b]))
    }

    binary_vars! {
        /// a + b
        add => BinaryOp::Add;
        /// a − b
        sub => BinaryOp::Sub;
        /// a · b
        mul => BinaryOp::Mul;
        /// a / b
        div => BinaryOp::Div;
        /// aᵇ (gradients as PyTorch's `pow`, zero where they are 0·∞).
        pow => BinaryOp::Pow;
        /// max(a, b); at ties each side gets half the gradient, as in PyTorch.
        maximum => BinaryOp::Maximum;
        /// min(a, b); at ties each side gets half the gradient, as in PyTorch.
        minimum => BinaryOp::Minimum;
    }

    /// Elementwise `cond ? on_true : on_false` with a constant `U8` condition; all three
    /// broadcast together.
    ///
    /// # Errors
    /// As [`Tensor::where_`].
    pub fn where_cond(cond: &Tensor, on_true: &Var, on_false: &Var) -> Result<Var> {
        let value = cond.where_(&on_true.tensor_ref(), &on_false.tensor_ref())?;
        let shape = value.shape().clone();
        let (a, b) = (
            on_true.broadcast_to(shape.clone())?,
            on_false.broadcast_to(shape.clone())?,
        );
        let cond = cond.broadcast_to(shape)?;
        Ok(Var::record(value, Op::Where(cond), vec![a, b]))
    }

    /// A cast; the gradient is cast back.
    ///
    /// # Errors
    /// As [`Tensor::to_dtype`].
    pub fn to_dtype(&self, dtype: DType) -> Result<Var> {
        let from = self.dtype();
        if from == dtype {
            return Ok(self.clone());
        }
        let value = self.tensor_ref().to_dtype(dtype)?;
        Ok(Var::record(value, Op::ToDType(from), vec![self.clone()]))
    }

    /// A constant 0/1 mask of `t` in this variable's dtype.
    fn mask(&self, t: Tensor) -> Result<Var> {
        Ok(Var::constant(t.to_dtype(self.dtype())?))
    }
}

/// d/dx of each unary op, times `g`.
pub(crate) fn unary_backward(op: UnaryOp, x: &Var, y: &Var, g: &Var) -> Result<Option<Var>> {
    let xt = x.tensor();
    let d = match op {
        UnaryOp::Neg => return Ok(Some(g.neg()?)),
        UnaryOp::Affine { mul, .. } => return Ok(Some(g.mul_scalar(mul)?)),
        UnaryOp::Sign | UnaryOp::LeakyReluGrad(_) => return Ok(None),
        UnaryOp::Abs => x.mask(xt.sign()?)?,
        UnaryOp::Exp => y.clone(),
        UnaryOp::Log => return Ok(Some(g.div(x)?)),
        UnaryOp::Sqrt => return Ok(Some(g.div(y)?.mul_scalar(0.5)?)),
        UnaryOp::Square => x.mul_scalar(2.0)?,
        UnaryOp::Recip => y.square()?.neg()?,
        UnaryOp::Powf(p) => {
            if p == 0.0 {
                return Ok(None);
            }
            x.powf(p - 1.0)?.mul_scalar(p)?
        }
        UnaryOp::Sin => x.cos()?,
        UnaryOp::Cos => x.sin()?.neg()?,
        UnaryOp::Tanh => y.square()?.rsub_scalar(1.0)?,
        UnaryOp::Sigmoid => y.mul(&y.rsub_scalar(1.0)?)?,
        UnaryOp::Relu => x.mask(xt.gt_scalar(0.0)?)?,
        UnaryOp::LeakyRelu(a) => Var::constant(xt.leaky_relu_grad(a)?),
        UnaryOp::GeluTanh => {
            // d/dx ½x(1 + tanh u), u = k(x + c x³): ½(1 + t) + ½x(1 − t²)·k(1 + 3c x²).
            let (k, c) = ((2.0 / PI).sqrt(), 0.044715);
            let x2 = x.square()?;
            let u = x.mul(&x2.affine(c, 1.0)?)?.mul_scalar(k)?;
            let t = u.tanh()?;
            let du = x2.affine(3.0 * c * k, k)?;
            let left = t.affine(0.5, 0.5)?;
            let right = x
                .mul(&t.square()?.rsub_scalar(1.0)?)?
                .mul(&du)?
                .mul_scalar(0.5)?;
            left.add(&right)?
        }
        // Φ(x) + x φ(x) in one fused op, recorded so that higher derivatives follow.
        UnaryOp::GeluErf => x.gelu_erf_grad()?,
        UnaryOp::GeluErfGrad => {
            // d/dx [Φ(x) + x φ(x)] = φ(x)(2 − x²).
            let x2 = x.square()?;
            let pdf = x2
                .mul_scalar(-0.5)?
                .exp()?
                .mul_scalar(1.0 / (2.0 * PI).sqrt())?;
            pdf.mul(&x2.rsub_scalar(2.0)?)?
        }
        UnaryOp::Erf => x.square()?.neg()?.exp()?.mul_scalar(2.0 / PI.sqrt())?,
        UnaryOp::Softplus => {
            // Linear above the threshold, as the forward pass.
            let above = xt.gt_scalar(20.0)?;
            let one = x.full_const(&x.shape(), 1.0)?;
            Var::where_cond(&above, &one, &x.sigmoid()?)?
        }
    };
    Ok(Some(g.mul(&d)?))
}

/// Gradients of a binary op whose operands have the output's shape.
pub(crate) fn binary_backward(
    op: BinaryOp,
    a: &Var,
    b: &Var,
    y: &Var,
    g: &Var,
    needs: &[bool],
) -> Result<Vec<Option<Var>>> {
    let two = |ga: Var, gb: Var| Ok(vec![Some(ga), Some(gb)]);
    // Computes a side's gradient only when it is needed.
    let side = |need: bool, f: &dyn Fn() -> Result<Var>| -> Result<Option<Var>> {
        if need {
            f().map(Some)
        } else {
            Ok(None)
        }
    };
    match op {
        BinaryOp::Add => two(g.clone(), g.clone()),
        BinaryOp::Sub => Ok(vec![Some(g.clone()), side(needs[1], &|| g.neg())?]),
        BinaryOp::Mul => Ok(vec![
            side(needs[0], &|| g.mul(b))?,
            side(needs[1], &|| g.mul(a))?,
        ]),
        BinaryOp::Div => Ok(vec![
            side(needs[0], &|| g.div(b))?,
            side(needs[1], &|| g.mul(y)?.div(b)?.neg())?,
        ]),
        BinaryOp::Pow => {
            // PyTorch's pow_backward: d/da = b·a^(b−1) (0 where b = 0),
            // d/db = aᵇ ln a (0 where a = 0 and b ≥ 0).
            let (at, bt) = (a.tensor(), b.tensor());
            let zero = g.full_const(&g.shape(), 0.0)?;
            let ga = g.mul(&b.mul(&a.pow(&b.sub_scalar(1.0)?)?)?)?;
            let ga = Var::where_cond(&bt.eq_scalar(0.0)?, &zero, &ga)?;
            let a_zero = at.eq_scalar(0.0)?.to_dtype(DType::F32)?;
            let b_nonneg = bt.ge_scalar(0.0)?.to_dtype(DType::F32)?;
            let both = a_zero.mul(&b_nonneg)?.gt_scalar(0.5)?;
            let gb = g.mul(&y.mul(&a.log()?)?)?;
            let gb = Var::where_cond(&both, &zero, &gb)?;
            two(ga, gb)
        }
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let (at, bt) = (a.tensor(), b.tensor());
            let wins = if op == BinaryOp::Maximum {
                at.gt(&bt)?
            } else {
                at.lt(&bt)?
            };
            let dt = a.dtype();
            let wa = wins
                .to_dtype(dt)?
                .add(&at.eq(&bt)?.to_dtype(dt)?.mul_scalar(0.5)?)?;
            let wb = wa.rsub_scalar(1.0)?;
            two(g.mul(&Var::constant(wa))?, g.mul(&Var::constant(wb))?)
        }
    }
}

/// Gradients of `where(cond, a, b)`: g where cond holds for `a`, elsewhere for `b`.
pub(crate) fn where_backward(cond: &Tensor, g: &Var) -> Result<Vec<Option<Var>>> {
    let zero = g.full_const(&g.shape(), 0.0)?;
    Ok(vec![
        Some(Var::where_cond(cond, g, &zero)?),
        Some(Var::where_cond(cond, &zero, g)?),
    ])
}
