//! `power-law` (docs/theory.md §2, the paper's eq. (4)): `D = D0 + 2 rho (x - c) + D2 (x - c)^2`
//! per coordinate, `c` the potential's minimum unless given. Slots `[D0, rho, D2, c]`.

use super::{interpretation_axis, NoiseBuilder, NoiseModel, NoisePhysics, NoiseSetup};
use crate::error::{Error, Result};
use crate::kernel::noise::Noise;
use crate::model::PotentialParams;
use crate::sweep::{any, non_negative, Axes, StringSweep, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[noise]` fields of `kind = "power-law"`: `d0`, `d2` (>= 0), `rho` (default 0),
/// `center` (default: the potential's minimum) and `interpretation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    d0: Sweep,
    d2: Sweep,
    rho: Option<Sweep>,
    center: Option<Sweep>,
    interpretation: Option<StringSweep>,
}

/// One case's power-law variance (built by [`PowerLaw::new`], which keeps it >= 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLaw {
    /// `D0` (>= 0): the variance at the centre (the paper's `eta sigma_g`).
    pub d0: f64,
    /// `rho`, half the slope at the centre, with `rho^2 <= D0 D2` (the paper's `eta rho_gH`).
    pub rho: f64,
    /// `D2` (>= 0): the quadratic coefficient (the paper's `eta sigma_H`).
    pub d2: f64,
    /// Centre `c`: the potential's minimum unless `noise.center` is given.
    pub center: f64,
}

impl PowerLaw {
    /// Checks that the variance stays >= 0 (`rho^2 <= d0 d2`).
    pub fn new(d0: f64, rho: f64, d2: f64, center: f64) -> Result<Self> {
        if rho * rho > d0 * d2 {
            return Err(Error::invalid(
                "noise.rho",
                rho,
                format!(
                    "|rho| <= sqrt(d0 * d2) = {} so that the variance stays >= 0",
                    (d0 * d2).sqrt()
                ),
            ));
        }
        Ok(PowerLaw {
            d0,
            rho,
            d2,
            center,
        })
    }
}

impl NoisePhysics for PowerLaw {
    fn variance(&self, x: f64, _: &PotentialParams) -> f64 {
        let y = x - self.center;
        self.d0 + 2.0 * self.rho * y + self.d2 * y * y
    }
    fn variance_derivative(&self, x: f64, _: &PotentialParams) -> f64 {
        2.0 * self.rho + 2.0 * self.d2 * (x - self.center)
    }
    fn is_silent(&self) -> bool {
        self.d0 == 0.0 && self.d2 == 0.0
    }
    fn breakpoint(&self) -> Option<f64> {
        Some(self.center)
    }
    fn slots(&self, _: f64, _: &PotentialParams) -> Vec<f64> {
        vec![self.d0, self.rho, self.d2, self.center]
    }
}

impl NoiseModel for PowerLaw {
    type File = File;
    type Kernel = Kernel;
    const WGSL: &'static str = include_str!("power_law.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &NoiseSetup) -> Result<NoiseBuilder<Self>> {
        let d0 = axes.number("noise.d0", &file.d0, non_negative, "a number >= 0")?;
        let d2 = axes.number("noise.d2", &file.d2, non_negative, "a number >= 0")?;
        let rho = axes.number(
            "noise.rho",
            file.rho.as_ref().unwrap_or(&Sweep::one(0.0)),
            any,
            "a finite number with rho^2 <= d0 * d2",
        )?;
        let center = file
            .center
            .as_ref()
            .map(|c| axes.number("noise.center", c, any, "a finite number"))
            .transpose()?;
        let interpretation = interpretation_axis(axes, file.interpretation.as_ref())?;
        Ok(Box::new(move |c, potential| {
            let center = center.map_or_else(|| potential.minimum(), |axis| c.number(axis));
            let noise = PowerLaw::new(c.number(d0), c.number(rho), c.number(d2), center)?;
            Ok((noise, interpretation.pick(c)))
        }))
    }
}

/// CPU lanes; twin of `power_law.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    d0: f32,
    rho: f32,
    d2: f32,
    center: f32,
}

impl Noise for Kernel {
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, alpha: f32, z: f32) -> f32 {
        let y = x - self.center;
        let variance = self.d0 + (2.0 * self.rho + self.d2 * y) * y;
        let drift = alpha * (self.rho + self.d2 * y) - gradient;
        x + drift * dt + (variance.max(0.0) * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, x: f32, _: f32) -> f32 {
        let y = x - self.center;
        (self.d0 + (2.0 * self.rho + self.d2 * y) * y).max(0.0)
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            d0: p.noise[0],
            rho: p.noise[1],
            d2: p.noise[2],
            center: p.noise[3],
        }
    }
}
