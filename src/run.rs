//! The one run path: every front end — `kramers run`, the Python module, the
//! studies (`escape`, `reproduce`, `check`, `bench`) — runs an experiment
//! through here. [`prepare`] applies the overrides (seed, trajectories,
//! shard, resume, checkpoints, output directory) and refuses what cannot go
//! together; [`run`] chooses between a direct run (in blocks, checkpointed
//! when asked, continued from a checkpoint's prefix) and rare-event
//! splitting (`[rare]`), and records the experiment's provenance;
//! [`Outcome::write_files`] writes result.json, cases.csv and the
//! first-passage file atomically. Front ends parse their arguments and
//! print; the policy is here.

use crate::backend::blocks::{run_in_blocks, Partial};
use crate::backend::engine::Engine;
use crate::backend::{Backend, BackendChoice, Progress, RunOutput};
use crate::error::{Error, Result};
use crate::report::checkpoint::{self, Checkpoint};
use crate::report::fpt_file;
use crate::report::{
    write_atomic, ExperimentSource, RareCase, RareResult, ResultFiles, RunInfo, RunResult,
};
use crate::spec::shard::Shard;
use crate::spec::{Experiment, FptFormat};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The built-in default experiment (`kramers run` without a file).
pub const DEFAULT_EXPERIMENT: &str = include_str!("../assets/power-law-barrier.toml");
/// Where the built-in default experiment says it came from.
pub const DEFAULT_EXPERIMENT_ORIGIN: &str = "built-in default experiment";
/// The output directory when none is given.
pub const DEFAULT_OUT: &str = "kramers-out";

/// What may change a run of an experiment file without editing it.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// The seed (0 to 4294967295), else the checkpoint's when resuming, else the file's.
    pub seed: Option<u64>,
    /// Trajectories per case, else the checkpoint's when resuming, else the file's.
    pub trajectories: Option<u64>,
    /// `K/N`: the k-th of n equal slices of every case's trajectories; else
    /// the checkpoint's slice when resuming, else the scheduler's (when
    /// [`Self::shard_from_env`]).
    pub shard: Option<String>,
    /// Read the shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT or
    /// JOB_COMPLETION_INDEX / KRAMERS_SHARD_COUNT when none is given.
    pub shard_from_env: bool,
    /// Continue the interrupted run whose checkpoint is in this directory
    /// (which is then the output directory).
    pub resume: Option<PathBuf>,
    /// The output directory (default [`DEFAULT_OUT`]); with `resume`, only its directory.
    pub out: Option<PathBuf>,
    /// Seconds between checkpoints (0 or none: no checkpoints).
    pub checkpoint_every: Option<f64>,
    /// Write the per-trajectory first passages in this format when the file does not ask.
    pub first_passage: Option<FptFormat>,
    /// Extrapolate to `dt -> 0` (`--extrapolate`) when the file does not ask.
    pub extrapolate: bool,
}

/// An experiment ready to run: overrides applied, checked, with its provenance.
pub struct Prepared {
    /// The experiment with the overrides applied (seed, trajectories, shard range,
    /// first-passage file).
    pub experiment: Experiment,
    /// The file as given (path or label, and text), recorded in result.json.
    pub source: ExperimentSource,
    /// The output directory (checkpoints and files).
    pub out: PathBuf,
    /// The shard this run is.
    pub shard: Option<Shard>,
    /// Checkpoints every this often.
    pub checkpoint_every: Option<Duration>,
    /// The checkpoint to continue from.
    resume: Option<Checkpoint>,
    /// What the user should hear before the run (the shard chosen, a checkpoint left behind).
    pub notes: Vec<String>,
}

impl Prepared {
    /// The trajectories of every case that the checkpoint being resumed has finished.
    pub fn resumed_trajectories(&self) -> u64 {
        self.resume.as_ref().map_or(0, |c| c.done as u64) * self.experiment.cases.len() as u64
    }

    /// `experiment` as it is: no overrides, no files, no provenance (the studies' runs).
    pub fn new(experiment: Experiment) -> Self {
        Prepared {
            experiment,
            source: ExperimentSource::default(),
            out: PathBuf::from(DEFAULT_OUT),
            shard: None,
            checkpoint_every: None,
            resume: None,
            notes: Vec::new(),
        }
    }
}

/// Read the experiment `source` (its text, from its path or label) and apply `overrides`.
pub fn prepare(source: ExperimentSource, overrides: &Overrides) -> Result<Prepared> {
    let mut experiment = Experiment::from_toml(&source.text, &source.path)?;
    let resume = match &overrides.resume {
        Some(dir) => Some(checkpoint::read_checkpoint(dir)?),
        None => None,
    };
    let out = match (&overrides.resume, &overrides.out) {
        (Some(dir), Some(out)) if dir != out => {
            return Err(Error::invalid(
                "--out",
                out.display(),
                "leave it out with --resume: the run continues in its own directory",
            ))
        }
        (Some(dir), _) => dir.clone(),
        (None, out) => out.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_OUT)),
    };
    if let Some(seed) = overrides.seed.or(resume.as_ref().map(|c| c.seed as u64)) {
        experiment = experiment.with_seed(seed)?;
    }
    let trajectories = overrides.trajectories;
    if let Some(n) = trajectories.or(resume.as_ref().map(|c| c.trajectories as u64)) {
        experiment = experiment.with_trajectories(n)?;
    }
    if let Some(format) = overrides.first_passage {
        if experiment.observe.fpt_file.is_none() {
            experiment = experiment.with_fpt_file(format)?;
        }
    }
    // --shard, else the checkpoint's own slice when resuming (a task resubmitted
    // alone sees a scheduler environment of one task), else the scheduler's.
    let shard = match (
        &overrides.shard,
        resume.as_ref().and_then(|c| c.shard.clone()),
    ) {
        (Some(text), _) => Some(Shard::parse(text)?),
        (None, Some(from_checkpoint)) => Some(from_checkpoint),
        (None, None) if overrides.shard_from_env => {
            Shard::from_env(|name| std::env::var(name).ok())?
        }
        (None, None) => None,
    };
    let mut notes = Vec::new();
    if let Some(shard) = &shard {
        let range = shard.range(experiment.trajectories)?;
        notes.push(format!(
            "shard {}/{} (from {}): trajectories {}..{} of every case",
            shard.index, shard.count, shard.source, range.start, range.end
        ));
        experiment = experiment.with_range(range)?;
    }
    let checkpoint_every = match overrides.checkpoint_every {
        Some(s) if !(s.is_finite() && s >= 0.0) => {
            return Err(Error::invalid(
                "--checkpoint-every",
                s,
                "seconds >= 0 (0: no checkpoints)",
            ))
        }
        Some(s) if s > 0.0 => Some(Duration::from_secs_f64(s)),
        _ => None,
    };
    if overrides.extrapolate && !experiment.observe.extrapolate {
        // the flag, not the file's field, is what the user gave
        experiment = experiment.with_extrapolation(true).map_err(|e| match e {
            Error::InvalidField {
                field,
                value,
                allowed,
            } if field == "observe.extrapolate" => Error::InvalidField {
                field: "--extrapolate".into(),
                value,
                allowed,
            },
            other => other,
        })?;
    }
    if experiment.observe.extrapolate {
        refuse_slices(
            &shard,
            &resume,
            "observe.extrapolate",
            "an extrapolated run pairs every trajectory's two runs, whole",
        )?;
    }
    let checkpoint_every = match checkpoint_every {
        Some(_) if experiment.observe.extrapolate => {
            notes.push(
                "observe.extrapolate: no checkpoints (the runs at dt and dt/2 are paired whole)"
                    .into(),
            );
            None
        }
        other => other,
    };
    if experiment.rare.is_some() {
        refuse_slices(
            &shard,
            &resume,
            "a [rare] experiment",
            "rare-event splitting runs whole",
        )?;
    } else if resume.is_none() && out.join(checkpoint::CHECKPOINT_FILE).is_file() {
        notes.push(format!(
            "{} holds the checkpoint of an interrupted run (--resume {} continues it); starting afresh",
            out.display(),
            out.display()
        ));
    }
    Ok(Prepared {
        experiment,
        source,
        out,
        shard,
        checkpoint_every,
        resume,
        notes,
    })
}

/// A run that must run whole (`what`, because `why`) refuses a shard and a resume.
fn refuse_slices(
    shard: &Option<Shard>,
    resume: &Option<Checkpoint>,
    what: &str,
    why: &str,
) -> Result<()> {
    for (given, field) in [
        (
            shard.is_some(),
            "--shard (or a scheduler's array environment)",
        ),
        (resume.is_some(), "--resume"),
    ] {
        if given {
            return Err(Error::invalid(
                field,
                format!("given with {what}"),
                format!("a run without it: {why}, without shards or checkpoints"),
            ));
        }
    }
    Ok(())
}

/// How a run goes besides its experiment and backend: what it tells and who may stop it.
pub struct RunOptions<'a> {
    /// Called with the number of trajectories just finished (direct runs).
    pub progress: Progress<'a>,
    /// Called with the index of each case finished (splitting).
    pub case_done: &'a dyn Fn(usize),
    /// Hears what the user should know during the run (a resumed prefix).
    pub notice: &'a dyn Fn(&str),
    /// The command line, for provenance.
    pub command_line: Vec<String>,
    /// Set by another thread to stop the run ([`Error::Cancelled`]): the CPU
    /// kernels look at it every millisecond or so, a GPU after each dispatch.
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            progress: &|_| {},
            case_done: &|_| {},
            notice: &|_| {},
            command_line: Vec::new(),
            cancel: None,
        }
    }
}

/// A direct run: the backend's output (tallies, per-trajectory steps) and
/// the result object of result.json.
pub struct Run {
    /// What the backend returned: tallies, per-trajectory steps, wall time.
    pub output: RunOutput,
    /// The result written to result.json, with its provenance.
    pub result: RunResult,
}

/// What a run gives: a direct run, or the estimates of rare-event splitting.
pub enum Outcome {
    /// A direct run of every trajectory (no `[rare]` table).
    Direct(Run),
    /// Rare-event splitting (a `[rare]` table): one AMS estimate per case.
    Split(RareResult),
}

impl Outcome {
    /// The result file's common face (json, csv, provenance).
    pub fn result(&self) -> &dyn ResultFiles {
        match self {
            Outcome::Direct(run) => &run.result,
            Outcome::Split(result) => result,
        }
    }

    fn result_mut(&mut self) -> &mut dyn ResultFiles {
        match self {
            Outcome::Direct(run) => &mut run.result,
            Outcome::Split(result) => result,
        }
    }

    /// The provenance (the `run` object of result.json).
    pub fn info(&self) -> &RunInfo {
        self.result().info()
    }

    /// The direct run, or an error naming `what` needs one.
    pub fn direct(self, what: &str) -> Result<Run> {
        match self {
            Outcome::Direct(run) => Ok(run),
            Outcome::Split(_) => Err(Error::Incompatible(format!(
                "{what} needs a direct run, not rare-event splitting"
            ))),
        }
    }

    /// Write the run's files into `out` (created if needed), each to a
    /// temporary file renamed into place: the per-trajectory first passages
    /// when the experiment asks for them, `cases.csv` and `result.json` last;
    /// then remove the checkpoint they replace. Returns the paths written.
    pub fn write_files(&mut self, out: &Path, experiment: &Experiment) -> Result<Vec<PathBuf>> {
        crate::report::atomic::create_dir(out)?;
        let mut written = Vec::new();
        if let Outcome::Direct(run) = self {
            if let (Some(format), Some(fpt)) =
                (experiment.observe.fpt_file, &run.output.first_passage)
            {
                let cases = experiment.cases.len();
                let bytes = fpt_file::encode(format, cases, experiment.range.len() as u64, fpt);
                let path = out.join(fpt_file::file_name(format));
                write_atomic(&path, &bytes)?;
                run.result.run.first_passage = Some(fpt_file::record(format, &bytes));
                written.push(path);
            }
        }
        let result = self.result();
        for (name, text) in [
            ("cases.csv", result.to_csv()),
            ("result.json", result.to_json()),
        ] {
            write_atomic(&out.join(name), text.as_bytes())?;
            written.push(out.join(name));
        }
        if let Outcome::Direct(_) = self {
            checkpoint::remove_checkpoint(out);
        }
        Ok(written)
    }
}

/// Run `prepared` on `backend`: rare-event splitting for every case when the
/// experiment has a `[rare]` table, else trajectories `experiment.range` of
/// every case directly, in blocks with checkpoints when asked, continued
/// from the checkpoint when resuming. The result records the experiment's
/// provenance.
pub fn run(prepared: &Prepared, backend: &dyn Backend, options: RunOptions) -> Result<Outcome> {
    let mut outcome = match &prepared.experiment.rare {
        Some(_) => Outcome::Split(split(prepared, backend, &options)?),
        None => Outcome::Direct(direct(prepared, backend, &options)?),
    };
    outcome.result_mut().info_mut().experiment = prepared.source.clone();
    Ok(outcome)
}

/// Open the backend `choice` (`notice` hears the CPU fallback of `auto`) and
/// run `experiment` on it as it is: what the studies do.
pub fn run_on(
    experiment: &Experiment,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
    cancel: Option<&AtomicBool>,
) -> Result<Outcome> {
    let engine = Engine::open(choice, None, notice)?;
    run(
        &Prepared::new(experiment.clone()),
        &engine,
        RunOptions {
            progress,
            cancel,
            ..RunOptions::default()
        },
    )
}

/// An extrapolated run (`observe.extrapolate`, docs/theory.md §10): every
/// trajectory at `dt` and at `dt/2` on one Brownian path, the result of the
/// run at `dt` with each case's `extrapolation` from the two, trajectory by
/// trajectory. The progress callback hears both runs' trajectories.
fn extrapolated(prepared: &Prepared, backend: &dyn Backend, options: &RunOptions) -> Result<Run> {
    let experiment = &prepared.experiment;
    let (coarse, fine) = experiment.coupled_pair()?;
    let run = |e: &Experiment| {
        run_in_blocks(
            backend,
            e,
            Partial::empty(e),
            None,
            options.cancel,
            options.progress,
            &mut |_| Ok(()),
        )
    };
    let mut output = run(&coarse)?;
    let fine_output = run(&fine)?;
    let order = crate::analysis::extrapolate::Order::of_bridge(experiment.shape.bridge);
    let per_case = experiment.range.len();
    let steps = |o: &RunOutput| -> Result<Vec<u32>> {
        o.first_passage.clone().ok_or_else(|| {
            Error::Incompatible("an extrapolated run needs every first passage".into())
        })
    };
    let (coarse_steps, fine_steps) = (steps(&output)?, steps(&fine_output)?);
    let work = |o: &RunOutput, e: &Experiment| -> u64 {
        o.tallies
            .iter()
            .map(|t| t.trajectory_steps(e.max_steps))
            .sum()
    };
    let steps_run = work(&output, &coarse) + work(&fine_output, &fine);
    output.wall_time += fine_output.wall_time;
    if experiment.observe.fpt_file.is_none() {
        output.first_passage = None;
    }
    let mut result = RunResult::new(experiment, &output, options.command_line.clone());
    result.run.trajectory_steps_per_s = steps_run as f64 / output.wall_time.as_secs_f64();
    for (i, case) in result.cases.iter_mut().enumerate() {
        let range = i * per_case..(i + 1) * per_case;
        case.set_extrapolation(crate::analysis::extrapolate::extrapolate(
            &coarse_steps[range.clone()],
            &fine_steps[range],
            experiment.cases[i].model.dt,
            experiment.max_steps,
            order,
        ));
    }
    Ok(Run { output, result })
}

fn direct(prepared: &Prepared, backend: &dyn Backend, options: &RunOptions) -> Result<Run> {
    let experiment = &prepared.experiment;
    if experiment.observe.extrapolate {
        return extrapolated(prepared, backend, options);
    }
    let name = backend.backend();
    let partial = match &prepared.resume {
        Some(c) => {
            let partial = c.partial(&prepared.out, experiment, name)?;
            (options.notice)(&format!(
                "resuming {}: {} of {} trajectories per case were done",
                prepared.out.display(),
                partial.done,
                experiment.range.len()
            ));
            partial
        }
        None => Partial::empty(experiment),
    };
    let resumed = prepared.resume.is_some();
    let steps_before = partial.trajectory_steps(experiment.max_steps);
    let shard = prepared.shard.clone();
    let checkpoints = prepared.checkpoint_every;
    let output = run_in_blocks(
        backend,
        experiment,
        partial,
        checkpoints,
        options.cancel,
        options.progress,
        &mut |done| match checkpoints {
            Some(_) => {
                checkpoint::write_checkpoint(&prepared.out, experiment, name, shard.as_ref(), done)
            }
            None => Ok(()),
        },
    )?;
    let mut result = RunResult::new(experiment, &output, options.command_line.clone());
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

/// Adaptive multilevel splitting for every case, in case order.
fn split(prepared: &Prepared, backend: &dyn Backend, options: &RunOptions) -> Result<RareResult> {
    let experiment = &prepared.experiment;
    let settings = experiment.rare.as_ref().expect("a [rare] experiment");
    // observe.extrapolate: every case split again at dt/2
    let fine = match experiment.observe.extrapolate {
        true => Some(experiment.coupled_pair()?.1),
        false => None,
    };
    let order = crate::analysis::extrapolate::Order::of_bridge(experiment.shape.bridge);
    let started = Instant::now();
    let mut cases = Vec::with_capacity(experiment.cases.len());
    for i in 0..experiment.cases.len() {
        let case_started = Instant::now();
        let estimate = crate::rare::estimate(experiment, settings, i, backend, options.cancel)?;
        let mut case = RareCase::new(experiment, i, estimate);
        if let Some(fine) = &fine {
            let half_dt = crate::rare::estimate(fine, settings, i, backend, options.cancel)?;
            case.set_extrapolation(half_dt, order);
        }
        cases.push((case, case_started.elapsed().as_secs_f64()));
        (options.case_done)(i);
    }
    Ok(RareResult::new(
        experiment,
        backend.backend(),
        backend.device(),
        cases,
        started.elapsed().as_secs_f64(),
        options.command_line.clone(),
    ))
}
