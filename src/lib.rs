//! kramers: batched SDE ensembles on GPUs (wgpu) and CPUs (rayon).
//!
//! Data flows one way: [`spec`] (what to simulate, validated) -> [`kernel`]
//! (per-step math, CPU twin of the WGSL shaders) -> [`backend`] (cpu | gpu)
//! -> [`observables`] (first passage, histograms, moments) -> [`analysis`]
//! (estimators, theory) -> [`report`] (JSON, CSV, plots).

pub mod analysis;
pub mod backend;
pub mod bench;
pub mod error;
pub mod expr;
pub mod kernel;
pub mod model;
pub mod observables;
pub mod rare;
pub mod report;
pub mod rng;
pub mod run;
pub mod spec;

pub use error::{Error, Result};
