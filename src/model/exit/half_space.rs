//! `half-space` exit (SPEC §4): `n . x >= theta`. Also the kernel of `top`
//! (`x >= top`) and of no exit at all (a zero normal and `theta = +inf`).
//! Slots: vector `n`, scalar `[theta]`.

use super::{ExitModel, ExitPhysics};
use crate::kernel::exits::ExitSet;
use crate::kernel::{Lanes, LANES};
use crate::kernel::abi::CaseParams;

#[derive(Clone, Debug, PartialEq)]
pub struct HalfSpace {
    pub normal: Vec<f64>,
    pub threshold: f64,
}

impl ExitPhysics for HalfSpace {
    fn contains(&self, x: &[f64]) -> bool {
        self.normal.iter().zip(x).map(|(n, x)| n * x).sum::<f64>() >= self.threshold
    }
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]) {
        for (slot, v) in vector.iter_mut().zip(&self.normal) {
            *slot = *v as f32;
        }
        scalar[0] = self.threshold as f32;
    }
}

impl ExitModel for HalfSpace {
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("half_space.wgsl");
}

/// CPU lanes; twin of `half_space.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    normal: [f32; 8],
    threshold: f32,
}

impl ExitSet for Kernel {
    fn new(p: &CaseParams) -> Self {
        Kernel {
            normal: p.exit_vector,
            threshold: p.exit_scalar[0],
        }
    }
    #[inline(always)]
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let mut projection = [0f32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim) {
            for l in 0..LANES {
                projection[l] += self.normal[c] * xc[l];
            }
        }
        let mut inside = [0u32; LANES];
        for l in 0..LANES {
            inside[l] = (projection[l] >= self.threshold) as u32;
        }
        inside
    }
}
