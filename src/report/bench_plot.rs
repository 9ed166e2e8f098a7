//! `bench.png` / `bench.svg`: throughput against ensemble size, log-log, one
//! line per workload and backend (colour: workload; solid: CPU, dashed: GPU).

use super::plot::{image_png, plot_error, register_font, PALETTE};
use super::write_atomic;
use crate::bench::BenchReport;
use crate::error::Result;
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
            (n0 / 1.5..n1 * 1.5).log_scale(),
            (t0 / 2.0..t1 * 2.0).log_scale(),
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
            chart
                .draw_series(data.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(plot_error)?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)
}

/// Write `bench.png` and `bench.svg` into `dir`, each atomically.
pub fn write_bench_plot(dir: &Path, report: &BenchReport) -> Result<()> {
    register_font();
    let size = (1100, 750);
    let mut svg = String::new();
    draw(
        SVGBackend::with_string(&mut svg, size).into_drawing_area(),
        report,
    )?;
    write_atomic(&dir.join("bench.svg"), svg.as_bytes())?;
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    draw(
        BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area(),
        report,
    )?;
    write_atomic(&dir.join("bench.png"), &image_png(&pixels, size)?)
}
