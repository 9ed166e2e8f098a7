//! Potentials (SPEC §3), per coordinate. Twin of `shaders/shared/potentials.wgsl`.
//! All four are separable: `L(x) = sum_j l_j(x_j)`.

use super::{Lanes, LANES};
use crate::spec::CaseParams;

pub trait Potential<'a>: Copy + Send + Sync {
    fn new(params: &CaseParams, data_set: &'a [f32]) -> Self;
    /// `d l / d x` of one coordinate.
    fn gradient(&self, coord: usize, x: f32) -> f32;
    /// `l(x)` of one coordinate.
    fn value(&self, coord: usize, x: f32) -> f32;

    #[inline(always)]
    fn gradient_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] = self.gradient(coord, x[l]);
        }
    }

    #[inline(always)]
    fn value_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        for l in 0..LANES {
            out[l] += self.value(coord, x[l]);
        }
    }

    /// The minibatch gradient `scale/B sum_b l'(x - data[index_b])` of one
    /// coordinate, for SGD; only potentials with a data set have one.
    fn minibatch_gradient_lanes(
        &self,
        _coord: usize,
        _x: &Lanes,
        _batch: &[[u32; LANES]],
        _out: &mut Lanes,
    ) {
        unreachable!("validation allows sgd only on potentials with a data set")
    }
}

/// `1/2 H (x - c)^2`.
#[derive(Clone, Copy)]
pub struct Quadratic {
    curvature: f32,
    center: f32,
}

impl Potential<'_> for Quadratic {
    fn new(p: &CaseParams, _: &[f32]) -> Self {
        Quadratic {
            curvature: p.potential[0],
            center: p.potential[1],
        }
    }
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

/// `h ((x/a)^2 - 1)^2`.
#[derive(Clone, Copy)]
pub struct DoubleWell {
    height: f32,
    four_h_over_a2: f32,
    inv_a2: f32,
}

impl Potential<'_> for DoubleWell {
    fn new(p: &CaseParams, _: &[f32]) -> Self {
        DoubleWell {
            height: p.potential[0],
            four_h_over_a2: p.potential[2],
            inv_a2: p.potential[3],
        }
    }
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

/// SPEC §3 `barrier`: parabola of curvature Ha up to the kink, inverted parabola of curvature Hb after.
#[derive(Clone, Copy)]
pub struct Barrier {
    curvature_min: f32,
    curvature_top: f32,
    height: f32,
    minimum: f32,
    kink: f32,
    top: f32,
}

impl Potential<'_> for Barrier {
    fn new(p: &CaseParams, _: &[f32]) -> Self {
        Barrier {
            curvature_min: p.potential[0],
            curvature_top: p.potential[1],
            height: p.potential[2],
            minimum: p.potential[3],
            kink: p.potential[4],
            top: p.potential[5],
        }
    }
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

/// SPEC §3 `paper-2d`: `scale/n sum_i |y-1|^2.5 |y+1|^3`, `y = x_j - data_ij`.
#[derive(Clone, Copy)]
pub struct Paper2d<'a> {
    scale: f32,
    data: &'a [f32],
    size: usize,
}

/// `d/dy |y-1|^2.5 |y+1|^3 = sqrt|p| p |q| (2.5 q^2 + 3 p q)`, `p = y-1`, `q = y+1`.
#[inline(always)]
fn paper_term_gradient(y: f32) -> f32 {
    let p = y - 1.0;
    let q = y + 1.0;
    p.abs().sqrt() * p * q.abs() * (2.5 * q * q + 3.0 * p * q)
}

#[inline(always)]
fn paper_term_value(y: f32) -> f32 {
    let p = y - 1.0;
    let q = y + 1.0;
    p * p * p.abs().sqrt() * q * q * q.abs()
}

impl<'a> Potential<'a> for Paper2d<'a> {
    fn new(p: &CaseParams, data: &'a [f32]) -> Self {
        Paper2d {
            scale: p.potential[0],
            data,
            size: data.len() / 2,
        }
    }
    #[inline(always)]
    fn gradient(&self, coord: usize, x: f32) -> f32 {
        let points = &self.data[coord * self.size..(coord + 1) * self.size];
        let mut sum = 0.0;
        for &d in points {
            sum += paper_term_gradient(x - d);
        }
        self.scale * sum / self.size as f32
    }
    #[inline(always)]
    fn value(&self, coord: usize, x: f32) -> f32 {
        let points = &self.data[coord * self.size..(coord + 1) * self.size];
        let mut sum = 0.0;
        for &d in points {
            sum += paper_term_value(x - d);
        }
        self.scale * sum / self.size as f32
    }
    #[inline(always)]
    fn gradient_lanes(&self, coord: usize, x: &Lanes, out: &mut Lanes) {
        let mut sum = [0f32; LANES];
        for &d in &self.data[coord * self.size..(coord + 1) * self.size] {
            for l in 0..LANES {
                sum[l] += paper_term_gradient(x[l] - d);
            }
        }
        for l in 0..LANES {
            out[l] = self.scale * sum[l] / self.size as f32;
        }
    }
    #[inline(always)]
    fn minibatch_gradient_lanes(
        &self,
        coord: usize,
        x: &Lanes,
        batch: &[[u32; LANES]],
        out: &mut Lanes,
    ) {
        let points = &self.data[coord * self.size..(coord + 1) * self.size];
        let mut sum = [0f32; LANES];
        for indices in batch {
            for l in 0..LANES {
                sum[l] += paper_term_gradient(x[l] - points[indices[l] as usize]);
            }
        }
        for l in 0..LANES {
            out[l] = self.scale * sum[l] / batch.len() as f32;
        }
    }
}
