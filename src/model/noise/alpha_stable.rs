//! `alpha-stable` (docs/theory.md §2): increment `sigma dt^(1/a) S`, `S ~ S_a(1, beta, 0)`
//! drawn by Chambers–Mallows–Stuck; no variance, no interpretation. Slots
//! `[sigma dt^(1/a), a, beta, B, S]` (`B`, `S`: the sampler's shift and scale).

use super::{NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::Result;
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::rng::StableSampler;
use crate::sweep::{non_negative, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use crate::dynamics::Interpretation;
use serde::Deserialize;

/// The `[noise]` fields of `kind = "alpha-stable"`: `index` in (0, 2], `sigma` (>= 0) and
/// `beta` in [-1, 1] (default 0).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    index: Sweep,
    sigma: Sweep,
    beta: Option<Sweep>,
}

/// One case's alpha-stable increments `sigma dt^(1/a) S`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlphaStable {
    /// The stability index `a` in (0, 2].
    pub index: f64,
    /// The scale `sigma` (>= 0) of the increments.
    pub sigma: f64,
    /// Skewness in [-1, 1].
    pub beta: f64,
}

impl NoisePhysics for AlphaStable {
    /// No Gaussian part.
    fn variance(&self, _: f64, _: &PotentialParams) -> f64 {
        0.0
    }
    fn variance_derivative(&self, _: f64, _: &PotentialParams) -> f64 {
        0.0
    }
    fn is_silent(&self) -> bool {
        self.sigma == 0.0
    }
    fn slots(&self, dt: f64, _: &PotentialParams) -> Vec<f64> {
        let law = StableSampler::new(self.index, self.beta);
        vec![
            self.sigma * dt.powf(1.0 / self.index),
            self.index,
            self.beta,
            law.shift as f64,
            law.scale as f64,
        ]
    }
}

impl NoiseModel for AlphaStable {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("alpha_stable.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        let index = axes.number(
            "noise.index",
            &file.index,
            |a| a > 0.0 && a <= 2.0,
            "a number in (0, 2]",
        )?;
        let sigma = axes.number("noise.sigma", &file.sigma, non_negative, "a number >= 0")?;
        let beta = axes.number(
            "noise.beta",
            file.beta.as_ref().unwrap_or(&Sweep::one(0.0)),
            |b| (-1.0..=1.0).contains(&b),
            "a number in [-1, 1]",
        )?;
        Ok(Box::new(move |c, _| {
            let noise = AlphaStable {
                index: c.number(index),
                sigma: c.number(sigma),
                beta: c.number(beta),
            };
            Ok((noise, Interpretation::Ito))
        }))
    }
}

/// CPU lanes; twin of `alpha_stable.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    increment_scale: f32,
    law: StableSampler,
}

impl Noise for Kernel {
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, s: f32) -> f32 {
        x - gradient * dt + self.increment_scale * s
    }
    fn variance(&self, _: f32, _: f32) -> f32 {
        0.0
    }
    fn stable_law(&self) -> StableSampler {
        self.law
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            increment_scale: p.noise[0],
            law: StableSampler {
                alpha: p.noise[1],
                beta: p.noise[2],
                shift: p.noise[3],
                scale: p.noise[4],
            },
        }
    }
}
