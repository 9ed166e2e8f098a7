//! A long run in blocks of trajectory indices, for checkpoints: block after
//! block takes the next indices of every case, and the finished prefix (its
//! exact tallies, and per-trajectory output when asked) is handed to a
//! checkpoint writer every so often. A resumed run starts after the prefix; an
//! unfinished block is simply run again, which gives the same draws, so the
//! result is bit-identical to an uninterrupted run. Block sizes adapt to the
//! measured speed (about half the checkpoint interval each) and cannot change
//! the result.

use super::Backend;
use super::{Progress, RunOutput};
use crate::error::{Error, Result};
use crate::observables::{FptBins, Tally};
use crate::spec::Experiment;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Trajectories per case of the first block, and the granule of block sizes.
const GRANULE: u32 = 4096;
/// Most growth of the block size from one block to the next.
const MAX_GROWTH: u32 = 8;

/// The finished prefix of a run: trajectories `range.start .. range.start + done`
/// of every case.
#[derive(Clone, Debug)]
pub struct Partial {
    /// Trajectories finished per case (the same for every case).
    pub done: u32,
    /// Exact tallies of the finished prefix, one per case.
    pub tallies: Vec<Tally>,
    /// First-passage steps (as in `RunOutput`), `range.len()` per case; only the
    /// first `done` of each case are filled.
    pub first_passage: Option<Vec<u32>>,
}

impl Partial {
    /// Nothing done yet.
    pub fn empty(experiment: &Experiment) -> Partial {
        let bins = FptBins::new(experiment.max_steps);
        let tally = Tally::of(experiment, &bins);
        Partial {
            done: 0,
            tallies: vec![tally; experiment.cases.len()],
            first_passage: experiment
                .observe
                .fpt_file
                .map(|_| vec![0u32; experiment.total_trajectories() as usize]),
        }
    }

    /// Trajectory-steps of the finished prefix.
    pub fn trajectory_steps(&self, max_steps: u32) -> u64 {
        self.tallies
            .iter()
            .map(|t| t.trajectory_steps(max_steps))
            .sum()
    }
}

/// Run what `partial` has not done yet of `experiment.range`, in blocks; after
/// a block, when `every` has passed since the last checkpoint (or the start),
/// hand the prefix to `checkpoint`. With `cancel`, the backends stop within a
/// dispatch or a millisecond of the flag being set ([`Error::Cancelled`]).
/// Without `every`, one block.
pub fn run_in_blocks(
    engine: &dyn Backend,
    experiment: &Experiment,
    mut partial: Partial,
    every: Option<Duration>,
    cancel: Option<&AtomicBool>,
    progress: Progress<'_>,
    checkpoint: &mut dyn FnMut(&Partial) -> Result<()>,
) -> Result<RunOutput> {
    let started = Instant::now();
    let range = experiment.range.clone();
    let total = range.len() as u32;
    let cases = experiment.cases.len();
    let mut backend = engine.backend().to_string();
    let mut device = String::new();
    let mut last_checkpoint = Instant::now();
    let mut block = match every {
        None => total,
        Some(_) => {
            let threads = rayon::current_num_threads() as u32;
            GRANULE * (4 * threads).div_ceil(cases as u32).max(1)
        }
    };
    while partial.done < total {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        let len = block.min(total - partial.done);
        let first = range.start + partial.done;
        let part = experiment.clone().with_range(first..first + len)?;
        let block_started = Instant::now();
        let output = match cancel {
            Some(cancel) => engine.run_cancellable(&part, progress, cancel)?,
            None => engine.run(&part, progress)?,
        };
        let seconds = block_started.elapsed().as_secs_f64();
        for (total, t) in partial.tallies.iter_mut().zip(&output.tallies) {
            total.merge(t);
        }
        if let (Some(all), Some(values)) = (partial.first_passage.as_mut(), &output.first_passage) {
            let per_case = total as usize;
            for case in 0..cases {
                let at = case * per_case + partial.done as usize;
                all[at..at + len as usize]
                    .copy_from_slice(&values[case * len as usize..(case + 1) * len as usize]);
            }
        }
        partial.done += len;
        backend = output.backend;
        device = output.device;
        if let Some(every) = every {
            if partial.done < total && last_checkpoint.elapsed() >= every {
                checkpoint(&partial)?;
                last_checkpoint = Instant::now();
            }
            // Aim at blocks of half the checkpoint interval.
            let rate = len as f64 / seconds.max(1e-3);
            let aim = (rate * every.as_secs_f64() / 2.0).min(u32::MAX as f64) as u32;
            block = aim
                .clamp(len, len.saturating_mul(MAX_GROWTH))
                .clamp(GRANULE, 1 << 31)
                .next_multiple_of(GRANULE);
        }
    }
    Ok(RunOutput {
        backend,
        device,
        tallies: partial.tallies,
        first_passage: partial.first_passage,
        wall_time: started.elapsed(),
    })
}
