//! The `kramers` command line: parse, build a spec, call the library, write the report.

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kramers::backend::{self, Backend, BackendChoice};
use kramers::report::{write_atomic, RunResult};
use kramers::run::RunOptions;
use kramers::spec::Experiment;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kramers",
    version,
    about = "Batched SDE ensembles: escape times and stationary laws, on GPU or CPU"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Throughput of the fixed workloads W1–W5 and W1-expr (assets/bench/) at several ensemble sizes, and of splitting (AMS20),
    /// on the CPU backend and every GPU adapter side by side: table, bench.json, bench.png.
    Bench {
        /// A few sizes (a couple of minutes on two CPU cores with lavapipe).
        #[arg(long)]
        quick: bool,
        /// Also write the JSON report to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Output directory of bench.json, bench.png and bench.svg.
        #[arg(long, default_value = "kramers-out")]
        out: PathBuf,
        /// Backends to measure: the CPU backend and every adapter (all), or one kind.
        #[arg(long, value_enum, default_value = "all")]
        backend: kramers::bench::BenchBackends,
        /// Only these workloads, e.g. `--workloads W1,W3` (default: all, W1 to W5, W1-expr and AMS20).
        #[arg(long, value_delimiter = ',')]
        workloads: Vec<String>,
        /// Ensemble sizes as log2 N for every workload, e.g. `--sizes 16,20`
        /// (default: 2^10 to 2^24, or a few with --quick).
        #[arg(long, value_delimiter = ',')]
        sizes: Vec<u32>,
    },
    /// Redraw the plots of a saved result.json: survival curves, first-passage-time
    /// density, stationary histogram vs density (what `kramers run` draws).
    Plot {
        /// A result.json written by `kramers run` or `kramers merge`.
        file: PathBuf,
        /// Output directory (default: the result's own directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Reproduce a figure of the paper ("Dynamic of SGD with State-Dependent Noise"):
    /// fig10 (escape time vs barrier height, GLD vs PLD) or fig4 (success rate of
    /// leaving a basin of the 2-D loss: SGD, GLD, PLD).
    Reproduce {
        #[arg(value_enum)]
        figure: Figure,
        /// Fewer heights / runs (seconds instead of a minute on two CPU cores).
        #[arg(long)]
        quick: bool,
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// Output directory.
        #[arg(long, default_value = "kramers-out")]
        out: PathBuf,
    },
    /// Mean escape time against barrier height for several dynamics, beside the
    /// exact and asymptotic theory: table, escape.csv, escape.json, escape.png, escape.svg.
    Escape {
        /// An experiment file whose cases sweep `potential.height`; without one,
        /// the built-in sweep (Langevin vs power-law vs alpha-stable, ten heights).
        file: Option<PathBuf>,
        /// A smaller sweep (four heights, fewer trajectories).
        #[arg(long)]
        quick: bool,
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
        /// Output directory.
        #[arg(long, default_value = "kramers-out")]
        out: PathBuf,
    },
    /// Simulate every case of an experiment file; write result.json and cases.csv.
    Run(RunArgs),
    /// Combine shard results (`kramers run --shard k/n`) into the result of the whole run.
    Merge {
        /// The shards: the directories `kramers run --out` wrote, or their
        /// result.json files, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// A directory to write as `kramers run` does (result.json, cases.csv,
        /// the plots and the shards' first_passage files concatenated), or a
        /// FILE.json for the merged result.json alone.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// With `-o FILE.json`: also write the merged cases.csv here.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Theory values of every case of an experiment, without simulating: exact MFPT,
    /// low-noise formulas, stationary-law parameters (SPEC §5).
    Theory {
        /// Experiment file (TOML).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The built-in verification suite: Monte Carlo against theory, one row per check;
    /// exits 1 when a check fails.
    Check {
        /// Smaller ensembles (a couple of minutes on two CPU cores).
        #[arg(long)]
        quick: bool,
        #[arg(long, value_enum, default_value = "auto")]
        backend: BackendChoice,
    },
    /// Heavy-tail fit of samples (.npy f4/f8, or a CSV column): Student-t (nu, kappa) and
    /// Hill estimates, Q-Q plots against the normal and the fitted Student-t.
    FitTail {
        /// A `.npy` file (float32 or float64, any shape, flattened) or a CSV file.
        file: PathBuf,
        /// The CSV column to read (default: the first).
        #[arg(long)]
        column: Option<String>,
        /// Output directory of qq-normal.png and qq-student-t.png.
        #[arg(long, default_value = "kramers-out")]
        out: PathBuf,
    },
    /// List the GPU adapters kramers can use (Vulkan, Metal, DX12), best first.
    Devices {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`kramers ... | head`) like other command-line tools.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Mesa's Vulkan loader complains on every start when this is unset (containers, CI).
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            let bad_input = error
                .downcast_ref::<kramers::Error>()
                .is_some_and(kramers::Error::is_bad_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Merge {
            shards,
            output,
            csv,
        } => merge_command(&shards, &output, csv.as_deref()),
        Command::Devices { json } => devices(json),
        Command::Escape {
            file,
            quick,
            backend,
            out,
        } => escape(file.as_deref(), quick, backend, &out),
        Command::Plot { file, out } => plot_command(&file, out.as_deref()),
        Command::Bench {
            quick,
            json,
            out,
            backend,
            workloads,
            sizes,
        } => {
            let options = kramers::bench::BenchOptions {
                quick,
                backends: backend,
                workloads,
                sizes,
            };
            bench_command(&options, json.as_deref(), &out)
        }
        Command::Reproduce {
            figure,
            quick,
            backend,
            out,
        } => reproduce(figure, quick, backend, &out),
        Command::Theory { file, json } => theory_command(&file, json),
        Command::Check { quick, backend } => check_command(quick, backend),
        Command::FitTail { file, column, out } => fit_tail_command(&file, column.as_deref(), &out),
    }
}

fn devices(json: bool) -> anyhow::Result<()> {
    let adapters = backend::gpu::adapters();
    if json {
        println!("{}", serde_json::to_string_pretty(&adapters)?);
        return Ok(());
    }
    if adapters.is_empty() {
        println!("no Vulkan, Metal or DX12 adapter found; kramers runs on the CPU backend");
        println!(
            "(on Debian/Ubuntu without a GPU: apt-get install mesa-vulkan-drivers for lavapipe)"
        );
    }
    for (i, a) in adapters.iter().enumerate() {
        println!(
            "{i}: {} [{} {}] driver: {}; max storage binding {} MiB, max buffer {} MiB, {} workgroups per dimension",
            a.name,
            a.backend,
            a.device_type,
            a.driver,
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_compute_workgroups_per_dimension
        );
    }
    println!("cpu: {}", backend::cpu::device_name());
    Ok(())
}

/// A progress bar on stderr for `total` trajectories (hidden when stderr is not a terminal).
fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} trajectories, eta {eta}")
            .expect("valid template"),
    );
    bar
}

/// The built-in default experiment.
const DEFAULT_EXPERIMENT: &str = include_str!("../assets/power-law-barrier.toml");

#[derive(clap::Args)]
struct RunArgs {
    /// Experiment file (TOML); see README "Experiment files". Without one, the
    /// built-in default experiment (assets/power-law-barrier.toml) runs.
    file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// Output directory [default: kramers-out].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the file's seed (0 to 4294967295).
    #[arg(long)]
    seed: Option<u64>,
    /// Override the trajectories per case.
    #[arg(long)]
    trajectories: Option<u64>,
    /// Simulate the k-th of n equal slices of every case's trajectories (k = 0..n-1);
    /// without it, SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX /
    /// KRAMERS_SHARD_COUNT name the shard. `kramers merge` combines the results.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// GPU adapters to split the trajectories across: `all` or indices from
    /// `kramers devices` (e.g. 0,1).
    #[arg(long, value_name = "all|I,J,..")]
    devices: Option<String>,
    /// Write a checkpoint into the output directory every SECONDS (0: never).
    #[arg(long, value_name = "SECONDS", default_value = "60")]
    checkpoint_every: f64,
    /// Continue the interrupted run whose checkpoint is in DIR, and write its result there.
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    use kramers::backend::engine::{Devices, Engine};
    use kramers::report::checkpoint;
    use kramers::spec::shard::Shard;

    let (text, origin) = match &args.file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|source| kramers::Error::Io {
                action: "read",
                path: path.clone(),
                source,
            })?,
            path.display().to_string(),
        ),
        None => {
            eprintln!("no experiment file given: running the built-in default (assets/power-law-barrier.toml)");
            (
                DEFAULT_EXPERIMENT.to_string(),
                "built-in default experiment".to_string(),
            )
        }
    };
    let mut experiment = Experiment::from_toml(&text, &origin)?;
    let resumed = match &args.resume {
        Some(dir) => Some(checkpoint::read_checkpoint(dir)?),
        None => None,
    };
    let out = match (&args.resume, &args.out) {
        (Some(dir), Some(out)) if dir != out => {
            return Err(kramers::Error::invalid(
                "--out",
                out.display(),
                "leave it out with --resume: the run continues in its own directory",
            )
            .into())
        }
        (Some(dir), _) => dir.clone(),
        (None, out) => out.clone().unwrap_or_else(|| PathBuf::from("kramers-out")),
    };
    if let Some(seed) = args.seed.or(resumed.as_ref().map(|c| c.seed as u64)) {
        experiment = experiment.with_seed(seed)?;
    }
    if let Some(n) = args
        .trajectories
        .or(resumed.as_ref().map(|c| c.trajectories as u64))
    {
        experiment = experiment.with_trajectories(n)?;
    }
    // --shard, else the checkpoint's own slice when resuming (a task resubmitted
    // alone sees a scheduler environment of one task), else the scheduler's.
    let shard = match (&args.shard, resumed.as_ref().and_then(|c| c.shard.clone())) {
        (Some(text), _) => Some(Shard::parse(text)?),
        (None, Some(from_checkpoint)) => Some(from_checkpoint),
        (None, None) => Shard::from_env(|name| std::env::var(name).ok())?,
    };
    if let Some(shard) = &shard {
        let range = shard.range(experiment.trajectories)?;
        eprintln!(
            "note: shard {}/{} (from {}): trajectories {}..{} of every case",
            shard.index, shard.count, shard.source, range.start, range.end
        );
        experiment = experiment.with_range(range)?;
    }
    if !(args.checkpoint_every.is_finite() && args.checkpoint_every >= 0.0) {
        return Err(kramers::Error::invalid(
            "--checkpoint-every",
            args.checkpoint_every,
            "seconds >= 0 (0: no checkpoints)",
        )
        .into());
    }
    let every = (args.checkpoint_every > 0.0)
        .then(|| std::time::Duration::from_secs_f64(args.checkpoint_every));
    let devices = args.devices.as_deref().map(Devices::parse).transpose()?;
    for warning in experiment.warnings() {
        eprintln!("warning: {warning}");
    }

    let engine = Engine::open(args.backend, devices.as_ref(), &mut |notice| {
        eprintln!("note: {notice}")
    })?;
    if let Some(rare) = &experiment.rare {
        for (given, field) in [
            (
                shard.is_some(),
                "--shard (or a scheduler's array environment)",
            ),
            (resumed.is_some(), "--resume"),
        ] {
            if given {
                return Err(kramers::Error::invalid(
                    field,
                    "given with a [rare] experiment",
                    "a run without it: rare-event splitting runs whole, without shards or checkpoints",
                )
                .into());
            }
        }
        return rare_run(&experiment, rare, &engine, &out, origin, text);
    }
    let resume = match &resumed {
        Some(c) => {
            let partial = c.partial(&out, &experiment, engine.backend())?;
            eprintln!(
                "note: resuming {}: {} of {} trajectories per case were done",
                out.display(),
                partial.done,
                experiment.range.len()
            );
            Some(partial)
        }
        None => {
            if out.join(checkpoint::CHECKPOINT_FILE).is_file() {
                eprintln!(
                    "note: {} holds the checkpoint of an interrupted run (--resume {} continues it); starting afresh",
                    out.display(),
                    out.display()
                );
            }
            None
        }
    };
    let bar = progress_bar(experiment.total_trajectories());
    bar.inc(resume.as_ref().map_or(0, |p| p.done as u64) * experiment.cases.len() as u64);
    let mut run = kramers::run::run(
        &experiment,
        &engine,
        RunOptions {
            checkpoints: every.map(|every| (out.as_path(), every)),
            resume,
            shard,
            progress: &|n| bar.inc(n),
            command_line: std::env::args().collect(),
            cancel: None,
        },
    )?;
    bar.finish_and_clear();
    run.result.run.experiment.path = origin;
    run.result.run.experiment.text = text;
    kramers::run::write_files(&out, &experiment, &mut run)?;
    let result = run.result;
    print_summary(&result);
    warn_diverged(&result);
    println!("wrote {}", out.join("result.json").display());
    // the result is safe on disk; a plot that fails is reported, not fatal
    match kramers::report::run_plots::write_run_plots(&out, &result) {
        Ok(paths) => print_plots(&paths),
        Err(e) => eprintln!("warning: plots not drawn: {e}"),
    }
    Ok(())
}

/// `kramers run` of an experiment with a `[rare]` table: AMS for every case.
fn rare_run(
    experiment: &Experiment,
    rare: &kramers::rare::RareSettings,
    engine: &dyn kramers::backend::Backend,
    out: &std::path::Path,
    origin: String,
    text: String,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(experiment.cases.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases (splitting), eta {eta}",
        )
        .expect("valid template"),
    );
    bar.tick();
    let mut result = kramers::rare::result::run(
        experiment,
        rare,
        engine,
        std::env::args().collect(),
        &|_| bar.inc(1),
        None,
    )?;
    bar.finish_and_clear();
    result.run.experiment.path = origin;
    result.run.experiment.text = text;
    std::fs::create_dir_all(out).map_err(|source| kramers::Error::Io {
        action: "create",
        path: out.to_path_buf(),
        source,
    })?;
    kramers::report::write_atomic(&out.join("cases.csv"), result.to_csv().as_bytes())?;
    kramers::report::write_atomic(&out.join("result.json"), result.to_json().as_bytes())?;
    println!(
        "{:>5}  {:>12}  {:>27}  {:>10}  {:>12}  {:>7}  {:>11}",
        "case", "mfpt (AMS)", "95% interval", "p", "exact", "z", "steps"
    );
    for case in &result.cases {
        let r = &case.rare;
        let exact = case.theory.as_ref().and_then(|t| {
            if experiment.shape.bridge {
                t.exact_mfpt
            } else {
                t.exact_mfpt_shifted
            }
        });
        let z = case
            .theory
            .as_ref()
            .and_then(|t| t.z.as_ref())
            .and_then(|z| z.mfpt);
        let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4e}"));
        println!(
            "{:>5}  {:>12}  {:>27}  {:>10.3e}  {:>12}  {:>7}  {:>11}",
            case.index,
            num(r.mfpt),
            r.ci95
                .map_or("-".to_string(), |c| format!("[{:.4e}, {:.4e}]", c[0], c[1])),
            r.p,
            num(exact),
            z.map_or("-".to_string(), |z| format!("{z:+.2}")),
            r.steps
        );
        if r.unfinished_runs > 0 {
            eprintln!(
                "warning: case {}: {} of {} runs reached rare.max_rounds before finishing; raise it",
                case.index, r.unfinished_runs, r.runs
            );
        }
    }
    println!(
        "{} on {}: {:.1} s, {:.3e} steps/s",
        result.method, result.device, result.run.wall_time_s, result.run.trajectory_steps_per_s
    );
    println!("wrote {}", out.join("result.json").display());
    Ok(())
}

fn print_plots(paths: &[PathBuf]) {
    let names: Vec<String> = paths
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if !names.is_empty() {
        println!("plots: {}", names.join(", "));
    }
}

fn bench_command(
    options: &kramers::bench::BenchOptions,
    json: Option<&Path>,
    out: &Path,
) -> anyhow::Result<()> {
    // Refuse bad options and unwritable places before minutes of measuring.
    options.check()?;
    let json_dir = json
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty());
    for dir in std::iter::once(out).chain(json_dir) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let report = kramers::bench::run(options, &mut |line| eprintln!("bench: {line}"))?;
    print!("{}", kramers::bench::table(&report));
    let text = kramers::report::json_text(&report);
    write_atomic(&out.join("bench.json"), text.as_bytes())?;
    if let Some(path) = json {
        write_atomic(path, text.as_bytes())?;
    }
    kramers::report::bench_plot::write_bench_plot(out, &report)?;
    println!("wrote {}/bench.json, bench.png, bench.svg", out.display());
    Ok(())
}

fn plot_command(file: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).map_err(|source| kramers::Error::Io {
        action: "read",
        path: file.to_path_buf(),
        source,
    })?;
    let result: RunResult = serde_json::from_str(&text).map_err(|e| {
        kramers::Error::invalid(
            "FILE",
            file.display(),
            format!("a result.json written by `kramers run` ({e})"),
        )
    })?;
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let paths = kramers::report::run_plots::write_run_plots(&dir, &result)?;
    println!("wrote into {}:", dir.display());
    print_plots(&paths);
    Ok(())
}

/// A warning for every case with diverged trajectories (they are left out of its statistics).
fn warn_diverged(result: &RunResult) {
    let diverged: Vec<_> = result.cases.iter().filter(|c| c.diverged > 0).collect();
    for case in diverged.iter().take(10) {
        eprintln!(
            "warning: case {}: {} of {} trajectories diverged (a coordinate beyond 1e9, or NaN/Inf); \
             they are excluded from every statistic of the case",
            case.index, case.diverged, case.trajectories
        );
    }
    if diverged.len() > 10 {
        eprintln!(
            "warning: {} more cases have diverged trajectories (see `diverged` in result.json)",
            diverged.len() - 10
        );
    }
}

fn merge_command(inputs: &[PathBuf], output: &Path, csv: Option<&Path>) -> anyhow::Result<()> {
    use kramers::report::fpt_file;
    let to_directory = output.extension().is_none_or(|e| e != "json");
    if let (true, Some(csv)) = (to_directory, csv) {
        return Err(kramers::Error::invalid(
            "--csv",
            csv.display(),
            "only with -o FILE.json (a directory output holds its cases.csv)",
        )
        .into());
    }
    // each shard: its result.json and the directory its other files are in
    let mut shards = Vec::new();
    let mut directories = Vec::new();
    for input in inputs {
        let (file, directory) = if input.is_dir() {
            (input.join("result.json"), input.clone())
        } else {
            let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
            (
                input.clone(),
                parent.unwrap_or(Path::new(".")).to_path_buf(),
            )
        };
        let text = std::fs::read_to_string(&file).map_err(|source| kramers::Error::Io {
            action: "read",
            path: file.clone(),
            source,
        })?;
        let result: RunResult = serde_json::from_str(&text).map_err(|e| {
            kramers::Error::Incompatible(format!(
                "cannot merge: {} is not a kramers result.json ({e})",
                file.display()
            ))
        })?;
        shards.push((file.display().to_string(), result));
        directories.push(directory);
    }
    let (experiment, merged) = kramers::report::merge::merge(&shards)?;
    let cases = experiment.cases.len();
    // Every shard's first-passage file is checked before anything is written.
    let first_passage = match (to_directory, experiment.observe.fpt_file) {
        (true, Some(format)) => {
            let parts = kramers::report::merge::trajectory_order(&shards)
                .into_iter()
                .map(|i| {
                    let run = &shards[i].1.run;
                    let [start, end] = run.trajectory_range;
                    fpt_file::check_shard(
                        format,
                        &directories[i],
                        cases,
                        (end - start) as u64,
                        run.first_passage.as_ref(),
                    )
                })
                .collect::<kramers::Result<Vec<_>>>()?;
            Some((format, parts))
        }
        _ => None,
    };
    let mut result = RunResult::new(&experiment, &merged, std::env::args().collect());
    result.run.experiment = shards[0].1.run.experiment.clone();
    result.run.merged_from = shards.iter().map(|(name, _)| name.clone()).collect();
    let steps: u64 = merged
        .tallies
        .iter()
        .map(|t| t.trajectory_steps(experiment.max_steps))
        .sum();
    result.run.trajectory_steps_per_s = steps as f64 / merged.wall_time.as_secs_f64().max(1e-9);
    let (json, csv) = if to_directory {
        (output.join("result.json"), Some(output.join("cases.csv")))
    } else {
        (output.to_path_buf(), csv.map(Path::to_path_buf))
    };
    if let Some(dir) = json.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if let Some((format, parts)) = &first_passage {
        let path = output.join(fpt_file::file_name(*format));
        result.run.first_passage = Some(fpt_file::concatenate(*format, parts, cases, &path)?);
    }
    if let Some(csv) = &csv {
        write_atomic(csv, result.to_csv().as_bytes())?;
    }
    // result.json last: its presence says the directory is complete
    write_atomic(&json, result.to_json().as_bytes())?;
    print_summary(&result);
    warn_diverged(&result);
    println!(
        "merged {} shards ({} trajectories per case) into {}",
        shards.len(),
        result.trajectories,
        output.display()
    );
    if let (false, Some(format)) = (to_directory, experiment.observe.fpt_file) {
        eprintln!(
            "note: the shards' {} files are not merged into a .json output; `-o DIR` concatenates them",
            fpt_file::file_name(format)
        );
    }
    if to_directory {
        match kramers::report::run_plots::write_run_plots(output, &result) {
            Ok(paths) => print_plots(&paths),
            Err(e) => eprintln!("warning: plots not drawn: {e}"),
        }
    }
    Ok(())
}

fn print_summary(result: &RunResult) {
    println!(
        "{}: {} cases x {} trajectories on {} ({}), {:.2} s, {:.3e} trajectory-steps/s",
        result.name,
        result.cases.len(),
        result.trajectories,
        result.backend,
        result.device,
        result.run.wall_time_s,
        result.run.trajectory_steps_per_s
    );
    println!(
        "{:>5}  {:<40} {:>9} {:>9} {:>24} {:>12}",
        "case", "parameters", "escaped", "censored", "MFPT (95% CI)", "rate"
    );
    for case in &result.cases {
        let params: Vec<String> = case
            .params
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    k.rsplit('.').next().unwrap_or(k),
                    v.to_string().trim_matches('"')
                )
            })
            .collect();
        let mfpt = match (case.fpt.mean, case.fpt.ci95) {
            (Some(m), Some([lo, hi])) => format!("{m:.4} [{lo:.4}, {hi:.4}]"),
            (Some(m), None) => format!("{m:.4}"),
            _ => "censored".to_string(),
        };
        println!(
            "{:>5}  {:<40} {:>9} {:>9} {:>24} {:>12.4e}",
            case.index,
            params.join(" "),
            case.fpt.escaped,
            case.fpt.censored,
            mfpt,
            case.fpt.rate
        );
    }
}

fn escape(
    file: Option<&Path>,
    quick: bool,
    choice: BackendChoice,
    out: &Path,
) -> anyhow::Result<()> {
    use kramers::analysis::escape_sweep;
    let dynamics = match file {
        Some(path) => escape_sweep::file_sweep(Experiment::from_path(path)?)?,
        None => escape_sweep::default_sweep(quick),
    };
    // the bar counts direct trajectories; split heights take a second or so each
    let total: u64 = dynamics
        .iter()
        .map(|d| {
            let direct = d.experiment.cases.iter();
            let direct = direct.filter(|c| !escape_sweep::by_splitting(&c.model));
            direct.count() as u64 * d.experiment.range.len() as u64
        })
        .sum();
    let bar = progress_bar(total);
    let (points, device) = escape_sweep::run(
        &dynamics,
        escape_sweep::Method::Split,
        choice,
        &|n| bar.inc(n),
        &mut notices(&bar),
        None,
    )?;
    bar.finish_and_clear();
    let curves = escape_sweep::curves(&dynamics);
    let growth = escape_sweep::growth_fits(&points);
    let large = kramers::report::escape_report::LargeBarriers::of(&dynamics, &points, &curves);
    print!("{}", kramers::report::escape_report::escape_table(&points));
    print!("{}", kramers::report::escape_report::growth_table(&growth));
    print!(
        "{}",
        kramers::report::escape_report::lemma6_table(&large.lemma6)
    );
    kramers::report::escape_report::write_escape(
        out,
        &Default::default(),
        &device,
        &points,
        &curves,
        &growth,
        &large,
    )?;
    let prefactor = if large.prefactor.is_empty() {
        ""
    } else {
        ", escape-prefactor.png, escape-prefactor.svg"
    };
    println!(
        "ran on {device}; wrote {}/escape.csv, escape.json, escape.png, escape.svg{prefactor}",
        out.display()
    );
    Ok(())
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Figure {
    /// Figure 10: mean escape time vs barrier height, GLD (sigma = 4) vs PLD (lambda1 = 1, lambda2 = 4), eta = 0.1.
    Fig10,
    /// Figure 4: success rate of leaving the flat basin of the 2-D loss in 500 iterations.
    Fig4,
}

/// A notice printer that says each distinct notice once, above the progress bar.
fn notices(bar: &ProgressBar) -> impl FnMut(&str) + '_ {
    let mut said: Vec<String> = Vec::new();
    move |notice: &str| {
        if !said.iter().any(|s| s == notice) {
            bar.suspend(|| eprintln!("note: {notice}"));
            said.push(notice.to_string());
        }
    }
}

fn reproduce(figure: Figure, quick: bool, choice: BackendChoice, out: &Path) -> anyhow::Result<()> {
    use kramers::analysis::{escape_sweep, reproduce};
    use kramers::report::escape_report::{escape_table, growth_table, write_escape, EscapeFiles};
    match figure {
        Figure::Fig10 => {
            let fig = reproduce::fig10(quick);
            let all: Vec<&escape_sweep::Dynamic> = fig.paper.iter().chain(&fig.check).collect();
            let total: u64 = all.iter().map(|d| d.experiment.total_trajectories()).sum();
            let bar = progress_bar(total);
            let mut notice = notices(&bar);
            // the paper's dynamics, then the continuous-time check (as the paper: direct runs)
            let mut run = |dynamics| {
                escape_sweep::run(
                    dynamics,
                    escape_sweep::Method::Direct,
                    choice,
                    &|n| bar.inc(n),
                    &mut notice,
                    None,
                )
            };
            let (points, device) = run(&fig.paper)?;
            let (check, _) = run(&fig.check)?;
            bar.finish_and_clear();
            let mut curves = escape_sweep::curves(&fig.paper);
            // the continuous-time check's exact values (no shift: bridge)
            curves.extend(
                escape_sweep::curves(&fig.check)
                    .into_iter()
                    .filter(|c| c.kind == "exact"),
            );
            let growth = escape_sweep::growth_fits(&points);
            println!(
                "Figure 10: barrier potential, curvatures Ha = Hb = {c}, start at the minimum, eta = dt = {eta}; exact = quadrature at the level shifted for once-per-step monitoring",
                c = reproduce::FIG10_CURVATURE,
                eta = reproduce::FIG10_ETA
            );
            print!("{}", escape_table(&points));
            println!("growth with the barrier height (slope ± standard error; exact values' slope in parentheses):");
            print!("{}", growth_table(&growth));
            println!(
                "continuous-time check: the same SDEs at dt = {}, Brownian-bridge exit, against the exact quadrature (99% CI: |z| < 2.576):",
                reproduce::FIG10_CHECK_DT
            );
            print!("{}", escape_table(&check));
            let worst = check
                .iter()
                .filter_map(|p| p.z)
                .fold(0.0f64, |a, z| a.max(z.abs()));
            println!(
                "largest |z| of the check: {worst:.2} ({})",
                if worst < 2.576 {
                    "within the 99% CI"
                } else {
                    "OUTSIDE the 99% CI"
                }
            );
            let mut all_points = points.clone();
            all_points.extend(check);
            write_escape(
                out,
                &EscapeFiles {
                    stem: "fig10",
                    title: "Figure 10: mean escape time, GLD vs PLD (eta = 0.1): exact (solid), asymptotes (dashed)",
                },
                &device,
                &all_points,
                &curves,
                &growth,
                &Default::default(),
            )?;
            println!(
                "ran on {device}; wrote {}/fig10.csv, fig10.json, fig10.png, fig10.svg",
                out.display()
            );
        }
        Figure::Fig4 => {
            let (_, runs) = reproduce::fig4_experiments(quick);
            let total: u64 = runs.iter().map(|r| r.0.total_trajectories()).sum();
            let bar = progress_bar(total);
            let mut notice = notices(&bar);
            let fig = reproduce::fig4(quick, choice, &|n| bar.inc(n), &mut notice)?;
            bar.finish_and_clear();
            print!("{}", kramers::report::fig4_report::fig4_table(&fig));
            kramers::report::fig4_report::write_fig4(out, &fig)?;
            println!(
                "ran on {}; wrote {}/fig4.csv, fig4.json, fig4.png, fig4.svg",
                fig.device,
                out.display()
            );
        }
    }
    Ok(())
}

fn theory_command(file: &Path, json: bool) -> anyhow::Result<()> {
    use kramers::analysis::references::theory_rows;
    let experiment = Experiment::from_path(file)?;
    let rows = theory_rows(&experiment);
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6e}"));
    println!(
        "{}: {} cases ({} + {}, dim {})",
        experiment.name,
        experiment.cases.len(),
        experiment.shape.potential.name(),
        experiment.shape.noise.name(),
        experiment.shape.dim
    );
    println!(
        "{:>4}  {:<56} {:>13} {:>13}  asymptotic / stationary",
        "case", "parameters", "exact MFPT", "shifted (dt)"
    );
    for row in &rows {
        let (i, params) = (row.index, &row.params);
        let t = row.theory.clone().unwrap_or_default();
        let mut extra: Vec<String> = Vec::new();
        if let Some(k) = &t.kramers {
            extra.push(format!(
                "Kramers top {:.4e} (crossing {:.4e})",
                k.top_time, k.crossing_time
            ));
        }
        if let Some(l) = &t.lemma6 {
            extra.push(format!(
                "Lemma 6: kappa {:.3}, crossing {}, factorized top {}, growth exponent {:.3}",
                l.kappa,
                num(l.crossing_time),
                num(l.factorized_top_time),
                l.growth_exponent
            ));
        }
        if let Some(l) = &t.levy_exit {
            extra.push(format!(
                "Levy exit {:.4e} (r- {}, r+ {})",
                l.time,
                num(l.r_minus),
                num(l.r_plus)
            ));
        }
        if let Some(l) = &t.located {
            extra.push(format!(
                "found: minimum {:.6}, top {}, kink {}",
                l.minimum,
                num(l.top),
                num(l.kink)
            ));
        }
        if let Some(s) = &t.stationary {
            let mut parts = vec![format!("{} law, center {}", s.law, s.center)];
            for (name, v) in [
                ("variance", s.variance),
                ("EM variance", s.em_variance),
                ("nu", s.nu),
                ("scale", s.scale),
                ("kappa", s.kappa),
                ("EM E(x-c)^2", s.em_second_moment),
                ("index", s.stable_index),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{name} {v:.6}"));
                }
            }
            extra.push(parts.join(", "));
        }
        if extra.is_empty() {
            extra.push("no analytic reference applies".into());
        }
        println!(
            "{:>4}  {:<56} {:>13} {:>13}  {}",
            i,
            params,
            num(t.exact_mfpt),
            num(t.exact_mfpt_shifted),
            extra.join("; ")
        );
    }
    println!("exit monitoring: once per step (shifted = exact at b + 0.5826 sqrt(D(b) dt)); the Brownian-bridge correction is not modelled");
    Ok(())
}

fn check_command(quick: bool, choice: BackendChoice) -> anyhow::Result<()> {
    use kramers::analysis::check::{run_checks, runner, Statistic};
    let started = std::time::Instant::now();
    let no_bar = ProgressBar::hidden();
    let mut notice = notices(&no_bar);
    let mut run = runner(choice, &mut notice);
    let rows = run_checks(quick, &mut run)?;
    println!(
        "{:<64} {:<7} {:>32} {:>12} {:>14} {:>6} {:>9}",
        "check", "backend", "value [95% CI]", "theory", "z / p / tol", "result", "false-fail"
    );
    for row in &rows {
        let value = match row.ci95 {
            Some([lo, hi]) => format!("{:.6} [{lo:.6}, {hi:.6}]", row.value),
            None => format!("{:.6}", row.value),
        };
        let statistic = match row.statistic {
            Statistic::Z(z) => format!("z = {z:+.2}"),
            Statistic::P(p) => format!("p = {p:.3}"),
            Statistic::Tolerance(t) => format!("tol {t}"),
        };
        println!(
            "{:<64} {:<7} {:>32} {:>12.6} {:>14} {:>6} {:>9.1e}",
            row.name,
            row.backend,
            value,
            row.theory,
            statistic,
            if row.pass { "pass" } else { "FAIL" },
            row.false_failure_rate
        );
    }
    let failed = rows.iter().filter(|r| !r.pass).count();
    let rate: f64 = rows.iter().map(|r| r.false_failure_rate).sum();
    println!(
        "{} checks, {failed} failed, {:.1} s (false-failure rate of the suite <= {rate:.1e})",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}

fn fit_tail_command(file: &Path, column: Option<&str>, out: &Path) -> anyhow::Result<()> {
    use kramers::analysis::tail_fit::{fit_tail, qq_normal, qq_student_t, read_samples};
    use kramers::report::qq_plot::qq_plot_png;
    let samples = read_samples(file, column)?;
    let fit = fit_tail(&samples);
    println!(
        "{}: {} values, mean {:.6e}, sd {:.6e}",
        file.display(),
        fit.n,
        fit.mean,
        fit.sd
    );
    match &fit.student_t {
        Some(t) => {
            println!(
                "Student-t MLE: nu = {:.4} [{:.4}, {:.4}], scale = {:.6e}, location = {:.6e}",
                t.nu, t.nu_interval.lo, t.nu_interval.hi, t.scale, t.location
            );
            println!(
                "  kappa = (nu - 1)/2 = {:.4} [{:.4}, {:.4}] (Ito/SGD reading, alpha = 0; 95% Wald)",
                t.kappa, t.kappa_interval.lo, t.kappa_interval.hi
            );
        }
        None => println!("Student-t MLE: no finite fit (nearly Gaussian sample: nu -> inf)"),
    }
    for h in &fit.hill {
        println!(
            "Hill tail index (k = {}): a = {:.4} [{:.4}, {:.4}] (a Student-t's nu)",
            h.k, h.index, h.interval.lo, h.interval.hi
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let normal = out.join("qq-normal.png");
    qq_plot_png(
        &normal,
        "Q-Q against the normal law (sample mean, sd)",
        "normal quantile",
        &qq_normal(&samples, &fit),
    )?;
    println!("wrote {}", normal.display());
    if let (Some(points), Some(t)) = (qq_student_t(&samples, &fit), &fit.student_t) {
        let path = out.join("qq-student-t.png");
        qq_plot_png(
            &path,
            &format!("Q-Q against the fitted Student-t (nu = {:.2})", t.nu),
            "Student-t quantile",
            &points,
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
