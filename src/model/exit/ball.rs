//! `ball` exit (SPEC §4): leaving the ball, `|x - c|^2 >= r^2`.
//! Slots: vector `c`, scalar `[r^2]`.

use super::{ExitModel, ExitPhysics};
use crate::kernel::exits::ExitSet;
use crate::kernel::{Lanes, LANES};
use crate::kernel::abi::CaseParams;

#[derive(Clone, Debug, PartialEq)]
pub struct Ball {
    pub center: Vec<f64>,
    pub radius: f64,
}

impl ExitPhysics for Ball {
    fn contains(&self, x: &[f64]) -> bool {
        self.center
            .iter()
            .zip(x)
            .map(|(c, x)| (x - c).powi(2))
            .sum::<f64>()
            >= self.radius * self.radius
    }
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]) {
        for (slot, v) in vector.iter_mut().zip(&self.center) {
            *slot = *v as f32;
        }
        scalar[0] = (self.radius * self.radius) as f32;
    }
}

impl ExitModel for Ball {
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("ball.wgsl");
}

/// CPU lanes; twin of `ball.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    center: [f32; 8],
    radius_squared: f32,
}

impl ExitSet for Kernel {
    fn new(p: &CaseParams) -> Self {
        Kernel {
            center: p.exit_vector,
            radius_squared: p.exit_scalar[0],
        }
    }
    #[inline(always)]
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let mut distance = [0f32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim) {
            for l in 0..LANES {
                let y = xc[l] - self.center[c];
                distance[l] += y * y;
            }
        }
        let mut inside = [0u32; LANES];
        for l in 0..LANES {
            inside[l] = (distance[l] >= self.radius_squared) as u32;
        }
        inside
    }
}
