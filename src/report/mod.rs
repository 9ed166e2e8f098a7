//! Reports: the `result.json` / `cases.csv` of a run, written atomically.

pub mod atomic;
pub mod npy;
pub mod result;

pub use atomic::write_atomic;
pub use result::{CaseResult, RunResult};
