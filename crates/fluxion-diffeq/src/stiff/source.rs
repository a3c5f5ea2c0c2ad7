//! What [`Jacobian`](crate::Jacobian) and [`BatchJacobian`](crate::BatchJacobian) share: where
//! `J = ∂f/∂y` and `∂f/∂t` come from, generic over the form `M` of a user's closure.

use fluxion_autodiff::Var;

/// A right-hand side written over [`Var`], for autodiff Jacobians.
pub(super) type VarRhs<'a> = Box<dyn Fn(f64, &Var) -> fluxion_autodiff::Result<Var> + 'a>;

/// Where `J` comes from: a user closure `M`, autodiff of a [`VarRhs`], or finite differences.
pub(super) enum JacobianKind<'a, M> {
    Analytic(M),
    Autodiff(VarRhs<'a>),
    FiniteDifferences,
}

/// Where `∂f/∂t` comes from: a forward difference (the default), zero, or a user closure `M`.
pub(super) enum TimeKind<M> {
    FiniteDifference,
    Zero,
    Analytic(M),
}

/// The pair of sources a Jacobian type holds.
pub(super) struct Source<'a, M> {
    pub(super) kind: JacobianKind<'a, M>,
    pub(super) time: TimeKind<M>,
}

impl<'a, M> Source<'a, M> {
    /// `J` from `kind`, `∂f/∂t` by a forward difference.
    pub(super) fn new(kind: JacobianKind<'a, M>) -> Self {
        Source {
            kind,
            time: TimeKind::FiniteDifference,
        }
    }

    /// The `Debug` form of the Jacobian type `name`: the kinds, not the closures.
    pub(super) fn fmt_as(&self, name: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            JacobianKind::Analytic(_) => "analytic",
            JacobianKind::Autodiff(_) => "autodiff",
            JacobianKind::FiniteDifferences => "finite differences",
        };
        let time = match self.time {
            TimeKind::FiniteDifference => "finite difference",
            TimeKind::Zero => "zero (autonomous)",
            TimeKind::Analytic(_) => "analytic",
        };
        f.debug_struct(name)
            .field("kind", &kind)
            .field("time_derivative", &time)
            .finish()
    }
}
