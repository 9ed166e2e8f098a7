//! Rare-event segments on the GPU (`segment` in shaders/simulate.wgsl; CPU
//! twin: the segments mode of `crate::kernel::simulate`): one invocation per
//! segment, dispatched until none runs, then its end read back.

use super::pipeline::simulate_bindings;
use super::plan::loop_cap;
use super::{Gpu, SliceInfo};
use crate::codes::Outcome as Code;
use crate::error::{Error, Result};
use crate::kernel::preprocess::WORKGROUP;
use crate::kernel::simulate::{SegmentEnd, Segments};
use crate::spec::{Experiment, MAX_DIM};
use bytemuck::{Pod, Zeroable};

/// Keep in sync with `SegmentJob` in shaders/simulate.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct SegmentJob {
    counter: u32,
    lo: f32,
    hi: f32,
    pad: u32,
}

/// Most steps of one segment per dispatch on hardware (a software device
/// takes fewer: its loop limiter, [`loop_cap`]).
const BUDGET: u32 = 1 << 14;

impl Gpu {
    /// Step rare-event segments of case `case` ([`crate::backend::Backend::run_segments`]).
    pub fn run_segments(
        &self,
        experiment: &Experiment,
        case: usize,
        segments: &Segments,
    ) -> Result<Vec<SegmentEnd>> {
        use wgpu::BufferBindingType as B;
        use wgpu::BufferUsages as U;
        let count = segments.counter.len();
        if count == 0 {
            return Ok(Vec::new());
        }
        let dim = experiment.shape.dim;
        let width = experiment.shape.dim.max(1);
        let (variant, user) = self.variant(experiment)?;
        let array = variant.dim as usize;
        // simulate's bindings, and 8 (jobs) and 9 (best scores)
        let mut bindings = simulate_bindings();
        bindings.push((B::Storage { read_only: true }, true));
        bindings.push((B::Storage { read_only: false }, true));
        let layout = self.layout("segment", &bindings);
        let pipeline = self.pipeline("segment", &variant, &layout, &user)?;

        let (cases, data_set) = self.case_buffers(experiment)?;
        let budget = (loop_cap(self.adapter.software, experiment).min(BUDGET) & !1).max(2);
        let info = SliceInfo {
            first_trajectory: 0,
            per_case: count as u32,
            count: count as u32,
            cases: 1,
            budget,
            seed: experiment.seed,
            data_size: (experiment.data_set.len() / 2) as u32,
            first_case: case as u32,
            lanes_per_case: count as u32,
            coupled: 0,
            pad: [0; 2],
        };
        let slice = self.buffer(
            "slice",
            std::mem::size_of::<SliceInfo>() as u64,
            U::UNIFORM | U::COPY_DST,
        );
        self.queue
            .write_buffer(&slice, 0, bytemuck::bytes_of(&info));
        // coordinate-major start states (c * count + j), zero beyond `dim`
        let mut start = vec![0f32; array * count];
        for j in 0..count {
            for c in 0..dim {
                start[c * count + j] = segments.start[j * width + c];
            }
        }
        let words = (array * count) as u64 * 4;
        let state = self.buffer(
            "segment state",
            words,
            U::STORAGE | U::COPY_DST | U::COPY_SRC,
        );
        self.queue
            .write_buffer(&state, 0, bytemuck::cast_slice(&start));
        let progress = self.buffer(
            "segment progress",
            count as u64 * 8,
            U::STORAGE | U::COPY_DST | U::COPY_SRC,
        );
        let best = self.buffer(
            "segment best",
            count as u64 * 4,
            U::STORAGE | U::COPY_DST | U::COPY_SRC,
        );
        let jobs: Vec<SegmentJob> = segments
            .counter
            .iter()
            .zip(segments.levels)
            .map(|(&counter, levels)| SegmentJob {
                counter,
                lo: levels[0],
                hi: levels[1],
                pad: 0,
            })
            .collect();
        let job_buffer = self.buffer("segment jobs", count as u64 * 16, U::STORAGE | U::COPY_DST);
        self.queue
            .write_buffer(&job_buffer, 0, bytemuck::cast_slice(&jobs));
        let counters = self.buffer("counters", 4, U::STORAGE | U::COPY_SRC | U::COPY_DST);
        let lanes = self.buffer("lanes (unused)", 4, U::STORAGE);
        let active_staging = self.buffer("active staging", 4, U::MAP_READ | U::COPY_DST);
        let group = self.bind(
            &layout,
            &[
                &cases,
                &slice,
                &state,
                &progress,
                &counters,
                &data_set,
                &lanes,
                &data_set,
                &job_buffer,
                &best,
            ],
        );
        self.check()?;

        let groups = (count as u32).div_ceil(WORKGROUP);
        let limit = self.limits.max_compute_workgroups_per_dimension;
        let grid = (groups.min(limit), groups.div_ceil(limit));
        let most = (experiment.max_steps as u64).div_ceil(budget as u64) + 2;
        let mut dispatches = 0u64;
        loop {
            let mut encoder = self.device.create_command_encoder(&Default::default());
            encoder.clear_buffer(&counters, 0, None);
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &group, &[]);
                pass.dispatch_workgroups(grid.0, grid.1, 1);
            }
            encoder.copy_buffer_to_buffer(&counters, 0, &active_staging, 0, 4);
            self.queue.submit([encoder.finish()]);
            dispatches += 1;
            if self.read_words(&active_staging, 1)?[0] == 0 {
                break;
            }
            if dispatches >= most {
                return Err(Error::Gpu(format!(
                    "rare-event segments still running after {dispatches} dispatches on {}",
                    self.adapter.name
                )));
            }
        }

        let total = words + count as u64 * 12;
        let staging = self.buffer("segment staging", total, U::MAP_READ | U::COPY_DST);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&state, 0, &staging, 0, words);
        encoder.copy_buffer_to_buffer(&progress, 0, &staging, words, count as u64 * 8);
        encoder.copy_buffer_to_buffer(
            &best,
            0,
            &staging,
            words + count as u64 * 8,
            count as u64 * 4,
        );
        self.queue.submit([encoder.finish()]);
        let back = self.read_words(&staging, (total / 4) as usize)?;
        let (states, rest) = back.split_at(array * count);
        let (progress, best) = rest.split_at(2 * count);
        (0..count)
            .map(|j| {
                let mut state = [0f32; MAX_DIM];
                for (c, s) in state.iter_mut().enumerate().take(dim) {
                    *s = f32::from_bits(states[c * count + j]);
                }
                let code = Code::from_code(progress[2 * j + 1]).ok_or_else(|| {
                    Error::Gpu(format!("segment {j}: outcome code {}", progress[2 * j + 1]))
                })?;
                Ok(SegmentEnd {
                    state,
                    code,
                    steps: progress[2 * j],
                    best: f32::from_bits(best[j]),
                })
            })
            .collect()
    }
}
