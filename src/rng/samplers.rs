//! Samplers on Threefry words: uniform, normal (Box–Muller), exponential and
//! Chambers–Mallows–Stuck alpha-stable. Pure functions of their input words,
//! twins of `shaders/shared/samplers.wgsl`.

use crate::simd::fastmath::{exp, ln, sin_cos, sin_cos_turns};
use std::f32::consts::{FRAC_PI_2, PI};

const TWO_POW_MINUS_24: f32 = 1.0 / 16_777_216.0;
const TWO_POW_MINUS_23: f32 = 1.0 / 8_388_608.0;

/// Uniform on (0, 1] from the top 24 bits of a word (docs/theory.md §6).
#[inline(always)]
pub fn uniform_open_closed(word: u32) -> f32 {
    ((word >> 8) + 1) as i32 as f32 * TWO_POW_MINUS_24
}

/// Uniform on the open interval (0, 1): midpoints of 2^23 cells from the top
/// 23 bits (exact in f32, so never 0 or 1).
#[inline(always)]
pub fn uniform_open(word: u32) -> f32 {
    ((word >> 9) as i32 as f32 + 0.5) * TWO_POW_MINUS_23
}

/// Two independent standard normals from one block (Box–Muller:
/// `r = sqrt(-2 ln u0)`, angle `2 pi u1`; returns `(r cos, r sin)`).
#[inline(always)]
pub fn box_muller(w0: u32, w1: u32) -> (f32, f32) {
    let radius = (-2.0 * ln(uniform_open_closed(w0))).sqrt();
    let (sin, cos) = sin_cos_turns(uniform_open_closed(w1));
    (radius * cos, radius * sin)
}

/// Standard exponential `-ln u`, u on (0, 1].
#[inline(always)]
pub fn exponential(word: u32) -> f32 {
    -ln(uniform_open_closed(word))
}

/// A standard alpha-stable law `S_alpha(1, beta, 0)` (Samorodnitsky–Taqqu
/// parametrisation; symmetric case: characteristic function `exp(-|t|^alpha)`),
/// with the per-law constants of Chambers–Mallows–Stuck precomputed in f64.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StableSampler {
    /// Stability index `alpha` in `(0, 2]` (the noise's `index`).
    pub alpha: f32,
    /// Skewness `beta` in `[-1, 1]`; 0 is the symmetric law.
    pub beta: f32,
    /// `B = atan(beta tan(pi alpha / 2)) / alpha` (0 when alpha = 1).
    pub shift: f32,
    /// `(1 + beta^2 tan^2(pi alpha / 2))^(1 / (2 alpha))` (1 when alpha = 1).
    pub scale: f32,
}

impl StableSampler {
    /// The sampler of `S_alpha(1, beta, 0)`, its constants computed in f64 and stored in f32.
    pub fn new(alpha: f64, beta: f64) -> Self {
        let (shift, scale) = if alpha == 1.0 {
            (0.0, 1.0)
        } else {
            let zeta = beta * (std::f64::consts::FRAC_PI_2 * alpha).tan();
            ((zeta.atan()) / alpha, (1.0 + zeta * zeta).powf(0.5 / alpha))
        };
        StableSampler {
            alpha: alpha as f32,
            beta: beta as f32,
            shift: shift as f32,
            scale: scale as f32,
        }
    }
}

/// One Chambers–Mallows–Stuck draw from one block: `V = pi (u0 - 1/2)`,
/// `W = -ln u1`, both uniforms open so that `cos V > 0` and `W > 0`.
#[inline(always)]
pub fn stable(w0: u32, w1: u32, law: &StableSampler) -> f32 {
    let v = PI * (uniform_open(w0) - 0.5);
    let w = -ln(uniform_open(w1));
    if law.alpha == 1.0 {
        let (sin_v, cos_v) = sin_cos(v);
        let lever = FRAC_PI_2 + law.beta * v;
        let tan_v = sin_v / cos_v;
        let log_term = ln(FRAC_PI_2 * w * cos_v / lever);
        (lever * tan_v - law.beta * log_term) * (2.0 / PI)
    } else {
        let a = law.alpha;
        let shifted = a * (v + law.shift);
        let (sin_shifted, _) = sin_cos(shifted);
        let (_, cos_v) = sin_cos(v);
        let (_, cos_rest) = sin_cos(v - shifted);
        let log_magnitude = -ln(cos_v) / a + (1.0 - a) / a * (ln(cos_rest) - ln(w));
        law.scale * sin_shifted * exp(log_magnitude)
    }
}
