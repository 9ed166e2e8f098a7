//! What the integrator asks of an exit set on SIMD lanes, after every step.
//! Each exit set's implementation lives in its module under
//! `crate::model::exit`, beside its WGSL twin.

use crate::simd::fastmath::exp;
use crate::simd::{Lanes, Scratch, LANES};

/// An exit set as the CPU kernel tests it after every step, on [`LANES`] trajectories at once.
pub trait ExitSet: Send + Sync {
    /// Tests with [`Self::contains_state`] (registers of a formula) instead of [`Self::contains`].
    const STATE: bool = false;

    /// Whether each lane's state (`dim` of the `DIM` coordinates) lies in the exit set (1) or not (0).
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES];

    /// Rare-event splitting's score on lanes: the quantity [`Self::contains`]
    /// compares with its threshold (a half-space's `n . x`, a ball's squared
    /// distance from its centre), so that the exit is `score >= threshold`.
    /// Exits without one (a box) are refused before a rare-event run; a
    /// formula exit's score is its `g` ([`Self::score_state`]).
    #[inline(always)]
    fn score<const DIM: usize>(&self, _x: &[Lanes; DIM], _dim: usize) -> Lanes {
        unreachable!("only half-space and ball exits have a score")
    }

    /// [`Self::score`] of a formula exit, with its registers.
    #[inline(always)]
    fn score_state<const DIM: usize>(
        &self,
        _scratch: &mut Scratch,
        _x: &[Lanes; DIM],
        _dim: usize,
    ) -> Lanes {
        unreachable!("only formula exits have registers")
    }

    /// The Brownian-bridge correction (docs/theory.md §4): for a step from
    /// `before` to `after` that stayed inside, the probability that the
    /// continuous path left in between, given each coordinate's noise variance
    /// `variance` at `before` (a lane that ended outside gets a number >= 1 or
    /// NaN, never read). A half-space's is exact for constant noise; a box
    /// multiplies its faces' survival probabilities; a curved exit uses the
    /// half-space through the nearest boundary point (Gobet 2001).
    fn crossing<const DIM: usize>(
        &self,
        scratch: &mut Scratch,
        before: &[Lanes; DIM],
        after: &[Lanes; DIM],
        variance: &[Lanes; DIM],
        dim: usize,
        dt: f32,
    ) -> Lanes;

    /// Registers for [`Self::contains_state`] (none for built-ins).
    fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// [`Self::contains`] of a formula exit ([`Self::STATE`]), with its registers.
    #[inline(always)]
    fn contains_state<const DIM: usize>(
        &self,
        _scratch: &mut Scratch,
        _x: &[Lanes; DIM],
        _dim: usize,
    ) -> [u32; LANES] {
        unreachable!("only formula exits have registers")
    }
}

/// The probability that a Brownian bridge of variance `spread * dt` between
/// two points at distances `distance_before` and `distance_after` inside a
/// flat boundary touched it: `exp(-2 d_0 d_1 / (spread dt))` (docs/theory.md §4).
/// Twin of `bridge_probability` in `shaders/simulate.wgsl`.
#[inline(always)]
pub fn bridge_probability(distance_before: f32, distance_after: f32, spread: f32, dt: f32) -> f32 {
    let gap = -2.0 * distance_before * distance_after;
    exp(gap / (spread * dt))
}

#[cfg(test)]
mod tests {
    use super::bridge_probability;

    /// Known answers of the crossing probability `exp(-2 d0 d1 / (D dt))`
    /// (docs/theory.md §4; Lévy's reflection principle for a bridge), against
    /// f64: the exponent's 2 and each factor's place in it, the symmetry in
    /// the two distances, 1 at the boundary and 0 far from it.
    #[test]
    fn crossing_probability_is_the_reflection_principle() {
        for (d0, d1, spread, dt) in [
            (0.3f32, 0.5f32, 2.0f32, 0.1f32),
            (0.05, 0.2, 0.5, 0.01),
            (1.0, 0.01, 1.0, 1.0),
            (0.7, 0.9, 3.0, 0.25),
        ] {
            let exact = (-2.0 * d0 as f64 * d1 as f64 / (spread as f64 * dt as f64)).exp();
            let p = bridge_probability(d0, d1, spread, dt) as f64;
            assert!(
                (p - exact).abs() <= 1e-6 * exact + 1e-12,
                "d0 {d0}, d1 {d1}, D {spread}, dt {dt}: {p} vs {exact}"
            );
            assert_eq!(
                bridge_probability(d0, d1, spread, dt),
                bridge_probability(d1, d0, spread, dt)
            );
        }
        assert_eq!(bridge_probability(0.0, 0.4, 1.0, 0.1), 1.0);
        assert!(bridge_probability(3.0, 3.0, 1.0, 0.1) < 1e-30);
    }
}
