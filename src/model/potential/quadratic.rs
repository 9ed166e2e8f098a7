//! `quadratic` (docs/theory.md §3): `L = 1/2 H sum_j (x_j - c)^2`. Slots `[H, c]`.

use super::{Builder, Physics, PotentialModel, Setup};
use crate::error::Result;
use crate::kernel::potentials::Potential;
use crate::kernel::AnyDim;
use crate::sweep::{any, positive, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[potential]` fields of `kind = "quadratic"`: `curvature` (> 0), `center` (default 0).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    curvature: Sweep,
    center: Option<Sweep>,
}

/// One case's quadratic basin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quadratic {
    /// Curvature `H` (> 0), shared by every coordinate.
    pub curvature: f64,
    /// Centre `c`, the minimum of every coordinate.
    pub center: f64,
}

impl Physics for Quadratic {
    fn value(&self, x: f64) -> f64 {
        0.5 * self.curvature * (x - self.center).powi(2)
    }
    fn gradient(&self, x: f64) -> f64 {
        self.curvature * (x - self.center)
    }
    fn minimum(&self) -> f64 {
        self.center
    }
    fn curvature_at_minimum(&self) -> f64 {
        self.curvature
    }
    fn basin_curvature(&self) -> Option<f64> {
        Some(self.curvature)
    }
    fn slots(&self) -> Vec<f64> {
        vec![self.curvature, self.center]
    }
}

impl PotentialModel for Quadratic {
    type File = File;
    type Kernel<'d> = Kernel;
    type Dims = AnyDim;
    const WGSL: &'static str = include_str!("quadratic.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &mut Setup) -> Result<Builder<Self>> {
        let curvature =
            axes.number("potential.curvature", &file.curvature, positive, "a number > 0")?;
        let center = axes.number(
            "potential.center",
            file.center.as_ref().unwrap_or(&Sweep::one(0.0)),
            any,
            "a finite number",
        )?;
        Ok(Box::new(move |c| {
            Ok(Quadratic {
                curvature: c.number(curvature),
                center: c.number(center),
            })
        }))
    }
}

/// CPU lanes; twin of `quadratic.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    curvature: f32,
    center: f32,
}

impl Potential<'_> for Kernel {
    #[inline(always)]
    fn gradient(&self, _: usize, x: f32) -> f32 {
        self.curvature * (x - self.center)
    }
    #[inline(always)]
    fn value(&self, _: usize, x: f32) -> f32 {
        let y = x - self.center;
        0.5 * self.curvature * y * y
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            curvature: p.potential[0],
            center: p.potential[1],
        }
    }
}
