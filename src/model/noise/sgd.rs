//! `sgd` (docs/theory.md §2): minibatch SGD on the potential's data set, no SDE noise:
//! the drift is `(1/B) sum_b grad l(x - x_b)` over `B` data points drawn with
//! replacement each step (the integrator draws them and hands the minibatch
//! gradient to [`Noise::step`]). Slots `[B]`.

use super::{NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::{Error, Result};
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::sweep::Axes;
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::dynamics::Interpretation;
use serde::Deserialize;

/// Largest minibatch.
pub const MAX_BATCH: i64 = 4096;

/// The `[noise]` fields of `kind = "sgd"`: the minibatch size `batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The minibatch size `B` as written; 1 to [`MAX_BATCH`] once validated.
    pub batch: i64,
}

/// One case's minibatch SGD (Itô; no SDE noise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// The minibatch size `B`.
    pub batch: u32,
}

impl NoisePhysics for Sgd {
    fn variance(&self, _: f64, _: &PotentialParams) -> f64 {
        0.0
    }
    fn variance_derivative(&self, _: f64, _: &PotentialParams) -> f64 {
        0.0
    }
    /// The minibatch is the noise.
    fn is_silent(&self) -> bool {
        false
    }
    fn slots(&self, _: f64, _: &PotentialParams) -> Vec<f64> {
        vec![self.batch as f64]
    }
}

impl NoiseModel for Sgd {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("sgd.wgsl");

    fn sweep(file: &File, _: &mut Axes, setup: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        if !setup.data_set {
            return Err(Error::invalid(
                "noise.kind",
                "\"sgd\"",
                format!(
                    "\"sgd\" needs a potential with a data set (\"paper-2d\"), not \"{}\"",
                    setup.potential
                ),
            ));
        }
        if !(1..=MAX_BATCH).contains(&file.batch) {
            return Err(Error::invalid(
                "noise.batch",
                file.batch,
                format!("an integer from 1 to {MAX_BATCH}"),
            ));
        }
        let batch = file.batch as u32;
        Ok(Box::new(move |_, _| {
            Ok((Sgd { batch }, Interpretation::Ito))
        }))
    }
}

/// CPU lanes; twin of `sgd.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    batch: u32,
}

impl Noise for Kernel {
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, _: f32) -> f32 {
        x - gradient * dt
    }
    fn variance(&self, _: f32, _: f32) -> f32 {
        0.0
    }
    fn batch(&self) -> u32 {
        self.batch
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            batch: p.noise[0] as u32,
        }
    }
}
