//! Critical points of a potential in the plane and the Eyring–Kramers time
//! (docs/theory.md §9): the start's minimum and the index-1 saddle through
//! which its region reaches the exit set, by Newton's method on `grad L = 0`
//! (the gradient exact: analytic for the built-ins, symbolic for formulas;
//! the Hessian by central differences of it), each checked by the signs of
//! its Hessian's eigenvalues.

use crate::model::PotentialParams;
use serde::{Deserialize, Serialize};

/// A critical point: where `grad L = 0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalPoint {
    /// Its coordinates.
    pub x: [f64; 2],
    /// `L` there.
    pub value: f64,
    /// The Hessian's eigenvalues, ascending.
    pub eigenvalues: [f64; 2],
}

/// The Eyring–Kramers time of a 2-D case with constant noise `D0`:
/// `2 pi / |lambda_1(s)| sqrt(|det H(s)| / det H(a)) exp((L(s) - L(a)) / eps)`,
/// `eps = D0 / 2`, the mean time to reach the next minimum's neighbourhood
/// through the saddle `s` (relative corrections O(eps / barrier)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EyringKramers {
    /// The start's minimum `a`.
    pub minimum: CriticalPoint,
    /// The saddle `s`.
    pub saddle: CriticalPoint,
    /// `(L(s) - L(a)) / eps`: how deep in the low-noise regime the case is
    /// (for Theorem 7, `eps = D(a)/2`, the noise at the minimum).
    pub barrier_over_eps: f64,
    /// Theorem 7 only: the exponent `2/k + 1 - alpha - d/2` of
    /// `D(s)/D(a) = 1 + k (L(s) - L(a)) / D(a)` in the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth_exponent: Option<f64>,
    /// The time.
    pub time: f64,
}

/// `grad L` at `x`.
fn gradient(potential: &PotentialParams, x: [f64; 2]) -> [f64; 2] {
    [potential.gradient_at(&x, 0), potential.gradient_at(&x, 1)]
}

/// The Hessian at `x` by central differences of the gradient, symmetrized.
fn hessian(potential: &PotentialParams, x: [f64; 2]) -> [[f64; 2]; 2] {
    let mut h = [[0.0; 2]; 2];
    for j in 0..2 {
        let step = 1e-5 * (1.0 + x[j].abs());
        let (mut up, mut down) = (x, x);
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (gradient(potential, up), gradient(potential, down));
        for i in 0..2 {
            h[i][j] = (gu[i] - gd[i]) / (2.0 * step);
        }
    }
    let off = 0.5 * (h[0][1] + h[1][0]);
    h[0][1] = off;
    h[1][0] = off;
    h
}

/// Eigenvalues of a symmetric 2x2 matrix, ascending.
fn eigenvalues(h: [[f64; 2]; 2]) -> [f64; 2] {
    let mean = 0.5 * (h[0][0] + h[1][1]);
    let radius = (0.25 * (h[0][0] - h[1][1]).powi(2) + h[0][1] * h[0][1]).sqrt();
    [mean - radius, mean + radius]
}

/// Newton's method on `grad L = 0` from `x0`, to a critical point with
/// `index` negative Hessian eigenvalues. Steps are capped at `max_step`, so
/// that a saddle search from a nearby scan cell stays near it.
pub fn critical_point(
    potential: &PotentialParams,
    x0: [f64; 2],
    index: usize,
    max_step: f64,
) -> Result<CriticalPoint, String> {
    let mut x = x0;
    for _ in 0..200 {
        let g = gradient(potential, x);
        let h = hessian(potential, x);
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        if !(det.is_finite() && det != 0.0) {
            return Err(format!(
                "the Hessian is singular at {x:?}: a degenerate critical point"
            ));
        }
        let mut step = [
            -(h[1][1] * g[0] - h[0][1] * g[1]) / det,
            -(-h[1][0] * g[0] + h[0][0] * g[1]) / det,
        ];
        let length = step[0].hypot(step[1]);
        if length > max_step {
            step = [step[0] * max_step / length, step[1] * max_step / length];
        }
        x = [x[0] + step[0], x[1] + step[1]];
        if length <= 1e-13 * (1.0 + x[0].abs().max(x[1].abs())) {
            break;
        }
    }
    let g = gradient(potential, x);
    let h = hessian(potential, x);
    let e = eigenvalues(h);
    let scale = e[0].abs().max(e[1].abs()).max(f64::MIN_POSITIVE);
    let residual = g[0].hypot(g[1]);
    let converged = residual <= 1e-8 * scale * (1.0 + x[0].abs().max(x[1].abs()));
    if !converged {
        return Err(format!(
            "Newton's method from {x0:?} found no critical point (|grad L| = {:.3e} at {x:?})",
            g[0].hypot(g[1])
        ));
    }
    let negative = e.iter().filter(|v| **v < 0.0).count();
    if negative != index || e.iter().any(|v| v.abs() <= 1e-9 * scale) {
        let kind = ["minimum", "saddle of index 1"][index.min(1)];
        return Err(format!(
            "Newton's method from {x0:?} reached {x:?}, with Hessian eigenvalues {e:?}: not a nondegenerate {kind}"
        ));
    }
    Ok(CriticalPoint {
        x,
        value: potential.value_at(&x),
        eigenvalues: e,
    })
}

/// The start's minimum and the saddle near `saddle_guess`.
fn minimum_and_saddle(
    potential: &PotentialParams,
    start: [f64; 2],
    saddle_guess: [f64; 2],
    guess_spacing: f64,
) -> Result<(CriticalPoint, CriticalPoint), String> {
    let minimum = critical_point(potential, start, 0, f64::INFINITY)?;
    let saddle = critical_point(potential, saddle_guess, 1, guess_spacing).map_err(|why| {
        format!(
            "no index-1 saddle where the start's region first reaches the exit set (near {saddle_guess:?}), \
             so the escape is not over a saddle and the formula does not apply: {why}"
        )
    })?;
    Ok((minimum, saddle))
}

/// What the Eyring–Kramers prefactor reads of the Hessians:
/// `|lambda_1(s)|` and `sqrt(|det H(s)| / det H(a))`.
fn curvatures(minimum: &CriticalPoint, saddle: &CriticalPoint) -> (f64, f64) {
    let [l1, l2] = saddle.eigenvalues;
    let det_s = (l1 * l2).abs();
    let det_a = minimum.eigenvalues[0] * minimum.eigenvalues[1];
    (l1.abs(), (det_s / det_a).sqrt())
}

/// The Eyring–Kramers time from the minimum near `start` through the saddle
/// near `saddle_guess`, with constant noise `d0`.
pub fn eyring_kramers(
    potential: &PotentialParams,
    start: [f64; 2],
    saddle_guess: [f64; 2],
    guess_spacing: f64,
    d0: f64,
) -> Result<EyringKramers, String> {
    let (minimum, saddle) = minimum_and_saddle(potential, start, saddle_guess, guess_spacing)?;
    let eps = d0 / 2.0;
    let barrier_over_eps = (saddle.value - minimum.value) / eps;
    let (unstable, determinants) = curvatures(&minimum, &saddle);
    let time = 2.0 * std::f64::consts::PI / unstable * determinants * barrier_over_eps.exp();
    Ok(EyringKramers {
        minimum,
        saddle,
        barrier_over_eps,
        growth_exponent: None,
        time,
    })
}

/// The paper's Theorem 7 in the engine's convention (docs/theory.md §9):
/// `power-law-loss` noise `D = D0 + k (L - L_min)` under interpretation
/// `alpha`, in `d = 2`,
/// `T = 4 pi / ((2 + (1 - alpha) k) |lambda_1|) sqrt(|det H(s)| / det H(a)) (D(s)/D(a))^(2/k + 1 - alpha - d/2)`,
/// Eyring–Kramers for the reversible diffusion with potential
/// `psi = ((2 + (1 - alpha) k) / k) ln D` and mobility `D/2`; it is
/// [`eyring_kramers`] at `k = 0`.
#[allow(clippy::too_many_arguments)]
pub fn theorem7(
    potential: &PotentialParams,
    start: [f64; 2],
    saddle_guess: [f64; 2],
    guess_spacing: f64,
    d0: f64,
    k: f64,
    alpha: f64,
) -> Result<EyringKramers, String> {
    if k == 0.0 {
        return eyring_kramers(potential, start, saddle_guess, guess_spacing, d0);
    }
    let (minimum, saddle) = minimum_and_saddle(potential, start, saddle_guess, guess_spacing)?;
    let lmin = potential.loss_minimum();
    let (da, ds) = (
        d0 + k * (minimum.value - lmin),
        d0 + k * (saddle.value - lmin),
    );
    if !(da > 0.0 && ds > 0.0) {
        return Err(format!("the noise variance is {da} at the minimum and {ds} at the saddle: Theorem 7 needs both > 0"));
    }
    let dim = 2.0;
    let exponent = 2.0 / k + 1.0 - alpha - dim / 2.0;
    let (unstable, determinants) = curvatures(&minimum, &saddle);
    let time = 4.0 * std::f64::consts::PI / ((2.0 + (1.0 - alpha) * k) * unstable)
        * determinants
        * (ds / da).powf(exponent);
    Ok(EyringKramers {
        barrier_over_eps: (saddle.value - minimum.value) / (da / 2.0),
        minimum,
        saddle,
        growth_exponent: Some(exponent),
        time,
    })
}

/// How a descent from a saddle ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PathEnd {
    /// At a minimum (Newton-refined, index checked).
    Minimum {
        /// The minimum.
        point: CriticalPoint,
        /// Whether it is the start's minimum.
        start: bool,
    },
    /// In the exit set.
    Exit {
        /// Where the path entered it.
        x: [f64; 2],
    },
    /// At the scanned box's edge, or without convergence.
    Open {
        /// Where the descent stopped.
        x: [f64; 2],
    },
}

/// An index-1 saddle of the start's basin and the minimum-energy path
/// through it: the steepest descents on both sides of its unstable direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    /// The saddle.
    pub saddle: CriticalPoint,
    /// `L(s) - L(a)` from the start's minimum.
    pub barrier: f64,
    /// Whether the start's region first reaches the exit set through it
    /// (its value is the scan's level).
    pub toward_exit: bool,
    /// The two ends of the path, the side with the start's minimum first.
    pub ends: [PathEnd; 2],
    /// The path from the first end through the saddle to the second.
    pub path: Vec<[f64; 2]>,
}

/// The landscape of a 2-D case around its start (docs/theory.md §9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Landscape {
    /// The start's minimum.
    pub minimum: CriticalPoint,
    /// The index-1 saddles through which the start's basin joins another
    /// basin or the exit set, up to the level where it reaches the exit set
    /// (and 2% of the barrier beyond);
    /// lowest first.
    pub passes: Vec<Pass>,
    /// The lowest `L` at which the start's region reaches the exit set.
    pub level: f64,
    /// What the search met and left out (a candidate that was no saddle).
    pub notes: Vec<String>,
    /// The scan the search used (drawn by the landscape plot; not serialized).
    #[serde(skip)]
    pub scan: Option<crate::analysis::plane::Scan>,
}

/// One case's landscape, or why it has none.
#[derive(Clone, Debug, Serialize)]
pub struct LandscapeRow {
    /// The case's index.
    pub index: usize,
    /// Its swept values.
    pub params: String,
    /// The landscape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landscape: Option<Landscape>,
    /// Why there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer: Option<String>,
}

/// The landscape of every case of a 2-D experiment (`kramers landscape`).
pub fn landscape_rows(experiment: &crate::spec::Experiment) -> Vec<LandscapeRow> {
    use rayon::prelude::*;
    (0..experiment.cases.len())
        .into_par_iter()
        .map(|index| {
            let found = landscape(&experiment.cases[index].model, experiment.theory.margin);
            let (landscape, no_answer) = match found {
                Ok(l) => (Some(l), None),
                Err(why) => (None, Some(why)),
            };
            LandscapeRow {
                index,
                params: crate::analysis::references::case_label(experiment, index),
                landscape,
                no_answer,
            }
        })
        .collect()
}

/// Scan cells per axis of the landscape's search.
const LANDSCAPE_CELLS: usize = 240;

/// The landscape of a 2-D case: the start's minimum by Newton's method; the
/// saddles by a watershed of `L` on a scan of the region a solve would cover
/// (the cells where the start's basin merges with another basin or with the
/// exit set, up to the level where it reaches the exit set), each refined by
/// Newton's method with an index check; the path through each by steepest
/// descent on both sides of its unstable direction.
pub fn landscape(case: &crate::model::case::CaseModel, margin: f64) -> Result<Landscape, String> {
    use crate::analysis::plane;
    if case.start.len() != 2 {
        return Err(format!(
            "the landscape covers dim = 2 (this case: {})",
            case.start.len()
        ));
    }
    let potential = &case.potential;
    let start = [case.start[0], case.start[1]];
    let minimum = critical_point(potential, start, 0, f64::INFINITY)
        .map_err(|why| format!("no minimum near the start: {why}"))?;
    let scan = plane::scan(case, margin, LANDSCAPE_CELLS).map_err(|why| why.0)?;
    let level = scan.level;
    let candidates = merges(&scan, minimum.x);
    let mut passes: Vec<Pass> = Vec::new();
    let mut notes = Vec::new();
    for (cell, exit_side) in candidates {
        let guess = scan.centre(cell);
        let saddle = match critical_point(potential, guess, 1, 3.0 * scan.h) {
            Ok(s) => s,
            Err(why) => {
                if exit_side {
                    notes.push(format!(
                        "the start's region reaches the exit set at L = {level:.6} near {guess:?}, not over a saddle ({why})"
                    ));
                }
                continue;
            }
        };
        let near = |p: &Pass| {
            (p.saddle.x[0] - saddle.x[0]).hypot(p.saddle.x[1] - saddle.x[1]) < 2.0 * scan.h
        };
        if let Some(p) = passes.iter_mut().find(|p| near(p)) {
            p.toward_exit |= exit_side;
            continue;
        }
        let (ends, path) = descents(case, &scan, &saddle, minimum.x);
        passes.push(Pass {
            barrier: saddle.value - minimum.value,
            saddle,
            toward_exit: exit_side,
            ends,
            path,
        });
    }
    passes.sort_by(|a, b| a.saddle.value.total_cmp(&b.saddle.value));
    Ok(Landscape {
        minimum,
        passes,
        level,
        notes,
        scan: Some(scan),
    })
}

/// The watershed of the scan: the cells, in increasing `L`, where the basin
/// of the cell holding `minimum` merges with another basin (`false`) or first
/// with the exit set (`true`), up to 2% of the barrier past the latter.
fn merges(scan: &crate::analysis::plane::Scan, minimum: [f64; 2]) -> Vec<(usize, bool)> {
    use crate::analysis::plane::{ascending, Flooding};
    let Some(home) = scan.cell_of(minimum) else {
        return Vec::new();
    };
    let mut flooding = Flooding::new(&scan.exit);
    let sink = flooding.sink;
    let mut found = Vec::new();
    // Once the basin has reached the exit set, a little further (2% of the
    // barrier): saddles at about the same level as that one.
    let mut stop = f64::INFINITY;
    for c in ascending(&scan.loss, &scan.exit) {
        if scan.loss[c] > stop {
            break;
        }
        flooding.switch_on(c);
        let mut roots: Vec<usize> = Vec::new();
        for d in scan.neighbours(c) {
            if flooding.is_on(d) {
                let r = flooding.root(d);
                if !roots.contains(&r) {
                    roots.push(r);
                }
            }
        }
        let home_root = flooding.is_on(home).then(|| flooding.root(home));
        let joins_home = home_root.is_some_and(|h| roots.contains(&h));
        if roots.len() >= 2 && joins_home {
            found.push((c, roots.contains(&sink) && home_root != Some(sink)));
        }
        for r in roots {
            flooding.join(c, r);
        }
        if stop.is_infinite() && flooding.is_on(home) && flooding.root(home) == sink {
            stop = scan.loss[c] + 0.02 * (scan.loss[c] - scan.loss[home]).abs();
        }
    }
    found
}

/// The steepest descents from `saddle` along both senses of its unstable
/// direction, the side ending at the start's minimum first, and the joined path.
fn descents(
    case: &crate::model::case::CaseModel,
    scan: &crate::analysis::plane::Scan,
    saddle: &CriticalPoint,
    home: [f64; 2],
) -> ([PathEnd; 2], Vec<[f64; 2]>) {
    let h = hessian(&case.potential, saddle.x);
    let l1 = saddle.eigenvalues[0];
    // The eigenvector of l1: (h01, l1 - h00) or (l1 - h11, h10).
    let mut v = [h[0][1], l1 - h[0][0]];
    if v[0].hypot(v[1]) < 1e-12 * (1.0 + l1.abs()) {
        v = [l1 - h[1][1], h[1][0]];
    }
    let norm = v[0].hypot(v[1]).max(f64::MIN_POSITIVE);
    v = [v[0] / norm, v[1] / norm];
    let step = 0.5 * scan.h;
    let side = |sign: f64| descend(case, scan, saddle, [sign * v[0], sign * v[1]], step, home);
    let (mut a, mut b) = (side(1.0), side(-1.0));
    let homeward = |e: &PathEnd| matches!(e, PathEnd::Minimum { start: true, .. });
    if homeward(&b.0) && !homeward(&a.0) {
        std::mem::swap(&mut a, &mut b);
    }
    let mut path: Vec<[f64; 2]> = a.1.iter().rev().copied().collect();
    path.push(saddle.x);
    path.extend(b.1);
    ([a.0, b.0], path)
}

/// One steepest descent from `saddle` displaced along `direction`.
fn descend(
    case: &crate::model::case::CaseModel,
    scan: &crate::analysis::plane::Scan,
    saddle: &CriticalPoint,
    direction: [f64; 2],
    step: f64,
    home: [f64; 2],
) -> (PathEnd, Vec<[f64; 2]>) {
    let potential = &case.potential;
    let inside = |x: [f64; 2]| scan.cell_of(x).is_some();
    let mut x = [
        saddle.x[0] + step * direction[0],
        saddle.x[1] + step * direction[1],
    ];
    let mut value = potential.value_at(&x);
    let mut points = vec![x];
    let mut length = step;
    for _ in 0..200_000 {
        if case.exit.contains(&x) {
            return (PathEnd::Exit { x }, points);
        }
        if !inside(x) {
            return (PathEnd::Open { x }, points);
        }
        let g = gradient(potential, x);
        let norm = g[0].hypot(g[1]);
        if norm.is_nan() || norm <= 0.0 {
            break;
        }
        let next = [x[0] - length * g[0] / norm, x[1] - length * g[1] / norm];
        let next_value = potential.value_at(&next);
        if next_value < value {
            x = next;
            value = next_value;
            if (x[0] - points[points.len() - 1][0]).hypot(x[1] - points[points.len() - 1][1])
                >= step
            {
                points.push(x);
            }
            length = (2.0 * length).min(step);
        } else {
            length /= 2.0;
            if length < 1e-6 * step {
                break;
            }
        }
    }
    match critical_point(potential, x, 0, step) {
        Ok(point) => {
            points.push(point.x);
            let start = (point.x[0] - home[0]).hypot(point.x[1] - home[1])
                < 1e-6 * (1.0 + home[0].abs().max(home[1].abs()));
            (PathEnd::Minimum { point, start }, points)
        }
        Err(_) => (PathEnd::Open { x }, points),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::potential::DoubleWell;

    /// The separable double well `sum_j h ((x_j/a)^2 - 1)^2`: minimum at
    /// `(-a, -a)` with curvature `8h/a^2` twice, saddle at `(0, -a)` with
    /// `-4h/a^2` and `8h/a^2`, so Eyring–Kramers is the 1-D Kramers time
    /// `2 pi / sqrt(Ha Hb) e^(h/eps)`.
    #[test]
    fn the_double_well_has_its_known_critical_points_and_kramers_time() {
        let (h, a) = (1.5, 0.8);
        let potential: PotentialParams = DoubleWell {
            height: h,
            half_width: a,
        }
        .into();
        let ek = eyring_kramers(&potential, [-0.7, -0.9], [0.05, -0.75], 0.1, 0.5).unwrap();
        let (ha, hb) = (8.0 * h / (a * a), 4.0 * h / (a * a));
        for (got, want) in ek.minimum.x.iter().zip([-a, -a]) {
            assert!((got - want).abs() < 1e-10, "{:?}", ek.minimum);
        }
        for (got, want) in ek.saddle.x.iter().zip([0.0, -a]) {
            assert!((got - want).abs() < 1e-10, "{:?}", ek.saddle);
        }
        assert!((ek.saddle.eigenvalues[0] + hb).abs() < 1e-5 * hb);
        assert!((ek.minimum.eigenvalues[0] - ha).abs() < 1e-5 * ha);
        let kramers = 2.0 * std::f64::consts::PI / (ha * hb).sqrt() * (h / 0.25f64).exp();
        assert!(
            (ek.time / kramers - 1.0).abs() < 1e-6,
            "{} {kramers}",
            ek.time
        );
        // Theorem 7 tends to it as k -> 0.
        let t7 = theorem7(&potential, [-0.7, -0.9], [0.05, -0.75], 0.1, 0.5, 1e-7, 0.0).unwrap();
        assert!(
            (t7.time / ek.time - 1.0).abs() < 1e-5,
            "{} {}",
            t7.time,
            ek.time
        );
        // A saddle search from a minimum is refused, not misreported.
        assert!(critical_point(&potential, [-0.75, -0.8], 1, 0.1).is_err());
    }
}
