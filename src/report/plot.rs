//! What every plot shares (plotters): the Okabe–Ito colour-blind-safe
//! palette, the font, legends, and PNG plus SVG written atomically. The
//! plots themselves sit beside what they draw (the run's in [`super::run_plots`],
//! each study's in its module).

use crate::error::{Error, Result};
use plotters::prelude::*;
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

/// Encode an RGB buffer as PNG bytes.
pub(crate) fn image_png(pixels: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    image::ImageEncoder::write_image(encoder, pixels, w, h, image::ColorType::Rgb8)
        .map_err(plot_error)?;
    Ok(bytes)
}
