//! `sgd` (docs/theory.md §2): minibatch SGD on the potential's data set, no SDE noise:
//! the drift is `(1/B) sum_b grad l(x - x_b)` over `B` data points drawn with
//! replacement each step (the integrator draws them and hands the minibatch
//! gradient to [`Noise::step`]). With `momentum = mu` > 0 the step is heavy
//! ball, `v <- mu v - eta g_B(x)`, `x <- x + v` (the scheme of
//! [`Dynamics::HeavyBall`](crate::dynamics::Dynamics::HeavyBall), stepped by
//! the integrator). Slots `[B, mu]`.

use super::{NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::{Error, Result};
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::sweep::{Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::dynamics::Interpretation;
use serde::Deserialize;

/// Largest minibatch.
pub const MAX_BATCH: i64 = 4096;

/// The `[noise]` fields of `kind = "sgd"`: the minibatch size `batch` and
/// the heavy-ball momentum `momentum` (sweepable; absent or `0`: plain SGD).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The minibatch size `B` as written; 1 to [`MAX_BATCH`] once validated.
    pub batch: i64,
    /// The heavy-ball momentum `mu` in `[0, 1)`.
    pub momentum: Option<Sweep>,
}

impl File {
    /// Whether the file asks for heavy ball: a `momentum` with a value other
    /// than 0 (`momentum = 0` is plain SGD, results and case table alike).
    pub fn heavy_ball(&self) -> bool {
        self.momentum
            .as_ref()
            .is_some_and(|m| m.0.iter().any(|&mu| mu != 0.0))
    }
}

/// One case's minibatch SGD (Itô; no SDE noise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// The minibatch size `B`.
    pub batch: u32,
    /// The heavy-ball momentum `mu` in `[0, 1)` (0: plain SGD).
    pub momentum: f64,
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
        vec![self.batch as f64, self.momentum]
    }
}

impl NoiseModel for Sgd {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("sgd.wgsl");

    fn sweep(file: &File, axes: &mut Axes, setup: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
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
        // `momentum = 0` registers no axis: the case table stays plain SGD's
        const ALLOWED: &str = "a number in [0, 1) (the heavy-ball momentum mu; 0 is plain SGD)";
        let in_range = |mu: f64| (0.0..1.0).contains(&mu);
        let momentum = match &file.momentum {
            Some(m) if file.heavy_ball() => {
                Some(axes.number("noise.momentum", m, in_range, ALLOWED)?)
            }
            Some(m) => {
                // only zeros, or an empty list (refused here)
                Axes::check("noise.momentum", m, in_range, ALLOWED)?;
                None
            }
            None => None,
        };
        Ok(Box::new(move |combo, _| {
            let momentum = momentum.map_or(0.0, |axis| combo.number(axis));
            Ok((Sgd { batch, momentum }, Interpretation::Ito))
        }))
    }
}

/// CPU lanes; twin of `sgd.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    batch: u32,
    momentum: f32,
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
    fn momentum(&self) -> f32 {
        self.momentum
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            batch: p.noise[0] as u32,
            momentum: p.noise[1],
        }
    }
}
