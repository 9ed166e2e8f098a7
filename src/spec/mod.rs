//! Experiment specifications: parse a TOML experiment file, validate every
//! field (errors name the field, the value and what is allowed) and expand
//! swept parameters into the cartesian product of cases.

mod builder;
mod checks;
mod file;
pub mod rare;
pub mod shard;

pub use crate::model::case::{CaseModel, Dynamics, Interpretation, KernelShape, MAX_DIM};
pub use crate::model::{
    ExitKind, ExitParams, NoiseKind, NoiseParams, PotentialKind, PotentialParams,
};
pub use crate::sweep::ParamValue;
pub use builder::{ExperimentBuilder, Field, Fields};
pub use rare::{RareFile, RareSettings};

use crate::error::{Error, Result};
use crate::model::exit::{ExitFile, ExitSetup};
use crate::model::noise::NoiseSetup;
use crate::model::potential::Setup;
use crate::sweep::{any, positive, vector_field, Axes, Combination};
use file::{ExperimentFile, NoiseFile};
use std::path::Path;

/// Largest step limit: first-passage steps are u32 and every step's draws
/// must have their own Threefry block index (docs/theory.md §6 layout).
pub const MAX_STEPS_LIMIT: u64 = 1_000_000_000;
/// Largest number of trajectories per case (the index is one counter word).
pub const MAX_TRAJECTORIES: u64 = u32::MAX as u64;
/// Largest number of histogram bins per coordinate.
pub const MAX_BINS: i64 = 1 << 20;
pub use crate::model::exit::box_set::MAX_BOX_DIM;
pub use crate::model::noise::sgd::MAX_BATCH;
pub use crate::model::potential::paper_2d::{paper_data_set, MAX_DATA_SIZE};

/// One parameter case of a batch.
#[derive(Clone, Debug)]
pub struct Case {
    /// Position in the cartesian product of the sweeps; also the case word of its random streams.
    pub index: u32,
    /// The value of every scalar parameter, swept or not, by dotted field name.
    pub params: Vec<(String, ParamValue)>,
    /// The case's numbers: step, interpretation, potential, noise, start and exit.
    pub model: CaseModel,
}

/// Format of the per-trajectory first-passage file (`observe.fpt_file`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FptFormat {
    /// NumPy `.npy`, `<u4`, shape (cases, trajectories).
    Npy,
    /// Raw little-endian u32, case after case.
    RawU32,
}

/// The final-state histogram of every coordinate (`observe.histogram`; default `[-5, 5]`,
/// 100 bins).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistogramSpec {
    /// Lower end of the range (`range[0]`): smaller values are counted as `below`.
    pub lo: f64,
    /// Upper end of the range (`range[1]`, > `lo`): values from it up are counted as `above`.
    pub hi: f64,
    /// Number of equal bins on `[lo, hi)`, 1 to [`MAX_BINS`].
    pub bins: usize,
}

/// What a run records besides the tallies (`[observe]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Observe {
    /// The final-state histogram of every coordinate.
    pub histogram: HistogramSpec,
    /// Write every trajectory's first-passage step in this format; `None`: no such file.
    pub fpt_file: Option<FptFormat>,
    /// Run every trajectory at `dt` and at `dt/2` on one Brownian path and
    /// report the Richardson estimates (`observe.extrapolate`, `--extrapolate`;
    /// docs/theory.md §10).
    pub extrapolate: bool,
}

/// How the exact references are computed (`[theory]`; docs/theory.md §9).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TheorySettings {
    /// Solve the backward equation of every 2-D case with a Gaussian noise
    /// and an exit set (`theory.exact`, default true).
    pub exact: bool,
    /// Effective temperatures between the saddle level and the reflecting
    /// cut of that solve (`theory.margin`, default 10).
    pub margin: f64,
    /// Active cells of its finest grid (`theory.cells`, default 80,000).
    pub cells: usize,
}

/// Bounds of `theory.cells`.
pub const THEORY_CELLS: std::ops::RangeInclusive<i64> = 1_000..=2_000_000;

impl Default for TheorySettings {
    fn default() -> Self {
        TheorySettings {
            exact: true,
            margin: 10.0,
            cells: 80_000,
        }
    }
}

/// A validated experiment: one kernel shape, many numeric cases.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// The file's `name` (`"experiment"` when absent).
    pub name: String,
    /// Word 0 of every random stream's key (`seed`, default 0; CLI `--seed`).
    pub seed: u32,
    /// Step limit per trajectory: one still inside after it is censored.
    pub max_steps: u32,
    /// Trajectories per case.
    pub trajectories: u32,
    /// The structure shared by every case: model kinds, dimension, bridge.
    pub shape: KernelShape,
    /// What is recorded besides the tallies.
    pub observe: Observe,
    /// How the exact references are computed.
    pub theory: TheorySettings,
    /// Every case of the sweep, in index order.
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
    /// `[rare]`: estimate escapes by adaptive multilevel splitting instead.
    pub rare: Option<RareSettings>,
    /// The coarse half of an extrapolated run ([`Self::coupled_pair`]): each
    /// Gaussian step draws the sum of the two normals that the run at half the
    /// step draws for its two steps, over `sqrt 2`. Never set from a file.
    pub coupled: bool,
}

impl Experiment {
    /// The kernels' record of `case` ([`CaseModel::record`]).
    pub fn record(&self, case: &Case) -> crate::kernel::abi::CaseParams {
        case.model.record(case.index, self.max_steps)
    }

    /// The records of every case, in case order.
    pub fn records(&self) -> Vec<crate::kernel::abi::CaseParams> {
        self.cases.iter().map(|case| self.record(case)).collect()
    }

    /// Read, parse and validate the experiment file at `path`.
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
        let deserializer =
            toml::Deserializer::parse(text).map_err(|e| parse_error(origin, e.to_string()))?;
        let file = read_file(deserializer, origin)?;
        Self::from_file(file, origin)
    }

    /// Validate the tables of an experiment made in code ([`ExperimentBuilder`]).
    pub(crate) fn from_value(value: toml::Value, origin: &str) -> Result<Self> {
        Self::from_file(read_file(value, origin)?, origin)
    }

    fn from_file(file: ExperimentFile, origin: &str) -> Result<Self> {
        let base = Path::new(origin)
            .parent()
            .filter(|p| p.is_dir())
            .map(Path::to_path_buf);
        build(file, base.as_deref())
    }

    /// Number of threefry blocks one step of one trajectory consumes (docs/theory.md §6 layout).
    pub fn blocks_per_step(&self) -> f64 {
        if self.shape.noise.stable() {
            self.shape.dim as f64
        } else {
            self.shape.dim as f64 / 2.0
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
        if !self.data_set.is_empty() && !self.data_from_file {
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

    /// Extrapolate to `dt -> 0` (`observe.extrapolate`, `--extrapolate`):
    /// refused for noises without a Gaussian path to couple.
    pub fn with_extrapolation(mut self, extrapolate: bool) -> Result<Self> {
        if extrapolate && self.shape.dynamics == Dynamics::Underdamped {
            return Err(Error::invalid(
                "observe.extrapolate",
                "true with dynamics.kind = \"underdamped\"",
                "false: the extrapolation's sqrt(dt) law is the overdamped bridge's; GJF's error has another order",
            ));
        }
        if extrapolate && (self.shape.noise.stable() || self.shape.noise.minibatch()) {
            return Err(Error::invalid(
                "observe.extrapolate",
                format!("true with noise.kind = {:?}", self.shape.noise.name()),
                "false for alpha-stable and sgd dynamics (extrapolation couples the runs at dt and dt/2 through their Gaussian increments)",
            ));
        }
        if extrapolate {
            let limit = step_limit((self.shape.dim as u64).div_ceil(2)) / 2;
            if self.max_steps as u64 > limit {
                return Err(Error::invalid(
                    "max_steps",
                    self.max_steps,
                    format!("at most {limit} with observe.extrapolate (the run at dt/2 takes twice the steps)"),
                ));
            }
        }
        self.observe.extrapolate = extrapolate;
        Ok(self)
    }

    /// The two runs of an extrapolated experiment (docs/theory.md §10): the
    /// coarse one at `dt`, [`Self::coupled`], and the fine one at `dt/2` with
    /// twice the steps, on the same streams; both record every trajectory's
    /// first passage and neither extrapolates again.
    pub fn coupled_pair(&self) -> Result<(Experiment, Experiment)> {
        let mut coarse = self.clone();
        coarse.observe.extrapolate = false;
        coarse.observe.fpt_file.get_or_insert(FptFormat::Npy);
        coarse.coupled = true;
        let mut fine = coarse.clone();
        fine.coupled = false;
        fine.max_steps = self.max_steps.checked_mul(2).ok_or_else(|| {
            Error::invalid(
                "max_steps",
                self.max_steps,
                "at most half the step limit with observe.extrapolate",
            )
        })?;
        for case in &mut fine.cases {
            case.model.dt /= 2.0;
        }
        check_fpt_memory(Some(FptFormat::Npy), self.total_trajectories())?;
        Ok((coarse, fine))
    }

    /// Record every trajectory's first passage (`observe.fpt_file`).
    pub fn with_fpt_file(mut self, format: FptFormat) -> Result<Self> {
        check_fpt_memory(Some(format), self.total_trajectories())?;
        self.observe.fpt_file = Some(format);
        Ok(self)
    }
}

fn parse_error(origin: &str, message: String) -> Error {
    Error::Parse {
        path: origin.to_string(),
        message: message.trim_end().to_string(),
    }
}

/// The experiment file's tables, with the path of a field that does not fit.
fn read_file<'de, D: serde::Deserializer<'de>>(from: D, origin: &str) -> Result<ExperimentFile>
where
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize(from).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner().to_string();
        if field.is_empty() || field == "." {
            parse_error(origin, inner)
        } else {
            parse_error(origin, format!("field `{field}`: {inner}"))
        }
    })
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

fn build(file: ExperimentFile, base: Option<&Path>) -> Result<Experiment> {
    let name = file
        .name
        .clone()
        .unwrap_or_else(|| "experiment".to_string());
    let seed = check_seed(file.seed.unwrap_or(0))?;
    let trajectories = check_trajectories(file.trajectories as i128)?;

    let potential_kind = file.potential.kind();
    let fixed_dim = potential_kind.dim();
    let dim = file.dim.unwrap_or(fixed_dim.max(1) as i64);
    if !(1..=MAX_DIM as i64).contains(&dim) {
        return Err(Error::invalid(
            "dim",
            dim,
            format!("an integer from 1 to {MAX_DIM}"),
        ));
    }
    let dim = dim as usize;
    if fixed_dim != 0 && dim != fixed_dim {
        return Err(Error::invalid(
            "dim",
            dim,
            format!(
                "{fixed_dim} for potential.kind = \"{}\"",
                potential_kind.name()
            ),
        ));
    }

    let mut axes = Axes::default();
    let dt = axes.number("dt", &file.dt, positive, "a number > 0")?;

    let mut params = Vec::new();
    for (name, sweep) in file.params.iter().flatten() {
        check_param_name(name)?;
        let field = format!("params.{name}");
        params.push((
            name.clone(),
            axes.number(&field, sweep, any, "a finite number")?,
        ));
    }
    let mut setup = Setup {
        dim,
        seed,
        base,
        data: None,
        params: &params,
    };
    let potential_case = file.potential.sweep(&mut axes, &mut setup)?;
    let data = setup.data;

    let noise_kind = file.noise.kind();
    let noise_case = file.noise.sweep(
        &mut axes,
        &NoiseSetup {
            data_set: data.is_some(),
            potential: potential_kind.name(),
            dim,
            params: params.clone(),
        },
    )?;

    let exit_file = file.exit.unwrap_or(ExitFile::None);
    let exit_kind = exit_file.kind();
    let first = Combination {
        axes: &axes,
        picks: axes.combination(0),
    };
    let exit_setup = ExitSetup {
        dim,
        potential: potential_kind.name(),
        // whether the potential has a top is a property of its kind: the first
        // case tells (a formula's top is found per case, from its start)
        has_top: potential_kind == PotentialKind::Expr || potential_case(&first)?.top().is_some(),
        params: params.clone(),
    };
    let exit_case = exit_file.sweep(&mut axes, &exit_setup)?;
    let bridge = exit_file.bridge();
    if bridge && (noise_kind.stable() || noise_kind.minibatch()) {
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

    let dynamics_file = file.dynamics.unwrap_or_default();
    let (dynamics, friction_axis, start_velocity) = dynamics_axis(&dynamics_file, &mut axes, dim)?;
    if dynamics == Dynamics::Underdamped {
        if noise_kind.stable() || noise_kind.minibatch() {
            return Err(Error::invalid(
                "noise.kind",
                format!("{:?} with dynamics.kind = \"underdamped\"", noise_kind.name()),
                "a noise with a variance law (langevin, power-law, power-law-loss, expr) for underdamped dynamics; \
                 alpha-stable and sgd are overdamped only for now",
            ));
        }
        if bridge {
            return Err(Error::invalid(
                "exit.bridge",
                "true with dynamics.kind = \"underdamped\"",
                "false: the Brownian-bridge correction is derived for overdamped paths (an underdamped position is smooth in time)",
            ));
        }
        if file.rare.is_some() {
            return Err(Error::invalid(
                "rare",
                "a [rare] table with dynamics.kind = \"underdamped\"",
                "no [rare] table: splitting runs overdamped dynamics only for now (direct simulation covers underdamped ones)",
            ));
        }
    }

    // `[noise] momentum` > 0 makes minibatch SGD heavy ball (kind "sgd" only,
    // so never with underdamped dynamics, the bridge or splitting: refused above)
    let dynamics = match &file.noise {
        NoiseFile::Sgd(sgd) if sgd.heavy_ball() => Dynamics::HeavyBall,
        _ => dynamics,
    };
    if dynamics == Dynamics::HeavyBall && file.rare.is_some() {
        return Err(Error::invalid(
            "rare",
            "a [rare] table with noise.momentum > 0",
            "no [rare] table: splitting's replicas carry a position only, and heavy ball's state is (x, v)",
        ));
    }

    let max_steps = file.max_steps;
    let blocks_per_step = match &file.noise {
        _ if noise_kind.stable() => dim as u64,
        NoiseFile::Sgd(sgd) => (sgd.batch as u64).div_ceil(2),
        _ => (dim as u64).div_ceil(2),
    };
    let step_limit = step_limit(blocks_per_step);
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

    let rare = file.rare.as_ref().map(|r| r.validate(dim)).transpose()?;
    let theory_file = file.theory.unwrap_or_default();
    if theory_file.exact == Some(true) {
        let covered = dim == 2
            && !noise_kind.stable()
            && !noise_kind.minibatch()
            && !matches!(exit_file, ExitFile::None);
        if !covered {
            return Err(Error::invalid(
                "theory.exact",
                true,
                format!(
                    "false or absent here: the exact backward solve covers dim = 2 (this file: {dim}) with a noise that has \
                     a variance law (not alpha-stable or sgd) and an exit set; \
                     radial and separable cases of any dimension get their quadratures without it"
                ),
            ));
        }
    }
    let theory = theory_settings(theory_file)?;

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

    let mut cases = Vec::with_capacity(count as usize);
    for flat in 0..count {
        let combo = Combination {
            axes: &axes,
            picks: axes.combination(flat),
        };
        let mut potential = potential_case(&combo)?;
        let given_start = match (&start_point, start_axis) {
            (Some(point), _) => Some(point.clone()),
            (None, Some(axis)) => Some(vec![combo.number(axis); dim]),
            (None, None) => None,
        };
        potential.locate(given_start.as_deref())?;
        let start = given_start.unwrap_or_else(|| vec![potential.minimum(); dim]);
        let (noise, interpretation) = noise_case(&combo, &potential)?;
        if let NoiseParams::ExprNoise(formula) = &noise {
            formula.check_start(&start, &potential)?;
        }
        let exit = exit_case(&combo, &potential, &start)?;
        let model = CaseModel {
            dt: combo.number(dt),
            interpretation,
            potential,
            noise,
            start,
            exit,
            bridge,
            friction: 0.0,
            start_velocity: None,
        };
        let mut model = model;
        if let Some(axis) = friction_axis {
            model.friction = combo.number(axis);
            model.start_velocity = start_velocity.clone();
            if model.interpretation != Interpretation::Ito {
                return Err(Error::invalid(
                    "noise.interpretation",
                    format!("{:?} with dynamics.kind = \"underdamped\"", model.interpretation.name()),
                    "\"ito\" or absent: the noise multiplies dW in the velocity equation only and D reads the position, \
                     a path of bounded variation, so every interpretation is the same dynamic",
                ));
            }
        }
        if let (Some(h), true) = (
            model.potential.basin_curvature(),
            dynamics == Dynamics::Underdamped,
        ) {
            // GJF is stable for omega dt < 2 (omega^2 the basin curvature)
            if model.dt * h.sqrt() >= 2.0 {
                return Err(Error::invalid(
                    "dt",
                    model.dt,
                    format!(
                        "dt * sqrt(curvature) < 2 for a stable underdamped (GJF) step; the basin curvature is {h}, so dt < {}",
                        2.0 / h.sqrt()
                    ),
                ));
            }
        } else if let Some(h) = model.potential.basin_curvature() {
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
        if model.exit.contains(&model.start) {
            return Err(Error::invalid(
                "start",
                format!("{:?}", model.start),
                "a start point outside the exit set (the trajectory would leave at step 0)",
            ));
        }
        if let Some(rare) = &rare {
            rare::levels(rare, &model)?;
        }
        let index = flat as u32;
        cases.push(Case {
            index,
            params: combo.params(),
            model,
        });
    }

    Experiment {
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
            dynamics,
        },
        observe: Observe {
            histogram,
            fpt_file,
            extrapolate: false,
        },
        theory,
        cases,
        data_variance: data.as_ref().map_or(0.0, |d| d.variance),
        data_from_file: data.as_ref().is_some_and(|d| d.from_file),
        data_set: data.map(|d| d.points).unwrap_or_default(),
        range: 0..trajectories,
        rare,
        coupled: false,
    }
    .with_extrapolation(observe_file.extrapolate.unwrap_or(false))
}

/// The `[dynamics]` table: the dynamics, the friction's axis (underdamped)
/// and the start velocity, if given.
fn dynamics_axis(
    file: &file::DynamicsFile,
    axes: &mut Axes,
    dim: usize,
) -> Result<(Dynamics, Option<crate::sweep::Axis>, Option<Vec<f64>>)> {
    let kind = match file.kind.as_deref() {
        None => Dynamics::Overdamped,
        Some(name) => Dynamics::parse(name).ok_or_else(|| {
            Error::invalid(
                "dynamics.kind",
                format!("{name:?}"),
                "\"overdamped\" (default) or \"underdamped\"",
            )
        })?,
    };
    if !kind.has_velocity() {
        for (field, given) in [
            ("dynamics.friction", file.friction.is_some()),
            ("dynamics.start_velocity", file.start_velocity.is_some()),
        ] {
            if given {
                return Err(Error::invalid(
                    field,
                    "given with overdamped dynamics",
                    "absent unless dynamics.kind = \"underdamped\"",
                ));
            }
        }
        return Ok((kind, None, None));
    }
    let friction = file.friction.as_ref().ok_or_else(|| {
        Error::invalid(
            "dynamics.friction",
            "missing",
            "a number > 0 (the friction gamma) with dynamics.kind = \"underdamped\"",
        )
    })?;
    let axis = axes.number("dynamics.friction", friction, positive, "a number > 0")?;
    let velocity = file
        .start_velocity
        .as_ref()
        .map(|v| vector_field("dynamics.start_velocity", v, dim))
        .transpose()?;
    Ok((kind, Some(axis), velocity))
}

fn theory_settings(file: file::TheoryFile) -> Result<TheorySettings> {
    let mut settings = TheorySettings::default();
    if let Some(exact) = file.exact {
        settings.exact = exact;
    }
    if let Some(margin) = file.margin {
        if !(margin.is_finite() && margin > 0.0 && margin <= 100.0) {
            return Err(Error::invalid(
                "theory.margin",
                margin,
                "a number in (0, 100]: effective temperatures between the saddle and the reflecting cut",
            ));
        }
        settings.margin = margin;
    }
    if let Some(cells) = file.cells {
        if !THEORY_CELLS.contains(&cells) {
            return Err(Error::invalid(
                "theory.cells",
                cells,
                format!(
                    "an integer from {} to {}: active cells of the finest grid",
                    THEORY_CELLS.start(),
                    THEORY_CELLS.end()
                ),
            ));
        }
        settings.cells = cells as usize;
    }
    Ok(settings)
}

/// The most steps a trajectory may take when each step draws
/// `blocks_per_step` Threefry blocks: the block counter stays within 32 bits.
fn step_limit(blocks_per_step: u64) -> u64 {
    MAX_STEPS_LIMIT.min((1u64 << 32) / blocks_per_step - 2)
}

/// A `[params]` name: an identifier that is not a variable, function or constant.
fn check_param_name(name: &str) -> Result<()> {
    let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier || crate::expr::is_reserved(name) {
        return Err(Error::invalid(
            format!("params.{name}"),
            format!("the name {name:?}"),
            "a name of letters, digits and _ that starts with a letter and is not x, x1 .. x8, u, pi or a function name",
        ));
    }
    Ok(())
}

fn stream_case_limit() -> u64 {
    100_000.min(crate::rng::stream::MAX_CASES as u64)
}
