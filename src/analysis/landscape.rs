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
    /// `(L(s) - L(a)) / eps`: how deep in the low-noise regime the case is.
    pub barrier_over_eps: f64,
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
            return Err(format!("the Hessian is singular at {x:?}: a degenerate critical point"));
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
    if !(g[0].hypot(g[1]) <= 1e-8 * scale * (1.0 + x[0].abs().max(x[1].abs()))) {
        return Err(format!("Newton's method from {x0:?} found no critical point (|grad L| = {:.3e} at {x:?})", g[0].hypot(g[1])));
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

/// The Eyring–Kramers time from the minimum near `start` through the saddle
/// near `saddle_guess`, with constant noise `d0`.
pub fn eyring_kramers(
    potential: &PotentialParams,
    start: [f64; 2],
    saddle_guess: [f64; 2],
    guess_spacing: f64,
    d0: f64,
) -> Result<EyringKramers, String> {
    let minimum = critical_point(potential, start, 0, f64::INFINITY)?;
    let saddle = critical_point(potential, saddle_guess, 1, guess_spacing)?;
    let eps = d0 / 2.0;
    let barrier_over_eps = (saddle.value - minimum.value) / eps;
    let [l1, l2] = saddle.eigenvalues;
    let det_s = (l1 * l2).abs();
    let det_a = minimum.eigenvalues[0] * minimum.eigenvalues[1];
    let time = 2.0 * std::f64::consts::PI / l1.abs() * (det_s / det_a).sqrt() * barrier_over_eps.exp();
    Ok(EyringKramers {
        minimum,
        saddle,
        barrier_over_eps,
        time,
    })
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
        let potential: PotentialParams = DoubleWell { height: h, half_width: a }.into();
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
        assert!((ek.time / kramers - 1.0).abs() < 1e-6, "{} {kramers}", ek.time);
        // A saddle search from a minimum is refused, not misreported.
        assert!(critical_point(&potential, [-0.75, -0.8], 1, 0.1).is_err());
    }
}
