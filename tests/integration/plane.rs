//! The exact 2-D mean first-passage time (docs/theory.md §9): the backward
//! equation solved on three grids, against Monte Carlo where no quadrature
//! exists, and the `theory` command's account of it.
//!
//! The solver's agreement with the radial and 1-D quadratures to 1e-5 (ball
//! exits, half-spaces, Langevin and power-law noise) is in its unit tests
//! (`cargo test --lib plane`). Here the cases have no other reference: a
//! non-separable potential with an oblique half-plane exit under
//! Stratonovich power-law noise (not reversible: the fluxes' exponent is
//! Simpson's rule along each face; the Itô and anti-Itô values lie 6% and 4%
//! away), and with Langevin noise and a disc exit off the axes (reversible,
//! a curved cut boundary). Both run 60,000 paths with the bridge on coupled
//! steps `dt`, `dt/2` and extrapolate (docs/theory.md §10): the Richardson
//! estimate within its 99% interval of the exact value, an interval about
//! +-1.2% wide. Fixed seeds; drawn at random, each check would fail falsely
//! with probability 1% (2% for the two).

use crate::common::{kramers, repo};

use kramers::backend::cpu::Cpu;
use kramers::run::{run, Outcome, Prepared, RunOptions};
use kramers::spec::{Experiment, ExperimentBuilder};

const POTENTIAL: &str = "(x1^2 + x2^2)/2 + 0.6*x1*x2 + 0.1*(x1^4 + x2^4)";

fn experiment(
    name: &str,
    noise: &str,
    noise_fields: &[(&str, kramers::spec::Field)],
    g: &str,
    seed: u32,
) -> Experiment {
    ExperimentBuilder::new(name)
        .set("seed", seed)
        .set("dim", 2usize)
        .set("dt", 0.01)
        .set("max_steps", 10_000_000u32)
        .set("trajectories", 60_000u32)
        .set("start_point", vec![0.0, 0.0])
        .potential("expr", &[("u", POTENTIAL.into())])
        .noise(noise, noise_fields)
        .exit("expr", &[("g", g.into()), ("bridge", true.into())])
        .build(name)
        .expect("valid experiment")
        .with_extrapolation(true)
        .expect("extrapolation applies")
}

#[test]
fn the_plane_solve_meets_extrapolated_monte_carlo_where_nothing_is_separable() {
    let cases = [
        experiment(
            "oblique half-plane, power-law noise (Stratonovich)",
            "power-law",
            &[
                ("d0", 0.5.into()),
                ("d2", 0.3.into()),
                ("center", 0.0.into()),
                ("interpretation", "stratonovich".into()),
            ],
            "x1 - 0.5*x2 - 1.2",
            5,
        ),
        experiment(
            "disc off the axes, Langevin noise",
            "langevin",
            &[("d0", 0.6.into())],
            "0.09 - (x1 - 1)^2 - (x2 + 0.9)^2",
            6,
        ),
    ];
    for experiment in cases {
        let name = experiment.name.clone();
        let result =
            match run(&Prepared::new(experiment), &Cpu, RunOptions::default()).expect("the run") {
                Outcome::Direct(run) => run.result,
                Outcome::Split(_) => unreachable!("a direct experiment"),
            };
        let case = &result.cases[0];
        let theory = case.theory.as_ref().expect("theory");
        let plane = theory.exact_2d.as_ref().expect("the exact 2-D solve");
        let exact = theory.exact_mfpt.expect("exact");
        assert_eq!(exact, plane.mfpt);
        assert!(
            plane.error / exact < 1e-3,
            "{name}: grid error {}",
            plane.error
        );
        let m = case
            .extrapolation
            .as_ref()
            .unwrap()
            .mfpt
            .clone()
            .expect("all escaped");
        eprintln!(
            "{name}: exact {exact:.5} (+-{:.1e}); T(dt) {:.4}, T(dt/2) {:.4}, extrapolated {:.4} +- {:.4}",
            plane.error, m.at_dt, m.at_half_dt, m.extrapolated, m.standard_error
        );
        assert!(
            m.ci99[0] <= exact && exact <= m.ci99[1],
            "{name}: {:?} against {exact}",
            m.ci99
        );
        assert!(
            m.standard_error / exact < 0.005,
            "{name}: too few paths to test"
        );
    }
}

/// `kramers COMMAND --json ASSET --plot DIR`, which must succeed: its JSON.
fn json_and_plots(command: &str, asset: &str, dir: &std::path::Path) -> serde_json::Value {
    let out = kramers(
        &[
            command,
            "--json",
            repo(asset).to_str().unwrap(),
            "--plot",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `kramers theory` on the Müller–Brown asset: the solve's convergence
/// (the finest grids agree to 0.1%, the corrections shrink), the saddle it
/// found refined to the known B–C saddle (0.2125, 0.2930) by Newton, the
/// Eyring–Kramers time beside it, and `--plot` drawing `T(x)`.
#[test]
fn theory_solves_muller_brown_and_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let rows = json_and_plots("theory", "assets/muller-brown.toml", dir.path());
    let t = &rows[0]["theory"];
    let plane = &t["exact_2d"];
    let grids: Vec<f64> = plane["grids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["mfpt"].as_f64().unwrap())
        .collect();
    let exact = t["exact_mfpt"].as_f64().unwrap();
    assert!((grids[2] - grids[1]).abs() / exact < 1e-3, "{grids:?}");
    assert!(
        (grids[2] - grids[1]).abs() < (grids[1] - grids[0]).abs(),
        "{grids:?}"
    );
    assert!(
        t["exact_mfpt_shifted"].as_f64().unwrap() > exact,
        "moving the exit inward delays it"
    );
    let saddle = &t["eyring_kramers"]["saddle"]["x"];
    assert!(
        (saddle[0].as_f64().unwrap() - 0.2125).abs() < 1e-3,
        "{saddle}"
    );
    assert!(
        (saddle[1].as_f64().unwrap() - 0.2930).abs() < 1e-3,
        "{saddle}"
    );
    for file in ["exact-2d.png", "exact-2d.svg"] {
        assert!(
            dir.path().join(file).metadata().unwrap().len() > 1000,
            "{file}"
        );
    }
}

/// No answer is a note, never a panic: a potential that does not confine
/// (no bounded region reaches the exit), and an exit on a slope with no
/// saddle before it (Eyring–Kramers does not apply; the exact value does).
#[test]
fn cases_without_an_answer_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unbounded.toml");
    std::fs::write(
        &file,
        "name = \"unbounded\"\ndt = 0.01\nmax_steps = 100\ntrajectories = 1\ndim = 2\nstart_point = [0.0, 0.0]\n\
         [potential]\nkind = \"expr\"\nu = \"x1^2 - x2^2\"\n[noise]\nkind = \"langevin\"\nd0 = 1.0\n\
         [exit]\nkind = \"expr\"\ng = \"x1 - 1\"\n",
    )
    .unwrap();
    let out = kramers(&["theory", "--json", file.to_str().unwrap()], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = rows[0]["theory"]["notes"].to_string();
    assert!(notes.contains("no bounded region"), "{notes}");
    assert!(rows[0]["theory"]["exact_mfpt"].is_null());

    let slope = dir.path().join("slope.toml");
    std::fs::write(
        &slope,
        format!(
            "name = \"slope\"\ndt = 0.01\nmax_steps = 100\ntrajectories = 1\ndim = 2\nstart_point = [0.0, 0.0]\n\
             [potential]\nkind = \"expr\"\nu = \"{POTENTIAL}\"\n[noise]\nkind = \"langevin\"\nd0 = 0.6\n\
             [exit]\nkind = \"expr\"\ng = \"0.09 - (x1 - 1)^2 - (x2 + 0.9)^2\"\n"
        ),
    )
    .unwrap();
    let out = kramers(&["theory", "--json", slope.to_str().unwrap()], &[]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = rows[0]["theory"]["notes"].to_string();
    assert!(notes.contains("no index-1 saddle"), "{notes}");
    assert!(rows[0]["theory"]["exact_mfpt"].as_f64().unwrap() > 0.0);
}

/// `kramers landscape` on Müller–Brown from its deepest minimum to the ball
/// around the middle one (`assets/muller-brown-a-to-c.toml`): the minimum and
/// the saddle of the literature (Müller and Brown 1979; e.g. the minimum
/// (-0.558224, 1.441726) at -146.6995 and the saddle (-0.822002, 0.624313) at
/// -40.6648), to the digits they are quoted with; the saddle is the one
/// through which the region reaches the exit set, its path runs from the
/// start's minimum into the exit ball, and the plot is written. Deterministic.
#[test]
fn landscape_finds_the_muller_brown_saddle_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let rows = json_and_plots("landscape", "assets/muller-brown-a-to-c.toml", dir.path());
    let l = &rows[0]["landscape"];
    let close =
        |v: &serde_json::Value, want: f64, tol: f64| (v.as_f64().unwrap() - want).abs() < tol;
    let m = &l["minimum"];
    assert!(close(&m["x"][0], -0.558224, 1e-6), "{m}");
    assert!(close(&m["x"][1], 1.441726, 1e-6), "{m}");
    assert!(close(&m["value"], -146.6995, 1e-4), "{m}");
    let passes = l["passes"].as_array().unwrap();
    let pass = passes
        .iter()
        .find(|p| p["toward_exit"].as_bool().unwrap())
        .expect("the saddle toward the exit");
    let s = &pass["saddle"];
    assert!(close(&s["x"][0], -0.822002, 1e-6), "{s}");
    assert!(close(&s["x"][1], 0.624313, 1e-6), "{s}");
    assert!(close(&s["value"], -40.6648, 1e-4), "{s}");
    assert!(s["eigenvalues"][0].as_f64().unwrap() < 0.0);
    assert!(s["eigenvalues"][1].as_f64().unwrap() > 0.0);
    assert_eq!(pass["ends"][0]["kind"], "minimum", "{}", pass["ends"]);
    assert_eq!(pass["ends"][0]["start"], true);
    assert_eq!(pass["ends"][1]["kind"], "exit", "{}", pass["ends"]);
    // the path descends from the saddle on both sides
    let path: Vec<[f64; 2]> = serde_json::from_value(pass["path"].clone()).unwrap();
    assert!(path.len() > 10);
    for file in ["landscape.png", "landscape.svg"] {
        assert!(
            dir.path().join(file).metadata().unwrap().len() > 1000,
            "{file}"
        );
    }
    // a 1-D file is refused naming dim
    let out = kramers(
        &[
            "landscape",
            repo("assets/barrier-langevin.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dim"));
}

/// Theorem 7 in the plane (docs/theory.md §9): on the coupled double well of
/// `assets/theorem7-double-well.toml` (power-law-loss, kappa = 20, Itô), the
/// exact 2-D time over Theorem 7's is a few per cent above 1 and falls as
/// `D0` does (1.075 at 0.2, 1.045 at 0.05, times 3.9e3 and 3.9e9); the
/// saddle is the origin with the eigenvalues of
/// `L`'s second derivatives there, and the growth exponent is
/// `2/k + 1 - alpha - d/2 = 20`. Deterministic.
#[test]
fn theorem7_approaches_the_exact_plane_solve_as_the_noise_falls() {
    let text = std::fs::read_to_string(repo("assets/theorem7-double-well.toml")).unwrap();
    let text = text.replace("d0 = [0.4, 0.2, 0.1, 0.05]", "d0 = [0.2, 0.05]");
    let experiment = Experiment::from_toml(&text, "theorem 7").unwrap();
    let mut ratios = Vec::new();
    for case in 0..2 {
        let refs = kramers::analysis::references::case_references(&experiment, case, None)
            .expect("references");
        let t7 = refs.theorem7.as_ref().expect("Theorem 7");
        let exact = refs.exact_mfpt.unwrap();
        assert!(t7.saddle.x[0].abs() < 1e-9 && t7.saddle.x[1].abs() < 1e-9);
        // L's Hessian at the origin: [[-4 + 0.09, -0.3], [-0.3, 1]]
        let (a, b, c) = (-4.0 + 0.09, -0.3, 1.0);
        let mean = (a + c) / 2.0;
        let radius = (((a - c) / 2.0f64).powi(2) + b * b).sqrt();
        assert!((t7.saddle.eigenvalues[0] - (mean - radius)).abs() < 1e-5);
        assert!((t7.saddle.eigenvalues[1] - (mean + radius)).abs() < 1e-5);
        assert!((t7.growth_exponent.unwrap() - 20.0).abs() < 1e-12);
        ratios.push(exact / t7.time);
    }
    eprintln!("exact / Theorem 7 at D0 = 0.2, 0.05: {ratios:?}");
    assert!(ratios.iter().all(|r| *r > 1.0 && *r < 1.1), "{ratios:?}");
    assert!(ratios[1] < ratios[0], "{ratios:?}");
}
