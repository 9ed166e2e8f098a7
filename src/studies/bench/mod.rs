//! `kramers bench`: fixed workloads W1–W5, W1-expr and W1-ud (the experiment files in
//! `assets/bench/`) at several ensemble sizes, on the CPU backend and on every
//! GPU adapter found, in one run: trajectory-steps per second, time to first
//! result (device and pipeline creation included) and peak memory.

use crate::backend::engine::Engine;
use crate::backend::gpu::{self, Gpu};
use crate::backend::RunOutput;
use crate::backend::{cpu, Backend};
use crate::error::{Error, Result};

pub mod plot;
use crate::run::{self as run_path, Outcome, Prepared, RunOptions};
use crate::spec::Experiment;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A measurement repeats its run until this much time has passed...
const REPEAT_FOR: Duration = Duration::from_millis(500);
/// ...or it has run this often.
const MAX_REPEATS: usize = 5;

/// A benchmark workload: its id and experiment file (N = 2^20 as written).
pub struct Workload {
    /// Short id, as `--workloads` takes it (e.g. `W1`).
    pub id: &'static str,
    /// The experiment file's TOML text.
    pub text: &'static str,
}

/// The throughput workloads, in the order the bench runs them.
pub const WORKLOADS: [Workload; 7] = [
    Workload {
        id: "W1",
        text: include_str!("../../../assets/bench/w1.toml"),
    },
    // W1 written as formulas (expression models), beside W1 to price them.
    Workload {
        id: "W1-expr",
        text: include_str!("../../../assets/bench/w1-expr.toml"),
    },
    // W1 as underdamped dynamics (GJF), beside W1 to price the scheme.
    Workload {
        id: "W1-ud",
        text: include_str!("../../../assets/bench/w1-ud.toml"),
    },
    Workload {
        id: "W2",
        text: include_str!("../../../assets/bench/w2.toml"),
    },
    Workload {
        id: "W3",
        text: include_str!("../../../assets/bench/w3.toml"),
    },
    Workload {
        id: "W4",
        text: include_str!("../../../assets/bench/w4.toml"),
    },
    Workload {
        id: "W5",
        text: include_str!("../../../assets/bench/w5.toml"),
    },
];

/// `AMS20`: rare escapes by adaptive multilevel splitting, Langevin over the
/// `barrier` at dL / D0 = 20 (README "Rare escapes"): wall time, steps per
/// second and the relative 95% half-width of the estimate. `--quick` keeps
/// 1000 replicas and 10 runs instead of 2000 and 60.
pub const RARE_WORKLOAD: Workload = Workload {
    id: "AMS20",
    text: include_str!("../../../assets/rare-precision.toml"),
};

/// One splitting measurement.
#[derive(Clone, Debug, Serialize)]
pub struct RareRow {
    /// Workload id ([`RARE_WORKLOAD`]'s `AMS20`).
    pub workload: String,
    /// Backend that ran: `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter that ran.
    pub device: String,
    /// Replicas per AMS run.
    pub replicas: u32,
    /// Independent AMS runs.
    pub runs: u32,
    /// Wall-clock seconds of the splitting run.
    pub wall_time_s: f64,
    /// Steps simulated: loops, replays and clones.
    pub steps: u64,
    /// Steps simulated per wall-clock second.
    pub steps_per_s: f64,
    /// The AMS estimate of the mean first-passage time (time units); None when `p = 0`.
    pub mfpt: Option<f64>,
    /// Its 95% interval (jackknife over runs); None when the estimate has none.
    pub ci95: Option<[f64; 2]>,
    /// Half the 95% interval over the estimate.
    pub relative_half_width: Option<f64>,
    /// Exact mean first-passage time (shifted level) and the z score.
    pub exact: Option<f64>,
    /// `(mfpt - exact) / standard error`; None without an exact value or a standard error.
    pub z: Option<f64>,
}

/// A direct run of `experiment` on `target` through the one run path.
fn direct(experiment: &Experiment, target: &Engine) -> Result<RunOutput> {
    let prepared = Prepared::new(experiment.clone());
    let outcome = run_path::run(&prepared, target, RunOptions::default())?;
    Ok(outcome.direct("a benchmark workload")?.output)
}

/// Run the splitting workload on `target`.
fn rare_row(quick: bool, target: &Engine) -> Result<RareRow> {
    let mut experiment = Experiment::from_toml(RARE_WORKLOAD.text, "assets/rare-precision.toml")?;
    let mut settings = experiment.rare.clone().expect("a [rare] table");
    if quick {
        settings.replicas = 1000;
        settings.kill = 100;
        settings.runs = 10;
        experiment.rare = Some(settings.clone());
    }
    let prepared = Prepared::new(experiment);
    let Outcome::Split(result) = run_path::run(&prepared, target, RunOptions::default())? else {
        unreachable!("an experiment with a [rare] table is split")
    };
    let case = &result.cases[0];
    let r = &case.rare;
    let theory = case.theory.as_ref();
    Ok(RareRow {
        workload: RARE_WORKLOAD.id.to_string(),
        backend: target.backend().to_string(),
        device: target.device(),
        replicas: settings.replicas,
        runs: settings.runs,
        wall_time_s: result.run.wall_time_s,
        steps: r.steps,
        steps_per_s: result.run.trajectory_steps_per_s,
        mfpt: r.mfpt,
        ci95: r.ci95,
        relative_half_width: r.mfpt.zip(r.ci95).map(|(m, c)| (c[1] - c[0]) / 2.0 / m),
        exact: theory.and_then(|t| t.exact_mfpt_shifted),
        z: theory.and_then(|t| t.z.as_ref()).and_then(|z| z.mfpt),
    })
}

/// Ensemble sizes (log2) per workload: W1 spans 2^10 .. 2^24; the costlier
/// 2-D workloads stop earlier. `quick` keeps a few sizes.
pub fn sizes(id: &str, quick: bool) -> Vec<u32> {
    match (id, quick) {
        ("W1" | "W1-expr" | "W1-ud", true) => vec![12, 16, 20],
        (_, true) => vec![16],
        ("W4" | "W5", false) => vec![10, 12, 14, 16, 18],
        (_, false) => vec![10, 12, 14, 16, 18, 20, 22, 24],
    }
}

/// Largest ensemble size (log2) that `--sizes` accepts.
pub const MAX_LOG2: u32 = 30;

/// Which backends `kramers bench` measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchBackends {
    /// The CPU backend and every GPU adapter found, software adapters included.
    #[default]
    All,
    /// The CPU backend only.
    Cpu,
    /// Every GPU adapter found (an error when there is none).
    Gpu,
}

/// What `kramers bench` runs.
#[derive(Clone, Debug, Default)]
pub struct BenchOptions {
    /// A few sizes per workload (`sizes(id, true)`) instead of the full span.
    pub quick: bool,
    /// Which backends to measure (`--backend`).
    pub backends: BenchBackends,
    /// Workload ids (`W1` .. `W5`, `W1-expr`, `W1-ud`, any case); empty: all of them.
    pub workloads: Vec<String>,
    /// Ensemble sizes as log2 N for every chosen workload; empty: `sizes(id, quick)`.
    pub sizes: Vec<u32>,
}

impl BenchOptions {
    /// Refuse unknown workloads and sizes before anything runs (bad input, exit 2).
    pub fn check(&self) -> Result<()> {
        for id in &self.workloads {
            if !WORKLOADS.iter().any(|w| w.id.eq_ignore_ascii_case(id))
                && !RARE_WORKLOAD.id.eq_ignore_ascii_case(id)
            {
                return Err(Error::invalid(
                    "--workloads",
                    id,
                    "W1, W1-expr, W1-ud, W2, W3, W4, W5 or AMS20",
                ));
            }
        }
        if let Some(&log2) = self.sizes.iter().find(|&&s| s > MAX_LOG2) {
            return Err(Error::invalid(
                "--sizes",
                log2,
                format!("log2 of the ensemble size, from 0 to {MAX_LOG2}"),
            ));
        }
        Ok(())
    }

    fn chosen(&self, id: &str) -> bool {
        self.workloads.is_empty() || self.workloads.iter().any(|w| w.eq_ignore_ascii_case(id))
    }

    fn sizes_of(&self, id: &str) -> Vec<u32> {
        if self.sizes.is_empty() {
            sizes(id, self.quick)
        } else {
            self.sizes.clone()
        }
    }
}

/// One measurement.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    /// Workload id (`W1` .. `W5`, `W1-expr`).
    pub workload: String,
    /// The workload file's `name`.
    pub name: String,
    /// `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter that ran.
    pub device: String,
    /// log2 of the ensemble size.
    pub log2_trajectories: u32,
    /// Trajectories per case: `2^log2_trajectories`.
    pub trajectories: u64,
    /// Trajectory-steps of the kept run: each trajectory to its escape or to `max_steps`.
    pub trajectory_steps: u64,
    /// Wall-clock seconds of the kept run (the median of the repeats).
    pub wall_time_s: f64,
    /// Throughput of the kept run: trajectory-steps per wall-clock second.
    pub trajectory_steps_per_s: f64,
    /// Peak resident memory of the process during this run (MiB), where the
    /// kernel lets the peak be reset (Linux `clear_refs`; `peak_rss_reset`);
    /// else the peak of the process so far.
    pub peak_rss_mib: Option<f64>,
    /// What this run added at its peak to the resident memory of its start
    /// (MiB): the run's own memory. Only where the peak can be reset.
    pub run_rss_mib: Option<f64>,
    /// Runs made; the row is the one of median wall time.
    pub repeats: usize,
}

/// Cold start of a backend: from nothing to the first result of a small run.
#[derive(Clone, Debug, Serialize)]
pub struct FirstResult {
    /// Backend: `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter.
    pub device: String,
    /// Device (and adapter) creation.
    pub device_s: f64,
    /// The first run of W1 at 2^10 trajectories, pipeline creation included.
    pub first_run_s: f64,
}

/// Early stop: W1 with `max_steps = 10^6`, where every trajectory leaves long
/// before the limit. The work done is the sum of the escape times (about
/// `N * exact MFPT / dt`), not `N * max_steps`.
#[derive(Clone, Debug, Serialize)]
pub struct ScalingRow {
    /// Backend that ran: `"cpu"` or `"gpu"`.
    pub backend: String,
    /// The CPU or GPU adapter that ran.
    pub device: String,
    /// Trajectories `N` (one case).
    pub trajectories: u64,
    /// The step limit: 10^6.
    pub max_steps: u32,
    /// `N * max_steps`: the work without early stop.
    pub budget_steps: f64,
    /// Steps actually simulated (sum of first-passage steps, censored at the limit).
    pub steps: u64,
    /// `N * exact MFPT / dt` (docs/theory.md §5.4 quadrature, shifted level).
    pub predicted_steps: f64,
    /// Wall-clock seconds of the run.
    pub wall_time_s: f64,
    /// `steps` per wall-clock second.
    pub trajectory_steps_per_s: f64,
    /// As in [`BenchRow`].
    pub peak_rss_mib: Option<f64>,
    /// As in [`BenchRow`].
    pub run_rss_mib: Option<f64>,
}

/// What `kramers bench` measured (the content of bench.json).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Version of kramers that ran the bench.
    pub kramers_version: String,
    /// The bench ran with `--quick` (a few sizes, smaller splitting).
    pub quick: bool,
    /// Worker threads of the CPU backend (rayon's thread count).
    pub threads: usize,
    /// The CPU, as the CPU backend describes it.
    pub cpu: String,
    /// Whether the peak resident memory was reset before each run (else the
    /// `peak_rss_mib` figures are the process's peak so far).
    pub peak_rss_reset: bool,
    /// Time to first result of each backend and adapter measured.
    pub first_result: Vec<FirstResult>,
    /// Throughput rows: workload after workload, size after size, every backend.
    pub rows: Vec<BenchRow>,
    /// Early-stop rows (W1 with `max_steps = 10^6`); empty when W1 was not chosen.
    pub scaling: Vec<ScalingRow>,
    /// The splitting workload, per backend.
    #[serde(default)]
    pub rare: Vec<RareRow>,
    /// Workloads not run, with the reason.
    pub skipped: Vec<String>,
}

/// Reset the kernel's record of this process's peak RSS; false where unsupported.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A field of /proc/self/status in MiB (`VmHWM`: peak resident memory, `VmRSS`: now).
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The memory of one run: started before it, read after it.
struct MemoryProbe {
    /// Resident memory at the start, when the peak could be reset.
    before_mib: Option<f64>,
}

impl MemoryProbe {
    fn start() -> MemoryProbe {
        MemoryProbe {
            before_mib: if reset_peak() {
                status_mib("VmRSS:")
            } else {
                None
            },
        }
    }

    /// (peak resident memory, what the run added to the resident memory of its start).
    fn finish(self) -> (Option<f64>, Option<f64>) {
        let peak = status_mib("VmHWM:");
        let added = match (peak, self.before_mib) {
            (Some(peak), Some(before)) => Some((peak - before).max(0.0)),
            _ => None,
        };
        (peak, added)
    }
}

/// Open the targets the options ask for, timing each one's first result.
fn open_targets(
    options: &BenchOptions,
    small: &Experiment,
    say: &mut dyn FnMut(&str),
) -> Result<(Vec<Engine>, Vec<FirstResult>)> {
    let mut targets = Vec::new();
    let mut first_result = Vec::new();
    if options.backends != BenchBackends::Gpu {
        // CPU: no device to create; the first result is the first small run.
        let started = Instant::now();
        direct(small, &Engine::Cpu)?;
        first_result.push(FirstResult {
            backend: "cpu".into(),
            device: cpu::device_name(),
            device_s: 0.0,
            first_run_s: started.elapsed().as_secs_f64(),
        });
        targets.push(Engine::Cpu);
    }
    if options.backends == BenchBackends::Cpu {
        return Ok((targets, first_result));
    }
    let found = gpu::adapters();
    if found.is_empty() {
        if options.backends == BenchBackends::Gpu {
            return Err(Error::Gpu(
                "`kramers bench --backend gpu`: no Vulkan, Metal or DX12 adapter found".into(),
            ));
        }
        say("no GPU adapter found: CPU backend only");
    }
    for (index, adapter) in found.iter().enumerate() {
        let started = Instant::now();
        let device = match Gpu::with_adapter(index) {
            Ok(device) => device,
            Err(e) => {
                say(&format!("adapter {index} ({}) skipped: {e}", adapter.name));
                continue;
            }
        };
        let device_s = started.elapsed().as_secs_f64();
        let target = Engine::Gpus(vec![device]);
        let started = Instant::now();
        if let Err(e) = direct(small, &target) {
            say(&format!("adapter {index} ({}) skipped: {e}", adapter.name));
            continue;
        }
        first_result.push(FirstResult {
            backend: "gpu".into(),
            device: target.device(),
            device_s,
            first_run_s: started.elapsed().as_secs_f64(),
        });
        targets.push(target);
    }
    if targets.is_empty() {
        return Err(Error::Gpu("no GPU adapter could run the bench".into()));
    }
    Ok((targets, first_result))
}

/// Run the bench; `say` receives progress lines. A workload whose file does not
/// load, or whose run fails on one backend, is skipped with a notice (and listed
/// in `skipped`); the others still run.
pub fn run(options: &BenchOptions, say: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    options.check()?;
    let small = Experiment::from_toml(WORKLOADS[0].text, "assets/bench/w1.toml")?
        .with_trajectories(1 << 10)?;
    let (targets, first_result) = open_targets(options, &small, say)?;

    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for workload in WORKLOADS.iter().filter(|w| options.chosen(w.id)) {
        let origin = format!("assets/bench/{}.toml", workload.id.to_lowercase());
        let base = match Experiment::from_toml(workload.text, &origin) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(format!("{}: {e}", workload.id));
                say(&format!("{} skipped: {e}", workload.id));
                continue;
            }
        };
        // An untimed warm-up run per GPU: the timed runs below reuse its
        // pipelines, so throughput leaves out shader compilation (which the
        // time to first result shows).
        let warm_up = base.clone().with_trajectories(64)?;
        for target in targets.iter().filter(|t| t.backend() == "gpu") {
            if let Err(e) = direct(&warm_up, target) {
                say(&format!(
                    "{} warm-up on {}: {e}",
                    workload.id,
                    target.device()
                ));
            }
        }
        for log2 in options.sizes_of(workload.id) {
            let experiment = base.clone().with_trajectories(1 << log2)?;
            for target in &targets {
                say(&format!(
                    "{} ({}) 2^{log2} on {}",
                    workload.id,
                    base.name,
                    target.device()
                ));
                let probe = MemoryProbe::start();
                // Short runs are noisy (a 2^16 run of W1 is 0.1 s): repeat one
                // until REPEAT_FOR has passed (at most MAX_REPEATS) and keep
                // the run of median wall time.
                let mut runs = Vec::new();
                let started = Instant::now();
                let mut failed = None;
                while runs.len() < MAX_REPEATS
                    && (runs.is_empty() || started.elapsed() < REPEAT_FOR)
                {
                    match direct(&experiment, target) {
                        Ok(output) => runs.push(output),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failed {
                    let line = format!("{} 2^{log2} on {}: {e}", workload.id, target.device());
                    say(&format!("skipped {line}"));
                    skipped.push(line);
                    continue;
                }
                let (peak_rss_mib, run_rss_mib) = probe.finish();
                let repeats = runs.len();
                runs.sort_by_key(|r| r.wall_time);
                let output = runs.swap_remove(repeats / 2);
                let steps: u64 = output
                    .tallies
                    .iter()
                    .map(|t| t.trajectory_steps(experiment.max_steps))
                    .sum();
                rows.push(BenchRow {
                    workload: workload.id.to_string(),
                    name: base.name.clone(),
                    backend: target.backend().to_string(),
                    device: target.device(),
                    log2_trajectories: log2,
                    trajectories: 1 << log2,
                    trajectory_steps: steps,
                    wall_time_s: output.wall_time.as_secs_f64(),
                    trajectory_steps_per_s: output.throughput(experiment.max_steps),
                    peak_rss_mib,
                    run_rss_mib,
                    repeats,
                });
            }
        }
    }
    let scaling = if options.chosen("W1") {
        let sizes = match (options.sizes.is_empty(), options.quick) {
            (false, _) => options.sizes.clone(),
            (true, true) => vec![12, 14, 16],
            (true, false) => vec![12, 14, 16, 18, 20],
        };
        early_stop(&sizes, &targets, say)?
    } else {
        Vec::new()
    };
    let mut rare = Vec::new();
    if options.chosen(RARE_WORKLOAD.id) {
        for target in &targets {
            say(&format!("{} on {}", RARE_WORKLOAD.id, target.device()));
            match rare_row(options.quick, target) {
                Ok(row) => rare.push(row),
                Err(e) => {
                    let line = format!("{} on {}: {e}", RARE_WORKLOAD.id, target.device());
                    say(&format!("skipped {line}"));
                    skipped.push(line);
                }
            }
        }
    }
    Ok(BenchReport {
        kramers_version: env!("CARGO_PKG_VERSION").to_string(),
        quick: options.quick,
        threads: rayon::current_num_threads(),
        cpu: cpu::device_name(),
        peak_rss_reset: reset_peak(),
        first_result,
        rows,
        scaling,
        rare,
        skipped,
    })
}

/// `variant`'s throughput over `W1`'s, per device and size both ran at.
fn ratios_to_w1(report: &BenchReport, devices: &[String], variant: &str) -> String {
    let mut out = String::new();
    for (i, device) in devices.iter().enumerate() {
        let mut cells = Vec::new();
        for row in report
            .rows
            .iter()
            .filter(|r| &r.device == device && r.workload == "W1")
        {
            let formula = report.rows.iter().find(|r| {
                &r.device == device
                    && r.workload == variant
                    && r.log2_trajectories == row.log2_trajectories
            });
            if let Some(f) = formula {
                cells.push(format!(
                    "2^{} {:.2}",
                    row.log2_trajectories,
                    f.trajectory_steps_per_s / row.trajectory_steps_per_s
                ));
            }
        }
        if !cells.is_empty() {
            out.push_str(&format!("  [{i}] {}\n", cells.join("   ")));
        }
    }
    out
}

/// W1 with `max_steps = 10^6` at the sizes given (log2 N) on every target: steps done against
/// `N * max_steps` and `N * exact MFPT / dt`, wall time and peak RSS.
fn early_stop(
    sizes: &[u32],
    targets: &[Engine],
    say: &mut dyn FnMut(&str),
) -> Result<Vec<ScalingRow>> {
    let mut scaling = Vec::new();
    let long = WORKLOADS[0]
        .text
        .replace("max_steps = 1000", "max_steps = 1000000");
    let base = Experiment::from_toml(&long, "W1, max_steps = 10^6")?;
    let mfpt = crate::analysis::model1d::exact_mfpt(&base.cases[0].model).unwrap_or(f64::NAN);
    let dt = base.cases[0].model.dt;
    for &log2 in sizes {
        let experiment = base.clone().with_trajectories(1 << log2)?;
        for target in targets {
            say(&format!(
                "early stop: W1, max_steps 10^6, 2^{log2} on {}",
                target.device()
            ));
            let probe = MemoryProbe::start();
            let output = direct(&experiment, target)?;
            let (peak_rss_mib, run_rss_mib) = probe.finish();
            let steps = output.tallies[0].trajectory_steps(experiment.max_steps);
            let wall = output.wall_time.as_secs_f64();
            scaling.push(ScalingRow {
                backend: target.backend().to_string(),
                device: target.device(),
                trajectories: 1 << log2,
                max_steps: experiment.max_steps,
                budget_steps: (1u64 << log2) as f64 * experiment.max_steps as f64,
                steps,
                predicted_steps: (1u64 << log2) as f64 * mfpt / dt,
                wall_time_s: wall,
                trajectory_steps_per_s: steps as f64 / wall.max(1e-9),
                peak_rss_mib,
                run_rss_mib,
            });
        }
    }
    Ok(scaling)
}

/// The table `kramers bench` prints: one row per workload and size, backends
/// side by side, and the GPU/CPU ratio of each GPU.
pub fn table(report: &BenchReport) -> String {
    let mut devices: Vec<String> = Vec::new();
    for row in &report.rows {
        if !devices.contains(&row.device) {
            devices.push(row.device.clone());
        }
    }
    let mut out =
        String::from("time to first result (device creation + first run of W1 at 2^10):\n");
    for f in &report.first_result {
        out.push_str(&format!(
            "  {:<4} {:<44} device {:>7.3} s, first run {:>7.3} s\n",
            f.backend, f.device, f.device_s, f.first_run_s
        ));
    }
    if !report.rows.is_empty() {
        out.push_str(&rows_table(report, &devices));
    }
    for (variant, what) in [
        (
            "W1-expr",
            "W1 written as formulas against the built-in models",
        ),
        (
            "W1-ud",
            "W1 as underdamped dynamics (GJF) against Euler–Maruyama",
        ),
    ] {
        let ratios = ratios_to_w1(report, &devices, variant);
        if !ratios.is_empty() {
            out.push_str(&format!("{variant} / W1 ({what}, this run):\n"));
            out.push_str(&ratios);
        }
    }
    if !report.scaling.is_empty() {
        out.push_str("early stop (W1 with max_steps = 10^6): work follows the escape times, not N x max_steps\n");
        out.push_str(&format!(
            "{:<5} {:>6} {:>12} {:>12} {:>12} {:>9} {:>12} {:>9}\n",
            "", "N", "N*max_steps", "steps done", "N*MFPT/dt", "wall s", "steps/s", "MiB"
        ));
        for r in &report.scaling {
            out.push_str(&format!(
                "{:<5} {:>6} {:>12.3e} {:>12.3e} {:>12.3e} {:>9.3} {:>12.3e} {:>9}\n",
                r.backend,
                format!("2^{}", r.trajectories.trailing_zeros()),
                r.budget_steps,
                r.steps as f64,
                r.predicted_steps,
                r.wall_time_s,
                r.trajectory_steps_per_s,
                memory(r.peak_rss_mib, r.run_rss_mib)
            ));
        }
    }
    if !report.rare.is_empty() {
        out.push_str(
            "AMS20: splitting at dL/D0 = 20 (Langevin, exact mean escape 5.7e17 time units)\n",
        );
        out.push_str(&format!(
            "{:<5} {:>9} {:>9} {:>12} {:>12} {:>12} {:>10} {:>7}  {}\n",
            "", "replicas", "wall s", "steps", "steps/s", "MFPT", "95% ±", "z", "device"
        ));
        for r in &report.rare {
            out.push_str(&format!(
                "{:<5} {:>9} {:>9.2} {:>12.3e} {:>12.3e} {:>12} {:>10} {:>7}  {}\n",
                r.backend,
                format!("{}x{}", r.replicas, r.runs),
                r.wall_time_s,
                r.steps as f64,
                r.steps_per_s,
                r.mfpt.map_or("-".into(), |m| format!("{m:.4e}")),
                r.relative_half_width
                    .map_or("-".into(), |h| format!("{:.1}%", 100.0 * h)),
                r.z.map_or("-".into(), |z| format!("{z:+.2}")),
                r.device
            ));
        }
    }
    for s in &report.skipped {
        out.push_str(&format!("skipped {s}\n"));
    }
    out
}

/// The throughput rows of [`table`]: workloads and sizes down, devices across.
fn rows_table(report: &BenchReport, devices: &[String]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "trajectory-steps per second ({} threads); {}\n",
        report.threads,
        if report.peak_rss_reset {
            "peak RSS of the process during the run in MiB (reset before each run), +what the run added"
        } else {
            "peak RSS of the process so far in MiB (this system cannot reset it)"
        }
    ));
    out.push_str(&format!("{:<7} {:>4}", "", "N"));
    for i in 0..devices.len() {
        out.push_str(&format!(" {:>22}", format!("[{i}] steps/s  MiB")));
        if i > 0 {
            out.push_str(&format!(" {:>8}", format!("[{i}]/[0]")));
        }
    }
    out.push('\n');
    let mut keys: Vec<(String, u32)> = Vec::new();
    for row in &report.rows {
        let key = (row.workload.clone(), row.log2_trajectories);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for (workload, log2) in keys {
        out.push_str(&format!("{workload:<7} {:>4}", format!("2^{log2}")));
        let find = |d: &str| {
            report
                .rows
                .iter()
                .find(|r| r.workload == workload && r.log2_trajectories == log2 && r.device == d)
        };
        let base = find(&devices[0]).map(|r| r.trajectory_steps_per_s);
        for (i, d) in devices.iter().enumerate() {
            match find(d) {
                Some(r) => {
                    out.push_str(&format!(
                        " {:>22}",
                        format!(
                            "{:.3e} {:>8}",
                            r.trajectory_steps_per_s,
                            memory(r.peak_rss_mib, r.run_rss_mib)
                        )
                    ));
                    if i > 0 {
                        let ratio = base.map(|b| r.trajectory_steps_per_s / b);
                        out.push_str(&format!(
                            " {:>8}",
                            ratio.map(|x| format!("{x:.2}")).unwrap_or("-".into())
                        ));
                    }
                }
                None => out.push_str(&format!(" {:>22}", "-")),
            }
        }
        out.push('\n');
    }
    for (i, d) in devices.iter().enumerate() {
        out.push_str(&format!("[{i}] {d}\n"));
    }
    out
}

/// `peak +added` in MiB, `-` where unknown.
fn memory(peak: Option<f64>, added: Option<f64>) -> String {
    match (peak, added) {
        (Some(peak), Some(added)) => format!("{peak:.0} +{added:.0}"),
        (Some(peak), None) => format!("{peak:.0}"),
        _ => "-".into(),
    }
}

/// Make the output places of a benchmark (`out`, and the folder of `json`),
/// so that a bad place is refused before minutes of measuring.
pub fn make_places(out: &std::path::Path, json: Option<&std::path::Path>) -> Result<()> {
    let json_dir = json
        .and_then(std::path::Path::parent)
        .filter(|p| !p.as_os_str().is_empty());
    for dir in std::iter::once(out).chain(json_dir) {
        crate::report::atomic::create_dir(dir)?;
    }
    Ok(())
}

/// Write bench.json, bench.png and bench.svg into `out`, and the JSON to `json` too when given.
pub fn write(
    report: &BenchReport,
    out: &std::path::Path,
    json: Option<&std::path::Path>,
) -> Result<()> {
    let text = crate::report::json_text(report);
    crate::report::write_atomic(&out.join("bench.json"), text.as_bytes())?;
    if let Some(path) = json {
        crate::report::write_atomic(path, text.as_bytes())?;
    }
    plot::write_bench_plot(out, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_file_is_a_valid_experiment_with_n_2_to_20() {
        for w in &WORKLOADS {
            let e = Experiment::from_toml(w.text, w.id).unwrap_or_else(|e| panic!("{}: {e}", w.id));
            assert_eq!(e.trajectories, 1 << 20, "{}", w.id);
            assert_eq!(e.max_steps, 1000, "{}", w.id);
        }
        assert_eq!(sizes("W1", false).first(), Some(&10));
        assert_eq!(sizes("W1", false).last(), Some(&24));
    }

    #[test]
    fn table_puts_backends_side_by_side_with_their_ratio() {
        let row = |backend: &str, device: &str, rate: f64| BenchRow {
            workload: "W1".into(),
            name: "W1".into(),
            backend: backend.into(),
            device: device.into(),
            log2_trajectories: 20,
            trajectories: 1 << 20,
            trajectory_steps: 1,
            wall_time_s: 1.0,
            trajectory_steps_per_s: rate,
            peak_rss_mib: Some(90.0),
            run_rss_mib: Some(1.0),
            repeats: 1,
        };
        let report = BenchReport {
            kramers_version: String::new(),
            quick: true,
            threads: 2,
            cpu: "cpu".into(),
            peak_rss_reset: true,
            first_result: Vec::new(),
            rows: vec![row("cpu", "A", 1.0e9), row("gpu", "B", 2.5e8)],
            scaling: Vec::new(),
            rare: Vec::new(),
            skipped: Vec::new(),
        };
        let text = table(&report);
        let line = text.lines().find(|l| l.starts_with("W1")).unwrap();
        assert!(
            line.contains("1.000e9") && line.contains("2.500e8") && line.contains("0.25"),
            "{line}"
        );
        assert!(
            line.contains("90 +1"),
            "peak and the run's own memory: {line}"
        );
    }

    #[test]
    fn options_pick_workloads_and_sizes_and_refuse_unknown_ones() {
        let options = BenchOptions {
            workloads: vec!["w3".into(), "W1".into()],
            sizes: vec![10, 30],
            ..BenchOptions::default()
        };
        options.check().unwrap();
        assert!(options.chosen("W1") && options.chosen("W3") && !options.chosen("W2"));
        assert_eq!(options.sizes_of("W4"), vec![10, 30]);
        let all = BenchOptions {
            quick: true,
            ..BenchOptions::default()
        };
        assert!(WORKLOADS.iter().all(|w| all.chosen(w.id)));
        assert_eq!(all.sizes_of("W1"), sizes("W1", true));
        for bad in [
            BenchOptions {
                workloads: vec!["W6".into()],
                ..BenchOptions::default()
            },
            BenchOptions {
                sizes: vec![31],
                ..BenchOptions::default()
            },
        ] {
            assert!(bad.check().unwrap_err().is_bad_input());
        }
    }
}
