//! What the integrator asks of an exit set on SIMD lanes, after every step.
//! Each exit set's implementation lives in its module under
//! `crate::model::exit`, beside its WGSL twin.

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
