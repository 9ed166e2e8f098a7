//! Every integration test in one crate (one binary to build and link, instead
//! of one per file that each linked wgpu): a module per area.

mod common;

mod bench_cli;
mod bridge;
mod bridge_exits;
mod bridge_law;
mod cli;
mod docs;
mod escape_cli;
mod expr;
mod extrapolate;
mod fuzz_spec;
mod golden;
mod gpu_agreement;
mod gpu_samplers;
mod gpu_scale;
mod layers;
mod plane;
mod rare;
mod reproduce;
mod rng;
mod scale;
mod sgd;
mod statistics;
mod theory_checks;
mod turnover_cli;
mod underdamped;
mod washboard;
