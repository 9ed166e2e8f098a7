//! The command line's arguments (clap): one variant per command, its
//! options and their help.

use clap::{Parser, Subcommand};
use kramers::backend::BackendChoice;
use kramers::studies::bench;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kramers",
    version,
    about = "Batched SDE ensembles: escape times and stationary laws, on GPU or CPU"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Throughput of the fixed workloads W1–W5, W1-expr and W1-ud (assets/bench/) at several ensemble sizes, and of splitting (AMS20),
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
        backend: bench::BenchBackends,
        /// Only these workloads, e.g. `--workloads W1,W3` (default: all, W1 to W5, W1-expr, W1-ud and AMS20).
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
        #[command(flatten)]
        study: StudyArgs,
    },
    /// The Kramers turnover: mean escape time of underdamped dynamics against the
    /// friction, beside the high- and low-friction limits and Mel'nikov–Meshkov:
    /// table, turnover.csv, turnover.json, turnover.png, turnover.svg.
    Turnover {
        /// An underdamped experiment file whose cases sweep `dynamics.friction`;
        /// without one, the built-in sweep (double well, twelve frictions from 1e-4 to 30).
        file: Option<PathBuf>,
        /// A smaller sweep (five frictions from 1e-3 to 10, fewer trajectories).
        #[arg(long)]
        quick: bool,
        #[command(flatten)]
        study: StudyArgs,
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
    /// low-noise formulas, stationary-law parameters (docs/theory.md, section 5).
    Theory {
        /// Experiment file (TOML).
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Draw the exact 2-D solves (`T(x)` over the plane) into this
        /// directory: exact-2d.png and .svg (exact-2d-<case> for several cases).
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
    },
    /// The landscape of a 2-D experiment's cases, without simulating: the start's
    /// minimum, the index-1 saddles of its basin up to the exit set and the
    /// minimum-energy paths through them (docs/theory.md, section 9).
    Landscape {
        /// Experiment file (TOML), dim = 2.
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Draw L(x) with the minima, saddles and paths into this directory:
        /// landscape.png and .svg (landscape-<case> for several cases).
        #[arg(long, value_name = "DIR")]
        plot: Option<PathBuf>,
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
    /// Parse and validate experiment files without running them: exit 2 naming
    /// the first bad field of each, nothing written.
    Validate {
        /// Experiment files (TOML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the GPU adapters kramers can use (Vulkan, Metal, DX12), best first.
    Devices {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// Experiment file (TOML); see docs/experiment-files.md. Without one, the
    /// built-in default experiment (assets/power-law-barrier.toml) runs.
    pub file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Output directory [default: kramers-out].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the file's seed (0 to 4294967295).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the trajectories per case.
    #[arg(long)]
    pub trajectories: Option<u64>,
    /// Simulate the k-th of n equal slices of every case's trajectories (k = 0..n-1);
    /// without it, SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX /
    /// KRAMERS_SHARD_COUNT name the shard. `kramers merge` combines the results.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// GPU adapters to split the trajectories across: `all` or indices from
    /// `kramers devices` (e.g. 0,1).
    #[arg(long, value_name = "all|I,J,..")]
    pub devices: Option<String>,
    /// Write a checkpoint into the output directory every SECONDS (0: never).
    #[arg(long, value_name = "SECONDS", default_value = "60")]
    pub checkpoint_every: f64,
    /// Continue the interrupted run whose checkpoint is in DIR, and write its result there.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Read and validate the experiment with the overrides applied, say what would
    /// run, and stop: nothing is simulated or written.
    #[arg(long)]
    pub dry_run: bool,
    /// Run every trajectory at dt and at dt/2 on one Brownian path and report
    /// the Richardson extrapolation to dt -> 0 (as `observe.extrapolate = true`;
    /// docs/theory.md §10).
    #[arg(long)]
    pub extrapolate: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Figure {
    /// Figure 10: mean escape time vs barrier height, GLD (sigma = 4) vs PLD (lambda1 = 1, lambda2 = 4), eta = 0.1.
    Fig10,
    /// Figure 4: success rate of leaving the flat basin of the 2-D loss in 500 iterations.
    Fig4,
}

/// Where a study command (`escape`, `turnover`) runs and writes.
#[derive(clap::Args)]
pub struct StudyArgs {
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Output directory.
    #[arg(long, default_value = "kramers-out")]
    pub out: PathBuf,
}
