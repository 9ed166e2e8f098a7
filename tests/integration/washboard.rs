//! The washboard potential (one module and one registry line): the same first
//! passages on the CPU backend and the GPU, Monte Carlo on the exact mean
//! first-passage time of its quadrature, and `kramers theory` on its asset
//! against an independent double integral (`common::mfpt_by_double_integral`).

use crate::common;
use kramers::analysis::escape::escape_stats;
use kramers::analysis::model1d::exact_mfpt;
use kramers::backend::{cpu, RunOutput};
use kramers::spec::Experiment;
use std::process::Command;

/// Three tilts (barrier heights 0.90, 0.76, 0.55), Langevin D0 = 0.5, exit at
/// the next top with the Brownian bridge; per-trajectory first passages kept.
fn experiment(trajectories: u32, seed: u32, dt: f64) -> Experiment {
    let text = format!(
        "seed = {seed}\ndt = {dt}\nmax_steps = 10000000\ntrajectories = {trajectories}\n\
         [potential]\nkind = \"washboard\"\ntilt = [0.2, 0.5, 1.0]\namplitude = 0.5\nperiod = 1.0\n\
         [noise]\nkind = \"langevin\"\nd0 = 0.5\n\
         [exit]\nkind = \"top\"\nbridge = true\n\
         [observe]\nfpt_file = \"u32\"\n"
    );
    Experiment::from_toml(&text, "washboard").expect("valid washboard experiment")
}

/// First passages agree between the backends (the contract: >= 99.9% of
/// trajectories identical; the cosine is the shared Cephes `sin_cos_turns`).
#[test]
fn gpu_first_passages_equal_the_cpu_backend() {
    let Some(gpu) = common::gpu() else { return };
    let e = experiment(20_000, 7, 0.005);
    let on_cpu = cpu::run(&e, &|_| {});
    let (on_gpu, _) = gpu.run(&e, &|_| {}).expect("gpu run");
    let (a, b) = (on_cpu.first_passage.unwrap(), on_gpu.first_passage.unwrap());
    assert_eq!(a.len(), b.len());
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    eprintln!("washboard: {same} of {} first passages identical", a.len());
    assert!(same * 1000 >= a.len() * 999, "{same} of {}", a.len());
    assert!(a.iter().all(|&s| s > 0), "every trajectory escapes");
}

/// Monte Carlo with the bridge against the exact quadrature, per tilt:
/// 40 000 trajectories, dt = 0.002. Pass: |z| < 4 for each of the 3 cases
/// (false-failure rate 3 x 6.3e-5 = 1.9e-4; the bridge's residual bias is a
/// small fraction of one standard error at this dt: measured z -0.10, +1.49, -1.06).
fn check_mfpt(run: &mut dyn FnMut(&Experiment) -> RunOutput, label: &str) {
    let e = experiment(40_000, 21, 0.002);
    let output = run(&e);
    for (case, tally) in e.cases.iter().zip(&output.tallies) {
        let exact = exact_mfpt(&case.model).expect("the exact MFPT applies to a 1-D washboard");
        let stats = escape_stats(tally, case.model.dt, e.max_steps);
        let (mean, se) = (stats.mean.unwrap(), stats.mean_standard_error.unwrap());
        let z = (mean - exact) / se;
        eprintln!(
            "{label} washboard {:?}: MC {mean:.4} +- {se:.4}, exact {exact:.4}, z {z:+.2}",
            case.params[1]
        );
        assert!(z.abs() < 4.0, "{label}: case {}: z = {z}", case.index);
    }
}

#[test]
fn monte_carlo_hits_the_exact_mfpt_cpu() {
    check_mfpt(&mut |e| cpu::run(e, &|_| {}), "cpu");
}

#[test]
fn monte_carlo_hits_the_exact_mfpt_gpu() {
    let Some(gpu) = common::gpu() else { return };
    check_mfpt(&mut |e| gpu.run(e, &|_| {}).expect("gpu run").0, "gpu");
}

/// `kramers theory` on the asset: the exact MFPT of each of its three cases,
/// falling with the tilt (a lower barrier), equal to the quadrature's.
#[test]
fn theory_command_gives_the_exact_mfpt_of_every_case() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/washboard-langevin.toml"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_kramers"))
        .args(["theory", file, "--json"])
        .output()
        .expect("the kramers binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let exact: Vec<f64> = json
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(|c| {
            c["theory"]["exact_mfpt"]
                .as_f64()
                .unwrap_or_else(|| panic!("exact_mfpt in {c}"))
        })
        .collect();
    assert_eq!(exact.len(), 3, "{json}");
    assert!(exact.windows(2).all(|w| w[0] > w[1]), "{exact:?}");
    // against an independent double integral (common::mfpt_by_double_integral)
    // of L = -F x - A cos(2 pi x / P) from its well nearest 0 to the next top:
    // sin(2 pi x / P) = F P / (2 pi A) at both
    let (amplitude, period, d0) = (0.5f64, 1.0f64, 0.5f64);
    for (tilt, t) in [0.2f64, 0.5, 1.0].iter().zip(&exact) {
        let s = (tilt * period / (2.0 * std::f64::consts::PI * amplitude)).asin();
        let well = period / (2.0 * std::f64::consts::PI) * s;
        let top = period / (2.0 * std::f64::consts::PI) * (std::f64::consts::PI - s);
        let washboard =
            |x: f64| -tilt * x - amplitude * (2.0 * std::f64::consts::PI * x / period).cos();
        let direct =
            common::mfpt_by_double_integral(washboard, d0, well, top, well - 60.0, 2_000_000);
        assert!(
            (t - direct).abs() <= 1e-7 * direct,
            "F = {tilt}: {t} vs {direct}"
        );
    }
}
