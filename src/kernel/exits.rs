//! What the integrator asks of an exit set on SIMD lanes, after every step.
//! Each exit set's implementation lives in its module under
//! `crate::model::exit`, beside its WGSL twin.

use super::{Lanes, LANES};
use crate::kernel::abi::CaseParams;

pub trait ExitSet: Copy + Send + Sync {
    fn new(params: &CaseParams) -> Self;
    /// Whether each lane's state (`dim` of the `DIM` coordinates) lies in the exit set (1) or not (0).
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES];
}
