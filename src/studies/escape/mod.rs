//! Mean escape time against barrier height for several dynamics: each dynamic
//! is one experiment whose cases are the barrier heights, run as one batch;
//! every point is set beside its exact quadrature value and the low-noise
//! asymptote (Kramers, Lemma 6 factorized form, Imkeller–Pavlyukevich).
//! Heights whose exact mean escape time is beyond [`DIRECT_BUDGET_STEPS`]
//! are estimated by adaptive multilevel splitting ([`crate::rare`]) instead
//! of being waited for.

use crate::analysis::escape::escape_stats;
use crate::analysis::{model1d, theory};

pub mod plot;
pub mod report;
use crate::backend::{BackendChoice, Progress};
use crate::error::{Error, Result};
use crate::model::exit::HalfSpace;
use crate::model::noise::{AlphaStable, Langevin, PowerLaw, PowerLawLoss, Sgd};
use crate::model::potential::Barrier;
use crate::spec::{
    Experiment, ExperimentBuilder, Fields, NoiseParams, ParamValue, PotentialParams,
};
use serde::Serialize;

/// One dynamic of a sweep: a label and the experiment whose cases are the heights.
pub struct Dynamic {
    /// Its name in tables, plots and points (the experiment's `name` for a file sweep).
    pub label: String,
    /// The experiment whose cases are the barrier heights.
    pub experiment: Experiment,
}

/// Predicted mean escape (steps) beyond which a height is estimated by
/// splitting: direct simulation would cost `trajectories` times this.
pub const DIRECT_BUDGET_STEPS: f64 = 2e5;

/// One point of the escape-rate plot.
#[derive(Clone, Debug, Serialize)]
pub struct EscapePoint {
    /// Label of the dynamic the point belongs to.
    pub dynamic: String,
    /// `"direct"` (Monte Carlo of every trajectory) or `"ams"` (splitting).
    pub method: String,
    /// Barrier height `potential.height` (`dL`) of the case; NaN when the case has none.
    pub height: f64,
    /// Steps simulated for this point.
    pub steps: u64,
    /// Trajectories simulated for a direct point; 0 for a split one.
    pub trajectories: u64,
    /// Trajectories that escaped within `max_steps` (direct points; 0 for split ones).
    pub escaped: u64,
    /// Mean first-passage time (time units); with censoring, `1 / rate`.
    pub mfpt: f64,
    /// 95% interval of `mfpt`: Student-t, the inverted rate interval under censoring,
    /// or the AMS jackknife (`[0, inf]` when it has none).
    pub ci95: [f64; 2],
    /// Whether `mfpt` is the sample mean (all escaped) or the inverse rate MLE.
    pub censored: bool,
    /// Exact quadrature value at the level shifted for once-per-step monitoring.
    pub exact: Option<f64>,
    /// Low-noise asymptote and its name.
    pub asymptote: Option<f64>,
    /// Name of the asymptote's law (e.g. `"Kramers"`); None when no asymptote applies.
    pub asymptote_name: Option<String>,
    /// `(mfpt - exact) / standard error`.
    pub z: Option<f64>,
}

/// The built-in default sweep: `barrier` potential (Ha = 1, Hb = 2), ten heights
/// (four with `quick`), Langevin vs power-law-loss (Itô) vs alpha-stable noise;
/// Langevin and power-law-loss go on to high barriers (splitting: seven more
/// heights up to 9, two with `quick`), where alpha-stable escapes no slower.
pub fn default_sweep(quick: bool) -> Vec<Dynamic> {
    let heights: Vec<f64> = if quick {
        vec![0.25, 0.75, 1.25, 1.75]
    } else {
        vec![0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5]
    };
    let high: Vec<f64> = if quick {
        vec![4.0, 6.0]
    } else {
        vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    };
    let trajectories: i64 = if quick { 2000 } else { 10000 };
    let noises: [(&str, &str, Fields, i64); 3] = [
        (
            "Langevin (D0 = 0.6)",
            "langevin",
            vec![("d0", 0.6.into())],
            20_000_000,
        ),
        (
            "power-law-loss, Itô (D0 = 0.6, k = 2)",
            "power-law-loss",
            vec![
                ("d0", 0.6.into()),
                ("k", 2.0.into()),
                ("interpretation", "ito".into()),
            ],
            3_000_000,
        ),
        (
            "alpha-stable (a = 1.5, sigma = 0.5)",
            "alpha-stable",
            vec![("index", 1.5.into()), ("sigma", 0.5.into())],
            3_000_000,
        ),
    ];
    noises
        .into_iter()
        .enumerate()
        .map(|(i, (label, kind, fields, max_steps))| {
            let mut heights = heights.clone();
            if kind != "alpha-stable" {
                heights.extend(&high);
            }
            let experiment = ExperimentBuilder::new(label)
                .set("seed", 1 + i)
                .set("dt", 0.01)
                .set("max_steps", max_steps)
                .set("trajectories", trajectories)
                .potential(
                    "barrier",
                    &[
                        ("curvature_min", 1.0.into()),
                        ("curvature_top", 2.0.into()),
                        ("height", heights.into()),
                    ],
                )
                .noise(kind, &fields)
                .exit("top", &[])
                .build("built-in escape sweep")
                .expect("valid built-in sweep");
            Dynamic {
                label: label.to_string(),
                experiment,
            }
        })
        .collect()
}

/// A sweep from one experiment file whose cases differ in `potential.height`.
pub fn file_sweep(experiment: Experiment) -> Result<Vec<Dynamic>> {
    let has_height = experiment
        .cases
        .iter()
        .all(|c| c.params.iter().any(|(k, _)| k == "potential.height"));
    if !has_height {
        return Err(Error::invalid(
            "potential.kind",
            format!("{:?}", experiment.shape.potential.name()),
            "\"barrier\" or \"double-well\" (kramers escape plots against potential.height)",
        ));
    }
    Ok(vec![Dynamic {
        label: experiment.name.clone(),
        experiment,
    }])
}

fn height_of(params: &[(String, ParamValue)]) -> f64 {
    params
        .iter()
        .find_map(|(k, v)| match (k.as_str(), v) {
            ("potential.height", ParamValue::Number(h)) => Some(*h),
            _ => None,
        })
        .unwrap_or(f64::NAN)
}

/// The low-noise asymptote of a case's mean time to reach the top, where one applies.
pub fn asymptote(case: &crate::spec::CaseModel) -> Option<(f64, &'static str)> {
    let PotentialParams::Barrier(barrier) = case.potential else {
        return None;
    };
    let Barrier {
        curvature_min: ha,
        curvature_top: hb,
        height,
        minimum,
    } = barrier;
    match case.noise.clone() {
        NoiseParams::Langevin(Langevin { d0 }) => {
            Some((theory::kramers_top_time(ha, hb, height, d0), "Kramers"))
        }
        NoiseParams::PowerLawLoss(PowerLawLoss { d0, k }) => {
            let t = theory::power_law_loss_factorized_time(
                ha,
                hb,
                height,
                d0,
                k,
                case.interpretation.alpha(),
            );
            t.is_finite().then_some((t, "Lemma 6 (factorized)"))
        }
        NoiseParams::AlphaStable(AlphaStable { index, sigma, .. }) => {
            let (_, top) = barrier.geometry();
            let t = theory::levy_exit_time(index, sigma, f64::INFINITY, top - minimum);
            Some((t, "Imkeller–Pavlyukevich"))
        }
        // Centred at the minimum without a linear term, D = D0 + D2 y^2 equals
        // D0 + k L with k = 2 D2 / Ha in the well: Lemma 6's form with that k.
        NoiseParams::PowerLaw(PowerLaw {
            d0,
            rho,
            d2,
            center,
        }) if rho == 0.0 && center == minimum => {
            let t = theory::power_law_loss_factorized_time(
                ha,
                hb,
                height,
                d0,
                2.0 * d2 / ha,
                case.interpretation.alpha(),
            );
            t.is_finite().then_some((t, "Lemma 6 (k = 2 D2/Ha)"))
        }
        NoiseParams::PowerLaw(PowerLaw { .. })
        | NoiseParams::Sgd(Sgd { .. })
        | NoiseParams::ExprNoise(_) => None,
    }
}

/// Whether case `case` of `experiment` is estimated by splitting: its exact
/// mean escape is known and beyond [`DIRECT_BUDGET_STEPS`].
pub fn by_splitting(case: &crate::spec::CaseModel) -> bool {
    model1d::exact_mfpt(case).is_some_and(|t| t / case.dt > DIRECT_BUDGET_STEPS)
}

/// How a sweep treats heights beyond the direct budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Simulate every height directly (the paper's figures, as the paper did).
    Direct,
    /// Estimate heights whose exact escape is beyond [`DIRECT_BUDGET_STEPS`] by splitting.
    Split,
}

/// Run every dynamic (one batched run each for the direct heights, splitting
/// for the others with [`Method::Split`]) and collect the points in height
/// order; `cancel` as in [`crate::run::RunOptions`].
pub fn run(
    dynamics: &[Dynamic],
    method: Method,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<(Vec<EscapePoint>, String)> {
    let mut points = Vec::new();
    let mut device = String::new();
    let mut engine: Option<crate::backend::engine::Engine> = None;
    for dynamic in dynamics {
        let (rare_cases, direct_cases): (Vec<_>, Vec<_>) = dynamic
            .experiment
            .cases
            .iter()
            .cloned()
            .partition(|c| method == Method::Split && by_splitting(&c.model));
        let mut mine = Vec::new();
        if !rare_cases.is_empty() {
            let mut experiment = dynamic.experiment.clone();
            experiment.cases = rare_cases;
            if experiment.rare.is_none() {
                experiment.rare =
                    Some(crate::rare::RareFile::default().validate(experiment.shape.dim)?);
            }
            if engine.is_none() {
                engine = Some(crate::backend::engine::Engine::open(choice, None, notice)?);
            }
            let backend = engine.as_ref().expect("opened");
            let options = crate::run::RunOptions {
                cancel,
                ..Default::default()
            };
            let prepared = crate::run::Prepared::new(experiment);
            let crate::run::Outcome::Split(result) = crate::run::run(&prepared, backend, options)?
            else {
                unreachable!("an experiment with a [rare] table is split")
            };
            let experiment = prepared.experiment;
            device = format!(
                "{} ({})",
                crate::backend::Backend::backend(backend),
                crate::backend::Backend::device(backend)
            );
            for (case, rare) in experiment.cases.iter().zip(&result.cases) {
                let r = &rare.rare;
                let exact = model1d::exact_mfpt(&case.model);
                let asymptote = asymptote(&case.model);
                let mfpt = r.mfpt.unwrap_or(f64::INFINITY);
                mine.push((
                    case.index,
                    EscapePoint {
                        dynamic: dynamic.label.clone(),
                        method: "ams".into(),
                        height: height_of(&case.params),
                        steps: r.steps,
                        trajectories: 0,
                        escaped: 0,
                        mfpt,
                        ci95: r.ci95.unwrap_or([0.0, f64::INFINITY]),
                        censored: false,
                        exact,
                        asymptote: asymptote.map(|a| a.0),
                        asymptote_name: asymptote.map(|a| a.1.to_string()),
                        z: match (exact, r.standard_error) {
                            (Some(e), Some(se)) if se > 0.0 => Some((mfpt - e) / se),
                            _ => None,
                        },
                    },
                ));
            }
        }
        if direct_cases.is_empty() {
            points.extend(mine.into_iter().map(|(_, p)| p));
            continue;
        }
        let mut experiment = dynamic.experiment.clone();
        experiment.cases = direct_cases;
        experiment.rare = None;
        let output = crate::run::run_on(&experiment, choice, progress, notice, cancel)?
            .direct("the escape sweep's direct heights")?
            .output;
        device = format!("{} ({})", output.backend, output.device);
        for (case, tally) in experiment.cases.iter().zip(&output.tallies) {
            let stats = escape_stats(tally, case.model.dt, experiment.max_steps);
            let (mfpt, ci95, censored, se) = stats.mfpt_estimate();
            let exact = model1d::exact_mfpt(&case.model);
            let asymptote = asymptote(&case.model);
            mine.push((
                case.index,
                EscapePoint {
                    dynamic: dynamic.label.clone(),
                    method: "direct".into(),
                    height: height_of(&case.params),
                    steps: tally.trajectory_steps(experiment.max_steps),
                    trajectories: tally.trajectories,
                    escaped: tally.escaped,
                    mfpt,
                    ci95,
                    censored,
                    exact,
                    asymptote: asymptote.map(|a| a.0),
                    asymptote_name: asymptote.map(|a| a.1.to_string()),
                    z: match (exact, se) {
                        (Some(e), Some(se)) if se > 0.0 => Some((mfpt - e) / se),
                        _ => None,
                    },
                },
            ));
        }
        mine.sort_by_key(|(index, _)| *index);
        points.extend(mine.into_iter().map(|(_, p)| p));
    }
    Ok((points, device))
}

/// A theory curve of a dynamic over barrier heights.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// Label of the dynamic.
    pub dynamic: String,
    /// `"exact"` or the asymptote's name.
    pub kind: String,
    /// `(height, mean escape time)` on 61 heights spanning the sweep's, in time units.
    pub points: Vec<(f64, f64)>,
}

/// Exact and asymptotic curves of each dynamic on a fine grid of heights
/// spanning the sweep's own.
pub fn curves(dynamics: &[Dynamic]) -> Vec<Curve> {
    let mut out = Vec::new();
    for dynamic in dynamics {
        let cases = &dynamic.experiment.cases;
        let heights: Vec<f64> = cases.iter().map(|c| height_of(&c.params)).collect();
        let (lo, hi) = heights
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &h| {
                (a.min(h), b.max(h))
            });
        if !(lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let mut exact = Vec::new();
        let mut asymptotic = Vec::new();
        let mut asymptote_name = String::new();
        for i in 0..=60 {
            let height = lo + (hi - lo) * i as f64 / 60.0;
            let mut model = cases[0].model.clone();
            let PotentialParams::Barrier(barrier) = model.potential else {
                break;
            };
            let barrier = Barrier { height, ..barrier };
            model.potential = PotentialParams::Barrier(barrier);
            let (_, top) = barrier.geometry();
            model.exit = crate::spec::ExitParams::HalfSpace(HalfSpace {
                normal: vec![1.0],
                threshold: top,
            });
            if let Some(t) = model1d::exact_mfpt(&model) {
                exact.push((height, t));
            }
            if let Some((t, name)) = asymptote(&model) {
                asymptotic.push((height, t));
                asymptote_name = name.to_string();
            }
        }
        for (kind, points) in [("exact".to_string(), exact), (asymptote_name, asymptotic)] {
            if !points.is_empty() {
                out.push(Curve {
                    dynamic: dynamic.label.clone(),
                    kind,
                    points,
                });
            }
        }
    }
    out
}

/// How the mean escape time of one dynamic grows with the barrier height:
/// least-squares slopes of `ln MFPT` against `dL` (exponential, Kramers) and
/// against `ln dL` (polynomial, Lemma 6), for the Monte Carlo points and for
/// the exact values at the same heights. The better fit (larger R^2) tells the
/// growth law.
#[derive(Clone, Debug, Serialize)]
pub struct GrowthFit {
    /// Label of the dynamic.
    pub dynamic: String,
    /// Points fitted: the dynamic's points with positive height and MFPT (at least 3).
    pub heights: usize,
    /// d ln MFPT / d dL, its standard error and R^2.
    pub exponential_slope: f64,
    /// Standard error of `exponential_slope`.
    pub exponential_slope_se: f64,
    /// R^2 of the exponential fit.
    pub exponential_r2: f64,
    /// d ln MFPT / d ln dL, its standard error and R^2.
    pub power_slope: f64,
    /// Standard error of `power_slope`.
    pub power_slope_se: f64,
    /// R^2 of the polynomial fit.
    pub power_r2: f64,
    /// The same two slopes of the exact quadrature values, where every point has one.
    pub exact_exponential_slope: Option<f64>,
    /// `power_slope` of the exact values; None when some point has none.
    pub exact_power_slope: Option<f64>,
}

impl GrowthFit {
    /// `"exponential"` or `"polynomial"`: the model with the larger R^2.
    pub fn growth(&self) -> &'static str {
        if self.exponential_r2 >= self.power_r2 {
            "exponential"
        } else {
            "polynomial"
        }
    }
}

/// Ordinary least squares of `y` on `x`: (slope, its standard error, R^2).
pub fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let slope = sxy / sxx;
    let residual = (syy - slope * sxy).max(0.0);
    let se = if n > 2.0 {
        (residual / (n - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    let r2 = if syy > 0.0 { 1.0 - residual / syy } else { 1.0 };
    (slope, se, r2)
}

/// One growth fit per dynamic with at least three positive heights.
pub fn growth_fits(points: &[EscapePoint]) -> Vec<GrowthFit> {
    let mut names: Vec<&str> = Vec::new();
    for p in points {
        if !names.contains(&p.dynamic.as_str()) {
            names.push(&p.dynamic);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let mine: Vec<&EscapePoint> = points
                .iter()
                .filter(|p| p.dynamic == name && p.height > 0.0 && p.mfpt > 0.0)
                .collect();
            if mine.len() < 3 {
                return None;
            }
            let h: Vec<f64> = mine.iter().map(|p| p.height).collect();
            let log_h: Vec<f64> = h.iter().map(|v| v.ln()).collect();
            let log_t: Vec<f64> = mine.iter().map(|p| p.mfpt.ln()).collect();
            let (es, ese, er2) = least_squares(&h, &log_t);
            let (ps, pse, pr2) = least_squares(&log_h, &log_t);
            let exact: Option<Vec<f64>> = mine.iter().map(|p| p.exact.map(f64::ln)).collect();
            Some(GrowthFit {
                dynamic: name.to_string(),
                heights: mine.len(),
                exponential_slope: es,
                exponential_slope_se: ese,
                exponential_r2: er2,
                power_slope: ps,
                power_slope_se: pse,
                power_r2: pr2,
                exact_exponential_slope: exact.as_ref().map(|e| least_squares(&h, e).0),
                exact_power_slope: exact.as_ref().map(|e| least_squares(&log_h, e).0),
            })
        })
        .collect()
}

/// Lemma 6 at large barriers: the slope of `ln MFPT` against
/// `ln(1 + k dL / D0)` over the upper half of a power-law-loss dynamic's
/// heights, beside the exponent `kappa - alpha + 1/2` (`kappa = 2 / k`) that
/// the exact MFPT approaches (docs/theory.md §5.6).
#[derive(Clone, Debug, Serialize)]
pub struct Lemma6Slope {
    /// Label of the power-law-loss dynamic.
    pub dynamic: String,
    /// The heights fitted.
    pub heights: Vec<f64>,
    /// Least-squares slope of `ln MFPT` against `ln(1 + k dL / D0)` over `heights`.
    pub slope: f64,
    /// Standard error of `slope`.
    pub slope_se: f64,
    /// The same slope of the exact values at those heights.
    pub exact_slope: Option<f64>,
    /// The exponent `kappa - alpha + 1/2` that the exact MFPT's slope approaches.
    pub exponent: f64,
}

/// One [`Lemma6Slope`] per power-law-loss dynamic with at least three heights in its upper half.
pub fn lemma6_slopes(dynamics: &[Dynamic], points: &[EscapePoint]) -> Vec<Lemma6Slope> {
    let mut out = Vec::new();
    for dynamic in dynamics {
        let Some(case) = dynamic.experiment.cases.first() else {
            continue;
        };
        let NoiseParams::PowerLawLoss(PowerLawLoss { d0, k }) = case.model.noise else {
            continue;
        };
        let mut mine: Vec<&EscapePoint> = points
            .iter()
            .filter(|p| p.dynamic == dynamic.label && p.mfpt.is_finite() && p.mfpt > 0.0)
            .collect();
        mine.sort_by(|a, b| a.height.total_cmp(&b.height));
        let upper = &mine[mine.len() / 2..];
        if upper.len() < 3 {
            continue;
        }
        let x: Vec<f64> = upper
            .iter()
            .map(|p| (1.0 + k * p.height / d0).ln())
            .collect();
        let y: Vec<f64> = upper.iter().map(|p| p.mfpt.ln()).collect();
        let (slope, slope_se, _) = least_squares(&x, &y);
        let exact: Option<Vec<f64>> = upper.iter().map(|p| p.exact.map(f64::ln)).collect();
        out.push(Lemma6Slope {
            dynamic: dynamic.label.clone(),
            heights: upper.iter().map(|p| p.height).collect(),
            slope,
            slope_se,
            exact_slope: exact.map(|e| least_squares(&x, &e).0),
            exponent: theory::power_law_growth_exponent(2.0 / k, case.model.interpretation.alpha()),
        });
    }
    out
}

/// Kramers' law at large barriers: a Langevin dynamic's points and exact
/// curve times `exp(-2 dL / D0)`, which tend to the prefactor
/// `pi / sqrt(Ha Hb)` of the mean time to the top (docs/theory.md §5.5).
#[derive(Clone, Debug, Serialize)]
pub struct PrefactorSeries {
    /// Label of the Langevin dynamic.
    pub dynamic: String,
    /// `(height, MFPT exp(-2 dL/D0), its 95% interval)` per point.
    pub points: Vec<(f64, f64, [f64; 2])>,
    /// The exact curve, scaled alike.
    pub exact: Vec<(f64, f64)>,
    /// The limit `pi / sqrt(Ha Hb)` of the scaled mean time to the top (time units).
    pub prefactor: f64,
}

/// One [`PrefactorSeries`] per Langevin dynamic over a `barrier`.
pub fn prefactor_series(
    dynamics: &[Dynamic],
    points: &[EscapePoint],
    curves: &[Curve],
) -> Vec<PrefactorSeries> {
    let mut out = Vec::new();
    for dynamic in dynamics {
        let Some(case) = dynamic.experiment.cases.first() else {
            continue;
        };
        let NoiseParams::Langevin(Langevin { d0 }) = case.model.noise else {
            continue;
        };
        let PotentialParams::Barrier(barrier) = case.model.potential else {
            continue;
        };
        let scale = |h: f64| (-2.0 * h / d0).exp();
        out.push(PrefactorSeries {
            dynamic: dynamic.label.clone(),
            points: points
                .iter()
                .filter(|p| p.dynamic == dynamic.label && p.mfpt.is_finite())
                .map(|p| {
                    let s = scale(p.height);
                    (p.height, p.mfpt * s, [p.ci95[0] * s, p.ci95[1] * s])
                })
                .collect(),
            exact: curves
                .iter()
                .filter(|c| c.dynamic == dynamic.label && c.kind == "exact")
                .flat_map(|c| c.points.iter().map(|&(h, t)| (h, t * scale(h))))
                .collect(),
            prefactor: theory::kramers_top_time(
                barrier.curvature_min,
                barrier.curvature_top,
                0.0,
                d0,
            ),
        });
    }
    out
}

/// The sweep of `kramers escape`: the file's cases (which sweep
/// `potential.height`), or the built-in sweep.
pub fn sweep_of(file: Option<&std::path::Path>, quick: bool) -> Result<Vec<Dynamic>> {
    match file {
        Some(path) => file_sweep(Experiment::from_path(path)?),
        None => Ok(default_sweep(quick)),
    }
}

/// The trajectories a sweep simulates directly (what a progress bar counts;
/// split heights take a second or so each).
pub fn direct_trajectories(dynamics: &[Dynamic]) -> u64 {
    dynamics
        .iter()
        .map(|d| {
            let direct = d
                .experiment
                .cases
                .iter()
                .filter(|c| !by_splitting(&c.model));
            direct.count() as u64 * d.experiment.range.len() as u64
        })
        .sum()
}

/// A finished escape study: the points, their theory and fits.
pub struct EscapeStudy {
    /// The device the runs ran on.
    pub device: String,
    /// Every point, dynamic after dynamic, each dynamic's in case order.
    pub points: Vec<EscapePoint>,
    /// Exact and asymptotic curves of each dynamic over its heights.
    pub curves: Vec<Curve>,
    /// Growth fit of each dynamic with at least three points of positive height and MFPT.
    pub growth: Vec<GrowthFit>,
    /// The large-barrier comparisons: Lemma 6 slopes and Kramers prefactor series.
    pub large: report::LargeBarriers,
}

/// Run the sweep `dynamics` (splitting beyond the direct budget) and fit it.
pub fn study(
    dynamics: &[Dynamic],
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<EscapeStudy> {
    let (points, device) = run(dynamics, Method::Split, choice, progress, notice, cancel)?;
    let curves = curves(dynamics);
    let growth = growth_fits(&points);
    let large = report::LargeBarriers::of(dynamics, &points, &curves);
    Ok(EscapeStudy {
        device,
        points,
        curves,
        growth,
        large,
    })
}

impl super::Study for EscapeStudy {
    fn device(&self) -> &str {
        &self.device
    }

    /// The points, the growth fits, Lemma 6's slopes.
    fn table(&self) -> String {
        let mut text = report::escape_table(&self.points);
        text.push_str(&report::growth_table(&self.growth));
        text.push_str(&report::lemma6_table(&self.large.lemma6));
        text
    }

    /// The text of escape.json.
    fn json(&self) -> String {
        report::escape_json(
            &self.device,
            &self.points,
            &self.curves,
            &self.growth,
            &self.large,
        )
    }

    /// Write escape.csv, escape.json, escape.png, escape.svg (and the
    /// prefactor plot when there is one) into `out`; returns their names.
    fn write(&self, out: &std::path::Path) -> Result<Vec<String>> {
        report::write_escape(
            out,
            &Default::default(),
            &self.device,
            &self.points,
            &self.curves,
            &self.growth,
            &self.large,
        )?;
        let mut names: Vec<String> = ["escape.csv", "escape.json", "escape.png", "escape.svg"]
            .map(String::from)
            .into();
        if !self.large.prefactor.is_empty() {
            names.extend(["escape-prefactor.png", "escape-prefactor.svg"].map(String::from));
        }
        Ok(names)
    }
}
