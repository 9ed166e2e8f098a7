//! Checkpoints of a running `kramers run`: `checkpoint.json` (what experiment,
//! which trajectories are finished, their exact tallies) and, when the
//! experiment writes per-trajectory output, `checkpoint.fpt` (raw u32) in the
//! output directory. Both are written atomically, the `.fpt` first, so a crash
//! at any moment leaves a consistent pair.

use crate::backend::blocks::Partial;
use crate::error::{Error, Result};
use crate::observables::tally::Histogram;
use crate::observables::Tally;
use crate::report::write_atomic;
use crate::spec::shard::Shard;
use crate::spec::Experiment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Name of the checkpoint's JSON file in the output directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// Name of the checkpoint's per-trajectory first-passage steps (raw little-endian u32).
pub const CHECKPOINT_FPT_FILE: &str = "checkpoint.fpt";

/// What `checkpoint.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Version of kramers that wrote it; a resume needs the same version.
    pub kramers_version: String,
    /// `Experiment::fingerprint` of the run.
    pub fingerprint: String,
    /// `"cpu"` or `"gpu"`: the backend that ran; a resume needs the same one.
    pub backend: String,
    /// Seed of the run; a resume without `--seed` takes it.
    pub seed: u32,
    /// Trajectories per case of the experiment.
    pub trajectories: u32,
    /// The run's trajectories `[start, end)` of every case.
    pub range: [u32; 2],
    /// The shard (k of n) this run is, or None for an unsharded run.
    pub shard: Option<Shard>,
    /// Trajectories `start .. start + done` of every case are finished.
    pub done: u32,
    /// Their exact tallies, case by case.
    pub tallies: Vec<TallyRecord>,
    /// `checkpoint.fpt` holds their first-passage steps.
    pub first_passage: bool,
}

/// A [`Tally`] with its wide sums as decimal strings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TallyRecord {
    /// As [`Tally::trajectories`].
    pub trajectories: u64,
    /// As [`Tally::escaped`].
    pub escaped: u64,
    /// As [`Tally::censored`].
    pub censored: u64,
    /// As [`Tally::diverged`].
    pub diverged: u64,
    /// As [`Tally::steps_sum`].
    pub steps_sum: u64,
    /// [`Tally::steps_squared_sum`] in decimal.
    pub steps_squared_sum: String,
    /// As [`Tally::fpt_histogram`].
    pub fpt_histogram: Vec<u64>,
    /// [`Tally::final_sum`] in decimal, per coordinate.
    pub final_sum: Vec<String>,
    /// [`Tally::final_squared_sum`] in decimal, per coordinate.
    pub final_squared_sum: Vec<String>,
    /// Per coordinate: bin counts, then below, then above.
    pub histograms: Vec<Vec<u64>>,
    /// [`Tally::velocity_sum`] in decimal (empty without a velocity).
    #[serde(default)]
    pub velocity_sum: Vec<String>,
    /// [`Tally::velocity_squared_sum`] in decimal.
    #[serde(default)]
    pub velocity_squared_sum: Vec<String>,
}

impl From<&Tally> for TallyRecord {
    fn from(t: &Tally) -> Self {
        TallyRecord {
            trajectories: t.trajectories,
            escaped: t.escaped,
            censored: t.censored,
            diverged: t.diverged,
            steps_sum: t.steps_sum,
            steps_squared_sum: t.steps_squared_sum.to_string(),
            fpt_histogram: t.fpt_histogram.clone(),
            final_sum: super::decimals(&t.final_sum),
            final_squared_sum: super::decimals(&t.final_squared_sum),
            histograms: t
                .histograms
                .iter()
                .map(|h| {
                    let mut v = h.counts.clone();
                    v.extend([h.below, h.above]);
                    v
                })
                .collect(),
            velocity_sum: super::decimals(&t.velocity_sum),
            velocity_squared_sum: super::decimals(&t.velocity_squared_sum),
        }
    }
}

impl TallyRecord {
    fn tally(&self, path: &Path) -> Result<Tally> {
        let corrupt = || corrupt(path, "a tally");
        let int = |s: &String| s.parse::<i128>().map_err(|_| corrupt());
        Ok(Tally {
            trajectories: self.trajectories,
            escaped: self.escaped,
            censored: self.censored,
            diverged: self.diverged,
            steps_sum: self.steps_sum,
            steps_squared_sum: self.steps_squared_sum.parse().map_err(|_| corrupt())?,
            fpt_histogram: self.fpt_histogram.clone(),
            final_sum: self.final_sum.iter().map(int).collect::<Result<_>>()?,
            final_squared_sum: self
                .final_squared_sum
                .iter()
                .map(int)
                .collect::<Result<_>>()?,
            histograms: self
                .histograms
                .iter()
                .map(|v| match v.len() {
                    n if n >= 2 => Ok(Histogram {
                        counts: v[..n - 2].to_vec(),
                        below: v[n - 2],
                        above: v[n - 1],
                    }),
                    _ => Err(corrupt()),
                })
                .collect::<Result<_>>()?,
            velocity_sum: self.velocity_sum.iter().map(int).collect::<Result<_>>()?,
            velocity_squared_sum: self
                .velocity_squared_sum
                .iter()
                .map(int)
                .collect::<Result<_>>()?,
        })
    }
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::Incompatible(format!(
        "{}: {what} is damaged; delete the checkpoint files and run again",
        path.display()
    ))
}

/// Write the checkpoint of `partial` into `dir` (created if needed).
pub fn write_checkpoint(
    dir: &Path,
    experiment: &Experiment,
    backend: &str,
    shard: Option<&Shard>,
    partial: &Partial,
) -> Result<()> {
    super::atomic::create_dir(dir)?;
    if let Some(values) = &partial.first_passage {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        write_atomic(&dir.join(CHECKPOINT_FPT_FILE), &bytes)?;
    }
    let checkpoint = Checkpoint {
        kramers_version: env!("CARGO_PKG_VERSION").to_string(),
        fingerprint: experiment.fingerprint(),
        backend: backend.to_string(),
        seed: experiment.seed,
        trajectories: experiment.trajectories,
        range: [experiment.range.start, experiment.range.end],
        shard: shard.cloned(),
        done: partial.done,
        tallies: partial.tallies.iter().map(TallyRecord::from).collect(),
        first_passage: partial.first_passage.is_some(),
    };
    let text = serde_json::to_string(&checkpoint).expect("serializable");
    write_atomic(&dir.join(CHECKPOINT_FILE), text.as_bytes())
}

/// Read `dir/checkpoint.json`.
pub fn read_checkpoint(dir: &Path) -> Result<Checkpoint> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        let finished = dir.join("result.json").is_file();
        Error::invalid(
            "--resume",
            dir.display(),
            if finished {
                "a directory with a checkpoint; this run has finished (result.json is there)"
            } else {
                "a directory holding checkpoint.json of an interrupted kramers run"
            },
        )
    })?;
    serde_json::from_str(&text).map_err(|_| corrupt(&path, "checkpoint.json"))
}

impl Checkpoint {
    /// The finished prefix, after checking that the checkpoint belongs to
    /// `experiment` (same fingerprint, range, version, backend).
    pub fn partial(&self, dir: &Path, experiment: &Experiment, backend: &str) -> Result<Partial> {
        let path = dir.join(CHECKPOINT_FILE);
        let mismatch = |what: String| {
            Error::Incompatible(format!("{}: cannot resume: {what}", path.display()))
        };
        if self.kramers_version != env!("CARGO_PKG_VERSION") {
            return Err(mismatch(format!(
                "written by kramers {}, this is {}",
                self.kramers_version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        if self.fingerprint != experiment.fingerprint() {
            return Err(mismatch(
                "it belongs to another experiment (the file, --seed or --trajectories differ)"
                    .into(),
            ));
        }
        if self.range != [experiment.range.start, experiment.range.end] {
            return Err(mismatch(format!(
                "it covers trajectories {}..{}, this run {}..{} (another shard?)",
                self.range[0], self.range[1], experiment.range.start, experiment.range.end
            )));
        }
        if self.backend != backend {
            return Err(mismatch(format!(
                "it was written by the {} backend, this run uses {backend} (results would not be bit-identical); pass --backend {}",
                self.backend, self.backend
            )));
        }
        let len = experiment.range.len() as u32;
        if self.done > len || self.tallies.len() != experiment.cases.len() {
            return Err(corrupt(&path, "checkpoint.json"));
        }
        let tallies = self
            .tallies
            .iter()
            .map(|t| t.tally(&path))
            .collect::<Result<Vec<_>>>()?;
        let first_passage = match (experiment.observe.fpt_file, self.first_passage) {
            (None, _) => None,
            (Some(_), false) => return Err(corrupt(&path, "the per-trajectory output")),
            (Some(_), true) => {
                let fpt_path = dir.join(CHECKPOINT_FPT_FILE);
                let bytes =
                    std::fs::read(&fpt_path).map_err(|_| corrupt(&fpt_path, "checkpoint.fpt"))?;
                if bytes.len() as u64 != 4 * experiment.total_trajectories() {
                    return Err(corrupt(&fpt_path, "checkpoint.fpt"));
                }
                Some(
                    bytes
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                )
            }
        };
        Ok(Partial {
            done: self.done,
            tallies,
            first_passage,
        })
    }
}

/// Delete the checkpoint files of `dir` (after the result is written).
pub fn remove_checkpoint(dir: &Path) {
    for name in [CHECKPOINT_FILE, CHECKPOINT_FPT_FILE] {
        let path: PathBuf = dir.join(name);
        let _ = std::fs::remove_file(path);
    }
}
