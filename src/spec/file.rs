//! The experiment file as written (TOML, serde), before validation.
//! Field names here are the documented file format (README, "Experiment files").

pub use crate::model::exit::ExitFile;
pub use crate::model::noise::NoiseFile;
pub use crate::model::potential::PotentialFile;
use crate::sweep::Sweep;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    pub name: Option<String>,
    pub seed: Option<i64>,
    pub dt: Sweep,
    pub max_steps: i64,
    pub trajectories: i64,
    pub dim: Option<i64>,
    /// The start point, the same value in every coordinate (sweepable).
    pub start: Option<Sweep>,
    /// The start point as a vector of `dim` coordinates (not sweepable).
    pub start_point: Option<Vec<f64>>,
    /// Named numbers the formulas of expression models read, each sweepable.
    pub params: Option<std::collections::BTreeMap<String, Sweep>>,
    pub potential: PotentialFile,
    pub noise: NoiseFile,
    pub exit: Option<ExitFile>,
    pub observe: Option<ObserveFile>,
    /// Rare-event splitting instead of direct simulation (`super::rare`).
    pub rare: Option<super::rare::RareFile>,
    /// How the exact references are computed (`super::TheorySettings`).
    pub theory: Option<TheoryFile>,
    /// The equations of motion (default overdamped).
    pub dynamics: Option<DynamicsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicsFile {
    /// `"overdamped"` (default) or `"underdamped"`.
    pub kind: Option<String>,
    /// Underdamped: the friction `gamma` (> 0, sweepable).
    pub friction: Option<Sweep>,
    /// Underdamped: the start velocity, `dim` numbers (default: Maxwell draws).
    pub start_velocity: Option<Vec<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheoryFile {
    /// Solve the backward equation for 2-D cases (default true).
    pub exact: Option<bool>,
    /// Effective temperatures between the saddle level and the reflecting cut.
    pub margin: Option<f64>,
    /// Active cells of the finest grid.
    pub cells: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserveFile {
    pub histogram: Option<HistogramFile>,
    /// Write every trajectory's first-passage step: `"npy"` or `"u32"`.
    pub fpt_file: Option<String>,
    /// Richardson extrapolation to `dt -> 0` on coupled paths at `dt` and `dt/2`.
    pub extrapolate: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramFile {
    pub range: Vec<f64>,
    pub bins: i64,
}
