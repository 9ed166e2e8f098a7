//! Studies: what composes runs into an answer, each with its table, files
//! and plots beside it — the escape sweep (`kramers escape`), the Kramers
//! turnover (`kramers turnover`), the paper's
//! figures (`reproduce`), the built-in checks (`check`), the benchmark
//! (`bench`) and the tail fit of real samples (`fit-tail`). A study runs experiments through [`crate::run`] only; it never
//! reaches into a backend's internals. Adding a command is a module here and
//! a clap arm in main.rs.

use crate::error::Result;
use std::path::Path;

pub mod bench;
pub mod check;
pub mod escape;
pub mod reproduce;
pub mod tail;
pub mod turnover;

/// A finished study as its command shows it (`kramers escape`, `kramers
/// turnover`): the device it ran on, the table printed, the JSON text (what
/// the Python package returns) and the files written.
pub trait Study {
    /// The device the runs ran on.
    fn device(&self) -> &str;
    /// The tables the command prints.
    fn table(&self) -> String;
    /// The text of the study's JSON file.
    fn json(&self) -> String;
    /// Write the study's files into `out` (each whole or not at all); returns their names.
    fn write(&self, out: &Path) -> Result<Vec<String>>;
}
