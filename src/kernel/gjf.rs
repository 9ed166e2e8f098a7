//! The underdamped scheme: Grønbech-Jensen–Farago (GJF, 2013) for
//! `dX = V dt`, `dV = (f(X) - gamma V) dt + sqrt(gamma D(X)) dW`, unit mass,
//! `f = -grad L` (docs/theory.md §8). With `b = 1 / (1 + gamma dt / 2)`,
//! `a = (1 - gamma dt / 2) b` and `beta = sqrt(gamma D(X_n) dt) z`:
//!
//! ```text
//! X_{n+1} = X_n + b dt V_n + b dt^2/2 f_n + b dt/2 beta
//! V_{n+1} = a V_n + dt/2 (a f_n + f_{n+1}) + b beta
//! ```
//!
//! It samples the harmonic Boltzmann position law exactly and diffuses at the
//! continuum rate `D / (2 gamma)` per coordinate on a flat potential, at any
//! stable step (`omega dt < 2`). One force evaluation per step: `f_{n+1}` is
//! carried into the next step. The start velocity, unless given, is drawn
//! from the Maxwell law `N(0, D(X_0) / 2)` per coordinate on the trajectory's
//! own stream (purpose `Bridge`, which an underdamped run has no other use
//! for: block `c / 2`, word `c % 2`). WGSL twin: shaders/gjf.wgsl.

use crate::rng::samplers::box_muller;
use crate::rng::threefry::threefry2x32_20_lanes;
use crate::simd::{Lanes, LANES};

/// The scheme's constants `(a, b)` for friction `gamma` and step `dt`, in
/// f64: the host puts them in the case's record (`CaseParams::dynamics`),
/// so both backends step with the same f32 values.
pub fn coefficients(gamma: f64, dt: f64) -> (f64, f64) {
    let half = 0.5 * gamma * dt;
    let b = 1.0 / (1.0 + half);
    ((1.0 - half) * b, b)
}

/// The velocity kick `beta = sqrt(gamma D dt) z` (NaN, so diverged, for a negative variance).
#[inline(always)]
pub fn kick(gamma: f32, variance: f32, dt: f32, z: f32) -> f32 {
    (gamma * variance * dt).sqrt() * z
}

/// `X_{n+1}` from `X_n`, `V_n`, the force `f_n` and the kick.
#[inline(always)]
pub fn position(x: f32, v: f32, force: f32, beta: f32, b: f32, dt: f32) -> f32 {
    x + b * dt * (v + 0.5 * dt * force + 0.5 * beta)
}

/// `V_{n+1}` from `V_n`, the forces before and after the step and the kick.
#[inline(always)]
pub fn velocity(v: f32, force: f32, force_next: f32, beta: f32, a: f32, b: f32, dt: f32) -> f32 {
    a * v + 0.5 * dt * (a * force + force_next) + b * beta
}

/// Maxwell start velocities on lanes: coordinate `c` of lane `l` is
/// `sqrt(variance[c][l] / 2) z`, `z` word `c % 2` of block `c / 2` of stream
/// `(counter[l], key)` through Box–Muller.
#[inline(always)]
pub fn maxwell<const DIM: usize>(
    counter: &[u32; LANES],
    key: [u32; 2],
    dim: usize,
    variance: &[Lanes; DIM],
    out: &mut [Lanes; DIM],
) {
    for i in 0..dim.div_ceil(2) {
        let block = [i as u32; LANES];
        let (w0, w1) = threefry2x32_20_lanes(counter, &block, key);
        for l in 0..LANES {
            let (z0, z1) = box_muller(w0[l], w1[l]);
            out[2 * i][l] = (0.5 * variance[2 * i][l]).sqrt() * z0;
            if 2 * i + 1 < dim {
                out[2 * i + 1][l] = (0.5 * variance[2 * i + 1][l]).sqrt() * z1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GJF on a harmonic well `f = -omega^2 x` without noise is a linear map
    /// whose determinant is `a` (phase-space contraction by the friction):
    /// one step from (1, 0) and (0, 1) gives its columns.
    #[test]
    fn the_noiseless_harmonic_step_contracts_phase_space_by_a() {
        let (gamma, dt, w2) = (0.7f32, 0.3f32, 2.0f32);
        let (a, b) = coefficients(gamma as f64, dt as f64);
        let (a, b) = (a as f32, b as f32);
        let step = |x: f32, v: f32| {
            let x1 = position(x, v, -w2 * x, 0.0, b, dt);
            (x1, velocity(v, -w2 * x, -w2 * x1, 0.0, a, b, dt))
        };
        let (x1, v1) = step(1.0, 0.0);
        let (x2, v2) = step(0.0, 1.0);
        let det = x1 * v2 - x2 * v1;
        assert!((det - a).abs() < 1e-6, "det {det} vs a {a}");
        // the published form: x1 = x0 + b dt v0 + b dt^2/2 f0
        assert!((x1 - (1.0 - b * dt * dt / 2.0 * w2)).abs() < 1e-7);
        assert!((x2 - b * dt).abs() < 1e-7);
    }

    #[test]
    fn the_coefficients_are_the_published_ones() {
        let (a, b) = coefficients(2.0, 0.1);
        assert!((b - 1.0 / 1.1).abs() < 1e-15);
        assert!((a - 0.9 / 1.1).abs() < 1e-15);
        // no friction: the velocity Verlet scheme
        assert_eq!(coefficients(0.0, 0.1), (1.0, 1.0));
    }
}
