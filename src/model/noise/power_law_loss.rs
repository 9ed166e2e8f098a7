//! `power-law-loss` (docs/theory.md §2, Lemma 6 / Theorem 7): `D = D0 + k (L(X) - L_min)`
//! in every coordinate. Slots `[D0, k, L_min]`.

use super::{interpretation_axis, NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::Result;
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::sweep::{non_negative, Axes, StringSweep, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[noise]` fields of `kind = "power-law-loss"`: `d0`, `k` (>= 0) and `interpretation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    d0: Sweep,
    k: Sweep,
    interpretation: Option<StringSweep>,
}

/// One case's variance `D0 + k (L(X) - L_min)`, the same in every coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLawLoss {
    /// `D0` (>= 0): the variance at the minimum.
    pub d0: f64,
    /// `k` (>= 0): the variance per unit of loss above `L_min` (Lemma 6's `2 D2 / Ha`).
    pub k: f64,
}

impl NoisePhysics for PowerLawLoss {
    fn variance(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.d0 + self.k * (potential.value(x) - potential.loss_minimum())
    }
    fn variance_derivative(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.k * potential.gradient(x)
    }
    fn is_silent(&self) -> bool {
        self.d0 == 0.0 && self.k == 0.0
    }
    /// `L_min` as the kernels subtract it ([`crate::model::potential::Physics::loss_minimum`]).
    fn slots(&self, _: f64, potential: &PotentialParams) -> Vec<f64> {
        vec![self.d0, self.k, potential.loss_minimum()]
    }
}

impl NoiseModel for PowerLawLoss {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("power_law_loss.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        let d0 = axes.number("noise.d0", &file.d0, non_negative, "a number >= 0")?;
        let k = axes.number("noise.k", &file.k, non_negative, "a number >= 0")?;
        let interpretation = interpretation_axis(axes, file.interpretation.as_ref())?;
        Ok(Box::new(move |c, _| {
            let noise = PowerLawLoss {
                d0: c.number(d0),
                k: c.number(k),
            };
            Ok((noise, interpretation.pick(c)))
        }))
    }
}

/// CPU lanes; twin of `power_law_loss.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    d0: f32,
    k: f32,
    loss_minimum: f32,
}

impl Noise for Kernel {
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, z: f32) -> f32 {
        let variance = self.d0 + self.k * (loss - self.loss_minimum);
        let drift = (alpha * 0.5 * self.k - 1.0) * gradient;
        x + drift * dt + (variance.max(0.0) * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, _: f32, loss: f32) -> f32 {
        (self.d0 + self.k * (loss - self.loss_minimum)).max(0.0)
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            d0: p.noise[0],
            k: p.noise[1],
            loss_minimum: p.noise[2],
        }
    }
}
