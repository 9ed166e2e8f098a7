//! Q-Q plots of `kramers fit-tail` (the paper's Fig. 8 idea): sample quantiles against a
//! reference law's, with the identity line; PNG, written atomically.

use super::plot::{plot_error, register_font, PALETTE};
use super::write_atomic;
use crate::error::Result;
use plotters::prelude::*;
use std::path::Path;

/// Draw `points` (theoretical, sample) with the line `y = x` and write a PNG to `path`.
pub fn qq_plot_png(path: &Path, title: &str, x_label: &str, points: &[(f64, f64)]) -> Result<()> {
    register_font();
    let size = (900u32, 800u32);
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let finite = points
            .iter()
            .flat_map(|&(x, y)| [x, y])
            .filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let (lo, hi) = if lo < hi { (lo, hi) } else { (-1.0, 1.0) };
        let pad = 0.04 * (hi - lo);
        let range = (lo - pad)..(hi + pad);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(range.clone(), range)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("sample quantile")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(LineSeries::new(
                [(lo - pad, lo - pad), (hi + pad, hi + pad)],
                BLACK.stroke_width(1),
            ))
            .map_err(plot_error)?
            .label("y = x")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
        let color = PALETTE[0];
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|&(x, y)| Circle::new((x, y), 2, color.filled())),
            )
            .map_err(plot_error)?
            .label("sample")
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
        super::plot::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(plot_error)?;
    }
    write_atomic(path, &super::plot::image_png(&pixels, size)?)
}
