//! Exit sets (SPEC §4), tested on lanes after every step. Twin of `shaders/shared/exits.wgsl`.

use super::{Lanes, LANES};
use crate::spec::CaseParams;

pub trait ExitSet<const DIM: usize>: Copy + Send + Sync {
    fn new(params: &CaseParams) -> Self;
    /// Whether each lane's state lies in the exit set (1) or not (0).
    fn contains(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES];
}

/// `normal . x >= threshold`. Experiments without an exit use a zero normal and
/// an infinite threshold.
#[derive(Clone, Copy)]
pub struct HalfSpace {
    normal: [f32; 8],
    threshold: f32,
}

impl<const DIM: usize> ExitSet<DIM> for HalfSpace {
    fn new(p: &CaseParams) -> Self {
        HalfSpace {
            normal: p.exit_vector,
            threshold: p.exit_scalar[0],
        }
    }
    #[inline(always)]
    fn contains(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
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

/// `|x - center|^2 >= radius^2`.
#[derive(Clone, Copy)]
pub struct Ball {
    center: [f32; 8],
    radius_squared: f32,
}

impl<const DIM: usize> ExitSet<DIM> for Ball {
    fn new(p: &CaseParams) -> Self {
        Ball {
            center: p.exit_vector,
            radius_squared: p.exit_scalar[0],
        }
    }
    #[inline(always)]
    fn contains(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
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

/// Outside `lower <= x <= upper` in some coordinate (`dim <= 4`).
#[derive(Clone, Copy)]
pub struct BoxSet {
    lower: [f32; 4],
    upper: [f32; 4],
}

impl<const DIM: usize> ExitSet<DIM> for BoxSet {
    fn new(p: &CaseParams) -> Self {
        BoxSet {
            lower: std::array::from_fn(|c| p.exit_vector[c]),
            upper: std::array::from_fn(|c| p.exit_vector[4 + c]),
        }
    }
    #[inline(always)]
    fn contains(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let mut outside = [0u32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim.min(4)) {
            for l in 0..LANES {
                outside[l] |= ((xc[l] < self.lower[c]) | (xc[l] > self.upper[c])) as u32;
            }
        }
        outside
    }
}
