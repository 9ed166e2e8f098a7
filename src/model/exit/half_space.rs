//! `half-space` exit (docs/theory.md §4): `n . x >= theta`. Also the kernel of `top`
//! (`x >= top`) and of no exit at all (a zero normal and `theta = +inf`).
//! Slots: vector `n`, scalar `[theta]`.

use super::{no_top, ExitBuilder, ExitModel, ExitParams, ExitPhysics, ExitSetup};
use crate::error::{Error, Result};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::kernel::exits::{bridge_probability, ExitSet};
use crate::simd::{Lanes, Scratch, LANES};
use crate::sweep::{any, vector_field, Axes, Sweep};
use serde::Deserialize;

/// The `[exit]` fields of `kind = "half-space"`: `normal` (`dim` numbers, not all 0),
/// `threshold` and `bridge`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    normal: Vec<f64>,
    threshold: Sweep,
    /// Brownian-bridge correction of the once-per-step exit check (docs/theory.md §4).
    bridge: Option<bool>,
}

/// `top`: the half-space `x_1 >= b` beyond the potential's barrier top `b`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopFile {
    /// Brownian-bridge correction of the once-per-step exit check (docs/theory.md §4).
    bridge: Option<bool>,
}

impl TopFile {
    /// Whether the file asks for the Brownian-bridge correction (default false).
    pub fn bridge(&self) -> bool {
        self.bridge.unwrap_or(false)
    }
}

/// The builder of `top`: each case's half-space at its potential's top.
pub fn top(setup: &ExitSetup) -> Result<ExitBuilder> {
    if !setup.has_top {
        return Err(no_top(setup.potential));
    }
    let (dim, potential_name) = (setup.dim, setup.potential);
    Ok(Box::new(move |_, potential, _| {
        let mut normal = vec![0.0; dim];
        normal[0] = 1.0;
        Ok(ExitParams::HalfSpace(HalfSpace {
            normal,
            threshold: potential.top().ok_or_else(|| no_top(potential_name))?,
        }))
    }))
}

/// One case's half-space `n . x >= theta`.
#[derive(Clone, Debug, PartialEq)]
pub struct HalfSpace {
    /// The normal `n`, one number per coordinate (not normalized; not all 0).
    pub normal: Vec<f64>,
    /// The level `theta` of `n . x` at which a trajectory leaves.
    pub threshold: f64,
}

impl ExitPhysics for HalfSpace {
    fn contains(&self, x: &[f64]) -> bool {
        self.normal.iter().zip(x).map(|(n, x)| n * x).sum::<f64>() >= self.threshold
    }
    fn depth(&self, x: &[f64]) -> f64 {
        let norm = self.normal.iter().map(|n| n * n).sum::<f64>().sqrt();
        (self.normal.iter().zip(x).map(|(n, x)| n * x).sum::<f64>() - self.threshold) / norm
    }
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]) {
        for (slot, v) in vector.iter_mut().zip(&self.normal) {
            *slot = *v as f32;
        }
        scalar[0] = self.threshold as f32;
    }
}

impl ExitModel for HalfSpace {
    type File = File;
    type Kernel = Kernel;

    fn sweep(file: &File, axes: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder> {
        let normal = vector_field("exit.normal", &file.normal, setup.dim)?;
        if normal.iter().all(|&n| n == 0.0) {
            return Err(Error::invalid(
                "exit.normal",
                format!("{normal:?}"),
                "a non-zero vector",
            ));
        }
        let threshold = axes.number("exit.threshold", &file.threshold, any, "a finite number")?;
        Ok(Box::new(move |c, _, _| {
            Ok(ExitParams::HalfSpace(HalfSpace {
                normal: normal.clone(),
                threshold: c.number(threshold),
            }))
        }))
    }

    fn bridge(file: &File) -> bool {
        file.bridge.unwrap_or(false)
    }
    const WGSL: &'static str = include_str!("half_space.wgsl");
}

/// CPU lanes; twin of `half_space.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    normal: [f32; 8],
    threshold: f32,
}

impl ExitSet for Kernel {
    #[inline(always)]
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let projection = self.score(x, dim);
        let mut inside = [0u32; LANES];
        for l in 0..LANES {
            inside[l] = (projection[l] >= self.threshold) as u32;
        }
        inside
    }
    #[inline(always)]
    fn score<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> Lanes {
        let mut projection = [0f32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim) {
            for l in 0..LANES {
                projection[l] += self.normal[c] * xc[l];
            }
        }
        projection
    }
    /// Exact for constant noise: `y = n . x` is a Brownian motion of variance
    /// `sum n_c^2 D_c` per unit time between the steps.
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
        let mut start = [0f32; LANES];
        let mut spread = [0f32; LANES];
        for c in 0..dim {
            let n = self.normal[c];
            for l in 0..LANES {
                start[l] += n * before[c][l];
                spread[l] += n * n * variance[c][l];
            }
        }
        let end = self.score(after, dim);
        let mut probability = [0f32; LANES];
        for l in 0..LANES {
            probability[l] = bridge_probability(
                self.threshold - start[l],
                self.threshold - end[l],
                spread[l],
                dt,
            );
        }
        probability
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            normal: p.exit_vector,
            threshold: p.exit_scalar[0],
        }
    }
}
