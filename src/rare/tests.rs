//! Known answers for the splitting estimator's bookkeeping (docs/theory.md §7):
//! the pooled mean exit time `E[T_first] + (1/p - 1) E[T_loop] + E[T_reac]`
//! and the jackknife over runs, on hand-built runs. Deterministic.

use super::{jackknife, pooled, LoopSums, RunNumbers};

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
    let (total, p, first, cycle, reac) = pooled(&runs).expect("an estimate");
    assert!((first - 12.0).abs() < 1e-12, "E[T_first] = {first}");
    assert!((cycle - 20.0).abs() < 1e-12, "E[T_loop] = {cycle}");
    assert!((p - 0.02).abs() < 1e-15, "p = {p}");
    assert!((reac.unwrap() - 8.0).abs() < 1e-12, "E[T_reac] = {reac:?}");
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
    let (total, _, _, _, reac) = pooled(&runs).expect("an estimate");
    assert_eq!(reac, Some(5.0));
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
    let (total, ..) = pooled(&runs).unwrap();
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
