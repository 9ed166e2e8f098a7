//! The exact 2-D solve drawn: `T(x)` over the plane (docs/theory.md §9),
//! with the start, the saddle and the exit set; `exact-2d.png/svg` (one per
//! case, `exact-2d-<case>` when there are several); and the landscape:
//! `L(x)` in bands with the minima, saddles and minimum-energy paths
//! (`landscape.png/svg`, `kramers landscape --plot`).

use super::plot::{plot_error, png_and_svg};
use crate::analysis::landscape::{EyringKramers, Landscape, LandscapeRow, PathEnd};
use crate::analysis::plane::{Field, PlaneReference, Scan};
use crate::error::Result;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (900, 760);
/// Most drawn cells per axis (the field is sampled down to this).
const PIXELS: usize = 220;

/// Viridis at `v` in `[0, 1]` (five stops, linear between them).
fn viridis(v: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let x = v.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let t = x - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + t * (q - p)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A chart over the plane.
type PlaneChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The cells a picture colours: a grid's corner, cell width and shape.
#[derive(Clone, Copy)]
struct Cells {
    origin: [f64; 2],
    h: f64,
    shape: [usize; 2],
}

/// A picture's chart over the grid `cells` covers: axes `x1`, `x2`, the title above.
fn plane_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    cells: Cells,
) -> Result<PlaneChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let [x0, y0] = cells.origin;
    let (x1, y1) = (
        x0 + cells.shape[0] as f64 * cells.h,
        y0 + cells.shape[1] as f64 * cells.h,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    Ok(chart)
}

/// Draw the grid's cells, at most [`PIXELS`] per axis, coloured by
/// `colour(cell)` (`None`: left blank).
fn draw_cells<'a, DB: DrawingBackend + 'a>(
    chart: &mut PlaneChart<'a, DB>,
    cells: Cells,
    colour: impl Fn(usize) -> Option<RGBColor>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let [nx, ny] = cells.shape;
    let [x0, y0] = cells.origin;
    let stride = nx.max(ny).div_ceil(PIXELS).max(1);
    let w = stride as f64 * cells.h;
    let mut rectangles = Vec::new();
    for j in (0..ny).step_by(stride) {
        for i in (0..nx).step_by(stride) {
            let Some(colour) = colour(j * nx + i) else {
                continue;
            };
            let (x, y) = (x0 + i as f64 * cells.h, y0 + j as f64 * cells.h);
            rectangles.push(Rectangle::new([(x, y), (x + w, y + w)], colour.filled()));
        }
    }
    chart.draw_series(rectangles).map_err(plot_error)?;
    Ok(())
}

/// The legend, upper right.
fn legend<'a, DB: DrawingBackend + 'a>(chart: &mut PlaneChart<'a, DB>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

/// The colour bar beside a picture: `steps` viridis bands over `range`,
/// labelled by `label`.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    range: std::ops::Range<f64>,
    description: &str,
    label: &dyn Fn(&f64) -> String,
    steps: usize,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (bottom, top) = (range.start, range.end);
    let mut bar_chart = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(52)
        .margin_right(8)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, bottom..top)
        .map_err(plot_error)?;
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(description)
        .y_label_formatter(label)
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(plot_error)?;
    let n = steps as f64;
    bar_chart
        .draw_series((0..steps).map(|k| {
            let at = |k: f64| bottom + k / n * (top - bottom);
            let (a, b) = (at(k as f64), at(k as f64 + 1.0));
            Rectangle::new([(0.0, a), (1.0, b)], viridis(k as f64 / (n - 1.0)).filled())
        }))
        .map_err(plot_error)?;
    Ok(())
}

/// One picture: what it draws.
struct Picture<'a> {
    title: String,
    field: &'a Field,
    mfpt: f64,
    saddle: [f64; 2],
    minimum: Option<[f64; 2]>,
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, p: &Picture) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let (plot, bar) = root.split_horizontally(SIZE.0 - 110);
    let f = p.field;
    let cells = Cells {
        origin: f.origin,
        h: f.h,
        shape: f.shape,
    };
    // A logarithmic colour scale: T spans orders of magnitude between the
    // exit and a deep basin. From the 0.5th percentile of the positive values.
    let mut positive: Vec<f64> = f.values.iter().copied().filter(|v| *v > 0.0).collect();
    positive.sort_by(f64::total_cmp);
    let top = positive.last().copied().unwrap_or(1.0).ln();
    let bottom = positive
        .get(positive.len() / 200)
        .copied()
        .unwrap_or(1.0)
        .ln()
        .min(top - 1e-9);
    let scale = |v: f64| (v.ln() - bottom) / (top - bottom);
    let mut chart = plane_chart(&plot, &p.title, cells)?;
    draw_cells(&mut chart, cells, |c| match f.values[c] {
        v if v.is_nan() => None,
        0.0 => Some(RGBColor(200, 200, 200)),
        v => Some(viridis(scale(v))),
    })?;
    chart
        .draw_series([Circle::new(
            (f.start[0], f.start[1]),
            7,
            WHITE.stroke_width(3),
        )])
        .map_err(plot_error)?
        .label(format!("start: T = {:.6e}", p.mfpt))
        .legend(|(x, y)| Circle::new((x + 8, y), 5, BLACK.stroke_width(2)));
    chart
        .draw_series([Cross::new(
            (p.saddle[0], p.saddle[1]),
            8,
            RED.stroke_width(3),
        )])
        .map_err(plot_error)?
        .label("saddle")
        .legend(|(x, y)| Cross::new((x + 8, y), 5, RED.stroke_width(2)));
    if let Some(m) = p.minimum {
        chart
            .draw_series([TriangleMarker::new((m[0], m[1]), 7, WHITE.filled())])
            .map_err(plot_error)?;
    }
    legend(&mut chart)?;
    // The colour bar; grey is the exit set, white the region above the cut.
    colour_bar(
        &bar,
        bottom..top,
        "T(x), log scale",
        &|v| format!("{:.2e}", v.exp()),
        100,
    )?;
    root.present().map_err(plot_error)
}

/// Draw every solved case of a run or a `theory` call into `dir`; returns the paths.
pub fn write_plane_plots(
    dir: &Path,
    name: &str,
    cases: &[(usize, &PlaneReference, Option<&EyringKramers>)],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for &(index, plane, ek) in cases {
        let Some(field) = plane.field.as_ref() else {
            continue;
        };
        let stem = match cases.len() {
            1 => "exact-2d".to_string(),
            _ => format!("exact-2d-{index}"),
        };
        let picture = Picture {
            title: format!("{name}, case {index}: exact mean first-passage time T(x)"),
            field,
            mfpt: plane.mfpt,
            saddle: ek.map_or(plane.saddle, |e| e.saddle.x),
            minimum: ek.map(|e| e.minimum.x),
        };
        png_and_svg!(&dir.join(&stem), SIZE, draw, &picture)?;
        written.extend(["png", "svg"].map(|e| dir.join(&stem).with_extension(e)));
    }
    Ok(written)
}

/// One landscape picture: `L` over the scan in bands, the minima, saddles and paths.
struct LandscapePicture<'a> {
    title: String,
    landscape: &'a Landscape,
    scan: &'a Scan,
}

fn draw_landscape<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    p: &LandscapePicture,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let (plot, bar) = root.split_horizontally(SIZE.0 - 110);
    let s = p.scan;
    let cells = Cells {
        origin: s.origin,
        h: s.h,
        shape: s.shape,
    };
    // Bands of L from the minimum to the cut: 16 colours, like contours.
    let bottom = p.landscape.minimum.value;
    let top = s
        .cut
        .min(bottom + 2.0 * (p.landscape.level - bottom).max(1e-12));
    const BANDS: f64 = 16.0;
    let band = |v: f64| {
        ((v - bottom) / (top - bottom) * BANDS)
            .floor()
            .clamp(0.0, BANDS - 1.0)
            / (BANDS - 1.0)
    };
    let mut chart = plane_chart(&plot, &p.title, cells)?;
    draw_cells(&mut chart, cells, |c| match (s.exit[c], s.loss[c]) {
        (true, _) => Some(RGBColor(150, 150, 150)),
        (false, v) if !v.is_finite() => None,
        (false, v) if v > top => Some(RGBColor(235, 235, 235)),
        (false, v) => Some(viridis(band(v))),
    })?;
    let l = p.landscape;
    for (k, pass) in l.passes.iter().enumerate() {
        let line = chart
            .draw_series([PathElement::new(
                pass.path.iter().map(|x| (x[0], x[1])).collect::<Vec<_>>(),
                WHITE.stroke_width(2),
            )])
            .map_err(plot_error)?;
        if k == 0 {
            line.label("minimum-energy paths")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.stroke_width(2)));
        }
        for e in &pass.ends {
            if let PathEnd::Minimum {
                point,
                start: false,
            } = e
            {
                chart
                    .draw_series([TriangleMarker::new(
                        (point.x[0], point.x[1]),
                        7,
                        WHITE.filled(),
                    )])
                    .map_err(plot_error)?;
            }
        }
    }
    chart
        .draw_series([TriangleMarker::new(
            (l.minimum.x[0], l.minimum.x[1]),
            8,
            WHITE.filled(),
        )])
        .map_err(plot_error)?
        .label(format!("minima (start's: L = {:.4})", l.minimum.value))
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 5, BLACK.filled()));
    let saddles =
        chart
            .draw_series(l.passes.iter().map(|pass| {
                Cross::new((pass.saddle.x[0], pass.saddle.x[1]), 8, RED.stroke_width(3))
            }))
            .map_err(plot_error)?;
    if !l.passes.is_empty() {
        saddles
            .label("index-1 saddles")
            .legend(|(x, y)| Cross::new((x + 8, y), 5, RED.stroke_width(2)));
    }
    legend(&mut chart)?;
    colour_bar(
        &bar,
        bottom..top,
        "L(x); grey: exit set",
        &|v| format!("{v:.3}"),
        BANDS as usize,
    )?;
    root.present().map_err(plot_error)
}

/// Draw every case's landscape into `dir` (`landscape.png/svg`, or
/// `landscape-<case>` for several); returns the paths.
pub fn write_landscape_plots(
    dir: &Path,
    name: &str,
    rows: &[LandscapeRow],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let drawn: Vec<_> = rows
        .iter()
        .filter_map(|r| {
            let l = r.landscape.as_ref()?;
            Some((r.index, l, l.scan.as_ref()?))
        })
        .collect();
    for &(index, landscape, scan) in &drawn {
        let stem = match drawn.len() {
            1 => "landscape".to_string(),
            _ => format!("landscape-{index}"),
        };
        let picture = LandscapePicture {
            title: format!("{name}, case {index}: L(x), its saddles and paths"),
            landscape,
            scan,
        };
        png_and_svg!(&dir.join(&stem), SIZE, draw_landscape, &picture)?;
        written.extend(["png", "svg"].map(|e| dir.join(&stem).with_extension(e)));
    }
    Ok(written)
}
