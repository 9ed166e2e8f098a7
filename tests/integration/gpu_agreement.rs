//! GPU vs CPU on the same streams, tier 2: whole runs. For every noise model x
//! interpretation, on 10^5 trajectories with the same seed, the GPU (lavapipe
//! in CI) and the CPU backend give identical escaped counts, identical
//! first-passage steps for >= 99.9% of trajectories (the rest within a few
//! steps: device transcendentals and fused multiply-adds are not bit-exact),
//! and final-position histograms within 0.1% of counts in L1. Deterministic:
//! no false failures from sampling.

use crate::common;

use kramers::backend::cpu;
use kramers::spec::Experiment;

const TRAJECTORIES: usize = 100_000;

fn experiment(noise: &str, extra: &str) -> Experiment {
    let text = format!(
        r#"
name = "agreement"
seed = 11
dt = 0.01
max_steps = 3000
trajectories = {TRAJECTORIES}
{extra}
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = 0.4
[noise]
{noise}
[exit]
kind = "top"
[observe]
histogram = {{ range = [-3.0, 3.0], bins = 60 }}
fpt_file = "npy"
"#
    );
    Experiment::from_toml(&text, "agreement").expect("valid experiment")
}

fn assert_agree(name: &str, experiment: &Experiment) {
    let Some(gpu) = common::gpu() else { return };
    let cpu_run = cpu::run(experiment, &|_| {});
    let (gpu_run, _) = gpu.run(experiment, &|_| {}).expect("GPU run");
    let cpu_fpt = cpu_run
        .first_passage
        .as_ref()
        .expect("per-trajectory output");
    let gpu_fpt = gpu_run
        .first_passage
        .as_ref()
        .expect("per-trajectory output");
    for (case, (c, g)) in cpu_run.tallies.iter().zip(&gpu_run.tallies).enumerate() {
        let range = case * TRAJECTORIES..(case + 1) * TRAJECTORIES;
        let (a, b) = (&cpu_fpt[range.clone()], &gpu_fpt[range]);
        let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
        let worst = a
            .iter()
            .zip(b)
            .filter(|(x, y)| x != y && **x != 0 && **y != 0)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        eprintln!("{name} case {case}: {equal} of {TRAJECTORIES} identical, worst difference {worst} steps");
        assert!(
            equal as f64 >= 0.999 * TRAJECTORIES as f64,
            "{name} case {case}: only {equal} identical first-passage steps"
        );
        assert!(
            worst <= 8,
            "{name} case {case}: first passages differ by {worst} steps"
        );
        assert_eq!(c.trajectories, g.trajectories, "{name} case {case}");
        let escaped_diff = c.escaped.abs_diff(g.escaped);
        assert!(
            escaped_diff as f64 <= 0.001 * TRAJECTORIES as f64,
            "{name} case {case}: escaped {} vs {}",
            c.escaped,
            g.escaped
        );
        let l1: u64 = c.histograms[0]
            .counts
            .iter()
            .zip(&g.histograms[0].counts)
            .map(|(x, y)| x.abs_diff(*y))
            .sum::<u64>()
            + c.histograms[0].below.abs_diff(g.histograms[0].below)
            + c.histograms[0].above.abs_diff(g.histograms[0].above);
        assert!(
            l1 as f64 <= 0.001 * c.histograms[0].total() as f64,
            "{name} case {case}: histogram L1 difference {l1}"
        );
        // the integer tallies are exact functions of the per-trajectory steps
        let escaped_steps: u64 = b
            .iter()
            .filter(|&&s| s != 0 && s != u32::MAX)
            .map(|&s| s as u64)
            .sum();
        assert_eq!(
            g.steps_sum, escaped_steps,
            "{name} case {case}: GPU steps_sum"
        );
        assert_eq!(
            g.escaped,
            b.iter().filter(|&&s| s != 0 && s != u32::MAX).count() as u64
        );
    }
}

const INTERPRETATIONS: &str = r#"interpretation = ["ito", "stratonovich", "anti-ito"]"#;

#[test]
fn langevin_agrees() {
    assert_agree(
        "langevin",
        &experiment(
            &format!("kind = \"langevin\"\nd0 = 0.3\n{INTERPRETATIONS}"),
            "",
        ),
    );
}

#[test]
fn power_law_agrees() {
    assert_agree(
        "power-law",
        &experiment(
            &format!("kind = \"power-law\"\nd0 = 0.2\nd2 = 0.3\nrho = 0.05\n{INTERPRETATIONS}"),
            "",
        ),
    );
}

#[test]
fn power_law_loss_agrees() {
    assert_agree(
        "power-law-loss",
        &experiment(
            &format!("kind = \"power-law-loss\"\nd0 = 0.2\nk = 0.5\n{INTERPRETATIONS}"),
            "",
        ),
    );
}

#[test]
fn alpha_stable_agrees() {
    assert_agree(
        "alpha-stable",
        &experiment(
            "kind = \"alpha-stable\"\nindex = [1.0, 1.5]\nsigma = 0.3\nbeta = [0.0, 0.5]",
            "",
        ),
    );
}

/// Underdamped dynamics (GJF, docs/theory.md §8): the scheme, the carried
/// force and the Maxwell start velocities are twins too; with constant and
/// with loss-dependent noise, at low and high friction.
#[test]
fn underdamped_agrees() {
    let dynamics = "[dynamics]\nkind = \"underdamped\"\nfriction = [0.3, 3.0]\n";
    assert_agree(
        "underdamped langevin",
        &experiment("kind = \"langevin\"\nd0 = 0.3", dynamics),
    );
    assert_agree(
        "underdamped power-law-loss",
        &experiment("kind = \"power-law-loss\"\nd0 = 0.2\nk = 0.5", dynamics),
    );
}

/// Underdamped in two dimensions with a formula noise (read on the whole
/// state) and a ball exit: the velocity block of the GPU's state buffer.
#[test]
fn underdamped_two_dimensional_formula_noise_agrees() {
    let text = r#"
name = "2-D underdamped"
seed = 4
dt = 0.02
max_steps = 3000
trajectories = 100000
dim = 2
[potential]
kind = "double-well"
height = 0.5
[noise]
kind = "expr"
d = "0.2 + 0.1 * x1^2 + 0.05 * x2^2"
[exit]
kind = "ball"
radius = 0.8
[observe]
histogram = { range = [-3.0, 3.0], bins = 60 }
fpt_file = "npy"
[dynamics]
kind = "underdamped"
friction = 1.0
"#;
    assert_agree(
        "2-D underdamped",
        &Experiment::from_toml(text, "2-D").unwrap(),
    );
}

#[test]
fn two_dimensional_ball_exit_agrees() {
    let text = r#"
name = "2-D"
seed = 3
dt = 0.01
max_steps = 2000
trajectories = 100000
dim = 2
[potential]
kind = "double-well"
height = 0.5
[noise]
kind = "power-law"
d0 = 0.3
d2 = 0.2
interpretation = ["ito", "anti-ito"]
[exit]
kind = "ball"
radius = 0.8
[observe]
histogram = { range = [-3.0, 3.0], bins = 60 }
fpt_file = "npy"
"#;
    assert_agree("2-D ball", &Experiment::from_toml(text, "2-D").unwrap());
}

/// Early stop: every trajectory leaves within ~100 steps although
/// `max_steps = 10^7`; the run uses fewer lanes than trajectories (each lane
/// refills) and dispatches only the chunks its lanes' trajectories need.
#[test]
fn early_stop_follows_escape_times() {
    let Some(gpu) = common::gpu() else { return };
    let text = r#"
name = "early stop"
seed = 5
dt = 0.01
max_steps = 10000000
trajectories = 1048576
start = 0.0
[potential]
kind = "quadratic"
curvature = 1.0
center = 5.0
[noise]
kind = "langevin"
d0 = 0.01
[exit]
kind = "half-space"
normal = [1.0]
threshold = 2.0
"#;
    let experiment = Experiment::from_toml(text, "early stop").unwrap();
    let (run, stats) = gpu.run(&experiment, &|_| {}).unwrap();
    let tally = &run.tallies[0];
    assert_eq!(tally.escaped, 1_048_576, "every trajectory leaves");
    let last_bin = tally.fpt_histogram.iter().rposition(|&c| c > 0).unwrap();
    let max_fpt = kramers::observables::FptBins::new(experiment.max_steps).edges[last_bin + 1];
    // Lanes take the next trajectory when one ends: a lane's work is at most
    // its share of trajectories times the latest exit, whatever max_steps is.
    assert!(
        stats.lanes <= 1_048_576 / 4,
        "{} lanes for 2^20 trajectories: no refill",
        stats.lanes
    );
    let per_lane = 1_048_576u64.div_ceil(stats.lanes);
    let needed = (per_lane * max_fpt).div_ceil(stats.chunk_steps as u64);
    eprintln!(
        "{} chunks of {} steps over {} lanes; latest exit before step {max_fpt}",
        stats.chunks, stats.chunk_steps, stats.lanes
    );
    assert!(max_fpt < 1000);
    assert!(
        stats.chunks <= needed + 1,
        "{} chunks dispatched, {needed} needed",
        stats.chunks
    );
}

/// SGD and power-law noise on the paper's 2-D loss, leaving a box (the Figure 4
/// setting of `kramers reproduce fig4`): minibatch indices come from the same
/// counter stream on both backends; an odd batch checks the half-used block.
fn paper_2d(noise: &str, trajectories: usize) -> Experiment {
    let text = format!(
        r#"
name = "paper-2d"
seed = 8
dim = 2
dt = 0.025
max_steps = 500
trajectories = {trajectories}
start_point = [-0.99, -0.99]
[potential]
kind = "paper-2d"
data_size = 100
scale = 15.0
[noise]
{noise}
[exit]
kind = "box"
lower = [-inf, -inf]
upper = [0.09, 0.09]
[observe]
histogram = {{ range = [-3.0, 3.0], bins = 60 }}
fpt_file = "npy"
"#
    );
    Experiment::from_toml(&text, "paper-2d").expect("valid experiment")
}

#[test]
fn sgd_agrees() {
    for batch in [2, 3] {
        let experiment = paper_2d(&format!("kind = \"sgd\"\nbatch = {batch}"), TRAJECTORIES);
        let cpu_run = cpu::run(&experiment, &|_| {});
        // the box is left by a sizeable fraction, so the comparison is not vacuous
        let escaped = cpu_run.tallies[0].escaped;
        assert!(
            escaped > 100 && escaped < TRAJECTORIES as u64 - 100,
            "batch {batch}: {escaped} escaped"
        );
        assert_agree(&format!("sgd batch {batch}"), &experiment);
    }
}

/// Heavy-ball SGD (momentum 0.5, the velocity kept between dispatches): the
/// same minibatches and first passages on both backends; the run of momentum
/// 0 in the same sweep steps as plain SGD, so its outcomes are plain SGD's
/// on each backend, bit for bit.
#[test]
fn heavy_ball_agrees() {
    // case 0: momentum 0 (the streams of plain SGD's case 0); case 1: 0.5
    let experiment = paper_2d(
        "kind = \"sgd\"\nbatch = 4\nmomentum = [0.0, 0.5]",
        TRAJECTORIES,
    );
    let cpu_run = cpu::run(&experiment, &|_| {});
    let escaped = cpu_run.tallies[1].escaped;
    assert!(
        escaped > 100 && escaped < TRAJECTORIES as u64 - 100,
        "{escaped} escaped"
    );
    assert_agree("heavy ball", &experiment);
    let plain = paper_2d("kind = \"sgd\"\nbatch = 4", TRAJECTORIES);
    let mut runs = vec![("cpu", cpu_run, cpu::run(&plain, &|_| {}))];
    if let Some(gpu) = common::gpu() {
        runs.push((
            "gpu",
            gpu.run(&experiment, &|_| {}).expect("GPU run").0,
            gpu.run(&plain, &|_| {}).expect("GPU run").0,
        ));
    }
    for (name, swept, plain) in runs {
        let (a, b) = (
            &swept.first_passage.as_ref().unwrap()[..TRAJECTORIES],
            plain.first_passage.as_ref().unwrap(),
        );
        let differ = a.iter().zip(b).filter(|(x, y)| x != y).count();
        assert_eq!(differ, 0, "{name}: momentum 0 is not plain SGD");
        let (m0, mp) = (swept.tallies[0].final_mean(), plain.tallies[0].final_mean());
        assert_eq!(m0, mp, "{name}");
        assert_ne!(swept.tallies[1].final_mean(), mp, "{name}");
    }
}

/// The full-data gradient (a loop of 100 terms per coordinate and step; on
/// lavapipe it needs short chunks, see `LLVMPIPE_LOOP_LIMIT` in backend/gpu.rs).
#[test]
fn paper_2d_power_law_box_agrees() {
    let experiment = paper_2d(
        "kind = \"power-law\"\nd0 = 0.22\nd2 = 6.6\ncenter = -0.99",
        TRAJECTORIES / 10,
    );
    let Some(gpu) = common::gpu() else { return };
    let cpu_run = cpu::run(&experiment, &|_| {});
    let (gpu_run, _) = gpu.run(&experiment, &|_| {}).expect("GPU run");
    let (a, b) = (
        cpu_run.first_passage.as_ref().unwrap(),
        gpu_run.first_passage.as_ref().unwrap(),
    );
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    let n = a.len() as f64;
    let (c, g) = (cpu_run.tallies[0].escaped, gpu_run.tallies[0].escaped);
    eprintln!("paper-2d power-law: {equal} of {n} identical; escaped {c} vs {g}");
    assert!(c > 100 && c < a.len() as u64 - 100, "{c} escaped");
    assert!(c.abs_diff(g) as f64 <= 0.001 * n, "escaped {c} vs {g}");
    assert!(equal as f64 >= 0.999 * n, "only {equal} identical");
}

/// llvmpipe ends shader loops after 65,535 iterations in all; a long run of
/// few trajectories (large chunks) must still finish every trajectory and
/// agree with the CPU (the run errors out if any trajectory is left unfinished).
#[test]
fn long_chunks_finish_every_trajectory() {
    let Some(gpu) = common::gpu() else { return };
    let text = r#"
seed = 2
dt = 0.01
max_steps = 200000
trajectories = 750
[potential]
kind = "quadratic"
curvature = 1.0
[noise]
kind = "alpha-stable"
index = 1.5
sigma = 0.3
[observe]
histogram = { range = [-3.0, 3.0], bins = 30 }
"#;
    let experiment = Experiment::from_toml(text, "long").unwrap();
    let c = cpu::run(&experiment, &|_| {});
    let (g, stats) = gpu
        .run(&experiment, &|_| {})
        .expect("every trajectory finishes");
    eprintln!("{} chunks of {} steps", stats.chunks, stats.chunk_steps);
    assert_eq!(g.tallies[0].censored, 750);
    let l1: u64 = c.tallies[0].histograms[0]
        .counts
        .iter()
        .zip(&g.tallies[0].histograms[0].counts)
        .map(|(a, b)| a.abs_diff(*b))
        .sum();
    assert!(l1 <= 2, "final histograms differ by {l1}");
}
