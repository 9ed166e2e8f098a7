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
    gaussian(tally, tally.final_variance()[0])
}

/// As [`variance`], of the final velocity.
fn velocity_variance(tally: &Tally) -> (f64, f64) {
    gaussian(tally, tally.velocity_variance()[0])
}

fn gaussian(tally: &Tally, v: f64) -> (f64, f64) {
    let n = tally.finite() as f64;
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
/// Its velocity is cooler than Maxwell's `D0/2`: GJF's on-site velocity has
/// the stationary variance `(D0/2)(1 - (omega dt)^2/4)` = 0.1875 here (the
/// fixed point of the scheme's 2x2 covariance recursion, checked by iterating
/// it in `references::tests`), and the velocity is Gaussian, so the same
/// window applies (1% false failures); Maxwell's 0.25 lies 40 standard errors
/// away. The kernels tally the velocity (`final_state.velocity_variance`) on
/// both backends, and result.json's z score is this one.
#[test]
fn gjf_samples_the_harmonic_position_law_exactly_at_omega_dt_one() {
    let e = experiment(HARMONIC);
    let exact = 0.5 / 2.0;
    let em = 0.5 / (1.0 * (2.0 - 1.0));
    let output = cpu::run(&e, &|_| {});
    let result = kramers::report::RunResult::new(&e, &output, vec![]);
    let mut runs = vec![("cpu", output.tallies)];
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
        // the velocity
        let gjf = 0.25 * (1.0 - 1.0 / 4.0);
        let (v, se) = velocity_variance(&tallies[0]);
        eprintln!("{backend}: velocity variance {v:.5} +- {se:.5}, GJF {gjf}, Maxwell 0.25");
        assert!(
            (v - gjf).abs() <= Z99 * se,
            "{backend}: velocity variance {v} vs {gjf}"
        );
        assert!((0.25 - v).abs() > 20.0 * se, "{backend}");
        let mean = tallies[0].velocity_mean()[0];
        assert!(
            mean.abs() <= Z99 * (v / tallies[0].finite() as f64).sqrt(),
            "{backend}: velocity mean {mean}"
        );
    }
    // result.json's reference and z score for the CPU run
    let case = &result.cases[0];
    let theory = case.theory.as_ref().expect("references");
    let stationary = theory.stationary.as_ref().expect("a stationary law");
    assert_eq!(stationary.velocity_variance, Some(0.25));
    assert!((stationary.gjf_velocity_variance.unwrap() - 0.1875).abs() < 1e-15);
    let z = theory.z.as_ref().and_then(|z| z.final_velocity_variance);
    assert_eq!(case.final_state.velocity_variance.len(), 1);
    assert!(z.is_some_and(|z| z.abs() <= Z99), "z {z:?}");
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
    // With no force the velocity obeys `v' = a v + b beta` alone, whose
    // stationary law is exactly Maxwell's `N(0, D0/2)`; started from it, the
    // velocity has that law at every step (99% window, 1% false failures).
    let (v, se) = velocity_variance(tally);
    eprintln!("velocity variance {v:.5} +- {se:.5}, Maxwell {}", d0 / 2.0);
    assert!((v - d0 / 2.0).abs() <= Z99 * se, "velocity variance {v}");
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

/// Low friction, exit at the barrier top of the same double well: `gamma x`
/// the mean time to the top approaches the exact energy-diffusion limit
/// (the quadrature over energy of docs/theory.md §8, 4.7059 here) as gamma
/// falls, the gap shrinking like `sqrt(Delta)`, `Delta = gamma I(E_b)/kT`.
/// Measured gaps (16,000 trajectories, dt = 0.2, standard error 0.8%):
/// +33.2% at gamma = 0.01, +10.5% at 0.001, +2.7% at 0.0001. Checked: the
/// gap falls with gamma, and at gamma = 10^-4 it is within 5%: with a true
/// gap near 2.8% (the `sqrt(Delta)` law through the gap at 0.001), 2.9
/// standard errors, about 0.2% false failures. The limit is checked here
/// against an independent evaluation: the action and `g(E)` by a different
/// rule (Simpson's rule in a polynomial substitution, the period by
/// differences, no integration by parts).
#[test]
fn at_low_friction_gamma_times_the_escape_time_approaches_the_energy_diffusion_limit() {
    let e = experiment(
        r#"
name = "low friction"
seed = 2
dt = 0.2
max_steps = 100000000
trajectories = 16000
start = -1.0
[potential]
kind = "double-well"
height = 0.25
half_width = 1.0
[noise]
kind = "langevin"
d0 = 0.2
[exit]
kind = "top"
[dynamics]
kind = "underdamped"
friction = [0.01, 0.001, 0.0001]
"#,
    );
    let limit = independent_energy_diffusion_limit();
    let refs = kramers::analysis::references::case_references(&e, 0, None).unwrap();
    let reported = refs.underdamped.unwrap().energy_diffusion_limit.unwrap();
    assert!(
        (reported / limit - 1.0).abs() < 2e-3,
        "library {reported} vs independent {limit}"
    );
    let run = cpu::run(&e, &|_| {});
    let mut gaps = Vec::new();
    for (case, gamma) in [0.01, 0.001, 0.0001].into_iter().enumerate() {
        let stats = escape_stats(&run.tallies[case], 0.2, e.max_steps);
        let (mean, se) = (stats.mean.unwrap(), stats.mean_standard_error.unwrap());
        let gap = gamma * mean / limit - 1.0;
        eprintln!(
            "gamma {gamma}: gamma x MFPT {:.4} +- {:.4}, limit {limit:.4}, gap {:+.1}%",
            gamma * mean,
            gamma * se,
            100.0 * gap
        );
        gaps.push(gap);
    }
    assert!(gaps[0] > gaps[1] && gaps[1] > gaps[2], "{gaps:?}");
    assert!(gaps[2].abs() <= 0.05, "{gaps:?}");
}

/// The energy-diffusion limit for `L = (x^2 - 1)^2 / 4`, `kT = 0.1`, from
/// `x = -1` with a Maxwell velocity, to the top `E_b = 1/4`: `I(E)` by
/// Simpson's rule in `x` after the substitution `x = x1 + (x2 - x1) s^2 (3 -
/// 2 s)` (smooth at the turning points, found by bisection),
/// `g(E) = e^{E/kT} / (kT I(E)) int_{0}^{E} T e^{-E'/kT}` with `T = I'` by
/// central differences, and the Maxwell average by the trapezoid rule.
fn independent_energy_diffusion_limit() -> f64 {
    let kt = 0.1f64;
    let l = |x: f64| 0.25 * (x * x - 1.0).powi(2);
    // L - e changes sign once on each side of the minimum at -1: bisection
    let root = |mut inside: f64, mut outside: f64, e: f64| {
        for _ in 0..100 {
            let m = 0.5 * (inside + outside);
            if l(m) < e {
                inside = m;
            } else {
                outside = m;
            }
        }
        0.5 * (inside + outside)
    };
    let action = |e: f64| {
        if e <= 0.0 {
            return 0.0;
        }
        let (x1, x2) = (root(-1.0, -2.0, e), root(-1.0, 0.0, e));
        let n = 2000;
        let h = 1.0 / n as f64;
        let f = |s: f64| {
            let x = x1 + (x2 - x1) * s * s * (3.0 - 2.0 * s);
            let dx = (x2 - x1) * 6.0 * s * (1.0 - s);
            (2.0 * (e - l(x)).max(0.0)).sqrt() * dx
        };
        let mut sum = f(0.0) + f(1.0);
        for i in 1..n {
            sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        2.0 * sum * h / 3.0
    };
    let e_b = 0.25;
    let n = 2500;
    let h = e_b / n as f64;
    let period = |e: f64| {
        (action(e + 1e-6) - action((e - 1e-6).max(0.0))) / (e + 1e-6 - (e - 1e-6).max(0.0))
    };
    // inner(E) = int_0^E T e^{-E'/kT} dE' (trapezoid; T's log singularity at E_b is integrable)
    let energies: Vec<f64> = (0..=n).map(|k| k as f64 * h).collect();
    let weights: Vec<f64> = energies
        .iter()
        .map(|&e| period(e.min(e_b - 1e-5)) * (-e / kt).exp())
        .collect();
    let mut inner = vec![0.0; n + 1];
    for k in 1..=n {
        inner[k] = inner[k - 1] + 0.5 * h * (weights[k - 1] + weights[k]);
    }
    let g: Vec<f64> = (0..=n)
        .map(|k| {
            let e = energies[k];
            if k == 0 {
                1.0 / kt
            } else {
                (e / kt).exp() * inner[k] / (kt * action(e))
            }
        })
        .collect();
    let mut tail = vec![0.0; n + 1];
    for k in (0..n).rev() {
        tail[k] = tail[k + 1] + 0.5 * h * (g[k] + g[k + 1]);
    }
    let vmax = (2.0 * e_b).sqrt();
    let m = 5000;
    let dv = vmax / m as f64;
    let mut mean = 0.0;
    for i in 0..m {
        let v = (i as f64 + 0.5) * dv;
        let e0 = 0.5 * v * v;
        let u = e0 / h;
        let k = (u.floor() as usize).min(n - 1);
        let f = u - k as f64;
        let time = tail[k] * (1.0 - f) + tail[k + 1] * f;
        mean += 2.0 * (-v * v / (2.0 * kt)).exp() / (2.0 * std::f64::consts::PI * kt).sqrt()
            * time
            * dv;
    }
    mean
}

/// The final velocity's exact sums travel with result.json: read back, the
/// case's tally is the run's, velocity included (what `kramers merge` adds),
/// and merging a tally with itself doubles them exactly. Deterministic.
#[test]
fn the_velocity_sums_survive_result_json_and_merging() {
    let e = experiment(&HARMONIC.replace("trajectories = 100000", "trajectories = 2000"));
    let output = cpu::run(&e, &|_| {});
    let result = kramers::report::RunResult::new(&e, &output, vec![]);
    let text = serde_json::to_string(&result).unwrap();
    assert!(text.contains("\"velocity_sum\""), "the sums are written");
    let back: kramers::report::RunResult = serde_json::from_str(&text).unwrap();
    let tally = back.cases[0].tally().expect("a tally");
    assert_eq!(tally, output.tallies[0]);
    assert_eq!(tally.velocity_sum.len(), 1);
    assert_ne!(tally.velocity_squared_sum[0], 0);
    let mut twice = tally.clone();
    twice.merge(&tally);
    assert_eq!(twice.velocity_sum[0], 2 * tally.velocity_sum[0]);
    assert_eq!(
        twice.velocity_squared_sum[0],
        2 * tally.velocity_squared_sum[0]
    );
}
