//! Branch-free f32 elementary functions (Cephes single-precision polynomials)
//! that the compiler vectorizes in lane loops, written operation for operation
//! like `shaders/shared/fastmath.wgsl` so CPU and GPU round alike.
//! Accuracy: a few ulp on the ranges the samplers use (see the tests).

use std::f32::consts::{FRAC_2_PI, LOG2_E, TAU};

const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1.5 * 2^23`: adding it rounds an f32 of magnitude below 2^22 to the nearest
/// integer (ties to even), whose low bits then sit in the sum's mantissa.
const ROUNDING_MAGIC: f32 = 12_582_912.0;

/// Round to the nearest integer (ties to even) for |y| < 2^22: the value as f32
/// and as i32, without float-to-int conversions (which do not vectorize). The
/// f32 is converted back from the integer, never computed as `(y + M) - M`,
/// which GPU compilers may simplify to `y`.
#[inline(always)]
fn round_nearest(y: f32) -> (f32, i32) {
    let integer = (y + ROUNDING_MAGIC).to_bits() as i32 - ROUNDING_MAGIC.to_bits() as i32;
    (integer as f32, integer)
}

/// Natural logarithm of a positive, finite, normal `x`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 126;
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let below = mantissa < SQRT_HALF;
    let e = (if below { exponent - 1 } else { exponent }) as f32;
    let m = if below {
        mantissa + mantissa - 1.0
    } else {
        mantissa - 1.0
    };
    let z = m * m;
    let mut p = 7.037_683_6e-2_f32;
    p = p * m - 1.151_461e-1;
    p = p * m + 1.167_699_9e-1;
    p = p * m - 1.242_014_1e-1;
    p = p * m + 1.424_932_3e-1;
    p = p * m - 1.666_805_8e-1;
    p = p * m + 2.000_071_5e-1;
    p = p * m - 2.499_999_4e-1;
    p = p * m + 3.333_333e-1;
    let mut y = p * m * z;
    y += -2.121_944_4e-4 * e;
    y += -0.5 * z;
    (m + y) + 0.693_359_4 * e
}

/// `e^x` for `x` in [-87, 88] (clamped outside); reduction by the nearest multiple of ln 2.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let (nf, n) = round_nearest(x * LOG2_E);
    let r = x - nf * 0.693_359_4 - nf * -2.121_944_4e-4;
    let z = r * r;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * z + r + 1.0;
    y * f32::from_bits(((n + 127) as u32) << 23)
}

/// `base^power` for positive `base`.
#[inline(always)]
pub fn pow(base: f32, power: f32) -> f32 {
    exp(power * ln(base))
}

#[inline(always)]
fn sin_kernel(r: f32) -> f32 {
    let z = r * r;
    ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * r + r
}

#[inline(always)]
fn cos_kernel(r: f32) -> f32 {
    let z = r * r;
    ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0
}

/// (sin, cos) of `r + quadrant * pi/2` from the kernels on |r| <= pi/4.
#[inline(always)]
fn quadrant_sin_cos(r: f32, quadrant: i32) -> (f32, f32) {
    let s = sin_kernel(r);
    let c = cos_kernel(r);
    let swap = (quadrant & 1) != 0;
    let sin = if swap { c } else { s };
    let cos = if swap { s } else { c };
    let sin = if (quadrant & 2) != 0 { -sin } else { sin };
    let cos = if ((quadrant + 1) & 2) != 0 { -cos } else { cos };
    (sin, cos)
}

/// (sin, cos) of `2 pi u` for `u` in [0, 1]; the reduction is exact because
/// `u` is a multiple of 2^-24.
#[inline(always)]
pub fn sin_cos_turns(u: f32) -> (f32, f32) {
    let (q, quadrant) = round_nearest(u * 4.0);
    let fraction = u - q * 0.25;
    quadrant_sin_cos(fraction * TAU, quadrant)
}

/// (sin, cos) of `x` for |x| up to a few hundred (three-part Cody–Waite reduction).
#[inline(always)]
pub fn sin_cos(x: f32) -> (f32, f32) {
    let (q, quadrant) = round_nearest(x * FRAC_2_PI);
    let r = ((x - q * 1.570_312_5) - q * 4.837_513e-4) - q * 7.549_79e-8;
    quadrant_sin_cos(r, quadrant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f64) -> f64 {
        let spacing = (b.abs() as f32).max(f32::MIN_POSITIVE);
        let ulp = f32::from_bits(spacing.to_bits() + 1) - spacing;
        (a as f64 - b).abs() / ulp as f64
    }

    #[test]
    fn ln_is_within_two_ulp_on_sampler_range() {
        let mut worst: f64 = 0.0;
        for k in 1..=(1u32 << 24) {
            if k % 61 != 0 && k > 4096 {
                continue;
            }
            let u = k as f32 * 2f32.powi(-24);
            worst = worst.max(ulps(ln(u), (u as f64).ln()));
        }
        for x in [1.5f32, 2.0, 10.0, 1e6, 3.3e30] {
            worst = worst.max(ulps(ln(x), (x as f64).ln()));
        }
        assert!(worst <= 2.0, "worst ln error {worst} ulp");
    }

    #[test]
    fn exp_is_within_two_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = -80.0f32;
        while x < 80.0 {
            worst = worst.max(ulps(exp(x), (x as f64).exp()));
            x += 0.013_7;
        }
        assert!(worst <= 2.0, "worst exp error {worst} ulp");
    }

    #[test]
    fn turns_sin_cos_are_accurate() {
        let mut worst: f64 = 0.0;
        for k in (0..=(1u32 << 24)).step_by(97) {
            let u = k as f32 * 2f32.powi(-24);
            let (s, c) = sin_cos_turns(u);
            let angle = std::f64::consts::TAU * u as f64;
            // absolute error in units of 2^-24 (the values pass through zero)
            worst = worst.max((s as f64 - angle.sin()).abs() * 2f64.powi(24));
            worst = worst.max((c as f64 - angle.cos()).abs() * 2f64.powi(24));
        }
        assert!(worst <= 2.0, "worst sin/cos error {worst} x 2^-24");
    }

    #[test]
    fn general_sin_cos_are_accurate() {
        let mut worst: f64 = 0.0;
        let mut x = -7.0f32;
        while x < 7.0 {
            let (s, c) = sin_cos(x);
            worst = worst.max((s as f64 - (x as f64).sin()).abs() * 2f64.powi(24));
            worst = worst.max((c as f64 - (x as f64).cos()).abs() * 2f64.powi(24));
            x += 0.000_37;
        }
        assert!(worst <= 3.0, "worst sin/cos error {worst} x 2^-24");
    }
}
