//! `kramers merge`: shard results (`result.json` of `kramers run --shard k/n`)
//! combined into the result of the whole run. Each shard carries its exact
//! tallies (`cases[].sums` beside the counts and histograms) and the experiment
//! file's text; the merge rebuilds the experiment, checks that every shard ran
//! it (fingerprint, seed, version, backend) and that the shards' trajectory
//! ranges tile `0..trajectories` without overlap or gap, then adds the tallies.

use crate::backend::RunOutput;
use crate::error::{Error, Result};
use crate::observables::Tally;
use crate::report::{fpt_file, write_atomic, RunResult};
use crate::spec::Experiment;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The indices of `shards` in the order of their trajectory ranges.
pub fn trajectory_order(shards: &[(String, RunResult)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..shards.len()).collect();
    order.sort_by_key(|&i| shards[i].1.run.trajectory_range);
    order
}

/// The experiment and the merged output of `shards` (named by their files).
pub fn merge(shards: &[(String, RunResult)]) -> Result<(Experiment, RunOutput)> {
    let refuse = |why: String| Error::Incompatible(format!("cannot merge: {why}"));
    let (first_name, first) = shards
        .first()
        .ok_or_else(|| refuse("no result files given".into()))?;
    if first.fingerprint.is_empty() || first.run.experiment.text.is_empty() {
        return Err(refuse(format!(
            "{first_name} has no experiment fingerprint or text (written by an older kramers?)"
        )));
    }
    for (name, shard) in shards {
        let differ = |what: &str, a: String, b: String| {
            refuse(format!(
                "{name} and {first_name} differ in {what} ({b} vs {a}): they are not shards of one run"
            ))
        };
        if shard.kramers_version != first.kramers_version {
            return Err(differ(
                "kramers_version",
                first.kramers_version.clone(),
                shard.kramers_version.clone(),
            ));
        }
        if shard.seed != first.seed {
            return Err(differ(
                "seed",
                first.seed.to_string(),
                shard.seed.to_string(),
            ));
        }
        if shard.trajectories != first.trajectories {
            return Err(differ(
                "trajectories",
                first.trajectories.to_string(),
                shard.trajectories.to_string(),
            ));
        }
        if shard.fingerprint != first.fingerprint {
            return Err(differ(
                "experiment (fingerprint)",
                first.fingerprint.clone(),
                shard.fingerprint.clone(),
            ));
        }
        if shard.backend != first.backend {
            return Err(differ(
                "backend (CPU and GPU trajectories are not bit-identical)",
                first.backend.clone(),
                shard.backend.clone(),
            ));
        }
        if shard.cases.len() != first.cases.len() {
            return Err(differ(
                "number of cases",
                first.cases.len().to_string(),
                shard.cases.len().to_string(),
            ));
        }
    }

    // The ranges must tile 0..trajectories.
    let order = trajectory_order(shards);
    let mut covered = 0u32;
    let mut previous: Option<usize> = None;
    for &i in &order {
        let (name, shard) = &shards[i];
        let [start, end] = shard.run.trajectory_range;
        if start >= end {
            return Err(refuse(format!("{name} records no trajectory range")));
        }
        if start < covered {
            let other = previous.map_or("", |p| shards[p].0.as_str());
            return Err(refuse(format!(
                "{name} (trajectories {start}..{end}) overlaps {other} (up to {covered}): a shard given twice, or shards of different splits"
            )));
        }
        if start > covered {
            return Err(refuse(format!(
                "gap: no file holds trajectories {covered}..{start} (a missing shard)"
            )));
        }
        covered = end;
        previous = Some(i);
    }
    if covered != first.trajectories {
        return Err(refuse(format!(
            "gap: no file holds trajectories {covered}..{} (a missing shard)",
            first.trajectories
        )));
    }

    let source = &first.run.experiment;
    let experiment = Experiment::from_toml(&source.text, &source.path)?
        .with_seed(first.seed as u64)?
        .with_trajectories(first.trajectories as u64)?;
    if experiment.fingerprint() != first.fingerprint {
        return Err(refuse(format!(
            "the experiment text recorded in {first_name} does not rebuild the experiment it ran \
             (fingerprint {} vs {}); was a data file it reads changed?",
            experiment.fingerprint(),
            first.fingerprint
        )));
    }

    let mut tallies: Vec<Tally> = Vec::new();
    let mut devices: Vec<String> = Vec::new();
    let mut wall = Duration::ZERO;
    for &i in &order {
        let (name, shard) = &shards[i];
        let [start, end] = shard.run.trajectory_range;
        for (c, case) in shard.cases.iter().enumerate() {
            let tally = case.tally().map_err(|e| refuse(format!("{name}: {e}")))?;
            if tally.trajectories != (end - start) as u64 {
                return Err(refuse(format!(
                    "{name}: case {c} holds {} trajectories, its range {start}..{end} has {}",
                    tally.trajectories,
                    end - start
                )));
            }
            match tallies.get_mut(c) {
                Some(total) => total.merge(&tally),
                None => tallies.push(tally),
            }
        }
        if !devices.contains(&shard.device) {
            devices.push(shard.device.clone());
        }
        wall += Duration::from_secs_f64(shard.run.wall_time_s.max(0.0));
    }
    let output = RunOutput {
        backend: first.backend.clone(),
        device: devices.join(" + "),
        tallies,
        first_passage: None,
        wall_time: wall,
    };
    Ok((experiment, output))
}

/// What `kramers merge` wrote: the merged result and where.
pub struct Merged {
    /// The merged result, as written to result.json.
    pub result: RunResult,
    /// Number of shard results merged.
    pub shards: usize,
    /// The output is a directory (result.json, cases.csv, first passages, plots).
    pub to_directory: bool,
    /// What the user should know (a first-passage file left unmerged).
    pub notes: Vec<String>,
}

/// Merge the shard results `inputs` (directories written by `kramers run
/// --out`, or their result.json files) into `output`: a directory written as
/// `kramers run` writes one (result.json last), or a FILE.json with `csv`
/// beside it when given. Every shard's first-passage file is checked before
/// anything is written.
pub fn merge_into(
    inputs: &[PathBuf],
    output: &Path,
    csv: Option<&Path>,
    command_line: Vec<String>,
) -> Result<Merged> {
    let to_directory = output.extension().is_none_or(|e| e != "json");
    if let (true, Some(csv)) = (to_directory, csv) {
        return Err(Error::invalid(
            "--csv",
            csv.display(),
            "only with -o FILE.json (a directory output holds its cases.csv)",
        ));
    }
    // each shard: its result.json and the directory its other files are in
    let mut shards = Vec::new();
    let mut directories = Vec::new();
    for input in inputs {
        let (file, directory) = if input.is_dir() {
            (input.join("result.json"), input.clone())
        } else {
            let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
            (
                input.clone(),
                parent.unwrap_or(Path::new(".")).to_path_buf(),
            )
        };
        let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            action: "read",
            path: file.clone(),
            source,
        })?;
        let result: RunResult = serde_json::from_str(&text).map_err(|e| {
            Error::Incompatible(format!(
                "cannot merge: {} is not a kramers result.json ({e})",
                file.display()
            ))
        })?;
        shards.push((file.display().to_string(), result));
        directories.push(directory);
    }
    let (experiment, merged) = merge(&shards)?;
    let cases = experiment.cases.len();
    // Every shard's first-passage file is checked before anything is written.
    let first_passage = match (to_directory, experiment.observe.fpt_file) {
        (true, Some(format)) => {
            let parts = trajectory_order(&shards)
                .into_iter()
                .map(|i| {
                    let run = &shards[i].1.run;
                    let [start, end] = run.trajectory_range;
                    fpt_file::check_shard(
                        format,
                        &directories[i],
                        cases,
                        (end - start) as u64,
                        run.first_passage.as_ref(),
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            Some((format, parts))
        }
        _ => None,
    };
    let mut result = RunResult::new(&experiment, &merged, command_line);
    result.run.experiment = shards[0].1.run.experiment.clone();
    result.run.merged_from = shards.iter().map(|(name, _)| name.clone()).collect();
    let steps: u64 = merged
        .tallies
        .iter()
        .map(|t| t.trajectory_steps(experiment.max_steps))
        .sum();
    result.run.trajectory_steps_per_s = steps as f64 / merged.wall_time.as_secs_f64().max(1e-9);
    let (json, csv) = if to_directory {
        (output.join("result.json"), Some(output.join("cases.csv")))
    } else {
        (output.to_path_buf(), csv.map(Path::to_path_buf))
    };
    if let Some(dir) = json.parent().filter(|p| !p.as_os_str().is_empty()) {
        super::atomic::create_dir(dir)?;
    }
    if let Some((format, parts)) = &first_passage {
        let path = output.join(fpt_file::file_name(*format));
        result.run.first_passage = Some(fpt_file::concatenate(*format, parts, cases, &path)?);
    }
    if let Some(csv) = &csv {
        write_atomic(csv, result.to_csv().as_bytes())?;
    }
    // result.json last: its presence says the directory is complete
    write_atomic(&json, result.to_json().as_bytes())?;
    let mut notes = Vec::new();
    if let (false, Some(format)) = (to_directory, experiment.observe.fpt_file) {
        notes.push(format!(
            "the shards' {} files are not merged into a .json output; `-o DIR` concatenates them",
            fpt_file::file_name(format)
        ));
    }
    Ok(Merged {
        result,
        shards: shards.len(),
        to_directory,
        notes,
    })
}
