//! The per-case tally: integer sums that merge exactly.

use super::FptBins;
use crate::spec::HistogramSpec;

/// Fixed-point scale of the moment sums: values are rounded to multiples of 2^-32.
const MOMENT_SCALE: f64 = 4_294_967_296.0;

/// Counts of one coordinate in fixed bins, plus what fell outside.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Count per bin, lowest bin first.
    pub counts: Vec<u64>,
    /// Values below the histogram's `lo`.
    pub below: u64,
    /// Values at or above the histogram's `hi`.
    pub above: u64,
}

impl Histogram {
    /// An empty histogram of `bins` bins.
    pub fn new(bins: usize) -> Self {
        Histogram {
            counts: vec![0; bins],
            below: 0,
            above: 0,
        }
    }

    /// Bin `x` (f32, as the kernels hold it) into `spec`'s range: `[lo, hi)` by
    /// `floor((x - lo) / width)` in f64.
    pub fn add(&mut self, spec: &HistogramSpec, x: f32) {
        let position = (x as f64 - spec.lo) / (spec.hi - spec.lo) * spec.bins as f64;
        if position < 0.0 {
            self.below += 1;
        } else if position >= spec.bins as f64 {
            self.above += 1;
        } else {
            self.counts[position as usize] += 1;
        }
    }

    /// Add the counts of `other` (a histogram with the same bins).
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.below += other.below;
        self.above += other.above;
    }

    /// Every value counted: the bins, below and above.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.below + self.above
    }
}

/// Everything measured on the trajectories of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    /// Trajectories run: escaped + censored + diverged.
    pub trajectories: u64,
    /// Trajectories that reached the exit within `max_steps` (and did not diverge).
    pub escaped: u64,
    /// Trajectories still running after `max_steps` steps (and not diverged).
    pub censored: u64,
    /// Non-finite or beyond the divergence bound: excluded from all statistics.
    pub diverged: u64,
    /// Exact sum of first-passage steps over escaped trajectories.
    pub steps_sum: u64,
    /// Exact sum of the squared first-passage steps over escaped trajectories.
    pub steps_squared_sum: u128,
    /// Escaped trajectories per first-passage bin of [`FptBins`] (in steps).
    pub fpt_histogram: Vec<u64>,
    /// Per coordinate, sum of the final value and of its square, in units of 2^-32.
    pub final_sum: Vec<i128>,
    /// Per coordinate, sum of the squared final value, in units of 2^-32.
    pub final_squared_sum: Vec<i128>,
    /// Per coordinate, histogram of final values of non-diverged trajectories.
    pub histograms: Vec<Histogram>,
    /// Underdamped dynamics ([`crate::dynamics::Dynamics::tallies_velocity`]):
    /// per coordinate, the sum of the final velocity, in units of 2^-32;
    /// empty otherwise.
    pub velocity_sum: Vec<i128>,
    /// As [`Self::velocity_sum`], of the squared final velocity.
    pub velocity_squared_sum: Vec<i128>,
}

impl Tally {
    /// An empty tally of `dim` coordinates, with the bins of `histogram` and `fpt_bins`.
    pub fn new(dim: usize, histogram: &HistogramSpec, fpt_bins: &FptBins) -> Self {
        Tally {
            trajectories: 0,
            escaped: 0,
            censored: 0,
            diverged: 0,
            steps_sum: 0,
            steps_squared_sum: 0,
            fpt_histogram: vec![0; fpt_bins.bins()],
            final_sum: vec![0; dim],
            final_squared_sum: vec![0; dim],
            histograms: vec![Histogram::new(histogram.bins); dim],
            velocity_sum: Vec::new(),
            velocity_squared_sum: Vec::new(),
        }
    }

    /// An empty tally of one case of `experiment`: its coordinates and
    /// histogram, and the velocity's moments where its dynamics reports them.
    pub fn of(experiment: &crate::spec::Experiment, fpt_bins: &FptBins) -> Self {
        let shape = &experiment.shape;
        Tally::new(shape.dim, &experiment.observe.histogram, fpt_bins)
            .with_velocity(shape.dynamics.tallies_velocity())
    }

    /// This tally, also summing the final velocity's moments when `velocity`
    /// (dynamics whose state carries one).
    pub fn with_velocity(mut self, velocity: bool) -> Self {
        let dim = if velocity { self.final_sum.len() } else { 0 };
        self.velocity_sum = vec![0; dim];
        self.velocity_squared_sum = vec![0; dim];
        self
    }

    /// Record one trajectory: `first_passage` 0 = censored; `velocity` is
    /// read only where the tally sums the velocity ([`Self::with_velocity`]).
    pub fn add(
        &mut self,
        first_passage: u32,
        diverged: bool,
        state: impl Iterator<Item = f32>,
        velocity: &[f32],
        histogram: &HistogramSpec,
        fpt_bins: &FptBins,
    ) {
        self.trajectories += 1;
        if diverged {
            self.diverged += 1;
            return;
        }
        if first_passage > 0 {
            self.escaped += 1;
            self.steps_sum += first_passage as u64;
            self.steps_squared_sum += (first_passage as u128) * (first_passage as u128);
            self.fpt_histogram[fpt_bins.bin(first_passage)] += 1;
        } else {
            self.censored += 1;
        }
        for (c, x) in state.enumerate() {
            let x = x as f64;
            self.final_sum[c] += (x * MOMENT_SCALE).round() as i128;
            self.final_squared_sum[c] += (x * x * MOMENT_SCALE).round() as i128;
            self.histograms[c].add(histogram, x as f32);
        }
        let sums = self.velocity_sum.iter_mut();
        for ((sum, square), &v) in sums.zip(&mut self.velocity_squared_sum).zip(velocity) {
            let v = v as f64;
            *sum += (v * MOMENT_SCALE).round() as i128;
            *square += (v * v * MOMENT_SCALE).round() as i128;
        }
    }

    /// Add `other` (a tally of the same shape), exactly: the order of merges cannot matter.
    pub fn merge(&mut self, other: &Tally) {
        self.trajectories += other.trajectories;
        self.escaped += other.escaped;
        self.censored += other.censored;
        self.diverged += other.diverged;
        self.steps_sum += other.steps_sum;
        self.steps_squared_sum += other.steps_squared_sum;
        for (a, b) in self.fpt_histogram.iter_mut().zip(&other.fpt_histogram) {
            *a += b;
        }
        for c in 0..self.final_sum.len() {
            self.final_sum[c] += other.final_sum[c];
            self.final_squared_sum[c] += other.final_squared_sum[c];
            self.histograms[c].merge(&other.histograms[c]);
        }
        for c in 0..self.velocity_sum.len() {
            self.velocity_sum[c] += other.velocity_sum[c];
            self.velocity_squared_sum[c] += other.velocity_squared_sum[c];
        }
    }

    /// Trajectory-steps simulated: each escaped trajectory to its first
    /// passage, each censored one to `max_steps` (the throughput numerator).
    pub fn trajectory_steps(&self, max_steps: u32) -> u64 {
        self.steps_sum + self.censored * max_steps as u64
    }

    /// Non-diverged trajectories: the sample of the final-state statistics.
    pub fn finite(&self) -> u64 {
        self.escaped + self.censored
    }

    /// Mean of the final state per coordinate.
    pub fn final_mean(&self) -> Vec<f64> {
        self.means(&self.final_sum)
    }

    /// Unbiased variance of the final state per coordinate.
    pub fn final_variance(&self) -> Vec<f64> {
        self.variances(&self.final_sum, &self.final_squared_sum)
    }

    /// Mean of the final velocity per coordinate (empty without a velocity).
    pub fn velocity_mean(&self) -> Vec<f64> {
        self.means(&self.velocity_sum)
    }

    fn means(&self, sums: &[i128]) -> Vec<f64> {
        let n = self.finite() as f64;
        sums.iter().map(|&s| s as f64 / MOMENT_SCALE / n).collect()
    }

    /// Unbiased variance of the final velocity per coordinate (empty without a velocity).
    pub fn velocity_variance(&self) -> Vec<f64> {
        self.variances(&self.velocity_sum, &self.velocity_squared_sum)
    }

    fn variances(&self, sums: &[i128], squares: &[i128]) -> Vec<f64> {
        let n = self.finite() as f64;
        sums.iter()
            .zip(squares)
            .map(|(&s, &q)| {
                let mean = s as f64 / MOMENT_SCALE / n;
                (q as f64 / MOMENT_SCALE - n * mean * mean) / (n - 1.0)
            })
            .collect()
    }
}
