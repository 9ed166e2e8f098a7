//! Expression models (potentials, noise and exits written as formulas):
//! the same first passages on the CPU backend and lavapipe, the built-in
//! dynamics reproduced, the exact 1-D theory computed from the formulas, and
//! Monte Carlo within its 99% interval of it.
//!
//! False-failure rates: the tests comparing Monte Carlo with exact values or
//! with each other use fixed seeds and a 99% two-sided interval (|z| < 2.576):
//! a correct engine fails each such comparison with probability 1% a priori
//! (there are 3 here: W1 vs built-in W1, two tilts of the tilted quartic).
//! The backend and theory comparisons are deterministic.

use crate::common;
use crate::common::repo;

use kramers::analysis::references::case_references;
use kramers::backend::cpu;
use kramers::spec::Experiment;

const Z99: f64 = 2.576;

fn asset(path: &str) -> Experiment {
    Experiment::from_path(&repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn with_fpt_file(mut experiment: Experiment) -> Experiment {
    experiment.observe.fpt_file = Some(kramers::spec::FptFormat::Npy);
    experiment
}

/// `(mean, standard error)` of the first-passage times of case `case`.
fn mean_and_error(experiment: &Experiment, fpt: &[u32], case: usize) -> (f64, f64) {
    let n = experiment.trajectories as usize;
    let steps = &fpt[case * n..(case + 1) * n];
    assert!(
        steps.iter().all(|&s| s > 0 && s != u32::MAX),
        "every trajectory escaped"
    );
    let dt = experiment.cases[case].model.dt;
    let times: Vec<f64> = steps.iter().map(|&s| s as f64 * dt).collect();
    let mean = times.iter().sum::<f64>() / n as f64;
    let var = times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, (var / n as f64).sqrt())
}

/// The fraction of trajectories with identical first passages on both backends.
fn backends_agree(experiment: &Experiment) -> Option<f64> {
    let gpu = common::gpu()?;
    let cpu_run = cpu::run(experiment, &|_| {});
    let (gpu_run, _) = gpu.run(experiment, &|_| {}).expect("GPU run");
    let (a, b) = (
        cpu_run.first_passage.expect("per-trajectory output"),
        gpu_run.first_passage.expect("per-trajectory output"),
    );
    assert_eq!(a.len(), b.len());
    let equal = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    for (c, g) in cpu_run.tallies.iter().zip(&gpu_run.tallies) {
        let (ce, ge) = (c.escaped, g.escaped);
        assert!(
            (ce as i64 - ge as i64).unsigned_abs() <= 1 + ce / 1000,
            "escaped: CPU {ce}, GPU {ge}"
        );
    }
    Some(equal as f64 / a.len() as f64)
}

#[test]
fn w1_as_formulas_gives_the_same_first_passages_on_cpu_and_lavapipe() {
    let experiment = with_fpt_file(asset("assets/bench/w1-expr.toml"))
        .with_trajectories(50_000)
        .unwrap();
    if let Some(fraction) = backends_agree(&experiment) {
        assert!(fraction >= 0.999, "identical first passages: {fraction}");
    }
}

#[test]
fn w1_as_formulas_has_the_mean_first_passage_time_of_builtin_w1() {
    // Independent seeds: a two-sample comparison at 99%.
    let formulas = with_fpt_file(asset("assets/double-well-expr.toml"))
        .with_trajectories(8_000)
        .unwrap();
    let builtin_text = std::fs::read_to_string(repo("assets/bench/w1.toml"))
        .unwrap()
        .replace("max_steps = 1000\n", "max_steps = 100000\n")
        .replace("seed = 1\n", "seed = 2\n");
    let builtin = with_fpt_file(Experiment::from_toml(&builtin_text, "w1").unwrap())
        .with_trajectories(8_000)
        .unwrap();
    let a = cpu::run(&formulas, &|_| {});
    let b = cpu::run(&builtin, &|_| {});
    let (m1, e1) = mean_and_error(&formulas, a.first_passage.as_ref().unwrap(), 0);
    let (m2, e2) = mean_and_error(&builtin, b.first_passage.as_ref().unwrap(), 0);
    let z = (m1 - m2) / (e1 * e1 + e2 * e2).sqrt();
    assert!(
        z.abs() < Z99,
        "formulas {m1} +- {e1}, built-in {m2} +- {e2}: z = {z}"
    );
    // and the exact value kramers computes from the formulas is the built-in's
    let exact = |e: &Experiment| {
        case_references(e, 0, None)
            .unwrap()
            .exact_mfpt_shifted
            .unwrap()
    };
    let (x1, x2) = (exact(&formulas), exact(&builtin));
    assert!((x1 / x2 - 1.0).abs() < 1e-9, "exact MFPT {x1} vs {x2}");
}

/// The `barrier` potential as a formula: the kink `c` and the top `b` from the
/// same parameters as the built-in (docs/theory.md §3).
fn barrier_formula() -> String {
    let u = "sqrt(2 * dl * hb / (ha * (ha + hb)))";
    let c = format!("(a + {u})");
    let b = format!("({c} + ha * {u} / hb)");
    format!("if(x <= {c}, 0.5 * ha * (x - a)^2, dl - 0.5 * hb * (x - {b})^2)")
}

fn barrier_experiment(
    potential: &str,
    noise: &str,
    interpretation: &str,
    bridge: bool,
) -> Experiment {
    let text = format!(
        r#"
name = "barrier"
dt = 0.01
max_steps = 1000
trajectories = 10
[params]
ha = 1.0
hb = 2.0
dl = [0.5, 1.5]
a = 0.0
d0 = 0.3
d2 = 0.4
k = 0.8
[potential]
{potential}
[noise]
{noise}
interpretation = "{interpretation}"
[exit]
kind = "top"
bridge = {bridge}
"#
    );
    Experiment::from_toml(&text, "barrier").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn barrier_as_a_formula_has_the_theory_of_the_builtin_barrier() {
    let builtin =
        "kind = \"barrier\"\ncurvature_min = 1.0\ncurvature_top = 2.0\nheight = [0.5, 1.5]";
    let formula = format!("kind = \"expr\"\nu = \"{}\"", barrier_formula());
    let noises = [
        (
            "kind = \"langevin\"\nd0 = 0.3",
            "kind = \"expr\"\nd = \"d0\"",
        ),
        (
            "kind = \"power-law\"\nd0 = 0.3\nd2 = 0.4",
            "kind = \"expr\"\nd = \"d0 + d2 * (x - a)^2\"",
        ),
        (
            "kind = \"power-law-loss\"\nd0 = 0.3\nk = 0.8",
            "kind = \"expr\"\nd = \"d0 + k * u\"",
        ),
    ];
    let mut compared = 0;
    for (builtin_noise, formula_noise) in noises {
        for interpretation in ["ito", "anti-ito"] {
            for bridge in [false, true] {
                let reference = barrier_experiment(builtin, builtin_noise, interpretation, bridge);
                // the formula potential with the built-in noise, and with the formula noise
                for noise in [builtin_noise, formula_noise] {
                    let e = barrier_experiment(&formula, noise, interpretation, bridge);
                    for case in 0..2 {
                        let r = case_references(&reference, case, None).unwrap();
                        let f = case_references(&e, case, None).unwrap();
                        for (name, x, y) in [
                            ("exact_mfpt", r.exact_mfpt, f.exact_mfpt),
                            (
                                "exact_mfpt_shifted",
                                r.exact_mfpt_shifted,
                                f.exact_mfpt_shifted,
                            ),
                        ] {
                            let (x, y) = (x.unwrap(), y.unwrap());
                            assert!(
                                (x / y - 1.0).abs() < 1e-9,
                                "{builtin_noise} / {noise}, {interpretation}, case {case}: {name} {x} vs {y}"
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, 3 * 2 * 2 * 2 * 2 * 2);
}

#[test]
fn an_expression_model_unlike_any_builtin_hits_its_exact_mean_first_passage_time() {
    let experiment = asset("assets/tilted-quartic-expr.toml")
        .with_trajectories(6_000)
        .unwrap();
    let out = cpu::run(&experiment, &|_| {});
    for (case, tally) in out.tallies.iter().enumerate() {
        assert_eq!(tally.escaped, experiment.trajectories as u64, "case {case}");
        let stats = kramers::analysis::escape::escape_stats(
            tally,
            experiment.cases[case].model.dt,
            experiment.max_steps,
        );
        let observed = kramers::analysis::references::Observed {
            tally,
            escape: &stats,
        };
        let refs = case_references(&experiment, case, Some(observed)).expect("theory");
        let z = refs.z.and_then(|z| z.mfpt).expect("a z score");
        assert!(
            z.abs() < Z99,
            "case {case}: mean {:?} vs exact {:?}: z = {z}",
            stats.mean,
            refs.exact_mfpt
        );
    }
}

#[test]
fn muller_brown_runs_on_both_backends_alike() {
    let mut experiment = with_fpt_file(asset("assets/muller-brown.toml"))
        .with_trajectories(1_000)
        .unwrap();
    // The asset's limit lets the rare trajectories that fall into basin A
    // come back (millions of steps); this comparison needs only the typical ones.
    experiment.max_steps = 200_000;
    if let Some(fraction) = backends_agree(&experiment) {
        assert!(fraction >= 0.99, "identical first passages: {fraction}");
    }
}

#[test]
fn a_variance_that_turns_negative_diverges_the_trajectory_on_both_backends() {
    let text = r#"
name = "negative variance"
dt = 0.01
max_steps = 2000
trajectories = 2000
start = 0.0
[potential]
kind = "expr"
u = "0.1 * x^2"
[noise]
kind = "expr"
d = "0.5 - x^2"
[exit]
kind = "half-space"
normal = [1.0]
threshold = 5.0
[observe]
fpt_file = "npy"
"#;
    let experiment = Experiment::from_toml(text, "negative").unwrap();
    let out = cpu::run(&experiment, &|_| {});
    let diverged = out.tallies[0].diverged;
    assert!(diverged > 1000, "diverged: {diverged}");
    assert_eq!(out.tallies[0].escaped, 0);
    if let Some(gpu) = common::gpu() {
        let (g, _) = gpu.run(&experiment, &|_| {}).unwrap();
        let gd = g.tallies[0].diverged;
        assert!(
            (gd as i64 - diverged as i64).abs() <= 2,
            "GPU {gd} vs CPU {diverged}"
        );
    }
}

#[test]
fn the_kernels_generated_from_every_formula_asset_validate() {
    for path in [
        "assets/bench/w1-expr.toml",
        "assets/double-well-expr.toml",
        "assets/tilted-quartic-expr.toml",
        "assets/muller-brown.toml",
    ] {
        let e = asset(path);
        let user = kramers::model::formula::user_wgsl(&e.cases[0].model);
        assert!(
            user.contains("const POTENTIAL_STATE: bool = true;"),
            "{path}"
        );
        {
            let dim = e.shape.dim as u32;
            let variant = kramers::kernel::preprocess::Variant {
                dim,
                potential: e.shape.potential.code(),
                noise: e.shape.noise.code(),
                exit: e.shape.exit.code(),
                private_row: 131,
                bridge: e.shape.bridge as u32,
                dynamics: e.shape.dynamics.has_velocity() as u32,
                user: kramers::kernel::preprocess::user_key(&user),
            };
            let source = kramers::model::shader::shader("simulate", &variant, &user);
            kramers::model::formula::validate(&source).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}
