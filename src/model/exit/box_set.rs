//! `box` exit (docs/theory.md §4): outside `lower <= x <= upper` in some coordinate
//! (bounds may be infinite; `dim <= 4`). Slots: vector `[lower[0..4], upper[0..4]]`.

use super::{ExitBuilder, ExitModel, ExitParams, ExitPhysics, ExitSetup};
use crate::error::{Error, Result};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::kernel::exits::{bridge_probability, ExitSet};
use crate::simd::{Lanes, Scratch, LANES};
use crate::sweep::{bound_field, Axes};
use serde::Deserialize;

/// The `[exit]` fields of `kind = "box"`: `lower` and `upper`, `dim` bounds each (+-inf
/// allowed).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// Brownian-bridge correction of the once-per-step exit check (docs/theory.md §4).
    bridge: Option<bool>,
}

/// Largest dimension of a box (its bounds fill the 8-slot exit vector).
pub const MAX_BOX_DIM: usize = 4;

/// One case's box: a trajectory leaves when some coordinate is outside `[lower, upper]`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxSet {
    /// Lower bound of each coordinate (may be `-inf`).
    pub lower: Vec<f64>,
    /// Upper bound of each coordinate, above `lower` (may be `+inf`).
    pub upper: Vec<f64>,
}

impl ExitPhysics for BoxSet {
    fn contains(&self, x: &[f64]) -> bool {
        x.iter()
            .zip(self.lower.iter().zip(&self.upper))
            .any(|(x, (lo, hi))| !(lo <= x && x <= hi))
    }
    /// The largest violation of a bound: exact inside the box and beside one face.
    fn depth(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(self.lower.iter().zip(&self.upper))
            .map(|(x, (lo, hi))| (lo - x).max(x - hi))
            .fold(f64::NEG_INFINITY, f64::max)
    }
    fn pack(&self, vector: &mut [f32; 8], _: &mut [f32; 4]) {
        for (c, (lo, hi)) in self.lower.iter().zip(&self.upper).enumerate() {
            vector[c] = *lo as f32;
            vector[MAX_BOX_DIM + c] = *hi as f32;
        }
    }
}

impl ExitModel for BoxSet {
    type File = File;
    type Kernel = Kernel;

    fn sweep(file: &File, _: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder> {
        let dim = setup.dim;
        if dim > MAX_BOX_DIM {
            return Err(Error::invalid(
                "exit.kind",
                "\"box\"",
                format!("dim <= {MAX_BOX_DIM} for a box exit (dim is {dim})"),
            ));
        }
        let lower = bound_field("exit.lower", &file.lower, dim)?;
        let upper = bound_field("exit.upper", &file.upper, dim)?;
        if let Some(c) = (0..dim).find(|&c| lower[c] >= upper[c]) {
            return Err(Error::invalid(
                "exit.upper",
                format!("{upper:?}"),
                format!(
                    "upper > lower in every coordinate (coordinate {c}: lower {}, upper {})",
                    lower[c], upper[c]
                ),
            ));
        }
        let exit = BoxSet { lower, upper };
        Ok(Box::new(move |_, _, _| Ok(ExitParams::BoxSet(exit.clone()))))
    }
    fn bridge(file: &File) -> bool {
        file.bridge.unwrap_or(false)
    }
    const WGSL: &'static str = include_str!("box_set.wgsl");
}

/// CPU lanes; twin of `box_set.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    lower: [f32; 4],
    upper: [f32; 4],
}

impl ExitSet for Kernel {
    #[inline(always)]
    fn contains<const DIM: usize>(&self, x: &[Lanes; DIM], dim: usize) -> [u32; LANES] {
        let mut outside = [0u32; LANES];
        for (c, xc) in x.iter().enumerate().take(dim.min(MAX_BOX_DIM)) {
            for l in 0..LANES {
                outside[l] |= ((xc[l] < self.lower[c]) | (xc[l] > self.upper[c])) as u32;
            }
        }
        outside
    }
    /// Each face is a half-space crossed by one coordinate, whose bridges are
    /// independent given the ends: the step leaves unless it survives every
    /// face, `1 - prod (1 - p_face)` (an infinite bound's `p` is 0). The two
    /// faces of one coordinate are taken as independent too, which drops terms
    /// of order `exp(-2 width^2 / (D dt))`.
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
        let mut stay = [1f32; LANES];
        for c in 0..dim.min(MAX_BOX_DIM) {
            let (lower, upper) = (self.lower[c], self.upper[c]);
            for l in 0..LANES {
                let (x0, x1, spread) = (before[c][l], after[c][l], variance[c][l]);
                let below = bridge_probability(x0 - lower, x1 - lower, spread, dt);
                let above = bridge_probability(upper - x0, upper - x1, spread, dt);
                stay[l] *= (1.0 - below) * (1.0 - above);
            }
        }
        let mut probability = [0f32; LANES];
        for l in 0..LANES {
            probability[l] = 1.0 - stay[l];
        }
        probability
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            lower: std::array::from_fn(|c| p.exit_vector[c]),
            upper: std::array::from_fn(|c| p.exit_vector[MAX_BOX_DIM + c]),
        }
    }
}
