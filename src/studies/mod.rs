//! Studies: what composes runs into an answer, each with its table, files
//! and plots beside it — the escape sweep (`kramers escape`), the Kramers
//! turnover (`kramers turnover`), the paper's
//! figures (`reproduce`), the built-in checks (`check`), the benchmark
//! (`bench`) and the tail fit of real samples (`fit-tail`). A study runs experiments through [`crate::run`] only; it never
//! reaches into a backend's internals. Adding a command is a module here and
//! a clap arm in main.rs.

pub mod bench;
pub mod check;
pub mod escape;
pub mod reproduce;
pub mod tail;
pub mod turnover;
