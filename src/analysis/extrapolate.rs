//! Richardson extrapolation of first-passage estimates to `dt -> 0` on
//! coupled paths (docs/theory.md §10): every trajectory runs at `dt` and at
//! `dt/2` on one Brownian path (the coarse step's normal is the sum of the
//! fine run's two, over `sqrt 2`), so the two estimates share most of their
//! noise and their combination costs little variance.
//!
//! With the Brownian bridge the discretization error of the mean
//! first-passage time is first order in `dt` (Gobet 2000) and the estimate is
//! `2 T(dt/2) - T(dt)`; without it the error is of order `sqrt(dt)` and the
//! estimate is `(sqrt 2 T(dt/2) - T(dt)) / (sqrt 2 - 1)`. The estimates are
//! combined, never single paths; since the combination is linear, its
//! standard error is that of the mean of the per-path combination (the
//! paired differences), which keeps the coupling's correlation.

use super::stats::{normal_quantile, student_t_quantile};
use serde::{Deserialize, Serialize};

/// Confidence of every interval below.
pub const CONFIDENCE: f64 = 0.99;

/// Quantiles of the fine run's escape times at which the survival curve is given.
pub const SURVIVAL_POINTS: usize = 20;

/// Per-trajectory first-passage step codes: 0 censored, `u32::MAX` diverged
/// (as [`crate::backend::RunOutput::first_passage`] holds them).
const DIVERGED: u32 = u32::MAX;

/// The order of the discretization error that is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// First order in `dt` (exits with the Brownian bridge): `2 T(dt/2) - T(dt)`.
    First,
    /// Order `sqrt(dt)` (exits checked at the steps only):
    /// `(sqrt 2 T(dt/2) - T(dt)) / (sqrt 2 - 1)`.
    Half,
}

impl Order {
    /// The order that an exit check with (`true`) or without the bridge leaves.
    pub fn of_bridge(bridge: bool) -> Order {
        if bridge {
            Order::First
        } else {
            Order::Half
        }
    }

    /// `(a, b)` of the estimate `a T(dt/2) - b T(dt)`.
    pub fn weights(self) -> (f64, f64) {
        match self {
            Order::First => (2.0, 1.0),
            Order::Half => {
                let r = std::f64::consts::SQRT_2;
                (r / (r - 1.0), 1.0 / (r - 1.0))
            }
        }
    }

    /// How result.json names it.
    pub fn label(self) -> &'static str {
        match self {
            Order::First => "2 T(dt/2) - T(dt)",
            Order::Half => "(sqrt(2) T(dt/2) - T(dt)) / (sqrt(2) - 1)",
        }
    }
}

/// One quantity at `dt`, at `dt/2` and extrapolated, with the interval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Extrapolated {
    /// The estimate of the run at `dt`.
    pub at_dt: f64,
    /// The estimate of the run at `dt/2`.
    pub at_half_dt: f64,
    /// The Richardson estimate of the continuous-time value.
    pub extrapolated: f64,
    /// Its standard error, from the paired (per-trajectory) combination.
    pub standard_error: f64,
    /// Its 99% interval.
    pub ci99: [f64; 2],
}

/// The survival curve `P(T > t)` at `dt`, `dt/2` and extrapolated.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ExtrapolatedCurve {
    /// Times (in time units): quantiles `k / (SURVIVAL_POINTS + 1)` of the
    /// escape times of the run at `dt/2`.
    pub times: Vec<f64>,
    /// `P(T > t)` of the run at `dt`.
    pub at_dt: Vec<f64>,
    /// `P(T > t)` of the run at `dt/2`.
    pub at_half_dt: Vec<f64>,
    /// The Richardson estimate at each time.
    pub extrapolated: Vec<f64>,
    /// Its standard error at each time.
    pub standard_error: Vec<f64>,
}

/// What `result.json` reports of an extrapolated case (the `extrapolation` object).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Extrapolation {
    /// The estimate's form: `"2 T(dt/2) - T(dt)"` with the bridge,
    /// `"(sqrt(2) T(dt/2) - T(dt)) / (sqrt(2) - 1)"` without it.
    pub form: String,
    /// The two steps: `[dt, dt/2]`.
    pub dt: [f64; 2],
    /// Trajectories in the estimates: those that diverged at neither step.
    pub pairs: u64,
    /// Trajectories censored at `dt` and at `dt/2` (same horizon, `max_steps x dt`).
    pub censored: [u64; 2],
    /// Trajectories left out because they diverged at either step.
    pub diverged: u64,
    /// Mean first-passage time; null when a trajectory was censored at either step.
    pub mfpt: Option<Extrapolated>,
    /// Escape rate (escapes per unit of exposure time, censored included).
    pub rate: Option<Extrapolated>,
    /// Survival curve.
    pub survival: ExtrapolatedCurve,
    /// Sample variance of the per-trajectory difference `T(dt/2) - T(dt)`
    /// on the coupled paths; null with censoring.
    pub difference_variance: Option<f64>,
    /// What it would be with independent runs: `var T(dt) + var T(dt/2)`.
    pub independent_difference_variance: Option<f64>,
    /// Trajectory-steps of the runs at `dt` and at `dt/2`.
    pub trajectory_steps: [u64; 2],
}

/// Sample mean and standard error of `values` (two passes).
fn mean_and_se(values: impl Iterator<Item = f64> + Clone) -> (f64, f64, f64) {
    let (n, sum) = values.clone().fold((0u64, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = sum / n as f64;
    let squares: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
    let variance = if n > 1 {
        squares / (n - 1) as f64
    } else {
        f64::NAN
    };
    (mean, (variance / n as f64).sqrt(), variance)
}

/// The 99% interval of an estimate from `n` paired values (Student t).
fn interval(n: u64, estimate: f64, standard_error: f64) -> [f64; 2] {
    if n < 2 || !standard_error.is_finite() {
        return [f64::NAN, f64::NAN];
    }
    let half = student_t_quantile((n - 1) as f64, 0.5 * (1.0 + CONFIDENCE)) * standard_error;
    [estimate - half, estimate + half]
}

/// The extrapolation of one case from the per-trajectory first-passage steps
/// of its coarse run (`coarse`, step `dt`, at most `max_steps`) and its fine
/// run (`fine`, step `dt/2`, at most `2 max_steps`), trajectory by trajectory.
pub fn extrapolate(
    coarse: &[u32],
    fine: &[u32],
    dt: f64,
    max_steps: u32,
    order: Order,
) -> Extrapolation {
    assert_eq!(coarse.len(), fine.len(), "one fine path per coarse path");
    let (a, b) = order.weights();
    let horizon = max_steps as f64 * dt;
    // (time or None when censored) at dt and at dt/2, pairs that diverged at neither
    let pairs: Vec<(Option<f64>, Option<f64>)> = coarse
        .iter()
        .zip(fine)
        .filter(|(&c, &f)| c != DIVERGED && f != DIVERGED)
        .map(|(&c, &f)| {
            let time = |steps: u32, h: f64| (steps != 0).then_some(steps as f64 * h);
            (time(c, dt), time(f, 0.5 * dt))
        })
        .collect();
    let n = pairs.len() as u64;
    let censored = [
        pairs.iter().filter(|p| p.0.is_none()).count() as u64,
        pairs.iter().filter(|p| p.1.is_none()).count() as u64,
    ];
    let trajectory_steps = |steps: &[u32], limit: u32| -> u64 {
        steps
            .iter()
            .map(|&s| match s {
                0 => limit as u64,
                DIVERGED => 0,
                s => s as u64,
            })
            .sum()
    };
    let exposure = |t: Option<f64>| t.unwrap_or(horizon);

    let mfpt = (censored == [0, 0] && n >= 2).then(|| {
        let times = pairs.iter().map(|&(c, f)| (c.unwrap(), f.unwrap()));
        let (at_dt, ..) = mean_and_se(times.clone().map(|(c, _)| c));
        let (at_half_dt, ..) = mean_and_se(times.clone().map(|(_, f)| f));
        let (extrapolated, standard_error, _) = mean_and_se(times.map(|(c, f)| a * f - b * c));
        Extrapolated {
            at_dt,
            at_half_dt,
            extrapolated,
            standard_error,
            ci99: interval(n, extrapolated, standard_error),
        }
    });
    let (difference_variance, independent_difference_variance) = if mfpt.is_some() {
        let times = pairs.iter().map(|&(c, f)| (c.unwrap(), f.unwrap()));
        let (.., difference) = mean_and_se(times.clone().map(|(c, f)| f - c));
        let (.., coarse_variance) = mean_and_se(times.clone().map(|(c, _)| c));
        let (.., fine_variance) = mean_and_se(times.map(|(_, f)| f));
        (Some(difference), Some(coarse_variance + fine_variance))
    } else {
        (None, None)
    };

    // The rate k = escapes / exposure; its influence per trajectory
    // (e_i - k t_i) / mean t gives the delta-method standard error.
    let rate = (n >= 2).then(|| {
        let nf = n as f64;
        let escapes = [(nf - censored[0] as f64), (nf - censored[1] as f64)];
        let exposures = [
            pairs.iter().map(|p| exposure(p.0)).sum::<f64>(),
            pairs.iter().map(|p| exposure(p.1)).sum::<f64>(),
        ];
        let k = [escapes[0] / exposures[0], escapes[1] / exposures[1]];
        let mean_exposure = [exposures[0] / nf, exposures[1] / nf];
        let influence = |t: Option<f64>, side: usize| {
            (t.is_some() as u8 as f64 - k[side] * exposure(t)) / mean_exposure[side]
        };
        let (_, standard_error, _) = mean_and_se(
            pairs
                .iter()
                .map(|&(c, f)| a * influence(f, 1) - b * influence(c, 0)),
        );
        let extrapolated = a * k[1] - b * k[0];
        Extrapolated {
            at_dt: k[0],
            at_half_dt: k[1],
            extrapolated,
            standard_error,
            ci99: interval(n, extrapolated, standard_error),
        }
    });

    let mut escape_times: Vec<f64> = pairs.iter().filter_map(|p| p.1).collect();
    escape_times.sort_by(f64::total_cmp);
    let mut survival = ExtrapolatedCurve::default();
    if escape_times.len() > SURVIVAL_POINTS && n >= 2 {
        for k in 1..=SURVIVAL_POINTS {
            let rank = k * escape_times.len() / (SURVIVAL_POINTS + 1);
            let t = escape_times[rank];
            let above = |time: Option<f64>| time.is_none_or(|time| time > t) as u8 as f64;
            let (at_dt, ..) = mean_and_se(pairs.iter().map(|p| above(p.0)));
            let (at_half_dt, ..) = mean_and_se(pairs.iter().map(|p| above(p.1)));
            let (extrapolated, standard_error, _) =
                mean_and_se(pairs.iter().map(|p| a * above(p.1) - b * above(p.0)));
            survival.times.push(t);
            survival.at_dt.push(at_dt);
            survival.at_half_dt.push(at_half_dt);
            survival.extrapolated.push(extrapolated);
            survival.standard_error.push(standard_error);
        }
    }

    Extrapolation {
        form: order.label().to_string(),
        dt: [dt, 0.5 * dt],
        pairs: n,
        censored,
        diverged: coarse.len() as u64 - n,
        mfpt,
        rate,
        survival,
        difference_variance,
        independent_difference_variance,
        trajectory_steps: [
            trajectory_steps(coarse, max_steps),
            trajectory_steps(fine, 2 * max_steps),
        ],
    }
}

/// Richardson on two independent estimates (rare-event splitting at `dt`
/// and `dt/2`): `(estimate, standard error)` of each; the standard errors
/// add in quadrature and the 99% interval is normal (large-sample).
pub fn combine_independent(coarse: (f64, f64), fine: (f64, f64), order: Order) -> Extrapolated {
    let (a, b) = order.weights();
    let extrapolated = a * fine.0 - b * coarse.0;
    let standard_error = ((a * fine.1).powi(2) + (b * coarse.1).powi(2)).sqrt();
    let half = normal_quantile(0.5 * (1.0 + CONFIDENCE)) * standard_error;
    Extrapolated {
        at_dt: coarse.0,
        at_half_dt: fine.0,
        extrapolated,
        standard_error,
        ci99: [extrapolated - half, extrapolated + half],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-built paths whose every estimate is known in closed form.
    #[test]
    fn paired_estimates_of_hand_built_paths() {
        // coarse steps (dt = 0.5) and fine steps (dt = 0.25)
        let coarse = [2u32, 4, 6, 8];
        let fine = [3u32, 7, 11, 17];
        let x = extrapolate(&coarse, &fine, 0.5, 100, Order::First);
        // times: coarse 1, 2, 3, 4 (mean 2.5); fine 0.75, 1.75, 2.75, 4.25 (mean 2.375)
        let m = x.mfpt.as_ref().unwrap();
        assert!((m.at_dt - 2.5).abs() < 1e-12);
        assert!((m.at_half_dt - 2.375).abs() < 1e-12);
        assert!((m.extrapolated - 2.25).abs() < 1e-12);
        // per-path 2 f - c: 0.5, 1.5, 2.5, 4.5: squares about 2.25 sum to 8.75
        let se = (8.75 / 3.0 / 4.0f64).sqrt();
        assert!((m.standard_error - se).abs() < 1e-12);
        // t_{0.995, 3} = 5.840909
        let half = 5.840909309733 * se;
        assert!((m.ci99[1] - 2.25 - half).abs() < 1e-6, "{:?}", m.ci99);
        assert!((m.ci99[0] - 2.25 + half).abs() < 1e-6);
        // differences f - c: -0.25, -0.25, -0.25, 0.25
        let d = [-0.25f64, -0.25, -0.25, 0.25];
        let dm = d.iter().sum::<f64>() / 4.0;
        let dv = d.iter().map(|v| (v - dm).powi(2)).sum::<f64>() / 3.0;
        assert!((x.difference_variance.unwrap() - dv).abs() < 1e-12);
        let cv = [1.0f64, 2.0, 3.0, 4.0]
            .iter()
            .map(|v| (v - 2.5).powi(2))
            .sum::<f64>()
            / 3.0;
        let fv = [0.75f64, 1.75, 2.75, 4.25]
            .iter()
            .map(|v| (v - 2.375).powi(2))
            .sum::<f64>()
            / 3.0;
        assert!((x.independent_difference_variance.unwrap() - cv - fv).abs() < 1e-12);
        // rates: 4 / 10 and 4 / 9.5
        let r = x.rate.as_ref().unwrap();
        assert!((r.at_dt - 0.4).abs() < 1e-12);
        assert!((r.at_half_dt - 4.0 / 9.5).abs() < 1e-12);
        assert!((r.extrapolated - (8.0 / 9.5 - 0.4)).abs() < 1e-12);
        assert_eq!(x.trajectory_steps, [20, 38]);
        assert_eq!((x.pairs, x.censored, x.diverged), (4, [0, 0], 0));
    }

    #[test]
    fn independent_estimates_add_their_variances() {
        let x = combine_independent((10.0, 0.3), (9.0, 0.4), Order::First);
        assert!((x.extrapolated - 8.0).abs() < 1e-12);
        let se = (0.64f64 + 0.09).sqrt();
        assert!((x.standard_error - se).abs() < 1e-12);
        assert!((x.ci99[1] - 8.0 - 2.5758293 * se).abs() < 1e-6);
    }

    #[test]
    fn the_half_order_form_and_censored_and_diverged_paths() {
        let (a, b) = Order::Half.weights();
        let r = std::f64::consts::SQRT_2;
        assert!(
            (a - b - 1.0).abs() < 1e-15,
            "the weights of a constant sum to 1"
        );
        assert!((a - r * b).abs() < 1e-15);
        // a sqrt(h/2) - b sqrt(h) = 0: the sqrt(dt) term cancels
        assert!((a * (0.5f64).sqrt() - b).abs() < 1e-15);
        // a censored coarse path: no mean, a rate with the horizon as exposure
        let coarse = [0u32, 4, u32::MAX, 8];
        let fine = [3u32, 7, 9, 17];
        let x = extrapolate(&coarse, &fine, 0.5, 10, Order::Half);
        assert!(x.mfpt.is_none() && x.difference_variance.is_none());
        assert_eq!((x.pairs, x.censored, x.diverged), (3, [1, 0], 1));
        let rate = x.rate.unwrap();
        // coarse: 2 escapes over 5 + 2 + 4; fine: 3 over 0.75 + 1.75 + 4.25
        assert!((rate.at_dt - 2.0 / 11.0).abs() < 1e-12);
        assert!((rate.at_half_dt - 3.0 / 6.75).abs() < 1e-12);
        assert!((rate.extrapolated - (a * 3.0 / 6.75 - b * 2.0 / 11.0)).abs() < 1e-12);
        // censored steps count as max_steps, diverged as none
        assert_eq!(x.trajectory_steps, [10 + 4 + 8, 3 + 7 + 9 + 17]);
    }

    #[test]
    fn survival_points_are_quantiles_of_the_fine_escapes() {
        let fine: Vec<u32> = (1..=210).collect();
        let coarse: Vec<u32> = fine.iter().map(|s| s.div_ceil(2)).collect();
        let x = extrapolate(&coarse, &fine, 1.0, 1000, Order::First);
        let s = &x.survival;
        assert_eq!(s.times.len(), SURVIVAL_POINTS);
        for (k, &t) in s.times.iter().enumerate() {
            // rank (k+1) * 210 / 21 = 10 (k+1): fine step 10k + 11, time (10k + 11) / 2
            assert_eq!(t, (10.0 * k as f64 + 11.0) / 2.0);
            let fine_above = fine.iter().filter(|&&f| f as f64 * 0.5 > t).count() as f64 / 210.0;
            let coarse_above = coarse.iter().filter(|&&c| c as f64 > t).count() as f64 / 210.0;
            assert!((s.at_half_dt[k] - fine_above).abs() < 1e-12);
            assert!((s.at_dt[k] - coarse_above).abs() < 1e-12);
            assert!((s.extrapolated[k] - (2.0 * fine_above - coarse_above)).abs() < 1e-12);
        }
    }
}
