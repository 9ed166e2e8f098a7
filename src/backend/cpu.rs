//! The CPU backend: rayon over units of trajectories, each unit integrated in
//! lane groups by [`crate::kernel::simulate`], compiled for AVX-512, AVX2 or
//! baseline x86-64 and chosen at run time. Results do not depend on the
//! thread count: tallies are integers and streams are keyed by trajectory.

use super::{Progress, RunOutput};
use crate::dynamics::Dynamics;
use crate::error::{Error, Result};
use crate::kernel::exits::ExitSet;
use crate::kernel::noise::Noise;
use crate::kernel::potentials::Potential;
use crate::kernel::simulate::{simulate, CaseKernel, Outcome, SegmentEnd, Segments, Underdamped};
use crate::kernel::{DimVisitor, Dims};
use crate::model::exit::{ExitModel, ExitVisitor};
use crate::model::noise::{NoiseModel, NoiseVisitor};
use crate::model::potential::{PotentialModel, PotentialVisitor};
use crate::model::FromCase;
use crate::observables::{FptBins, Tally};
use crate::rng::{Purpose, StreamKey};
pub use crate::simd::Isa;
use crate::spec::{Case, Experiment};
use rayon::prelude::*;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Trajectories per rayon work item.
const UNIT: u32 = 4096;
/// First-passage file value of a diverged trajectory.
pub const DIVERGED_MARK: u32 = u32::MAX;

/// A description of this CPU for reports.
pub fn device_name() -> String {
    format!("CPU ({} kernels)", Isa::detect().name())
}

/// The CPU backend as a [`super::Backend`].
pub struct Cpu;

impl super::Backend for Cpu {
    fn run(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
    ) -> crate::error::Result<RunOutput> {
        Ok(run(experiment, progress))
    }
    fn run_cancellable(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> crate::error::Result<RunOutput> {
        run_cancellable(experiment, progress, Some(cancel))
    }
    fn run_segments(
        &self,
        experiment: &Experiment,
        case: usize,
        segments: &Segments,
    ) -> Result<Vec<SegmentEnd>> {
        Ok(run_segments(experiment, case, segments))
    }
    fn backend(&self) -> &'static str {
        "cpu"
    }
    fn device(&self) -> String {
        device_name()
    }
}

/// One unit of work: trajectories `start .. start + len` of a case.
struct Unit<'a> {
    case: usize,
    start: u32,
    len: u32,
    first_passage: Option<&'a mut [u32]>,
    /// The run's cancel flag, which the kernel looks at every millisecond or so.
    cancel: Option<&'a AtomicBool>,
    /// Rare-event segments (`start .. start + len` of these) instead of trajectories.
    segments: Option<&'a Segments<'a>>,
}

/// Where a unit writes what each trajectory or segment gave.
enum PerTrajectory<'a> {
    /// First-passage steps (the first-passage file).
    FirstPassage(&'a mut [u32]),
    /// How each rare-event segment ended.
    Segments(&'a mut [SegmentEnd]),
}

/// Segments per rayon work item (few: a round of splitting has few segments).
const SEGMENT_UNIT: u32 = 256;

/// Run rare-event segments of case `case` (an index into `experiment.cases`)
/// on all rayon threads: each from its own start on its own stream (purpose
/// [`Purpose::Rare`]) to its exit, its levels or `experiment.max_steps`.
pub fn run_segments(experiment: &Experiment, case: usize, segments: &Segments) -> Vec<SegmentEnd> {
    let count = segments.counter.len();
    let mut ends = vec![SegmentEnd::default(); count];
    let isa = Isa::detect();
    let fpt_bins = FptBins::new(experiment.max_steps);
    ends.par_chunks_mut(SEGMENT_UNIT as usize)
        .enumerate()
        .for_each(|(k, out)| {
            let unit = Unit {
                case,
                start: k as u32 * SEGMENT_UNIT,
                len: out.len() as u32,
                first_passage: None,
                cancel: None,
                segments: Some(segments),
            };
            let model = &experiment.cases[case];
            let out = Some(PerTrajectory::Segments(out));
            run_unit(experiment, model, &unit, isa, &fpt_bins, out);
        });
    ends
}

/// Run trajectories `experiment.range` of every case on all rayon threads.
pub fn run(experiment: &Experiment, progress: Progress<'_>) -> RunOutput {
    run_cancellable(experiment, progress, None).expect("a run without a cancel flag completes")
}

/// [`run`], stopped within milliseconds when `cancel` is set ([`Error::Cancelled`]).
pub fn run_cancellable(
    experiment: &Experiment,
    progress: Progress<'_>,
    cancel: Option<&AtomicBool>,
) -> Result<RunOutput> {
    let started = Instant::now();
    let range = experiment.range.clone();
    let n = range.len() as u32;
    let mut first_passage = experiment
        .observe
        .fpt_file
        .map(|_| vec![0u32; experiment.total_trajectories() as usize]);

    let mut units: Vec<Unit> = Vec::new();
    match first_passage.as_mut() {
        Some(all) => {
            for (case, per_case) in all.chunks_mut(n as usize).enumerate() {
                for (k, slice) in per_case.chunks_mut(UNIT as usize).enumerate() {
                    units.push(Unit {
                        case,
                        start: range.start + k as u32 * UNIT,
                        len: slice.len() as u32,
                        first_passage: Some(slice),
                        cancel,
                        segments: None,
                    });
                }
            }
        }
        None => {
            for case in 0..experiment.cases.len() {
                for start in range.clone().step_by(UNIT as usize) {
                    units.push(Unit {
                        case,
                        start,
                        len: UNIT.min(range.end - start),
                        first_passage: None,
                        cancel,
                        segments: None,
                    });
                }
            }
        }
    }

    let isa = Isa::detect();
    let fpt_bins = FptBins::new(experiment.max_steps);
    let empty = || vec![Tally::of(experiment, &fpt_bins); experiment.cases.len()];
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let tallies = units
        .into_par_iter()
        .fold(empty, |mut tallies, mut unit| {
            if cancelled() {
                return tallies;
            }
            let case = &experiment.cases[unit.case];
            let out = unit.first_passage.take().map(PerTrajectory::FirstPassage);
            let tally = run_unit(experiment, case, &unit, isa, &fpt_bins, out);
            tallies[unit.case].merge(&tally);
            progress(unit.len as u64);
            tallies
        })
        .reduce(empty, |mut a, b| {
            for (x, y) in a.iter_mut().zip(&b) {
                x.merge(y);
            }
            a
        });

    if cancelled() {
        return Err(Error::Cancelled);
    }
    Ok(RunOutput {
        backend: "cpu".into(),
        device: device_name(),
        tallies,
        first_passage,
        wall_time: started.elapsed(),
    })
}

/// Simulate one unit with the kernel specialized for the experiment's shape:
/// the potential's kernel (by the registry), the noise's, the array size the
/// potential allows ([`crate::kernel::Dims`]) and the exit set's.
fn run_unit(
    experiment: &Experiment,
    case: &Case,
    unit: &Unit,
    isa: Isa,
    fpt_bins: &FptBins,
    first_passage: Option<PerTrajectory<'_>>,
) -> Tally {
    experiment.shape.potential.visit(UnitJob {
        experiment,
        case,
        unit,
        isa,
        fpt_bins,
        first_passage,
    })
}

/// One unit to simulate, on its way to a kernel specialized for its types.
struct UnitJob<'a, 'u> {
    experiment: &'a Experiment,
    case: &'a Case,
    unit: &'a Unit<'u>,
    isa: Isa,
    fpt_bins: &'a FptBins,
    first_passage: Option<PerTrajectory<'a>>,
}

impl<'a> PotentialVisitor<'a> for UnitJob<'a, '_> {
    type Output = Tally;
    fn visit<P: PotentialModel>(self) -> Tally {
        let noise = self.experiment.shape.noise;
        noise.visit(WithPotential::<'_, '_, P> {
            job: self,
            potential: PhantomData,
        })
    }
}

/// A unit whose potential is chosen.
struct WithPotential<'a, 'u, P> {
    job: UnitJob<'a, 'u>,
    potential: PhantomData<P>,
}

impl<'a, P: PotentialModel> NoiseVisitor for WithPotential<'a, '_, P> {
    type Output = Tally;
    fn visit<N: NoiseModel>(self) -> Tally {
        P::Dims::dispatch(
            self.job.experiment.shape.dim,
            Typed::<'_, '_, P::Kernel<'a>, N::Kernel> {
                job: self.job,
                types: PhantomData,
            },
        )
    }
}

/// A unit whose potential and noise kernels are chosen.
struct Typed<'a, 'u, P, N> {
    job: UnitJob<'a, 'u>,
    types: PhantomData<(P, N)>,
}

impl<'a, P: Potential<'a> + FromCase<'a>, N: Noise + FromCase<'a>> DimVisitor
    for Typed<'a, '_, P, N>
{
    type Output = Tally;
    fn visit<const DIM: usize>(self) -> Tally {
        let exit = self.job.experiment.shape.exit;
        exit.visit(WithDim::<'_, '_, P, N, DIM> { typed: self })
    }
}

/// A unit whose potential, noise and array size are chosen.
struct WithDim<'a, 'u, P, N, const DIM: usize> {
    typed: Typed<'a, 'u, P, N>,
}

impl<'a, P: Potential<'a> + FromCase<'a>, N: Noise + FromCase<'a>, const DIM: usize> ExitVisitor
    for WithDim<'a, '_, P, N, DIM>
{
    type Output = Tally;
    fn visit<E: ExitModel>(self) -> Tally {
        let UnitJob {
            experiment,
            case,
            unit,
            isa,
            fpt_bins,
            first_passage,
        } = self.typed.job;
        dispatch::<P, N, E::Kernel, DIM>(experiment, case, unit, isa, fpt_bins, first_passage)
    }
}

fn dispatch<
    'a,
    P: Potential<'a> + FromCase<'a>,
    N: Noise + FromCase<'a>,
    E: ExitSet + FromCase<'a>,
    const DIM: usize,
>(
    experiment: &'a Experiment,
    case: &Case,
    unit: &Unit,
    isa: Isa,
    fpt_bins: &FptBins,
    first_passage: Option<PerTrajectory<'_>>,
) -> Tally {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `isa` was detected on this CPU by `Isa::detect`.
        match isa {
            Isa::Avx512 => unsafe {
                return unit_avx512::<P, N, E, DIM>(
                    experiment,
                    case,
                    unit,
                    fpt_bins,
                    first_passage,
                );
            },
            Isa::Avx2 => unsafe {
                return unit_avx2::<P, N, E, DIM>(experiment, case, unit, fpt_bins, first_passage);
            },
            Isa::Baseline => {}
        }
    }
    let _ = isa;
    unit_body::<P, N, E, DIM>(experiment, case, unit, fpt_bins, first_passage)
}

/// `unit_body` compiled with the target features of `$isa` (called only where detected).
macro_rules! unit_for_isa {
    ($isa:ident, $name:ident) => {
        crate::simd::$isa! {
            unsafe fn $name<'a, P: Potential<'a> + FromCase<'a>, N: Noise + FromCase<'a>, E: ExitSet + FromCase<'a>, const DIM: usize>(
                experiment: &'a Experiment,
                case: &Case,
                unit: &Unit,
                fpt_bins: &FptBins,
                first_passage: Option<PerTrajectory<'_>>,
            ) -> Tally {
                unit_body::<P, N, E, DIM>(experiment, case, unit, fpt_bins, first_passage)
            }
        }
    };
}
unit_for_isa!(avx512, unit_avx512);
unit_for_isa!(avx2, unit_avx2);

#[inline(always)]
fn unit_body<
    'a,
    P: Potential<'a> + FromCase<'a>,
    N: Noise + FromCase<'a>,
    E: ExitSet + FromCase<'a>,
    const DIM: usize,
>(
    experiment: &'a Experiment,
    case: &Case,
    unit: &Unit,
    fpt_bins: &FptBins,
    mut first_passage: Option<PerTrajectory<'_>>,
) -> Tally {
    let params = &experiment.record(case);
    // rare-event segments draw from their own streams, noise and bridge alike
    let (dynamics, bridge) = match unit.segments {
        None => (Purpose::Dynamics, Purpose::Bridge),
        Some(_) => (Purpose::Rare, Purpose::Rare),
    };
    let kernel = CaseKernel {
        potential: P::from_case(params, &experiment.data_set, &case.model),
        noise: N::from_case(params, &experiment.data_set, &case.model),
        exit: E::from_case(params, &experiment.data_set, &case.model),
        params,
        dim: experiment.shape.dim,
        key: StreamKey::new(experiment.seed, case.index, dynamics).0,
        bridge: experiment
            .shape
            .bridge
            .then(|| StreamKey::new(experiment.seed, case.index, bridge).0),
        cancel: unit.cancel,
        segments: unit.segments,
        coupled: experiment.coupled && unit.segments.is_none(),
        heavy_ball: experiment.shape.dynamics == Dynamics::HeavyBall,
        underdamped: (experiment.shape.dynamics == Dynamics::Underdamped).then(|| Underdamped {
            maxwell_key: StreamKey::new(experiment.seed, case.index, Purpose::Bridge).0,
        }),
    };
    let histogram = &experiment.observe.histogram;
    let dim = experiment.shape.dim;
    let mut tally = Tally::of(experiment, fpt_bins);
    simulate(&kernel, unit.start, unit.len, |outcome: Outcome<DIM>| {
        let k = (outcome.trajectory - unit.start) as usize;
        match first_passage.as_mut() {
            Some(PerTrajectory::Segments(ends)) => {
                let mut state = [0.0; crate::dynamics::MAX_DIM];
                state[..dim].copy_from_slice(&outcome.state[..dim]);
                ends[k] = SegmentEnd {
                    state,
                    code: outcome.code,
                    steps: outcome.steps,
                    best: outcome.best,
                };
                return;
            }
            Some(PerTrajectory::FirstPassage(out)) => {
                out[k] = if outcome.diverged {
                    DIVERGED_MARK
                } else {
                    outcome.first_passage
                };
            }
            None => {}
        }
        tally.add(
            outcome.first_passage,
            outcome.diverged,
            outcome.state.iter().take(dim).copied(),
            &outcome.velocity[..dim],
            histogram,
            fpt_bins,
        );
    });
    tally
}
