//! One run of an experiment, as every front end does it — `kramers run`,
//! `kramers bench`, `escape`, `reproduce`, a future Python API: on an opened
//! backend, in blocks with checkpoints when asked, continued from a
//! checkpoint's prefix when given, ending in the result object of result.json
//! (with its `run` provenance) and, when asked, its files. Front ends parse
//! their arguments and print; the rest is here.

use crate::backend::blocks::{run_in_blocks, Partial};
use crate::backend::engine::Engine;
use crate::backend::{Backend, BackendChoice, Progress, RunOutput};
use crate::error::{Error, Result};
use crate::report::fpt_file;
use crate::report::{checkpoint, write_atomic, RunResult};
use crate::spec::shard::Shard;
use crate::spec::Experiment;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How a run goes besides its experiment and backend.
pub struct RunOptions<'a> {
    /// Write a checkpoint into `.0` every `.1` (when a block ends past it).
    pub checkpoints: Option<(&'a Path, Duration)>,
    /// The finished prefix of an interrupted run to continue from.
    pub resume: Option<Partial>,
    /// The shard this run is (provenance, and the checkpoint's).
    pub shard: Option<Shard>,
    /// Called with the number of trajectories just finished.
    pub progress: Progress<'a>,
    /// The command line, for provenance.
    pub command_line: Vec<String>,
    /// Set by another thread to stop the run ([`Error::Cancelled`]): the CPU
    /// kernels look at it every millisecond or so, a GPU after each dispatch.
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            checkpoints: None,
            resume: None,
            shard: None,
            progress: &|_| {},
            command_line: Vec::new(),
            cancel: None,
        }
    }
}

/// What a run gives: the backend's output (tallies, per-trajectory steps) and
/// the result object of result.json.
pub struct Run {
    pub output: RunOutput,
    pub result: RunResult,
}

/// Run trajectories `experiment.range` of every case on `backend`.
pub fn run(experiment: &Experiment, backend: &dyn Backend, options: RunOptions) -> Result<Run> {
    let resumed = options.resume.is_some();
    let partial = options.resume.unwrap_or_else(|| Partial::empty(experiment));
    let steps_before = partial.trajectory_steps(experiment.max_steps);
    let name = backend.backend();
    let shard = options.shard;
    let output = run_in_blocks(
        backend,
        experiment,
        partial,
        options.checkpoints.map(|(_, every)| every),
        options.cancel,
        options.progress,
        &mut |done| match options.checkpoints {
            Some((dir, _)) => {
                checkpoint::write_checkpoint(dir, experiment, name, shard.as_ref(), done)
            }
            None => Ok(()),
        },
    )?;
    let mut result = RunResult::new(experiment, &output, options.command_line);
    result.run.shard = shard;
    result.run.resumed = resumed;
    if resumed {
        // the throughput of what this process ran, not of the resumed prefix
        let steps = output
            .tallies
            .iter()
            .map(|t| t.trajectory_steps(experiment.max_steps))
            .sum::<u64>()
            - steps_before;
        result.run.trajectory_steps_per_s = steps as f64 / output.wall_time.as_secs_f64();
    }
    Ok(Run { output, result })
}

/// Open the backend `choice` (`notice` hears the CPU fallback of `auto`) and
/// run on it: what the sweeps do (`escape`, `reproduce`, `check`); `cancel`
/// as in [`RunOptions`].
pub fn run_on(
    experiment: &Experiment,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
    cancel: Option<&AtomicBool>,
) -> Result<Run> {
    let engine = Engine::open(choice, None, notice)?;
    run(
        experiment,
        &engine,
        RunOptions {
            progress,
            cancel,
            ..RunOptions::default()
        },
    )
}

/// Write the run's files into `out` (created if needed), each to a temporary
/// file renamed into place: the per-trajectory first passages when the
/// experiment asks for them, `cases.csv` and `result.json` last; then remove
/// the checkpoint they replace. Returns the paths written.
pub fn write_files(out: &Path, experiment: &Experiment, run: &mut Run) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|source| Error::Io {
        action: "create",
        path: out.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    if let (Some(format), Some(fpt)) = (experiment.observe.fpt_file, &run.output.first_passage) {
        let cases = experiment.cases.len();
        let bytes = fpt_file::encode(format, cases, experiment.range.len() as u64, fpt);
        let path = out.join(fpt_file::file_name(format));
        write_atomic(&path, &bytes)?;
        run.result.run.first_passage = Some(fpt_file::record(format, &bytes));
        written.push(path);
    }
    for (name, text) in [
        ("cases.csv", run.result.to_csv()),
        ("result.json", run.result.to_json()),
    ] {
        write_atomic(&out.join(name), text.as_bytes())?;
        written.push(out.join(name));
    }
    checkpoint::remove_checkpoint(out);
    Ok(written)
}
