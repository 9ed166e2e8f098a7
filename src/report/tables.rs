//! The tables the command line prints, as text: a run's summary, a split
//! run's estimates, the theory of an experiment's cases, the adapters. The
//! CLI prints them; tests and other front ends may read them.

use crate::analysis::references::{TheoryRow, EXIT_MONITORING_BRIDGE};
use crate::backend::gpu::AdapterSummary;
use crate::report::{RareResult, RunResult};
use crate::spec::Experiment;

/// `writeln!` into a `String` (which cannot fail).
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        writeln!($out, $($arg)*).expect("a String takes any text");
    }};
}

/// The table `kramers run` prints: the run in one line, then a row per case.
pub fn run_table(result: &RunResult) -> String {
    let mut out = String::new();
    say!(
        out,
        "{}: {} cases x {} trajectories on {} ({}), {:.2} s, {:.3e} trajectory-steps/s",
        result.name,
        result.cases.len(),
        result.trajectories,
        result.backend,
        result.device,
        result.run.wall_time_s,
        result.run.trajectory_steps_per_s
    );
    say!(
        out,
        "{:>5}  {:<40} {:>9} {:>9} {:>24} {:>12}",
        "case",
        "parameters",
        "escaped",
        "censored",
        "MFPT (95% CI)",
        "rate"
    );
    for case in &result.cases {
        let params: Vec<String> = case
            .params
            .iter()
            .map(|(k, v)| super::param_label(k, v))
            .collect();
        let mfpt = match (case.fpt.mean, case.fpt.ci95) {
            (Some(m), Some([lo, hi])) => format!("{m:.4} [{lo:.4}, {hi:.4}]"),
            (Some(m), None) => format!("{m:.4}"),
            _ => "censored".to_string(),
        };
        say!(
            out,
            "{:>5}  {:<40} {:>9} {:>9} {:>24} {:>12.4e}",
            case.index,
            params.join(" "),
            case.fpt.escaped,
            case.fpt.censored,
            mfpt,
            case.fpt.rate
        );
    }
    if result.cases.iter().any(|c| c.extrapolation.is_some()) {
        say!(
            out,
            "extrapolated to dt -> 0 on coupled paths at dt and dt/2 (docs/theory.md §10):"
        );
        say!(
            out,
            "{:>5}  {:>12} {:>12} {:>30} {:>10} {:>12}",
            "case",
            "MFPT(dt)",
            "MFPT(dt/2)",
            "extrapolated (99% CI)",
            "z exact",
            "var gain"
        );
        for case in &result.cases {
            let Some(x) = &case.extrapolation else {
                continue;
            };
            let z = case
                .theory
                .as_ref()
                .and_then(|t| t.z.as_ref())
                .and_then(|z| z.mfpt_extrapolated)
                .map_or("-".to_string(), |z| format!("{z:+.2}"));
            let gain = match (x.independent_difference_variance, x.difference_variance) {
                (Some(i), Some(d)) if d > 0.0 => format!("{:.1}x", i / d),
                _ => "-".to_string(),
            };
            match &x.mfpt {
                Some(m) => say!(
                    out,
                    "{:>5}  {:>12.4} {:>12.4} {:>30} {:>10} {:>12}",
                    case.index,
                    m.at_dt,
                    m.at_half_dt,
                    format!("{:.4} [{:.4}, {:.4}]", m.extrapolated, m.ci99[0], m.ci99[1]),
                    z,
                    gain
                ),
                None => say!(
                    out,
                    "{:>5}  censored at dt or dt/2: no mean; rate {}",
                    case.index,
                    x.rate.as_ref().map_or("-".to_string(), |r| format!(
                        "{:.4e} [{:.4e}, {:.4e}]",
                        r.extrapolated, r.ci99[0], r.ci99[1]
                    ))
                ),
            }
        }
    }
    out
}

/// A warning for every case with diverged trajectories (they are left out of its statistics).
pub fn diverged_warnings(result: &RunResult) -> Vec<String> {
    let mut out = Vec::new();
    let diverged: Vec<_> = result.cases.iter().filter(|c| c.diverged > 0).collect();
    for case in diverged.iter().take(10) {
        out.push(format!(
            "case {}: {} of {} trajectories diverged (a coordinate beyond 1e9, or NaN/Inf); \
             they are excluded from every statistic of the case",
            case.index, case.diverged, case.trajectories
        ));
    }
    if diverged.len() > 10 {
        out.push(format!(
            "{} more cases have diverged trajectories (see `diverged` in result.json)",
            diverged.len() - 10
        ));
    }
    out
}

/// The table of a split run: a row per case with the AMS estimate, its
/// interval, `p`, the exact value for its exit check and the z score; and the
/// warnings of cases whose runs did not finish.
pub fn split_table(result: &RareResult) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut warnings = Vec::new();
    say!(
        out,
        "{:>5}  {:>12}  {:>27}  {:>10}  {:>12}  {:>7}  {:>11}",
        "case",
        "mfpt (AMS)",
        "95% interval",
        "p",
        "exact",
        "z",
        "steps"
    );
    for case in &result.cases {
        let r = &case.rare;
        let exact = case.theory.as_ref().and_then(|t| {
            if t.exit_monitoring.as_deref() == Some(EXIT_MONITORING_BRIDGE) {
                t.exact_mfpt
            } else {
                t.exact_mfpt_shifted
            }
        });
        let z = case
            .theory
            .as_ref()
            .and_then(|t| t.z.as_ref())
            .and_then(|z| z.mfpt);
        let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4e}"));
        say!(
            out,
            "{:>5}  {:>12}  {:>27}  {:>10.3e}  {:>12}  {:>7}  {:>11}",
            case.index,
            num(r.mfpt),
            r.ci95
                .map_or("-".to_string(), |c| format!("[{:.4e}, {:.4e}]", c[0], c[1])),
            r.p,
            num(exact),
            z.map_or("-".to_string(), |z| format!("{z:+.2}")),
            r.steps
        );
        if r.unfinished_runs > 0 {
            warnings.push(format!(
                "case {}: {} of {} runs reached rare.max_rounds before finishing; raise it",
                case.index, r.unfinished_runs, r.runs
            ));
        }
        if let Some(x) = &case.extrapolation {
            let z = case
                .theory
                .as_ref()
                .and_then(|t| t.z.as_ref())
                .and_then(|z| z.mfpt_extrapolated)
                .map_or(String::new(), |z| {
                    format!(", z {z:+.2} against the exact value")
                });
            say!(
                out,
                "{:>5}  extrapolated ({}): MFPT(dt/2) {:.4e}, dt -> 0: {:.4e} [{:.4e}, {:.4e}] (99%){z}",
                case.index,
                x.form,
                x.mfpt.at_half_dt,
                x.mfpt.extrapolated,
                x.mfpt.ci99[0],
                x.mfpt.ci99[1]
            );
        }
    }
    say!(
        out,
        "{} on {}: {:.1} s, {:.3e} steps/s",
        result.method,
        result.device,
        result.run.wall_time_s,
        result.run.trajectory_steps_per_s
    );
    (out, warnings)
}

/// The table `kramers theory` prints: a row per case with its exact and asymptotic values.
pub fn theory_table(experiment: &Experiment, rows: &[TheoryRow]) -> String {
    let mut out = String::new();
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.6e}"));
    say!(
        out,
        "{}: {} cases ({} + {}, dim {})",
        experiment.name,
        experiment.cases.len(),
        experiment.shape.potential.name(),
        experiment.shape.noise.name(),
        experiment.shape.dim
    );
    say!(
        out,
        "{:>4}  {:<56} {:>13} {:>13}  asymptotic / stationary",
        "case",
        "parameters",
        "exact MFPT",
        "shifted (dt)"
    );
    for row in rows {
        let (i, params) = (row.index, &row.params);
        let t = row.theory.clone().unwrap_or_default();
        let mut extra: Vec<String> = Vec::new();
        if let Some(k) = &t.kramers {
            extra.push(format!(
                "Kramers top {:.4e} (crossing {:.4e})",
                k.top_time, k.crossing_time
            ));
        }
        if let Some(l) = &t.lemma6 {
            extra.push(format!(
                "Lemma 6: kappa {:.3}, crossing {}, factorized top {}, growth exponent {:.3}",
                l.kappa,
                num(l.crossing_time),
                num(l.factorized_top_time),
                l.growth_exponent
            ));
        }
        if let Some(l) = &t.levy_exit {
            extra.push(format!(
                "Levy exit {:.4e} (r- {}, r+ {})",
                l.time,
                num(l.r_minus),
                num(l.r_plus)
            ));
        }
        if let Some(l) = &t.located {
            extra.push(format!(
                "found: minimum {:.6}, top {}, kink {}",
                l.minimum,
                num(l.top),
                num(l.kink)
            ));
        }
        if let Some(s) = &t.stationary {
            let mut parts = vec![format!("{} law, center {}", s.law, s.center)];
            for (name, v) in [
                ("variance", s.variance),
                ("EM variance", s.em_variance),
                ("nu", s.nu),
                ("scale", s.scale),
                ("kappa", s.kappa),
                ("EM E(x-c)^2", s.em_second_moment),
                ("index", s.stable_index),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{name} {v:.6}"));
                }
            }
            extra.push(parts.join(", "));
        }
        if let Some(p) = &t.exact_2d {
            extra.push(format!(
                "2-D solve: +-{:.1e} relative, {} cells, saddle level {:.6}, {:.1} s, {:.0} MiB",
                p.error / p.mfpt,
                p.grids.last().map_or(0, |g| g.cells),
                p.level,
                p.seconds,
                p.memory_mib
            ));
        }
        if let Some(ek) = &t.eyring_kramers {
            let ratio = t
                .exact_mfpt
                .map_or(String::new(), |e| format!(", exact/EK {:.4}", e / ek.time));
            extra.push(format!(
                "Eyring-Kramers {:.4e} (saddle ({:.6}, {:.6}), barrier/eps {:.3}{ratio})",
                ek.time, ek.saddle.x[0], ek.saddle.x[1], ek.barrier_over_eps
            ));
        }
        if let Some(t7) = &t.theorem7 {
            let ratio = t.exact_mfpt.map_or(String::new(), |e| {
                format!(", exact/Theorem 7 {:.4}", e / t7.time)
            });
            extra.push(format!(
                "Theorem 7 {:.4e} (saddle ({:.6}, {:.6}), exponent {:.3}{ratio})",
                t7.time,
                t7.saddle.x[0],
                t7.saddle.x[1],
                t7.growth_exponent.unwrap_or(f64::NAN)
            ));
        }
        extra.extend(t.notes.iter().cloned());
        if extra.is_empty() && t.exact_mfpt.is_none() {
            extra.push("no analytic reference applies".into());
        }
        say!(
            out,
            "{:>4}  {:<56} {:>13} {:>13}  {}",
            i,
            params,
            num(t.exact_mfpt),
            num(t.exact_mfpt_shifted),
            extra.join("; ")
        );
    }
    say!(out, "exit monitoring: once per step; shifted = exact at b + 0.5826 sqrt(D(b) dt), the reference without the bridge; with exit.bridge = true the reference is exact itself");
    if rows
        .iter()
        .any(|r| r.theory.as_ref().is_some_and(|t| t.exact_2d.is_some()))
    {
        say!(out, "2-D: exact = the backward equation on three grids, Richardson (docs/theory.md §9); shifted = the exit set moved inward by 0.5826 sqrt(n.D n dt)");
    }
    out
}

/// What `kramers devices` prints: every adapter, best first, and the CPU.
pub fn devices_table(adapters: &[AdapterSummary]) -> String {
    let mut out = String::new();
    if adapters.is_empty() {
        say!(
            out,
            "no Vulkan, Metal or DX12 adapter found; kramers runs on the CPU backend"
        );
        say!(
            out,
            "(on Debian/Ubuntu without a GPU: apt-get install mesa-vulkan-drivers for lavapipe)"
        );
    }
    for (i, a) in adapters.iter().enumerate() {
        say!(
        out,
            "{i}: {} [{} {}] driver: {}; max storage binding {} MiB, max buffer {} MiB, {} workgroups per dimension",
            a.name,
            a.backend,
            a.device_type,
            a.driver,
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_compute_workgroups_per_dimension
        );
    }
    say!(out, "cpu: {}", crate::backend::cpu::device_name());
    out
}

/// The `kramers landscape` table: per case, the start's minimum, the saddles
/// of its basin up to the exit set's level and where their paths lead.
pub fn landscape_table(
    experiment: &Experiment,
    rows: &[crate::analysis::landscape::LandscapeRow],
) -> String {
    use crate::analysis::landscape::{CriticalPoint, PathEnd};
    let point = |p: &CriticalPoint| {
        format!(
            "({:.6}, {:.6})  L = {:.6}  Hessian eigenvalues {:.4e}, {:.4e}",
            p.x[0], p.x[1], p.value, p.eigenvalues[0], p.eigenvalues[1]
        )
    };
    let end = |e: &PathEnd| match e {
        PathEnd::Minimum { start: true, .. } => "the start's minimum".to_string(),
        PathEnd::Minimum { point, .. } => format!(
            "the minimum at ({:.6}, {:.6}), L = {:.6}",
            point.x[0], point.x[1], point.value
        ),
        PathEnd::Exit { x } => format!("the exit set at ({:.4}, {:.4})", x[0], x[1]),
        PathEnd::Open { x } => format!("no minimum (stopped at ({:.4}, {:.4}))", x[0], x[1]),
    };
    let mut out = String::new();
    say!(
        out,
        "{}: landscape of {} case(s) ({}, dim {})",
        experiment.name,
        rows.len(),
        experiment.shape.potential.name(),
        experiment.shape.dim
    );
    for row in rows {
        say!(out, "case {}  {}", row.index, row.params);
        let Some(l) = &row.landscape else {
            say!(
                out,
                "  no landscape: {}",
                row.no_answer.as_deref().unwrap_or("-")
            );
            continue;
        };
        say!(out, "  minimum  {}", point(&l.minimum));
        for p in &l.passes {
            say!(
                out,
                "  saddle   {}  barrier {:.6}{}",
                point(&p.saddle),
                p.barrier,
                if p.toward_exit {
                    "  (the start's region reaches the exit set through it)"
                } else {
                    ""
                }
            );
            say!(
                out,
                "           path of {} points from {} to {}",
                p.path.len(),
                end(&p.ends[0]),
                end(&p.ends[1])
            );
        }
        if l.passes.is_empty() {
            say!(out, "  no index-1 saddle below the exit set's level");
        }
        say!(
            out,
            "  the start's region reaches the exit set at L = {:.6} (scan)",
            l.level
        );
        for note in &l.notes {
            say!(out, "  note: {note}");
        }
    }
    out
}
