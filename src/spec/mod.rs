//! Experiment specifications: parse a TOML experiment file, validate every
//! field (errors name the field, the value and what is allowed) and expand
//! swept parameters into the cartesian product of cases.

mod checks;
mod file;
pub mod model;
pub mod shard;
mod sweep;

pub use model::{
    CaseModel, CaseParams, ExitKind, ExitParams, Interpretation, KernelShape, NoiseKind,
    NoiseParams, PotentialKind, PotentialParams, MAX_DIM,
};

use crate::error::{Error, Result};
use crate::rng::{box_muller, threefry2x32_20, Purpose, StreamKey};
use file::{ExitFile, ExperimentFile, NoiseFile, PotentialFile};
use serde::Serialize;
use std::path::{Path, PathBuf};
use sweep::Sweep;

/// Largest step limit: first-passage steps are u32 and every step's draws
/// must have their own Threefry block index (SPEC §6 layout).
pub const MAX_STEPS_LIMIT: u64 = 1_000_000_000;
/// Largest number of trajectories per case (the index is one counter word).
pub const MAX_TRAJECTORIES: u64 = u32::MAX as u64;
/// Largest number of histogram bins per coordinate.
pub const MAX_BINS: i64 = 1 << 20;
/// Largest data set of `paper-2d`.
pub const MAX_DATA_SIZE: i64 = 4096;
/// Largest minibatch of `sgd`.
pub const MAX_BATCH: i64 = 4096;
/// Largest dimension of a `box` exit (its bounds fill the 8-slot exit vector).
pub const MAX_BOX_DIM: usize = 4;

/// A value in a case's parameter table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Number(f64),
    Text(String),
}

/// One parameter case of a batch.
#[derive(Clone, Debug)]
pub struct Case {
    pub index: u32,
    /// The value of every scalar parameter, swept or not, by dotted field name.
    pub params: Vec<(String, ParamValue)>,
    pub model: CaseModel,
    pub record: CaseParams,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FptFormat {
    /// NumPy `.npy`, `<u4`, shape (cases, trajectories).
    Npy,
    /// Raw little-endian u32, case after case.
    RawU32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramSpec {
    pub lo: f64,
    pub hi: f64,
    pub bins: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Observe {
    pub histogram: HistogramSpec,
    pub fpt_file: Option<FptFormat>,
}

/// A validated experiment: one kernel shape, many numeric cases.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: String,
    pub seed: u32,
    pub max_steps: u32,
    /// Trajectories per case.
    pub trajectories: u32,
    pub shape: KernelShape,
    pub observe: Observe,
    pub cases: Vec<Case>,
    /// `paper-2d` data set, coordinate-major (`data[c * n + i]`); empty otherwise.
    pub data_set: Vec<f32>,
    /// Variance of the `paper-2d` data points.
    pub data_variance: f64,
    /// The data set was read from `potential.data_file` (a new seed keeps it).
    pub data_from_file: bool,
    /// Trajectories `range` of every case are simulated (a shard, a device's or a
    /// checkpoint block's share): `0..trajectories` unless set by `with_range`.
    pub range: std::ops::Range<u32>,
}

impl Experiment {
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parse and validate; `origin` names the source in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let parse_error = |message: String| Error::Parse {
            path: origin.to_string(),
            message: message.trim_end().to_string(),
        };
        let deserializer =
            toml::Deserializer::parse(text).map_err(|e| parse_error(e.to_string()))?;
        let file: ExperimentFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner().to_string();
            if field.is_empty() || field == "." {
                parse_error(inner)
            } else {
                parse_error(format!("field `{field}`: {inner}"))
            }
        })?;
        let base = Path::new(origin)
            .parent()
            .filter(|p| p.is_dir())
            .map(Path::to_path_buf);
        build(file, base.as_deref())
    }

    /// Number of threefry blocks one step of one trajectory consumes (SPEC §6 layout).
    pub fn blocks_per_step(&self) -> f64 {
        match self.shape.noise {
            NoiseKind::AlphaStable => self.shape.dim as f64,
            _ => self.shape.dim as f64 / 2.0,
        }
    }

    /// Trajectories simulated in all: `range` of every case.
    pub fn total_trajectories(&self) -> u64 {
        self.range.len() as u64 * self.cases.len() as u64
    }

    /// Override the seed (CLI `--seed`), re-validating.
    pub fn with_seed(mut self, seed: u64) -> Result<Self> {
        self.seed = u32::try_from(seed)
            .map_err(|_| Error::invalid("seed", seed, "an integer from 0 to 4294967295"))?;
        if self.shape.potential == PotentialKind::Paper2d && !self.data_from_file {
            let n = self.data_set.len() / 2;
            let variance = self.data_variance;
            self.data_set = paper_data_set(self.seed, n, variance);
        }
        Ok(self)
    }

    /// Override trajectories per case (CLI `--trajectories`).
    pub fn with_trajectories(mut self, trajectories: u64) -> Result<Self> {
        self.trajectories = check_trajectories(trajectories as i128)?;
        self.range = 0..self.trajectories;
        check_fpt_memory(self.observe.fpt_file, self.total_trajectories())?;
        Ok(self)
    }
}

fn check_seed(seed: i64) -> Result<u32> {
    u32::try_from(seed).map_err(|_| Error::invalid("seed", seed, "an integer from 0 to 4294967295"))
}

/// Largest per-trajectory first-passage output held in memory (4 bytes each).
pub const MAX_FPT_FILE_TRAJECTORIES: u64 = 1 << 30;

fn check_fpt_memory(fpt_file: Option<FptFormat>, total: u64) -> Result<()> {
    if fpt_file.is_some() && total > MAX_FPT_FILE_TRAJECTORIES {
        return Err(Error::invalid(
            "observe.fpt_file",
            format!("{total} trajectories in all"),
            format!("at most {MAX_FPT_FILE_TRAJECTORIES} trajectories (cases x trajectories) with per-trajectory output"),
        ));
    }
    Ok(())
}

fn check_trajectories(n: i128) -> Result<u32> {
    if n < 1 || n > MAX_TRAJECTORIES as i128 {
        return Err(Error::invalid(
            "trajectories",
            n,
            format!("an integer from 1 to {MAX_TRAJECTORIES} (trajectories per case)"),
        ));
    }
    Ok(n as u32)
}

/// The `paper-2d` data points `x_i ~ N(0, variance I_2)` from the data-set stream.
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

/// The swept axes of a batch, in declaration order; the last varies fastest.
#[derive(Default)]
struct Axes {
    names: Vec<String>,
    values: Vec<Vec<ParamValue>>,
}

#[derive(Clone, Copy)]
struct Axis(usize);

impl Axes {
    /// Register a numeric axis after checking each value with `valid`.
    fn number(
        &mut self,
        field: &str,
        sweep: &Sweep,
        valid: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> Result<Axis> {
        if sweep.0.is_empty() {
            return Err(Error::invalid(
                field,
                "[]",
                format!("an empty list; give {allowed}"),
            ));
        }
        for &v in &sweep.0 {
            if !v.is_finite() || !valid(v) {
                return Err(Error::invalid(field, v, allowed));
            }
        }
        self.names.push(field.to_string());
        self.values
            .push(sweep.0.iter().map(|&v| ParamValue::Number(v)).collect());
        Ok(Axis(self.names.len() - 1))
    }

    fn text(&mut self, field: &str, values: Vec<String>) -> Axis {
        self.names.push(field.to_string());
        self.values
            .push(values.into_iter().map(ParamValue::Text).collect());
        Axis(self.names.len() - 1)
    }

    fn count(&self) -> u64 {
        self.values.iter().map(|v| v.len() as u64).product()
    }

    /// The combination with flat index `flat`.
    fn combination(&self, mut flat: u64) -> Vec<usize> {
        let mut picks = vec![0; self.values.len()];
        for (pick, values) in picks.iter_mut().zip(&self.values).rev() {
            *pick = (flat % values.len() as u64) as usize;
            flat /= values.len() as u64;
        }
        picks
    }
}

struct Combination<'a> {
    axes: &'a Axes,
    picks: Vec<usize>,
}

impl Combination<'_> {
    fn number(&self, axis: Axis) -> f64 {
        match &self.axes.values[axis.0][self.picks[axis.0]] {
            ParamValue::Number(v) => *v,
            ParamValue::Text(_) => unreachable!("numeric axis"),
        }
    }
    fn text(&self, axis: Axis) -> &str {
        match &self.axes.values[axis.0][self.picks[axis.0]] {
            ParamValue::Text(v) => v,
            ParamValue::Number(_) => unreachable!("text axis"),
        }
    }
    fn params(&self) -> Vec<(String, ParamValue)> {
        self.axes
            .names
            .iter()
            .zip(&self.picks)
            .zip(&self.axes.values)
            .map(|((name, &pick), values)| (name.clone(), values[pick].clone()))
            .collect()
    }
}

fn positive(v: f64) -> bool {
    v > 0.0
}
fn non_negative(v: f64) -> bool {
    v >= 0.0
}
fn any(_: f64) -> bool {
    true
}

enum PotentialAxes {
    Quadratic {
        curvature: Axis,
        center: Axis,
    },
    DoubleWell {
        height: Axis,
        half_width: Axis,
    },
    Barrier {
        ha: Axis,
        hb: Axis,
        height: Axis,
        minimum: Axis,
    },
    Paper2d {
        scale: Axis,
    },
}

enum NoiseAxes {
    Langevin {
        d0: Axis,
    },
    PowerLaw {
        d0: Axis,
        d2: Axis,
        rho: Axis,
        center: Option<Axis>,
    },
    PowerLawLoss {
        d0: Axis,
        k: Axis,
    },
    AlphaStable {
        index: Axis,
        sigma: Axis,
        beta: Axis,
    },
    Sgd {
        batch: u32,
    },
}

enum ExitAxes {
    None,
    Top,
    HalfSpace {
        normal: Vec<f64>,
        threshold: Axis,
    },
    Ball {
        center: Option<Vec<f64>>,
        radius: Axis,
    },
    Box {
        lower: Vec<f64>,
        upper: Vec<f64>,
    },
}

fn interpretation_axis(axes: &mut Axes, given: Option<&sweep::StringSweep>) -> Result<Axis> {
    let values = given
        .map(|s| s.values())
        .unwrap_or_else(|| vec!["ito".to_string()]);
    if values.is_empty() {
        return Err(Error::invalid(
            "noise.interpretation",
            "[]",
            "an empty list; give \"ito\", \"stratonovich\" or \"anti-ito\"",
        ));
    }
    for v in &values {
        if Interpretation::parse(v).is_none() {
            return Err(Error::invalid(
                "noise.interpretation",
                format!("{v:?}"),
                "one of \"ito\", \"stratonovich\", \"anti-ito\"",
            ));
        }
    }
    Ok(axes.text("noise.interpretation", values))
}

fn vector_field(field: &str, v: &[f64], dim: usize) -> Result<Vec<f64>> {
    if v.len() != dim {
        return Err(Error::invalid(
            field,
            format!("{v:?}"),
            format!("a list of {dim} numbers, one per coordinate (dim = {dim})"),
        ));
    }
    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(field, bad, "finite numbers"));
    }
    Ok(v.to_vec())
}

fn build(file: ExperimentFile, base: Option<&Path>) -> Result<Experiment> {
    let name = file
        .name
        .clone()
        .unwrap_or_else(|| "experiment".to_string());
    let seed = check_seed(file.seed.unwrap_or(0))?;
    let trajectories = check_trajectories(file.trajectories as i128)?;

    let dim_default = match file.potential {
        PotentialFile::Paper2d { .. } => 2,
        _ => 1,
    };
    let dim = file.dim.unwrap_or(dim_default);
    if !(1..=MAX_DIM as i64).contains(&dim) {
        return Err(Error::invalid(
            "dim",
            dim,
            format!("an integer from 1 to {MAX_DIM}"),
        ));
    }
    let dim = dim as usize;

    let mut axes = Axes::default();
    let dt = axes.number("dt", &file.dt, positive, "a number > 0")?;

    let mut data_from_file = None;
    let (potential_kind, potential_axes, data_size, data_variance) = match &file.potential {
        PotentialFile::Quadratic { curvature, center } => (
            PotentialKind::Quadratic,
            PotentialAxes::Quadratic {
                curvature: axes.number(
                    "potential.curvature",
                    curvature,
                    positive,
                    "a number > 0",
                )?,
                center: axes.number(
                    "potential.center",
                    center.as_ref().unwrap_or(&Sweep::one(0.0)),
                    any,
                    "a finite number",
                )?,
            },
            0,
            0.0,
        ),
        PotentialFile::DoubleWell { height, half_width } => (
            PotentialKind::DoubleWell,
            PotentialAxes::DoubleWell {
                height: axes.number("potential.height", height, positive, "a number > 0")?,
                half_width: axes.number(
                    "potential.half_width",
                    half_width.as_ref().unwrap_or(&Sweep::one(1.0)),
                    positive,
                    "a number > 0",
                )?,
            },
            0,
            0.0,
        ),
        PotentialFile::Barrier {
            curvature_min,
            curvature_top,
            height,
            minimum,
        } => {
            if dim != 1 {
                return Err(Error::invalid(
                    "dim",
                    dim,
                    "1 for potential.kind = \"barrier\"",
                ));
            }
            (
                PotentialKind::Barrier,
                PotentialAxes::Barrier {
                    ha: axes.number(
                        "potential.curvature_min",
                        curvature_min,
                        positive,
                        "a number > 0",
                    )?,
                    hb: axes.number(
                        "potential.curvature_top",
                        curvature_top,
                        positive,
                        "a number > 0",
                    )?,
                    height: axes.number("potential.height", height, positive, "a number > 0")?,
                    minimum: axes.number(
                        "potential.minimum",
                        minimum.as_ref().unwrap_or(&Sweep::one(0.0)),
                        any,
                        "a finite number",
                    )?,
                },
                0,
                0.0,
            )
        }
        PotentialFile::Paper2d {
            data_size,
            data_variance,
            data_file,
            scale,
        } => {
            if dim != 2 {
                return Err(Error::invalid(
                    "dim",
                    dim,
                    "2 for potential.kind = \"paper-2d\"",
                ));
            }
            if let Some(path) = data_file {
                if data_size.is_some() || data_variance.is_some() {
                    return Err(Error::invalid(
                        "potential.data_file",
                        format!("{path:?} given together with data_size or data_variance"),
                        "either a data file or a drawn data set (data_size, data_variance), not both",
                    ));
                }
                let resolved = match base {
                    Some(dir) if Path::new(path).is_relative() => dir.join(path),
                    _ => PathBuf::from(path),
                };
                data_from_file = Some(read_data_file(&resolved, path)?);
            }
            let n = match &data_from_file {
                Some(points) => points.len() as i64 / 2,
                None => data_size.unwrap_or(100),
            };
            if !(1..=MAX_DATA_SIZE).contains(&n) {
                return Err(Error::invalid(
                    "potential.data_size",
                    n,
                    format!("an integer from 1 to {MAX_DATA_SIZE}"),
                ));
            }
            let variance = data_variance.unwrap_or(0.01);
            if !(variance.is_finite() && variance >= 0.0) {
                return Err(Error::invalid(
                    "potential.data_variance",
                    variance,
                    "a number >= 0",
                ));
            }
            (
                PotentialKind::Paper2d,
                PotentialAxes::Paper2d {
                    scale: axes.number(
                        "potential.scale",
                        scale.as_ref().unwrap_or(&Sweep::one(15.0)),
                        positive,
                        "a number > 0",
                    )?,
                },
                n as usize,
                variance,
            )
        }
    };

    let (noise_kind, noise_axes, interpretation) = match &file.noise {
        NoiseFile::Langevin { d0, interpretation } => (
            NoiseKind::Langevin,
            NoiseAxes::Langevin {
                d0: axes.number("noise.d0", d0, non_negative, "a number >= 0")?,
            },
            Some(interpretation_axis(&mut axes, interpretation.as_ref())?),
        ),
        NoiseFile::PowerLaw {
            d0,
            d2,
            rho,
            center,
            interpretation,
        } => (
            NoiseKind::PowerLaw,
            NoiseAxes::PowerLaw {
                d0: axes.number("noise.d0", d0, non_negative, "a number >= 0")?,
                d2: axes.number("noise.d2", d2, non_negative, "a number >= 0")?,
                rho: axes.number(
                    "noise.rho",
                    rho.as_ref().unwrap_or(&Sweep::one(0.0)),
                    any,
                    "a finite number with rho^2 <= d0 * d2",
                )?,
                center: center
                    .as_ref()
                    .map(|c| axes.number("noise.center", c, any, "a finite number"))
                    .transpose()?,
            },
            Some(interpretation_axis(&mut axes, interpretation.as_ref())?),
        ),
        NoiseFile::PowerLawLoss {
            d0,
            k,
            interpretation,
        } => (
            NoiseKind::PowerLawLoss,
            NoiseAxes::PowerLawLoss {
                d0: axes.number("noise.d0", d0, non_negative, "a number >= 0")?,
                k: axes.number("noise.k", k, non_negative, "a number >= 0")?,
            },
            Some(interpretation_axis(&mut axes, interpretation.as_ref())?),
        ),
        NoiseFile::Sgd { batch } => {
            if potential_kind != PotentialKind::Paper2d {
                return Err(Error::invalid(
                    "noise.kind",
                    "\"sgd\"",
                    format!(
                        "\"sgd\" needs a potential with a data set (\"paper-2d\"), not \"{}\"",
                        potential_kind.name()
                    ),
                ));
            }
            if !(1..=MAX_BATCH).contains(batch) {
                return Err(Error::invalid(
                    "noise.batch",
                    batch,
                    format!("an integer from 1 to {MAX_BATCH}"),
                ));
            }
            (
                NoiseKind::Sgd,
                NoiseAxes::Sgd {
                    batch: *batch as u32,
                },
                None,
            )
        }
        NoiseFile::AlphaStable { index, sigma, beta } => (
            NoiseKind::AlphaStable,
            NoiseAxes::AlphaStable {
                index: axes.number(
                    "noise.index",
                    index,
                    |a| a > 0.0 && a <= 2.0,
                    "a number in (0, 2]",
                )?,
                sigma: axes.number("noise.sigma", sigma, non_negative, "a number >= 0")?,
                beta: axes.number(
                    "noise.beta",
                    beta.as_ref().unwrap_or(&Sweep::one(0.0)),
                    |b| (-1.0..=1.0).contains(&b),
                    "a number in [-1, 1]",
                )?,
            },
            None,
        ),
    };

    let (exit_kind, exit_axes) = match &file.exit {
        None | Some(ExitFile::None) => (ExitKind::None, ExitAxes::None),
        Some(ExitFile::Top { .. }) => {
            if !matches!(
                potential_kind,
                PotentialKind::Barrier | PotentialKind::DoubleWell
            ) {
                return Err(Error::invalid(
                    "exit.kind",
                    "\"top\"",
                    "\"top\" needs a potential with a barrier top (\"barrier\" or \"double-well\"); use \"half-space\" or \"ball\"",
                ));
            }
            (ExitKind::HalfSpace, ExitAxes::Top)
        }
        Some(ExitFile::HalfSpace {
            normal, threshold, ..
        }) => {
            let normal = vector_field("exit.normal", normal, dim)?;
            if normal.iter().all(|&n| n == 0.0) {
                return Err(Error::invalid(
                    "exit.normal",
                    format!("{normal:?}"),
                    "a non-zero vector",
                ));
            }
            (
                ExitKind::HalfSpace,
                ExitAxes::HalfSpace {
                    normal,
                    threshold: axes.number("exit.threshold", threshold, any, "a finite number")?,
                },
            )
        }
        Some(ExitFile::Ball { center, radius }) => (
            ExitKind::Ball,
            ExitAxes::Ball {
                center: center
                    .as_ref()
                    .map(|c| vector_field("exit.center", c, dim))
                    .transpose()?,
                radius: axes.number("exit.radius", radius, positive, "a number > 0")?,
            },
        ),
        Some(ExitFile::Box { lower, upper }) => {
            if dim > MAX_BOX_DIM {
                return Err(Error::invalid(
                    "exit.kind",
                    "\"box\"",
                    format!("dim <= {MAX_BOX_DIM} for a box exit (dim is {dim})"),
                ));
            }
            let lower = bound_field("exit.lower", lower, dim)?;
            let upper = bound_field("exit.upper", upper, dim)?;
            if let Some(c) = (0..dim).find(|&c| lower[c] >= upper[c]) {
                return Err(Error::invalid(
                    "exit.upper",
                    format!("{upper:?}"),
                    format!(
                        "upper > lower in every coordinate (coordinate {c}: lower {}, upper {})",
                        lower[c], upper[c]
                    ),
                ));
            }
            (ExitKind::Box, ExitAxes::Box { lower, upper })
        }
    };

    let bridge = match &file.exit {
        Some(ExitFile::Top { bridge }) | Some(ExitFile::HalfSpace { bridge, .. }) => {
            bridge.unwrap_or(false)
        }
        _ => false,
    };
    if bridge && matches!(noise_kind, NoiseKind::AlphaStable | NoiseKind::Sgd) {
        return Err(Error::invalid(
            "exit.bridge",
            "true",
            "false for alpha-stable and sgd dynamics (the Brownian-bridge correction assumes Gaussian increments)",
        ));
    }
    if file.start.is_some() && file.start_point.is_some() {
        return Err(Error::invalid(
            "start_point",
            "given together with `start`",
            "either `start` (one value for every coordinate) or `start_point` (a vector), not both",
        ));
    }
    let start_axis = file
        .start
        .as_ref()
        .map(|s| axes.number("start", s, any, "a finite number"))
        .transpose()?;
    let start_point = file
        .start_point
        .as_ref()
        .map(|v| vector_field("start_point", v, dim))
        .transpose()?;

    let max_steps = file.max_steps;
    let blocks_per_step = match (noise_kind, &noise_axes) {
        (NoiseKind::AlphaStable, _) => dim as u64,
        (_, NoiseAxes::Sgd { batch }) => (*batch as u64).div_ceil(2),
        _ => (dim as u64).div_ceil(2),
    };
    let step_limit = MAX_STEPS_LIMIT.min((1u64 << 32) / blocks_per_step - 2);
    if max_steps < 1 || max_steps as u64 > step_limit {
        return Err(Error::invalid(
            "max_steps",
            max_steps,
            format!("an integer from 1 to {step_limit} for this noise and dimension"),
        ));
    }

    let observe_file = file.observe.unwrap_or_default();
    let histogram = match observe_file.histogram {
        None => HistogramSpec {
            lo: -5.0,
            hi: 5.0,
            bins: 100,
        },
        Some(h) => {
            if h.range.len() != 2 || !h.range.iter().all(|v| v.is_finite()) {
                return Err(Error::invalid(
                    "observe.histogram.range",
                    format!("{:?}", h.range),
                    "two finite numbers [lo, hi]",
                ));
            }
            if h.range[0] >= h.range[1] {
                return Err(Error::invalid(
                    "observe.histogram.range",
                    format!("{:?}", h.range),
                    "lo < hi",
                ));
            }
            if !(1..=MAX_BINS).contains(&h.bins) {
                return Err(Error::invalid(
                    "observe.histogram.bins",
                    h.bins,
                    format!("an integer from 1 to {MAX_BINS}"),
                ));
            }
            HistogramSpec {
                lo: h.range[0],
                hi: h.range[1],
                bins: h.bins as usize,
            }
        }
    };
    let fpt_file = match observe_file.fpt_file.as_deref() {
        None | Some("none") => None,
        Some("npy") => Some(FptFormat::Npy),
        Some("u32") => Some(FptFormat::RawU32),
        Some(other) => {
            return Err(Error::invalid(
                "observe.fpt_file",
                format!("{other:?}"),
                "\"npy\", \"u32\" or \"none\"",
            ))
        }
    };

    let count = axes.count();
    if count > stream_case_limit() {
        return Err(Error::invalid(
            "cases",
            count,
            format!(
                "at most {} cases (the product of all list lengths)",
                stream_case_limit()
            ),
        ));
    }

    check_fpt_memory(fpt_file, count * trajectories as u64)?;
    let data_set = match (&data_from_file, potential_kind) {
        (Some(points), _) => points.clone(),
        (None, PotentialKind::Paper2d) => paper_data_set(seed, data_size, data_variance),
        (None, _) => Vec::new(),
    };

    let mut cases = Vec::with_capacity(count as usize);
    for flat in 0..count {
        let combo = Combination {
            axes: &axes,
            picks: axes.combination(flat),
        };
        let potential = match &potential_axes {
            PotentialAxes::Quadratic { curvature, center } => PotentialParams::Quadratic {
                curvature: combo.number(*curvature),
                center: combo.number(*center),
            },
            PotentialAxes::DoubleWell { height, half_width } => PotentialParams::DoubleWell {
                height: combo.number(*height),
                half_width: combo.number(*half_width),
            },
            PotentialAxes::Barrier {
                ha,
                hb,
                height,
                minimum,
            } => PotentialParams::Barrier {
                curvature_min: combo.number(*ha),
                curvature_top: combo.number(*hb),
                height: combo.number(*height),
                minimum: combo.number(*minimum),
            },
            PotentialAxes::Paper2d { scale } => PotentialParams::Paper2d {
                scale: combo.number(*scale),
            },
        };
        let noise = match &noise_axes {
            NoiseAxes::Langevin { d0 } => NoiseParams::Langevin {
                d0: combo.number(*d0),
            },
            NoiseAxes::PowerLaw {
                d0,
                d2,
                rho,
                center,
            } => {
                let (d0v, d2v, rhov) = (combo.number(*d0), combo.number(*d2), combo.number(*rho));
                if rhov * rhov > d0v * d2v {
                    return Err(Error::invalid(
                        "noise.rho",
                        rhov,
                        format!(
                            "|rho| <= sqrt(d0 * d2) = {} so that the variance stays >= 0",
                            (d0v * d2v).sqrt()
                        ),
                    ));
                }
                NoiseParams::PowerLaw {
                    d0: d0v,
                    rho: rhov,
                    d2: d2v,
                    center: center
                        .map(|c| combo.number(c))
                        .unwrap_or(potential.minimum()),
                }
            }
            NoiseAxes::PowerLawLoss { d0, k } => NoiseParams::PowerLawLoss {
                d0: combo.number(*d0),
                k: combo.number(*k),
            },
            NoiseAxes::AlphaStable { index, sigma, beta } => NoiseParams::AlphaStable {
                index: combo.number(*index),
                sigma: combo.number(*sigma),
                beta: combo.number(*beta),
            },
            NoiseAxes::Sgd { batch } => NoiseParams::Sgd { batch: *batch },
        };
        let interpretation = interpretation
            .map(|axis| Interpretation::parse(combo.text(axis)).expect("validated"))
            .unwrap_or(Interpretation::Ito);
        let start = match (&start_point, start_axis) {
            (Some(point), _) => point.clone(),
            (None, Some(axis)) => vec![combo.number(axis); dim],
            (None, None) => vec![potential.minimum(); dim],
        };
        let exit = match &exit_axes {
            ExitAxes::None => ExitParams::None,
            ExitAxes::Top => {
                let mut normal = vec![0.0; dim];
                normal[0] = 1.0;
                ExitParams::HalfSpace {
                    normal,
                    threshold: potential.top().expect("validated"),
                }
            }
            ExitAxes::HalfSpace { normal, threshold } => ExitParams::HalfSpace {
                normal: normal.clone(),
                threshold: combo.number(*threshold),
            },
            ExitAxes::Ball { center, radius } => ExitParams::Ball {
                center: center.clone().unwrap_or_else(|| start.clone()),
                radius: combo.number(*radius),
            },
            ExitAxes::Box { lower, upper } => ExitParams::Box {
                lower: lower.clone(),
                upper: upper.clone(),
            },
        };
        let model = CaseModel {
            dt: combo.number(dt),
            interpretation,
            potential,
            noise,
            start,
            exit,
            bridge,
        };
        if let Some(h) = model.potential.basin_curvature() {
            if model.dt * h >= 2.0 {
                return Err(Error::invalid(
                    "dt",
                    model.dt,
                    format!(
                        "dt * curvature < 2 for a stable Euler–Maruyama step; the basin curvature is {h}, so dt < {}",
                        2.0 / h
                    ),
                ));
            }
        }
        if model.is_exit(&model.start) {
            return Err(Error::invalid(
                "start",
                format!("{:?}", model.start),
                "a start point outside the exit set (the trajectory would leave at step 0)",
            ));
        }
        let index = flat as u32;
        cases.push(Case {
            index,
            params: combo.params(),
            record: model.record(index, max_steps as u32, data_size),
            model,
        });
    }

    Ok(Experiment {
        name,
        seed,
        max_steps: max_steps as u32,
        trajectories,
        shape: KernelShape {
            potential: potential_kind,
            noise: noise_kind,
            exit: exit_kind,
            dim,
            bridge,
        },
        observe: Observe {
            histogram,
            fpt_file,
        },
        cases,
        data_set,
        data_variance,
        data_from_file: data_from_file.is_some(),
        range: 0..trajectories,
    })
}

fn stream_case_limit() -> u64 {
    100_000.min(crate::rng::stream::MAX_CASES as u64)
}

/// A box bound: `dim` numbers, each finite or infinite (not NaN).
fn bound_field(field: &str, values: &[f64], dim: usize) -> Result<Vec<f64>> {
    if values.len() != dim || values.iter().any(|v| v.is_nan()) {
        return Err(Error::invalid(
            field,
            format!("{values:?}"),
            format!("{dim} numbers (one per coordinate; inf and -inf allowed)"),
        ));
    }
    Ok(values.to_vec())
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
