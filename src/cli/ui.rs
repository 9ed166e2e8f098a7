//! What the command line prints besides the library's tables: progress bars,
//! notices, warnings and the names of the plots it drew.

use indicatif::{ProgressBar, ProgressStyle};
use kramers::spec::Experiment;
use std::path::{Path, PathBuf};

/// One line on what an experiment runs.
pub fn describe(experiment: &Experiment) -> String {
    let shape = &experiment.shape;
    format!(
        "valid: {} ({} + {}, dim {}), {} cases x {} trajectories, {}",
        experiment.name,
        shape.potential.name(),
        shape.noise.name(),
        shape.dim,
        experiment.cases.len(),
        experiment.range.len(),
        match experiment.rare {
            Some(_) => "rare-event splitting",
            None => "direct simulation",
        }
    )
}

/// A progress bar on stderr for `total` trajectories (hidden when stderr is not a terminal).
pub fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} trajectories, eta {eta}")
            .expect("valid template"),
    );
    bar
}

/// A progress bar on stderr for `total` cases of a splitting run.
pub fn cases_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases (splitting), eta {eta}",
        )
        .expect("valid template"),
    );
    bar.tick();
    bar
}

/// A notice printer that says each distinct notice once, above the progress bar.
pub fn notices(bar: &ProgressBar) -> impl FnMut(&str) + '_ {
    let mut said: Vec<String> = Vec::new();
    move |notice: &str| {
        if !said.iter().any(|s| s == notice) {
            bar.suspend(|| eprintln!("note: {notice}"));
            said.push(notice.to_string());
        }
    }
}

pub fn warn(warnings: &[String]) {
    warnings.iter().for_each(|w| eprintln!("warning: {w}"));
}

pub fn print_plots(paths: &[PathBuf]) {
    let names: Vec<String> = paths
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if !names.is_empty() {
        println!("plots: {}", names.join(", "));
    }
}

/// Draw a result's plots; the result is safe on disk, so a plot that fails is reported, not fatal.
pub fn plots(dir: &Path, result: &kramers::report::RunResult) {
    match kramers::report::run_plots::write_run_plots(dir, result) {
        Ok(paths) => print_plots(&paths),
        Err(e) => eprintln!("warning: plots not drawn: {e}"),
    }
}
