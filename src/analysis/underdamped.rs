//! References of underdamped escape from a 1-D well (docs/theory.md §8) at
//! low friction: the energy-diffusion limit of `gamma x` the mean time to
//! reach the barrier top, by quadrature over energy with the action `I(E)` of
//! the orbits. f64 throughout.

use std::f64::consts::PI;

/// The action `I(E) = ∮ v dx = 2 int_{x1}^{x2} sqrt(2 (E - L(x))) dx` of the
/// orbit at energy `E` in the well around `minimum`, bounded on the right by
/// `top` (where `L(top) >= E`) and on the left by the first point where `L`
/// reaches `E` (searched outward; `None` if `L` does not reach `E` within
/// 10^6 of the minimum).
pub fn action(potential: &impl Fn(f64) -> f64, minimum: f64, top: f64, energy: f64) -> Option<f64> {
    if energy <= potential(minimum) {
        return Some(0.0);
    }
    let right = turning_point(potential, minimum, top, energy);
    let mut reach = (top - minimum).abs().max(1e-3);
    let mut far = minimum - reach;
    while potential(far) < energy {
        reach *= 2.0;
        if reach > 1e6 {
            return None;
        }
        far = minimum - reach;
    }
    let left = turning_point(potential, minimum, far, energy);
    // x = c + r sin(phi): the integrand's square-root zeros at both ends
    // become smooth in phi; the midpoint rule converges fast.
    let (c, r) = ((left + right) / 2.0, (right - left) / 2.0);
    const N: usize = 512;
    let h = PI / N as f64;
    let mut sum = 0.0;
    for i in 0..N {
        let phi = -PI / 2.0 + (i as f64 + 0.5) * h;
        let x = c + r * phi.sin();
        sum += (2.0 * (energy - potential(x)).max(0.0)).sqrt() * r * phi.cos();
    }
    Some(2.0 * sum * h)
}

/// The point between `inside` (where `L < E`) and `outside` (where `L >= E`) at which `L = E`.
fn turning_point(potential: &impl Fn(f64) -> f64, inside: f64, outside: f64, energy: f64) -> f64 {
    let (mut a, mut b) = (inside, outside);
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if potential(m) < energy {
            a = m;
        } else {
            b = m;
        }
        if (b - a).abs() <= 1e-15 * (1.0 + m.abs()) {
            break;
        }
    }
    0.5 * (a + b)
}

/// The energy-diffusion limit (`gamma -> 0`) of `gamma x` the mean time for
/// the underdamped dynamic with constant `D0` (`kT = D0 / 2`) to reach the
/// barrier top `top` (an exit at `x >= top`, which an orbit reaches when its
/// energy reaches `E_b = L(top)`), from `x0` with a Maxwell velocity. The
/// orbit-averaged energy is a diffusion with drift `gamma (kT - I/T)` and
/// variance rate `2 gamma kT I/T` (`T = I'` the period), reflected at the
/// minimum, so
///
/// ```text
/// gamma T(E0) = int_{E0}^{E_b} g(E) dE,
/// g(E) = e^{E/kT} / (kT I(E)) int_{E_min}^{E} T(E') e^{-E'/kT} dE'
///      = 1/kT + 1 / (kT^2 I(E)) int_{E_min}^{E} I(E') e^{(E - E')/kT} dE'
/// ```
///
/// (by parts), averaged over `E0 = L(x0) + v^2/2`, `v ~ N(0, kT)`; a start
/// energy at or above `E_b` counts as 0 (it crosses within one period).
pub fn energy_diffusion_time(
    potential: &impl Fn(f64) -> f64,
    minimum: f64,
    top: f64,
    d0: f64,
    x0: f64,
) -> Option<f64> {
    let kt = d0 / 2.0;
    let (e_min, e_b) = (potential(minimum), potential(top));
    if !(kt > 0.0 && e_b > e_min && top > minimum) {
        return None;
    }
    const N: usize = 4000;
    let h = (e_b - e_min) / N as f64;
    let mut actions = Vec::with_capacity(N + 1);
    for k in 0..=N {
        actions.push(action(potential, minimum, top, e_min + k as f64 * h)?);
    }
    // g on the grid; J(E) = int I(E') e^{(E - E')/kT} dE' by the trapezoid rule, recursively
    let grow = (h / kt).exp();
    let mut g = vec![0.0; N + 1];
    let mut j = 0.0;
    // near E_min, I ~ 2 pi (E - E_min) / omega and J ~ I h_E / 2: g -> 1/kT + (E - E_min)/(2 kT^2) -> 1/kT
    g[0] = 1.0 / kt;
    for k in 1..=N {
        j = j * grow + 0.5 * h * (actions[k - 1] * grow + actions[k]);
        g[k] = 1.0 / kt + j / (kt * kt * actions[k]);
    }
    // G(E) = int_E^{E_b} g, from the top down
    let mut tail = vec![0.0; N + 1];
    for k in (0..N).rev() {
        tail[k] = tail[k + 1] + 0.5 * h * (g[k] + g[k + 1]);
    }
    let time_from = |energy: f64| -> f64 {
        if energy >= e_b {
            return 0.0;
        }
        let u = ((energy - e_min) / h).max(0.0);
        let k = (u.floor() as usize).min(N - 1);
        let f = u - k as f64;
        tail[k] * (1.0 - f) + tail[k + 1] * f
    };
    // the Maxwell average over v ~ N(0, kT), on |v| below the escape speed
    let e0 = potential(x0);
    if e0 >= e_b {
        return Some(0.0);
    }
    let vmax = (2.0 * (e_b - e0)).sqrt();
    const M: usize = 20_000;
    let dv = vmax / M as f64;
    let mut mean = 0.0;
    for i in 0..M {
        let v = (i as f64 + 0.5) * dv;
        let density = (-v * v / (2.0 * kt)).exp() / (2.0 * PI * kt).sqrt();
        mean += 2.0 * density * time_from(e0 + 0.5 * v * v) * dv;
    }
    Some(mean)
}

/// Mel'nikov–Meshkov's depopulation factor
/// `Υ(Δ) = exp[(1/2π) int_R ln(1 - e^{-Δ (y^2 + 1/4)}) / (y^2 + 1/4) dy]`,
/// evaluated after `y = tan(θ)/2` as
/// `exp[(1/π) int_{-π/2}^{π/2} ln(1 - e^{-Δ / (4 cos^2 θ)}) dθ]`
/// (a smooth integrand that vanishes at both ends). `Υ ~ Δ` as `Δ -> 0`,
/// `Υ -> 1` as `Δ -> ∞`.
pub fn depopulation_factor(delta: f64) -> f64 {
    const N: usize = 4000;
    let h = PI / N as f64;
    let mut sum = 0.0;
    for i in 0..N {
        let theta = -PI / 2.0 + (i as f64 + 0.5) * h;
        let c = theta.cos();
        sum += (-(-delta / (4.0 * c * c)).exp()).ln_1p();
    }
    (sum * h / PI).exp()
}

/// Kramers' rate of escape out of a well over a barrier for underdamped
/// dynamics at friction `gamma` (spatial diffusion):
/// `(λ+ / ω_b) (ω_a / 2π) e^{-dL/kT}`, `λ+ = sqrt(gamma^2/4 + ω_b^2) - gamma/2`,
/// with `ω_a^2`, `ω_b^2` the curvatures at the minimum and the top. A
/// low-noise asymptote (`dL/kT >> 1`) for `gamma I(E_b)/kT >> 1`.
pub fn kramers_rate(
    curvature_min: f64,
    curvature_top: f64,
    height: f64,
    kt: f64,
    gamma: f64,
) -> f64 {
    let (wa, wb) = (curvature_min.sqrt(), curvature_top.sqrt());
    let lambda = (gamma * gamma / 4.0 + wb * wb).sqrt() - gamma / 2.0;
    lambda / wb * wa / (2.0 * PI) * (-height / kt).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Υ's two limits, and the closed form of its small-Δ expansion's first
    /// term against a direct quadrature in `y` at a middle Δ.
    #[test]
    fn the_depopulation_factor_has_its_limits() {
        for delta in [1e-4, 1e-3] {
            let u = depopulation_factor(delta);
            assert!((u / delta - 1.0).abs() < 0.1, "{delta}: {u}");
        }
        assert!((depopulation_factor(50.0) - 1.0).abs() < 1e-3);
        // direct: y on a wide grid, the tail beyond Y by ln(1 - e^{-Δ y^2}) / y^2 ~ small
        let delta = 1.0f64;
        let (n, top) = (400_000, 200.0f64);
        let h = top / n as f64;
        let mut sum = 0.0;
        for i in 0..n {
            let y = (i as f64 + 0.5) * h;
            let q = y * y + 0.25;
            sum += (-(-delta * q).exp()).ln_1p() / q;
        }
        let direct = (2.0 * sum * h / (2.0 * PI)).exp();
        let u = depopulation_factor(delta);
        assert!((u / direct - 1.0).abs() < 1e-6, "{u} vs {direct}");
    }

    /// Kramers' rate tends to the transition-state rate `ω_a/2π e^{-dL/kT}`
    /// as `gamma -> 0` and to `ω_a ω_b / (2π gamma) e^{-dL/kT}` as `gamma -> ∞`.
    #[test]
    fn kramers_rate_has_its_limits() {
        let (ha, hb, dl, kt) = (2.0f64, 1.0f64, 0.25f64, 0.1f64);
        let tst = ha.sqrt() / (2.0 * PI) * (-dl / kt).exp();
        assert!((kramers_rate(ha, hb, dl, kt, 1e-9) / tst - 1.0).abs() < 1e-8);
        let smoluchowski = ha.sqrt() * hb.sqrt() / (2.0 * PI * 1e4) * (-dl / kt).exp();
        assert!((kramers_rate(ha, hb, dl, kt, 1e4) / smoluchowski - 1.0).abs() < 1e-6);
    }

    /// The harmonic well `L = omega^2 x^2 / 2`: `I(E) = 2 pi E / omega`.
    #[test]
    fn the_harmonic_action_is_two_pi_e_over_omega() {
        let omega = 1.7;
        let l = |x: f64| 0.5 * omega * omega * x * x;
        for e in [0.01, 0.3, 2.0] {
            let i = action(&l, 0.0, 10.0, e).unwrap();
            assert!((i / (2.0 * PI * e / omega) - 1.0).abs() < 1e-9, "{e}: {i}");
        }
    }

    /// The quartic double well `L = (x^2 - 1)^2 / 4` at its barrier energy
    /// `1/4`: the separatrix's action `2 int_{-sqrt 2}^{0} |x| sqrt(2 - x^2) / sqrt 2 dx = 4/3`.
    #[test]
    fn the_double_well_separatrix_action_is_four_thirds() {
        let l = |x: f64| 0.25 * (x * x - 1.0).powi(2);
        let i = action(&l, -1.0, 0.0, 0.25).unwrap();
        assert!((i - 4.0 / 3.0).abs() < 1e-6, "{i}");
    }

    /// With `I = 2 pi E / omega` (harmonic, `E_min = 0`), `g(E) = 1/kT +
    /// (kT e^{E/kT} - kT - E) / (kT E)`, integrable in closed form through
    /// the exponential integral; here against a fine independent quadrature
    /// of that `g` from a start at rest energy `E0` averaged as the function
    /// does, with the top at a cut `x_b` where `E_b = 1.2`.
    #[test]
    fn the_energy_diffusion_time_integrates_g_of_the_harmonic_well() {
        let omega = 1.0;
        let l = |x: f64| 0.5 * omega * omega * x * x;
        let (d0, top) = (0.5f64, (2.0f64 * 1.2).sqrt());
        let kt = d0 / 2.0;
        let e_b = 1.2;
        let g = |e: f64| {
            if e < 1e-9 {
                1.0 / kt
            } else {
                1.0 / kt + (kt * (e / kt).exp() - kt - e) / (kt * e)
            }
        };
        // G(E) by Simpson on a fine grid, then the Maxwell average
        let big_g = |e0: f64| {
            let n = 2000;
            let h = (e_b - e0) / n as f64;
            let mut s = g(e0) + g(e_b);
            for i in 1..n {
                s += g(e0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
            }
            s * h / 3.0
        };
        let vmax = (2.0 * e_b).sqrt();
        let m = 4000;
        let dv = vmax / m as f64;
        let mut expected = 0.0;
        for i in 0..m {
            let v = (i as f64 + 0.5) * dv;
            let density = (-v * v / (2.0 * kt)).exp() / (2.0 * PI * kt).sqrt();
            expected += 2.0 * density * big_g(0.5 * v * v) * dv;
        }
        let got = energy_diffusion_time(&l, 0.0, top, d0, 0.0).unwrap();
        assert!((got / expected - 1.0).abs() < 1e-4, "{got} vs {expected}");
    }
}
