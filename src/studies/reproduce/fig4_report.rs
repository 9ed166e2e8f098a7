//! The outputs of `kramers reproduce fig4`: the table, `fig4.csv`,
//! `fig4.json`, `fig4.png` and `fig4.svg` (success rate against lambda1).

use super::Fig4;
use crate::error::Result;
use crate::report::plot::{draw_legend, plot_error, png_and_svg, PALETTE};
use crate::report::write_atomic;
use plotters::prelude::*;
use std::path::Path;

fn bound(v: Option<f64>, beyond: &str) -> String {
    v.map(|v| format!("{v:.1}"))
        .unwrap_or_else(|| beyond.to_string())
}

/// The table printed by `kramers reproduce fig4`, with the verdicts the paper's claims need.
pub fn fig4_table(fig: &Fig4) -> String {
    let s = &fig.setup;
    let mut out = format!(
        "start (flat minimum) = ({:.4}, {:.4}); basin left when w_j > ridge = ({:.4}, {:.4}); batch B = {}, eta = {}, {} iterations\n",
        s.minimum[0], s.minimum[1], s.ridge[0], s.ridge[1], s.batch, s.eta, s.iterations
    );
    for (scale, trace, lambda2) in &s.scales {
        out.push_str(&format!(
            "loss scale {scale}: Tr Cov(one-sample gradient) = {trace:.4}, Tr Cov(minibatch) = {:.4} = Tr Cov(lambda2 xi) with lambda2 = {lambda2:.4}\n",
            trace / s.batch as f64
        ));
    }
    out.push_str(&format!(
        "{:<8} {:<5} {:>8} {:>8} {:>9} {:>9} {:>9} {:>22}\n",
        "loss", "dyn", "lambda1", "lambda2", "runs", "escaped", "rate", "95% CI (Clopper-Pearson)"
    ));
    for p in &fig.points {
        out.push_str(&format!(
            "{:<8} {:<5} {:>8} {:>8} {:>9} {:>9} {:>9.4} {:>22}\n",
            if p.scale == 15.0 {
                "L".to_string()
            } else {
                format!("{}L", p.scale / 15.0)
            },
            p.dynamic,
            p.lambda1.map(|v| format!("{v}")).unwrap_or("-".into()),
            p.lambda2.map(|v| format!("{v:.4}")).unwrap_or("-".into()),
            p.trajectories,
            p.escaped,
            p.rate,
            format!("[{:.4}, {:.4}]", p.ci95[0], p.ci95[1])
        ));
    }
    for c in &fig.crossings {
        let pld: Vec<_> = fig
            .points
            .iter()
            .filter(|p| p.scale == c.scale && p.dynamic == "PLD")
            .collect();
        let rising = pld.windows(2).all(|w| w[1].rate >= w[0].rate)
            && pld.last().map(|p| p.ci95[0]) > pld.first().map(|p| p.ci95[1]);
        let find = |d: &str| {
            fig.points
                .iter()
                .find(|p| p.scale == c.scale && p.dynamic == d)
        };
        let (gld, sgd) = (find("GLD"), find("SGD"));
        let gld_below = matches!((gld, sgd), (Some(g), Some(s)) if g.ci95[1] < s.ci95[0]);
        out.push_str(&format!(
            "loss scale {}: PLD rate rises with lambda1: {}; GLD escapes less than SGD: {}; PLD matches SGD at lambda1 = {} [{}, {}]\n",
            c.scale,
            if rising { "yes" } else { "NO" },
            if gld_below { "yes" } else { "NO" },
            bound(c.lambda1, "outside the grid"),
            bound(c.interval[0], "below the grid"),
            bound(c.interval[1], "above the grid"),
        ));
    }
    out
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, plotters::coord::Shift>, fig: &Fig4) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(plot_error)?;
    let top = fig
        .points
        .iter()
        .map(|p| p.ci95[1])
        .fold(0.0, f64::max)
        .clamp(0.05, 1.0)
        * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Leaving the flat basin of the 2-D loss in {} iterations (eta = {}, B = {})",
                fig.setup.iterations, fig.setup.eta, fig.setup.batch
            ),
            ("sans-serif", 24),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(-2.0..48.0, 0.0..top)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("PLD lambda1 (0: GLD)")
        .y_desc("success rate (fraction of runs that left)")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(plot_error)?;
    for (i, &(scale, _, _)) in fig.setup.scales.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let name = if i == 0 {
            "L".to_string()
        } else {
            format!("{} L", scale / 15.0)
        };
        let mine: Vec<_> = fig.points.iter().filter(|p| p.scale == scale).collect();
        if let Some(sgd) = mine.iter().find(|p| p.dynamic == "SGD") {
            let band = [(-2.0, sgd.ci95[0]), (48.0, sgd.ci95[1])];
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    band,
                    color.mix(0.15).filled(),
                )))
                .map_err(plot_error)?;
            chart
                .draw_series(DashedLineSeries::new(
                    [(-2.0, sgd.rate), (48.0, sgd.rate)],
                    8,
                    5,
                    color.stroke_width(2),
                ))
                .map_err(plot_error)?
                .label(format!("SGD on {name} (band: 95% CI)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        let pld: Vec<(f64, f64)> = mine
            .iter()
            .filter(|p| p.dynamic == "PLD")
            .map(|p| (p.lambda1.unwrap_or(0.0), p.rate))
            .collect();
        chart
            .draw_series(LineSeries::new(pld, color.stroke_width(2)))
            .map_err(plot_error)?
            .label(format!("PLD on {name}, 95% CI"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        chart
            .draw_series(mine.iter().filter(|p| p.dynamic != "SGD").map(|p| {
                ErrorBar::new_vertical(
                    p.lambda1.unwrap_or(0.0),
                    p.ci95[0],
                    p.rate,
                    p.ci95[1],
                    color.filled(),
                    8,
                )
            }))
            .map_err(plot_error)?;
        chart
            .draw_series(
                mine.iter()
                    .filter(|p| p.dynamic == "PLD")
                    .map(|p| Circle::new((p.lambda1.unwrap_or(0.0), p.rate), 4, color.filled())),
            )
            .map_err(plot_error)?;
        chart
            .draw_series(
                mine.iter()
                    .filter(|p| p.dynamic == "GLD")
                    .map(|p| TriangleMarker::new((0.0, p.rate), 7, color.filled())),
            )
            .map_err(plot_error)?
            .label(format!("GLD on {name} (lambda1 = 0)"))
            .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, color.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// Write fig4.csv, fig4.json, fig4.png and fig4.svg into `dir`, each atomically.
pub fn write_fig4(dir: &Path, fig: &Fig4) -> Result<()> {
    crate::report::atomic::create_dir(dir)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "scale",
        "dynamic",
        "lambda1",
        "lambda2",
        "trajectories",
        "escaped",
        "rate",
        "ci95_lo",
        "ci95_hi",
    ])
    .expect("in-memory csv");
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for p in &fig.points {
        csv.write_record([
            p.scale.to_string(),
            p.dynamic.clone(),
            opt(p.lambda1),
            opt(p.lambda2),
            p.trajectories.to_string(),
            p.escaped.to_string(),
            format!("{:.6}", p.rate),
            format!("{:.6}", p.ci95[0]),
            format!("{:.6}", p.ci95[1]),
        ])
        .expect("in-memory csv");
    }
    write_atomic(
        &dir.join("fig4.csv"),
        &csv.into_inner().expect("in-memory csv"),
    )?;
    let json = crate::report::json_text(fig);
    write_atomic(&dir.join("fig4.json"), json.as_bytes())?;

    png_and_svg!(&dir.join("fig4"), (1100, 750), draw, fig)
}
