//! The `[rare]` table of an experiment file: adaptive multilevel splitting's
//! settings, and each case's levels of the score (docs/theory.md §7), validated with
//! errors that name the field.

use crate::error::{Error, Result};
use crate::model::exit::{Ball, HalfSpace};
use crate::spec::{CaseModel, ExitParams};
use serde::Deserialize;

/// `[rare]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RareFile {
    /// Replicas per AMS run (`N`).
    pub replicas: Option<i64>,
    /// Replicas killed per round (`k`; more when levels tie).
    pub kill: Option<i64>,
    /// Independent AMS runs per case (`R`): the interval comes from their spread.
    pub runs: Option<i64>,
    /// Loops `Σ -> A -> Σ` each direct chain makes before its last `Σ` entrance seeds a replica.
    pub loops: Option<i64>,
    /// Rounds allowed per AMS run.
    pub max_rounds: Option<i64>,
    /// The score level of `A`'s boundary (default: 5% of the way from the start to the exit).
    pub level_a: Option<f64>,
    /// The score level `Σ` (default: 10% of the way from the start to the exit).
    pub level_sigma: Option<f64>,
}

/// Validated `[rare]` settings (the same for every case).
#[derive(Clone, Debug, PartialEq)]
pub struct RareSettings {
    /// Replicas per AMS run `N`: 2 to [`MAX_REPLICAS`] (default 1000).
    pub replicas: u32,
    /// Replicas killed per round `k`, below `replicas` (default `replicas / 10`, at least 1).
    pub kill: u32,
    /// Independent AMS runs per case `R`: 2 to 10000 (default 10).
    pub runs: u32,
    /// Loops `Σ -> A -> Σ` per direct chain: 1 to 10000 (default 2).
    pub loops: u32,
    /// Rounds allowed per AMS run: 1 to 10^8 (default 10^6).
    pub max_rounds: u32,
    /// The score level of `A`'s boundary; `None`: [`DEFAULT_A_FRACTION`] of the way to the exit.
    pub level_a: Option<f64>,
    /// The score level `Σ`; `None`: [`DEFAULT_SIGMA_FRACTION`] of the way to the exit.
    pub level_sigma: Option<f64>,
}

/// Default fractions of the way from the start's score to the exit's.
pub const DEFAULT_A_FRACTION: f64 = 0.05;
/// Default fraction of the way from the start's score to the exit's at which `Σ` lies.
pub const DEFAULT_SIGMA_FRACTION: f64 = 0.1;
/// Largest number of replicas per run (segment names must stay below 2^30 per case).
pub const MAX_REPLICAS: i64 = 1 << 20;

fn integer(field: &str, value: Option<i64>, default: i64, lo: i64, hi: i64) -> Result<u32> {
    let v = value.unwrap_or(default);
    if v < lo || v > hi {
        return Err(Error::invalid(
            format!("rare.{field}"),
            v,
            format!("an integer from {lo} to {hi}"),
        ));
    }
    Ok(v as u32)
}

/// The default of `rare.loops`: 2 in 1-D, where a `Σ` entrance is one point
/// and the chain forgets its start at once; 30 in d > 1, where the entrance
/// point on the `Σ` surface must come from the cycles' stationary law. With
/// 2 loops in the plane the seeds keep the start's transverse coordinates:
/// on `assets/theorem7-double-well.toml`'s first case (150 runs of 500
/// replicas, dt = 0.002) the estimate was 5.3% high (z +4.7), with 30 loops
/// 0.6% (z +0.7).
pub fn default_loops(dim: usize) -> i64 {
    match dim {
        1 => 2,
        _ => 30,
    }
}

impl RareFile {
    /// Apply the defaults and check every field's range; errors name the `rare.` field.
    /// `dim` sets the default of `loops` ([`default_loops`]).
    pub fn validate(&self, dim: usize) -> Result<RareSettings> {
        let replicas = integer("replicas", self.replicas, 1000, 2, MAX_REPLICAS)?;
        let kill = integer(
            "kill",
            self.kill,
            (replicas as i64 / 10).max(1),
            1,
            i64::MAX,
        )?;
        if kill >= replicas {
            return Err(Error::invalid(
                "rare.kill",
                kill,
                format!(
                    "fewer than rare.replicas = {replicas} (killing every replica leaves none to clone)"
                ),
            ));
        }
        let runs = integer("runs", self.runs, 10, 2, 10_000)?;
        let loops = integer("loops", self.loops, default_loops(dim), 1, 10_000)?;
        let max_rounds = integer("max_rounds", self.max_rounds, 1_000_000, 1, 100_000_000)?;
        for (field, level) in [("level_a", self.level_a), ("level_sigma", self.level_sigma)] {
            if level.is_some_and(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    format!("rare.{field}"),
                    level.unwrap_or_default(),
                    "a finite number",
                ));
            }
        }
        Ok(RareSettings {
            replicas,
            kill,
            runs,
            loops,
            max_rounds,
            level_a: self.level_a,
            level_sigma: self.level_sigma,
        })
    }
}

/// One case's score levels, in the file's units (a half-space's `n . x`, a
/// ball's distance from its centre) and as the kernels compare them (f32; a
/// ball's squared distance).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Levels {
    /// The score of the start point.
    pub start: f64,
    /// `A = {score <= a}` (contains the start).
    pub a: f64,
    /// `Σ = {score > sigma}`.
    pub sigma: f64,
    /// The exit's own level (the exit is `score >= exit`).
    pub exit: f64,
    /// `a` as the kernels compare it (f32; squared for a ball).
    pub kernel_a: f32,
    /// `sigma` as the kernels compare it (f32; squared for a ball), above `kernel_a`.
    pub kernel_sigma: f32,
}

/// A point's score and the exit's level in file units, and how file units map to the kernels'.
pub type Scored = (f64, f64, fn(f64) -> f32);

/// The score of `x` under `exit` ([`Scored`]); `None` for exits without one.
pub fn score(exit: &ExitParams, x: &[f64]) -> Option<Scored> {
    match exit {
        ExitParams::HalfSpace(HalfSpace { normal, threshold }) if threshold.is_finite() => {
            let s = normal.iter().zip(x).map(|(n, x)| n * x).sum::<f64>();
            Some((s, *threshold, |v| v as f32))
        }
        // a formula exit g(x) >= 0: g is the score
        ExitParams::ExprExit(e) => Some((
            e.formula.program.eval(x, 0.0, 0.0, &e.values)[0],
            0.0,
            |v| v as f32,
        )),
        ExitParams::Ball(Ball { center, radius }) => {
            let s = center
                .iter()
                .zip(x)
                .map(|(c, x)| (x - c).powi(2))
                .sum::<f64>()
                .sqrt();
            Some((s, *radius, |v| (v * v) as f32))
        }
        _ => None,
    }
}

/// The levels of one case, checked: `start <= a < sigma < exit`.
pub fn levels(settings: &RareSettings, model: &CaseModel) -> Result<Levels> {
    let Some((start, exit, to_kernel)) = score(&model.exit, &model.start) else {
        let kind = match model.exit {
            ExitParams::None => "none",
            _ => model.exit.kind().name(),
        };
        return Err(Error::invalid(
            "exit.kind",
            format!("{kind:?}"),
            "\"top\", \"half-space\", \"ball\" or \"expr\" with [rare] (splitting needs a score that grows towards the exit: n . x, the distance from the centre, or the exit formula g)",
        ));
    };
    let between = |f: f64| start + f * (exit - start);
    let a = settings
        .level_a
        .unwrap_or_else(|| between(DEFAULT_A_FRACTION));
    let sigma = settings
        .level_sigma
        .unwrap_or_else(|| between(DEFAULT_SIGMA_FRACTION));
    if !(a >= start && a < exit) {
        return Err(Error::invalid(
            "rare.level_a",
            a,
            format!("a score from the start's ({start}) up to below the exit's ({exit}): A must hold the start"),
        ));
    }
    if !(sigma > a && sigma < exit) {
        return Err(Error::invalid(
            "rare.level_sigma",
            sigma,
            format!("a score above rare.level_a ({a}) and below the exit's ({exit})"),
        ));
    }
    let (kernel_a, kernel_sigma) = (to_kernel(a), to_kernel(sigma));
    if kernel_a >= kernel_sigma {
        return Err(Error::invalid(
            "rare.level_sigma",
            sigma,
            format!("a score distinguishable from rare.level_a ({a}) in single precision"),
        ));
    }
    Ok(Levels {
        start,
        a,
        sigma,
        exit,
        kernel_a,
        kernel_sigma,
    })
}
