//! A GPU run in four readable steps: the kernels of the experiment's shape,
//! the resources its [`SlicePlan`] sizes (buffers and bind groups), the
//! execution of each slice (`init`, `simulate` until no lane runs, `tally`,
//! read-back), and the decoding of what a slice read back into tallies and
//! per-trajectory first passages.

use super::plan::{loop_cap, DeviceLimits, Slice, SlicePlan};
use super::{add_partial, add_row, Gpu, GpuStats, SliceInfo, TallyInfo, DATA_WORDS, HIST_OFFSET};
use crate::backend::{Progress, RunOutput};
use crate::codes::Outcome;
use crate::error::{Error, Result};
use crate::kernel::preprocess::{Variant, MAX_PRIVATE_ROW};
use crate::observables::{FptBins, Tally};
use crate::spec::Experiment;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The bindings of shaders/simulate.wgsl's `simulate` (0 to 7); its
/// `segment` entry point adds 8 and 9 (`super::segments`).
pub(super) fn simulate_bindings() -> Vec<(wgpu::BufferBindingType, bool)> {
    use wgpu::BufferBindingType as B;
    let storage = |read_only| B::Storage { read_only };
    vec![
        (storage(true), true),
        (B::Uniform, true),
        (storage(false), true),
        (storage(false), true),
        (storage(false), true),
        (storage(true), true),
        (storage(false), true),
        (B::Uniform, true),
    ]
}

/// The pipelines and bind group layouts of one kernel shape.
struct Kernels {
    init: wgpu::ComputePipeline,
    simulate: wgpu::ComputePipeline,
    tally: wgpu::ComputePipeline,
    init_layout: wgpu::BindGroupLayout,
    simulate_layout: wgpu::BindGroupLayout,
    tally_layout: wgpu::BindGroupLayout,
}

/// The buffers of one run, sized by its plan, and their bind groups.
struct Resources {
    slice: wgpu::Buffer,
    progress: wgpu::Buffer,
    /// Only when the experiment asks for per-trajectory output.
    progress_staging: Option<wgpu::Buffer>,
    counters: wgpu::Buffer,
    lanes: wgpu::Buffer,
    active_staging: wgpu::Buffer,
    counts: wgpu::Buffer,
    counts_staging: wgpu::Buffer,
    partials: wgpu::Buffer,
    partials_staging: wgpu::Buffer,
    init_group: wgpu::BindGroup,
    simulate_group: wgpu::BindGroup,
    tally_group: wgpu::BindGroup,
}

/// What one slice reads back: its count rows, its tally partials and, when
/// asked, the (steps, outcome) pair of every trajectory slot.
struct Readback {
    rows: Vec<u32>,
    sums: Vec<u32>,
    progress: Option<Vec<u32>>,
}

/// Words of one case's count row: outcome counts, first-passage bins, then a
/// value histogram per coordinate (keep in sync with shaders/tally.wgsl).
fn row_width(experiment: &Experiment) -> usize {
    HIST_OFFSET + experiment.shape.dim * (experiment.observe.histogram.bins + 2)
}

impl Gpu {
    /// Run trajectories `experiment.range` of every case.
    pub fn run(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
    ) -> Result<(RunOutput, GpuStats)> {
        self.run_cancellable(experiment, progress, None)
    }

    /// [`Self::run`], stopped with [`Error::Cancelled`] after the dispatch
    /// that is running when `cancel` is set.
    pub fn run_cancellable(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: Option<&AtomicBool>,
    ) -> Result<(RunOutput, GpuStats)> {
        let started = Instant::now();
        let kernels = self.kernels(experiment)?;
        let limits = DeviceLimits {
            binding: self.limits.max_storage_buffer_binding_size,
            workgroups_per_dimension: self.limits.max_compute_workgroups_per_dimension,
            software: self.adapter.software,
        };
        let plan = SlicePlan::new(
            limits,
            experiment.range.start as u64..experiment.range.end as u64,
            experiment.cases.len() as u64,
            crate::kernel::preprocess::moments(
                experiment.shape.dim as u32,
                experiment.shape.dynamics.code(),
            ) as usize,
            state_words(experiment),
            row_width(experiment),
            loop_cap(self.adapter.software, experiment),
        );
        let fpt_bins = FptBins::new(experiment.max_steps);
        let resources = self.resources(experiment, &plan, &kernels, &fpt_bins)?;

        let mut tallies = vec![Tally::of(experiment, &fpt_bins); experiment.cases.len()];
        let mut first_passage = experiment
            .observe
            .fpt_file
            .map(|_| vec![0u32; experiment.total_trajectories() as usize]);
        let mut stats = GpuStats::default();
        for slice in &plan.slices {
            let readback = self.execute(
                experiment, slice, &plan, &kernels, &resources, &mut stats, cancel,
            )?;
            self.decode(
                experiment,
                slice,
                &plan,
                readback,
                &mut tallies,
                first_passage.as_mut(),
            )?;
            stats.slices += 1;
            progress(slice.count * slice.cases);
        }
        Ok((
            RunOutput {
                backend: "gpu".into(),
                device: self.device_name(),
                tallies,
                first_passage,
                wall_time: started.elapsed(),
            },
            stats,
        ))
    }

    /// The kernel variant of the experiment's shape and its generated `user`
    /// module (formulas, checked by naga before any dispatch).
    pub(super) fn variant(&self, experiment: &Experiment) -> Result<(Variant, String)> {
        let shape = &experiment.shape;
        let row_width = row_width(experiment) as u32;
        let user = experiment
            .cases
            .first()
            .map(|case| crate::model::formula::user_wgsl(&case.model))
            .unwrap_or_else(crate::kernel::preprocess::user_stub);
        let variant = Variant {
            dim: shape.dim as u32,
            potential: shape.potential.code(),
            noise: shape.noise.code(),
            exit: shape.exit.code(),
            private_row: if row_width <= MAX_PRIVATE_ROW {
                row_width
            } else {
                HIST_OFFSET as u32
            },
            bridge: shape.bridge as u32,
            dynamics: shape.dynamics.code(),
            user: crate::kernel::preprocess::user_key(&user),
        };
        if user != crate::kernel::preprocess::user_stub() {
            // Formulas: the generated kernel is checked before any dispatch.
            crate::model::formula::validate(&crate::model::shader::shader(
                "simulate", &variant, &user,
            ))
            .map_err(|e| {
                Error::Gpu(format!(
                    "the kernel generated from the formulas does not validate: {e}"
                ))
            })?;
        }
        Ok((variant, user))
    }

    /// The pipelines of the experiment's shape (cached per device).
    fn kernels(&self, experiment: &Experiment) -> Result<Kernels> {
        let (variant, user) = self.variant(experiment)?;
        use wgpu::BufferBindingType as B;
        let storage = |read_only| B::Storage { read_only };
        let init_layout = self.layout(
            "init",
            &[
                (storage(true), true),
                (B::Uniform, true),
                (storage(false), true),
                (storage(false), true),
            ],
        );
        let simulate_layout = self.layout("simulate", &simulate_bindings());
        let tally_layout = self.layout(
            "tally",
            &[
                (B::Uniform, true),
                (B::Uniform, true),
                (storage(true), true),
                (storage(true), true),
                (storage(true), true),
                (storage(false), true),
                (storage(false), true),
            ],
        );
        Ok(Kernels {
            init: self.pipeline("init", &variant, &init_layout, &user)?,
            simulate: self.pipeline("simulate", &variant, &simulate_layout, &user)?,
            tally: self.pipeline("tally", &variant, &tally_layout, &user)?,
            init_layout,
            simulate_layout,
            tally_layout,
        })
    }

    /// The case records and the data set (`DATA_WORDS`, zero-padded, bound as
    /// storage and as uniform: shaders/simulate.wgsl), uploaded: what every
    /// kernel of simulate.wgsl reads besides its own buffers.
    pub(super) fn case_buffers(
        &self,
        experiment: &Experiment,
    ) -> Result<(wgpu::Buffer, wgpu::Buffer)> {
        use wgpu::BufferUsages as U;
        let case_records = experiment.records();
        let cases = self.buffer(
            "cases",
            std::mem::size_of_val(case_records.as_slice()) as u64,
            U::STORAGE | U::COPY_DST,
        );
        self.queue
            .write_buffer(&cases, 0, bytemuck::cast_slice(&case_records));
        if experiment.data_set.len() > DATA_WORDS {
            return Err(Error::Gpu(format!(
                "{} data values; the GPU kernel holds at most {DATA_WORDS}",
                experiment.data_set.len()
            )));
        }
        let mut data = experiment.data_set.clone();
        data.resize(DATA_WORDS, 0.0);
        let data_set = self.buffer(
            "data set",
            DATA_WORDS as u64 * 4,
            U::UNIFORM | U::STORAGE | U::COPY_DST,
        );
        self.queue
            .write_buffer(&data_set, 0, bytemuck::cast_slice(&data));
        Ok((cases, data_set))
    }

    /// The buffers `plan` sizes, the constant ones filled, and the bind groups.
    fn resources(
        &self,
        experiment: &Experiment,
        plan: &SlicePlan,
        kernels: &Kernels,
        fpt_bins: &FptBins,
    ) -> Result<Resources> {
        use wgpu::BufferUsages as U;
        let spec = &experiment.observe.histogram;
        let (cases, data_set) = self.case_buffers(experiment)?;
        let slice = self.buffer(
            "slice",
            std::mem::size_of::<SliceInfo>() as u64,
            U::UNIFORM | U::COPY_DST,
        );
        let tally_info = self.buffer("tally info", 16, U::UNIFORM | U::COPY_DST);
        self.queue.write_buffer(
            &tally_info,
            0,
            bytemuck::bytes_of(&TallyInfo {
                hist_lo: spec.lo as f32,
                hist_scale: (spec.bins as f64 / (spec.hi - spec.lo)) as f32,
                hist_bins: spec.bins as u32,
                row_width: row_width(experiment) as u32,
            }),
        );
        let mut edges = [u32::MAX; 128];
        for (slot, &e) in edges.iter_mut().zip(&fpt_bins.edges) {
            *slot = e.min(u32::MAX as u64) as u32;
        }
        let fpt_edges = self.buffer("fpt edges", 512, U::STORAGE | U::COPY_DST);
        self.queue
            .write_buffer(&fpt_edges, 0, bytemuck::cast_slice(&edges));
        let state = self.buffer(
            "state",
            plan.max_slots * 4 * state_words(experiment) as u64,
            U::STORAGE,
        );
        let progress = self.buffer("progress", plan.max_slots * 8, U::STORAGE | U::COPY_SRC);
        let progress_staging = experiment.observe.fpt_file.map(|_| {
            self.buffer(
                "progress staging",
                plan.max_slots * 8,
                U::MAP_READ | U::COPY_DST,
            )
        });
        // [running lanes, next unstarted trajectory of each case slot]
        let counters = self.buffer(
            "counters",
            4 * (1 + plan.cases_per_slice),
            U::STORAGE | U::COPY_SRC | U::COPY_DST,
        );
        let lanes = self.buffer("lanes", plan.max_lanes * 4, U::STORAGE | U::COPY_DST);
        let active_staging = self.buffer("active staging", 4, U::MAP_READ | U::COPY_DST);
        let counts = self.buffer(
            "counts",
            plan.count_words * 4,
            U::STORAGE | U::COPY_SRC | U::COPY_DST,
        );
        let counts_staging = self.buffer(
            "counts staging",
            plan.count_words * 4,
            U::MAP_READ | U::COPY_DST,
        );
        let partials = self.buffer("partials", plan.partial_words * 4, U::STORAGE | U::COPY_SRC);
        let partials_staging = self.buffer(
            "partials staging",
            plan.partial_words * 4,
            U::MAP_READ | U::COPY_DST,
        );
        self.check()?;
        let init_group = self.bind(&kernels.init_layout, &[&cases, &slice, &state, &progress]);
        let simulate_group = self.bind(
            &kernels.simulate_layout,
            &[
                &cases, &slice, &state, &progress, &counters, &data_set, &lanes, &data_set,
            ],
        );
        let tally_group = self.bind(
            &kernels.tally_layout,
            &[
                &slice,
                &tally_info,
                &state,
                &progress,
                &fpt_edges,
                &counts,
                &partials,
            ],
        );
        Ok(Resources {
            slice,
            progress,
            progress_staging,
            counters,
            lanes,
            active_staging,
            counts,
            counts_staging,
            partials,
            partials_staging,
            init_group,
            simulate_group,
            tally_group,
        })
    }

    /// Run one slice: `init`, `simulate` until no lane runs, `tally`; read back.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &self,
        experiment: &Experiment,
        slice: &Slice,
        plan: &SlicePlan,
        kernels: &Kernels,
        res: &Resources,
        stats: &mut GpuStats,
        cancel: Option<&AtomicBool>,
    ) -> Result<Readback> {
        let info = SliceInfo {
            first_trajectory: slice.first_trajectory as u32,
            per_case: slice.per_case as u32,
            count: slice.count as u32,
            cases: slice.cases as u32,
            budget: slice.budget,
            seed: experiment.seed,
            data_size: (experiment.data_set.len() / 2) as u32,
            first_case: slice.first_case as u32,
            lanes_per_case: slice.lanes_per_case as u32,
            coupled: experiment.coupled as u32,
            pad: [0; 2],
        };
        self.queue
            .write_buffer(&res.slice, 0, bytemuck::bytes_of(&info));
        let dispatch = |encoder: &mut wgpu::CommandEncoder,
                        pipeline: &wgpu::ComputePipeline,
                        group: &wgpu::BindGroup,
                        (x, y): (u32, u32)| {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        };
        let mut encoder = self.device.create_command_encoder(&Default::default());
        dispatch(
            &mut encoder,
            &kernels.init,
            &res.init_group,
            slice.init_grid,
        );
        self.queue.submit([encoder.finish()]);

        // Lane l of case slot c starts at trajectory l % lanes_per_case;
        // the case's next unstarted one is lanes_per_case.
        let lanes_per_case = slice.lanes_per_case;
        let mut next = vec![lanes_per_case as u32; 1 + slice.cases as usize];
        next[0] = 0;
        self.queue
            .write_buffer(&res.counters, 0, bytemuck::cast_slice(&next));
        let slots: Vec<u32> = (0..slice.lanes())
            .map(|l| (l / lanes_per_case * slice.per_case + l % lanes_per_case) as u32)
            .collect();
        self.queue
            .write_buffer(&res.lanes, 0, bytemuck::cast_slice(&slots));

        stats.chunk_steps = slice.budget;
        stats.lanes = slice.lanes();
        // Every dispatch but the last ends with some lane that spent its whole
        // budget, and a slice holds at most total x max_steps steps.
        let most_dispatches =
            (slice.total * experiment.max_steps as u64).div_ceil(slice.budget as u64) + 1;
        let mut dispatches = 0u64;
        loop {
            let mut encoder = self.device.create_command_encoder(&Default::default());
            encoder.clear_buffer(&res.counters, 0, Some(4));
            dispatch(
                &mut encoder,
                &kernels.simulate,
                &res.simulate_group,
                slice.simulate_grid,
            );
            encoder.copy_buffer_to_buffer(&res.counters, 0, &res.active_staging, 0, 4);
            self.queue.submit([encoder.finish()]);
            stats.chunks += 1;
            dispatches += 1;
            if self.read_words(&res.active_staging, 1)?[0] == 0 {
                break;
            }
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            if dispatches >= most_dispatches {
                return Err(Error::Gpu(format!(
                    "trajectories of slice {}.. still running after {dispatches} dispatches on {}; \
                     the result would be wrong",
                    slice.first_trajectory, self.adapter.name
                )));
            }
        }

        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.clear_buffer(&res.counts, 0, None);
        dispatch(
            &mut encoder,
            &kernels.tally,
            &res.tally_group,
            slice.tally_grid,
        );
        let row_words = slice.cases * row_width(experiment) as u64;
        encoder.copy_buffer_to_buffer(&res.counts, 0, &res.counts_staging, 0, row_words * 4);
        let slice_partials = slice.tally_groups * plan.partial_stride;
        encoder.copy_buffer_to_buffer(
            &res.partials,
            0,
            &res.partials_staging,
            0,
            slice_partials * 4,
        );
        if let Some(staging) = &res.progress_staging {
            encoder.copy_buffer_to_buffer(&res.progress, 0, staging, 0, slice.total * 8);
        }
        self.queue.submit([encoder.finish()]);
        let progress = match &res.progress_staging {
            Some(staging) => Some(self.read_words(staging, 2 * slice.total as usize)?),
            None => None,
        };
        Ok(Readback {
            rows: self.read_words(&res.counts_staging, row_words as usize)?,
            sums: self.read_words(&res.partials_staging, slice_partials as usize)?,
            progress,
        })
    }

    /// Add what `slice` read back to the case tallies and, when asked, to the
    /// per-trajectory first passages (case after case, `range` of each).
    fn decode(
        &self,
        experiment: &Experiment,
        slice: &Slice,
        plan: &SlicePlan,
        readback: Readback,
        tallies: &mut [Tally],
        first_passage: Option<&mut Vec<u32>>,
    ) -> Result<()> {
        let dim = experiment.shape.dim;
        let row_width = row_width(experiment);
        let bins = experiment.observe.histogram.bins;
        let (first_case, count) = (slice.first_case as usize, slice.count);
        // the tallies were made with the run's first-passage bins
        let fpt_bins = tallies[first_case].fpt_histogram.len();
        if let (Some(words), Some(all)) = (&readback.progress, first_passage) {
            // (steps, outcome) pairs of the slice's slots.
            let n = experiment.range.len() as u64;
            for slot in 0..slice.cases {
                for i in 0..count {
                    let g = (slot * slice.per_case + i) as usize;
                    let (steps, outcome) = (words[2 * g], words[2 * g + 1]);
                    let j = slice.first_trajectory - experiment.range.start as u64 + i;
                    all[((slice.first_case + slot) * n + j) as usize] =
                        match Outcome::from_code(outcome) {
                            Some(Outcome::Escaped) => steps,
                            Some(Outcome::Diverged) => crate::backend::cpu::DIVERGED_MARK,
                            _ => 0,
                        };
                }
            }
        }
        for slot in 0..slice.cases as usize {
            let row = &readback.rows[slot * row_width..(slot + 1) * row_width];
            // Every trajectory must end escaped, censored or diverged; one
            // that did not was cut short by the device: never report it as data.
            let finished = row[0] as u64 + row[1] as u64 + row[2] as u64;
            if finished != count {
                return Err(Error::Gpu(format!(
                    "{} of {count} trajectories of case {} did not finish on {} \
                     (a software adapter's shader loop limit?); the result would be wrong",
                    count - finished.min(count),
                    first_case + slot,
                    self.adapter.name
                )));
            }
            add_row(&mut tallies[first_case + slot], row, dim, bins, fpt_bins);
        }
        let groups_per_case = (slice.tally_groups / slice.cases) as usize;
        for (w, sum) in readback
            .sums
            .chunks(plan.partial_stride as usize)
            .enumerate()
        {
            add_partial(&mut tallies[first_case + w / groups_per_case], sum, dim);
        }
        Ok(())
    }
}

/// f32 words of state per trajectory: the position, then the velocity if the dynamics has one.
fn state_words(experiment: &Experiment) -> usize {
    let dim = experiment.shape.dim;
    if experiment.shape.dynamics.has_velocity() {
        2 * dim
    } else {
        dim
    }
}
