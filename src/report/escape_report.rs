//! The outputs of `kramers escape`: the table, `escape.csv`, `escape.json`,
//! `escape.png` and `escape.svg`.

use super::plot::escape_plot;
use super::write_atomic;
use crate::analysis::escape_sweep::{Curve, EscapePoint, GrowthFit};
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct EscapeJson<'a> {
    kramers_version: &'a str,
    device: &'a str,
    points: &'a [EscapePoint],
    curves: &'a [Curve],
    growth: &'a [GrowthFit],
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.6e}")).unwrap_or_default()
}

/// The table printed by `kramers escape`.
pub fn escape_table(points: &[EscapePoint]) -> String {
    let mut out = format!(
        "{:<38} {:>7} {:>31} {:>12} {:>12} {:>7}  {}\n",
        "dynamic", "height", "MFPT [95% CI]", "exact", "asymptote", "z", "asymptote formula"
    );
    for p in points {
        let mfpt = format!(
            "{:.4e} [{:.3e}, {:.3e}]{}",
            p.mfpt,
            p.ci95[0],
            p.ci95[1],
            if p.censored { "*" } else { "" }
        );
        out.push_str(&format!(
            "{:<38} {:>7.3} {:>31} {:>12} {:>12} {:>7}  {}\n",
            p.dynamic,
            p.height,
            mfpt,
            p.exact.map(|v| format!("{v:.4e}")).unwrap_or("-".into()),
            p.asymptote
                .map(|v| format!("{v:.4e}"))
                .unwrap_or("-".into()),
            p.z.map(|v| format!("{v:+.2}")).unwrap_or("-".into()),
            p.asymptote_name.as_deref().unwrap_or("")
        ));
    }
    if points.iter().any(|p| p.censored) {
        out.push_str("* some trajectories censored: 1 / (rate MLE) with its exact interval\n");
    }
    out
}

/// The growth table: fitted slopes of ln MFPT against dL and against ln dL.
pub fn growth_table(fits: &[GrowthFit]) -> String {
    let mut out = format!(
        "{:<38} {:>24} {:>7} {:>24} {:>7} {:>12}\n",
        "dynamic", "d lnT/d dL (exact)", "R^2", "d lnT/d ln dL (exact)", "R^2", "growth"
    );
    let exact = |v: Option<f64>| v.map(|v| format!("({v:.3})")).unwrap_or_default();
    for f in fits {
        out.push_str(&format!(
            "{:<38} {:>24} {:>7.4} {:>24} {:>7.4} {:>12}\n",
            f.dynamic,
            format!(
                "{:.3} ± {:.3} {}",
                f.exponential_slope,
                f.exponential_slope_se,
                exact(f.exact_exponential_slope)
            ),
            f.exponential_r2,
            format!(
                "{:.3} ± {:.3} {}",
                f.power_slope,
                f.power_slope_se,
                exact(f.exact_power_slope)
            ),
            f.power_r2,
            f.growth()
        ));
    }
    out
}

/// What one escape-plot output set is called and titled.
pub struct EscapeFiles<'a> {
    /// File stem: `escape` writes escape.csv, escape.json, escape.png, escape.svg.
    pub stem: &'a str,
    pub title: &'a str,
}

impl Default for EscapeFiles<'_> {
    fn default() -> Self {
        EscapeFiles {
            stem: "escape",
            title: "Mean escape time over a barrier: exact (solid), asymptotes (dashed)",
        }
    }
}

/// The text of escape.json: version, device, points, curves and growth fits.
pub fn escape_json(
    device: &str,
    points: &[EscapePoint],
    curves: &[Curve],
    growth: &[GrowthFit],
) -> String {
    let json = EscapeJson {
        kramers_version: env!("CARGO_PKG_VERSION"),
        device,
        points,
        curves,
        growth,
    };
    let mut text = serde_json::to_string_pretty(&json).expect("serializable");
    text.push('\n');
    text
}

/// Write the four files into `dir` (created if needed), each atomically.
pub fn write_escape(
    dir: &Path,
    files: &EscapeFiles<'_>,
    device: &str,
    points: &[EscapePoint],
    curves: &[Curve],
    growth: &[GrowthFit],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header = [
        "dynamic",
        "height",
        "trajectories",
        "escaped",
        "mfpt",
        "ci95_lo",
        "ci95_hi",
        "censored",
        "exact",
        "asymptote",
        "asymptote_name",
        "z",
    ];
    csv.write_record(header).expect("in-memory csv");
    for p in points {
        csv.write_record([
            p.dynamic.clone(),
            p.height.to_string(),
            p.trajectories.to_string(),
            p.escaped.to_string(),
            format!("{:.6e}", p.mfpt),
            format!("{:.6e}", p.ci95[0]),
            format!("{:.6e}", p.ci95[1]),
            p.censored.to_string(),
            number(p.exact),
            number(p.asymptote),
            p.asymptote_name.clone().unwrap_or_default(),
            p.z.map(|z| format!("{z:.3}")).unwrap_or_default(),
        ])
        .expect("in-memory csv");
    }
    write_atomic(
        &dir.join(format!("{}.csv", files.stem)),
        &csv.into_inner().expect("in-memory csv"),
    )?;
    let text = escape_json(device, points, curves, growth);
    write_atomic(&dir.join(format!("{}.json", files.stem)), text.as_bytes())?;
    escape_plot(
        &dir.join(format!("{}.png", files.stem)),
        &dir.join(format!("{}.svg", files.stem)),
        files.title,
        points,
        curves,
    )
}
