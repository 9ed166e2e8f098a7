//! kramers: batched SDE ensembles on GPUs (wgpu) and CPUs (rayon).
//!
//! The library is built in floors; a module uses only the modules of lower
//! floors (a test, `tests/integration/layers.rs`, reads every `crate::` path
//! of `src/` and fails on one that runs upward). Bottom first:
//!
//! Floors: error -> simd, codes, dynamics, sweep -> rng -> expr -> kernel -> model -> spec -> observables -> backend -> analysis -> rare -> report -> run -> studies
//!
//! - leaves: [`error`]; [`simd`] (lanes, alignment, instruction sets,
//!   fast f32 functions), [`codes`] (outcome codes and stream purposes shared
//!   with WGSL), [`dynamics`] (`MAX_DIM`, the interpretation), [`sweep`]
//!   (swept file fields);
//! - [`rng`]: counter-based streams and samplers;
//! - [`expr`]: formulas compiled for f64, SIMD lanes and WGSL;
//! - [`kernel`]: the per-step loop on lanes, the traits a model implements,
//!   the kernels' record and the WGSL preprocessor;
//! - [`model`]: every potential, noise and exit (one module each), the case
//!   model and shader assembly;
//! - [`spec`]: experiment files, validated, expanded into cases;
//! - [`observables`]: tallies that merge exactly;
//! - [`backend`]: CPU (rayon, SIMD) and GPU (wgpu) engines;
//! - [`analysis`]: estimators and theory;
//! - [`rare`]: adaptive multilevel splitting;
//! - [`report`]: result files, tables, plots, checkpoints, merging;
//! - [`run`]: the one run path every front end calls;
//! - [`studies`]: escape sweep, the paper's figures, checks, bench, tail fit.
//!
//! The CLI (`src/cli/`) and the Python module (`python/`) sit on top.
//! ARCHITECTURE.md walks an experiment from file to result and says where a
//! change goes.

// Every public item is documented (clippy denies the warning; `cargo doc` with
// warnings denied runs in scripts/test.sh).
#![warn(missing_docs)]

pub mod analysis;
pub mod backend;
pub mod codes;
pub mod dynamics;
pub mod error;
pub mod expr;
pub mod kernel;
pub mod model;
pub mod observables;
pub mod rare;
pub mod report;
pub mod rng;
pub mod run;
pub mod simd;
pub mod spec;
pub mod studies;
pub mod sweep;

pub use error::{Error, Result};
