//! `double-well` (docs/theory.md §3): `L = h ((x/a)^2 - 1)^2` per coordinate; minima
//! `+-a`, barrier `h` at 0. Slots `[h, a, 4h/a^2, 1/a^2]`.

use super::{Builder, Physics, PotentialModel, Setup};
use crate::error::Result;
use crate::kernel::potentials::Potential;
use crate::kernel::AnyDim;
use crate::sweep::{positive, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[potential]` fields of `kind = "double-well"`: `height` (> 0), `half_width`
/// (> 0, default 1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    height: Sweep,
    half_width: Option<Sweep>,
}

/// One case's double well (every coordinate alike).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DoubleWell {
    /// Barrier height `h` (> 0): `L` at the top 0 above the minima.
    pub height: f64,
    /// Half-width `a` (> 0): the minima sit at `+-a`.
    pub half_width: f64,
}

impl Physics for DoubleWell {
    fn value(&self, x: f64) -> f64 {
        let r = x / self.half_width;
        self.height * (r * r - 1.0).powi(2)
    }
    fn gradient(&self, x: f64) -> f64 {
        let a2 = self.half_width * self.half_width;
        4.0 * self.height * x * (x * x / a2 - 1.0) / a2
    }
    /// The left well.
    fn minimum(&self) -> f64 {
        -self.half_width.abs()
    }
    fn top(&self) -> Option<f64> {
        Some(0.0)
    }
    fn curvature_at_minimum(&self) -> f64 {
        8.0 * self.height / self.half_width.powi(2)
    }
    fn basin_curvature(&self) -> Option<f64> {
        Some(8.0 * self.height / (self.half_width * self.half_width))
    }
    fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        let a2 = self.half_width * self.half_width;
        Some((8.0 * self.height / a2, 4.0 * self.height / a2, self.height))
    }
    fn slots(&self) -> Vec<f64> {
        let (h, a) = (self.height, self.half_width);
        vec![h, a, 4.0 * h / (a * a), 1.0 / (a * a)]
    }
}

impl PotentialModel for DoubleWell {
    type File = File;
    type Kernel<'d> = Kernel;
    type Dims = AnyDim;
    const WGSL: &'static str = include_str!("double_well.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &mut Setup) -> Result<Builder<Self>> {
        let height = axes.number("potential.height", &file.height, positive, "a number > 0")?;
        let half_width = axes.number(
            "potential.half_width",
            file.half_width.as_ref().unwrap_or(&Sweep::one(1.0)),
            positive,
            "a number > 0",
        )?;
        Ok(Box::new(move |c| {
            Ok(DoubleWell {
                height: c.number(height),
                half_width: c.number(half_width),
            })
        }))
    }
}

/// CPU lanes; twin of `double_well.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    height: f32,
    four_h_over_a2: f32,
    inv_a2: f32,
}

impl Potential<'_> for Kernel {
    #[inline(always)]
    fn gradient(&self, _: usize, x: f32) -> f32 {
        self.four_h_over_a2 * x * (x * x * self.inv_a2 - 1.0)
    }
    #[inline(always)]
    fn value(&self, _: usize, x: f32) -> f32 {
        let s = x * x * self.inv_a2 - 1.0;
        self.height * s * s
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            height: p.potential[0],
            four_h_over_a2: p.potential[2],
            inv_a2: p.potential[3],
        }
    }
}
