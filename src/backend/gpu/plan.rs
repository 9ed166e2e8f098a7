//! The geometry of a GPU run as a pure value: how the trajectories of every
//! case are cut into slices, the lanes and workgroup grids of each slice, and
//! the size of every buffer. [`super::Gpu::run`] only carries it out; the unit
//! tests below check that every trajectory is covered once and that no
//! dispatch writes beyond a buffer (the grid's padding once did).

use crate::kernel::preprocess::WORKGROUP;
use crate::spec::{Experiment, NoiseParams};
use std::ops::Range;

/// Most trajectory-steps one `simulate` dispatch should cost (keeps each
/// dispatch far below OS GPU watchdogs on real GPUs).
pub const STEPS_PER_DISPATCH: u64 = 1 << 27;
/// Least and most steps per chunk.
pub const MIN_CHUNK: u32 = 100;
pub const MAX_CHUNK: u32 = 100_000;
/// Trajectory slots per `tally` workgroup (keep in sync with shaders/tally.wgsl).
pub const TALLY_SPAN: u64 = 16 * WORKGROUP as u64;
/// Step pairs a lane runs between two looks at its case's queue (keep in sync
/// with shaders/simulate.wgsl); budgets are multiples of twice this.
pub const BLOCK_PAIRS: u32 = 16;
/// Most invocations in one slice.
pub const MAX_SLICE: u64 = 1 << 22;

/// Iterations after which llvmpipe ends any one shader loop (`LP_MAX_TGSI_LOOP_ITERATIONS`);
/// a step pair is one iteration of the stepping loop, so `MAX_CHUNK / 2` stays below it.
pub const LLVMPIPE_LOOP_LIMIT: u32 = 65_535;

/// Most steps per dispatch: llvmpipe (lavapipe) stops every shader loop after
/// 65,535 iterations per invocation (gallivm's loop limiter), silently. The
/// data-set loops of paper-2d and sgd run many iterations per step, so a
/// software adapter gets chunks short enough to stay under the cap; a
/// hardware GPU has none (`u32::MAX`).
pub fn loop_cap(software: bool, experiment: &Experiment) -> u32 {
    if !software {
        return u32::MAX;
    }
    let n = (experiment.data_set.len() / 2).max(1) as u32;
    let d = experiment.shape.dim as u32;
    // Loop iterations per step, counted over every loop of the kernel:
    // the limiter's count is not per loop (alpha-stable chunks of 58k
    // steps lost trajectories, 15k did not), so every per-coordinate
    // loop (draws, gradient, step, bounds, exit) counts too.
    let coordinate_loops = 8 * d;
    let data_loops = match experiment.shape.noise {
        noise if noise.minibatch() => {
            let batch = experiment
                .cases
                .iter()
                .filter_map(|c| match c.model.noise {
                    NoiseParams::Sgd(sgd) => Some(sgd.batch),
                    _ => None,
                })
                .max();
            batch.unwrap_or(1).div_ceil(2) * (1 + 2 * d)
        }
        // gradient, and the loss of power-law-loss, each a loop over the data per coordinate
        noise if noise.uses_loss() && !experiment.data_set.is_empty() => 2 * d * n,
        _ if !experiment.data_set.is_empty() => d * n,
        _ => 0,
    };
    let per_step = 2 + coordinate_loops + data_loops;
    // half the cap: the limiter also counts the loops around these
    (LLVMPIPE_LOOP_LIMIT / (2 * per_step)).max(2)
}

/// What a plan needs to know of the device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceLimits {
    /// `max_storage_buffer_binding_size`, bytes.
    pub binding: u64,
    /// `max_compute_workgroups_per_dimension`.
    pub workgroups_per_dimension: u32,
    /// A software adapter (llvmpipe): long lanes, a loop cap.
    pub software: bool,
}

/// One slice: trajectories `first_trajectory .. + count` of cases
/// `first_case .. + cases`, case slot `c` in trajectory slots `c * per_case ..`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slice {
    pub first_case: u64,
    pub cases: u64,
    pub first_trajectory: u64,
    pub count: u64,
    /// Slots per case slot: `count` rounded up to a workgroup.
    pub per_case: u64,
    /// Slots of the slice: `per_case * cases`.
    pub total: u64,
    pub lanes_per_case: u64,
    /// Steps per lane in one `simulate` dispatch (a multiple of `2 BLOCK_PAIRS`).
    pub budget: u32,
    /// Workgroup grids of `init` (one invocation per slot), `simulate` (per lane)
    /// and `tally` (`tally_groups` groups of `TALLY_SPAN` slots).
    pub init_grid: (u32, u32),
    pub simulate_grid: (u32, u32),
    pub tally_grid: (u32, u32),
    pub tally_groups: u64,
}

impl Slice {
    pub fn lanes(&self) -> u64 {
        self.lanes_per_case * self.cases
    }
}

/// The slices of a run and the buffer sizes that hold any of them.
#[derive(Clone, Debug, PartialEq)]
pub struct SlicePlan {
    pub trajectories_per_slice: u64,
    pub cases_per_slice: u64,
    /// Slots of the largest slice (state, progress).
    pub max_slots: u64,
    /// Lanes of the largest slice.
    pub max_lanes: u64,
    /// Words of the count rows (`cases_per_slice` rows of `row_width`).
    pub count_words: u64,
    /// Words of the tally partials (`partial_stride` per tally group).
    pub partial_words: u64,
    pub partial_stride: u64,
    pub slices: Vec<Slice>,
}

/// (trajectories per lane, least lanes per slice) of the lanes that step a slice.
pub fn lane_shape(software: bool) -> (u64, u64) {
    // A CPU's SIMD groups are few (8 lanes wide on llvmpipe): many trajectories
    // per lane, so that the tail where lanes run out of work stays short. A GPU
    // needs about 2^18 lanes in flight to fill it.
    if software {
        (16, 1 << 11)
    } else {
        (4, 1 << 18)
    }
}

/// Lanes per case slot for `count` trajectories of each of `cases` cases: each
/// lane steps one at a time and takes its case's next unstarted one when it ends.
pub fn lanes_per_case(count: u64, cases: u64, software: bool) -> u64 {
    let (share, least) = lane_shape(software);
    count
        .div_ceil(share)
        .max(least.div_ceil(cases))
        .min(count)
        .max(1)
}

/// Workgroup grid covering `workgroups` groups: one row up to the
/// per-dimension limit, beyond it rows of equal length, so that fewer than
/// `rows` groups are padding. (A full 2^22 slice as 65,535 x 2 groups, half
/// of them padding, ran at half speed on llvmpipe's two threads, as if each
/// thread got a contiguous half of the groups.)
pub fn grid(workgroups: u32, per_dimension: u32) -> (u32, u32) {
    let workgroups = workgroups.max(1);
    let rows = workgroups.div_ceil(per_dimension);
    (workgroups.div_ceil(rows), rows)
}

impl SlicePlan {
    /// Slices of trajectories `range` of each of `cases` cases whose tally
    /// keeps `moments` 128-bit moment sums per trajectory (`MOMENTS` of the
    /// kernels: `2 dim`, or `4 dim` with the velocity's), with `state_words`
    /// f32 of state per trajectory (`dim`, or `2 dim` with a velocity), with count rows of `row_width` words, on `limits`; `loop_cap`
    /// bounds the steps per dispatch (llvmpipe's loop limit; `u32::MAX` for none).
    pub fn new(
        limits: DeviceLimits,
        range: Range<u64>,
        cases: u64,
        moments: usize,
        state_words: usize,
        row_width: usize,
        loop_cap: u32,
    ) -> SlicePlan {
        let wg = WORKGROUP as u64;
        let binding = limits.binding;
        let budget = (MAX_SLICE
            .min(binding / (4 * state_words as u64))
            .min(binding / 8)
            / wg
            * wg)
            .max(wg);
        let n = range.end - range.start;
        let per_case_full = n.next_multiple_of(wg);
        let (trajectories_per_slice, cases_per_slice) = if per_case_full >= budget {
            (budget, 1)
        } else {
            let by_counts = (binding / (row_width as u64 * 4)).max(1);
            (n, (budget / per_case_full).clamp(1, cases).min(by_counts))
        };
        let per_case = trajectories_per_slice.next_multiple_of(wg);
        let partial_stride = 6 + 4 * moments as u64;
        let (share, least) = lane_shape(limits.software);

        let mut slices = Vec::new();
        let mut first_case = 0u64;
        while first_case < cases {
            let slice_cases = cases_per_slice.min(cases - first_case);
            let mut first_trajectory = range.start;
            while first_trajectory < range.end {
                let count = trajectories_per_slice.min(range.end - first_trajectory);
                let per_case = count.next_multiple_of(wg);
                let total = per_case * slice_cases;
                let lanes_per_case = lanes_per_case(count, slice_cases, limits.software);
                let lanes_total = lanes_per_case * slice_cases;
                let steps = ((STEPS_PER_DISPATCH / lanes_total)
                    .clamp(MIN_CHUNK as u64, MAX_CHUNK as u64) as u32)
                    .min(loop_cap);
                let tally_groups = slice_cases * per_case.div_ceil(TALLY_SPAN);
                let per_dimension = limits.workgroups_per_dimension;
                slices.push(Slice {
                    first_case,
                    cases: slice_cases,
                    first_trajectory,
                    count,
                    per_case,
                    total,
                    lanes_per_case,
                    budget: (steps / (2 * BLOCK_PAIRS)).max(1) * (2 * BLOCK_PAIRS),
                    init_grid: grid((total / wg) as u32, per_dimension),
                    simulate_grid: grid(lanes_total.div_ceil(wg) as u32, per_dimension),
                    tally_grid: grid(tally_groups as u32, per_dimension),
                    tally_groups,
                });
                first_trajectory += count;
            }
            first_case += slice_cases;
        }
        SlicePlan {
            trajectories_per_slice,
            cases_per_slice,
            max_slots: per_case * cases_per_slice,
            max_lanes: (trajectories_per_slice.div_ceil(share) * cases_per_slice)
                .max(least + cases_per_slice),
            count_words: cases_per_slice * row_width as u64,
            partial_words: per_case.div_ceil(TALLY_SPAN) * cases_per_slice * partial_stride,
            partial_stride,
            slices,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAVAPIPE: DeviceLimits = DeviceLimits {
        binding: 128 << 20,
        workgroups_per_dimension: 65_535,
        software: true,
    };
    const GPU: DeviceLimits = DeviceLimits {
        binding: 2 << 30,
        workgroups_per_dimension: 65_535,
        software: false,
    };
    /// A small device: slices of a few thousand slots, grids of 2-D rows.
    const TINY: DeviceLimits = DeviceLimits {
        binding: 1 << 16,
        workgroups_per_dimension: 7,
        software: false,
    };

    /// Plans across the regimes: many cases per slice, one case cut into many
    /// slices, a shard's range, 2-D grids; with their range and case count.
    fn plans() -> Vec<(SlicePlan, Range<u64>, u64)> {
        let mut out = Vec::new();
        for limits in [LAVAPIPE, GPU, TINY] {
            for (range, cases) in [
                (0..1u64, 1u64),
                (0..1000, 7),
                (0..(1 << 20), 3),
                (0..(1 << 24), 1),
                (12_345..100_000, 5),
                (0..65, 40_000),
            ] {
                for dim in [1, 2, 8] {
                    let row_width = 131 + dim * 102;
                    let plan = SlicePlan::new(
                        limits,
                        range.clone(),
                        cases,
                        2 * dim,
                        dim,
                        row_width,
                        u32::MAX,
                    );
                    out.push((plan, range.clone(), cases));
                }
            }
        }
        out
    }

    #[test]
    fn every_trajectory_of_every_case_is_in_exactly_one_slice() {
        for (plan, range, cases) in plans() {
            let n = range.end - range.start;
            let covered: u64 = plan.slices.iter().map(|s| s.count * s.cases).sum();
            assert_eq!(covered, n * cases, "{range:?} x {cases}");
            if n * cases > 1 << 22 {
                continue;
            }
            let mut seen = vec![0u8; (n * cases) as usize];
            for s in &plan.slices {
                for case in s.first_case..s.first_case + s.cases {
                    for t in s.first_trajectory..s.first_trajectory + s.count {
                        seen[(case * n + t - range.start) as usize] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{range:?} x {cases}");
        }
    }

    #[test]
    fn no_slice_outgrows_its_buffers_or_the_binding() {
        let wg = WORKGROUP as u64;
        for (plan, _, _) in plans() {
            for s in &plan.slices {
                assert_eq!(s.per_case % wg, 0, "{s:?}");
                assert!(s.count <= s.per_case && s.per_case < s.count + wg);
                assert_eq!(s.total, s.per_case * s.cases);
                assert!(s.total <= plan.max_slots, "{s:?} {plan:?}");
                assert!(s.lanes() <= plan.max_lanes, "{s:?}");
                assert!(s.lanes_per_case >= 1 && s.lanes_per_case <= s.count);
                assert!(s.cases <= plan.cases_per_slice);
                assert!(
                    s.tally_groups * plan.partial_stride <= plan.partial_words,
                    "{s:?}"
                );
                assert!(s.budget >= 2 * BLOCK_PAIRS && s.budget % (2 * BLOCK_PAIRS) == 0);
            }
        }
        for (limits, dim) in [(LAVAPIPE, 1usize), (LAVAPIPE, 8), (TINY, 8), (GPU, 8)] {
            // with a velocity block: twice the state words
            let plan = SlicePlan::new(limits, 0..(1 << 24), 2, 2 * dim, 2 * dim, 131, u32::MAX);
            // state (f32 per coordinate) and progress (two u32) within one binding
            assert!(
                plan.max_slots * 8 * dim as u64 <= limits.binding,
                "{limits:?} dim {dim}"
            );
            assert!(plan.max_slots * 8 <= limits.binding);
        }
    }

    #[test]
    fn grids_cover_their_groups_with_fewer_padding_groups_than_rows() {
        for per_dimension in [1u32, 7, 65_535] {
            for groups in [0u32, 1, 6, 7, 8, 49, 50, 65_535, 65_536, 131_071, 1 << 22] {
                let (x, y) = grid(groups, per_dimension);
                assert!(x <= per_dimension && x >= 1 && y >= 1);
                let covered = x as u64 * y as u64;
                assert!(covered >= groups.max(1) as u64);
                assert!(
                    covered - (groups.max(1) as u64) < y as u64,
                    "{groups} on {per_dimension}: {x} x {y}"
                );
            }
        }
        for (plan, _, _) in plans() {
            for s in &plan.slices {
                let groups = |(x, y): (u32, u32)| x as u64 * y as u64;
                assert!(groups(s.init_grid) * WORKGROUP as u64 >= s.total);
                assert!(groups(s.simulate_grid) * WORKGROUP as u64 >= s.lanes());
                assert!(groups(s.tally_grid) >= s.tally_groups);
            }
        }
    }

    #[test]
    fn budgets_respect_the_loop_cap_and_the_dispatch_size() {
        let plan = SlicePlan::new(LAVAPIPE, 0..(1 << 20), 1, 4, 2, 335, 300);
        assert!(plan
            .slices
            .iter()
            .all(|s| s.budget <= 300 && s.budget >= 2 * BLOCK_PAIRS));
        let plan = SlicePlan::new(GPU, 0..(1 << 22), 1, 2, 1, 233, u32::MAX);
        for s in &plan.slices {
            assert!(
                s.budget as u64 * s.lanes() <= STEPS_PER_DISPATCH.max(MIN_CHUNK as u64 * s.lanes())
            );
        }
    }

    #[test]
    fn loop_caps_keep_llvmpipe_under_its_loop_limit() {
        let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/");
        for file in [
            "bench/w1.toml",
            "bench/w3.toml",
            "bench/w4.toml",
            "bench/w5.toml",
            "paper-2d-sgd.toml",
        ] {
            let e =
                Experiment::from_path(std::path::Path::new(&format!("{assets}{file}"))).unwrap();
            assert_eq!(loop_cap(false, &e), u32::MAX, "{file}: no cap on hardware");
            let cap = loop_cap(true, &e);
            assert!(cap >= 2, "{file}");
            // a step pair is one iteration of the stepping loop; the data-set loops of
            // paper-2d and sgd make the cap short
            let plan = SlicePlan::new(
                LAVAPIPE,
                0..(1 << 16),
                e.cases.len() as u64,
                2 * e.shape.dim,
                e.shape.dim,
                335,
                cap,
            );
            for s in &plan.slices {
                assert!(
                    s.budget <= cap.max(2 * BLOCK_PAIRS),
                    "{file}: {} > {cap}",
                    s.budget
                );
            }
            if !e.data_set.is_empty() {
                assert!(
                    cap < MAX_CHUNK / 10,
                    "{file}: a data-set loop gets short chunks ({cap})"
                );
            }
        }
    }
}
