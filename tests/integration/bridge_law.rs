//! A known answer for the Brownian-bridge exit correction (docs/theory.md §4).
//!
//! Brownian motion with constant drift, `dX = nu dt + sqrt(D0) dW`, from 0 to the
//! half-space `x >= a` (the potential `-nu x` wherever a step starts): Euler–Maruyama is exact in law at the steps (constant
//! coefficients), and a Brownian bridge with drift between two points crosses a
//! level with probability `exp(-2 (a - x_n)(a - x_{n+1}) / (D0 dt))` whatever the
//! drift. So the bridge-corrected chain exits at step `N` with exactly
//! `P(N <= n) = F(n dt)`, `F` the inverse-Gaussian law of the continuous-time
//! first passage (mean `a / nu`, shape `a^2 / D0`), at any `dt`: here a coarse
//! one (`a = nu = D0 = dt = 1`, 1.5 steps per passage on average), where most
//! passages are caught by the bridge and a wrong exponent of the crossing
//! probability moves the law most (a scan of `a`, `nu` and `dt` found none more
//! sensitive). Sixteen million paths pin the exponent: -1.98 or -2.02 in place
//! of -2 moves the mean step by about 10 standard errors, -1.99 by about 5 (at
//! 4e6 paths, -1.98 moved it by 4.8: simulated in numpy, -3.9 and -5.7 SE at two
//! seeds, +5.7 and +4.2 for -2.02; planted in the CPU kernel, -3.8 against +1.0
//! for -2), -1.8 by about 100.
//!
//! Tests (fixed seeds): the mean step within 4.4 standard errors of the exact
//! mean (false failures 1e-5) and a binned chi-square of the step histogram
//! against the exact law at p > 1e-5 (false failures 1e-5), on the CPU and on the
//! GPU (lavapipe in CI), for the half-space and for a box leaving through one
//! face: 8e-5 in all. A formula exit `g = x - 1` must give the half-space's
//! first passages path for path (deterministic).

use crate::common;
use kramers::backend::{cpu, RunOutput};
use kramers::spec::{Experiment, ExperimentBuilder, FptFormat};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

const NU: f64 = 1.0;
const D0: f64 = 1.0;
const LEVEL: f64 = 1.0;
const DT: f64 = 1.0;
const PATHS: u32 = 16_000_000;

/// The exit sets that are the half-space `x >= LEVEL` in law: the half-space
/// itself, a box whose one finite face is `x = LEVEL`, and the formula
/// `g = x - LEVEL`, each with the bridge.
#[derive(Clone, Copy, Debug)]
enum Exit {
    HalfSpace,
    BoxFace,
    Formula,
}

fn experiment(exit: Exit, paths: u32) -> Experiment {
    let builder = ExperimentBuilder::new("bridge law")
        .set("seed", 41u32)
        .set("dt", DT)
        .set("max_steps", 100_000u32)
        .set("trajectories", paths)
        .set("start", 0.0)
        // slope -NU on x < 5, where every step starts (a path is stopped at x >= 1),
        // and a minimum at 5 + NU/2 beyond, which a potential needs downhill of the start
        .potential(
            "expr",
            &[("u", format!("-{NU} * x + max(x - 5, 0)^2").as_str().into())],
        )
        .noise("langevin", &[("d0", D0.into())]);
    let builder = match exit {
        Exit::HalfSpace => builder.exit(
            "half-space",
            &[
                ("normal", vec![1.0].into()),
                ("threshold", LEVEL.into()),
                ("bridge", true.into()),
            ],
        ),
        Exit::BoxFace => builder.exit(
            "box",
            &[
                ("lower", vec![f64::NEG_INFINITY].into()),
                ("upper", vec![LEVEL].into()),
                ("bridge", true.into()),
            ],
        ),
        Exit::Formula => builder.exit(
            "expr",
            &[
                ("g", format!("x - {LEVEL}").as_str().into()),
                ("bridge", true.into()),
            ],
        ),
    };
    let mut experiment = builder.build("bridge law").expect("valid experiment");
    experiment.observe.fpt_file = Some(FptFormat::Npy);
    experiment
}

/// The inverse-Gaussian distribution function of the first passage at `t`.
fn first_passage_cdf(t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let phi = Normal::new(0.0, 1.0).unwrap();
    let s = (D0 * t).sqrt();
    phi.cdf((NU * t - LEVEL) / s) + (2.0 * NU * LEVEL / D0).exp() * phi.cdf(-(NU * t + LEVEL) / s)
}

/// `P(N = n)` for the exit step `N` of the bridge-corrected chain.
fn step_probability(n: u64) -> f64 {
    first_passage_cdf(n as f64 * DT) - first_passage_cdf((n - 1) as f64 * DT)
}

fn check_law(output: &RunOutput, paths: u32) {
    let steps = output.first_passage.as_ref().expect("first-passage steps");
    assert_eq!(steps.len(), paths as usize);
    assert!(
        steps.iter().all(|&s| s != 0 && s != u32::MAX),
        "every path exits, none diverges"
    );
    let n = steps.len() as f64;

    // The mean step: E[N] = sum_{n >= 0} P(N > n), variance from the exact law.
    let (mut mean, mut second) = (0.0, 0.0);
    for k in 1..2_000u64 {
        let p = step_probability(k);
        mean += k as f64 * p;
        second += (k * k) as f64 * p;
    }
    let sd = (second - mean * mean).sqrt();
    let observed = steps.iter().map(|&s| s as f64).sum::<f64>() / n;
    let z = (observed - mean) / (sd / n.sqrt());
    eprintln!(
        "{}: mean exit step {observed:.5}, exact {mean:.5} (z = {z:+.2})",
        output.backend
    );
    assert!(
        z.abs() < 4.4,
        "{}: the bridge-corrected chain's mean exit step {observed:.5} is {z:+.2} standard \
         errors from the exact {mean:.5}",
        output.backend
    );

    // Binned chi-square: one bin per step while the expected count is at least 20,
    // the rest pooled.
    let mut counts = vec![0u64; 2_000];
    for &s in steps {
        counts[(s as usize).min(1_999)] += 1;
    }
    let (mut chi2, mut bins, mut below) = (0.0, 0usize, 0.0);
    let mut k = 1u64;
    while n * step_probability(k) >= 20.0 || k < 3 {
        let expected = n * step_probability(k);
        let d = counts[k as usize] as f64 - expected;
        chi2 += d * d / expected;
        bins += 1;
        below += step_probability(k);
        k += 1;
    }
    let tail_expected = n * (1.0 - below);
    let tail_observed = counts[k as usize..].iter().sum::<u64>() as f64;
    chi2 += (tail_observed - tail_expected).powi(2) / tail_expected;
    bins += 1;
    let p = 1.0 - ChiSquared::new((bins - 1) as f64).unwrap().cdf(chi2);
    eprintln!(
        "{}: chi-square {chi2:.1} on {} degrees of freedom, p = {p:.3}",
        output.backend,
        bins - 1
    );
    assert!(
        p > 1e-5,
        "{}: the exit steps do not follow the inverse-Gaussian law (chi-square {chi2:.1}, \
         {} df, p = {p:.2e})",
        output.backend,
        bins - 1
    );
}

#[test]
fn bridge_corrected_chain_has_the_inverse_gaussian_law_on_the_cpu() {
    let experiment = experiment(Exit::HalfSpace, PATHS);
    check_law(&cpu::run(&experiment, &|_| {}), PATHS);
}

#[test]
fn bridge_corrected_chain_has_the_inverse_gaussian_law_on_the_gpu() {
    let Some(gpu) = common::gpu() else { return };
    let experiment = experiment(Exit::HalfSpace, PATHS);
    let (output, _) = gpu.run(&experiment, &|_| {}).expect("gpu run");
    check_law(&output, PATHS);
}

/// A box leaves through its face `x = 1` alone (lower bound `-inf`): its
/// bridge, `1 - (1 - p_lower)(1 - p_upper)` with `p_lower = 0`, has the same
/// law as the half-space's; the face's own arithmetic, so the full test.
#[test]
fn a_box_face_bridge_has_the_inverse_gaussian_law_on_both_backends() {
    let experiment = experiment(Exit::BoxFace, PATHS);
    check_law(&cpu::run(&experiment, &|_| {}), PATHS);
    let Some(gpu) = common::gpu() else { return };
    let (output, _) = gpu.run(&experiment, &|_| {}).expect("gpu run");
    check_law(&output, PATHS);
}

/// The formula `g = x - 1`: distance `-g/|grad g| = 1 - x` and normal
/// variance `D0`, the half-space's numbers exactly, so the same first
/// passages path for path (on both backends) as the exact half-space bridge.
#[test]
fn a_plane_written_as_a_formula_takes_the_half_space_bridge_path_for_path() {
    const FEW: u32 = 1_000_000;
    let plane = experiment(Exit::HalfSpace, FEW);
    let formula = experiment(Exit::Formula, FEW);
    let steps = |run: RunOutput| run.first_passage.expect("first-passage steps");
    let reference = steps(cpu::run(&plane, &|_| {}));
    assert_eq!(reference.len(), FEW as usize);
    let cpu_formula = steps(cpu::run(&formula, &|_| {}));
    assert!(
        reference == cpu_formula,
        "CPU: {} of {FEW} first passages differ",
        reference
            .iter()
            .zip(&cpu_formula)
            .filter(|(a, b)| a != b)
            .count()
    );
    let Some(gpu) = common::gpu() else { return };
    let (run, _) = gpu.run(&formula, &|_| {}).expect("gpu run");
    let gpu_formula = steps(run);
    assert!(
        reference == gpu_formula,
        "GPU: {} of {FEW} first passages differ from the CPU's half-space",
        reference
            .iter()
            .zip(&gpu_formula)
            .filter(|(a, b)| a != b)
            .count()
    );
}
