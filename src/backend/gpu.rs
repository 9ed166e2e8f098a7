//! The GPU backend (wgpu: Vulkan, Metal, DX12; never a silent GL fallback).
//!
//! What runs: per slice of trajectories (every case, or a range of cases, and a
//! range of trajectory indices), `init` puts them at their start, `simulate` is
//! dispatched until the atomic count of running lanes read back after each
//! dispatch is zero, then `tally` reduces the slice on the GPU to per-case
//! counts, histograms and per-workgroup sums. `simulate` runs fewer lanes than
//! trajectories: a lane steps one trajectory at a time, at most a budget of
//! steps per dispatch, and takes its case's next unstarted trajectory when one
//! ends, as the CPU backend's lanes do; SIMD groups and warps then stay busy
//! instead of waiting for their slowest member.
//! Read-back grows with cases x bins + workgroups, not with trajectories.

use super::{Progress, RunOutput};
use crate::error::{Error, Result};
use crate::kernel::preprocess::{Variant, WORKGROUP};
use crate::model::shader::shader;
use crate::observables::Tally;
use crate::spec::Experiment;
use bytemuck::{Pod, Zeroable};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod pipeline;
mod plan;
mod segments;

/// Backends kramers asks wgpu for: the native compute APIs only.
const BACKENDS: wgpu::Backends = wgpu::Backends::VULKAN
    .union(wgpu::Backends::METAL)
    .union(wgpu::Backends::DX12);
/// Data values (coordinate-major) the kernel's uniform buffer holds: the
/// largest data set (`MAX_DATA_SIZE` points of 2 coordinates).
const DATA_WORDS: usize = 2 * crate::spec::MAX_DATA_SIZE as usize;
/// Words per case in the count row before the value histograms (keep in sync with tally.wgsl).
const HIST_OFFSET: usize = 131;
const FPT_OFFSET: usize = 3;

/// Keep in sync with `SliceInfo` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct SliceInfo {
    first_trajectory: u32,
    per_case: u32,
    count: u32,
    cases: u32,
    /// Most steps per lane in one `simulate` dispatch (even).
    budget: u32,
    seed: u32,
    data_size: u32,
    first_case: u32,
    lanes_per_case: u32,
    /// 1: each step's normals are sums of the next finer run's two, over
    /// `sqrt 2` ([`crate::spec::Experiment::coupled`]).
    coupled: u32,
    pad: [u32; 2],
}

/// Keep in sync with `TallyInfo` in shaders/tally.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct TallyInfo {
    hist_lo: f32,
    hist_scale: f32,
    hist_bins: u32,
    row_width: u32,
}

/// One adapter, as `kramers devices` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AdapterSummary {
    /// Adapter name as the driver reports it (e.g. the GPU model).
    pub name: String,
    /// Graphics API of the adapter: `Vulkan`, `Metal` or `Dx12`.
    pub backend: String,
    /// wgpu device type: `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` or `Other`.
    pub device_type: String,
    /// Driver name and driver info, joined by a space (may be empty).
    pub driver: String,
    /// Largest storage buffer binding the adapter allows, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer the adapter allows, in bytes.
    pub max_buffer_size: u64,
    /// Most workgroups per dimension of one compute dispatch.
    pub max_compute_workgroups_per_dimension: u32,
    /// A CPU implementation of the API (lavapipe, WARP, SwiftShader).
    pub software: bool,
}

fn summary(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    AdapterSummary {
        name: info.name,
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        software: info.device_type == wgpu::DeviceType::Cpu,
    }
}

fn rank(device_type: wgpu::DeviceType) -> u32 {
    match device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn instance() -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = BACKENDS;
    wgpu::Instance::new(descriptor)
}

/// Every adapter of the native backends, best first (discrete > integrated > virtual > software).
pub fn adapters() -> Vec<AdapterSummary> {
    let mut found = pollster::block_on(instance().enumerate_adapters(BACKENDS));
    found.sort_by_key(|a| rank(a.get_info().device_type));
    found.iter().map(summary).collect()
}

/// Counters of what a GPU run dispatched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GpuStats {
    /// Slices run (each a range of cases and of trajectory indices).
    pub slices: u64,
    /// `simulate` dispatches, over all slices.
    pub chunks: u64,
    /// Steps per chunk of the last slice: each lane's budget per dispatch.
    pub chunk_steps: u32,
    /// Lanes stepping the last slice (fewer than its trajectories: each lane
    /// takes its case's next trajectory when one ends).
    pub lanes: u64,
}

/// A device, its queue and an error sink, built once and reused, with the
/// pipelines built so far (a run of a variant seen before skips shader
/// translation and compilation: tens of milliseconds on lavapipe).
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    /// The adapter this device was opened on.
    pub adapter: AdapterSummary,
    limits: wgpu::Limits,
    errors: Arc<Mutex<Vec<String>>>,
    layouts: Mutex<HashMap<&'static str, wgpu::BindGroupLayout>>,
    pipelines: Mutex<HashMap<(&'static str, Variant), wgpu::ComputePipeline>>,
}

impl Gpu {
    /// The best adapter of the native backends, or an error saying none was found.
    pub fn new() -> Result<Gpu> {
        Self::with_adapter(0)
    }

    /// Adapter `index` of the list that `adapters()` (and `kramers devices`) give.
    /// Each call opens a device of its own, also for the same adapter.
    pub fn with_adapter(index: usize) -> Result<Gpu> {
        let instance = instance();
        let mut found = pollster::block_on(instance.enumerate_adapters(BACKENDS));
        found.sort_by_key(|a| rank(a.get_info().device_type));
        let available = found.len();
        let adapter = found.into_iter().nth(index).ok_or_else(|| {
            if available == 0 {
                Error::Gpu(
                    "no Vulkan, Metal or DX12 adapter found (on Linux without a GPU, install Mesa's \
                     lavapipe: apt-get install mesa-vulkan-drivers)"
                        .into(),
                )
            } else {
                Error::invalid(
                    "--devices",
                    index,
                    format!("an adapter index from 0 to {} (see `kramers devices`)", available - 1),
                )
            }
        })?;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("kramers"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::Gpu(format!("cannot open the device: {e}")))?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().expect("error sink").push(e.to_string());
        }));
        let lost = errors.clone();
        device.set_device_lost_callback(move |reason, message| {
            lost.lock()
                .expect("error sink")
                .push(format!("device lost ({reason:?}): {message}"));
        });
        Ok(Gpu {
            device,
            queue,
            adapter: summary(&adapter),
            limits,
            errors,
            layouts: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
        })
    }

    /// A description of the adapter for reports.
    pub fn device_name(&self) -> String {
        format!(
            "{} ({}, {})",
            self.adapter.name, self.adapter.backend, self.adapter.device_type
        )
    }

    /// Fail with the first error the device reported, if any.
    fn check(&self) -> Result<()> {
        let errors = self.errors.lock().expect("error sink");
        match errors.first() {
            Some(e) => Err(Error::Gpu(e.clone())),
            None => Ok(()),
        }
    }

    fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the device: {e}")))?;
        self.check()
    }

    fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(16).next_multiple_of(4),
            usage,
            mapped_at_creation: false,
        })
    }

    /// Map a MAP_READ buffer and copy out its first `len` words.
    fn read_words(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<u32>> {
        let bytes = (len * 4) as u64;
        let status = Arc::new(Mutex::new(None));
        let sink = status.clone();
        buffer.map_async(wgpu::MapMode::Read, 0..bytes.max(4), move |r| {
            *sink.lock().expect("map status") = Some(r);
        });
        self.wait()?;
        match status.lock().expect("map status").take() {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(Error::Gpu(format!("reading results back: {e}"))),
            None => {
                return Err(Error::Gpu(
                    "reading results back: the map never completed".into(),
                ))
            }
        }
        let words = {
            let view = buffer
                .get_mapped_range(0..bytes.max(4))
                .map_err(|e| Error::Gpu(format!("reading results back: {e}")))?;
            bytemuck::cast_slice::<u8, u32>(&view)[..len].to_vec()
        };
        buffer.unmap();
        Ok(words)
    }

    /// The pipeline of kernel `entry` for `variant`, whose generated `user`
    /// module is `user` (`variant.user` is its key).
    fn pipeline(
        &self,
        entry: &'static str,
        variant: &Variant,
        layout: &wgpu::BindGroupLayout,
        user: &str,
    ) -> Result<wgpu::ComputePipeline> {
        let key = (entry, *variant);
        if let Some(pipeline) = self.pipelines.lock().expect("pipeline cache").get(&key) {
            return Ok(pipeline.clone());
        }
        let source = shader(entry, variant, user);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(entry),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(entry),
                bind_group_layouts: &[Some(layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        self.check()?;
        self.pipelines
            .lock()
            .expect("pipeline cache")
            .insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// The bind group layout of kernel `entry` (one per kernel, made once).
    fn layout(
        &self,
        entry: &'static str,
        entries: &[(wgpu::BufferBindingType, bool)],
    ) -> wgpu::BindGroupLayout {
        let mut cache = self.layouts.lock().expect("layout cache");
        if let Some(layout) = cache.get(entry) {
            return layout.clone();
        }
        let entries: Vec<wgpu::BindGroupLayoutEntry> = entries
            .iter()
            .enumerate()
            .map(|(i, &(ty, _))| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(entry),
                entries: &entries,
            });
        cache.insert(entry, layout.clone());
        layout
    }

    fn bind(&self, layout: &wgpu::BindGroupLayout, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout,
            entries: &entries,
        })
    }
}

impl super::Backend for Gpu {
    fn run(&self, experiment: &Experiment, progress: Progress<'_>) -> Result<RunOutput> {
        Ok(Gpu::run(self, experiment, progress)?.0)
    }
    fn run_cancellable(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<RunOutput> {
        Ok(Gpu::run_cancellable(self, experiment, progress, Some(cancel))?.0)
    }
    fn run_segments(
        &self,
        experiment: &Experiment,
        case: usize,
        segments: &crate::kernel::simulate::Segments,
    ) -> Result<Vec<crate::kernel::simulate::SegmentEnd>> {
        Gpu::run_segments(self, experiment, case, segments)
    }
    fn backend(&self) -> &'static str {
        "gpu"
    }
    fn device(&self) -> String {
        self.device_name()
    }
}

/// One input of the sampler known-answer kernel (`shaders/samplers_kat.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct KatInput {
    /// Threefry-2x32 counter.
    pub counter: [u32; 2],
    /// Threefry-2x32 key.
    pub key: [u32; 2],
    /// (alpha, beta, shift, scale) of a stable law.
    pub law: [f32; 4],
}

/// What the GPU computes for one [`KatInput`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KatOutput {
    /// The two Threefry-2x32-20 output words of (counter, key).
    pub words: [u32; 2],
    /// The Box–Muller pair of normals drawn from `words`.
    pub normals: [f32; 2],
    /// A standard exponential draw from `words[0]`.
    pub exponential: f32,
    /// A draw of the stable law `law` of the input, from `words`.
    pub stable: f32,
}

impl Gpu {
    /// Run the sampler known-answer kernel: the GPU's Threefry words and samples.
    pub fn samplers_kat(&self, inputs: &[KatInput]) -> Result<Vec<KatOutput>> {
        use wgpu::BufferBindingType as B;
        use wgpu::BufferUsages as U;
        let variant = Variant {
            dim: 1,
            potential: 0,
            noise: 0,
            exit: 0,
            private_row: HIST_OFFSET as u32,
            bridge: 0,
            dynamics: 0,
            user: 0,
        };
        let layout = self.layout(
            "samplers_kat",
            &[
                (B::Storage { read_only: true }, true),
                (B::Storage { read_only: false }, true),
            ],
        );
        let pipeline = self.pipeline(
            "samplers_kat",
            &variant,
            &layout,
            &crate::kernel::preprocess::user_stub(),
        )?;
        let input = self.buffer(
            "kat inputs",
            (inputs.len() * 32) as u64,
            U::STORAGE | U::COPY_DST,
        );
        self.queue
            .write_buffer(&input, 0, bytemuck::cast_slice(inputs));
        let words = inputs.len() * 8;
        let output = self.buffer("kat outputs", words as u64 * 4, U::STORAGE | U::COPY_SRC);
        let staging = self.buffer("kat staging", words as u64 * 4, U::MAP_READ | U::COPY_DST);
        let group = self.bind(&layout, &[&input, &output]);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups((inputs.len() as u32).div_ceil(WORKGROUP), 1, 1);
        }
        encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, words as u64 * 4);
        self.queue.submit([encoder.finish()]);
        let out = self.read_words(&staging, words)?;
        Ok(out
            .chunks(8)
            .map(|w| KatOutput {
                words: [w[0], w[1]],
                normals: [f32::from_bits(w[2]), f32::from_bits(w[3])],
                exponential: f32::from_bits(w[4]),
                stable: f32::from_bits(w[5]),
            })
            .collect())
    }
}

/// Add one case's count row (see tally.wgsl) to its tally.
fn add_row(t: &mut Tally, row: &[u32], dim: usize, bins: usize, fpt_bins: usize) {
    let (escaped, censored, diverged) = (row[0] as u64, row[1] as u64, row[2] as u64);
    t.trajectories += escaped + censored + diverged;
    t.escaped += escaped;
    t.censored += censored;
    t.diverged += diverged;
    for k in 0..fpt_bins {
        t.fpt_histogram[k] += row[FPT_OFFSET + k] as u64;
    }
    for c in 0..dim {
        let base = HIST_OFFSET + c * (bins + 2);
        let h = &mut t.histograms[c];
        for (b, count) in h.counts.iter_mut().enumerate() {
            *count += row[base + b] as u64;
        }
        h.below += row[base + bins] as u64;
        h.above += row[base + bins + 1] as u64;
    }
}

/// Add one workgroup's exact step sums and exact fixed-point moment sums to its case's tally.
fn add_partial(t: &mut Tally, words: &[u32], dim: usize) {
    let wide = |at: usize| (0..4).fold(0u128, |acc, i| acc | (words[at + i] as u128) << (32 * i));
    t.steps_sum += words[0] as u64 | (words[1] as u64) << 32;
    t.steps_squared_sum += wide(2);
    for c in 0..dim {
        // 128-bit two's complement: the same bits as the i128 sum.
        t.final_sum[c] += wide(6 + 8 * c) as i128;
        t.final_squared_sum[c] += wide(10 + 8 * c) as i128;
    }
    // then the velocity's, where the tally keeps them (MOMENTS = 4 dim)
    for c in 0..t.velocity_sum.len() {
        t.velocity_sum[c] += wide(6 + 8 * (dim + c)) as i128;
        t.velocity_squared_sum[c] += wide(10 + 8 * (dim + c)) as i128;
    }
}

#[cfg(test)]
mod tests {
    //! The host structs the shaders read have the WGSL layout: naga reflects
    //! every struct of the assembled kernels, and each member's offset and the
    //! struct's size must equal the Rust `#[repr(C)]` twin's.
    use super::*;
    use crate::kernel::abi::CaseParams;
    use crate::kernel::preprocess::Variant;
    use std::mem::{offset_of, size_of};

    /// `(member name, offset)` of every member and the size of WGSL struct `name` in `entry`.
    fn wgsl_layout(entry: &str, name: &str) -> (Vec<(String, u32)>, u32) {
        let variant = Variant {
            dim: 2,
            potential: 0,
            noise: 0,
            exit: 0,
            private_row: HIST_OFFSET as u32,
            bridge: 0,
            dynamics: 0,
            user: 0,
        };
        let source = shader(entry, &variant, &crate::kernel::preprocess::user_stub());
        let module = naga::front::wgsl::parse_str(&source).expect("the kernel parses");
        let (_, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no struct {name} in {entry}"));
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("{name} is not a struct");
        };
        let members = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
            .collect();
        (members, *span)
    }

    /// Check every WGSL member against `rust` (`(name, offset)`; padding
    /// members `pad*` are covered by the size).
    fn check(entry: &str, name: &str, rust: &[(&str, usize)], size: usize) {
        let (members, span) = wgsl_layout(entry, name);
        assert_eq!(span as usize, size, "{name}: WGSL size {span}, Rust {size}");
        let named: Vec<_> = members
            .iter()
            .filter(|(m, _)| !m.starts_with("pad"))
            .collect();
        assert_eq!(named.len(), rust.len(), "{name}: members {members:?}");
        for ((wgsl_name, wgsl_offset), (rust_name, rust_offset)) in named.into_iter().zip(rust) {
            assert_eq!(wgsl_name, rust_name, "{name}: member order");
            assert_eq!(
                *wgsl_offset as usize, *rust_offset,
                "{name}.{wgsl_name}: WGSL offset {wgsl_offset}, Rust {rust_offset}"
            );
        }
    }

    #[test]
    fn case_params_has_the_wgsl_layout() {
        check(
            "simulate",
            "CaseParams",
            &[
                ("dt", offset_of!(CaseParams, dt)),
                ("alpha", offset_of!(CaseParams, alpha)),
                ("max_steps", offset_of!(CaseParams, max_steps)),
                ("case_index", offset_of!(CaseParams, case_index)),
                ("potential", offset_of!(CaseParams, potential)),
                ("noise", offset_of!(CaseParams, noise)),
                ("start", offset_of!(CaseParams, start)),
                ("exit_vector", offset_of!(CaseParams, exit_vector)),
                ("exit_scalar", offset_of!(CaseParams, exit_scalar)),
                ("dynamics", offset_of!(CaseParams, dynamics)),
                ("start_velocity", offset_of!(CaseParams, start_velocity)),
            ],
            size_of::<CaseParams>(),
        );
    }

    #[test]
    fn slice_info_has_the_wgsl_layout() {
        for entry in ["init", "simulate", "tally"] {
            check(
                entry,
                "SliceInfo",
                &[
                    ("first_trajectory", offset_of!(SliceInfo, first_trajectory)),
                    ("per_case", offset_of!(SliceInfo, per_case)),
                    ("count", offset_of!(SliceInfo, count)),
                    ("cases", offset_of!(SliceInfo, cases)),
                    ("budget", offset_of!(SliceInfo, budget)),
                    ("seed", offset_of!(SliceInfo, seed)),
                    ("data_size", offset_of!(SliceInfo, data_size)),
                    ("first_case", offset_of!(SliceInfo, first_case)),
                    ("lanes_per_case", offset_of!(SliceInfo, lanes_per_case)),
                    ("coupled", offset_of!(SliceInfo, coupled)),
                ],
                size_of::<SliceInfo>(),
            );
        }
    }

    #[test]
    fn tally_info_has_the_wgsl_layout() {
        check(
            "tally",
            "TallyInfo",
            &[
                ("hist_lo", offset_of!(TallyInfo, hist_lo)),
                ("hist_scale", offset_of!(TallyInfo, hist_scale)),
                ("hist_bins", offset_of!(TallyInfo, hist_bins)),
                ("row_width", offset_of!(TallyInfo, row_width)),
            ],
            size_of::<TallyInfo>(),
        );
    }

    #[test]
    fn kat_input_has_the_wgsl_layout() {
        check(
            "samplers_kat",
            "KatInput",
            &[
                ("counter", offset_of!(KatInput, counter)),
                ("key", offset_of!(KatInput, key)),
                ("law", offset_of!(KatInput, law)),
            ],
            size_of::<KatInput>(),
        );
    }
}
