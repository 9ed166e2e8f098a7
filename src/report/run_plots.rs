//! Plots of one run, drawn from its `result.json` alone (so `kramers plot`
//! redraws any saved result): survival curves `S(t)` per case (log y), the
//! first-passage-time density (log-log), and the final-state histogram beside
//! the analytic stationary density (linear and log y, so tails show).

use super::plot::{draw_legend, plot_error, png_and_svg, PALETTE};
use super::result::{CaseResult, RunResult};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use statrs::distribution::{Continuous, Normal, StudentsT};
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (1100, 750);
/// Cases drawn per plot; more would be unreadable (the legend says so).
const MAX_CASES: usize = 12;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A short legend label: the swept parameters only, else the case index.
fn label(result: &RunResult, case: &CaseResult) -> String {
    let swept: Vec<String> = case
        .params
        .iter()
        .filter(|(k, v)| result.cases.iter().any(|c| c.params.get(*k) != Some(v)))
        .map(|(k, v)| super::param_label(k, v))
        .collect();
    if swept.is_empty() {
        format!("case {}", case.index)
    } else {
        swept.join(" ")
    }
}

/// `(t, S(t))` at the bin edges: the fraction not yet escaped (censored and
/// diverged trajectories stay in the survivors).
pub fn survival(case: &CaseResult) -> Vec<(f64, f64)> {
    let n = case.trajectories as f64;
    let mut left = 0u64;
    let mut out = vec![(0.0, 1.0)];
    for (k, count) in case.fpt.histogram.counts.iter().enumerate() {
        left += count;
        out.push((case.fpt.histogram.edges[k + 1], 1.0 - left as f64 / n));
    }
    out
}

/// `(bin centre, density)` of the first-passage times per unit time (log bins).
fn fpt_density(case: &CaseResult) -> Vec<(f64, f64)> {
    let n = case.trajectories as f64;
    let edges = &case.fpt.histogram.edges;
    case.fpt
        .histogram
        .counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(k, &c)| {
            let (a, b) = (edges[k], edges[k + 1]);
            ((a * b).sqrt().max(a), c as f64 / (n * (b - a)))
        })
        .collect()
}

/// A density function.
type Density = Box<dyn Fn(f64) -> f64>;

/// The analytic stationary density of a case where the result carries one.
fn stationary_density(case: &CaseResult) -> Option<(String, Density)> {
    let law = case.theory.as_ref()?.stationary.as_ref()?;
    match law.law.as_str() {
        "normal" => {
            let variance = law.em_variance.or(law.variance)?;
            let normal = Normal::new(law.center, variance.sqrt()).ok()?;
            Some((
                format!("normal, variance {variance:.4} (Euler–Maruyama exact)"),
                Box::new(move |x| normal.pdf(x)),
            ))
        }
        "student-t" => {
            let t = StudentsT::new(law.center, law.scale?, law.nu?).ok()?;
            Some((
                format!("Student-t, nu = {:.3}", law.nu?),
                Box::new(move |x| t.pdf(x)),
            ))
        }
        _ => None,
    }
}

fn positive_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)))
}

fn draw_survival<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, result: &RunResult) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let cases: Vec<&CaseResult> = result.cases.iter().take(MAX_CASES).collect();
    let curves: Vec<Vec<(f64, f64)>> = cases.iter().map(|c| survival(c)).collect();
    let (_, t_max) = positive_range(curves.iter().flatten().map(|p| p.0));
    let (s_min, _) = positive_range(curves.iter().flatten().map(|p| p.1));
    let floor = s_min.min(0.5) / 2.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: survival S(t) = P(not yet escaped)", result.name),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..t_max.max(1e-9), (floor..1.2).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("time t (time units, steps × dt)")
        .y_desc("S(t)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(plot_error)?;
    for (i, (case, curve)) in cases.iter().zip(&curves).enumerate() {
        let c = color(i);
        // a staircase: S is constant between the bin edges it is known at
        let mut steps = Vec::new();
        for w in curve.windows(2) {
            steps.push(w[0]);
            steps.push((w[1].0, w[0].1));
        }
        steps.extend(curve.last());
        let data: Vec<(f64, f64)> = steps.into_iter().filter(|p| p.1 > 0.0).collect();
        chart
            .draw_series(LineSeries::new(data, c.stroke_width(2)))
            .map_err(plot_error)?
            .label(label(result, case))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        let exact = case
            .theory
            .as_ref()
            .and_then(|t| t.exact_mfpt_shifted.or(t.exact_mfpt));
        if let Some(mean) = exact {
            let line: Vec<(f64, f64)> = (0..=100)
                .map(|k| t_max * k as f64 / 100.0)
                .map(|t| (t, (-t / mean).exp()))
                .filter(|p| p.1 >= floor)
                .collect();
            chart
                .draw_series(DashedLineSeries::new(line, 6, 4, c.stroke_width(1)))
                .map_err(plot_error)?;
        }
    }
    if cases
        .iter()
        .any(|c| c.theory.as_ref().is_some_and(|t| t.exact_mfpt.is_some()))
    {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(plot_error)?
            .label("dashed: exp(-t / exact MFPT)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    }
    if result.cases.len() > MAX_CASES {
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
            .map_err(plot_error)?
            .label(format!(
                "(first {MAX_CASES} of {} cases)",
                result.cases.len()
            ))
            .legend(|(x, y)| Circle::new((x, y), 0, WHITE));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_error)
}

fn draw_fpt<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, result: &RunResult) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let cases: Vec<&CaseResult> = result.cases.iter().take(MAX_CASES).collect();
    let densities: Vec<Vec<(f64, f64)>> = cases.iter().map(|c| fpt_density(c)).collect();
    let (t0, t1) = positive_range(densities.iter().flatten().map(|p| p.0));
    let (d0, d1) = positive_range(densities.iter().flatten().map(|p| p.1));
    let (t0, t1, d0, d1) = if t0 <= t1 {
        (t0, t1, d0, d1)
    } else {
        (1e-3, 1.0, 1e-3, 1.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: first-passage-time density", result.name),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (t0 / 1.5..t1 * 1.5).log_scale(),
            (d0 / 2.0..d1 * 2.0).log_scale(),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("first-passage time t (time units, log-spaced bins)")
        .y_desc("density (per time unit, of all trajectories)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(plot_error)?;
    for (i, (case, density)) in cases.iter().zip(&densities).enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(density.clone(), c.stroke_width(2)))
            .map_err(plot_error)?
            .label(label(result, case))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(density.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(plot_error)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_error)
}

/// Extrapolated runs: each case's mean first-passage time at `dt` and `dt/2`
/// and its extrapolation to 0 with the 99% interval, relative to the exact
/// value (or, without one, to the extrapolated value).
fn draw_extrapolation<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    result: &RunResult,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    // (case, extrapolation's mean, reference, the reference is exact)
    let cases: Vec<_> = result
        .cases
        .iter()
        .filter_map(|c| {
            let m = c.extrapolation.as_ref()?.mfpt.as_ref()?;
            let exact = c.theory.as_ref().and_then(|t| t.exact_mfpt);
            Some((c, m, exact.unwrap_or(m.extrapolated), exact.is_some()))
        })
        .take(MAX_CASES)
        .collect();
    let dt_max = cases.iter().map(|c| c.0.dt).fold(0.0, f64::max);
    let values = cases.iter().flat_map(|(_, m, r, _)| {
        [
            m.at_dt / r,
            m.at_half_dt / r,
            m.ci99[0] / r,
            m.ci99[1] / r,
            1.0,
        ]
    });
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = 0.1 * (hi - lo).max(1e-3);
    let all_exact = cases.iter().all(|c| c.3);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: mean first-passage time against dt, extrapolated to 0",
                result.name
            ),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.05 * dt_max..1.1 * dt_max, lo - pad..hi + pad)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("time step dt")
        .y_desc(if all_exact {
            "MFPT / exact value"
        } else {
            "MFPT / extrapolated value (exact where known)"
        })
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(-0.05 * dt_max, 1.0), (1.1 * dt_max, 1.0)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(plot_error)?
        .label(if all_exact {
            "exact value of the SDE"
        } else {
            "reference"
        })
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    for (i, (case, m, reference, _)) in cases.iter().enumerate() {
        let c = color(i);
        let points = [
            (case.dt, m.at_dt / reference),
            (0.5 * case.dt, m.at_half_dt / reference),
            (0.0, m.extrapolated / reference),
        ];
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))
            .map_err(plot_error)?
            .label(label(result, case))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))
            .map_err(plot_error)?;
        chart
            .draw_series(std::iter::once(ErrorBar::new_vertical(
                0.0,
                m.ci99[0] / reference,
                m.extrapolated / reference,
                m.ci99[1] / reference,
                c.stroke_width(2),
                10,
            )))
            .map_err(plot_error)?;
    }
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(plot_error)?
        .label("at dt = 0: extrapolated, 99% interval")
        .legend(|(x, y)| Circle::new((x, y), 0, WHITE));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_error)
}

/// One panel of the stationary plot (coordinate 0), linear or log y.
fn stationary_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    result: &RunResult,
    log_y: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let cases: Vec<&CaseResult> = result.cases.iter().take(MAX_CASES).collect();
    let histograms: Vec<Vec<(f64, f64)>> = cases
        .iter()
        .map(|c| {
            let h = &c.final_state.histogram[0];
            let total = c.trajectories.saturating_sub(c.diverged).max(1) as f64;
            h.counts
                .iter()
                .enumerate()
                .map(|(k, &n)| {
                    let (a, b) = (h.edges[k], h.edges[k + 1]);
                    (0.5 * (a + b), n as f64 / (total * (b - a)))
                })
                .collect()
        })
        .collect();
    let edges = &cases[0].final_state.histogram[0].edges;
    let (x0, x1) = (edges[0], edges[edges.len() - 1]);
    let (lo, hi) = positive_range(histograms.iter().flatten().map(|p| p.1));
    let hi = if hi > 0.0 { hi } else { 1.0 };
    let title = if log_y {
        "log scale (tails)"
    } else {
        "linear scale"
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70);
    macro_rules! finish {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("final x_0")
                .y_desc("density")
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 16))
                .draw()
                .map_err(plot_error)?;
            for (i, (case, hist)) in cases.iter().zip(&histograms).enumerate() {
                let c = color(i);
                let width = (edges[1] - edges[0]) * 0.5;
                let floor = if log_y { lo / 2.0 } else { 0.0 };
                chart
                    .draw_series(hist.iter().filter(|p| p.1 > 0.0).map(|&(x, d)| {
                        Rectangle::new([(x - width, floor), (x + width, d)], c.mix(0.35).filled())
                    }))
                    .map_err(plot_error)?
                    .label(format!("{}: Monte Carlo", label(result, case)))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.35).filled())
                    });
                if let Some((name, density)) = stationary_density(case) {
                    let line: Vec<(f64, f64)> = (0..=400)
                        .map(|k| x0 + (x1 - x0) * k as f64 / 400.0)
                        .map(|x| (x, density(x)))
                        .filter(|p| !log_y || p.1 >= lo / 2.0)
                        .collect();
                    chart
                        .draw_series(LineSeries::new(line, c.stroke_width(2)))
                        .map_err(plot_error)?
                        .label(format!("{}: {name}", label(result, case)))
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                        });
                }
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }};
    }
    if log_y {
        finish!(builder
            .build_cartesian_2d(x0..x1, (lo / 2.0..hi * 2.0).log_scale())
            .map_err(plot_error)?);
    } else {
        finish!(builder
            .build_cartesian_2d(x0..x1, 0.0..hi * 1.15)
            .map_err(plot_error)?);
    }
    Ok(())
}

fn draw_stationary<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    result: &RunResult,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root
        .titled(
            &format!(
                "{}: final-state histogram vs stationary density",
                result.name
            ),
            ("sans-serif", 24),
        )
        .map_err(plot_error)?;
    let (left, right) = root.split_horizontally(SIZE.0 / 2);
    stationary_panel(&left, result, false)?;
    stationary_panel(&right, result, true)?;
    root.present().map_err(plot_error)
}

/// Write the plots of `result` into `dir`: survival and fpt-histogram when any
/// trajectory escaped, stationary when the run has no exit. Returns the paths.
pub fn write_run_plots(dir: &Path, result: &RunResult) -> Result<Vec<PathBuf>> {
    if result.cases.is_empty() {
        return Err(Error::invalid(
            "cases",
            "[]",
            "a result with at least one case",
        ));
    }
    let mut written = Vec::new();
    let mut done =
        |name: &str| written.extend(["png", "svg"].map(|e| dir.join(name).with_extension(e)));
    if result.cases.iter().any(|c| c.fpt.escaped > 0) {
        png_and_svg!(&dir.join("survival"), SIZE, draw_survival, result)?;
        done("survival");
        png_and_svg!(&dir.join("fpt-histogram"), SIZE, draw_fpt, result)?;
        done("fpt-histogram");
    }
    let extrapolated = result
        .cases
        .iter()
        .any(|c| c.extrapolation.as_ref().is_some_and(|x| x.mfpt.is_some()));
    if extrapolated {
        png_and_svg!(&dir.join("extrapolation"), SIZE, draw_extrapolation, result)?;
        done("extrapolation");
    }
    let stationary = result
        .cases
        .iter()
        .all(|c| c.fpt.escaped == 0 && !c.final_state.histogram.is_empty());
    if stationary {
        png_and_svg!(&dir.join("stationary"), SIZE, draw_stationary, result)?;
        done("stationary");
    }
    let solved: Vec<_> = result
        .cases
        .iter()
        .filter_map(|c| {
            let t = c.theory.as_ref()?;
            Some((
                c.index as usize,
                t.exact_2d.as_ref()?,
                t.eyring_kramers.as_ref(),
            ))
        })
        .filter(|(_, p, _)| p.field.is_some())
        .collect();
    written.extend(super::plane_plot::write_plane_plots(
        dir,
        &result.name,
        &solved,
    )?);
    Ok(written)
}

/// Redraw the plots of the saved result `file` into `out` (default: the
/// result's own directory); returns the directory and the paths written.
pub fn replot(
    file: &Path,
    out: Option<&Path>,
) -> Result<(std::path::PathBuf, Vec<std::path::PathBuf>)> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        action: "read",
        path: file.to_path_buf(),
        source,
    })?;
    let result: RunResult = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            "FILE",
            file.display(),
            format!("a result.json written by `kramers run` ({e})"),
        )
    })?;
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| std::path::PathBuf::from(".")),
    };
    super::atomic::create_dir(&dir)?;
    let paths = write_run_plots(&dir, &result)?;
    Ok((dir, paths))
}
