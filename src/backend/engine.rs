//! Where a run goes: the CPU, or one or more GPU devices. Several devices split
//! the trajectory range of every case into contiguous parts, run them at the
//! same time and merge the tallies in memory; the result does not depend on the
//! split (streams are keyed by trajectory, tallies are exact integers).

use super::{cpu, gpu::Gpu, Backend, BackendChoice, Progress, RunOutput};
use crate::error::{Error, Result};
use crate::observables::Tally;
use crate::spec::Experiment;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Which GPU adapters to use (`--devices`): every one, or indices of `kramers devices`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Devices {
    /// Every adapter that `kramers devices` lists.
    All,
    /// These adapter indices, one device each (an index may repeat).
    List(Vec<usize>),
}

impl Devices {
    /// `all`, or a comma-separated list of adapter indices (repeats allowed).
    pub fn parse(text: &str) -> Result<Devices> {
        if text.trim() == "all" {
            return Ok(Devices::All);
        }
        let list: Option<Vec<usize>> = text.split(',').map(|t| t.trim().parse().ok()).collect();
        match list {
            Some(list) if !list.is_empty() => Ok(Devices::List(list)),
            _ => Err(Error::invalid(
                "--devices",
                format!("{text:?}"),
                "`all` or adapter indices from `kramers devices`, e.g. 0,1",
            )),
        }
    }
}

/// An opened backend, reused for every block of a run.
pub enum Engine {
    /// The CPU backend.
    Cpu,
    /// One or more opened GPU devices; several split each case's trajectory range.
    Gpus(Vec<Gpu>),
}

impl Engine {
    /// Open the backend `choice` (with `devices`, one device per listed adapter).
    /// `notice` receives one-line messages (the CPU fallback of `auto`).
    pub fn open(
        choice: BackendChoice,
        devices: Option<&Devices>,
        notice: &mut dyn FnMut(&str),
    ) -> Result<Engine> {
        if let Some(devices) = devices {
            if choice == BackendChoice::Cpu {
                return Err(Error::invalid(
                    "--devices",
                    "given with --backend cpu",
                    "GPU adapters; leave --devices out for the CPU backend",
                ));
            }
            let indices = match devices {
                Devices::All => (0..super::gpu::adapters().len()).collect(),
                Devices::List(list) => list.clone(),
            };
            if indices.is_empty() {
                return Err(Error::Gpu(
                    "--devices all: no Vulkan, Metal or DX12 adapter found".into(),
                ));
            }
            let gpus = indices
                .into_iter()
                .map(Gpu::with_adapter)
                .collect::<Result<Vec<_>>>()?;
            return Ok(Engine::Gpus(gpus));
        }
        match choice {
            BackendChoice::Cpu => Ok(Engine::Cpu),
            BackendChoice::Gpu => Ok(Engine::Gpus(vec![Gpu::new()?])),
            BackendChoice::Auto => match Gpu::new() {
                Ok(gpu) if gpu.adapter.software => {
                    notice(&format!(
                        "no GPU found, only the software adapter {} (slower than the CPU backend): \
                         running on the CPU backend; --backend gpu forces it",
                        gpu.adapter.name
                    ));
                    Ok(Engine::Cpu)
                }
                Ok(gpu) => Ok(Engine::Gpus(vec![gpu])),
                Err(Error::Gpu(why)) => {
                    notice(&format!("no GPU found ({why}); running on the CPU backend"));
                    Ok(Engine::Cpu)
                }
                Err(e) => Err(e),
            },
        }
    }
}

impl Backend for Engine {
    /// On the CPU, or on the first device.
    fn run_segments(
        &self,
        experiment: &Experiment,
        case: usize,
        segments: &crate::kernel::simulate::Segments,
    ) -> Result<Vec<crate::kernel::simulate::SegmentEnd>> {
        match self {
            Engine::Cpu => Ok(cpu::run_segments(experiment, case, segments)),
            Engine::Gpus(gpus) => gpus[0].run_segments(experiment, case, segments),
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            Engine::Cpu => "cpu",
            Engine::Gpus(_) => "gpu",
        }
    }

    /// The CPU, or the devices joined by " + ".
    fn device(&self) -> String {
        match self {
            Engine::Cpu => cpu::device_name(),
            Engine::Gpus(gpus) => {
                let mut names: Vec<String> = Vec::new();
                for name in gpus.iter().map(Gpu::device_name) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                names.join(" + ")
            }
        }
    }

    /// Run trajectories `experiment.range` of every case; several devices each
    /// take a contiguous part of the range.
    fn run(&self, experiment: &Experiment, progress: Progress<'_>) -> Result<RunOutput> {
        self.run_on_devices(experiment, progress, None)
    }

    fn run_cancellable(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<RunOutput> {
        self.run_on_devices(experiment, progress, Some(cancel))
    }
}

impl Engine {
    fn run_on_devices(
        &self,
        experiment: &Experiment,
        progress: Progress<'_>,
        cancel: Option<&AtomicBool>,
    ) -> Result<RunOutput> {
        let gpus = match self {
            Engine::Cpu => return cpu::run_cancellable(experiment, progress, cancel),
            Engine::Gpus(gpus) if gpus.len() == 1 => {
                return Ok(gpus[0].run_cancellable(experiment, progress, cancel)?.0)
            }
            Engine::Gpus(gpus) => gpus,
        };
        let started = Instant::now();
        let range = experiment.range.clone();
        let parts = (gpus.len() as u64).min(range.len() as u64);
        let at = |k: u64| range.start + (k * range.len() as u64 / parts) as u32;
        let outputs: Vec<Result<RunOutput>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..parts)
                .map(|k| {
                    let gpu = &gpus[k as usize];
                    let part = experiment.clone().with_range(at(k)..at(k + 1));
                    scope.spawn(move || Ok(gpu.run_cancellable(&part?, progress, cancel)?.0))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Gpu("a device thread panicked".into())))
                })
                .collect()
        });
        let outputs = outputs.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(combine(experiment, outputs, started))
    }
}

/// Merge outputs of consecutive parts of `experiment.range`, in range order.
fn combine(experiment: &Experiment, outputs: Vec<RunOutput>, started: Instant) -> RunOutput {
    let mut tallies: Vec<Tally> = outputs[0].tallies.clone();
    for output in &outputs[1..] {
        for (total, part) in tallies.iter_mut().zip(&output.tallies) {
            total.merge(part);
        }
    }
    let first_passage = outputs[0].first_passage.as_ref().map(|_| {
        let cases = experiment.cases.len();
        let mut all = Vec::with_capacity(experiment.total_trajectories() as usize);
        for case in 0..cases {
            for output in &outputs {
                let part = output.first_passage.as_ref().expect("every part asked");
                let len = part.len() / cases;
                all.extend_from_slice(&part[case * len..(case + 1) * len]);
            }
        }
        all
    });
    let mut devices: Vec<String> = Vec::new();
    for output in &outputs {
        if !devices.contains(&output.device) {
            devices.push(output.device.clone());
        }
    }
    RunOutput {
        backend: outputs[0].backend.clone(),
        device: devices.join(" + "),
        tallies,
        first_passage,
        wall_time: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lists() {
        assert_eq!(Devices::parse("all").unwrap(), Devices::All);
        assert_eq!(
            Devices::parse("0, 0,1").unwrap(),
            Devices::List(vec![0, 0, 1])
        );
        for bad in ["", "x", "0,", "-1", "0;1"] {
            assert!(Devices::parse(bad).is_err(), "{bad}");
        }
    }
}
