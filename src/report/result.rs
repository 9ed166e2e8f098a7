//! The JSON contract of a run (`result.json`) and its one-row-per-case CSV.
//! Times are in time units (steps x dt). Everything except the `run` object
//! (wall time, threads, throughput, command line) is a deterministic function
//! of the experiment file and the seed.

use crate::analysis::escape::{escape_stats, EscapeStats};
use crate::analysis::extrapolate::Extrapolation;
use crate::analysis::references::{case_references, Observed, TheoryReferences};
use crate::backend::RunOutput;
use crate::error::{Error, Result};
use crate::observables::tally::Histogram;
use crate::observables::{FptBins, Tally};
use crate::spec::shard::Shard;
use crate::spec::{Experiment, ParamValue};
use serde::{Deserialize, Serialize};

/// The contents of a direct run's `result.json`: the experiment, one entry per
/// case and the run's provenance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// Version of kramers that wrote the result.
    pub kramers_version: String,
    /// The experiment's `name` (`"experiment"` when the file has none).
    pub name: String,
    /// Backend that ran: `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter(s) that ran, several joined by `" + "`.
    pub device: String,
    /// Seed of every random stream (the file's `seed` or `--seed`).
    pub seed: u32,
    /// `Experiment::fingerprint`: equal for results of the same experiment and seed.
    #[serde(default)]
    pub fingerprint: String,
    /// Step limit per trajectory: one still inside after it is censored.
    pub max_steps: u32,
    /// Trajectories per case of the experiment (a shard holds `run.trajectory_range`).
    pub trajectories: u32,
    /// Number of coordinates of the state.
    pub dim: usize,
    /// The potential's `kind` (e.g. `"barrier"`).
    pub potential: String,
    /// The noise's `kind` (e.g. `"power-law"`).
    pub noise: String,
    /// One entry per case, in case index order.
    pub cases: Vec<CaseResult>,
    /// Provenance that differs from run to run.
    pub run: RunInfo,
}

/// Provenance of a run (the `run` object of result.json): what differs from
/// run to run of the same experiment and seed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    /// Wall-clock seconds of the run: this process only when resumed, summed over
    /// shards when merged.
    pub wall_time_s: f64,
    /// Worker threads of the process (rayon's thread count).
    pub threads: usize,
    /// Throughput: trajectory-steps simulated per wall-clock second (of this
    /// process when resumed).
    pub trajectory_steps_per_s: f64,
    /// The command line that produced the result, argument by argument (empty from the library).
    pub command_line: Vec<String>,
    /// `git rev-parse HEAD` of the build, when it was built from a git checkout.
    #[serde(default)]
    pub git_commit: Option<String>,
    /// Trajectories `[start, end)` of every case that this result holds.
    #[serde(default)]
    pub trajectory_range: [u32; 2],
    /// The shard this run was (`--shard` or a scheduler's environment), or null.
    #[serde(default)]
    pub shard: Option<Shard>,
    /// The run continued from a checkpoint.
    #[serde(default)]
    pub resumed: bool,
    /// The shard results that `kramers merge` combined into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// The experiment file as given (path and text), from which `kramers merge`
    /// rebuilds the experiment.
    #[serde(default)]
    pub experiment: ExperimentSource,
    /// The per-trajectory first-passage file written beside this result
    /// (`observe.fpt_file`): name, size and CRC-32, which `kramers merge` checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_passage: Option<crate::report::fpt_file::FptRecord>,
    /// Rare-event splitting: the wall time of each case, in case order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_wall_time_s: Vec<f64>,
}

/// The experiment file as given: where it came from and its text.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ExperimentSource {
    /// Path of the file as given, or a label (e.g. the built-in default experiment).
    pub path: String,
    /// The file's full TOML text.
    pub text: String,
}

/// One case of a direct run: its parameters, escape statistics and final state.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseResult {
    /// The case's index: its position in the cartesian product of the sweeps.
    pub index: u32,
    /// Every scalar parameter of the case, swept or not, by dotted field name.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Time step of the case, in time units.
    pub dt: f64,
    /// Trajectories run for this case: escaped + censored + diverged.
    pub trajectories: u64,
    /// Trajectories that became non-finite or passed the divergence bound:
    /// excluded from every statistic.
    pub diverged: u64,
    /// First-passage statistics, in time units.
    pub fpt: FptResult,
    /// Statistics of the state where each trajectory ended (`final` in the JSON).
    #[serde(rename = "final")]
    pub final_state: FinalResult,
    /// The exact integer sums behind `fpt` and `final`, for `kramers merge`.
    #[serde(default)]
    pub sums: ExactSums,
    /// The analytic references that apply to this case, with z scores (docs/theory.md §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<TheoryReferences>,
    /// `observe.extrapolate`: the estimates at `dt` and `dt/2` on coupled
    /// paths and their Richardson extrapolation to `dt -> 0` (docs/theory.md §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extrapolation: Option<Extrapolation>,
}

/// First-passage statistics of one case, in time units (steps x dt).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FptResult {
    /// Trajectories that reached the exit within `max_steps`.
    pub escaped: u64,
    /// Trajectories still inside after `max_steps`: counted in the rate's exposure.
    pub censored: u64,
    /// Mean first-passage time; null when some trajectory was censored.
    pub mean: Option<f64>,
    /// Student-t 95% interval of `mean`; null with fewer than 2 escapes or any censoring.
    pub ci95: Option<[f64; 2]>,
    /// Exponential escape-rate MLE, escapes per unit of total exposure time (censored
    /// included); 0 when nothing was simulated.
    pub rate: f64,
    /// Exact (Garwood, chi-square) 95% interval of `rate`.
    pub rate_ci95: [f64; 2],
    /// Exact sum of the escaped trajectories' first-passage steps (in steps, not time).
    pub steps_sum: u64,
    /// Log-binned first-passage times: `edges` in time units, `counts` per bin.
    pub histogram: BinnedCounts,
}

/// Counts in bins given by their edges.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BinnedCounts {
    /// Bin edges in time units, one more than `counts`.
    pub edges: Vec<f64>,
    /// Count per bin: bin `i` holds times in `[edges[i], edges[i + 1])`.
    pub counts: Vec<u64>,
}

/// Final-state statistics of one case, over its non-diverged trajectories.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FinalResult {
    /// Per coordinate, over non-diverged trajectories (state at exit or at `max_steps`).
    pub mean: Vec<f64>,
    /// Per coordinate, unbiased sample variance over the same trajectories.
    pub variance: Vec<f64>,
    /// Per coordinate, histogram of the final value on `observe.histogram`'s bins.
    pub histogram: Vec<HistogramResult>,
    /// Underdamped dynamics: per coordinate, the mean final velocity over the
    /// same trajectories (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity_mean: Vec<f64>,
    /// Underdamped dynamics: per coordinate, the final velocity's unbiased
    /// sample variance (the Maxwell law's `D0/2` in equilibrium, docs/theory.md §8).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity_variance: Vec<f64>,
}

/// Counts of one coordinate's final value in equal bins, plus what fell outside.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HistogramResult {
    /// Bin edges from `lo` to `hi`, equally spaced, one more than `counts`.
    pub edges: Vec<f64>,
    /// Count per bin: bin `i` holds values in `[edges[i], edges[i + 1])`.
    pub counts: Vec<u64>,
    /// Final values below the first edge.
    pub below: u64,
    /// Final values at or above the last edge.
    pub above: u64,
}

/// Sums that do not fit 64 bits, as decimal strings (JSON readers lose
/// integers beyond 2^53): first-passage steps squared, and per coordinate the
/// final value and its square in units of 2^-32.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ExactSums {
    /// Sum of the squared first-passage steps over escaped trajectories.
    pub steps_squared_sum: String,
    /// Per coordinate, sum of the final value, in units of 2^-32.
    pub final_sum: Vec<String>,
    /// Per coordinate, sum of the squared final value, in units of 2^-32.
    pub final_squared_sum: Vec<String>,
    /// Underdamped dynamics: per coordinate, sum of the final velocity, in units of 2^-32.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity_sum: Vec<String>,
    /// Underdamped dynamics: per coordinate, sum of the squared final velocity, in units of 2^-32.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub velocity_squared_sum: Vec<String>,
}

/// The parameter names of a cases.csv (the first case's) and its header so
/// far: `case` and those names.
pub(crate) fn csv_header_start(
    first: Option<&serde_json::Map<String, serde_json::Value>>,
) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = first
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let mut header = vec!["case".to_string()];
    header.extend(names.iter().cloned());
    (names, header)
}

/// A cases.csv row so far: the case index and its parameters (text unquoted).
pub(crate) fn csv_row_start(
    index: u32,
    params: &serde_json::Map<String, serde_json::Value>,
    names: &[String],
) -> Vec<String> {
    let mut row = vec![index.to_string()];
    for name in names {
        row.push(match &params[name] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    row
}

/// The cases.csv columns of an extrapolated `quantity` (`"mfpt"`, `"rate"`):
/// at `dt/2`, extrapolated, and its 99% interval.
pub(crate) fn extrapolated_columns(quantity: &str) -> [String; 4] {
    [
        format!("{quantity}_half_dt"),
        format!("{quantity}_extrapolated"),
        format!("{quantity}_extrapolated_ci99_lo"),
        format!("{quantity}_extrapolated_ci99_hi"),
    ]
}

/// The cells of [`extrapolated_columns`] (empty without a value).
pub(crate) fn extrapolated_cells(
    value: Option<&crate::analysis::extrapolate::Extrapolated>,
) -> [String; 4] {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    [
        opt(value.map(|v| v.at_half_dt)),
        opt(value.map(|v| v.extrapolated)),
        opt(value.map(|v| v.ci99[0])),
        opt(value.map(|v| v.ci99[1])),
    ]
}

pub(crate) fn param_json(value: &ParamValue) -> serde_json::Value {
    match value {
        ParamValue::Number(v) => serde_json::json!(v),
        ParamValue::Text(s) => serde_json::json!(s),
    }
}

impl CaseResult {
    /// The result of case `case_index` of `experiment` from its `tally`: statistics,
    /// histograms, exact sums and the theory references that apply.
    pub fn new(experiment: &Experiment, case_index: usize, tally: &Tally) -> Self {
        let case = &experiment.cases[case_index];
        let dt = case.model.dt;
        let stats: EscapeStats = escape_stats(tally, dt, experiment.max_steps);
        let bins = FptBins::new(experiment.max_steps);
        let spec = &experiment.observe.histogram;
        let edges: Vec<f64> = (0..=spec.bins)
            .map(|i| spec.lo + (spec.hi - spec.lo) * i as f64 / spec.bins as f64)
            .collect();
        CaseResult {
            index: case.index,
            params: case
                .params
                .iter()
                .map(|(k, v)| (k.clone(), param_json(v)))
                .collect(),
            dt,
            trajectories: tally.trajectories,
            diverged: tally.diverged,
            fpt: FptResult {
                escaped: stats.escaped,
                censored: stats.censored,
                mean: stats.mean,
                ci95: stats.mean_ci95,
                rate: stats.rate,
                rate_ci95: stats.rate_ci95,
                steps_sum: stats.steps_sum,
                histogram: BinnedCounts {
                    edges: bins.edges.iter().map(|&e| e as f64 * dt).collect(),
                    counts: tally.fpt_histogram.clone(),
                },
            },
            final_state: FinalResult {
                mean: tally.final_mean(),
                variance: tally.final_variance(),
                histogram: tally
                    .histograms
                    .iter()
                    .map(|h| HistogramResult {
                        edges: edges.clone(),
                        counts: h.counts.clone(),
                        below: h.below,
                        above: h.above,
                    })
                    .collect(),
                velocity_mean: tally.velocity_mean(),
                velocity_variance: tally.velocity_variance(),
            },
            sums: ExactSums {
                steps_squared_sum: tally.steps_squared_sum.to_string(),
                final_sum: super::decimals(&tally.final_sum),
                final_squared_sum: super::decimals(&tally.final_squared_sum),
                velocity_sum: super::decimals(&tally.velocity_sum),
                velocity_squared_sum: super::decimals(&tally.velocity_squared_sum),
            },
            theory: case_references(
                experiment,
                case_index,
                Some(Observed {
                    tally,
                    escape: &stats,
                }),
            ),
            extrapolation: None,
        }
    }

    /// Attach the case's extrapolation, and its z score against the exact
    /// continuous-time value (unshifted) where one applies.
    pub fn set_extrapolation(&mut self, extrapolation: Extrapolation) {
        if let (Some(theory), Some(mfpt)) = (self.theory.as_mut(), extrapolation.mfpt.as_ref()) {
            theory.set_extrapolated_z(mfpt.extrapolated, mfpt.standard_error);
        }
        self.extrapolation = Some(extrapolation);
    }

    /// The tally this case was reported from (exactly: counts, histograms, sums).
    pub fn tally(&self) -> Result<Tally> {
        let bad = |what: &str| {
            Error::Result(format!(
                "case {}: {what} is missing or not an integer (a result.json of kramers 0.1 with exact sums is needed)",
                self.index
            ))
        };
        let int = |text: &str, what: &str| text.parse::<i128>().map_err(|_| bad(what));
        let dim = self.final_state.histogram.len();
        if self.sums.final_sum.len() != dim || self.sums.final_squared_sum.len() != dim {
            return Err(bad("sums.final_sum"));
        }
        let velocity = self.sums.velocity_sum.len();
        if (velocity != 0 && velocity != dim) || self.sums.velocity_squared_sum.len() != velocity {
            return Err(bad("sums.velocity_sum"));
        }
        let ints = |texts: &[String], what: &str| -> Result<Vec<i128>> {
            texts.iter().map(|t| int(t, what)).collect()
        };
        let steps_squared_sum = self
            .sums
            .steps_squared_sum
            .parse::<u128>()
            .map_err(|_| bad("sums.steps_squared_sum"))?;
        Ok(Tally {
            trajectories: self.trajectories,
            escaped: self.fpt.escaped,
            censored: self.fpt.censored,
            diverged: self.diverged,
            steps_sum: self.fpt.steps_sum,
            steps_squared_sum,
            fpt_histogram: self.fpt.histogram.counts.clone(),
            final_sum: ints(&self.sums.final_sum, "sums.final_sum")?,
            final_squared_sum: ints(&self.sums.final_squared_sum, "sums.final_squared_sum")?,
            histograms: self
                .final_state
                .histogram
                .iter()
                .map(|h| Histogram {
                    counts: h.counts.clone(),
                    below: h.below,
                    above: h.above,
                })
                .collect(),
            velocity_sum: ints(&self.sums.velocity_sum, "sums.velocity_sum")?,
            velocity_squared_sum: ints(
                &self.sums.velocity_squared_sum,
                "sums.velocity_squared_sum",
            )?,
        })
    }
}

impl RunResult {
    /// The result of `experiment` from the backend's `output`; the provenance that only
    /// the caller knows (shard, resume, source, first-passage file) is left empty.
    pub fn new(experiment: &Experiment, output: &RunOutput, command_line: Vec<String>) -> Self {
        RunResult {
            kramers_version: env!("CARGO_PKG_VERSION").to_string(),
            name: experiment.name.clone(),
            backend: output.backend.clone(),
            device: output.device.clone(),
            seed: experiment.seed,
            fingerprint: experiment.fingerprint(),
            max_steps: experiment.max_steps,
            trajectories: experiment.trajectories,
            dim: experiment.shape.dim,
            potential: experiment.shape.potential.name().to_string(),
            noise: experiment.shape.noise.name().to_string(),
            cases: output
                .tallies
                .iter()
                .enumerate()
                .map(|(i, t)| CaseResult::new(experiment, i, t))
                .collect(),
            run: RunInfo {
                wall_time_s: output.wall_time.as_secs_f64(),
                threads: rayon::current_num_threads(),
                trajectory_steps_per_s: output.throughput(experiment.max_steps),
                command_line,
                git_commit: option_env!("KRAMERS_GIT_COMMIT").map(String::from),
                trajectory_range: [experiment.range.start, experiment.range.end],
                shard: None,
                resumed: false,
                merged_from: Vec::new(),
                experiment: ExperimentSource::default(),
                first_passage: None,
                case_wall_time_s: Vec::new(),
            },
        }
    }

    /// The text of result.json: pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        super::json_text(self)
    }

    /// One row per case: parameters, escape statistics, final moments.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let (param_names, mut header) = csv_header_start(self.cases.first().map(|c| &c.params));
        header.extend(
            [
                "trajectories",
                "escaped",
                "censored",
                "diverged",
                "mfpt",
                "mfpt_ci95_lo",
                "mfpt_ci95_hi",
                "rate",
                "rate_ci95_lo",
                "rate_ci95_hi",
                "steps_sum",
            ]
            .map(String::from),
        );
        for c in 0..self.dim {
            header.push(format!("final_mean_{c}"));
            header.push(format!("final_variance_{c}"));
        }
        let extrapolated = self.cases.iter().any(|c| c.extrapolation.is_some());
        if extrapolated {
            for quantity in ["mfpt", "rate"] {
                header.extend(extrapolated_columns(quantity));
            }
        }
        writer.write_record(&header).expect("in-memory csv");
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for case in &self.cases {
            let mut row = csv_row_start(case.index, &case.params, &param_names);
            let f = &case.fpt;
            row.extend([
                case.trajectories.to_string(),
                f.escaped.to_string(),
                f.censored.to_string(),
                case.diverged.to_string(),
                opt(f.mean),
                opt(f.ci95.map(|c| c[0])),
                opt(f.ci95.map(|c| c[1])),
                f.rate.to_string(),
                f.rate_ci95[0].to_string(),
                f.rate_ci95[1].to_string(),
                f.steps_sum.to_string(),
            ]);
            for c in 0..self.dim {
                row.push(case.final_state.mean[c].to_string());
                row.push(case.final_state.variance[c].to_string());
            }
            if extrapolated {
                let x = case.extrapolation.as_ref();
                for value in [
                    x.and_then(|x| x.mfpt.as_ref()),
                    x.and_then(|x| x.rate.as_ref()),
                ] {
                    row.extend(extrapolated_cells(value));
                }
            }
            writer.write_record(&row).expect("in-memory csv");
        }
        String::from_utf8(writer.into_inner().expect("in-memory csv")).expect("utf-8")
    }
}
