//! Exact references for the discrete chain itself rather than the SDE: the
//! mean exit step of the Euler chain of Langevin dynamics in the quadratic,
//! computed by Nyström on its integral equation (docs/testing.md). At a coarse
//! step the chain's mean exit time differs from the SDE's by far more than a
//! Monte Carlo interval, so an estimator of the chain (direct simulation, the
//! splitting estimator of `crate::rare`) is tested against this, not against
//! the continuous-time quadrature of `super::theory`. It shares no code with
//! either estimator or with that quadrature.

/// Gauss–Legendre nodes and weights of order `n` on [-1, 1] (Newton on `P_n`
/// from the Tricomi initial guess).
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            loop {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    (p0, p1) = (p1, p2);
                }
                let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let step = p1 / dp;
                x -= step;
                if step.abs() < 1e-15 {
                    return (x, 2.0 / ((1.0 - x * x) * dp * dp));
                }
            }
        })
        .collect()
}

/// The exact mean exit step of the Euler chain of Langevin dynamics in the
/// quadratic `H x^2 / 2`, `x' = (1 - H dt) x + sqrt(D0 dt) z`, from `x0` to
/// the first step at or beyond `a`: `T(x) = 1 + int_{-inf}^{a} K(x, y) T(y) dy`
/// with the Gaussian kernel `K`, solved by Nyström on 50 Gauss–Legendre panels
/// of order 8 over `[a - 5, a]` (for `H = 1, D0 = 0.5, dt = 0.1, a = 1`
/// converged to 1e-12 relative: 400 panels agree, and the mass below -4 is
/// beyond 1e-12). Meant for a stable chain (`0 < H dt < 2`) with `a` a few
/// stationary standard deviations above the minimum at most.
pub fn ou_euler_mean_exit_steps(h: f64, d0: f64, dt: f64, a: f64, x0: f64) -> f64 {
    let rule = gauss_legendre(8);
    let (lo, panels) = (a - 5.0, 50);
    let width = (a - lo) / panels as f64;
    let nodes: Vec<(f64, f64)> = (0..panels)
        .flat_map(|k| {
            let centre = lo + (k as f64 + 0.5) * width;
            rule.iter()
                .map(move |&(g, w)| (centre + 0.5 * width * g, 0.5 * width * w))
        })
        .collect();
    let s = (d0 * dt).sqrt();
    let kernel = |x: f64, (y, w): (f64, f64)| {
        let u = (y - (1.0 - h * dt) * x) / s;
        (-0.5 * u * u).exp() / (s * (2.0 * std::f64::consts::PI).sqrt()) * w
    };
    // (I - K) T = 1 by Gaussian elimination with partial pivoting
    let n = nodes.len();
    let mut m: Vec<Vec<f64>> = nodes
        .iter()
        .enumerate()
        .map(|(i, &(x, _))| {
            let mut row: Vec<f64> = nodes.iter().map(|&node| -kernel(x, node)).collect();
            row[i] += 1.0;
            row.push(1.0);
            row
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))
            .unwrap();
        m.swap(col, pivot);
        let (upper, lower) = m.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower.iter_mut() {
            let f = row[col] / pivot_row[col];
            if f != 0.0 {
                for (a, b) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *a -= f * b;
                }
            }
        }
    }
    let mut t = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| m[row][k] * t[k]).sum();
        t[row] = (m[row][n] - tail) / m[row][row];
    }
    1.0 + nodes
        .iter()
        .zip(&t)
        .map(|(&node, t)| kernel(x0, node) * t)
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_to_degree_2n_minus_1() {
        let rule = gauss_legendre(8);
        // int_{-1}^{1} x^k = 2 / (k + 1) for even k, 0 for odd; exact up to k = 15
        for k in 0..=15 {
            let sum: f64 = rule.iter().map(|&(x, w)| w * x.powi(k)).sum();
            let exact = if k % 2 == 0 {
                2.0 / (k + 1) as f64
            } else {
                0.0
            };
            assert!((sum - exact).abs() < 1e-14, "x^{k}: {sum} vs {exact}");
        }
        // and not beyond: x^16 is off
        let sum: f64 = rule.iter().map(|&(x, w)| w * x.powi(16)).sum();
        assert!((sum - 2.0 / 17.0).abs() > 1e-6);
    }

    #[test]
    fn a_chain_that_forgets_its_state_exits_after_a_geometric_number_of_steps() {
        // H dt = 1: x' = sqrt(D0 dt) z whatever x is, so the steps are
        // independent and T is geometric with mean 1 / P(sqrt(D0 dt) z >= a)
        // (the truncation at a - 5 is 21 kernel widths down: nothing is lost).
        let (h, d0, dt, a): (f64, f64, f64, f64) = (10.0, 0.5, 0.1, 0.3);
        let s = (d0 * dt).sqrt();
        let q = 0.5 * statrs::function::erf::erfc(a / s / std::f64::consts::SQRT_2);
        for x0 in [-1.0, 0.0, 0.29] {
            let t = ou_euler_mean_exit_steps(h, d0, dt, a, x0);
            assert!((t * q - 1.0).abs() < 1e-10, "x0 {x0}: {t} vs {}", 1.0 / q);
        }
    }

    #[test]
    fn a_start_far_beyond_the_level_exits_in_one_step() {
        // From x0 = 1 the next state is N(0.9, 0.05): at or beyond a = -2
        // except with probability far below 1e-12.
        let one = ou_euler_mean_exit_steps(1.0, 0.5, 0.1, -2.0, 1.0);
        assert!((one - 1.0).abs() < 1e-12, "{one}");
        // and the mean exit step falls as the start moves up
        let lower = ou_euler_mean_exit_steps(1.0, 0.5, 0.1, 1.0, -1.0);
        let higher = ou_euler_mean_exit_steps(1.0, 0.5, 0.1, 1.0, 0.5);
        assert!(lower > higher && higher > 1.0, "{lower} {higher}");
    }
}
