//! The escape study's plots: mean escape time against barrier height
//! (Monte Carlo, splitting, exact and asymptotic curves) and the Kramers
//! prefactor plot.

use super::{Curve, EscapePoint, PrefactorSeries};
use crate::error::Result;
use crate::report::plot::{draw_legend, plot_error, png_and_svg, PALETTE};
use plotters::prelude::*;
use std::path::Path;

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    points: &[EscapePoint],
    curves: &[Curve],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let dynamics: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for p in points {
            if !seen.contains(&p.dynamic.as_str()) {
                seen.push(&p.dynamic);
            }
        }
        seen
    };
    let values = points
        .iter()
        .flat_map(|p| [p.ci95[0], p.ci95[1], p.mfpt])
        .chain(curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)))
        .filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    let heights = points.iter().map(|p| p.height).filter(|h| h.is_finite());
    let (x0, x1) = heights.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), h| {
        (a.min(h), b.max(h))
    });
    let pad = 0.05 * (x1 - x0).max(1e-9);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), ((lo / 1.5)..(hi * 1.5)).log_scale())
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("barrier height ΔL (units of L)")
        .y_desc("mean escape time (time units, steps × dt)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(plot_error)?;
    for (i, dynamic) in dynamics.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        for curve in curves.iter().filter(|c| c.dynamic == *dynamic) {
            let data: Vec<(f64, f64)> = curve
                .points
                .iter()
                .copied()
                .filter(|p| p.1 > 0.0 && p.1.is_finite())
                .collect();
            if curve.kind == "exact" {
                chart
                    .draw_series(LineSeries::new(data, color.stroke_width(2)))
                    .map_err(plot_error)?
                    .label(format!("{dynamic}: exact"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            } else {
                chart
                    .draw_series(DashedLineSeries::new(data, 6, 4, color.stroke_width(1)))
                    .map_err(plot_error)?
                    .label(format!("{dynamic}: {}", curve.kind))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(1))
                    });
            }
        }
        let mine: Vec<&EscapePoint> = points.iter().filter(|p| p.dynamic == *dynamic).collect();
        chart
            .draw_series(mine.iter().map(|p| {
                ErrorBar::new_vertical(
                    p.height,
                    p.ci95[0].max(lo / 1.5),
                    p.mfpt,
                    p.ci95[1],
                    color.filled(),
                    8,
                )
            }))
            .map_err(plot_error)?;
        chart
            .draw_series(
                mine.iter()
                    .filter(|p| p.method != "ams")
                    .map(|p| Circle::new((p.height, p.mfpt), 4, color.filled())),
            )
            .map_err(plot_error)?
            .label(format!("{dynamic}: Monte Carlo, 95% CI"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        if mine.iter().any(|p| p.method == "ams") {
            chart
                .draw_series(
                    mine.iter()
                        .filter(|p| p.method == "ams")
                        .map(|p| Circle::new((p.height, p.mfpt), 5, color.stroke_width(2))),
                )
                .map_err(plot_error)?
                .label(format!("{dynamic}: splitting (AMS), 95% CI"))
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.stroke_width(2)));
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Write the escape-rate plot as PNG and SVG (`png` and `svg` share a stem).
pub fn escape_plot(
    png: &Path,
    svg: &Path,
    title: &str,
    points: &[EscapePoint],
    curves: &[Curve],
) -> Result<()> {
    debug_assert_eq!(png.with_extension("svg"), svg);
    png_and_svg!(png, (1100, 750), draw, title, points, curves)
}

fn draw_prefactor<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    series: &[PrefactorSeries],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let values = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .flat_map(|p| [p.1, p.2[0], p.2[1]])
                .chain(s.exact.iter().map(|p| p.1))
                .chain([s.prefactor])
        })
        .filter(|v| v.is_finite() && *v > 0.0);
    let hi = values.fold(0f64, f64::max);
    let heights = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x0, x1) = heights.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), h| {
        (a.min(h), b.max(h))
    });
    let pad = 0.05 * (x1 - x0).max(1e-9);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Kramers' law at large barriers: MFPT × exp(-2ΔL/D0) against its prefactor",
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), 0.0..(hi * 1.1))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("barrier height ΔL (units of L)")
        .y_desc("mean escape time × exp(-2ΔL/D0)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(plot_error)?;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(s.exact.clone(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(format!("{}: exact", s.dynamic))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        let line = vec![(x0 - pad, s.prefactor), (x1 + pad, s.prefactor)];
        chart
            .draw_series(DashedLineSeries::new(line, 6, 4, BLACK.stroke_width(1)))
            .map_err(plot_error)?
            .label(format!(
                "Kramers prefactor π/sqrt(Ha Hb) = {:.4}",
                s.prefactor
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        chart
            .draw_series(s.points.iter().map(|p| {
                ErrorBar::new_vertical(p.0, p.2[0].max(0.0), p.1, p.2[1], color.filled(), 8)
            }))
            .map_err(plot_error)?;
        chart
            .draw_series(
                s.points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 4, color.filled())),
            )
            .map_err(plot_error)?
            .label(format!("{}: direct and splitting, 95% CI", s.dynamic))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Write the Kramers-prefactor plot of `series` as `stem.png` and `stem.svg`.
pub fn prefactor_plot(stem: &Path, series: &[PrefactorSeries]) -> Result<()> {
    png_and_svg!(stem, (1100, 750), draw_prefactor, series)
}
