//! `barrier` (docs/theory.md §3, the paper's Figure 10 idea: the height changes, the
//! curvatures do not): `L = 1/2 Ha (x-a)^2` up to the kink `c`, then
//! `dL - 1/2 Hb (x-b)^2`, value and slope continuous. 1-D. Slots
//! `[Ha, Hb, dL, a, c, b]`.

use super::{Builder, Physics, PotentialModel, Setup};
use crate::error::Result;
use crate::kernel::potentials::Potential;
use crate::kernel::Dim;
use crate::sweep::{any, positive, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;

/// The `[potential]` fields of `kind = "barrier"`: `curvature_min`, `curvature_top`,
/// `height` (each > 0) and `minimum` (default 0).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    curvature_min: Sweep,
    curvature_top: Sweep,
    height: Sweep,
    minimum: Option<Sweep>,
}

/// One case's barrier: two parabolas joined at the kink `c` ([`Barrier::geometry`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Barrier {
    /// `Ha`.
    pub curvature_min: f64,
    /// `Hb`.
    pub curvature_top: f64,
    /// `dL`.
    pub height: f64,
    /// `a`.
    pub minimum: f64,
}

impl Barrier {
    /// `(kink c, top b)`: `u = c - a = sqrt(2 dL Hb / (Ha (Ha + Hb)))`, `v = b - c = Ha u / Hb`.
    pub fn geometry(&self) -> (f64, f64) {
        let (ha, hb) = (self.curvature_min, self.curvature_top);
        let u = (2.0 * self.height * hb / (ha * (ha + hb))).sqrt();
        let c = self.minimum + u;
        let v = ha * u / hb;
        (c, c + v)
    }
}

impl Physics for Barrier {
    fn value(&self, x: f64) -> f64 {
        let (c, b) = self.geometry();
        if x <= c {
            0.5 * self.curvature_min * (x - self.minimum).powi(2)
        } else {
            self.height - 0.5 * self.curvature_top * (x - b).powi(2)
        }
    }
    fn gradient(&self, x: f64) -> f64 {
        let (c, b) = self.geometry();
        if x <= c {
            self.curvature_min * (x - self.minimum)
        } else {
            -self.curvature_top * (x - b)
        }
    }
    fn minimum(&self) -> f64 {
        self.minimum
    }
    fn top(&self) -> Option<f64> {
        Some(self.geometry().1)
    }
    fn kink(&self) -> Option<f64> {
        Some(self.geometry().0)
    }
    fn curvature_at_minimum(&self) -> f64 {
        self.curvature_min
    }
    fn basin_curvature(&self) -> Option<f64> {
        Some(self.curvature_min)
    }
    fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        Some((self.curvature_min, self.curvature_top, self.height))
    }
    fn slots(&self) -> Vec<f64> {
        let (c, b) = self.geometry();
        vec![
            self.curvature_min,
            self.curvature_top,
            self.height,
            self.minimum,
            c,
            b,
        ]
    }
}

impl PotentialModel for Barrier {
    type File = File;
    type Kernel<'d> = Kernel;
    type Dims = Dim<1>;
    const WGSL: &'static str = include_str!("barrier.wgsl");

    fn sweep(file: &File, axes: &mut Axes, _: &mut Setup) -> Result<Builder<Self>> {
        let ha = axes.number(
            "potential.curvature_min",
            &file.curvature_min,
            positive,
            "a number > 0",
        )?;
        let hb = axes.number(
            "potential.curvature_top",
            &file.curvature_top,
            positive,
            "a number > 0",
        )?;
        let height = axes.number("potential.height", &file.height, positive, "a number > 0")?;
        let minimum = axes.number(
            "potential.minimum",
            file.minimum.as_ref().unwrap_or(&Sweep::one(0.0)),
            any,
            "a finite number",
        )?;
        Ok(Box::new(move |c| {
            Ok(Barrier {
                curvature_min: c.number(ha),
                curvature_top: c.number(hb),
                height: c.number(height),
                minimum: c.number(minimum),
            })
        }))
    }
}

/// CPU lanes; twin of `barrier.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel {
    curvature_min: f32,
    curvature_top: f32,
    height: f32,
    minimum: f32,
    kink: f32,
    top: f32,
}

impl Potential<'_> for Kernel {
    #[inline(always)]
    fn gradient(&self, _: usize, x: f32) -> f32 {
        let well = self.curvature_min * (x - self.minimum);
        let cap = self.curvature_top * (self.top - x);
        if x <= self.kink {
            well
        } else {
            cap
        }
    }
    #[inline(always)]
    fn value(&self, _: usize, x: f32) -> f32 {
        let a = x - self.minimum;
        let b = x - self.top;
        let well = 0.5 * self.curvature_min * a * a;
        let cap = self.height - 0.5 * self.curvature_top * b * b;
        if x <= self.kink {
            well
        } else {
            cap
        }
    }
}

impl FromCase<'_> for Kernel {
    fn from_case(p: &CaseParams, _: &[f32], _: &CaseModel) -> Self {
        Kernel {
            curvature_min: p.potential[0],
            curvature_top: p.potential[1],
            height: p.potential[2],
            minimum: p.potential[3],
            kink: p.potential[4],
            top: p.potential[5],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_and_slope_are_continuous() {
        let p = Barrier {
            curvature_min: 1.0,
            curvature_top: 2.0,
            height: 1.5,
            minimum: 0.3,
        };
        let (c, b) = p.geometry();
        let eps = 1e-7;
        assert!((p.value(c - eps) - p.value(c + eps)).abs() < 1e-6);
        assert!((p.value(b) - 1.5).abs() < 1e-12);
        let slope_left = (p.value(c) - p.value(c - 1e-4)) / 1e-4;
        let slope_right = (p.value(c + 1e-4) - p.value(c)) / 1e-4;
        assert!((slope_left - slope_right).abs() < 1e-3);
    }
}
