//! Known answers for the splitting estimator's bookkeeping (docs/theory.md §7):
//! the pooled mean exit time `E[T_first] + (1/p - 1) E[T_loop] + E[T_reac]`
//! and the jackknife over runs, on hand-built runs. Deterministic.

use super::{
    combine, jackknife, levels, pick_parent, pooled, split_at, AmsRun, LoopSums, Pooled, Replica,
    RunNumbers,
};
use crate::kernel::simulate::{Code, SegmentEnd};
use crate::spec::{Experiment, MAX_DIM};

fn run(first: (u64, u64), cycle: (u64, u64), p: f64, reac: Option<f64>) -> RunNumbers {
    RunNumbers {
        sums: LoopSums {
            first_steps: first.0,
            firsts: first.1,
            loop_steps: cycle.0,
            loops: cycle.1,
        },
        p,
        reac,
    }
}

#[test]
fn pooled_estimate_is_first_plus_loops_plus_reaction() {
    // E[T_first] = (100 + 140) / 20 = 12, E[T_loop] = (300 + 500) / 40 = 20,
    // p = (0.01 + 0.03) / 2 = 0.02, E[T_reac] weighted by p: (0.01 * 5 + 0.03 * 9) / 0.04 = 8:
    // 12 + (1/0.02 - 1) 20 + 8 = 1000 (with 1/p in place of 1/p - 1: 1020; without
    // E[T_first]: 988; with unweighted E[T_reac] = 7: 999).
    let runs = [
        run((100, 10), (300, 20), 0.01, Some(5.0)),
        run((140, 10), (500, 20), 0.03, Some(9.0)),
    ];
    let Pooled {
        total,
        p,
        first,
        cycle,
        reac,
    } = pooled(&runs).expect("an estimate");
    assert!((first - 12.0).abs() < 1e-12, "E[T_first] = {first}");
    assert!((cycle - 20.0).abs() < 1e-12, "E[T_loop] = {cycle}");
    assert!((p - 0.02).abs() < 1e-15, "p = {p}");
    assert!((reac - 8.0).abs() < 1e-12, "E[T_reac] = {reac:?}");
    assert!(
        (total - 1000.0).abs() < 1e-9,
        "total {total}, expected 1000"
    );
}

#[test]
fn pooled_reaction_time_skips_runs_with_no_escaped_replica() {
    // The second run has no replica in the exit: E[T_reac] is the first run's 5.
    let runs = [
        run((100, 10), (300, 20), 0.01, Some(5.0)),
        run((140, 10), (500, 20), 0.03, None),
    ];
    let Pooled { total, reac, .. } = pooled(&runs).expect("an estimate");
    assert_eq!(reac, 5.0);
    assert!((total - 997.0).abs() < 1e-9, "total {total}, expected 997");
    // No run with an escaped replica: no estimate at all.
    let none = [run((100, 10), (300, 20), 0.01, None)];
    assert!(pooled(&none).is_none());
}

#[test]
fn jackknife_of_a_mean_is_its_standard_error() {
    // With no loop time (one loop of 0 steps), equal p and equal first-leg counts,
    // the pooled estimate is the plain mean of first + reac over runs, whose jackknife
    // standard error is exactly the sample standard deviation / sqrt(r).
    let values = [(3u64, 1.0), (5, 2.0), (4, 4.5), (10, 3.0), (6, 0.5)];
    let runs: Vec<RunNumbers> = values
        .iter()
        .map(|&(first, reac)| run((first, 1), (0, 1), 0.1, Some(reac)))
        .collect();
    let totals: Vec<f64> = values.iter().map(|&(f, r)| f as f64 + r).collect();
    let r = totals.len() as f64;
    let mean = totals.iter().sum::<f64>() / r;
    let sd = (totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let total = pooled(&runs).unwrap().total;
    assert!((total - mean).abs() < 1e-12, "pooled {total}, mean {mean}");
    let se = jackknife(&runs).expect("a standard error");
    assert!(
        (se - sd / r.sqrt()).abs() < 1e-12,
        "jackknife {se}, s/sqrt(r) {}",
        sd / r.sqrt()
    );
}

#[test]
fn jackknife_of_identical_runs_is_zero_and_needs_an_estimate_without_each_run() {
    let same = [run((50, 5), (200, 10), 0.05, Some(3.0)); 4];
    assert!(jackknife(&same).is_some_and(|se| se.abs() < 1e-9));
    // Leaving out the only run with an escaped replica leaves no estimate.
    let one = [
        run((50, 5), (200, 10), 0.05, Some(3.0)),
        run((50, 5), (200, 10), 0.05, None),
    ];
    assert_eq!(jackknife(&one), None);
}

fn replica(code: Code, elapsed: u64, steps: u32) -> Replica {
    Replica {
        origin: [0.0; MAX_DIM],
        counter: 0,
        elapsed,
        best: 0.0,
        code,
        steps,
    }
}

/// assets/rare-barrier-langevin.toml: a barrier with a top exit, dt = 0.01.
fn rare_asset() -> Experiment {
    let text = include_str!("../../assets/rare-barrier-langevin.toml");
    Experiment::from_toml(text, "rare-barrier-langevin.toml").unwrap()
}

/// A finished AMS run with these replicas, `prod (1 - K/N)` and rounds.
fn ams_run(replicas: Vec<Replica>, product: f64, rounds: u32) -> AmsRun {
    AmsRun {
        replicas,
        log_p: product.ln(),
        rounds,
        finished: true,
        draws: rounds,
    }
}

#[test]
fn combine_turns_hand_built_runs_into_the_record() {
    // Two runs of N = 4 replicas at dt = 0.01:
    //  run 0: prod (1 - K/N) = 0.5, two replicas in the exit after 10 and 30 steps:
    //         p = 0.5 * 2/4 = 0.25, E[T_reac] = 20; loops 100/10 first, 300/20 loop; 3 rounds;
    //  run 1: prod = 0.2, one in the exit after 40 + 10 steps: p = 0.05, E[T_reac] = 50;
    //         140/10 first, 500/20 loop; stopped at max_rounds (unfinished).
    // Pooled: E[T_first] = 12, E[T_loop] = 20, p = 0.15, E[T_reac] = (0.25 20 + 0.05 50) / 0.3
    // = 25, total = 12 + (1/0.15 - 1) 20 + 25 = 150.333... steps. Jackknife: leaving out
    // run 0 gives 14 + 19 x 25 + 50 = 539, leaving out run 1 gives 10 + 3 x 15 + 20 = 75,
    // so se = sqrt(1/2 ((539 - 307)^2 + (75 - 307)^2)) = 232 steps; t(1, 0.975) = 12.7062.
    let experiment = rare_asset();
    let mut settings = experiment.rare.clone().expect("a [rare] table");
    settings.replicas = 4;
    settings.kill = 1;
    settings.runs = 2;
    settings.max_rounds = 7;
    let levels = levels(&settings, &experiment.cases[0].model).unwrap();
    let dt = experiment.cases[0].model.dt;
    assert_eq!(dt, 0.01);
    let sums = [
        run((100, 10), (300, 20), 0.0, None).sums,
        run((140, 10), (500, 20), 0.0, None).sums,
    ];
    let ams = [
        ams_run(
            vec![
                replica(Code::Escaped, 4, 6),
                replica(Code::Returned, 9, 1),
                replica(Code::Escaped, 30, 0),
                replica(Code::Returned, 2, 2),
            ],
            0.5,
            3,
        ),
        ams_run(
            vec![
                replica(Code::Returned, 0, 5),
                replica(Code::Escaped, 40, 10),
                replica(Code::Returned, 1, 1),
                replica(Code::Returned, 8, 3),
            ],
            0.2,
            7,
        ),
    ];
    let e = combine(&experiment, 0, &settings, &levels, &sums, &ams, 12345, 6);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    let total = 12.0 + (1.0 / 0.15 - 1.0) * 20.0 + 25.0;
    let t = 12.706_204_736_174_698;
    assert_eq!(e.method, "ams");
    assert!(close(e.mfpt.unwrap(), total * dt), "mfpt {:?}", e.mfpt);
    assert!(
        close(e.standard_error.unwrap(), 232.0 * dt),
        "se {:?}",
        e.standard_error
    );
    let ci = e.ci95.unwrap();
    assert!(close(ci[0], (total - t * 232.0) * dt), "ci {ci:?}");
    assert!(close(ci[1], (total + t * 232.0) * dt), "ci {ci:?}");
    assert!(close(e.p, 0.15), "p {}", e.p);
    // p's spread: sd 0.1 sqrt(2), half width t sd / sqrt(2) = 0.1 t; the lower end clipped at 0
    assert_eq!(e.p_ci95[0], 0.0);
    assert!(close(e.p_ci95[1], 0.15 + 0.1 * t), "p_ci95 {:?}", e.p_ci95);
    assert!(close(e.t_first, 12.0 * dt) && close(e.t_loop, 20.0 * dt));
    assert!(close(e.t_reac.unwrap(), 25.0 * dt), "t_reac {:?}", e.t_reac);
    assert_eq!((e.replicas, e.kill, e.runs), (4, 1, 2));
    assert_eq!((e.loops, e.rounds, e.unfinished_runs), (40, 10, 1));
    assert_eq!((e.steps, e.diverged), (12345, 6));
    assert_eq!(e.per_run.len(), 2);
    assert!(close(e.per_run[0].p, 0.25) && close(e.per_run[1].p, 0.05));
    assert!(close(e.per_run[0].t_reac.unwrap(), 0.2) && close(e.per_run[1].t_reac.unwrap(), 0.5));
    assert_eq!((e.per_run[0].rounds, e.per_run[1].rounds), (3, 7));
    assert_eq!(e.levels.score, "n . x");
    assert_eq!(
        (e.levels.start, e.levels.a, e.levels.sigma, e.levels.exit),
        (levels.start, levels.a, levels.sigma, levels.exit)
    );
    assert!(levels.start < levels.a && levels.a < levels.sigma && levels.sigma < levels.exit);
}

#[test]
fn combine_with_every_run_extinct_has_no_estimate() {
    // p = 0 in every run: no time, no interval; p's interval is [0, 0].
    let experiment = rare_asset();
    let mut settings = experiment.rare.clone().unwrap();
    settings.replicas = 2;
    settings.runs = 2;
    let levels = levels(&settings, &experiment.cases[0].model).unwrap();
    let sums = [run((10, 1), (10, 1), 0.0, None).sums; 2];
    let extinct = || {
        let returned = replica(Code::Returned, 0, 1);
        ams_run(vec![returned, returned], 0.0, 1)
    };
    let e = combine(
        &experiment,
        0,
        &settings,
        &levels,
        &sums,
        &[extinct(), extinct()],
        0,
        0,
    );
    assert_eq!(
        (e.mfpt, e.ci95, e.standard_error, e.t_reac),
        (None, None, None, None)
    );
    assert_eq!((e.p, e.p_ci95), (0.0, [0.0, 0.0]));
    assert_eq!(e.unfinished_runs, 0);
}

#[test]
fn a_replica_takes_its_segments_end_and_ranks_the_exit_first_and_divergence_last() {
    // The kill order of a round reads `best`: +inf in the exit (never killed),
    // -inf diverged (killed first), else the segment's best score.
    let end = |code, best| SegmentEnd {
        state: [0.5; MAX_DIM],
        code,
        steps: 17,
        best,
    };
    for (code, best, expected) in [
        (Code::Returned, 0.25, 0.25),
        (Code::Escaped, 0.75, f32::INFINITY),
        (Code::Diverged, 0.75, f32::NEG_INFINITY),
    ] {
        let mut r = replica(Code::Running, 3, 0);
        r.set_end(&end(code, best));
        assert_eq!((r.code, r.steps, r.best), (code, 17, expected), "{code:?}");
        // its origin and elapsed steps are the segment's start, untouched
        assert_eq!((r.origin, r.elapsed), ([0.0; MAX_DIM], 3));
    }
}

#[test]
fn combine_without_a_standard_error_and_the_score_of_each_exit_kind() {
    // Three runs of which only the first has a replica in the exit: the pooled
    // estimate exists, but leaving that run out leaves none, so there is no
    // standard error and no interval. p = (0.3, 0, 0): mean 0.1, sd sqrt(0.03),
    // half width t(2, 0.975) sd / sqrt(3) with t(2, 0.975) = 4.30265.
    let rare = rare_asset();
    let mut settings = rare.rare.clone().unwrap();
    settings.replicas = 2;
    settings.runs = 3;
    let sums = [run((30, 3), (40, 2), 0.0, None).sums; 3];
    let one = |escaped: bool, product: f64| {
        let first = if escaped {
            Code::Escaped
        } else {
            Code::Returned
        };
        ams_run(
            vec![replica(first, 6, 4), replica(Code::Returned, 0, 1)],
            product,
            2,
        )
    };
    let ams = [one(true, 0.6), one(false, 1.0), one(false, 1.0)];
    let levels_of = |e: &Experiment| levels(&settings, &e.cases[0].model).unwrap();
    let e = combine(&rare, 0, &settings, &levels_of(&rare), &sums, &ams, 0, 0);
    // E[T_first] = 10, E[T_loop] = 20, p = 0.1, E[T_reac] = 10: 10 + 9 x 20 + 10 = 200 steps
    assert!(
        (e.mfpt.unwrap() - 200.0 * 0.01).abs() < 1e-12,
        "mfpt {:?}",
        e.mfpt
    );
    assert_eq!((e.ci95, e.standard_error), (None, None));
    assert!(
        (e.t_reac.unwrap() - 0.1).abs() < 1e-12,
        "t_reac {:?}",
        e.t_reac
    );
    let half = 4.302_652_729_911_275 * 0.03f64.sqrt() / 3f64.sqrt();
    assert!((e.p - 0.1).abs() < 1e-15, "p {}", e.p);
    // (statrs' t quantile is good to about 1e-11)
    assert!(
        (e.p_ci95[1] - (0.1 + half)).abs() < 1e-9,
        "p_ci95 {:?}",
        e.p_ci95
    );
    assert_eq!(e.p_ci95[0], 0.0);

    // The score each exit kind's levels are written in.
    let ball = Experiment::from_toml(
        include_str!("../../assets/radial-ball-bridge.toml"),
        "radial-ball-bridge.toml",
    )
    .unwrap();
    let e = combine(&ball, 0, &settings, &levels_of(&ball), &sums, &ams, 0, 0);
    assert_eq!(e.levels.score, "|x - c|");
    let formula = Experiment::from_toml(
        include_str!("../../assets/muller-brown.toml"),
        "muller-brown.toml",
    )
    .unwrap();
    let e = combine(
        &formula,
        0,
        &settings,
        &levels_of(&formula),
        &sums,
        &ams,
        0,
        0,
    );
    let crate::spec::ExitParams::ExprExit(exit) = &formula.cases[0].model.exit else {
        panic!("muller-brown.toml has a formula exit");
    };
    assert_eq!(e.levels.score, format!("g = {}", exit.formula.source));
}

/// The whole estimator on the CPU backend, small enough for a unit test (and
/// so for a mutant's quick screen, docs/testing.md "Mutation testing"): the
/// Euler chain of the OU process at dt = 0.1 from x = -1 to x >= 1, whose mean
/// exit time the Nyström solve of `crate::analysis::chain` gives exactly
/// (15.955; the integration test `ams_meets_the_exact_mean_exit_time_of_a_chain`
/// pins the same estimate to 0.13% with 1000 runs of 1000 replicas). 200 runs
/// of 500 replicas: a standard error of about 0.4% (a 2% bias is 5 standard
/// errors), |z| < 4 (false failures
/// 6e-5 at a random seed; the seed is fixed). Beside it, what holds exactly
/// on any run: the reported parts recombine to the estimate, every run ended
/// with at least one round, p is the mean of the runs' p.
#[test]
fn estimate_on_the_cpu_meets_the_exact_mean_exit_time_of_a_chain() {
    let (h, d0, dt, a, x0) = (1.0, 0.5, 0.1, 1.0, -1.0);
    let exact = crate::analysis::chain::ou_euler_mean_exit_steps(h, d0, dt, a, x0) * dt;
    let text = format!(
        r#"
name = "Euler chain of the OU process"
seed = 21
dt = {dt}
max_steps = 10000000
trajectories = 1
start = {x0}
[potential]
kind = "quadratic"
curvature = {h}
[noise]
kind = "langevin"
d0 = {d0}
[exit]
kind = "half-space"
normal = [1.0]
threshold = {a}
[rare]
replicas = 500
kill = 50
runs = 200
"#
    );
    let experiment = Experiment::from_toml(&text, "chain").unwrap();
    let settings = experiment.rare.clone().expect("a [rare] table");
    let r = super::estimate(&experiment, &settings, 0, &crate::backend::cpu::Cpu, None)
        .expect("an estimate");
    let (mfpt, se) = (r.mfpt.unwrap(), r.standard_error.unwrap());
    let z = (mfpt - exact) / se;
    eprintln!("AMS {mfpt} +- {se}, exact {exact}: z {z:+.2}; p {}", r.p);
    assert!(z.abs() < 4.0, "AMS {mfpt} +- {se}, exact {exact}: z {z}");
    assert!(se / exact < 0.005, "not sharp enough: {se}");
    // the parts: E[T_first] + (1/p - 1) E[T_loop] + E[T_reac]
    let parts = r.t_first + (1.0 / r.p - 1.0) * r.t_loop + r.t_reac.unwrap();
    assert!((parts - mfpt).abs() < 1e-9 * mfpt, "{parts} vs {mfpt}");
    assert!(r.p > 0.0 && r.p < 1.0, "p {}", r.p);
    assert!(r.p_ci95[0] < r.p && r.p < r.p_ci95[1], "{:?}", r.p_ci95);
    let mean_p = r.per_run.iter().map(|run| run.p).sum::<f64>() / r.per_run.len() as f64;
    assert!((mean_p - r.p).abs() < 1e-12 * r.p, "{mean_p} vs {}", r.p);
    assert_eq!(r.per_run.len(), 200);
    assert!(r.rounds >= 200, "rounds {}", r.rounds);
    // at least the loops asked for (2 per chain, 500 chains per run)
    assert!(r.loops >= 2 * 500 * 200, "loops {}", r.loops);
    assert_eq!((r.unfinished_runs, r.diverged), (0, 0));
    // every step of the estimate is counted once: more than the loops alone
    // (each at least 2 steps) and the first legs of every chain
    assert!(r.steps > 2 * r.loops, "steps {}", r.steps);
    assert!(r.t_first > 0.0 && r.t_loop > 0.0 && r.t_reac.unwrap() > 0.0);
    // Each round kills the `kill` lowest replicas (more only on a tie, which
    // f32 scores make rare: about 3e-5 a round): a run's p is then
    // `(1 - k/N)^rounds` times the fraction of its replicas in the exit, a
    // multiple of 1/N. Killing k + 1 (a level one replica up) is as unbiased
    // but fails this in nearly every run; at least 90% of the 200 runs must
    // pass (ties touch well under 1% of them).
    let (n, k): (f64, f64) = (500.0, 50.0);
    let whole = r
        .per_run
        .iter()
        .filter(|run| {
            let in_exit = run.p / (1.0 - k / n).powi(run.rounds as i32) * n;
            (in_exit - in_exit.round()).abs() < 1e-6 && (1.0..=n).contains(&in_exit.round())
        })
        .count();
    assert!(whole >= 180, "{whole} of 200 runs killed k a round");
}

/// docs/rare-events.md: segment `s` of a case draws its noise from counter
/// `2 s` and its bridge uniforms from `2 s + 1`, so no two segments share a
/// stream (a naming `2 + (s - 1)` would hand segment `s`'s bridge stream to
/// segment `s + 1`'s noise); past `MAX_SEGMENTS` the run is refused.
#[test]
fn segments_are_named_two_counters_apart_until_the_limit() {
    let experiment = rare_asset();
    let mut stepper = super::Stepper {
        backend: &crate::backend::cpu::Cpu,
        experiment: &experiment,
        case: 0,
        next_segment: 0,
        steps: 0,
        cancel: None,
    };
    let names: Vec<u32> = (0..5).map(|_| stepper.name().unwrap()).collect();
    assert_eq!(names, [0, 2, 4, 6, 8]);
    stepper.next_segment = super::MAX_SEGMENTS - 1;
    assert_eq!(stepper.name().unwrap(), 2 * (super::MAX_SEGMENTS - 1));
    let refused = stepper.name().unwrap_err().to_string();
    assert!(refused.contains("segments in case 0"), "{refused}");
}

/// A case whose chains cannot make their loops `Σ -> A -> Σ` (a quadratic
/// centred beyond the exit pulls every path from `Σ` into the exit) is
/// refused after `1000 (loops + 1)` legs, naming `rare.level_sigma`, rather
/// than looping for ever.
#[test]
fn chains_that_never_loop_are_refused_after_a_thousand_legs_per_loop() {
    let text = r#"
name = "no loops"
seed = 3
dt = 0.01
max_steps = 100000
trajectories = 1
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
threshold = 1.0
[rare]
replicas = 2
kill = 1
runs = 2
loops = 2
"#;
    let experiment = Experiment::from_toml(text, "no loops").unwrap();
    let settings = experiment.rare.clone().unwrap();
    let refused = super::estimate(&experiment, &settings, 0, &crate::backend::cpu::Cpu, None)
        .expect_err("no loops");
    let message = refused.to_string();
    assert!(message.contains("rare.level_sigma"), "{message}");
    assert!(message.contains("after 3000 legs"), "{message}");
}

/// Segments that diverge are counted (and start their chain over, or are
/// killed first): the noise variance is negative inside a needle, where a
/// step is NaN, a divergence. Below `A` (-0.9, at -0.95) only the loops
/// reach it (the splitting's segments stop at `A`); at 0, between `Σ`
/// (-0.8) and the exit, mostly the replicas do, on their way up.
/// Deterministic for the fixed seed; the estimate still comes back.
#[test]
fn diverged_segments_are_counted() {
    for needle in ["(x + 0.95)", "x"] {
        let text = format!(
            r#"
name = "a needle"
seed = 4
dt = 0.01
max_steps = 1000000
trajectories = 1
start = -1.0
[potential]
kind = "quadratic"
curvature = 1.0
[noise]
kind = "expr"
d = "1 - 2 * exp(-({needle} / 0.01)^2)"
[exit]
kind = "half-space"
normal = [1.0]
threshold = 1.0
[rare]
replicas = 50
kill = 5
runs = 2
"#
        );
        let experiment = Experiment::from_toml(&text, "needle").unwrap();
        let settings = experiment.rare.clone().unwrap();
        let r = super::estimate(&experiment, &settings, 0, &crate::backend::cpu::Cpu, None)
            .expect("an estimate");
        assert!((r.levels.a + 0.9).abs() < 1e-12 && (r.levels.sigma + 0.8).abs() < 1e-12);
        eprintln!(
            "needle {needle}: diverged {} of {} steps",
            r.diverged, r.steps
        );
        assert!(r.diverged > 0, "needle {needle}: no divergence counted");
        assert!(
            r.diverged < r.steps,
            "diverged {} of {} steps",
            r.diverged,
            r.steps
        );
    }
}

/// A round at a level kills every replica at or below it and keeps only
/// those strictly above as parents (a replica whose best is the level itself
/// never passes it, so it cannot be a parent).
#[test]
fn a_round_kills_at_or_below_the_level_and_keeps_those_strictly_above() {
    let replicas: Vec<Replica> = [0.1, 0.5, 0.9, 0.5, f32::INFINITY, -0.2]
        .iter()
        .map(|&best| Replica {
            best,
            ..replica(Code::Returned, 0, 0)
        })
        .collect();
    let (killed, survivors) = split_at(&replicas, 0.5);
    assert_eq!(killed, [0, 1, 3, 5]);
    assert_eq!(survivors, [2, 4]);
}

/// Parents are drawn from counter `[2^31 + run, draw]` of the case's key
/// (docs/rare-events.md), a stream no segment uses (theirs are `2 s` and
/// `2 s + 1`, below 2^31), one run's apart from another's; and uniformly:
/// 40,000 draws over 4 survivors fall 10,000 +- 3 sd (87) on each (a
/// false-failure rate of 1e-2 at a random key; the key is fixed).
#[test]
fn parents_are_drawn_uniformly_from_their_own_stream() {
    use crate::rng::threefry::threefry2x32_20;
    let key = [0x1234_5678, 0x9abc_def0];
    let survivors = [3, 5, 8, 13];
    for run in [0usize, 1, 9_999] {
        for draw in [0u32, 1, 77] {
            let w = threefry2x32_20([(1u32 << 31) + run as u32, draw], key)[0];
            let expected = survivors[((w as u64 * 4) >> 32) as usize];
            assert_eq!(pick_parent(key, run, draw, &survivors), expected);
        }
    }
    let mut counts = [0u32; 4];
    for draw in 0..40_000 {
        let p = pick_parent(key, 7, draw, &survivors);
        counts[survivors.iter().position(|&s| s == p).unwrap()] += 1;
    }
    for c in counts {
        assert!((c as f64 - 10_000.0).abs() < 3.0 * 86.6, "{counts:?}");
    }
}
