//! `langevin` (docs/theory.md §2): constant variance `D = D0`. Slots `[D0]`.

use super::{interpretation_axis, NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::Result;
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::sweep::{non_negative, Axes, StringSweep, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[noise]` fields of `kind = "langevin"`: `d0` (>= 0) and `interpretation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    d0: Sweep,
    interpretation: Option<StringSweep>,
}

/// One case's constant-variance noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Langevin {
    /// The variance `D0` (>= 0) of every coordinate (the paper's `eta sigma^2`).
    pub d0: f64,
}

impl NoisePhysics for Langevin {
    fn variance(&self, _: f64, _: &PotentialParams) -> f64 {
        self.d0
    }
    fn variance_derivative(&self, _: f64, _: &PotentialParams) -> f64 {
        0.0
    }
    fn is_silent(&self) -> bool {
        self.d0 == 0.0
    }
    fn slots(&self, _: f64, _: &PotentialParams) -> Vec<f64> {
        vec![self.d0]
    }
}

impl NoiseModel for Langevin {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("langevin.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        let d0 = axes.number("noise.d0", &file.d0, non_negative, "a number >= 0")?;
        let interpretation = interpretation_axis(axes, file.interpretation.as_ref())?;
        Ok(Box::new(move |c, _| {
            Ok((Langevin { d0: c.number(d0) }, interpretation.pick(c)))
        }))
    }
}

/// CPU lanes; twin of `langevin.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    d0: f32,
}

impl Noise for Kernel {
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, z: f32) -> f32 {
        x - gradient * dt + (self.d0 * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, _: f32, _: f32) -> f32 {
        self.d0
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel { d0: p.noise[0] }
    }
}
