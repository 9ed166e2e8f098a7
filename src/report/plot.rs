//! Plots (plotters): the escape-rate plot, mean first-passage time on a log
//! axis against barrier height, 95% interval bars, exact curves solid and
//! low-noise asymptotes dashed, in the Okabe–Ito colour-blind-safe palette.
//! PNG and SVG, written atomically.

use crate::analysis::escape_sweep::{Curve, EscapePoint, PrefactorSeries};
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// Okabe–Ito colours (colour-blind safe).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

static FONT: Once = Once::new();

/// Register the bundled DejaVu Sans as plotters' sans-serif font.
pub fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

pub(crate) fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Result(format!("drawing the plot: {e}"))
}

/// Every plot's legend: a framed, half-transparent box at `position`.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)
}

/// Draw one picture with `$draw(root, args..)` into `$stem.svg` and `$stem.png`
/// (size `$size`), each written atomically; evaluates to `Result<()>`.
macro_rules! png_and_svg {
    ($stem:expr, $size:expr, $draw:ident $(, $arg:expr)*) => {{
        let stem: &std::path::Path = $stem;
        let size: (u32, u32) = $size;
        (|| -> $crate::error::Result<()> {
            $crate::report::plot::register_font();
            let mut svg = String::new();
            $draw(SVGBackend::with_string(&mut svg, size).into_drawing_area() $(, $arg)*)?;
            $crate::report::write_atomic(&stem.with_extension("svg"), svg.as_bytes())?;
            let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
            $draw(BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area() $(, $arg)*)?;
            $crate::report::write_atomic(
                &stem.with_extension("png"),
                &$crate::report::plot::image_png(&pixels, size)?,
            )
        })()
    }};
}
pub(crate) use png_and_svg;

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

/// Encode an RGB buffer as PNG bytes.
pub(crate) fn image_png(pixels: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    image::ImageEncoder::write_image(encoder, pixels, w, h, image::ColorType::Rgb8)
        .map_err(plot_error)?;
    Ok(bytes)
}
