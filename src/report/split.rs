//! The `result.json` and `cases.csv` of a split run (an experiment with a `[rare]` table):
//! per case the AMS estimate ([`RareEstimate`]), the same `theory` object as
//! direct runs and the z score of the estimate against the exact mean
//! first-passage time for a once-per-step check (the shifted level, or the
//! unshifted one with the bridge).

use crate::analysis::extrapolate::{combine_independent, Extrapolated, Order};
use crate::analysis::references::{
    case_references, TheoryReferences, ZScores, EXIT_MONITORING_BRIDGE,
};
use crate::rare::RareEstimate;
use crate::report::result::{
    csv_header_start, csv_row_start, extrapolated_cells, extrapolated_columns, param_json,
    ExperimentSource, RunInfo,
};
use crate::spec::Experiment;
use serde::{Deserialize, Serialize};

/// The contents of a split run's `result.json`: the experiment, one AMS estimate
/// per case and the run's provenance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareResult {
    /// Version of kramers that wrote the result.
    pub kramers_version: String,
    /// The experiment's `name` (`"experiment"` when the file has none).
    pub name: String,
    /// `"ams"`: adaptive multilevel splitting.
    pub method: String,
    /// Backend that ran: `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter(s) that ran, several joined by `" + "`.
    pub device: String,
    /// Seed of every random stream (the file's `seed` or `--seed`).
    pub seed: u32,
    /// `Experiment::fingerprint`: equal for results of the same experiment and seed.
    pub fingerprint: String,
    /// Step limit of each splitting segment (a segment that reaches it stops the run).
    pub max_steps: u32,
    /// Number of coordinates of the state.
    pub dim: usize,
    /// The potential's `kind` (e.g. `"barrier"`).
    pub potential: String,
    /// The noise's `kind` (e.g. `"power-law"`).
    pub noise: String,
    /// One entry per case, in case index order.
    pub cases: Vec<RareCase>,
    /// Provenance (`trajectory_steps_per_s`: the steps of every segment over the wall time).
    pub run: RunInfo,
}

/// One case of a split run: its parameters and its AMS estimate.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareCase {
    /// The case's index: its position in the cartesian product of the sweeps.
    pub index: u32,
    /// Every scalar parameter of the case, swept or not, by dotted field name.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Time step of the case, in time units.
    pub dt: f64,
    /// The AMS estimate of the mean first-passage time and its parts.
    pub rare: RareEstimate,
    /// The analytic references that apply, with `z.mfpt` of the estimate against the
    /// exact value for the case's exit check; null when none apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<TheoryReferences>,
    /// `observe.extrapolate`: splitting again at `dt/2` and the Richardson
    /// estimate of the two (docs/theory.md §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extrapolation: Option<RareExtrapolation>,
}

/// Splitting at `dt` and at `dt/2`, and the Richardson estimate of the two
/// (independent runs: their standard errors add in quadrature).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareExtrapolation {
    /// The estimate's form (`"2 T(dt/2) - T(dt)"` with the bridge).
    pub form: String,
    /// The two steps: `[dt, dt/2]`.
    pub dt: [f64; 2],
    /// The mean first-passage time at both steps and extrapolated.
    pub mfpt: Extrapolated,
    /// The estimate at `dt/2` in full.
    pub half_dt: RareEstimate,
}

impl RareCase {
    /// Attach the estimate at `dt/2` and the extrapolation (with its z score
    /// against the exact continuous-time value); nothing when either
    /// estimate has no mean (a run that did not finish).
    pub fn set_extrapolation(&mut self, half_dt: RareEstimate, order: Order) {
        let (Some(coarse), Some(coarse_se), Some(fine), Some(fine_se)) = (
            self.rare.mfpt,
            self.rare.standard_error,
            half_dt.mfpt,
            half_dt.standard_error,
        ) else {
            return;
        };
        let mfpt = combine_independent((coarse, coarse_se), (fine, fine_se), order);
        if let Some(refs) = self.theory.as_mut() {
            refs.set_extrapolated_z(mfpt.extrapolated, mfpt.standard_error);
        }
        self.extrapolation = Some(RareExtrapolation {
            form: order.label().to_string(),
            dt: [self.dt, 0.5 * self.dt],
            mfpt,
            half_dt,
        });
    }

    /// Case `i` of `experiment` with its AMS estimate, its theory and the z
    /// score of the estimate against the exact value for its exit check.
    pub fn new(experiment: &Experiment, i: usize, rare: RareEstimate) -> Self {
        let case = &experiment.cases[i];
        let mut theory = case_references(experiment, i, None);
        if let Some(refs) = theory.as_mut() {
            let exact = if case.model.bridge {
                refs.exact_mfpt
            } else {
                refs.exact_mfpt_shifted
            };
            if let (Some(exact), Some(mfpt), Some(se)) = (exact, rare.mfpt, rare.standard_error) {
                refs.z = Some(ZScores {
                    mfpt: Some((mfpt - exact) / se),
                    ..Default::default()
                });
            }
        }
        RareCase {
            index: case.index,
            params: case
                .params
                .iter()
                .map(|(k, v)| (k.clone(), param_json(v)))
                .collect(),
            dt: case.model.dt,
            rare,
            theory,
            extrapolation: None,
        }
    }
}

impl RareResult {
    /// The result of splitting runs of every case: `cases` in case order,
    /// each with its wall time, on `backend` (name) and `device`.
    pub fn new(
        experiment: &Experiment,
        backend: &str,
        device: String,
        cases: Vec<(RareCase, f64)>,
        wall_time_s: f64,
        command_line: Vec<String>,
    ) -> Self {
        let steps: u64 = cases.iter().map(|c| c.0.rare.steps).sum();
        let (cases, case_wall_time_s) = cases.into_iter().unzip();
        RareResult {
            kramers_version: env!("CARGO_PKG_VERSION").to_string(),
            name: experiment.name.clone(),
            method: "ams".into(),
            backend: backend.into(),
            device,
            seed: experiment.seed,
            fingerprint: experiment.fingerprint(),
            max_steps: experiment.max_steps,
            dim: experiment.shape.dim,
            potential: experiment.shape.potential.name().to_string(),
            noise: experiment.shape.noise.name().to_string(),
            cases,
            run: RunInfo {
                wall_time_s,
                threads: rayon::current_num_threads(),
                trajectory_steps_per_s: steps as f64 / wall_time_s,
                command_line,
                git_commit: option_env!("KRAMERS_GIT_COMMIT").map(String::from),
                trajectory_range: [0, 0],
                shard: None,
                resumed: false,
                merged_from: Vec::new(),
                experiment: ExperimentSource::default(),
                first_passage: None,
                case_wall_time_s,
            },
        }
    }

    /// The text of result.json: pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        crate::report::json_text(self)
    }

    /// One row per case: parameters, the estimate and its parts, the exact value.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let (names, mut header) = csv_header_start(self.cases.first().map(|c| &c.params));
        header.extend(
            [
                "method",
                "mfpt",
                "mfpt_ci95_lo",
                "mfpt_ci95_hi",
                "p",
                "t_first",
                "t_loop",
                "t_reac",
                "rounds",
                "steps",
                "exact_mfpt",
                "z",
            ]
            .map(String::from),
        );
        let extrapolated = self.cases.iter().any(|c| c.extrapolation.is_some());
        if extrapolated {
            header.extend(extrapolated_columns("mfpt"));
            header.push("z_extrapolated".into());
        }
        writer.write_record(&header).expect("in-memory csv");
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for case in &self.cases {
            let mut row = csv_row_start(case.index, &case.params, &names);
            let r = &case.rare;
            let theory = case.theory.as_ref();
            let exact = theory.and_then(|t| {
                if t.exit_monitoring.as_deref() == Some(EXIT_MONITORING_BRIDGE) {
                    t.exact_mfpt
                } else {
                    t.exact_mfpt_shifted
                }
            });
            row.extend([
                r.method.clone(),
                opt(r.mfpt),
                opt(r.ci95.map(|c| c[0])),
                opt(r.ci95.map(|c| c[1])),
                r.p.to_string(),
                r.t_first.to_string(),
                r.t_loop.to_string(),
                opt(r.t_reac),
                r.rounds.to_string(),
                r.steps.to_string(),
                opt(exact),
                opt(theory.and_then(|t| t.z.as_ref()).and_then(|z| z.mfpt)),
            ]);
            if extrapolated {
                row.extend(extrapolated_cells(
                    case.extrapolation.as_ref().map(|x| &x.mfpt),
                ));
                row.push(opt(theory
                    .and_then(|t| t.z.as_ref())
                    .and_then(|z| z.mfpt_extrapolated)));
            }
            writer.write_record(&row).expect("in-memory csv");
        }
        String::from_utf8(writer.into_inner().expect("in-memory csv")).expect("utf-8")
    }
}
