//! Rare escapes by adaptive multilevel splitting (AMS, docs/theory.md §7): the mean
//! first-passage time of the discrete chain, for escapes too rare to wait for.
//!
//! For each case, `runs` independent estimates, stepped on a backend in
//! lock-step (one batch of segments per phase or round, all runs together):
//!
//! 1. **Loops** (direct): `replicas` chains per run start at the case's start
//!    and step to their first entrance into `Σ` (score above `level_sigma`),
//!    then make `loops` loops `Σ -> A -> Σ` (`A`: score at or below
//!    `level_a`). The first legs give `E[T_first]`, the loops `E[T_loop]`; each
//!    chain's last `Σ` entrance seeds one replica. A chain that reaches the
//!    exit instead of `A` ends a successful cycle: it starts over.
//! 2. **Splitting**: each round kills the replicas whose best score is at or
//!    below the `kill`-th lowest (all ties), and replaces each by a copy of a
//!    random survivor cut at the first step where the survivor's score exceeded
//!    that level, continued on a stream of its own until it reaches `A` or the
//!    exit. The cut is found by stepping the survivor's segment again from its
//!    start on its own stream (counter-based draws replay it exactly), so no
//!    path is stored. A run stops when fewer than `kill` replicas are outside
//!    the exit: `p = prod (1 - K_j / N) * (replicas in the exit) / N`.
//!
//! The estimate `T = E[T_first] + (1/p - 1) E[T_loop] + E[T_reac]`, in steps:
//! the first leg to `Σ`, the failed cycles (`1/p - 1` of them on average) and
//! the reactive part from the last `Σ` entrance to the exit (mean over the
//! final replicas in the exit; a clone inherits its parent's elapsed steps).
//! docs/theory.md §7 writes it without `E[T_first]`, one loop's worth, which matters
//! only where escapes are not rare. Runs are pooled (`p` averaged, the
//! others as ratios of sums) and the 95% interval is the jackknife over
//! runs with Student's t.
//!
//! Streams: segment `s` of a case (numbered in the order the host makes them,
//! the same on every backend) draws its noise from counter word `2 s` and its
//! bridge uniforms from `2 s + 1` of key `[seed, case | Rare]`; the choice of
//! parents from word `2^31 + run` of the same key.

pub use crate::spec::rare::{levels, Levels, RareFile, RareSettings};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::kernel::simulate::{Code, SegmentEnd, Segments};
use crate::rng::threefry::threefry2x32_20;
use crate::rng::{Purpose, StreamKey};
use crate::spec::{Experiment, MAX_DIM};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

type State = [f32; MAX_DIM];

/// Largest segment number of a case (counter words `2 s + 1` stay below 2^31).
const MAX_SEGMENTS: u32 = 1 << 30;

/// One case's AMS estimate, as `result.json` gives it (times in time units).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RareEstimate {
    /// `"ams"`: adaptive multilevel splitting.
    pub method: String,
    /// Mean first-passage time `T dt`; null when every run died out (`p = 0`).
    pub mfpt: Option<f64>,
    /// Student-t 95% interval of `mfpt` from the jackknife over runs; null when
    /// `mfpt` or its standard error is null.
    pub ci95: Option<[f64; 2]>,
    /// Jackknife standard error of `mfpt`.
    pub standard_error: Option<f64>,
    /// `p`: probability of reaching the exit from a `Σ` entrance before `A`.
    pub p: f64,
    /// Student-t 95% interval of `p` from the spread of the runs' `p` (lower end at least 0).
    pub p_ci95: [f64; 2],
    /// `E[T_first] dt`: from the start to the first `Σ` entrance.
    pub t_first: f64,
    /// `E[T_loop] dt`: one failed cycle `Σ -> A -> Σ`.
    pub t_loop: f64,
    /// `E[T_reac] dt`: from the last `Σ` entrance to the exit; null when `p = 0`.
    pub t_reac: Option<f64>,
    /// The score levels of the case: start, `A`, `Σ` and exit.
    pub levels: LevelsRecord,
    /// Replicas per AMS run (`N`).
    pub replicas: u32,
    /// Replicas killed per round (`k`; more when levels tie).
    pub kill: u32,
    /// Independent AMS runs pooled into the estimate (`R`).
    pub runs: u32,
    /// Loops observed, over all runs.
    pub loops: u64,
    /// Rounds of splitting, over all runs.
    pub rounds: u64,
    /// Runs that reached `rare.max_rounds` before finishing (their `p` is then an over-estimate).
    pub unfinished_runs: u32,
    /// Steps simulated for this case: loops, replays and clones.
    pub steps: u64,
    /// Segments that diverged (killed first in their round).
    pub diverged: u64,
    /// Per run: `p` and `E[T_reac] dt`.
    pub per_run: Vec<RunRecord>,
}

/// The score levels of a case, in the file's units.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LevelsRecord {
    /// `"n . x"` (half-space, top), `"|x - c|"` (ball) or `"g = <formula>"` (formula exit).
    pub score: String,
    /// The score of the start point.
    pub start: f64,
    /// `A = {score <= a}` (contains the start).
    pub a: f64,
    /// `Σ = {score > sigma}`.
    pub sigma: f64,
    /// The exit's own level (the exit is `score >= exit`).
    pub exit: f64,
}

/// One AMS run of a case, as `per_run` of `result.json` gives it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    /// This run's `p`: its survival fractions times its fraction of replicas in the exit.
    pub p: f64,
    /// This run's `E[T_reac] dt`; null when no replica reached the exit.
    pub t_reac: Option<f64>,
    /// Rounds of splitting this run made.
    pub rounds: u32,
}

/// The segments of one batch, and their names.
#[derive(Default)]
struct Batch {
    start: Vec<f32>,
    counter: Vec<u32>,
    levels: Vec<[f32; 2]>,
}

impl Batch {
    fn push(&mut self, state: &State, dim: usize, counter: u32, levels: [f32; 2]) {
        self.start.extend_from_slice(&state[..dim]);
        self.counter.push(counter);
        self.levels.push(levels);
    }
}

/// What steps one case's batches, and counts their steps.
struct Stepper<'a> {
    backend: &'a dyn Backend,
    experiment: &'a Experiment,
    case: usize,
    next_segment: u32,
    steps: u64,
    cancel: Option<&'a AtomicBool>,
}

impl Stepper<'_> {
    /// Counter word 0 of a new segment.
    fn name(&mut self) -> Result<u32> {
        if self.next_segment >= MAX_SEGMENTS {
            return Err(Error::invalid(
                "rare",
                format!("more than {MAX_SEGMENTS} segments in case {}", self.case),
                "fewer replicas, runs or rounds",
            ));
        }
        self.next_segment += 1;
        Ok(2 * (self.next_segment - 1))
    }

    fn run(&mut self, batch: &Batch) -> Result<Vec<SegmentEnd>> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        if batch.counter.is_empty() {
            return Ok(Vec::new());
        }
        let segments = Segments {
            start: &batch.start,
            counter: &batch.counter,
            levels: &batch.levels,
        };
        let ends = self
            .backend
            .run_segments(self.experiment, self.case, &segments)?;
        self.steps += ends.iter().map(|e| e.steps as u64).sum::<u64>();
        if ends.iter().any(|e| e.code == Code::Censored) {
            return Err(Error::invalid(
                "max_steps",
                self.experiment.max_steps,
                format!(
                    "enough steps for every splitting segment of case {} to reach A, Σ or the exit (one ran max_steps steps): raise max_steps, or rare.level_a",
                    self.case
                ),
            ));
        }
        Ok(ends)
    }
}

/// Sums of one run's direct chains.
#[derive(Clone, Copy, Default)]
struct LoopSums {
    first_steps: u64,
    firsts: u64,
    loop_steps: u64,
    loops: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum Leg {
    First,
    ToA,
    ToSigma,
}

struct Chain {
    leg: Leg,
    state: State,
    /// Steps of the loop in progress.
    loop_steps: u64,
    loops: u32,
    done: bool,
}

/// A replica: its segment (start, stream) and how that ended.
#[derive(Clone, Copy)]
struct Replica {
    origin: State,
    counter: u32,
    /// Steps from its `Σ` entrance to `origin`.
    elapsed: u64,
    /// Best score (+inf once in the exit, -inf when diverged).
    best: f32,
    code: Code,
    steps: u32,
}

impl Replica {
    fn set_end(&mut self, end: &SegmentEnd) {
        self.code = end.code;
        self.steps = end.steps;
        self.best = match end.code {
            Code::Escaped => f32::INFINITY,
            Code::Diverged => f32::NEG_INFINITY,
            _ => end.best,
        };
    }
}

/// One AMS run in progress.
struct AmsRun {
    replicas: Vec<Replica>,
    log_p: f64,
    rounds: u32,
    finished: bool,
    /// Draws of its parent choices so far.
    draws: u32,
}

/// Estimate the mean first-passage time of case `case` by AMS on `backend`;
/// `progress` hears the fraction done (by runs finished), `cancel` stops it.
pub fn estimate(
    experiment: &Experiment,
    settings: &RareSettings,
    case: usize,
    backend: &dyn Backend,
    cancel: Option<&AtomicBool>,
) -> Result<RareEstimate> {
    let model = &experiment.cases[case].model;
    let levels = levels(settings, model)?;
    let dim = experiment.shape.dim;
    let n = settings.replicas as usize;
    let runs = settings.runs as usize;
    let mut stepper = Stepper {
        backend,
        experiment,
        case,
        next_segment: 0,
        steps: 0,
        cancel,
    };
    let mut diverged = 0u64;
    let mut start = [0f32; MAX_DIM];
    for (s, v) in start.iter_mut().zip(&model.start) {
        *s = *v as f32;
    }
    let (a, sigma) = (levels.kernel_a, levels.kernel_sigma);
    let to_sigma = [f32::NEG_INFINITY, sigma];
    let to_a = [a, f32::INFINITY];

    // 1. Loops: `n` chains per run.
    let mut chains: Vec<Chain> = (0..n * runs)
        .map(|_| Chain {
            leg: Leg::First,
            state: start,
            loop_steps: 0,
            loops: 0,
            done: false,
        })
        .collect();
    let mut sums = vec![LoopSums::default(); runs];
    let launch_limit = 1000 * (settings.loops as usize + 1);
    for launch in 0.. {
        let active: Vec<usize> = (0..chains.len()).filter(|&c| !chains[c].done).collect();
        if active.is_empty() {
            break;
        }
        if launch >= launch_limit {
            return Err(Error::invalid(
                "rare.level_sigma",
                levels.sigma,
                format!(
                    "a level from which escapes are rare: chains of case {case} still had no {} loops Σ -> A -> Σ after {launch_limit} legs (most reached the exit instead); simulate this case directly",
                    settings.loops
                ),
            ));
        }
        let mut batch = Batch::default();
        for &c in &active {
            let chain = &chains[c];
            let levels = if chain.leg == Leg::ToA {
                to_a
            } else {
                to_sigma
            };
            let counter = stepper.name()?;
            batch.push(&chain.state, dim, counter, levels);
        }
        let ends = stepper.run(&batch)?;
        for (&c, end) in active.iter().zip(&ends) {
            let chain = &mut chains[c];
            let run = c / n;
            let steps = end.steps as u64;
            match (chain.leg, end.code) {
                (Leg::First, Code::Cut) => {
                    sums[run].first_steps += steps;
                    sums[run].firsts += 1;
                    chain.state = end.state;
                    chain.leg = Leg::ToA;
                    chain.loop_steps = 0;
                }
                (Leg::ToA, Code::Returned) => {
                    chain.loop_steps += steps;
                    chain.state = end.state;
                    chain.leg = Leg::ToSigma;
                }
                (Leg::ToSigma, Code::Cut) => {
                    chain.loop_steps += steps;
                    sums[run].loop_steps += chain.loop_steps;
                    sums[run].loops += 1;
                    chain.loops += 1;
                    chain.state = end.state;
                    if chain.loops >= settings.loops {
                        chain.done = true;
                    } else {
                        chain.leg = Leg::ToA;
                        chain.loop_steps = 0;
                    }
                }
                (_, code) => {
                    // The exit (a successful cycle) or divergence: start over.
                    diverged += (code == Code::Diverged) as u64;
                    chain.leg = Leg::First;
                    chain.state = start;
                    chain.loop_steps = 0;
                }
            }
        }
    }

    // 2. Splitting: the replicas start at the chains' last Σ entrances.
    let mut batch = Batch::default();
    for chain in &chains {
        let counter = stepper.name()?;
        batch.push(&chain.state, dim, counter, to_a);
    }
    let ends = stepper.run(&batch)?;
    let mut ams: Vec<AmsRun> = (0..runs)
        .map(|r| AmsRun {
            replicas: (0..n)
                .map(|i| {
                    let k = r * n + i;
                    let mut replica = Replica {
                        origin: chains[k].state,
                        counter: batch.counter[k],
                        elapsed: 0,
                        best: 0.0,
                        code: Code::Running,
                        steps: 0,
                    };
                    replica.set_end(&ends[k]);
                    diverged += (ends[k].code == Code::Diverged) as u64;
                    replica
                })
                .collect(),
            log_p: 0.0,
            rounds: 0,
            finished: false,
            draws: 0,
        })
        .collect();
    let key = StreamKey::new(experiment.seed, experiment.cases[case].index, Purpose::Rare).0;
    let k = settings.kill as usize;
    loop {
        // (run, killed replica, parent) of every clone of this round
        let mut clones: Vec<(usize, usize, usize)> = Vec::new();
        let mut replays = Batch::default();
        // (run, parent) of each replay, in batch order
        let mut replayed: Vec<(usize, usize)> = Vec::new();
        for (r, run) in ams.iter_mut().enumerate() {
            if run.finished {
                continue;
            }
            let mut bests: Vec<f32> = run.replicas.iter().map(|x| x.best).collect();
            bests.sort_by(f32::total_cmp);
            let level = bests[k - 1];
            if level == f32::INFINITY || run.rounds >= settings.max_rounds {
                run.finished = true;
                continue;
            }
            let (killed, survivors) = split_at(&run.replicas, level);
            if killed.len() == n {
                // every replica at the same level: extinction, p = 0
                run.log_p = f64::NEG_INFINITY;
                run.finished = true;
                continue;
            }
            run.rounds += 1;
            run.log_p += (1.0 - killed.len() as f64 / n as f64).ln();
            let mut parents: Vec<usize> = Vec::with_capacity(killed.len());
            for &i in &killed {
                let parent = pick_parent(key, r, run.draws, &survivors);
                run.draws += 1;
                parents.push(parent);
                clones.push((r, i, parent));
            }
            parents.sort_unstable();
            parents.dedup();
            for p in parents {
                let parent = &run.replicas[p];
                replays.push(
                    &parent.origin,
                    dim,
                    parent.counter,
                    [f32::NEG_INFINITY, level],
                );
                replayed.push((r, p));
            }
        }
        if clones.is_empty() {
            break;
        }
        let cuts = stepper.run(&replays)?;
        let cut_of = |r: usize, p: usize| -> &SegmentEnd {
            let at = replayed
                .binary_search(&(r, p))
                .expect("every parent was replayed");
            &cuts[at]
        };
        let mut batch = Batch::default();
        // (run, replica, its new value, whether it was stepped in `batch`)
        let mut updates: Vec<(usize, usize, Replica, bool)> = Vec::new();
        for &(r, i, p) in &clones {
            let parent = ams[r].replicas[p];
            let cut = cut_of(r, p);
            match cut.code {
                // the parent's path is in the exit by the time it passes the
                // level: the clone is that path
                Code::Escaped => updates.push((r, i, parent, false)),
                Code::Cut => {
                    let counter = stepper.name()?;
                    batch.push(&cut.state, dim, counter, to_a);
                    let clone = Replica {
                        origin: cut.state,
                        counter,
                        elapsed: parent.elapsed + cut.steps as u64,
                        best: 0.0,
                        code: Code::Running,
                        steps: 0,
                    };
                    updates.push((r, i, clone, true));
                }
                other => {
                    return Err(Error::Gpu(format!(
                        "a replayed splitting segment ended {other:?} before passing the level its first run passed: the backend does not replay its streams exactly"
                    )))
                }
            }
        }
        let ends = stepper.run(&batch)?;
        let mut next_end = ends.iter();
        for (r, i, mut replica, stepped) in updates {
            if stepped {
                let end = next_end.next().expect("one end per clone");
                diverged += (end.code == Code::Diverged) as u64;
                replica.set_end(end);
            }
            ams[r].replicas[i] = replica;
        }
    }

    Ok(combine(
        experiment,
        case,
        settings,
        &levels,
        &sums,
        &ams,
        stepper.steps,
        diverged,
    ))
}

/// The replicas a round at `level` kills (their best score at or below it)
/// and those it keeps (strictly above: only these may be parents, whose
/// paths pass the level), by index.
fn split_at(replicas: &[Replica], level: f32) -> (Vec<usize>, Vec<usize>) {
    (0..replicas.len()).partition(|&i| replicas[i].best <= level)
}

/// Draw `draw` of run `run`'s parent choices: one of `survivors`, uniformly,
/// from counter `[2^31 + run, draw]` of the case's key `key`, beyond every
/// segment's counters (`2 s` and `2 s + 1`, `s` < 2^30; docs/rare-events.md).
fn pick_parent(key: [u32; 2], run: usize, draw: u32, survivors: &[usize]) -> usize {
    let w = threefry2x32_20([(1 << 31) | run as u32, draw], key);
    survivors[((w[0] as u64 * survivors.len() as u64) >> 32) as usize]
}

/// One run's numbers, in steps.
#[derive(Clone, Copy)]
struct RunNumbers {
    sums: LoopSums,
    p: f64,
    /// Mean steps from the Σ entrance to the exit of the replicas in the exit.
    reac: Option<f64>,
}

/// The jackknife standard error over runs of the pooled estimate, in steps
/// (`None` when a leave-one-out set has no estimate).
fn jackknife(numbers: &[RunNumbers]) -> Option<f64> {
    let r = numbers.len();
    let leave_out: Option<Vec<f64>> = (0..r)
        .map(|i| {
            let rest: Vec<RunNumbers> = numbers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, x)| *x)
                .collect();
            pooled(&rest).map(|x| x.total)
        })
        .collect();
    leave_out.map(|values| {
        let mean = values.iter().sum::<f64>() / r as f64;
        ((r - 1) as f64 / r as f64 * values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()).sqrt()
    })
}

/// The pooled estimate of a set of runs, in steps.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pooled {
    /// `E[T_first] + (1/p - 1) E[T_loop] + E[T_reac]`.
    total: f64,
    /// The mean over runs of the probability of reaching the exit before `A`.
    p: f64,
    /// `E[T_first]`: steps from the start to the first entrance of Σ.
    first: f64,
    /// `E[T_loop]`: steps of a loop Σ -> A -> Σ.
    cycle: f64,
    /// `E[T_reac]`: steps from the Σ entrance to the exit, weighted by `p`.
    reac: f64,
}

/// The pooled estimate of a set of runs (`None` when no run has a replica in the exit).
fn pooled(runs: &[RunNumbers]) -> Option<Pooled> {
    let sum = |f: &dyn Fn(&RunNumbers) -> f64| runs.iter().map(f).sum::<f64>();
    let first = sum(&|r| r.sums.first_steps as f64) / sum(&|r| r.sums.firsts as f64);
    let cycle = sum(&|r| r.sums.loop_steps as f64) / sum(&|r| r.sums.loops as f64);
    let p = sum(&|r| r.p) / runs.len() as f64;
    let weight = sum(&|r| if r.reac.is_some() { r.p } else { 0.0 });
    let reac = (weight > 0.0).then(|| sum(&|r| r.p * r.reac.unwrap_or(0.0)) / weight)?;
    Some(Pooled {
        total: first + (1.0 / p - 1.0) * cycle + reac,
        p,
        first,
        cycle,
        reac,
    })
}

#[allow(clippy::too_many_arguments)]
fn combine(
    experiment: &Experiment,
    case: usize,
    settings: &RareSettings,
    levels: &Levels,
    sums: &[LoopSums],
    ams: &[AmsRun],
    steps: u64,
    diverged: u64,
) -> RareEstimate {
    let dt = experiment.cases[case].model.dt;
    let n = settings.replicas as f64;
    let numbers: Vec<RunNumbers> = ams
        .iter()
        .zip(sums)
        .map(|(run, sums)| {
            let escaped: Vec<f64> = run
                .replicas
                .iter()
                .filter(|x| x.code == Code::Escaped)
                .map(|x| (x.elapsed + x.steps as u64) as f64)
                .collect();
            let p = run.log_p.exp() * escaped.len() as f64 / n;
            let reac =
                (!escaped.is_empty()).then(|| escaped.iter().sum::<f64>() / escaped.len() as f64);
            RunNumbers {
                sums: *sums,
                p,
                reac,
            }
        })
        .collect();
    let r = numbers.len();
    let t = crate::analysis::stats::student_t_quantile((r - 1) as f64, 0.975);
    let all = pooled(&numbers);
    let p_mean = numbers.iter().map(|x| x.p).sum::<f64>() / r as f64;
    let p_sd =
        (numbers.iter().map(|x| (x.p - p_mean).powi(2)).sum::<f64>() / (r - 1) as f64).sqrt();
    let p_half = t * p_sd / (r as f64).sqrt();
    let se = jackknife(&numbers);
    let first = numbers.iter().map(|x| x.sums.first_steps).sum::<u64>() as f64
        / numbers.iter().map(|x| x.sums.firsts).sum::<u64>() as f64;
    let loops = numbers.iter().map(|x| x.sums.loops).sum::<u64>();
    let cycle = numbers.iter().map(|x| x.sums.loop_steps).sum::<u64>() as f64 / loops as f64;
    let (mfpt, ci95, standard_error, reac) = match (all, se) {
        (Some(Pooled { total, reac, .. }), Some(se)) => (
            Some(total * dt),
            Some([(total - t * se) * dt, (total + t * se) * dt]),
            Some(se * dt),
            Some(reac),
        ),
        (Some(Pooled { total, reac, .. }), None) => (Some(total * dt), None, None, Some(reac)),
        _ => (None, None, None, None),
    };
    let model = &experiment.cases[case].model;
    RareEstimate {
        method: "ams".into(),
        mfpt,
        ci95,
        standard_error,
        p: p_mean,
        p_ci95: [(p_mean - p_half).max(0.0), p_mean + p_half],
        t_first: first * dt,
        t_loop: cycle * dt,
        t_reac: reac.map(|x| x * dt),
        levels: LevelsRecord {
            score: match &model.exit {
                crate::spec::ExitParams::Ball(_) => "|x - c|".to_string(),
                crate::spec::ExitParams::ExprExit(e) => format!("g = {}", e.formula.source),
                _ => "n . x".to_string(),
            },
            start: levels.start,
            a: levels.a,
            sigma: levels.sigma,
            exit: levels.exit,
        },
        replicas: settings.replicas,
        kill: settings.kill,
        runs: settings.runs,
        loops,
        rounds: ams.iter().map(|x| x.rounds as u64).sum(),
        unfinished_runs: ams
            .iter()
            .filter(|x| x.rounds >= settings.max_rounds)
            .count() as u32,
        steps,
        diverged,
        per_run: numbers
            .iter()
            .zip(ams)
            .map(|(x, run)| RunRecord {
                p: x.p,
                t_reac: x.reac.map(|v| v * dt),
                rounds: run.rounds,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
