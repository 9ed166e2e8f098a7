//! `washboard` (tilted periodic potential, the classic model of escape over
//! a periodic barrier): `L = -F x - A cos(2 pi x / P)`. 1-D. With
//! `s = F P / (2 pi A)` (`|s| < 1`, or there are no wells), the minima sit at
//! `x = P asin(s) / (2 pi) + k P` and the tops at `x = P (pi - asin(s)) / (2 pi) + k P`;
//! a run starts in the well nearest 0 and its `top` is the next top to the right.
//! Slots `[F, A, P, 1/P, 2 pi A / P]`. The cosine is the kernels' shared
//! Cephes `sin_cos_turns`, so that the CPU and the GPU round alike.

use super::{Builder, Physics, PotentialModel, Setup};
use crate::error::{Error, Result};
use crate::kernel::potentials::Potential;
use crate::kernel::Dim;
use crate::simd::fastmath::sin_cos_turns;
use crate::sweep::{any, positive, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;
use std::f64::consts::{PI, TAU};

/// The `[potential]` fields of `kind = "washboard"`: `tilt`, `amplitude` (> 0) and
/// `period` (> 0, default 1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    tilt: Sweep,
    amplitude: Sweep,
    period: Option<Sweep>,
}

/// One case's tilted periodic potential (built by [`Washboard::new`], which checks it has wells).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Washboard {
    /// `F`.
    pub tilt: f64,
    /// `A`.
    pub amplitude: f64,
    /// `P`.
    pub period: f64,
}

impl Washboard {
    /// Checks that the tilted potential still has wells (`|F| < 2 pi A / P`).
    pub fn new(tilt: f64, amplitude: f64, period: f64) -> Result<Self> {
        let limit = TAU * amplitude / period;
        if tilt.abs() >= limit {
            return Err(Error::invalid(
                "potential.tilt",
                tilt,
                format!(
                    "|tilt| < 2 pi amplitude / period = {limit} (a steeper tilt leaves no well to escape from)"
                ),
            ));
        }
        Ok(Washboard {
            tilt,
            amplitude,
            period,
        })
    }

    /// The phase `asin(F P / (2 pi A))` of the minima.
    fn phase(&self) -> f64 {
        (self.tilt * self.period / (TAU * self.amplitude)).asin()
    }

    /// `(2 pi / P)^2 A`, the curvature scale.
    fn curvature_scale(&self) -> f64 {
        (TAU / self.period).powi(2) * self.amplitude
    }
}

impl Physics for Washboard {
    fn value(&self, x: f64) -> f64 {
        -self.tilt * x - self.amplitude * (TAU * x / self.period).cos()
    }
    fn gradient(&self, x: f64) -> f64 {
        -self.tilt + self.amplitude * TAU / self.period * (TAU * x / self.period).sin()
    }
    fn minimum(&self) -> f64 {
        self.period * self.phase() / TAU
    }
    fn top(&self) -> Option<f64> {
        Some(self.period * (PI - self.phase()) / TAU)
    }
    fn curvature_at_minimum(&self) -> f64 {
        self.curvature_scale() * self.phase().cos()
    }
    /// The curvature's largest value, `(2 pi / P)^2 A`, lies in every basin.
    fn basin_curvature(&self) -> Option<f64> {
        Some(self.curvature_scale())
    }
    fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        let h = self.curvature_scale() * self.phase().cos();
        let top = self.top()?;
        Some((h, h, self.value(top) - self.value(self.minimum())))
    }
    /// `L` at [`Physics::minimum`] (which is not 0 here).
    fn loss_minimum(&self) -> f64 {
        self.value(self.minimum())
    }
    fn slots(&self) -> Vec<f64> {
        let (f, a, p) = (self.tilt, self.amplitude, self.period);
        vec![f, a, p, 1.0 / p, TAU * a / p]
    }
}

impl PotentialModel for Washboard {
    type File = File;
    type Kernel<'d> = Kernel;
    type Dims = Dim<1>;
    const WGSL: &'static str = include_str!("washboard.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &mut Setup) -> Result<Builder<Self>> {
        let tilt = axes.number("potential.tilt", &file.tilt, any, "a finite number")?;
        let amplitude = axes.number(
            "potential.amplitude",
            &file.amplitude,
            positive,
            "a number > 0",
        )?;
        let period = axes.number(
            "potential.period",
            file.period.as_ref().unwrap_or(&Sweep::one(1.0)),
            positive,
            "a number > 0",
        )?;
        Ok(Box::new(move |c| {
            Washboard::new(c.number(tilt), c.number(amplitude), c.number(period))
        }))
    }
}

/// CPU lanes; twin of `washboard.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    tilt: f32,
    amplitude: f32,
    inverse_period: f32,
    force_scale: f32,
}

impl Potential<'_> for Kernel {
    #[inline(always)]
    fn gradient(&self, _: usize, x: f32) -> f32 {
        let (sin, _) = sin_cos_turns(x * self.inverse_period);
        self.force_scale * sin - self.tilt
    }
    #[inline(always)]
    fn value(&self, _: usize, x: f32) -> f32 {
        let (_, cos) = sin_cos_turns(x * self.inverse_period);
        -self.tilt * x - self.amplitude * cos
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            tilt: p.potential[0],
            amplitude: p.potential[1],
            inverse_period: p.potential[3],
            force_scale: p.potential[4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytemuck::Zeroable;

    fn board() -> Washboard {
        Washboard::new(0.5, 1.0, 2.0).unwrap()
    }

    #[test]
    fn minimum_and_top_are_stationary_points_with_the_right_curvature() {
        let w = board();
        let (min, top) = (w.minimum(), w.top().unwrap());
        assert!(w.gradient(min).abs() < 1e-12 && w.gradient(top).abs() < 1e-12);
        assert!(min < top && top - min < w.period);
        let h = 1e-4;
        let curvature = |x: f64| (w.gradient(x + h) - w.gradient(x - h)) / (2.0 * h);
        assert!((curvature(min) - w.curvature_at_minimum()).abs() < 1e-6);
        assert!(curvature(top) < 0.0);
        let (ha, hb, height) = w.barrier_shape().unwrap();
        assert!((ha - w.curvature_at_minimum()).abs() < 1e-12);
        assert!((hb + curvature(top)).abs() < 1e-6);
        assert!((height - (w.value(top) - w.value(min))).abs() < 1e-12 && height > 0.0);
    }

    #[test]
    fn lanes_match_the_f64_physics() {
        let w = board();
        let mut record = CaseParams::zeroed();
        for (slot, v) in record.potential.iter_mut().zip(w.slots()) {
            *slot = v as f32;
        }
        let model = CaseModel {
            dt: 0.01,
            interpretation: crate::dynamics::Interpretation::Ito,
            potential: w.into(),
            noise: crate::model::noise::Langevin { d0: 1.0 }.into(),
            start: vec![w.minimum()],
            exit: crate::model::ExitParams::None,
            bridge: false,
            friction: 0.0,
            start_velocity: None,
        };
        let k = Kernel::from_case(&record, &[], &model);
        for i in -400..=400 {
            let x = i as f32 * 0.0137;
            let (g, v) = (k.gradient(0, x), k.value(0, x));
            assert!((g as f64 - w.gradient(x as f64)).abs() < 1e-5, "gradient at {x}");
            assert!((v as f64 - w.value(x as f64)).abs() < 1e-5, "value at {x}");
        }
    }

    #[test]
    fn a_tilt_without_wells_is_refused_naming_the_field() {
        let e = Washboard::new(3.2, 1.0, 2.0).unwrap_err().to_string();
        assert!(e.contains("potential.tilt"), "{e}");
        assert!(Washboard::new(3.1, 1.0, 2.0).is_ok());
    }
}
