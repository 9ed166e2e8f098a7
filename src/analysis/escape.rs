//! Escape statistics of one case with censoring (docs/theory.md §4): mean first-passage
//! time with a Student-t 95% interval when every trajectory escaped, and the
//! exponential-rate MLE `k / (sum t_i + (N - k) T)` with its exact chi-square
//! 95% interval, always.

use crate::observables::Tally;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// Escape statistics in time units (steps x dt).
#[derive(Clone, Debug, PartialEq)]
pub struct EscapeStats {
    /// Trajectories that reached the exit set within `max_steps` (`k`).
    pub escaped: u64,
    /// Trajectories still inside after `max_steps`: counted in the rate's exposure.
    pub censored: u64,
    /// Trajectories that diverged: left out of every statistic, including `N`.
    pub diverged: u64,
    /// Mean first-passage time; `None` when some trajectory was censored.
    pub mean: Option<f64>,
    /// Student-t 95% interval of `mean`; `None` with fewer than 2 escapes or any censoring.
    pub mean_ci95: Option<[f64; 2]>,
    /// Standard error of `mean`.
    pub mean_standard_error: Option<f64>,
    /// Exponential-rate MLE `k / (dt (steps_sum + censored max_steps))`, per unit time;
    /// 0 when nothing was simulated.
    pub rate: f64,
    /// Exact Garwood (chi-square) 95% interval of `rate`; `[0, inf]` when nothing was simulated.
    pub rate_ci95: [f64; 2],
    /// Exact sum of the escaped trajectories' first-passage steps.
    pub steps_sum: u64,
}

impl EscapeStats {
    /// The mean escape time as the studies report it: `(mfpt, its 95%
    /// interval, censored, standard error)`: the sample mean with its
    /// Student-t interval when every trajectory escaped, else `1 / rate` with
    /// the inverted rate interval (and no standard error).
    pub fn mfpt_estimate(&self) -> (f64, [f64; 2], bool, Option<f64>) {
        match (self.mean, self.mean_ci95, self.mean_standard_error) {
            (Some(m), Some(ci), Some(se)) => (m, ci, false, Some(se)),
            _ => (
                1.0 / self.rate,
                [1.0 / self.rate_ci95[1], 1.0 / self.rate_ci95[0]],
                true,
                None,
            ),
        }
    }
}

/// Quantile of chi-square with `dof` degrees of freedom.
fn chi_square_quantile(dof: f64, p: f64) -> f64 {
    ChiSquared::new(dof).expect("dof > 0").inverse_cdf(p)
}

/// Exact (Garwood) interval for a Poisson/exponential rate: `k` events over exposure `time`.
pub fn rate_interval(k: u64, time: f64, confidence: f64) -> [f64; 2] {
    let tail = (1.0 - confidence) / 2.0;
    let lo = if k == 0 {
        0.0
    } else {
        chi_square_quantile(2.0 * k as f64, tail) / (2.0 * time)
    };
    let hi = chi_square_quantile(2.0 * k as f64 + 2.0, 1.0 - tail) / (2.0 * time);
    [lo, hi]
}

/// The escape statistics of one case's `tally`, with time step `dt` and censoring at
/// `max_steps` (docs/theory.md §4).
pub fn escape_stats(tally: &Tally, dt: f64, max_steps: u32) -> EscapeStats {
    let k = tally.escaped;
    let exposure = dt * tally.trajectory_steps(max_steps) as f64;
    let rate = if exposure > 0.0 {
        k as f64 / exposure
    } else {
        0.0
    };
    let rate_ci95 = if exposure > 0.0 {
        rate_interval(k, exposure, 0.95)
    } else {
        [0.0, f64::INFINITY]
    };
    let (mean, mean_ci95, mean_standard_error) = if tally.censored == 0 && k > 0 {
        let n = k as f64;
        let mean_steps = tally.steps_sum as f64 / n;
        let mean = mean_steps * dt;
        if k >= 2 {
            let variance_steps =
                (tally.steps_squared_sum as f64 - n * mean_steps * mean_steps) / (n - 1.0);
            let se = variance_steps.max(0.0).sqrt() / n.sqrt() * dt;
            let t = StudentsT::new(0.0, 1.0, n - 1.0)
                .expect("dof > 0")
                .inverse_cdf(0.975);
            (Some(mean), Some([mean - t * se, mean + t * se]), Some(se))
        } else {
            (Some(mean), None, None)
        }
    } else {
        (None, None, None)
    };
    EscapeStats {
        escaped: k,
        censored: tally.censored,
        diverged: tally.diverged,
        mean,
        mean_ci95,
        mean_standard_error,
        rate,
        rate_ci95,
        steps_sum: tally.steps_sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garwood_interval_known_values() {
        // k = 0: upper 95% limit is -ln(0.025) = 3.6889 events.
        let [lo, hi] = rate_interval(0, 1.0, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - 3.688_879).abs() < 1e-5, "{hi}");
        // k = 10: [4.795, 18.390] events (Garwood 1936 tables).
        let [lo, hi] = rate_interval(10, 10.0, 0.95);
        assert!(
            (lo - 0.479_5).abs() < 1e-3 && (hi - 1.839_0).abs() < 1e-3,
            "{lo} {hi}"
        );
    }
}
