//! Underdamped Langevin dynamics, stepped by Grønbech-Jensen–Farago
//! (docs/theory.md §8), against known answers computed here, not by the
//! library: GJF's exact harmonic position law at a coarse step, free
//! diffusion at the continuum rate, and the high-friction limit of the mean
//! escape time (gamma x the overdamped time, by an independent double
//! integral). Fixed seeds; each statistical check states its false-failure
//! rate (a two-sided window of z standard errors; the checks are
//! deterministic for the fixed seeds).

use crate::common;
use kramers::analysis::escape::escape_stats;
use kramers::backend::cpu;
use kramers::observables::Tally;
use kramers::spec::Experiment;

/// z of a two-sided 99% window: a false failure in 1% of seeds.
const Z99: f64 = 2.576;

fn experiment(text: &str) -> Experiment {
    Experiment::from_toml(text, "underdamped test").expect("valid experiment")
}

/// `(variance, its standard error)` of the final position, coordinate 0,
/// for Gaussian final states: `sqrt(2 / (n - 1))` relative.
fn variance(tally: &Tally) -> (f64, f64) {
    let n = tally.finite() as f64;
    let v = tally.final_variance()[0];
    (v, v * (2.0 / (n - 1.0)).sqrt())
}

const HARMONIC: &str = r#"
name = "GJF harmonic"
seed = 1
dt = 1.0
max_steps = 200
trajectories = 100000
[potential]
kind = "quadratic"
curvature = 1.0
[noise]
kind = "langevin"
d0 = 0.5
[exit]
kind = "none"
[dynamics]
kind = "underdamped"
friction = 1.0
"#;

/// `L = x^2/2`, `D0 = 0.5`, gamma = 1, omega dt = 1: GJF's position law is the
/// Boltzmann one, variance `D0 / 2 = 0.25`, at this step, where Euler–Maruyama
/// of the overdamped dynamic gives `D0 / (H (2 - H dt)) = 0.5`, twice off.
/// 10^5 trajectories of 200 steps (t = 200, relaxed); 99% window (1% false failures).
#[test]
fn gjf_samples_the_harmonic_position_law_exactly_at_omega_dt_one() {
    let e = experiment(HARMONIC);
    let exact = 0.5 / 2.0;
    let em = 0.5 / (1.0 * (2.0 - 1.0));
    let mut runs = vec![("cpu", cpu::run(&e, &|_| {}).tallies)];
    if let Some(gpu) = common::gpu() {
        runs.push(("gpu", gpu.run(&e, &|_| {}).expect("GPU run").0.tallies));
    }
    for (backend, tallies) in runs {
        let (v, se) = variance(&tallies[0]);
        eprintln!("{backend}: variance {v:.5} +- {se:.5}, exact {exact}, Euler–Maruyama {em}");
        assert!(
            (v - exact).abs() <= Z99 * se,
            "{backend}: variance {v} vs {exact}"
        );
        // the window is narrow enough to tell the schemes apart
        assert!((em - v).abs() > 20.0 * se, "{backend}");
        let mean = tallies[0].final_mean()[0];
        assert!(
            mean.abs() <= Z99 * (v / tallies[0].finite() as f64).sqrt(),
            "{backend}: mean {mean}"
        );
    }
}

/// `L = 0`, `D0 = 0.5`, gamma = 1, dt = 0.5, start at rest in position with a
/// Maxwell velocity: the mean squared displacement is the continuum one,
/// `(D0 / gamma) (t - (1 - e^{-gamma t}) / gamma)` = 49.5 at t = 100 (GJF's
/// chain has exactly this second moment, and BAOAB's would be off by the
/// factor `(gamma dt / 2) coth(gamma dt / 2)` = 1.02 in the slope); the
/// long-time slope `D0 / gamma`. 10^5 trajectories; 99% window.
#[test]
fn gjf_diffuses_at_the_continuum_rate_on_a_flat_potential() {
    let e = experiment(
        r#"
name = "GJF free diffusion"
seed = 5
dt = 0.5
max_steps = 200
trajectories = 100000
start = 0.0
[potential]
kind = "expr"
u = "0 * x"
[noise]
kind = "langevin"
d0 = 0.5
[exit]
kind = "none"
[dynamics]
kind = "underdamped"
friction = 1.0
"#,
    );
    let (d0, gamma, t) = (0.5f64, 1.0f64, 100.0f64);
    let exact = d0 / gamma * (t - (1.0 - (-gamma * t).exp()) / gamma);
    let run = cpu::run(&e, &|_| {});
    let tally = &run.tallies[0];
    let n = tally.finite() as f64;
    let mean = tally.final_mean()[0];
    // the mean squared displacement from 0, not the variance about the sample mean
    let (var, se) = variance(tally);
    let msd = var * (n - 1.0) / n + mean * mean;
    eprintln!("MSD {msd:.4} +- {se:.4}, continuum {exact:.4}");
    assert!((msd - exact).abs() <= Z99 * se, "MSD {msd} vs {exact}");
    let baoab = exact * 1.02;
    assert!(
        (baoab - msd).abs() > Z99 * se,
        "the window tells a 2% slope error"
    );
}

/// The double well `L = x^4/4 - x^2/2` (height 0.25, half-width 1), `D0 = 0.2`,
/// from the minimum at -1 with a Maxwell velocity to the other minimum
/// (`x >= 1`): at gamma = 30 and 100 the mean escape time is gamma x the
/// overdamped one (Kramers' spatial-diffusion limit; the correction is of
/// order `(omega / gamma)^2 <= 0.2%` here, below the Monte Carlo's 1.5%).
/// The overdamped time is the double integral of `common`, not the
/// library's quadrature. 4,000 trajectories per friction; each in its 99%
/// window (2% false failures for the pair).
#[test]
fn at_high_friction_the_escape_time_is_gamma_times_the_overdamped_one() {
    let e = experiment(
        r#"
name = "high friction"
seed = 2
dt = 0.05
max_steps = 10000000
trajectories = 4000
start = -1.0
[potential]
kind = "double-well"
height = 0.25
half_width = 1.0
[noise]
kind = "langevin"
d0 = 0.2
[exit]
kind = "half-space"
normal = [1.0]
threshold = 1.0
[dynamics]
kind = "underdamped"
friction = [30.0, 100.0]
"#,
    );
    let well = |x: f64| 0.25 * (x * x - 1.0).powi(2);
    let overdamped = common::mfpt_by_double_integral(well, 0.2, -1.0, 1.0, -3.0, 400_000);
    let run = cpu::run(&e, &|_| {});
    for (case, gamma) in [30.0, 100.0].into_iter().enumerate() {
        let stats = escape_stats(&run.tallies[case], 0.05, e.max_steps);
        let (mean, se) = (stats.mean.unwrap(), stats.mean_standard_error.unwrap());
        let limit = gamma * overdamped;
        let z = (mean - limit) / se;
        eprintln!(
            "gamma {gamma}: MFPT {mean:.1} +- {se:.1}, gamma x overdamped {limit:.1}, z {z:+.2}"
        );
        assert!(z.abs() <= Z99, "gamma {gamma}: z {z}");
        // and result.json's reference is the same number
        let refs = kramers::analysis::references::case_references(&e, case, None).unwrap();
        let reported = refs.underdamped.unwrap().high_friction_mfpt.unwrap();
        assert!(
            (reported / limit - 1.0).abs() < 1e-6,
            "{reported} vs {limit}"
        );
    }
}

/// State-dependent noise: power-law-loss `D = D0 + k L` on the same double
/// well (`D0 = 0.15`, `k = 0.5`) at gamma = 30 against gamma x the exact Itô
/// overdamped time, `int_{x0}^{b} psi(y) int_{-inf}^{y} 2 / (D psi) dz dy`
/// with the scale density `psi = (D(y) / D0)^(2/k)`, computed here.
/// 4,000 trajectories; 99% window (1% false failures).
#[test]
fn underdamped_power_law_loss_meets_the_ito_overdamped_limit() {
    let (d0, k, gamma) = (0.15f64, 0.5f64, 30.0f64);
    let e = experiment(&format!(
        r#"
name = "power-law-loss, high friction"
seed = 3
dt = 0.05
max_steps = 10000000
trajectories = 4000
start = -1.0
[potential]
kind = "double-well"
height = 0.25
half_width = 1.0
[noise]
kind = "power-law-loss"
d0 = {d0}
k = {k}
[exit]
kind = "half-space"
normal = [1.0]
threshold = 1.0
[dynamics]
kind = "underdamped"
friction = {gamma}
"#
    ));
    let well = |x: f64| 0.25 * (x * x - 1.0).powi(2);
    let diffusion = |x: f64| d0 + k * well(x);
    let psi = |x: f64| (diffusion(x) / d0).powf(2.0 / k);
    let (lo, x0, b, n) = (-3.0f64, -1.0f64, 1.0f64, 200_000usize);
    let h = (b - lo) / n as f64;
    let (mut inner, mut outer) = (0.0, 0.0);
    let m = |z: f64| 2.0 / (diffusion(z) * psi(z));
    for i in 0..n {
        let (z0, z1) = (lo + i as f64 * h, lo + (i + 1) as f64 * h);
        let before = inner;
        inner += 0.5 * h * (m(z0) + m(z1));
        if z0 >= x0 - 1e-12 {
            outer += 0.5 * h * (psi(z0) * before + psi(z1) * inner);
        }
    }
    let limit = gamma * outer;
    let run = cpu::run(&e, &|_| {});
    let stats = escape_stats(&run.tallies[0], 0.05, e.max_steps);
    let (mean, se) = (stats.mean.unwrap(), stats.mean_standard_error.unwrap());
    let z = (mean - limit) / se;
    eprintln!(
        "power-law-loss gamma {gamma}: MFPT {mean:.1} +- {se:.1}, limit {limit:.1}, z {z:+.2}"
    );
    assert!(z.abs() <= Z99, "z {z}");
}

/// The start velocity: given, every trajectory starts with it (a noiseless
/// run is then deterministic, and equals a hand-stepped GJF); drawn, it is
/// Maxwell's `N(0, D0 / 2)`, whose first step moves the position by
/// `b dt v0 + b dt/2 beta` (variance `b^2 dt^2 (D0/2 + gamma D0 dt / 4)`).
#[test]
fn the_start_velocity_is_the_given_one_or_maxwell() {
    let e = experiment(
        r#"
name = "given velocity, no noise"
seed = 1
dt = 0.1
max_steps = 50
trajectories = 8
start = 0.5
[potential]
kind = "quadratic"
curvature = 2.0
[noise]
kind = "langevin"
d0 = 0.0
[exit]
kind = "none"
[dynamics]
kind = "underdamped"
friction = 0.5
start_velocity = [1.0]
"#,
    );
    let run = cpu::run(&e, &|_| {});
    let (gamma, dt, h) = (0.5f64, 0.1f64, 2.0f64);
    let b = 1.0 / (1.0 + gamma * dt / 2.0);
    let a = (1.0 - gamma * dt / 2.0) * b;
    let (mut x, mut v) = (0.5f64, 1.0f64);
    for _ in 0..50 {
        let f = -h * x;
        let x1 = x + b * dt * v + b * dt * dt / 2.0 * f;
        v = a * v + dt / 2.0 * (a * f - h * x1);
        x = x1;
    }
    let mean = run.tallies[0].final_mean()[0];
    assert!((mean - x).abs() < 1e-5, "{mean} vs hand-stepped {x}");
    assert!(run.tallies[0].final_variance()[0] < 1e-12);

    let e = experiment(
        r#"
name = "Maxwell velocity, one step"
seed = 9
dt = 0.5
max_steps = 1
trajectories = 200000
start = 0.0
[potential]
kind = "expr"
u = "0 * x"
[noise]
kind = "langevin"
d0 = 0.8
[exit]
kind = "none"
[dynamics]
kind = "underdamped"
friction = 2.0
"#,
    );
    let (d0, gamma, dt) = (0.8f64, 2.0f64, 0.5f64);
    let b = 1.0 / (1.0 + gamma * dt / 2.0);
    let exact = b * b * dt * dt * (d0 / 2.0 + gamma * d0 * dt / 4.0);
    let run = cpu::run(&e, &|_| {});
    let (v, se) = variance(&run.tallies[0]);
    eprintln!("one step from a Maxwell velocity: variance {v:.5} +- {se:.5}, exact {exact:.5}");
    assert!((v - exact).abs() <= Z99 * se, "{v} vs {exact}");
}
