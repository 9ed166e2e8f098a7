//! Reports: the `result.json` / `cases.csv` of a run, written atomically.

pub mod atomic;
pub mod bench_plot;
pub mod checkpoint;
pub mod escape_report;
pub mod fig4_report;
pub mod fpt_file;
pub mod merge;
pub mod npy;
pub mod plot;
pub mod qq_plot;
pub mod result;
pub mod run_plots;

pub use atomic::write_atomic;
pub use result::{CaseResult, RunResult};

/// A JSON file's text: pretty-printed, with a final newline.
pub fn json_text(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("serializable");
    text.push('\n');
    text
}
