//! Backends run an [`Experiment`] and return one [`Tally`] per case: `cpu`
//! (rayon, SIMD lanes) and `gpu` (wgpu compute shaders), on the same streams.

pub mod blocks;
pub mod cpu;
pub mod engine;
pub mod gpu;

use crate::error::Result;
use crate::kernel::simulate::{SegmentEnd, Segments};
use crate::observables::Tally;
use crate::spec::Experiment;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Which backend to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// A hardware GPU when one is found, else the CPU backend (with a notice).
    Auto,
    /// The CPU backend (rayon threads over SIMD lanes).
    Cpu,
    /// The best GPU adapter (wgpu); an error when none is found.
    Gpu,
}

/// What ran, and what it measured.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// `"cpu"` or `"gpu"`.
    pub backend: String,
    /// Adapter or CPU description.
    pub device: String,
    /// Exact tallies, one per case, in the order of `experiment.cases`.
    pub tallies: Vec<Tally>,
    /// First-passage step of every trajectory (0 censored, u32::MAX diverged),
    /// case after case, when the experiment asks for it.
    pub first_passage: Option<Vec<u32>>,
    /// Wall-clock time of the run (of this call only, when resumed from a checkpoint).
    pub wall_time: Duration,
}

impl RunOutput {
    /// Trajectory-steps per second over the whole run.
    pub fn throughput(&self, max_steps: u32) -> f64 {
        let steps: u64 = self
            .tallies
            .iter()
            .map(|t| t.trajectory_steps(max_steps))
            .sum();
        steps as f64 / self.wall_time.as_secs_f64()
    }
}

/// Progress callback: called with the number of trajectories just finished.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// What runs experiments: the CPU backend ([`cpu::Cpu`]), one GPU
/// ([`gpu::Gpu`]) or an opened [`engine::Engine`] (the CLI's runs, `kramers
/// bench`, the sweeps), all on the same streams.
pub trait Backend {
    /// Run trajectories `experiment.range` of every case.
    fn run(&self, experiment: &Experiment, progress: Progress<'_>) -> Result<RunOutput>;
    /// [`Self::run`], stopped with [`crate::Error::Cancelled`] soon after
    /// `cancel` is set (the CPU within milliseconds, a GPU after its current dispatch).
    fn run_cancellable(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<RunOutput>;
    /// Step rare-event segments of case `case` (an index into
    /// `experiment.cases`), each from its own start on its own stream, to its
    /// exit, its levels or `experiment.max_steps` ([`crate::rare`]).
    fn run_segments(
        &self,
        experiment: &Experiment,
        case: usize,
        segments: &Segments,
    ) -> Result<Vec<SegmentEnd>>;
    /// `"cpu"` or `"gpu"`.
    fn backend(&self) -> &'static str;
    /// The adapter or CPU, for reports.
    fn device(&self) -> String;
}
