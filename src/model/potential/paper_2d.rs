//! `paper-2d` (docs/theory.md §3, the paper's Figure 4): `L(w) = scale/n sum_i l(w - x_i)`,
//! `l(y) = sum_j |y_j - 1|^2.5 |y_j + 1|^3`, over a finite data set drawn as
//! `x_i ~ N(0, variance I_2)` or read from a CSV file. 2-D. Slots `[scale, n]`.
//! The one-coordinate f64 physics ([`Physics`]) is one data point at the
//! origin (the data set's centre), since the theory's 1-D formulas do not
//! apply; the 2-D physics ([`Paper2d::value_at`], [`Paper2d::gradient_at`])
//! averages over the data set itself, as the kernels do, for the plane solve
//! and the landscape.

use super::{Builder, DataSet, Physics, PotentialModel, Setup};
use crate::error::{Error, Result};
use crate::kernel::potentials::Potential;
use crate::kernel::Dim;
use crate::simd::{Lanes, LANES};
use crate::rng::{box_muller, threefry2x32_20, Purpose, StreamKey};
use crate::sweep::{positive, Axes, Sweep};
use crate::kernel::abi::CaseParams;
use crate::model::case::CaseModel;
use crate::model::FromCase;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest data set.
pub const MAX_DATA_SIZE: i64 = 4096;

/// The `[potential]` fields of `kind = "paper-2d"`: `scale` (default 15), and either
/// `data_size` (default 100) and `data_variance` (default 0.01) or `data_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    data_size: Option<i64>,
    data_variance: Option<f64>,
    /// A CSV file of data points (two numeric columns, optional header),
    /// relative to the experiment file; replaces the drawn data set.
    data_file: Option<String>,
    scale: Option<Sweep>,
}

/// One case's `paper-2d` loss (its data set is the experiment's).
#[derive(Clone, Debug, PartialEq)]
pub struct Paper2d {
    /// The factor in front of `l` (the paper's 15; > 0).
    pub scale: f64,
    /// Number of data points `n`.
    pub data_size: usize,
    /// The data set in f64 (the kernels' f32 values), coordinate-major like
    /// [`DataSet::points`].
    pub points: Arc<[f64]>,
}

impl Paper2d {
    fn coordinate(&self, j: usize) -> &[f64] {
        &self.points[j * self.data_size..(j + 1) * self.data_size]
    }
    /// `L(w) = scale/n sum_i l(w - x_i)` over the data set.
    pub fn value_at(&self, w: &[f64]) -> f64 {
        let n = self.data_size as f64;
        (0..2)
            .map(|j| {
                let sum: f64 = self.coordinate(j).iter().map(|&d| term(w[j] - d)).sum();
                self.scale * sum / n
            })
            .sum()
    }
    /// `dL/dw_j` over the data set.
    pub fn gradient_at(&self, w: &[f64], j: usize) -> f64 {
        let sum: f64 = self.coordinate(j).iter().map(|&d| term_gradient(w[j] - d)).sum();
        self.scale * sum / self.data_size as f64
    }
}

/// `|y-1|^2.5 |y+1|^3`.
fn term(y: f64) -> f64 {
    (y - 1.0).abs().powf(2.5) * (y + 1.0).abs().powi(3)
}

/// `d/dy |y-1|^2.5 |y+1|^3 = sqrt|p| p |q| (2.5 q^2 + 3 p q)`, `p = y-1`, `q = y+1`.
fn term_gradient(y: f64) -> f64 {
    let (p, q) = (y - 1.0, y + 1.0);
    p.abs().sqrt() * p * q.abs() * (2.5 * q * q + 3.0 * p * q)
}

impl Physics for Paper2d {
    fn value(&self, x: f64) -> f64 {
        self.scale * term(x)
    }
    fn gradient(&self, x: f64) -> f64 {
        self.scale * term_gradient(x)
    }
    fn minimum(&self) -> f64 {
        -1.0
    }
    /// `|y + 1|^3` is flat to second order at -1.
    fn curvature_at_minimum(&self) -> f64 {
        0.0
    }
    fn basin_curvature(&self) -> Option<f64> {
        None
    }
    fn slots(&self) -> Vec<f64> {
        vec![self.scale, self.data_size as f64]
    }
}

impl PotentialModel for Paper2d {
    type File = File;
    type Kernel<'d> = Kernel<'d>;
    type Dims = Dim<2>;
    const WGSL: &'static str = include_str!("paper_2d.wgsl");

    fn sweep(file: &File, axes: &mut Axes, setup: &mut Setup) -> Result<Builder<Self>> {
        let from_file = match &file.data_file {
            Some(path) => {
                if file.data_size.is_some() || file.data_variance.is_some() {
                    return Err(Error::invalid(
                        "potential.data_file",
                        format!("{path:?} given together with data_size or data_variance"),
                        "either a data file or a drawn data set (data_size, data_variance), not both",
                    ));
                }
                let resolved = match setup.base {
                    Some(dir) if Path::new(path).is_relative() => dir.join(path),
                    _ => PathBuf::from(path),
                };
                Some(read_data_file(&resolved, path)?)
            }
            None => None,
        };
        let n = match &from_file {
            Some(points) => points.len() as i64 / 2,
            None => file.data_size.unwrap_or(100),
        };
        if !(1..=MAX_DATA_SIZE).contains(&n) {
            return Err(Error::invalid(
                "potential.data_size",
                n,
                format!("an integer from 1 to {MAX_DATA_SIZE}"),
            ));
        }
        let variance = file.data_variance.unwrap_or(0.01);
        if !(variance.is_finite() && variance >= 0.0) {
            return Err(Error::invalid(
                "potential.data_variance",
                variance,
                "a number >= 0",
            ));
        }
        let scale = axes.number(
            "potential.scale",
            file.scale.as_ref().unwrap_or(&Sweep::one(15.0)),
            positive,
            "a number > 0",
        )?;
        let data = DataSet {
            from_file: from_file.is_some(),
            points: from_file.unwrap_or_else(|| paper_data_set(setup.seed, n as usize, variance)),
            variance,
        };
        let points: Arc<[f64]> = data.points.iter().map(|&v| f64::from(v)).collect();
        setup.data = Some(data);
        let data_size = n as usize;
        Ok(Box::new(move |c| {
            Ok(Paper2d {
                scale: c.number(scale),
                data_size,
                points: points.clone(),
            })
        }))
    }
}

/// The data points `x_i ~ N(0, variance I_2)` from the data-set stream,
/// coordinate-major (`data[c * n + i]`).
pub fn paper_data_set(seed: u32, n: usize, variance: f64) -> Vec<f32> {
    let key = StreamKey::new(seed, 0, Purpose::DataSet).0;
    let sd = variance.sqrt() as f32;
    let mut data = vec![0f32; 2 * n];
    for i in 0..n {
        let [w0, w1] = threefry2x32_20([i as u32, 0], key);
        let (z0, z1) = box_muller(w0, w1);
        data[i] = sd * z0;
        data[n + i] = sd * z1;
    }
    data
}

/// `potential.data_file`: a CSV of two numeric columns (an optional header row),
/// returned coordinate-major like [`paper_data_set`]. `given` is the path as written.
fn read_data_file(path: &Path, given: &str) -> Result<Vec<f32>> {
    let field = "potential.data_file";
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| {
            Error::invalid(
                field,
                format!("{given:?}"),
                format!("a readable CSV file ({e})"),
            )
        })?;
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            Error::invalid(
                field,
                format!("{given:?}"),
                format!("a well-formed CSV file ({e})"),
            )
        })?;
        let numbers: Vec<Option<f64>> = record.iter().map(|v| v.parse::<f64>().ok()).collect();
        match numbers.as_slice() {
            [Some(a), Some(b)] if a.is_finite() && b.is_finite() => {
                first.push(*a as f32);
                second.push(*b as f32);
            }
            [None, None] if row == 0 => {} // header
            _ => {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{given:?} row {}: {:?}",
                        row + 1,
                        record.iter().collect::<Vec<_>>()
                    ),
                    "two finite numbers per row (x1, x2), after an optional header",
                ))
            }
        }
    }
    first.extend(second);
    Ok(first)
}

/// CPU lanes; twin of `paper_2d.wgsl`.
#[derive(Clone, Copy)]
pub struct Kernel<'a> {
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

impl<'a> Potential<'a> for Kernel<'a> {
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

impl<'a> FromCase<'a> for Kernel<'a> {
    fn from_case(p: &CaseParams, data: &'a [f32], _: &CaseModel) -> Self {
        Kernel {
            scale: p.potential[0],
            data,
            size: data.len() / 2,
        }
    }
}
