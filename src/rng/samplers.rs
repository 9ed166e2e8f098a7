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

#[cfg(test)]
mod tests {
    //! Known answers for the samplers, checked against f64 evaluations of their
    //! definitions word by word, and the alpha-stable sampler against its law's
    //! characteristic function (an independent property: Chambers–Mallows–Stuck
    //! is nowhere typed again here).
    use super::*;
    use crate::rng::threefry2x32_20;

    /// Words spread over the whole range, the extremes included.
    fn words() -> impl Iterator<Item = u32> {
        (0..4096u32)
            .map(|i| i.wrapping_mul(0x9E37_79B9) ^ (i >> 3))
            .chain([0, 1, 0xFF, 0x100, 0x1FF, 0x200, u32::MAX - 1, u32::MAX])
    }

    #[test]
    fn uniforms_are_the_cells_of_their_top_bits() {
        // (0, 1]: (top 24 bits + 1) / 2^24, so 0 -> 2^-24 and u32::MAX -> 1.
        assert_eq!(uniform_open_closed(0), 1.0 / 16_777_216.0);
        assert_eq!(uniform_open_closed(0xFF), 1.0 / 16_777_216.0);
        assert_eq!(uniform_open_closed(0x100), 2.0 / 16_777_216.0);
        assert_eq!(uniform_open_closed(u32::MAX), 1.0);
        // (0, 1): midpoints (top 23 bits + 1/2) / 2^23.
        assert_eq!(uniform_open(0), 0.5 / 8_388_608.0);
        assert_eq!(uniform_open(0x200), 1.5 / 8_388_608.0);
        assert_eq!(uniform_open(u32::MAX), (8_388_607.5 / 8_388_608.0) as f32);
        for w in words() {
            let closed = ((w >> 8) as f64 + 1.0) / 16_777_216.0;
            let open = ((w >> 9) as f64 + 0.5) / 8_388_608.0;
            assert_eq!(uniform_open_closed(w) as f64, closed, "word {w:#x}");
            assert_eq!(uniform_open(w) as f64, open, "word {w:#x}");
            assert!(open > 0.0 && open < 1.0 && closed > 0.0 && closed <= 1.0);
        }
    }

    #[test]
    fn box_muller_and_exponential_match_their_definitions() {
        let u = |w: u32| ((w >> 8) as f64 + 1.0) / 16_777_216.0;
        for (w0, w1) in words().zip(words().skip(7)) {
            let radius = (-2.0 * u(w0).ln()).sqrt();
            let angle = 2.0 * std::f64::consts::PI * u(w1);
            let (z0, z1) = box_muller(w0, w1);
            // the fast f32 logarithm and sine: a few units in the last place of
            // values of order 1 (radius <= 5.8)
            let tol = 2e-6 * (1.0 + radius);
            assert!(
                (z0 as f64 - radius * angle.cos()).abs() < tol,
                "{w0:#x} {w1:#x}: {z0}"
            );
            assert!(
                (z1 as f64 - radius * angle.sin()).abs() < tol,
                "{w0:#x} {w1:#x}: {z1}"
            );
            let e = -u(w0).ln();
            assert!(
                (exponential(w0) as f64 - e).abs() < 2e-6 * (1.0 + e),
                "{w0:#x}"
            );
        }
    }

    #[test]
    fn stable_constants() {
        // alpha = 1.5, beta = 0.5: zeta = 0.5 tan(3 pi / 4) = -0.5,
        // shift = atan(-0.5) / 1.5, scale = 1.25^(1/3).
        let law = StableSampler::new(1.5, 0.5);
        assert!((law.shift as f64 - (-0.5f64).atan() / 1.5).abs() < 1e-7);
        assert!((law.scale as f64 - 1.25f64.powf(1.0 / 3.0)).abs() < 1e-6);
        let symmetric = StableSampler::new(0.7, 0.0);
        assert_eq!((symmetric.shift, symmetric.scale), (0.0, 1.0));
        let cauchy = StableSampler::new(1.0, 0.3);
        assert_eq!(
            (cauchy.alpha, cauchy.beta, cauchy.shift, cauchy.scale),
            (1.0, 0.3, 0.0, 1.0)
        );
    }

    /// The characteristic function of `S_alpha(1, beta, 0)` (Samorodnitsky–Taqqu):
    /// `exp(-|t|^alpha (1 - i beta sign(t) tan(pi alpha / 2)))`, and for alpha = 1
    /// `exp(-|t| (1 + i beta (2 / pi) sign(t) ln|t|))`.
    fn stable_cf(alpha: f64, beta: f64, t: f64) -> (f64, f64) {
        let a = t.abs().powf(alpha);
        let phase = if alpha == 1.0 {
            -beta * std::f64::consts::FRAC_2_PI * t.signum() * t.abs().ln()
        } else {
            beta * t.signum() * (std::f64::consts::FRAC_PI_2 * alpha).tan()
        };
        // exp(-a + i a phase)
        let m = (-a).exp();
        (m * (a * phase).cos(), m * (a * phase).sin())
    }

    #[test]
    fn stable_draws_have_the_stable_characteristic_function() {
        // 2^18 draws per law on Threefry words; the empirical characteristic
        // function's real and imaginary parts at t = 0.3, 1 and 2.5 each within
        // 4.5 standard errors (from the draws) of the exact one: 12 laws x 3 t x 2
        // parts = 72 z scores, false-failure rate 72 x 6.8e-6 = 5e-4 (fixed key:
        // deterministic). A 2% error in the scale moves |t|^alpha by 2-3% and the
        // real part at t = 1 by ~0.01, 7 standard errors.
        let n = 1u32 << 18;
        let laws = [0.5, 0.8, 1.0, 1.3, 1.7, 1.95]
            .into_iter()
            .flat_map(|alpha| [(alpha, 0.0), (alpha, if alpha < 1.0 { 0.6 } else { -0.7 })]);
        for (law_index, (alpha, beta)) in laws.enumerate() {
            let law = StableSampler::new(alpha, beta);
            let key = [0x5EED_0000 | law_index as u32, 27];
            let draws: Vec<f64> = (0..n)
                .map(|i| {
                    let [w0, w1] = threefry2x32_20([i, 0], key);
                    stable(w0, w1, &law) as f64
                })
                .collect();
            assert!(
                draws.iter().all(|x| x.is_finite()),
                "alpha {alpha}, beta {beta}"
            );
            for t in [0.3, 1.0, 2.5] {
                let nn = n as f64;
                let mean = |f: &dyn Fn(f64) -> f64| draws.iter().map(|&x| f(x)).sum::<f64>() / nn;
                let (re, im) = (mean(&|x| (t * x).cos()), mean(&|x| (t * x).sin()));
                let var_re = mean(&|x| (t * x).cos().powi(2)) - re * re;
                let var_im = mean(&|x| (t * x).sin().powi(2)) - im * im;
                let (exact_re, exact_im) = stable_cf(alpha, beta, t);
                let z_re = (re - exact_re) / (var_re / nn).sqrt();
                let z_im = (im - exact_im) / (var_im.max(1e-12) / nn).sqrt();
                assert!(
                    z_re.abs() < 4.5 && z_im.abs() < 4.5,
                    "alpha {alpha}, beta {beta}, t {t}: ECF ({re:.5}, {im:.5}), exact ({exact_re:.5}, {exact_im:.5}), z ({z_re:.2}, {z_im:.2})"
                );
            }
        }
    }
}
