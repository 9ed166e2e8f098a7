//! `bench.png` / `bench.svg`: throughput against ensemble size, log-log, one
//! line per workload and backend (colour: workload; solid line and filled
//! marker: CPU backend; dashed line and hollow marker: GPU adapter).

use super::BenchReport;
use crate::error::Result;
use crate::report::plot::{draw_legend, plot_error, png_and_svg, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, report: &BenchReport) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let rows = &report.rows;
    let (n0, n1) = rows.iter().fold((f64::INFINITY, 0f64), |(a, b), r| {
        (a.min(r.trajectories as f64), b.max(r.trajectories as f64))
    });
    let (t0, t1) = rows.iter().fold((f64::INFINITY, 0f64), |(a, b), r| {
        (
            a.min(r.trajectory_steps_per_s),
            b.max(r.trajectory_steps_per_s),
        )
    });
    let (n0, n1, t0, t1) = if n0 <= n1 {
        (n0, n1, t0, t1)
    } else {
        (1.0, 2.0, 1.0, 2.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "kramers bench: throughput against ensemble size",
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (n0 / 1.5..n1 * 1.5)
                .log_scale()
                .with_key_points(powers_of_two(n0, n1)),
            (t0 / 2.0..t1 * 2.0)
                .log_scale()
                .with_key_points(one_two_five(t0 / 2.0, t1 * 2.0)),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("trajectories N")
        .y_desc("trajectory-steps per second")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .x_label_formatter(&|v| format!("2^{:.0}", v.log2()))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(plot_error)?;
    let mut workloads: Vec<&str> = Vec::new();
    let mut devices: Vec<&str> = Vec::new();
    for r in rows {
        if !workloads.contains(&r.workload.as_str()) {
            workloads.push(&r.workload);
        }
        if !devices.contains(&r.device.as_str()) {
            devices.push(&r.device);
        }
    }
    for (w, workload) in workloads.iter().enumerate() {
        let color = PALETTE[w % PALETTE.len()];
        for device in &devices {
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| r.workload == *workload && r.device == *device)
                .collect();
            let Some(first) = mine.first() else { continue };
            let data: Vec<(f64, f64)> = mine
                .iter()
                .map(|r| (r.trajectories as f64, r.trajectory_steps_per_s))
                .collect();
            let label = format!("{workload} {}: {device}", first.backend);
            if first.backend == "cpu" {
                chart
                    .draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
                    .map_err(plot_error)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
            } else {
                chart
                    .draw_series(DashedLineSeries::new(
                        data.clone(),
                        6,
                        4,
                        color.stroke_width(2),
                    ))
                    .map_err(plot_error)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                    });
            }
            // filled markers: CPU backend; hollow: GPU adapters
            let style = if first.backend == "cpu" {
                color.filled()
            } else {
                color.stroke_width(2)
            };
            chart
                .draw_series(data.iter().map(|&p| Circle::new(p, 5, style)))
                .map_err(plot_error)?;
        }
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(plot_error)
}

/// Tick marks at the ensemble sizes: powers of two from `lo` to `hi`, every
/// second one when there are more than nine.
fn powers_of_two(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log2().round() as i32, hi.log2().round() as i32);
    let step = if b - a > 8 { 2 } else { 1 };
    (a..=b).step_by(step).map(|k| 2f64.powi(k)).collect()
}

/// Tick marks at 1, 2 and 5 times the powers of ten between `lo` and `hi`.
fn one_two_five(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (a..=b)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// Write `bench.png` and `bench.svg` into `dir`, each atomically.
pub fn write_bench_plot(dir: &Path, report: &BenchReport) -> Result<()> {
    png_and_svg!(&dir.join("bench"), (1100, 750), draw, report)
}
