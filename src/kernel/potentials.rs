//! What the integrator asks of a potential on SIMD lanes (per coordinate: all
//! potentials are separable, `L(x) = sum_j l_j(x_j)`). Each potential's
//! implementation lives in its module under `crate::model::potential`, beside
//! its WGSL twin.

use super::{Lanes, LANES};
use crate::kernel::abi::CaseParams;

pub trait Potential<'a>: Copy + Send + Sync {
    fn new(params: &CaseParams, data_set: &'a [f32]) -> Self;
    /// `d l / d x` of one coordinate.
    fn gradient(&self, coord: usize, x: f32) -> f32;
    /// `l(x)` of one coordinate.
    fn value(&self, coord: usize, x: f32) -> f32;

    #[inline(always)]
    fn gradient_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] = self.gradient(coord, x[l]);
        }
    }

    #[inline(always)]
    fn value_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] += self.value(coord, x[l]);
        }
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
