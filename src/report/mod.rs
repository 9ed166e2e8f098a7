//! Reports: the `result.json` / `cases.csv` of a run, written atomically.

pub mod atomic;
pub mod checkpoint;
pub mod fpt_file;
pub mod merge;
pub mod npy;
pub mod plane_plot;
pub mod plot;
pub mod qq_plot;
pub mod result;
pub mod run_plots;
pub mod split;
pub mod tables;

pub use atomic::write_atomic;

/// A tally's wide sums as decimal strings (JSON readers lose integers beyond 2^53).
pub(crate) fn decimals(sums: &[i128]) -> Vec<String> {
    sums.iter().map(i128::to_string).collect()
}
pub use result::{CaseResult, ExperimentSource, RunInfo, RunResult};
pub use split::{RareCase, RareResult};

/// A case parameter as tables and plot labels show it: the field's last name
/// and its value, `height=0.5` for `potential.height = 0.5`.
pub fn param_label(key: &str, value: &serde_json::Value) -> String {
    format!(
        "{}={}",
        key.rsplit('.').next().unwrap_or(key),
        value.to_string().trim_matches('"')
    )
}

/// A JSON file's text: pretty-printed, with a final newline.
pub fn json_text(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serializable");
    text.push('\n');
    text
}

/// What every result file of a run offers, direct or split: its `result.json`
/// and `cases.csv` texts and its provenance (the `run` object).
pub trait ResultFiles {
    /// The text of `result.json`.
    fn to_json(&self) -> String;
    /// The text of `cases.csv`.
    fn to_csv(&self) -> String;
    /// The provenance: wall time, command line, experiment source, ...
    fn info(&self) -> &RunInfo;
    /// The provenance, to fill in.
    fn info_mut(&mut self) -> &mut RunInfo;
}

impl ResultFiles for RunResult {
    fn to_json(&self) -> String {
        RunResult::to_json(self)
    }
    fn to_csv(&self) -> String {
        RunResult::to_csv(self)
    }
    fn info(&self) -> &RunInfo {
        &self.run
    }
    fn info_mut(&mut self) -> &mut RunInfo {
        &mut self.run
    }
}

impl ResultFiles for RareResult {
    fn to_json(&self) -> String {
        RareResult::to_json(self)
    }
    fn to_csv(&self) -> String {
        RareResult::to_csv(self)
    }
    fn info(&self) -> &RunInfo {
        &self.run
    }
    fn info_mut(&mut self) -> &mut RunInfo {
        &mut self.run
    }
}
