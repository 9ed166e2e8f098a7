//! Monte Carlo on the CPU backend against exact values (docs/theory.md §5): stationary
//! moments of Euler–Maruyama chains, whose discrete-time values are known in
//! closed form, and the exact mean first-passage time over a barrier.
//!
//! Fixed seeds; every check states its acceptance in standard errors and the
//! resulting false-failure rate (two-sided normal tail: 4 sigma 6.3e-5,
//! 4.5 sigma 6.8e-6, 4.7 sigma 2.6e-6).

use kramers::analysis::escape::escape_stats;
use kramers::analysis::theory::{
    exact_mfpt, exact_mfpt_shifted, ou_em_variance, power_law_em_second_moment, Barrier, Langevin,
    Model1d, NoiseParams, PotentialParams, PowerLawStationary,
};
use kramers::backend::{cpu, RunOutput};
use kramers::spec::{Experiment, Interpretation};

fn run(toml: &str) -> (Experiment, RunOutput) {
    let experiment = Experiment::from_toml(toml, "test").expect("valid experiment");
    let output = cpu::run(&experiment, &|_| {});
    assert_eq!(output.tallies.len(), experiment.cases.len());
    (experiment, output)
}

/// Stationary OU (`quadratic` + `langevin`, docs/theory.md §5.1), H = 1, D0 = 1, dt = 0.01,
/// 2e5 paths from the centre, 2000 steps (t = 20: the variance has relaxed to
/// within e^-40). Euler–Maruyama's own stationary variance is exactly
/// `D0 / (H (2 - H dt)) = 0.502513`. The sample variance of n normals has relative
/// standard deviation `sqrt(2 / n) = 0.32%`, so the 1.5% band is 4.7 sigma
/// (false failure 2.6e-6); the mean is checked at 4.5 sigma (6.8e-6).
#[test]
fn ornstein_uhlenbeck_em_stationary_variance() {
    let (_, output) = run(r#"
        seed = 11
        dt = 0.01
        max_steps = 2000
        trajectories = 200000
        [potential]
        kind = "quadratic"
        curvature = 1.0
        [noise]
        kind = "langevin"
        d0 = 1.0
        [exit]
        kind = "none"
        "#);
    let tally = &output.tallies[0];
    assert_eq!(tally.diverged, 0);
    assert_eq!(
        tally.censored, 200_000,
        "exit none: every path runs to max_steps"
    );
    let n = tally.finite() as f64;
    let exact = ou_em_variance(1.0, 1.0, 0.01);
    let variance = tally.final_variance()[0];
    let relative = variance / exact - 1.0;
    println!(
        "OU: variance {variance:.6} vs EM exact {exact:.6} ({:+.3}%, z = {:+.2})",
        100.0 * relative,
        relative / (2.0 / n).sqrt()
    );
    assert!(
        relative.abs() <= 0.015,
        "OU variance {variance} vs EM exact {exact}: {:.2}% off, {:.2} sigma",
        100.0 * relative,
        relative / (2.0 / n).sqrt()
    );
    let mean = tally.final_mean()[0];
    let se = (exact / n).sqrt();
    assert!(
        mean.abs() <= 4.5 * se,
        "OU mean {mean}, standard error {se:.2e}"
    );
}

/// The sample mean of the squared final value of coordinate `c` (over the
/// non-diverged trajectories), from the tally's mean and unbiased variance.
fn final_second_moment(tally: &kramers::observables::Tally, c: usize) -> f64 {
    let n = tally.finite() as f64;
    let mean = tally.final_mean()[c];
    tally.final_variance()[c] * (n - 1.0) / n + mean * mean
}

/// Exact stationary 4th moment of the Euler–Maruyama chain
/// `x' = a x + sqrt((D0 + D2 x^2) dt) z`, `a = 1 - h dt`, given its second moment `m`:
/// from `E x'^4 = a^4 M4 + 6 a^2 dt (D0 m + D2 M4) + 3 dt^2 (D0^2 + 2 D0 D2 m + D2^2 M4)`.
fn power_law_em_fourth_moment(h: f64, d0: f64, d2: f64, dt: f64, m: f64) -> f64 {
    let a2 = (1.0 - h * dt).powi(2);
    let numerator = 6.0 * a2 * dt * d0 * m + 3.0 * dt * dt * (d0 * d0 + 2.0 * d0 * d2 * m);
    let denominator = 1.0 - a2 * a2 - 6.0 * a2 * dt * d2 - 3.0 * dt * dt * d2 * d2;
    assert!(denominator > 0.0, "the chain's 4th moment diverges");
    numerator / denominator
}

/// Quadratic basin (H = 1, centre 0) with power-law noise `D = D0 + D2 x^2`
/// (D0 = 1, D2 = 0.2, rho = 0) under the three interpretations in one experiment
/// (docs/theory.md §5.2). Euler–Maruyama's stationary second moment is exactly
/// `D0 / (2h - dt h^2 - D2)`, `h = H - alpha D2`, for the discrete chain (no
/// allowance for discretization is needed). kappa = 5, so the continuous law is a
/// Student-t with nu = 11, 10, 9 degrees of freedom: 4th moment finite. 2e5 paths,
/// 3000 steps at dt = 0.01 (t = 30; the second moment relaxes at rate
/// `2h - D2 >= 1.4`, to within e^-42). The standard error of the mean of x^2 is
/// `sqrt((E x^4 - (E x^2)^2) / n)` with the chain's exact 4th moment (about 0.4%
/// of m). Three checks at 4.5 sigma: false-failure rate 2.0e-5.
#[test]
fn power_law_em_stationary_second_moment_per_interpretation() {
    let (h0, d0, d2, dt) = (1.0, 1.0, 0.2, 0.01);
    let (experiment, output) = run(r#"
        seed = 12
        dt = 0.01
        max_steps = 3000
        trajectories = 200000
        [potential]
        kind = "quadratic"
        curvature = 1.0
        center = 0.0
        [noise]
        kind = "power-law"
        d0 = 1.0
        d2 = 0.2
        rho = 0.0
        interpretation = ["ito", "stratonovich", "anti-ito"]
        "#);
    let expected_order = [
        Interpretation::Ito,
        Interpretation::Stratonovich,
        Interpretation::AntiIto,
    ];
    for ((case, tally), interpretation) in experiment
        .cases
        .iter()
        .zip(&output.tallies)
        .zip(expected_order)
    {
        assert_eq!(case.model.interpretation, interpretation);
        let alpha = interpretation.alpha();
        assert_eq!(tally.diverged, 0, "{interpretation:?}");
        let n = tally.finite() as f64;
        let second_moment = final_second_moment(tally, 0);

        let exact = power_law_em_second_moment(h0, d0, d2, alpha, dt).expect("finite");
        let h = h0 - alpha * d2;
        let fourth = power_law_em_fourth_moment(h, d0, d2, dt, exact);
        // The continuous Student-t law is within a few percent of the chain
        // (a check on the recursion above).
        let law = PowerLawStationary::new(h0, d0, d2, alpha, 0.0).expect("normalizable");
        let nu = law.nu;
        let t_fourth = law.scale.powi(4) * 3.0 * nu * nu / ((nu - 2.0) * (nu - 4.0));
        assert!(
            (fourth / t_fourth - 1.0).abs() < 0.05,
            "{interpretation:?}: chain E x^4 = {fourth}, Student-t {t_fourth}"
        );
        let se = ((fourth - exact * exact) / n).sqrt();
        let z = (second_moment - exact) / se;
        println!(
            "{interpretation:?}: E x^2 {second_moment:.5} vs EM exact {exact:.5}, se {se:.2e}, \
             z = {z:+.2}; chain E x^4 {fourth:.4} vs Student-t {t_fourth:.4}"
        );
        assert!(
            z.abs() <= 4.5,
            "{interpretation:?}: E x^2 = {second_moment} vs EM exact {exact} (continuous {:?}), \
             standard error {se:.2e}, z = {z:.2}",
            law.variance()
        );
    }
}

/// Mean first passage from the minimum to the top of `barrier` (Ha = 1, Hb = 2,
/// height 1) under Langevin noise D0 = 0.5 (docs/theory.md §5.4), dt = 0.001, 2e4 paths,
/// every one escaping (P(any censored at t = 5000) < 1e-13). The reference is the
/// exact continuous MFPT at the Broadie–Glasserman–Kou shifted level
/// `b + 0.5826 sqrt(D0 dt)`, which models discrete monitoring to first order;
/// the remaining O(dt) bias (Euler–Maruyama's effective temperature is
/// `1/(1 - Ha dt/2)` higher: about 0.2% of the MFPT here) is below a third of
/// the 0.7% standard error. Acceptance 4 standard errors: false-failure rate
/// 6.3e-5 without bias, at most 3e-4 with a bias of 0.3 standard errors.
#[test]
fn barrier_mean_first_passage_matches_exact_shifted_mfpt() {
    let (dt, d0) = (0.001, 0.5);
    let (experiment, output) = run(r#"
        seed = 13
        dt = 0.001
        max_steps = 5000000
        trajectories = 20000
        [potential]
        kind = "barrier"
        curvature_min = 1.0
        curvature_top = 2.0
        height = 1.0
        [noise]
        kind = "langevin"
        d0 = 0.5
        [exit]
        kind = "top"
        "#);
    let tally = &output.tallies[0];
    assert_eq!(tally.diverged, 0);
    assert_eq!(tally.censored, 0, "every path must escape for the MFPT");
    let stats = escape_stats(tally, dt, experiment.max_steps);
    let mean = stats.mean.expect("no censoring");
    let se = stats.mean_standard_error.expect("k >= 2");

    let potential = PotentialParams::Barrier(Barrier {
        curvature_min: 1.0,
        curvature_top: 2.0,
        height: 1.0,
        minimum: 0.0,
    });
    let model = Model1d {
        potential: potential.clone(),
        noise: NoiseParams::Langevin(Langevin { d0 }),
        alpha: 0.0,
    };
    let top = potential.top().expect("barrier top");
    let shifted = exact_mfpt_shifted(&model, 0.0, top, dt).expect("finite");
    let unshifted = exact_mfpt(&model, 0.0, top).expect("finite");
    let z = (mean - shifted) / se;
    println!(
        "MFPT {mean:.3} (se {se:.3}) vs exact shifted {shifted:.3} (unshifted {unshifted:.3}): \
         z = {z:+.2}"
    );
    assert!(
        z.abs() <= 4.0,
        "MFPT {mean} (se {se:.3}) vs exact shifted {shifted} (unshifted {unshifted}): z = {z:.2}"
    );
}

/// Theorem 4 in three dimensions (docs/theory.md §9, separable cases): the
/// isotropic quadratic with power-law noise acting on each coordinate by its
/// own value has, per coordinate, the 1-D chain's stationary law. H = 1,
/// D0 = 1, D2 = 0.2, Stratonovich, dt = 0.01, 3000 steps, 100,000 paths: each
/// coordinate's second moment against Euler–Maruyama's exact one (standard
/// error from the chain's exact 4th moment), and the case's theory names the
/// Student-t law of the 1-D case. Three checks at 4.5 sigma (coordinates are
/// independent): false-failure rate 2.0e-5.
#[test]
fn power_law_stationary_law_holds_per_coordinate_in_three_dimensions() {
    let (experiment, output) = run(r#"
        seed = 13
        dim = 3
        dt = 0.01
        max_steps = 3000
        trajectories = 100000
        start_point = [0.0, 0.0, 0.0]
        [potential]
        kind = "quadratic"
        curvature = 1.0
        center = 0.0
        [noise]
        kind = "power-law"
        d0 = 1.0
        d2 = 0.2
        interpretation = "stratonovich"
        "#);
    let (h0, d0, d2, dt, alpha) = (1.0, 1.0, 0.2, 0.01, 0.5);
    let tally = &output.tallies[0];
    assert_eq!(tally.diverged, 0);
    let n = tally.finite() as f64;
    let exact = power_law_em_second_moment(h0, d0, d2, alpha, dt).expect("finite");
    let fourth = power_law_em_fourth_moment(h0 - alpha * d2, d0, d2, dt, exact);
    let se = ((fourth - exact * exact) / n).sqrt();
    for c in 0..3 {
        let second_moment = final_second_moment(tally, c);
        let z = (second_moment - exact) / se;
        println!("coordinate {c}: E x^2 {second_moment:.5} vs EM exact {exact:.5}, z = {z:+.2}");
        assert!(z.abs() <= 4.5, "coordinate {c}: z = {z}");
    }
    let law = PowerLawStationary::new(h0, d0, d2, alpha, 0.0).expect("normalizable");
    let stationary = kramers::analysis::references::case_references(&experiment, 0, None)
        .and_then(|t| t.stationary)
        .expect("a stationary reference in 3-D");
    assert_eq!(stationary.law, "student-t");
    assert_eq!(stationary.nu, Some(law.nu));
    assert_eq!(stationary.em_second_moment, Some(exact));
}
