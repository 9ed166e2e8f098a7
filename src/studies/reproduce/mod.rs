//! The paper's experiments (`kramers reproduce`): Figure 10 / Appendix 7.5.5
//! (mean escape time against barrier height, GLD vs PLD) and Figure 4 / §5.2
//! (success rate of leaving a basin of the 2-D loss in 500 iterations: SGD,
//! GLD and PLD with noise matched to the minibatch gradient covariance).

use crate::analysis::model1d;
use crate::studies::escape::Dynamic;

pub mod fig4_report;
use crate::backend::{BackendChoice, Progress};
use crate::error::Result;
use crate::spec::{paper_data_set, Experiment};
use crate::spec::{ExperimentBuilder, Field, Fields};
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF};

/// Figure 10's learning rate, noise levels and fixed curvatures.
pub const FIG10_ETA: f64 = 0.1;
/// GLD's noise level `sigma`: `D0 = eta sigma^2`.
pub const FIG10_SIGMA: f64 = 4.0;
/// PLD's `lambda1`: `D2 = D0 lambda1` in `D = D0 + D2 y^2`.
pub const FIG10_LAMBDA1: f64 = 1.0;
/// PLD's `lambda2`: `D0 = eta lambda2^2`.
pub const FIG10_LAMBDA2: f64 = 4.0;
/// `barrier` curvatures (the paper's 1-D loss is not legible; see README).
pub const FIG10_CURVATURE: f64 = 1.0;
/// The small step of the continuous-time check, where the exact quadrature applies.
pub const FIG10_CHECK_DT: f64 = 0.0025;

/// Figure 10 as two sweeps: `paper` at the paper's `eta = 0.1` (each update
/// `w' = w - eta L' + eta sigma xi`, i.e. Euler–Maruyama with `dt = eta`,
/// `D = eta sigma^2`), and `check`: the same two SDEs at `dt = 0.0025` with the
/// Brownian-bridge exit, where Monte Carlo must sit on the exact quadrature.
pub struct Fig10 {
    /// GLD and PLD at the paper's step `dt = eta`, once-per-step exit check.
    pub paper: Vec<Dynamic>,
    /// The same two SDEs at `dt = FIG10_CHECK_DT` with the Brownian-bridge exit.
    pub check: Vec<Dynamic>,
}

/// The largest step count a sweep needs: 40 exact mean times at the highest
/// barrier (the chance that an exponential time exceeds that is e^-40).
fn step_budget(experiment: &Experiment, dt: f64) -> u64 {
    let longest = experiment
        .cases
        .iter()
        .filter_map(|c| model1d::exact_mfpt(&c.model))
        .fold(0.0, f64::max);
    ((40.0 * longest / dt) as u64).clamp(1000, 1_000_000_000)
}

/// Figure 10's sweeps; `quick`: fewer heights (5 and 2, not 8 and 3) and 2000
/// trajectories per height instead of 10000.
pub fn fig10(quick: bool) -> Fig10 {
    let heights: &[f64] = if quick {
        &[1.0, 2.0, 3.0, 4.0, 5.0]
    } else {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    };
    let check_heights: &[f64] = if quick { &[1.0, 2.0] } else { &[1.0, 2.0, 3.0] };
    let trajectories: i64 = if quick { 2000 } else { 10_000 };
    let d0 = FIG10_ETA * FIG10_SIGMA * FIG10_SIGMA;
    let pld_d0 = FIG10_ETA * FIG10_LAMBDA2 * FIG10_LAMBDA2;
    let pld_d2 = pld_d0 * FIG10_LAMBDA1;
    let noises: [(String, &str, Fields); 2] = [
        (
            format!("GLD (sigma = {FIG10_SIGMA})"),
            "langevin",
            vec![("d0", d0.into())],
        ),
        (
            format!("PLD (lambda1 = {FIG10_LAMBDA1}, lambda2 = {FIG10_LAMBDA2})"),
            "power-law",
            vec![
                ("d0", pld_d0.into()),
                ("d2", pld_d2.into()),
                ("center", 0.0.into()),
                ("interpretation", "ito".into()),
            ],
        ),
    ];
    let build = |label: &str,
                 noise: &(String, &str, Fields),
                 dt: f64,
                 heights: &[f64],
                 bridge: bool,
                 seed: usize| {
        let experiment = |max_steps: u64| {
            ExperimentBuilder::new(label)
                .set("seed", seed)
                .set("dt", dt)
                .set("max_steps", max_steps as i64)
                .set("trajectories", trajectories)
                .potential(
                    "barrier",
                    &[
                        ("curvature_min", FIG10_CURVATURE.into()),
                        ("curvature_top", FIG10_CURVATURE.into()),
                        ("height", heights.into()),
                    ],
                )
                .noise(noise.1, &noise.2)
                .exit("top", &[("bridge", bridge.into())])
                .build("fig10")
                .expect("valid built-in experiment")
        };
        let budget = step_budget(&experiment(1000), dt);
        Dynamic {
            label: label.to_string(),
            experiment: experiment(budget),
        }
    };
    let paper = noises
        .iter()
        .enumerate()
        .map(|(i, noise)| build(&noise.0, noise, FIG10_ETA, heights, false, 10 + i))
        .collect();
    let check = noises
        .iter()
        .enumerate()
        .map(|(i, noise)| {
            build(
                &format!("{}, dt = {FIG10_CHECK_DT}, bridge", noise.0),
                noise,
                FIG10_CHECK_DT,
                check_heights,
                true,
                20 + i,
            )
        })
        .collect();
    Fig10 { paper, check }
}

/// Figure 4's learning rate, iterations, batch size and PLD grid.
pub const FIG4_ETA: f64 = 0.025;
/// Iterations per run (`max_steps`): a success leaves the basin within them.
pub const FIG4_ITERATIONS: u32 = 500;
/// SGD's minibatch size `B`.
pub const FIG4_BATCH: u32 = 2;
/// The paper's grid 16..36, extended by 40 and 44 so that the crossing with SGD on 0.9 L is inside.
pub const FIG4_LAMBDA1: [f64; 8] = [16.0, 20.0, 24.0, 28.0, 32.0, 36.0, 40.0, 44.0];
/// Loss scales: 15 for L and 13.5 for 0.9 L.
pub const FIG4_SCALES: [f64; 2] = [15.0, 13.5];
/// Seed of every Figure 4 run and of its data set.
pub const FIG4_SEED: u32 = 4;
/// Points in Figure 4's 2-D data set.
pub const FIG4_DATA_SIZE: usize = 100;
/// Variance of each coordinate of the data points (`x_i ~ N(0, variance I_2)`).
pub const FIG4_DATA_VARIANCE: f64 = 0.01;

/// `d/dy |y-1|^2.5 |y+1|^3` (docs/theory.md §3), f64.
fn term_gradient(y: f64) -> f64 {
    let (p, q) = (y - 1.0, y + 1.0);
    p.abs().sqrt() * p * q.abs() * (2.5 * q * q + 3.0 * p * q)
}

/// The zero of an averaged coordinate gradient between `lo` and `hi` (sign change).
fn gradient_zero(points: &[f64], mut lo: f64, mut hi: f64) -> f64 {
    let g = |w: f64| points.iter().map(|d| term_gradient(w - d)).sum::<f64>();
    let sign_lo = g(lo) > 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (g(mid) > 0.0) == sign_lo {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The geometry of Figure 4's data set: where the runs start, where they have
/// left, and the noise level that matches SGD's.
#[derive(Clone, Debug, Serialize)]
pub struct Fig4Setup {
    /// Seed of every run and of the data set ([`FIG4_SEED`]).
    pub seed: u32,
    /// Points in the data set.
    pub data_size: usize,
    /// SGD's minibatch size `B`.
    pub batch: u32,
    /// Learning rate: the step `dt` of every run.
    pub eta: f64,
    /// Iterations per run (`max_steps`).
    pub iterations: u32,
    /// The flat minimum near (-1, -1) of this data set (where every run starts).
    pub minimum: [f64; 2],
    /// The ridge between the basins per coordinate: leaving the basin is `w_j > ridge_j`.
    pub ridge: [f64; 2],
    /// Per loss scale: Tr Cov of one sample's gradient at the minimum and the
    /// matched lambda2 = sqrt(Tr Cov / (2 B)).
    pub scales: Vec<(f64, f64, f64)>,
}

/// The setup of Figure 4 on the 2-D data set `data` (coordinate-major): its flat
/// minimum, its ridge and the noise levels matched to SGD.
pub fn fig4_setup(data: &[f32]) -> Fig4Setup {
    let n = data.len() / 2;
    let coords: Vec<Vec<f64>> = (0..2)
        .map(|c| data[c * n..(c + 1) * n].iter().map(|&v| v as f64).collect())
        .collect();
    let minimum = [0, 1].map(|c| gradient_zero(&coords[c], -1.5, -0.5));
    let ridge = [0, 1].map(|c| gradient_zero(&coords[c], -0.5, 0.6));
    let scales = FIG4_SCALES
        .iter()
        .map(|&scale| {
            let trace: f64 = (0..2)
                .map(|c| {
                    let g: Vec<f64> = coords[c]
                        .iter()
                        .map(|d| scale * term_gradient(minimum[c] - d))
                        .collect();
                    let mean = g.iter().sum::<f64>() / n as f64;
                    g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64
                })
                .sum();
            (scale, trace, (trace / (2.0 * FIG4_BATCH as f64)).sqrt())
        })
        .collect();
    Fig4Setup {
        seed: FIG4_SEED,
        data_size: n,
        batch: FIG4_BATCH,
        eta: FIG4_ETA,
        iterations: FIG4_ITERATIONS,
        minimum,
        ridge,
        scales,
    }
}

/// A Figure 4 experiment: the paper-2d loss at `scale`, started at the flat
/// minimum, leaving its basin box, under `noise`.
fn fig4_experiment(
    setup: &Fig4Setup,
    trajectories: u32,
    scale: Field,
    noise: (&str, &[(&str, Field)]),
) -> Experiment {
    ExperimentBuilder::new("fig4")
        .set("seed", setup.seed)
        .set("dim", 2i64)
        .set("dt", setup.eta)
        .set("max_steps", setup.iterations)
        .set("trajectories", trajectories)
        .set("start_point", setup.minimum.as_slice())
        .potential(
            "paper-2d",
            &[
                ("data_size", setup.data_size.into()),
                ("data_variance", FIG4_DATA_VARIANCE.into()),
                ("scale", scale),
            ],
        )
        .noise(noise.0, noise.1)
        .exit(
            "box",
            &[
                ("lower", vec![f64::NEG_INFINITY; 2].into()),
                ("upper", setup.ridge.as_slice().into()),
            ],
        )
        .build("fig4")
        .expect("valid built-in experiment")
}

/// One point of Figure 4.
#[derive(Clone, Debug, Serialize)]
pub struct SuccessPoint {
    /// The loss scale (15 for L, 13.5 for 0.9 L).
    pub scale: f64,
    /// `"SGD"`, `"GLD"` or `"PLD"`.
    pub dynamic: String,
    /// PLD's `lambda1` (`D2 = D0 lambda1`); 0 for GLD, None for SGD.
    pub lambda1: Option<f64>,
    /// The noise level matched to SGD (`D0 = eta lambda2^2`); None for SGD.
    pub lambda2: Option<f64>,
    /// Runs started at the flat minimum.
    pub trajectories: u64,
    /// Runs that left the basin within [`FIG4_ITERATIONS`] iterations.
    pub escaped: u64,
    /// Success rate `escaped / trajectories`.
    pub rate: f64,
    /// Clopper–Pearson 95% interval.
    pub ci95: [f64; 2],
}

/// Where PLD's success rate equals SGD's, on one loss.
#[derive(Clone, Debug, Serialize)]
pub struct Crossing {
    /// The loss scale (15 for L, 13.5 for 0.9 L).
    pub scale: f64,
    /// Linear interpolation of the PLD rates at SGD's rate; `None` outside the grid.
    pub lambda1: Option<f64>,
    /// Where PLD's upper bound meets SGD's lower bound, and PLD's lower bound
    /// meets SGD's upper bound; `None` beyond the grid.
    pub interval: [Option<f64>; 2],
}

/// Figure 4's result: the setup, the success rate of every case and the crossings.
#[derive(Clone, Debug, Serialize)]
pub struct Fig4 {
    /// The data set's geometry and the matched noise levels.
    pub setup: Fig4Setup,
    /// One point per case: SGD on both losses, then GLD and PLD on each loss.
    pub points: Vec<SuccessPoint>,
    /// Where PLD's success rate meets SGD's, one per loss scale.
    pub crossings: Vec<Crossing>,
    /// The backend and device that ran, as `backend (device)`.
    pub device: String,
}

/// Clopper–Pearson interval of `k` successes in `n` trials.
pub fn clopper_pearson(k: u64, n: u64, confidence: f64) -> [f64; 2] {
    let tail = (1.0 - confidence) / 2.0;
    let lo = if k == 0 {
        0.0
    } else {
        Beta::new(k as f64, (n - k + 1) as f64)
            .expect("valid beta")
            .inverse_cdf(tail)
    };
    let hi = if k == n {
        1.0
    } else {
        Beta::new((k + 1) as f64, (n - k) as f64)
            .expect("valid beta")
            .inverse_cdf(1.0 - tail)
    };
    [lo, hi]
}

/// The first `x` where the piecewise-linear `(x, y)` reaches `level` going up.
fn crossing(curve: &[(f64, f64)], level: f64) -> Option<f64> {
    curve.windows(2).find_map(|w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (y0 <= level && level <= y1 && y1 > y0).then(|| x0 + (x1 - x0) * (level - y0) / (y1 - y0))
    })
}

/// The label of one case of Figure 4: loss scale, dynamic, lambda1, lambda2.
pub type Fig4Label = (f64, &'static str, Option<f64>, Option<f64>);

/// The experiments of Figure 4, each with a label per case: SGD on both losses
/// (one batch), then per loss GLD (lambda1 = 0) and PLD (one batch each).
pub fn fig4_experiments(quick: bool) -> (Fig4Setup, Vec<(Experiment, Vec<Fig4Label>)>) {
    let trajectories = if quick { 2000 } else { 100_000 };
    // the data set every Figure 4 experiment draws from its seed
    let data = paper_data_set(FIG4_SEED, FIG4_DATA_SIZE, FIG4_DATA_VARIANCE);
    let setup = fig4_setup(&data);
    let mut runs = Vec::new();
    let sgd = fig4_experiment(
        &setup,
        trajectories,
        FIG4_SCALES.as_slice().into(),
        ("sgd", &[("batch", setup.batch.into())]),
    );
    let labels = FIG4_SCALES
        .iter()
        .map(|&s| (s, "SGD", None, None))
        .collect();
    runs.push((sgd, labels));
    let center = 0.5 * (setup.minimum[0] + setup.minimum[1]);
    for &(scale, _, lambda2) in &setup.scales {
        let lambda1: Vec<f64> = std::iter::once(0.0).chain(FIG4_LAMBDA1).collect();
        let d0 = setup.eta * lambda2 * lambda2;
        let d2: Vec<f64> = lambda1.iter().map(|l| d0 * l).collect();
        let pld = fig4_experiment(
            &setup,
            trajectories,
            scale.into(),
            (
                "power-law",
                &[
                    ("d0", d0.into()),
                    ("d2", d2.as_slice().into()),
                    ("center", center.into()),
                    ("interpretation", "ito".into()),
                ],
            ),
        );
        let labels = lambda1
            .iter()
            .map(|&l| {
                (
                    scale,
                    if l == 0.0 { "GLD" } else { "PLD" },
                    Some(l),
                    Some(lambda2),
                )
            })
            .collect();
        runs.push((pld, labels));
    }
    (setup, runs)
}

/// Run Figure 4: every experiment of [`fig4_experiments`], then the rates,
/// intervals and crossings.
pub fn fig4(
    quick: bool,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
) -> Result<Fig4> {
    let (setup, runs) = fig4_experiments(quick);
    let mut points = Vec::new();
    let mut device = String::new();
    for (experiment, labels) in &runs {
        let output = crate::run::run_on(experiment, choice, progress, notice, None)?
            .direct("figure 4")?
            .output;
        device = format!("{} ({})", output.backend, output.device);
        for (tally, (scale, dynamic, lambda1, lambda2)) in output.tallies.iter().zip(labels) {
            let n = tally.trajectories;
            points.push(SuccessPoint {
                scale: *scale,
                dynamic: dynamic.to_string(),
                lambda1: *lambda1,
                lambda2: *lambda2,
                trajectories: n,
                escaped: tally.escaped,
                rate: tally.escaped as f64 / n as f64,
                ci95: clopper_pearson(tally.escaped, n, 0.95),
            });
        }
    }
    let crossings = FIG4_SCALES
        .iter()
        .map(|&scale| {
            let sgd = points
                .iter()
                .find(|p| p.scale == scale && p.dynamic == "SGD")
                .expect("SGD point");
            let pld: Vec<&SuccessPoint> = points
                .iter()
                .filter(|p| p.scale == scale && p.dynamic == "PLD")
                .collect();
            let curve = |f: &dyn Fn(&SuccessPoint) -> f64| -> Vec<(f64, f64)> {
                pld.iter()
                    .map(|p| (p.lambda1.unwrap_or(0.0), f(p)))
                    .collect()
            };
            Crossing {
                scale,
                lambda1: crossing(&curve(&|p| p.rate), sgd.rate),
                interval: [
                    crossing(&curve(&|p| p.ci95[1]), sgd.ci95[0]),
                    crossing(&curve(&|p| p.ci95[0]), sgd.ci95[1]),
                ],
            }
        })
        .collect();
    Ok(Fig4 {
        setup,
        points,
        crossings,
        device,
    })
}

/// The trajectories figure 10 simulates (what a progress bar counts).
pub fn fig10_trajectories(fig: &Fig10) -> u64 {
    fig.paper
        .iter()
        .chain(&fig.check)
        .map(|d| d.experiment.total_trajectories())
        .sum()
}

/// Figure 10 run: the paper's dynamics and the continuous-time check.
pub struct Fig10Run {
    /// The backend and device of the paper's runs, as `backend (device)`.
    pub device: String,
    /// The points of the paper's dynamics (`Fig10::paper`).
    pub points: Vec<crate::studies::escape::EscapePoint>,
    /// The points of the continuous-time check (`Fig10::check`).
    pub check: Vec<crate::studies::escape::EscapePoint>,
    /// Exact and asymptotic curves of the paper's dynamics, then the check's exact curves.
    pub curves: Vec<crate::studies::escape::Curve>,
    /// Growth fits of the paper's dynamics.
    pub growth: Vec<crate::studies::escape::GrowthFit>,
}

/// Run figure 10: the paper's dynamics, then the continuous-time check (as
/// the paper: direct runs).
pub fn run_fig10(
    fig: &Fig10,
    choice: BackendChoice,
    progress: Progress<'_>,
    notice: &mut dyn FnMut(&str),
) -> Result<Fig10Run> {
    use crate::studies::escape::{self as sweep, Method};
    let mut run = |dynamics| sweep::run(dynamics, Method::Direct, choice, progress, notice, None);
    let (points, device) = run(&fig.paper)?;
    let (check, _) = run(&fig.check)?;
    let mut curves = sweep::curves(&fig.paper);
    // the continuous-time check's exact values (no shift: bridge)
    curves.extend(
        sweep::curves(&fig.check)
            .into_iter()
            .filter(|c| c.kind == "exact"),
    );
    let growth = sweep::growth_fits(&points);
    Ok(Fig10Run {
        device,
        points,
        check,
        curves,
        growth,
    })
}

impl Fig10Run {
    /// What `kramers reproduce fig10` prints.
    pub fn table(&self) -> String {
        use crate::studies::escape::report::{escape_table, growth_table};
        let mut out = format!(
            "Figure 10: barrier potential, curvatures Ha = Hb = {c}, start at the minimum, eta = dt = {eta}; exact = quadrature at the level shifted for once-per-step monitoring\n",
            c = FIG10_CURVATURE,
            eta = FIG10_ETA
        );
        out.push_str(&escape_table(&self.points));
        out.push_str("growth with the barrier height (slope ± standard error; exact values' slope in parentheses):\n");
        out.push_str(&growth_table(&self.growth));
        out.push_str(&format!(
            "continuous-time check: the same SDEs at dt = {}, Brownian-bridge exit, against the exact quadrature (99% CI: |z| < 2.576):\n",
            FIG10_CHECK_DT
        ));
        out.push_str(&escape_table(&self.check));
        let worst = self.worst_check_z();
        out.push_str(&format!(
            "largest |z| of the check: {worst:.2} ({})\n",
            if worst < 2.576 {
                "within the 99% CI"
            } else {
                "OUTSIDE the 99% CI"
            }
        ));
        out
    }

    /// The largest |z| of the continuous-time check.
    pub fn worst_check_z(&self) -> f64 {
        self.check
            .iter()
            .filter_map(|p| p.z)
            .fold(0.0f64, |a, z| a.max(z.abs()))
    }

    /// Write fig10.csv, fig10.json, fig10.png and fig10.svg into `out`.
    pub fn write(&self, out: &std::path::Path) -> Result<()> {
        use crate::studies::escape::report::{write_escape, EscapeFiles};
        let mut all_points = self.points.clone();
        all_points.extend(self.check.iter().cloned());
        write_escape(
            out,
            &EscapeFiles {
                stem: "fig10",
                title: "Figure 10: mean escape time, GLD vs PLD (eta = 0.1): exact (solid), asymptotes (dashed)",
            },
            &self.device,
            &all_points,
            &self.curves,
            &self.growth,
            &Default::default(),
        )
    }
}

/// The trajectories figure 4 simulates (what a progress bar counts).
pub fn fig4_trajectories(quick: bool) -> u64 {
    let (_, runs) = fig4_experiments(quick);
    runs.iter().map(|r| r.0.total_trajectories()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_known_values() {
        // R: binom.test(3, 10)$conf.int = 0.06673951 0.65245285
        let [lo, hi] = clopper_pearson(3, 10, 0.95);
        assert!((lo - 0.066_739_51).abs() < 1e-6 && (hi - 0.652_452_85).abs() < 1e-6);
        assert_eq!(clopper_pearson(0, 10, 0.95)[0], 0.0);
        assert_eq!(clopper_pearson(10, 10, 0.95)[1], 1.0);
    }

    #[test]
    fn crossing_interpolates_upwards() {
        let curve = [(16.0, 0.1), (20.0, 0.3), (24.0, 0.5)];
        assert!((crossing(&curve, 0.4).unwrap() - 22.0).abs() < 1e-12);
        assert_eq!(crossing(&curve, 0.6), None);
    }

    #[test]
    fn fig4_setup_finds_the_flat_minimum_and_the_ridge() {
        let (setup, runs) = fig4_experiments(true);
        // every experiment draws the data set the setup was computed from
        let data = paper_data_set(FIG4_SEED, FIG4_DATA_SIZE, FIG4_DATA_VARIANCE);
        assert!(runs.iter().all(|(e, _)| e.data_set == data));
        for c in 0..2 {
            assert!((setup.minimum[c] + 1.0).abs() < 0.05, "{:?}", setup.minimum);
            // the ridge of |w-1|^2.5 |w+1|^3 without data noise is at 1/11
            assert!(
                (setup.ridge[c] - 1.0 / 11.0).abs() < 0.05,
                "{:?}",
                setup.ridge
            );
        }
        // 0.9 L scales every gradient by 0.9: trace by 0.81, lambda2 by 0.9
        let (l, l9) = (&setup.scales[0], &setup.scales[1]);
        assert!((l9.1 / l.1 - 0.81).abs() < 1e-12 && (l9.2 / l.2 - 0.9).abs() < 1e-12);
    }
}
