//! The `sgd` dynamic (docs/theory.md §2): one step from a fixed point is `x0 - dt g_B`
//! with `g_B` the mean of `B` per-sample gradients drawn with replacement, so
//! its mean and variance are known exactly from the data set; and the data set
//! can come from a CSV file.

use crate::common;

use kramers::backend::{cpu, RunOutput};
use kramers::spec::Experiment;

const N: usize = 1 << 20;
const DT: f64 = 0.025;
const X0: [f64; 2] = [-0.9, -1.05];

fn one_step(batch: u32) -> Experiment {
    let text = format!(
        r#"
seed = 21
dim = 2
dt = {DT}
max_steps = 1
trajectories = {N}
start_point = [{}, {}]
[potential]
kind = "paper-2d"
data_size = 100
scale = 15.0
[noise]
kind = "sgd"
batch = {batch}
"#,
        X0[0], X0[1]
    );
    Experiment::from_toml(&text, "sgd").unwrap()
}

/// `d/dy scale |y-1|^2.5 |y+1|^3` in f64.
fn term_gradient(y: f64) -> f64 {
    let (p, q) = (y - 1.0, y + 1.0);
    15.0 * p.abs().sqrt() * p * q.abs() * (2.5 * q * q + 3.0 * p * q)
}

/// z scores of the final mean and variance of each coordinate against the
/// exact law of `x0 - dt * (mean of B draws)`. The variance's standard error
/// uses the exact fourth central moment of the B-average.
fn z_scores(experiment: &Experiment, run: &RunOutput, batch: u32) -> Vec<f64> {
    let n_data = experiment.data_set.len() / 2;
    let tally = &run.tallies[0];
    let (mean, var) = (tally.final_mean(), tally.final_variance());
    let b = batch as f64;
    let mut z = Vec::new();
    for c in 0..2 {
        let g: Vec<f64> = experiment.data_set[c * n_data..(c + 1) * n_data]
            .iter()
            .map(|&d| term_gradient(X0[c] - d as f64))
            .collect();
        let m = g.iter().sum::<f64>() / n_data as f64;
        let s2 = g.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n_data as f64;
        let m4 = g.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n_data as f64;
        // step = -dt * average: variance dt^2 s2 / B, fourth moment dt^4 (m4 + 3(B-1) s2^2) / B^3
        let step_var = DT * DT * s2 / b;
        let step_m4 = DT.powi(4) * (m4 + 3.0 * (b - 1.0) * s2 * s2) / (b * b * b);
        let n = N as f64;
        z.push((mean[c] - (X0[c] - DT * m)) / (step_var / n).sqrt());
        z.push((var[c] - step_var) / ((step_m4 - step_var * step_var) / n).sqrt());
    }
    z
}

/// Four z tests per batch size and backend, each |z| < 4.5: false-failure rate
/// below 7e-6 per test, below 1e-4 for the file (normal approximation; N = 2^20).
#[test]
fn one_step_has_the_exact_minibatch_law() {
    let gpu = common::gpu();
    for batch in [1, 4] {
        let experiment = one_step(batch);
        let mut runs = vec![("cpu", cpu::run(&experiment, &|_| {}))];
        if let Some(gpu) = &gpu {
            runs.push(("gpu", gpu.run(&experiment, &|_| {}).unwrap().0));
        }
        for (name, run) in &runs {
            let z = z_scores(&experiment, run, batch);
            eprintln!("batch {batch} {name}: z (mean0, var0, mean1, var1) = {z:.2?}");
            assert!(
                z.iter().all(|z| z.abs() < 4.5),
                "batch {batch} {name}: {z:?}"
            );
        }
        if runs.len() == 2 {
            // the same draws: final-state histograms equal up to states a rounding
            // away from a bin edge (device arithmetic is not bit-exact)
            let (c, g) = (&runs[0].1.tallies[0], &runs[1].1.tallies[0]);
            for (hc, hg) in c.histograms.iter().zip(&g.histograms) {
                let l1: u64 = hc
                    .counts
                    .iter()
                    .zip(&hg.counts)
                    .map(|(a, b)| a.abs_diff(*b))
                    .sum();
                eprintln!("batch {batch}: histogram L1 CPU vs GPU {l1}");
                assert!(l1 as f64 <= 1e-4 * N as f64, "batch {batch}: L1 {l1}");
            }
        }
    }
}

/// Heavy ball, `v <- mu v - dt g_B(x)`, `x <- x + v` from `v = 0`, three
/// steps with `B = 1`: the law of `x_3` per coordinate is an average over the
/// `n^3` equally likely index triples, enumerated here in f64.
/// Returns the exact (mean, variance, fourth central moment) of each coordinate.
fn heavy_ball_law(data: &[f32], momentum: f64, steps: u32) -> Vec<(f64, f64, f64)> {
    let n = data.len() / 2;
    (0..2)
        .map(|c| {
            let points: Vec<f64> = data[c * n..(c + 1) * n].iter().map(|&d| d as f64).collect();
            // every path's end, by breadth over the steps: (x, v) after k steps
            let mut states = vec![(X0[c], 0.0)];
            for _ in 0..steps {
                let mut next = Vec::with_capacity(states.len() * n);
                for &(x, v) in &states {
                    for d in &points {
                        let v = momentum * v - DT * term_gradient(x - d);
                        next.push((x + v, v));
                    }
                }
                states = next;
            }
            let m = states.len() as f64;
            let mean = states.iter().map(|s| s.0).sum::<f64>() / m;
            let var = states.iter().map(|s| (s.0 - mean).powi(2)).sum::<f64>() / m;
            let m4 = states.iter().map(|s| (s.0 - mean).powi(4)).sum::<f64>() / m;
            (mean, var, m4)
        })
        .collect()
}

/// Heavy ball (momentum 0.9, three steps, B = 1) against its exact law: z of
/// the final mean and variance of each coordinate, |z| < 4.5 (false-failure
/// rate below 7e-6 per z, 3e-5 per backend; normal approximation, N = 2^20);
/// the same run is far (|z| > 20) from the law of momentum 0, so the test
/// sees the momentum.
#[test]
fn heavy_ball_three_steps_have_the_exact_law() {
    let text = format!(
        r#"
seed = 22
dim = 2
dt = {DT}
max_steps = 3
trajectories = {N}
start_point = [{}, {}]
[potential]
kind = "paper-2d"
data_size = 100
scale = 15.0
[noise]
kind = "sgd"
batch = 1
momentum = 0.9
"#,
        X0[0], X0[1]
    );
    let experiment = Experiment::from_toml(&text, "heavy ball").unwrap();
    let exact = heavy_ball_law(&experiment.data_set, 0.9, 3);
    let plain = heavy_ball_law(&experiment.data_set, 0.0, 3);
    let mut runs = vec![("cpu", cpu::run(&experiment, &|_| {}))];
    if let Some(gpu) = common::gpu() {
        runs.push(("gpu", gpu.run(&experiment, &|_| {}).unwrap().0));
    }
    let n = N as f64;
    let z = |law: &[(f64, f64, f64)], mean: &[f64], var: &[f64]| -> Vec<f64> {
        law.iter()
            .enumerate()
            .flat_map(|(c, &(m, v, m4))| {
                [
                    (mean[c] - m) / (v / n).sqrt(),
                    (var[c] - v) / ((m4 - v * v) / n).sqrt(),
                ]
            })
            .collect()
    };
    for (name, run) in &runs {
        let tally = &run.tallies[0];
        let (mean, var) = (tally.final_mean(), tally.final_variance());
        let against = z(&exact, &mean, &var);
        let against_plain = z(&plain, &mean, &var);
        eprintln!("heavy ball {name}: z (mean0, var0, mean1, var1) = {against:.2?}; against momentum 0: {against_plain:.1?}");
        assert!(against.iter().all(|z| z.abs() < 4.5), "{name}: {against:?}");
        assert!(
            against_plain.iter().any(|z| z.abs() > 20.0),
            "{name}: indistinguishable from momentum 0: {against_plain:?}"
        );
    }
}

/// `momentum = 0` is plain SGD: the same kernel shape and case records,
/// so the same fingerprint (and, with it, the same result.json).
#[test]
fn momentum_zero_is_plain_sgd() {
    let plain = one_step(2);
    let text = format!(
        r#"
seed = 21
dim = 2
dt = {DT}
max_steps = 1
trajectories = {N}
start_point = [{}, {}]
[potential]
kind = "paper-2d"
data_size = 100
scale = 15.0
[noise]
kind = "sgd"
batch = 2
momentum = 0
"#,
        X0[0], X0[1]
    );
    let zero = Experiment::from_toml(&text, "sgd").unwrap();
    assert_eq!(zero.shape, plain.shape);
    assert_eq!(zero.fingerprint(), plain.fingerprint());
    assert_eq!(zero.cases[0].params, plain.cases[0].params);
    let heavy =
        Experiment::from_toml(&text.replace("momentum = 0", "momentum = 0.5"), "sgd").unwrap();
    assert_eq!(heavy.shape.dynamics, kramers::dynamics::Dynamics::HeavyBall);
    assert_ne!(heavy.fingerprint(), plain.fingerprint());
}

/// Variance must shrink like 1/B: B = 4 against B = 1 on the same seed is
/// not the same law (a wrong batch size would fail the exact test above, and
/// this guards against a test that ignores the batch).
#[test]
fn batch_size_changes_the_variance() {
    let v1 = cpu::run(&one_step(1), &|_| {}).tallies[0].final_variance()[0];
    let v4 = cpu::run(&one_step(4), &|_| {}).tallies[0].final_variance()[0];
    assert!((v1 / v4 - 4.0).abs() < 0.2, "variance ratio {}", v1 / v4);
}

#[test]
fn data_file_is_read_relative_to_the_experiment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("points.csv"),
        "x1,x2\n0.1,-0.2\n0.0,0.05\n-0.3,0.3\n",
    )
    .unwrap();
    let toml = r#"
dim = 2
dt = 0.01
max_steps = 10
trajectories = 100
start_point = [-1.0, -1.0]
[potential]
kind = "paper-2d"
data_file = "points.csv"
[noise]
kind = "sgd"
batch = 2
"#;
    let path = dir.path().join("e.toml");
    std::fs::write(&path, toml).unwrap();
    let experiment = Experiment::from_path(&path).unwrap();
    assert_eq!(experiment.data_set, vec![0.1, 0.0, -0.3, -0.2, 0.05, 0.3]);
    // a new seed keeps the file's data set
    let reseeded = experiment.with_seed(99).unwrap();
    assert_eq!(reseeded.data_set, vec![0.1, 0.0, -0.3, -0.2, 0.05, 0.3]);

    std::fs::write(dir.path().join("points.csv"), "0.1,0.2\n0.3,oops\n").unwrap();
    let error = Experiment::from_path(&path).unwrap_err().to_string();
    assert!(
        error.contains("potential.data_file") && error.contains("row 2"),
        "{error}"
    );
}

#[test]
fn bad_sgd_and_box_settings_name_the_field() {
    let base = |potential: &str, noise: &str, exit: &str| {
        format!(
            "dim = 2\ndt = 0.01\nmax_steps = 10\ntrajectories = 10\nstart_point = [-1.0, -1.0]\n\
             [potential]\n{potential}\n[noise]\n{noise}\n[exit]\n{exit}\n"
        )
    };
    let paper = "kind = \"paper-2d\"";
    let none = "kind = \"none\"";
    for (text, field) in [
        (
            base(
                "kind = \"quadratic\"\ncurvature = 1.0",
                "kind = \"sgd\"\nbatch = 2",
                none,
            ),
            "noise.kind",
        ),
        (
            base(paper, "kind = \"sgd\"\nbatch = 0", none),
            "noise.batch",
        ),
        (
            base(paper, "kind = \"sgd\"\nbatch = 100000", none),
            "noise.batch",
        ),
        (
            base(
                paper,
                "kind = \"sgd\"\nbatch = 2",
                "kind = \"top\"\nbridge = true",
            ),
            "exit.kind",
        ),
        (
            base(
                paper,
                "kind = \"sgd\"\nbatch = 2",
                "kind = \"box\"\nlower = [-1.0]\nupper = [1.0, 1.0]",
            ),
            "exit.lower",
        ),
        (
            base(
                paper,
                "kind = \"sgd\"\nbatch = 2",
                "kind = \"box\"\nlower = [-2.0, nan]\nupper = [1.0, 1.0]",
            ),
            "exit.lower",
        ),
        (
            base(
                paper,
                "kind = \"sgd\"\nbatch = 2",
                "kind = \"box\"\nlower = [-2.0, 2.0]\nupper = [1.0, 1.0]",
            ),
            "exit.upper",
        ),
        (
            base(
                paper,
                "kind = \"sgd\"\nbatch = 2",
                "kind = \"box\"\nlower = [0.0, 0.0]\nupper = [1.0, 1.0]",
            ),
            "start",
        ),
    ] {
        let error = Experiment::from_toml(&text, "bad").unwrap_err();
        assert!(error.is_bad_input(), "{error}");
        assert!(
            error.to_string().contains(field),
            "expected {field}: {error}"
        );
    }
}
