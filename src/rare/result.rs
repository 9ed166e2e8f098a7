//! The `result.json` and `cases.csv` of an experiment with a `[rare]` table:
//! per case the AMS estimate ([`RareEstimate`]), the same `theory` object as
//! direct runs and the z score of the estimate against the exact mean
//! first-passage time for a once-per-step check (the shifted level, or the
//! unshifted one with the bridge).

use super::{estimate, RareEstimate, RareSettings};
use crate::analysis::references::{
    case_references, TheoryReferences, ZScores, EXIT_MONITORING_BRIDGE,
};
use crate::backend::Backend;
use crate::error::Result;
use crate::report::result::{
    csv_header_start, csv_row_start, param_json, ExperimentSource, RunInfo,
};
use crate::spec::Experiment;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareResult {
    pub kramers_version: String,
    pub name: String,
    /// `"ams"`: adaptive multilevel splitting.
    pub method: String,
    pub backend: String,
    pub device: String,
    pub seed: u32,
    pub fingerprint: String,
    pub max_steps: u32,
    pub dim: usize,
    pub potential: String,
    pub noise: String,
    pub cases: Vec<RareCase>,
    /// Provenance (`trajectory_steps_per_s`: the steps of every segment over the wall time).
    pub run: RunInfo,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareCase {
    pub index: u32,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub dt: f64,
    pub rare: RareEstimate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<TheoryReferences>,
}

/// Run AMS for every case of `experiment` on `backend`; `progress` hears each
/// case finished (its index), `cancel` stops the run.
pub fn run(
    experiment: &Experiment,
    settings: &RareSettings,
    backend: &dyn Backend,
    command_line: Vec<String>,
    progress: &dyn Fn(usize),
    cancel: Option<&AtomicBool>,
) -> Result<RareResult> {
    let started = Instant::now();
    let mut cases = Vec::with_capacity(experiment.cases.len());
    let mut case_wall_time_s = Vec::with_capacity(experiment.cases.len());
    for (i, case) in experiment.cases.iter().enumerate() {
        let case_started = Instant::now();
        let rare = estimate(experiment, settings, i, backend, cancel)?;
        case_wall_time_s.push(case_started.elapsed().as_secs_f64());
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
                    final_variance: None,
                });
            }
        }
        cases.push(RareCase {
            index: case.index,
            params: case
                .params
                .iter()
                .map(|(k, v)| (k.clone(), param_json(v)))
                .collect(),
            dt: case.model.dt,
            rare,
            theory,
        });
        progress(i);
    }
    let wall = started.elapsed().as_secs_f64();
    let steps: u64 = cases.iter().map(|c| c.rare.steps).sum();
    Ok(RareResult {
        kramers_version: env!("CARGO_PKG_VERSION").to_string(),
        name: experiment.name.clone(),
        method: "ams".into(),
        backend: backend.backend().into(),
        device: backend.device(),
        seed: experiment.seed,
        fingerprint: experiment.fingerprint(),
        max_steps: experiment.max_steps,
        dim: experiment.shape.dim,
        potential: experiment.shape.potential.name().to_string(),
        noise: experiment.shape.noise.name().to_string(),
        cases,
        run: RunInfo {
            wall_time_s: wall,
            threads: rayon::current_num_threads(),
            trajectory_steps_per_s: steps as f64 / wall,
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
    })
}

impl RareResult {
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
            writer.write_record(&row).expect("in-memory csv");
        }
        String::from_utf8(writer.into_inner().expect("in-memory csv")).expect("utf-8")
    }
}
