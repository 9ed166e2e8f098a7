//! The `kramers` command line: clap, one library call per command, and the
//! printing. The policy lives in the library: the run path (`kramers::run`),
//! the studies (`kramers::studies`), the tables (`kramers::report::tables`).

use args::{Cli, Command, Figure, RunArgs, StudyArgs};
use clap::Parser;
use indicatif::ProgressBar;
use kramers::backend::engine::{Devices, Engine};
use kramers::backend::Progress;
use kramers::report::{tables, ExperimentSource};
use kramers::run::{Outcome, Overrides, RunOptions};
use kramers::spec::Experiment;
use kramers::studies::{self, bench, check, escape, reproduce, turnover, Study};
use std::path::Path;
use std::process::ExitCode;

mod args;
mod ui;

use ui::{describe, notices, plots, print_plots, progress_bar, warn};

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
    let out_dir = |out: &Path| out.display().to_string();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { files } => {
            for file in &files {
                let experiment = Experiment::from_path(file)?;
                println!("{}: {}", file.display(), describe(&experiment));
            }
            Ok(())
        }
        Command::Merge {
            shards,
            output,
            csv,
        } => {
            let merged = kramers::report::merge::merge_into(
                &shards,
                &output,
                csv.as_deref(),
                std::env::args().collect(),
            )?;
            print!("{}", tables::run_table(&merged.result));
            warn(&tables::diverged_warnings(&merged.result));
            println!(
                "merged {} shards ({} trajectories per case) into {}",
                merged.shards,
                merged.result.trajectories,
                output.display()
            );
            merged.notes.iter().for_each(|n| eprintln!("note: {n}"));
            if merged.to_directory {
                plots(&output, &merged.result);
            }
            Ok(())
        }
        Command::Devices { json } => {
            let adapters = kramers::backend::gpu::adapters();
            match json {
                true => println!("{}", serde_json::to_string_pretty(&adapters)?),
                false => print!("{}", tables::devices_table(&adapters)),
            }
            Ok(())
        }
        Command::Escape { file, quick, study } => {
            let dynamics = escape::sweep_of(file.as_deref(), quick)?;
            run_study(
                &study,
                escape::direct_trajectories(&dynamics),
                |progress, notice| escape::study(&dynamics, study.backend, progress, notice, None),
            )
        }
        Command::Turnover { file, quick, study } => {
            let experiment = turnover::experiment_of(file.as_deref(), quick)?;
            run_study(
                &study,
                turnover::trajectories(&experiment),
                |progress, notice| {
                    turnover::study(&experiment, study.backend, progress, notice, None)
                },
            )
        }
        Command::Plot { file, out } => {
            let (dir, paths) = kramers::report::run_plots::replot(&file, out.as_deref())?;
            println!("wrote into {}:", dir.display());
            print_plots(&paths);
            Ok(())
        }
        Command::Bench {
            quick,
            json,
            out,
            backend,
            workloads,
            sizes,
        } => {
            let options = bench::BenchOptions {
                quick,
                backends: backend,
                workloads,
                sizes,
            };
            // Refuse bad options and unwritable places before minutes of measuring.
            options.check()?;
            bench::make_places(&out, json.as_deref())?;
            let report = bench::run(&options, &mut |line| eprintln!("bench: {line}"))?;
            print!("{}", bench::table(&report));
            bench::write(&report, &out, json.as_deref())?;
            println!("wrote {}/bench.json, bench.png, bench.svg", out_dir(&out));
            Ok(())
        }
        Command::Reproduce {
            figure,
            quick,
            backend,
            out,
        } => match figure {
            Figure::Fig10 => {
                let fig = reproduce::fig10(quick);
                let bar = progress_bar(reproduce::fig10_trajectories(&fig));
                let run = reproduce::run_fig10(&fig, backend, &|n| bar.inc(n), &mut notices(&bar))?;
                bar.finish_and_clear();
                print!("{}", run.table());
                run.write(&out)?;
                println!(
                    "ran on {}; wrote {}/fig10.csv, fig10.json, fig10.png, fig10.svg",
                    run.device,
                    out_dir(&out)
                );
                Ok(())
            }
            Figure::Fig4 => {
                let bar = progress_bar(reproduce::fig4_trajectories(quick));
                let fig = reproduce::fig4(quick, backend, &|n| bar.inc(n), &mut notices(&bar))?;
                bar.finish_and_clear();
                print!("{}", reproduce::fig4_report::fig4_table(&fig));
                reproduce::fig4_report::write_fig4(&out, &fig)?;
                println!(
                    "ran on {}; wrote {}/fig4.csv, fig4.json, fig4.png, fig4.svg",
                    fig.device,
                    out_dir(&out)
                );
                Ok(())
            }
        },
        Command::Theory { file, json, plot } => {
            let experiment = Experiment::from_path(&file)?;
            let rows = kramers::analysis::references::theory_rows(&experiment);
            match json {
                true => println!("{}", serde_json::to_string_pretty(&rows)?),
                false => print!("{}", tables::theory_table(&experiment, &rows)),
            }
            if let Some(dir) = plot {
                let solved: Vec<_> = rows
                    .iter()
                    .filter_map(|r| {
                        let t = r.theory.as_ref()?;
                        Some((r.index, t.exact_2d.as_ref()?, t.eyring_kramers.as_ref()))
                    })
                    .collect();
                if solved.is_empty() {
                    return Err(kramers::error::Error::invalid(
                        "--plot",
                        dir.display(),
                        "an experiment with a case the exact 2-D solve covers (dim = 2, a noise with a variance law, an exit set)",
                    )
                    .into());
                }
                kramers::report::atomic::create_dir(&dir)?;
                let paths = kramers::report::plane_plot::write_plane_plots(
                    &dir,
                    &experiment.name,
                    &solved,
                )?;
                say_plots(&dir, &paths);
            }
            Ok(())
        }
        Command::Landscape { file, json, plot } => {
            let experiment = Experiment::from_path(&file)?;
            if experiment.shape.dim != 2 {
                return Err(kramers::error::Error::invalid(
                    "dim",
                    experiment.shape.dim,
                    "2: the landscape search covers the plane",
                )
                .into());
            }
            let rows = kramers::analysis::landscape::landscape_rows(&experiment);
            match json {
                true => println!("{}", serde_json::to_string_pretty(&rows)?),
                false => print!("{}", tables::landscape_table(&experiment, &rows)),
            }
            if let Some(dir) = plot {
                if rows.iter().all(|r| r.landscape.is_none()) {
                    anyhow::bail!("no case has a landscape to draw (see the table)");
                }
                kramers::report::atomic::create_dir(&dir)?;
                let paths = kramers::report::plane_plot::write_landscape_plots(
                    &dir,
                    &experiment.name,
                    &rows,
                )?;
                say_plots(&dir, &paths);
            }
            if rows.iter().all(|r| r.landscape.is_none()) {
                anyhow::bail!("no case has a landscape");
            }
            Ok(())
        }
        Command::Check { quick, backend } => {
            let started = std::time::Instant::now();
            let no_bar = ProgressBar::hidden();
            let mut notice = notices(&no_bar);
            let mut runner = check::runner(backend, &mut notice);
            let rows = check::run_checks(quick, &mut runner)?;
            print!("{}", check::table(&rows, started.elapsed().as_secs_f64()));
            let failed = rows.iter().filter(|r| !r.pass).count();
            if failed > 0 {
                anyhow::bail!("{failed} check(s) failed");
            }
            Ok(())
        }
        Command::FitTail { file, column, out } => {
            print!(
                "{}",
                studies::tail::fit_and_plot(&file, column.as_deref(), &out)?
            );
            Ok(())
        }
    }
}

/// A study command (`escape`, `turnover`): run it under a progress bar of
/// `trajectories`, print its table, write its files into `--out`.
fn run_study<S: Study>(
    args: &StudyArgs,
    trajectories: u64,
    study: impl FnOnce(Progress<'_>, &mut dyn FnMut(&str)) -> kramers::Result<S>,
) -> anyhow::Result<()> {
    let bar = progress_bar(trajectories);
    let study = study(&|n| bar.inc(n), &mut notices(&bar))?;
    bar.finish_and_clear();
    print!("{}", study.table());
    let names = study.write(&args.out)?;
    println!(
        "ran on {}; wrote {}/{}",
        study.device(),
        args.out.display(),
        names.join(", ")
    );
    Ok(())
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let source = match &args.file {
        Some(path) => ExperimentSource {
            path: path.display().to_string(),
            text: std::fs::read_to_string(path).map_err(|source| kramers::Error::Io {
                action: "read",
                path: path.clone(),
                source,
            })?,
        },
        None => {
            eprintln!("no experiment file given: running the built-in default (assets/power-law-barrier.toml)");
            ExperimentSource {
                path: kramers::run::DEFAULT_EXPERIMENT_ORIGIN.to_string(),
                text: kramers::run::DEFAULT_EXPERIMENT.to_string(),
            }
        }
    };
    let prepared = kramers::run::prepare(
        source,
        &Overrides {
            seed: args.seed,
            trajectories: args.trajectories,
            shard: args.shard,
            shard_from_env: true,
            resume: args.resume,
            out: args.out,
            checkpoint_every: Some(args.checkpoint_every),
            first_passage: None,
            extrapolate: args.extrapolate,
        },
    )?;
    let devices = args.devices.as_deref().map(Devices::parse).transpose()?;
    let experiment = &prepared.experiment;
    prepared.notes.iter().for_each(|n| eprintln!("note: {n}"));
    warn(&experiment.warnings());
    if args.dry_run {
        println!("{}", describe(experiment));
        println!("dry run: nothing simulated, nothing written");
        return Ok(());
    }
    let engine = Engine::open(args.backend, devices.as_ref(), &mut |notice| {
        eprintln!("note: {notice}")
    })?;
    let bar = match experiment.rare {
        Some(_) => ui::cases_bar(experiment.cases.len() as u64),
        // an extrapolated run simulates every trajectory twice (dt and dt/2)
        None => progress_bar(
            experiment.total_trajectories() * (1 + experiment.observe.extrapolate as u64),
        ),
    };
    bar.inc(prepared.resumed_trajectories());
    let mut outcome = kramers::run::run(
        &prepared,
        &engine,
        RunOptions {
            progress: &|n| bar.inc(n),
            case_done: &|_| bar.inc(1),
            notice: &|n| bar.suspend(|| eprintln!("note: {n}")),
            command_line: std::env::args().collect(),
            cancel: None,
        },
    )?;
    bar.finish_and_clear();
    outcome.write_files(&prepared.out, experiment)?;
    let json = prepared.out.join("result.json");
    match &outcome {
        Outcome::Direct(run) => {
            print!("{}", tables::run_table(&run.result));
            warn(&tables::diverged_warnings(&run.result));
            println!("wrote {}", json.display());
            plots(&prepared.out, &run.result);
        }
        Outcome::Split(result) => {
            let (table, warnings) = tables::split_table(result);
            print!("{table}");
            warn(&warnings);
            println!("wrote {}", json.display());
        }
    }
    Ok(())
}

/// "plots in DIR: a.png, a.svg, ..." on stderr.
fn say_plots(dir: &std::path::Path, paths: &[std::path::PathBuf]) {
    let names: Vec<String> = paths
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    eprintln!("plots in {}: {}", dir.display(), names.join(", "));
}
