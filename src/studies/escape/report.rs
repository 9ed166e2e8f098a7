//! The outputs of `kramers escape`: the table, `escape.csv`, `escape.json`,
//! `escape.png` and `escape.svg`.

use super::plot::{escape_plot, prefactor_plot};
use super::{
    lemma6_slopes, prefactor_series, Curve, Dynamic, EscapePoint, GrowthFit, Lemma6Slope,
    PrefactorSeries,
};
use crate::error::Result;
use crate::report::write_atomic;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct EscapeJson<'a> {
    kramers_version: &'a str,
    device: &'a str,
    points: &'a [EscapePoint],
    curves: &'a [Curve],
    growth: &'a [GrowthFit],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    lemma6: &'a [Lemma6Slope],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    prefactor: &'a [PrefactorSeries],
}

/// What a sweep adds beyond its points: the large-barrier views.
#[derive(Default)]
pub struct LargeBarriers {
    /// Lemma 6's large-barrier slope of each power-law-loss dynamic that has one.
    pub lemma6: Vec<Lemma6Slope>,
    /// The Kramers prefactor series of each Langevin dynamic over a `barrier`.
    pub prefactor: Vec<PrefactorSeries>,
}

impl LargeBarriers {
    /// Lemma 6's slopes and the Kramers prefactor series of a sweep.
    pub fn of(dynamics: &[Dynamic], points: &[EscapePoint], curves: &[Curve]) -> Self {
        LargeBarriers {
            lemma6: lemma6_slopes(dynamics, points),
            prefactor: prefactor_series(dynamics, points, curves),
        }
    }
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.6e}")).unwrap_or_default()
}

/// The table printed by `kramers escape`.
pub fn escape_table(points: &[EscapePoint]) -> String {
    let mut out = format!(
        "{:<38} {:>7} {:>6} {:>31} {:>12} {:>12} {:>7} {:>10}  {}\n",
        "dynamic",
        "height",
        "method",
        "MFPT [95% CI]",
        "exact",
        "asymptote",
        "z",
        "steps",
        "asymptote formula"
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
            "{:<38} {:>7.3} {:>6} {:>31} {:>12} {:>12} {:>7} {:>10.3e}  {}\n",
            p.dynamic,
            p.height,
            p.method,
            mfpt,
            p.exact.map(|v| format!("{v:.4e}")).unwrap_or("-".into()),
            p.asymptote
                .map(|v| format!("{v:.4e}"))
                .unwrap_or("-".into()),
            p.z.map(|v| format!("{v:+.2}")).unwrap_or("-".into()),
            p.steps as f64,
            p.asymptote_name.as_deref().unwrap_or("")
        ));
    }
    if points.iter().any(|p| p.method == "ams") {
        out.push_str("ams: adaptive multilevel splitting (the exact escape is beyond the direct budget); steps: simulated for the point\n");
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

/// The large-barrier lines: Lemma 6's exponent against the fitted slope.
pub fn lemma6_table(slopes: &[Lemma6Slope]) -> String {
    let mut out = String::new();
    for s in slopes {
        out.push_str(&format!(
            "{}: at dL = {:?}, d ln T / d ln(1 + k dL/D0) = {:.3} ± {:.3} (exact {}), Lemma 6 exponent kappa - alpha + 1/2 = {:.3}\n",
            s.dynamic,
            s.heights,
            s.slope,
            s.slope_se,
            s.exact_slope.map_or("-".into(), |v| format!("{v:.3}")),
            s.exponent
        ));
    }
    out
}

/// What one escape-plot output set is called and titled.
pub struct EscapeFiles<'a> {
    /// File stem: `escape` writes escape.csv, escape.json, escape.png, escape.svg.
    pub stem: &'a str,
    /// Title of the escape plot.
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
    large: &LargeBarriers,
) -> String {
    let json = EscapeJson {
        kramers_version: env!("CARGO_PKG_VERSION"),
        device,
        points,
        curves,
        growth,
        lemma6: &large.lemma6,
        prefactor: &large.prefactor,
    };
    crate::report::json_text(&json)
}

/// Write the four files into `dir` (created if needed), each atomically, and
/// `<stem>-prefactor.png/.svg` when there is a Langevin series.
pub fn write_escape(
    dir: &Path,
    files: &EscapeFiles<'_>,
    device: &str,
    points: &[EscapePoint],
    curves: &[Curve],
    growth: &[GrowthFit],
    large: &LargeBarriers,
) -> Result<()> {
    crate::report::atomic::create_dir(dir)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header = [
        "dynamic",
        "method",
        "height",
        "steps",
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
            p.method.clone(),
            p.height.to_string(),
            p.steps.to_string(),
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
    let text = escape_json(device, points, curves, growth, large);
    write_atomic(&dir.join(format!("{}.json", files.stem)), text.as_bytes())?;
    escape_plot(
        &dir.join(format!("{}.png", files.stem)),
        &dir.join(format!("{}.svg", files.stem)),
        files.title,
        points,
        curves,
    )?;
    if !large.prefactor.is_empty() {
        prefactor_plot(
            &dir.join(format!("{}-prefactor", files.stem)),
            &large.prefactor,
        )?;
    }
    Ok(())
}
