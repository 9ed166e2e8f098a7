//! The Kramers turnover (`kramers turnover`, docs/studies.md): the mean
//! escape time of underdamped Langevin dynamics against the friction, set
//! beside its two exact limits (`gamma` x the overdamped time at high
//! friction, the energy-diffusion limit over `gamma` at low friction) and
//! the Mel'nikov–Meshkov formula that joins them (docs/theory.md §8). One
//! experiment whose cases sweep `dynamics.friction`, run directly (the
//! built-in sweep keeps every friction within reach of direct simulation;
//! splitting does not run underdamped dynamics yet).

use crate::analysis::escape::escape_stats;
use crate::analysis::references::{case_references, Observed, UnderdampedReference};
use crate::backend::{BackendChoice, Progress};
use crate::error::{Error, Result};
use crate::report::atomic::{create_dir, write_atomic};
use crate::report::plot::{draw_legend, plot_error, png_and_svg, PALETTE};
use crate::spec::Experiment;
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

/// The built-in sweep: `L = (x^2 - 1)^2 / 4` (barrier 0.25), `D0 = 0.2`
/// (barrier / kT = 2.5), from the minimum at -1 with Maxwell velocities to
/// the barrier top, GJF at `dt = 0.05`; twelve frictions over 5.5 decades
/// (five over four decades, fewer trajectories, with `quick`).
pub fn default_experiment(quick: bool) -> Experiment {
    let (frictions, trajectories) = if quick {
        ("[0.001, 0.01, 0.1, 1.0, 10.0]", 1000)
    } else {
        (
            "[0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]",
            2000,
        )
    };
    let text = format!(
        r#"
name = "Kramers turnover: underdamped double well"
seed = 7
dt = 0.05
max_steps = 10000000
trajectories = {trajectories}
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
friction = {frictions}
"#
    );
    Experiment::from_toml(&text, "the built-in turnover sweep")
        .expect("the built-in sweep is valid")
}

/// The experiment of `kramers turnover [FILE]`: the file's, which must be
/// underdamped with at least two frictions, or the built-in sweep.
pub fn experiment_of(file: Option<&Path>, quick: bool) -> Result<Experiment> {
    let Some(path) = file else {
        return Ok(default_experiment(quick));
    };
    let experiment = Experiment::from_path(path)?;
    if experiment.shape.dynamics != crate::dynamics::Dynamics::Underdamped {
        return Err(Error::invalid(
            "dynamics.kind",
            format!("{:?}", experiment.shape.dynamics.name()),
            "\"underdamped\": the turnover is the escape time against the friction of underdamped dynamics",
        ));
    }
    let mut frictions: Vec<f64> = experiment.cases.iter().map(|c| c.model.friction).collect();
    frictions.sort_by(f64::total_cmp);
    frictions.dedup();
    if frictions.len() < 2 {
        return Err(Error::invalid(
            "dynamics.friction",
            format!("{frictions:?}"),
            "a list of at least two frictions (the turnover sweeps gamma)",
        ));
    }
    Ok(experiment)
}

/// One friction of the sweep: Monte Carlo and references.
#[derive(Clone, Debug, Serialize)]
pub struct TurnoverPoint {
    /// The case's index in the experiment.
    pub case: usize,
    /// The friction `gamma`.
    pub friction: f64,
    /// Trajectories simulated.
    pub trajectories: u64,
    /// Trajectories that escaped within `max_steps`.
    pub escaped: u64,
    /// Mean first-passage time (time units); with censoring, `1 / rate`.
    pub mfpt: f64,
    /// 95% interval of `mfpt` (Student-t; the inverted rate interval under censoring).
    pub ci95: [f64; 2],
    /// Standard error of `mfpt` (absent under censoring).
    pub standard_error: Option<f64>,
    /// Whether some trajectories were censored (`mfpt` is then `1 / rate`).
    pub censored: bool,
    /// The case's references (`theory.underdamped` of result.json).
    pub theory: UnderdampedReference,
    /// `(mfpt - high_friction_mfpt) / SE` where the high-friction limit holds.
    pub z_high_friction: Option<f64>,
    /// `(mfpt - energy_diffusion_mfpt) / SE` where `Delta <= 0.005`.
    pub z_energy_diffusion: Option<f64>,
    /// Monte Carlo over Mel'nikov–Meshkov (an asymptote: no z score).
    pub over_melnikov_meshkov: Option<f64>,
}

/// A reference curve over a dense friction grid: `(gamma, time)`.
#[derive(Clone, Debug, Serialize)]
pub struct TurnoverCurve {
    /// `"high friction"`, `"energy diffusion"`, `"Mel'nikov–Meshkov"` or `"Kramers"`.
    pub kind: String,
    /// `(gamma, mean escape time)` points.
    pub points: Vec<(f64, f64)>,
}

/// A finished turnover study.
#[derive(Clone, Debug, Serialize)]
pub struct TurnoverStudy {
    /// The experiment's name.
    pub name: String,
    /// The device the run ran on.
    pub device: String,
    /// One point per case, by increasing friction.
    pub points: Vec<TurnoverPoint>,
    /// The friction of the least mean escape time among the points (the turnover).
    pub turnover_friction: Option<f64>,
    /// The reference curves over the sweep's friction range.
    pub curves: Vec<TurnoverCurve>,
}

/// The trajectories the run simulates (what a progress bar counts).
pub fn trajectories(experiment: &Experiment) -> u64 {
    experiment.cases.len() as u64 * experiment.range.len() as u64
}

/// Run `experiment` (underdamped, cases over the friction) and set each
/// point beside its references.
pub fn study(
    experiment: &Experiment,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<TurnoverStudy> {
    let output = crate::run::run_on(experiment, choice, progress, notice, cancel)?
        .direct("the turnover sweep")?
        .output;
    let mut points = Vec::new();
    for (index, (case, tally)) in experiment.cases.iter().zip(&output.tallies).enumerate() {
        let stats = escape_stats(tally, case.model.dt, experiment.max_steps);
        let (mfpt, ci95, censored, se) = stats.mfpt_estimate();
        let refs = case_references(
            experiment,
            index,
            Some(Observed {
                tally,
                escape: &stats,
            }),
        );
        let theory = refs
            .as_ref()
            .and_then(|r| r.underdamped.clone())
            .unwrap_or_default();
        let z = refs.as_ref().and_then(|r| r.z.clone());
        points.push(TurnoverPoint {
            case: index,
            friction: case.model.friction,
            trajectories: tally.trajectories,
            escaped: tally.escaped,
            mfpt,
            ci95,
            standard_error: se,
            censored,
            z_high_friction: z.as_ref().and_then(|z| z.mfpt_high_friction),
            z_energy_diffusion: z.as_ref().and_then(|z| z.mfpt_energy_diffusion),
            over_melnikov_meshkov: theory.melnikov_meshkov_mfpt.map(|t| mfpt / t),
            theory,
        });
    }
    points.sort_by(|a, b| a.friction.total_cmp(&b.friction));
    let turnover_friction = points
        .iter()
        .filter(|p| !p.censored)
        .min_by(|a, b| a.mfpt.total_cmp(&b.mfpt))
        .map(|p| p.friction);
    Ok(TurnoverStudy {
        name: experiment.name.clone(),
        device: format!("{} ({})", output.backend, output.device),
        curves: curves(experiment, &points),
        points,
        turnover_friction,
    })
}

/// The references at 12 frictions per decade over the sweep's range (a
/// quarter decade beyond each end), from the first case with its friction replaced.
fn curves(experiment: &Experiment, points: &[TurnoverPoint]) -> Vec<TurnoverCurve> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let (lo, hi) = (first.friction.log10() - 0.25, last.friction.log10() + 0.25);
    let n = ((hi - lo) * 12.0).ceil() as usize;
    let mut probe = experiment.clone();
    probe.cases.truncate(1);
    let mut high = Vec::new();
    let mut energy = Vec::new();
    let mut mm = Vec::new();
    let mut kramers = Vec::new();
    for i in 0..=n {
        let gamma = 10f64.powf(lo + (hi - lo) * i as f64 / n as f64);
        probe.cases[0].model.friction = gamma;
        let Some(theory) = case_references(&probe, 0, None).and_then(|r| r.underdamped) else {
            continue;
        };
        let push = |curve: &mut Vec<(f64, f64)>, value: Option<f64>| {
            if let Some(v) = value.filter(|v| v.is_finite() && *v > 0.0) {
                curve.push((gamma, v));
            }
        };
        push(&mut high, theory.high_friction_mfpt);
        push(&mut energy, theory.energy_diffusion_mfpt);
        push(&mut mm, theory.melnikov_meshkov_mfpt);
        push(&mut kramers, theory.kramers_mfpt);
    }
    [
        ("high friction", high),
        ("energy diffusion", energy),
        ("Mel'nikov–Meshkov", mm),
        ("Kramers", kramers),
    ]
    .into_iter()
    .filter(|(_, points)| !points.is_empty())
    .map(|(kind, points)| TurnoverCurve {
        kind: kind.to_string(),
        points,
    })
    .collect()
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.6e}")).unwrap_or_default()
}

fn z_text(z: Option<f64>) -> String {
    z.map(|z| format!("{z:+.2}")).unwrap_or_else(|| "-".into())
}

impl super::Study for TurnoverStudy {
    fn device(&self) -> &str {
        &self.device
    }

    /// The table of frictions against the limits.
    fn table(&self) -> String {
        let mut text = format!("{} on {}\n", self.name, self.device);
        text.push_str(&format!(
            "{:>9} {:>9} {:>24} {:>11} {:>11} {:>11} {:>7} {:>7} {:>7}\n",
            "friction",
            "escaped",
            "MFPT (95% CI)",
            "gamma*T_od",
            "T_ED",
            "MM",
            "z_high",
            "z_ED",
            "MC/MM"
        ));
        for p in &self.points {
            let t = &p.theory;
            text.push_str(&format!(
                "{:>9.2e} {:>9} {:>24} {:>11} {:>11} {:>11} {:>7} {:>7} {:>7}\n",
                p.friction,
                format!("{}/{}", p.escaped, p.trajectories),
                format!(
                    "{:.4e} [{:.3e}, {:.3e}]{}",
                    p.mfpt,
                    p.ci95[0],
                    p.ci95[1],
                    if p.censored { "*" } else { "" }
                ),
                t.high_friction_mfpt
                    .map_or("-".into(), |v| format!("{v:.4e}")),
                t.energy_diffusion_mfpt
                    .map_or("-".into(), |v| format!("{v:.4e}")),
                t.melnikov_meshkov_mfpt
                    .map_or("-".into(), |v| format!("{v:.4e}")),
                z_text(p.z_high_friction),
                z_text(p.z_energy_diffusion),
                p.over_melnikov_meshkov
                    .map_or("-".into(), |v| format!("{v:.3}")),
            ));
        }
        if let Some(g) = self.turnover_friction {
            text.push_str(&format!("least mean escape time at friction {g}\n"));
        }
        text.push_str(
            "gamma*T_od: the high-friction limit; T_ED: the energy-diffusion limit over gamma; MM: Mel'nikov–Meshkov \
             (an asymptote, no z); z only where a limit holds (docs/theory.md §8); * censored: 1/rate\n",
        );
        text
    }

    /// The text of turnover.json.
    fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a turnover study serializes")
    }

    /// Write turnover.csv, turnover.json, turnover.png and turnover.svg into
    /// `out` (each whole or not at all); returns their names.
    fn write(&self, out: &Path) -> Result<Vec<String>> {
        create_dir(out)?;
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record([
            "case",
            "friction",
            "trajectories",
            "escaped",
            "mfpt",
            "ci95_lo",
            "ci95_hi",
            "censored",
            "high_friction_mfpt",
            "energy_diffusion_mfpt",
            "melnikov_meshkov_mfpt",
            "kramers_mfpt",
            "delta",
            "z_high_friction",
            "z_energy_diffusion",
            "over_melnikov_meshkov",
        ])
        .expect("in-memory csv");
        for p in &self.points {
            let t = &p.theory;
            csv.write_record([
                p.case.to_string(),
                p.friction.to_string(),
                p.trajectories.to_string(),
                p.escaped.to_string(),
                format!("{:.6e}", p.mfpt),
                format!("{:.6e}", p.ci95[0]),
                format!("{:.6e}", p.ci95[1]),
                p.censored.to_string(),
                number(t.high_friction_mfpt),
                number(t.energy_diffusion_mfpt),
                number(t.melnikov_meshkov_mfpt),
                number(t.kramers_mfpt),
                number(t.delta),
                p.z_high_friction
                    .map(|z| format!("{z:.3}"))
                    .unwrap_or_default(),
                p.z_energy_diffusion
                    .map(|z| format!("{z:.3}"))
                    .unwrap_or_default(),
                number(p.over_melnikov_meshkov),
            ])
            .expect("in-memory csv");
        }
        write_atomic(
            &out.join("turnover.csv"),
            &csv.into_inner().expect("in-memory csv"),
        )?;
        write_atomic(&out.join("turnover.json"), self.json().as_bytes())?;
        let png = out.join("turnover.png");
        png_and_svg!(&png, (1100, 750), draw, self)?;
        Ok([
            "turnover.csv",
            "turnover.json",
            "turnover.png",
            "turnover.svg",
        ]
        .map(String::from)
        .into())
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    study: &TurnoverStudy,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let monte_carlo = study
        .points
        .iter()
        .flat_map(|p| [p.mfpt, p.ci95[0], p.ci95[1]]);
    let values: Vec<f64> = monte_carlo
        .chain(
            study
                .curves
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.1)),
        )
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    // the limits run off to infinity at the ends: the axis follows the data
    let (lo, hi) = study
        .points
        .iter()
        .flat_map(|p| [p.mfpt, p.ci95[0], p.ci95[1]])
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() {
        (lo / 3.0, hi * 3.0)
    } else {
        values
            .iter()
            .fold((f64::INFINITY, 0f64), |(a, b), &v| (a.min(v), b.max(v)))
    };
    let frictions = study.points.iter().map(|p| p.friction);
    let (g0, g1) = frictions.fold((f64::INFINITY, 0f64), |(a, b), g| (a.min(g), b.max(g)));
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: mean escape time against friction", study.name),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(((g0 / 2.0)..(g1 * 2.0)).log_scale(), (lo..hi).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("friction γ")
        .y_desc("mean escape time (time units)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(plot_error)?;
    for (i, curve) in study.curves.iter().enumerate() {
        let color = PALETTE[(i + 1) % PALETTE.len()];
        let data: Vec<(f64, f64)> = curve
            .points
            .iter()
            .copied()
            .filter(|p| p.1 >= lo && p.1 <= hi)
            .collect();
        let series = if curve.kind == "Mel'nikov–Meshkov" {
            chart.draw_series(LineSeries::new(data, color.stroke_width(2)))
        } else {
            chart.draw_series(DashedLineSeries::new(data, 6, 4, color.stroke_width(2)))
        };
        series
            .map_err(plot_error)?
            .label(match curve.kind.as_str() {
                "high friction" => "high friction: γ × overdamped MFPT (exact)".to_string(),
                "energy diffusion" => {
                    "low friction: energy-diffusion limit / γ (exact)".to_string()
                }
                other => format!("{other} (asymptote)"),
            })
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    let color = PALETTE[0];
    chart
        .draw_series(study.points.iter().map(|p| {
            ErrorBar::new_vertical(
                p.friction,
                p.ci95[0].max(lo),
                p.mfpt,
                p.ci95[1].min(hi),
                color.filled(),
                8,
            )
        }))
        .map_err(plot_error)?;
    chart
        .draw_series(
            study
                .points
                .iter()
                .map(|p| Circle::new((p.friction, p.mfpt), 4, color.filled())),
        )
        .map_err(plot_error)?
        .label("Monte Carlo (GJF), 95% CI")
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_error)?;
    Ok(())
}
