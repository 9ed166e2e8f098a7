//! What the integrator asks of a potential on SIMD lanes. Built-in potentials
//! are separable, `L(x) = sum_j l_j(x_j)`, and answer per coordinate; a
//! potential with [`Potential::STATE`] (a formula) answers for the whole state
//! at once. Each potential's implementation lives in its module under
//! `crate::model::potential`, beside its WGSL twin.

use crate::simd::{Lanes, Scratch, LANES};

/// A potential as the CPU kernel evaluates it; `'a` is the lifetime of case data it borrows
/// (`paper-2d`'s data set).
pub trait Potential<'a>: Send + Sync {
    /// Reads the gradient and value of the whole state ([`Self::state_lanes`])
    /// instead of one coordinate at a time.
    const STATE: bool = false;

    /// `d l / d x` of one coordinate.
    fn gradient(&self, coord: usize, x: f32) -> f32;
    /// `l(x)` of one coordinate.
    fn value(&self, coord: usize, x: f32) -> f32;

    /// [`Self::gradient`] on every lane of `x`, written into `out`.
    #[inline(always)]
    fn gradient_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] = self.gradient(coord, x[l]);
        }
    }

    /// [`Self::value`] on every lane of `x`, added to `out` (which sums the coordinates).
    #[inline(always)]
    fn value_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] += self.value(coord, x[l]);
        }
    }

    /// Registers for [`Self::state_lanes`] (none for built-ins).
    fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// [`Self::STATE`] potentials: the gradient of the first `dim`
    /// coordinates, and `L(X)` into `loss` when asked.
    #[inline(always)]
    fn state_lanes<const DIM: usize>(
        &self,
        _scratch: &mut Scratch,
        _x: &[Lanes; DIM],
        _dim: usize,
        _gradient: &mut [Lanes; DIM],
        _loss: Option<&mut Lanes>,
    ) {
        unreachable!("only formula potentials answer for the whole state")
    }

    /// The minibatch gradient `scale/B sum_b l'(x - data[index_b])` of one
    /// coordinate, for SGD; only potentials with a data set have one.
    fn minibatch_gradient_lanes(
        &self,
        _coord: usize,
        _x: &Lanes,
        _batch: &[[u32; LANES]],
        _out: &mut Lanes,
    ) {
        unreachable!("validation allows sgd only on potentials with a data set")
    }
}
