//! `ball` exit (docs/theory.md §4): leaving the ball, `|x - c|^2 >= r^2`.
//! Slots: vector `c`, scalar `[r^2]`.

use super::{ExitBuilder, ExitModel, ExitParams, ExitPhysics, ExitSetup};
use crate::error::Result;
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::kernel::exits::{bridge_probability, ExitSet};
use crate::simd::{Lanes, Scratch, LANES};
use crate::sweep::{positive, vector_field, Axes, Sweep};
use serde::Deserialize;

/// The `[exit]` fields of `kind = "ball"`: `radius` (> 0), `center` and `bridge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The centre; the start point when absent.
    center: Option<Vec<f64>>,
    radius: Sweep,
    /// Brownian-bridge correction of the once-per-step exit check (docs/theory.md §4).
    bridge: Option<bool>,
}

/// One case's ball: a trajectory leaves when `|x - c| >= r`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ball {
    /// The centre `c`, one number per coordinate (the start point unless given).
    pub center: Vec<f64>,
    /// The radius `r` (> 0).
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
    fn depth(&self, x: &[f64]) -> f64 {
        let r2: f64 = self.center.iter().zip(x).map(|(c, x)| (x - c).powi(2)).sum();
        r2.sqrt() - self.radius
    }
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]) {
        for (slot, v) in vector.iter_mut().zip(&self.center) {
            *slot = *v as f32;
        }
        scalar[0] = (self.radius * self.radius) as f32;
    }
}

impl ExitModel for Ball {
    type File = File;
    type Kernel = Kernel;

    fn sweep(file: &File, axes: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder> {
        let center = file
            .center
            .as_ref()
            .map(|c| vector_field("exit.center", c, setup.dim))
            .transpose()?;
        let radius = axes.number("exit.radius", &file.radius, positive, "a number > 0")?;
        Ok(Box::new(move |c, _, start| {
            Ok(ExitParams::Ball(Ball {
                center: center.clone().unwrap_or_else(|| start.to_vec()),
                radius: c.number(radius),
            }))
        }))
    }
    fn bridge(file: &File) -> bool {
        file.bridge.unwrap_or(false)
    }
    const WGSL: &'static str = include_str!("ball.wgsl");
}

/// CPU lanes; twin of `ball.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    center: [f32; 8],
    radius_squared: f32,
}

impl ExitSet for Kernel {
    #[inline(always)]
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let distance = self.score(x, dim);
        let mut inside = [0u32; LANES];
        for l in 0..LANES {
            inside[l] = (distance[l] >= self.radius_squared) as u32;
        }
        inside
    }
    #[inline(always)]
    fn score<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> Lanes {
        let mut distance = [0f32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim) {
            for l in 0..LANES {
                let y = xc[l] - self.center[c];
                distance[l] += y * y;
            }
        }
        distance
    }
    /// The half-space tangent to the sphere at the point nearest `before`:
    /// distances `r - |x - c|`, variance along the radius `(x - c)/|x - c|`
    /// (the largest coordinate variance at the centre itself).
    #[inline(always)]
    fn crossing<const DIM: usize>(
        &self,
        _: &mut Scratch,
        before: &[Lanes; DIM],
        after: &[Lanes; DIM],
        variance: &[Lanes; DIM],
        dim: usize,
        dt: f32,
    ) -> Lanes {
        let start = self.score(before, dim);
        let end = self.score(after, dim);
        let mut weighted = [0f32; LANES];
        let mut largest = [0f32; LANES];
        for c in 0..dim {
            for l in 0..LANES {
                let y = before[c][l] - self.center[c];
                weighted[l] += y * y * variance[c][l];
                largest[l] = largest[l].max(variance[c][l]);
            }
        }
        let radius = self.radius_squared.sqrt();
        let mut probability = [0f32; LANES];
        for l in 0..LANES {
            let spread = if start[l] > 0.0 {
                weighted[l] / start[l]
            } else {
                largest[l]
            };
            probability[l] = bridge_probability(
                radius - start[l].sqrt(),
                radius - end[l].sqrt(),
                spread,
                dt,
            );
        }
        probability
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            center: p.exit_vector,
            radius_squared: p.exit_scalar[0],
        }
    }
}
