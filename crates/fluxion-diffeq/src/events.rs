//! Events: sign changes of a user function `g(t, y)` located on the dense interpolant.

use crate::error::Result;

/// Which sign changes of `g` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// From negative to non-negative.
    Rising,
    /// From positive to non-positive.
    Falling,
    /// Either.
    #[default]
    Both,
}

/// A boxed event function `g(t, y)`.
type EventFn<'a, S> = Box<dyn FnMut(f64, &S) -> Result<f64> + 'a>;

/// An event function `g(t, y)`; an event happens where `g` changes sign in `direction`.
///
/// ```
/// use fluxion_diffeq::{Direction, Event};
/// // y[0] crosses zero from above: a ball hitting the ground; stop there.
/// let ground = Event::new(|_t, y: &Vec<f64>| Ok(y[0])).direction(Direction::Falling).terminal(true);
/// # let _ = ground;
/// ```
pub struct Event<'a, S> {
    pub(crate) g: EventFn<'a, S>,
    pub(crate) direction: Direction,
    pub(crate) terminal: bool,
}

impl<S> std::fmt::Debug for Event<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("direction", &self.direction)
            .field("terminal", &self.terminal)
            .finish()
    }
}

impl<'a, S> Event<'a, S> {
    /// A non-terminal event on sign changes of `g` in both directions.
    pub fn new(g: impl FnMut(f64, &S) -> Result<f64> + 'a) -> Self {
        Event {
            g: Box::new(g),
            direction: Direction::Both,
            terminal: false,
        }
    }

    /// Only sign changes in `direction` count.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Whether the solve stops at the first occurrence.
    pub fn terminal(mut self, terminal: bool) -> Self {
        self.terminal = terminal;
        self
    }

    pub(crate) fn crosses(&self, g0: f64, g1: f64) -> bool {
        let rising = g0 < 0.0 && g1 >= 0.0;
        let falling = g0 > 0.0 && g1 <= 0.0;
        match self.direction {
            Direction::Rising => rising,
            Direction::Falling => falling,
            Direction::Both => rising || falling,
        }
    }
}

/// An event that happened.
#[derive(Debug, Clone)]
pub struct EventHit<S> {
    /// Index of the event in the slice given to the solver.
    pub index: usize,
    /// Time of the sign change.
    pub t: f64,
    /// State there (from the dense interpolant).
    pub y: S,
}

/// Root of `g` on `[a, b]` with `g(a)·g(b) ≤ 0` by the Illinois variant of regula falsi
/// (Dowell & Jarratt, BIT 11, 1971): superlinear (order ≈ 1.44), never leaves the bracket.
///
/// Stops when the bracket is below `4ε·max(|a|, |b|) + 1e-14·|b − a|₀` or `g` is exactly 0.
pub(crate) fn illinois(
    mut g: impl FnMut(f64) -> Result<f64>,
    mut a: f64,
    mut ga: f64,
    mut b: f64,
    mut gb: f64,
) -> Result<f64> {
    if gb == 0.0 {
        return Ok(b);
    }
    let tol0 = 1e-14 * (b - a).abs();
    let mut side = 0i8;
    for _ in 0..200 {
        let tol = 4.0 * f64::EPSILON * a.abs().max(b.abs()) + tol0;
        if (b - a).abs() <= tol {
            break;
        }
        let mut c = (a * gb - b * ga) / (gb - ga);
        if !c.is_finite() || (c - a) * (c - b) > 0.0 {
            c = 0.5 * (a + b);
        }
        let gc = g(c)?;
        if gc == 0.0 {
            return Ok(c);
        }
        if (gc > 0.0) == (gb > 0.0) {
            // c replaces b; a is kept for the second time in a row → halve its weight.
            b = c;
            gb = gc;
            if side == -1 {
                ga *= 0.5;
            }
            side = -1;
        } else {
            a = c;
            ga = gc;
            if side == 1 {
                gb *= 0.5;
            }
            side = 1;
        }
    }
    // The root lies in the final bracket; return the end on the far side of the sign change.
    Ok(b)
}
