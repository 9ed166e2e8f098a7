//! Analytic references of docs/theory.md §2–§5 for 1-D models: potentials, noise laws, stationary laws,
//! exact mean first-passage times (and second moments) by log-space quadrature, and low-noise
//! escape-time formulas. Only std + statrs; f64 throughout; quadrature targets ~1e-9 relative.

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::gamma;
use std::f64::consts::{LN_2, PI};
use std::sync::OnceLock;

pub use crate::model::noise::{AlphaStable, Langevin, PowerLaw, PowerLawLoss};
pub use crate::model::potential::{Barrier, DoubleWell, Quadratic, Washboard};
pub use crate::model::{NoiseParams, PotentialParams};

/// Broadie–Glasserman–Kou constant `-zeta(1/2)/sqrt(2 pi)` of the discrete-monitoring shift.
pub const BGK_SHIFT: f64 = 0.5826;

// ---------------------------------------------------------------------------------------------
// Model types
// ---------------------------------------------------------------------------------------------

/// A 1-D model: potential, noise law and interpretation `alpha` (0 Itô, 1/2 Stratonovich,
/// 1 anti-Itô).
#[derive(Clone, Debug, PartialEq)]
pub struct Model1d {
    /// The loss `L` (coordinate 0 of the case's potential).
    pub potential: PotentialParams,
    /// The noise law, with its variance `D(x)`.
    pub noise: NoiseParams,
    /// Interpretation `alpha` of multiplicative noise: 0, 1/2 or 1 (docs/theory.md §1).
    pub alpha: f64,
}

impl Model1d {
    /// Itô drift `m(x) = -L'(x) + alpha D'(x) / 2` (docs/theory.md §1).
    pub fn ito_drift(&self, x: f64) -> f64 {
        -self.potential.gradient(x)
            + self.alpha * 0.5 * self.noise.variance_derivative(x, &self.potential)
    }

    /// Noise variance `D(x)`.
    pub fn variance(&self, x: f64) -> f64 {
        self.noise.variance(x, &self.potential)
    }

    /// Points where the quadrature should place a panel boundary.
    fn breakpoints(&self) -> Vec<f64> {
        let mut v = vec![self.potential.minimum()];
        v.extend(self.potential.kink());
        v.extend(self.potential.top());
        v.extend(self.noise.breakpoint());
        v
    }

    /// Initial panel width: the OU stationary standard deviation of the basin.
    fn length_scale(&self) -> Option<f64> {
        let x = self.potential.minimum();
        let w = (self.variance(x) / (2.0 * self.potential.curvature_at_minimum())).sqrt();
        (w.is_finite() && w > 0.0).then_some(w)
    }
}

// ---------------------------------------------------------------------------------------------
// Stationary laws and discretization moments
// ---------------------------------------------------------------------------------------------

/// Ornstein–Uhlenbeck stationary variance `D0 / (2 H)`.
pub fn ou_stationary_variance(curvature: f64, d0: f64) -> f64 {
    d0 / (2.0 * curvature)
}

/// Euler–Maruyama's exact stationary variance for OU, `D0 / (H (2 - H dt))` (NaN unless
/// `0 < H dt < 2`).
pub fn ou_em_variance(curvature: f64, d0: f64, dt: f64) -> f64 {
    let hd = curvature * dt;
    if hd > 0.0 && hd < 2.0 {
        d0 / (curvature * (2.0 - hd))
    } else {
        f64::NAN
    }
}

/// Euler–Maruyama's exact stationary second moment for the quadratic basin with power-law noise
/// (`rho = 0`, center 0): `D0 / (2h - dt h^2 - D2)`, `h = H - alpha D2`. `None` when the
/// denominator is not positive (the second moment diverges) or the result is not finite.
pub fn power_law_em_second_moment(
    curvature: f64,
    d0: f64,
    d2: f64,
    alpha: f64,
    dt: f64,
) -> Option<f64> {
    let h = curvature - alpha * d2;
    let den = 2.0 * h - dt * h * h - d2;
    let m = d0 / den;
    (den > 0.0 && m.is_finite() && m >= 0.0).then_some(m)
}

/// Stationary law of the quadratic basin with power-law noise, `rho = 0` (docs/theory.md §5.2): a scaled
/// Student-t with `nu = 2 kappa + 1 - 2 alpha` degrees of freedom, `kappa = H / D2`, scale
/// `sqrt(D0 / (D2 nu))`, located at the basin center.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLawStationary {
    /// Tail index `kappa = H / D2`.
    pub kappa: f64,
    /// Degrees of freedom `nu = 2 kappa + 1 - 2 alpha`.
    pub nu: f64,
    /// Scale `sqrt(D0 / (D2 nu))` of the Student-t law.
    pub scale: f64,
    /// Centre `c` of the basin, where the law is located.
    pub center: f64,
}

impl PowerLawStationary {
    /// `None` unless `H, D0, D2 > 0` and `nu > 0` (a normalizable law).
    pub fn new(curvature: f64, d0: f64, d2: f64, alpha: f64, center: f64) -> Option<Self> {
        if !(curvature > 0.0 && d0 > 0.0 && d2 > 0.0 && center.is_finite()) {
            return None;
        }
        let kappa = curvature / d2;
        let nu = 2.0 * kappa + 1.0 - 2.0 * alpha;
        if !(nu > 0.0 && nu.is_finite()) {
            return None;
        }
        Some(Self {
            kappa,
            nu,
            scale: (d0 / (d2 * nu)).sqrt(),
            center,
        })
    }

    /// The statrs law; `None` if the (public) fields were set to invalid values.
    fn law(&self) -> Option<StudentsT> {
        StudentsT::new(self.center, self.scale, self.nu).ok()
    }

    /// Density (NaN for invalid fields).
    pub fn pdf(&self, x: f64) -> f64 {
        self.law().map_or(f64::NAN, |l| l.pdf(x))
    }

    /// Distribution function (NaN for invalid fields).
    pub fn cdf(&self, x: f64) -> f64 {
        self.law().map_or(f64::NAN, |l| l.cdf(x))
    }

    /// Exponent of the density tail `p ~ |x|^-(nu + 1) = |x|^-(2 kappa + 2 - 2 alpha)`.
    pub fn tail_exponent(&self) -> f64 {
        self.nu + 1.0
    }

    /// Variance `scale^2 nu / (nu - 2)`, `None` for `nu <= 2`.
    pub fn variance(&self) -> Option<f64> {
        (self.nu > 2.0).then(|| self.scale * self.scale * self.nu / (self.nu - 2.0))
    }
}

/// Unnormalized log-density of the d-dimensional `power-law-loss` stationary law on a quadratic
/// basin as a function of the loss excess `L - L_min` (docs/theory.md §5.2, Theorem 4):
/// `-(2/k + 1 - alpha) ln(1 + (k/D0)(L - L_min))`.
pub fn power_law_loss_log_density(loss_excess: f64, d0: f64, k: f64, alpha: f64) -> f64 {
    -(2.0 / k + 1.0 - alpha) * (k / d0 * loss_excess).ln_1p()
}

/// The Itô stationary density `p ∝ exp(int 2m/D) / D` of any 1-D model on `n >= 2` equally
/// spaced points of `[x_lo, x_hi]`, normalized to integrate to 1 over that window (choose it wide
/// enough for the tails you care about). Covers `rho != 0` (the paper's arctangent factor) and
/// every `alpha`. Returns an empty vector when the model is invalid on the window (`D <= 0`).
pub fn stationary_density_1d(model: &Model1d, x_lo: f64, x_hi: f64, n: usize) -> Vec<(f64, f64)> {
    stationary_window(model, x_lo, x_hi, n)
        .map(|w| {
            w.xs.iter()
                .zip(&w.phi)
                .map(|(&x, &phi)| (x, (phi - model.variance(x).ln() - w.log_norm).exp()))
                .collect()
        })
        .unwrap_or_default()
}

/// Distribution function of [`stationary_density_1d`] (same window normalization) on the same
/// points; empty on failure.
pub fn stationary_cdf_1d(model: &Model1d, x_lo: f64, x_hi: f64, n: usize) -> Vec<(f64, f64)> {
    stationary_window(model, x_lo, x_hi, n)
        .map(|w| {
            w.xs.iter()
                .zip(&w.log_cumulative)
                .map(|(&x, &lc)| (x, (lc - w.log_norm).exp().min(1.0)))
                .collect()
        })
        .unwrap_or_default()
}

struct StationaryWindow {
    xs: Vec<f64>,
    phi: Vec<f64>,
    log_cumulative: Vec<f64>,
    log_norm: f64,
}

fn stationary_window(model: &Model1d, x_lo: f64, x_hi: f64, n: usize) -> Option<StationaryWindow> {
    if n < 2 || x_lo >= x_hi || !x_lo.is_finite() || !x_hi.is_finite() {
        return None;
    }
    let xs: Vec<f64> = (0..n)
        .map(|i| x_lo + (x_hi - x_lo) * i as f64 / (n - 1) as f64)
        .collect();
    let mut breaks = xs.clone();
    breaks.extend(model.breakpoints());
    let w = model.length_scale()?;
    let (panels, start_of) = build_pieces(model, &breaks, x_lo, x_hi, 4.0 * w)?;
    // log_density_nodes carries the factor 2 of the MFPT integrand: remove it.
    let inner: Vec<[f64; N]> = panels
        .iter()
        .map(|p| p.log_density_nodes().map(|g| g - LN_2))
        .collect();
    let (_, start_values, total) = forward_log_cumulative(&panels, &inner);
    let mut phi = Vec::with_capacity(n);
    let mut log_cumulative = Vec::with_capacity(n);
    for &x in &xs {
        let i = start_of(x);
        if i < panels.len() {
            phi.push(panels[i].phi_a);
            log_cumulative.push(start_values[i]);
        } else {
            let last = panels.last()?;
            phi.push(last.phi_a + last.dphi_total);
            log_cumulative.push(total);
        }
    }
    Some(StationaryWindow {
        xs,
        phi,
        log_cumulative,
        log_norm: total,
    })
}

// ---------------------------------------------------------------------------------------------
// Alpha-stable references
// ---------------------------------------------------------------------------------------------

/// Scale of the stationary law of the alpha-stable OU process (beta = 0):
/// `sigma (alpha_s H)^(-1/alpha_s)` (docs/theory.md §5.3).
pub fn stable_ou_scale(sigma: f64, alpha_s: f64, curvature: f64) -> f64 {
    sigma * (alpha_s * curvature).powf(-1.0 / alpha_s)
}

/// Characteristic function `E cos(t X) = exp(-|scale t|^alpha_s)` of `S_alpha_s(scale, 0, 0)`.
pub fn stable_characteristic_function(t: f64, scale: f64, alpha_s: f64) -> f64 {
    (-(scale * t).abs().powf(alpha_s)).exp()
}

/// Lévy density constant `c_a = Gamma(1 + a) sin(pi a / 2) / pi` of `S_a(1, 0, 0)`.
pub fn levy_density_constant(a: f64) -> f64 {
    gamma(1.0 + a) * (PI * a / 2.0).sin() / PI
}

/// Imkeller–Pavlyukevich small-noise mean exit time from an interval whose ends lie `r_minus`,
/// `r_plus` from the minimum: `a / (c_a sigma^a (r-^-a + r+^-a))` (docs/theory.md §5.7).
pub fn levy_exit_time(alpha_s: f64, sigma: f64, r_minus: f64, r_plus: f64) -> f64 {
    alpha_s
        / (levy_density_constant(alpha_s)
            * sigma.powf(alpha_s)
            * (r_minus.powf(-alpha_s) + r_plus.powf(-alpha_s)))
}

// ---------------------------------------------------------------------------------------------
// Low-noise escape formulas
// ---------------------------------------------------------------------------------------------

/// Kramers mean barrier-crossing time `2 pi / sqrt(Ha Hb) exp(2 dL / D0)` (docs/theory.md §5.5).
pub fn kramers_crossing_time(ha: f64, hb: f64, height: f64, d0: f64) -> f64 {
    2.0 * PI / (ha * hb).sqrt() * (2.0 * height / d0).exp()
}

/// Low-noise mean time to first reach the top: half of [`kramers_crossing_time`].
pub fn kramers_top_time(ha: f64, hb: f64, height: f64, d0: f64) -> f64 {
    0.5 * kramers_crossing_time(ha, hb, height, d0)
}

/// Lemma 6 (power-law-loss, alpha = 1): `kappa = Ha/D2`,
/// `2 pi / ((1 - 1/(2 kappa)) sqrt(Ha Hb)) (1 + 2 dL D2 / (Ha D0))^(kappa - 1/2)`.
/// NaN for `kappa <= 1/2`. This is the Laplace (large-kappa) form of a crossing time; the exact
/// first-reach time of the top tends to half of it only when also `kappa -> inf`; at fixed
/// kappa use [`power_law_loss_factorized_time`].
pub fn lemma6_time(ha: f64, hb: f64, height: f64, d0: f64, d2: f64) -> f64 {
    let kappa = ha / d2;
    if kappa <= 0.5 {
        return f64::NAN;
    }
    2.0 * PI / ((1.0 - 1.0 / (2.0 * kappa)) * (ha * hb).sqrt())
        * (1.0 + 2.0 * height * d2 / (ha * d0)).powf(kappa - 0.5)
}

/// Exponent of the polynomial growth of the exact MFPT in `1 + 2 dL D2/(Ha D0)` under
/// interpretation `alpha`: `kappa - alpha + 1/2` (docs/theory.md §5.6).
pub fn power_law_growth_exponent(kappa: f64, alpha: f64) -> f64 {
    kappa - alpha + 0.5
}

/// Low-noise asymptotics at fixed `kappa = 2/k` of the exact mean time from the minimum to the
/// top of the `barrier` potential under `power-law-loss` noise (`D = D0 + k L`), interpretation
/// `alpha`. With `q = 2/k - alpha` the exact integrand is `s = D^q`, and the MFPT factorizes into
/// `[int_R 2 (D0 + k Ha z^2/2)^-(q+1) dz] * [int_a^b D(y)^q dy]`
/// `= 2 sqrt(2/(k Ha)) B(1/2, q+1/2) D0^-(q+1/2) * int_a^b D^q`.
/// Its ratio to the exact value tends to 1 as `D0 -> 0` (relative error O(D0/(k dL)) plus
/// O(sqrt(D0)) from the start region). Lemma 6 is its Laplace approximation (`kappa -> inf`,
/// then it is half of [`lemma6_time`]). NaN for invalid input (`q <= -1/2`, non-positive
/// parameters).
pub fn power_law_loss_factorized_time(
    ha: f64,
    hb: f64,
    height: f64,
    d0: f64,
    k: f64,
    alpha: f64,
) -> f64 {
    let q = 2.0 / k - alpha;
    if !(ha > 0.0 && hb > 0.0 && height > 0.0 && d0 > 0.0 && k > 0.0 && q > -0.5) {
        return f64::NAN;
    }
    let barrier = Barrier {
        curvature_min: ha,
        curvature_top: hb,
        height,
        minimum: 0.0,
    };
    let pot = PotentialParams::Barrier(barrier);
    let (c, b) = barrier.geometry();
    let rule = rule();
    let mut terms = Vec::new();
    for (lo, hi) in [(0.0, c), (c, b)] {
        let pieces = 16;
        let h = (hi - lo) / pieces as f64;
        for p in 0..pieces {
            let a = lo + h * p as f64;
            for (t, w) in rule.t.iter().zip(&rule.w) {
                let y = a + 0.5 * h * (1.0 + t);
                terms.push((0.5 * h * w).ln() + q * (d0 + k * pot.value(y)).ln());
            }
        }
    }
    let log_outer = log_sum_exp(&terms);
    let log_inner =
        LN_2 + 0.5 * (2.0 / (k * ha)).ln() + ln_beta(0.5, q + 0.5) - (q + 0.5) * d0.ln();
    (log_outer + log_inner).exp()
}

// ---------------------------------------------------------------------------------------------
// Exact first-passage moments by quadrature
// ---------------------------------------------------------------------------------------------

/// Exact mean first-passage time from `x0` to the level `b` of a 1-D model, reflecting at
/// `-inf` (docs/theory.md §5.4): `T = int_{x0}^{b} s(y) int_{-inf}^{y} 2/(D s) dz dy`,
/// `s = exp(-int 2m/D)`. `Some(0)` for `x0 >= b`; `None` when the model is invalid on the way
/// (`D <= 0`, non-finite values), the stationary density is not integrable at `-inf`, or the
/// result overflows f64 (use [`exact_mfpt_log`] then). Relative accuracy ~1e-10.
pub fn exact_mfpt(model: &Model1d, x0: f64, b: f64) -> Option<f64> {
    let l = exact_mfpt_log(model, x0, b)?;
    let t = l.exp();
    t.is_finite().then_some(t)
}

/// Natural log of [`exact_mfpt`] (`-inf` for `x0 >= b`); works where the time overflows.
pub fn exact_mfpt_log(model: &Model1d, x0: f64, b: f64) -> Option<f64> {
    if !(x0.is_finite() && b.is_finite()) {
        return None;
    }
    if x0 >= b {
        return Some(f64::NEG_INFINITY);
    }
    let grid = MfptGrid::new(model, x0, b)?;
    let (log_t1, _) = grid.first_moment();
    finite_or_none(log_t1)
}

/// [`exact_mfpt`] at the shifted level `b + 0.5826 sqrt(D(b) dt)`: the first-order model of a
/// once-per-step exit check (Broadie–Glasserman–Kou, docs/theory.md §5.4).
pub fn exact_mfpt_shifted(model: &Model1d, x0: f64, b: f64, dt: f64) -> Option<f64> {
    let d = model.variance(b);
    if !(d >= 0.0 && dt >= 0.0) {
        return None;
    }
    exact_mfpt(model, x0, b + BGK_SHIFT * (d * dt).sqrt())
}

/// Exact mean time for overdamped Langevin dynamics in the isotropic quadratic
/// `L = H |x - c|^2 / 2` in `d` dimensions with constant noise `D0` to leave
/// the ball of radius `big_r` around the minimum `c`, from distance `r0` of it
/// (docs/theory.md §9): the radial reduction
/// `T = int_{r0}^{R} y^{1-d} e^{U(y)/eps} int_0^y z^{d-1} e^{-U(z)/eps}/eps dz dy`
/// with `U = H r^2/2`, `eps = D0/2`. The inner integral is
/// `y^d e^{-s} M(s)` with `s = H y^2/D0` and the entire series
/// `M(s) = sum_n s^n / (a (a+1) .. (a+n))`, `a = d/2` (Kummer), so
/// `T = int_{r0}^{R} (y/D0) M(s(y)) dy`, by Gauss–Legendre panels.
/// `Some(0)` for `r0 >= R`; `None` for invalid input or an overflow.
pub fn radial_quadratic_mfpt(
    d: usize,
    curvature: f64,
    d0: f64,
    r0: f64,
    big_r: f64,
) -> Option<f64> {
    let valid = d >= 1
        && curvature > 0.0
        && curvature.is_finite()
        && d0 > 0.0
        && d0.is_finite()
        && r0 >= 0.0
        && big_r.is_finite();
    if !valid {
        return None;
    }
    if r0 >= big_r {
        return Some(0.0);
    }
    let a = d as f64 / 2.0;
    let s_end = curvature * big_r * big_r / d0;
    if s_end > 700.0 {
        return None;
    }
    // the series: positive terms, stopped when they no longer change the sum
    let kummer = |s: f64| -> f64 {
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= s / (a + n);
            sum += term;
            if term <= 1e-17 * sum {
                return sum;
            }
        }
    };
    // panels short enough that `e^s` varies by at most e^1 in one
    let panels = (2.0 * s_end).ceil() as usize + 8;
    let rule = rule();
    let h = (big_r - r0) / panels as f64;
    let mut total = 0.0;
    for k in 0..panels {
        let mid = r0 + (k as f64 + 0.5) * h;
        for (t, w) in rule.t.iter().zip(&rule.w) {
            let y = mid + 0.5 * h * t;
            total += 0.5 * h * w * y / d0 * kummer(curvature * y * y / d0);
        }
    }
    total.is_finite().then_some(total)
}

/// [`radial_quadratic_mfpt`] at the radius `R + 0.5826 sqrt(D0 dt)`: the
/// first-order model of a once-per-step exit check (docs/theory.md §5.4).
pub fn radial_quadratic_mfpt_shifted(
    d: usize,
    curvature: f64,
    d0: f64,
    r0: f64,
    big_r: f64,
    dt: f64,
) -> Option<f64> {
    if !(dt >= 0.0 && d0 >= 0.0) {
        return None;
    }
    radial_quadratic_mfpt(d, curvature, d0, r0, big_r + BGK_SHIFT * (d0 * dt).sqrt())
}

/// Exact second moment `E tau^2` of the first-passage time (same setting as [`exact_mfpt`]),
/// from `m T2' + D/2 T2'' = -2 T1`: `T2 = int_{x0}^{b} s(y) int_{-inf}^{y} 4 T1(z)/(D s) dz dy`.
/// `Some(0)` for `x0 >= b`; `None` on failure or overflow.
pub fn exact_fpt_second_moment(model: &Model1d, x0: f64, b: f64) -> Option<f64> {
    if !(x0.is_finite() && b.is_finite()) {
        return None;
    }
    if x0 >= b {
        return Some(0.0);
    }
    let grid = MfptGrid::new(model, x0, b)?;
    let (_, log_t1_nodes) = grid.first_moment();
    let lf: Vec<[f64; N]> = grid
        .panels
        .iter()
        .zip(&log_t1_nodes)
        .map(|(p, t1)| {
            let g = p.log_density_nodes();
            std::array::from_fn(|i| LN_2 + t1[i] + g[i]) // g already holds ln 2
        })
        .collect();
    let l = grid.outer(&lf).0;
    let t = finite_or_none(l)?.exp();
    t.is_finite().then_some(t)
}

fn finite_or_none(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Gauss–Legendre nodes per panel.
const N: usize = 20;
/// Largest variation of `ln s` or `ln D` accepted inside one panel (keeps exponentials
/// polynomial-like so the 20-point rule is at machine precision).
const MAX_LOG_VARIATION: f64 = 2.5;
/// Absolute tolerance on a panel's `int 2m/D` (an absolute error in a log is a relative one).
const PANEL_TOLERANCE: f64 = 1e-13;
/// Left truncation: drop of `ln(|x| p(x))` below its maximum (e^-50 relative).
const LEFT_DROP: f64 = 50.0;
const MAX_LEFT_SEGMENTS: usize = 160;
const MAX_PANELS: usize = 200_000;

/// Gauss–Legendre rule on [-1, 1] plus the spectral indefinite-integration matrices
/// `left[i][j] = int_{-1}^{t_i} l_j`, `right[i][j] = int_{t_i}^{1} l_j` (Lagrange basis `l_j`).
struct Rule {
    t: [f64; N],
    w: [f64; N],
    left: [[f64; N]; N],
    right: [[f64; N]; N],
}

fn rule() -> &'static Rule {
    static RULE: OnceLock<Rule> = OnceLock::new();
    RULE.get_or_init(Rule::new)
}

impl Rule {
    fn new() -> Self {
        let mut t = [0.0; N];
        let mut w = [0.0; N];
        for i in 0..N {
            // Newton on P_N from the Tricomi initial guess; node i descends from +1.
            let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=N {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = N as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            t[N - 1 - i] = x;
            w[N - 1 - i] = 2.0 / ((1.0 - x * x) * dp * dp);
        }
        let lagrange = |j: usize, x: f64| -> f64 {
            (0..N)
                .filter(|&k| k != j)
                .map(|k| (x - t[k]) / (t[j] - t[k]))
                .product()
        };
        let mut left = [[0.0; N]; N];
        let mut right = [[0.0; N]; N];
        for i in 0..N {
            for j in 0..N {
                let (hl, hr) = (0.5 * (t[i] + 1.0), 0.5 * (1.0 - t[i]));
                let mut sl = 0.0;
                let mut sr = 0.0;
                for q in 0..N {
                    sl += w[q] * lagrange(j, -1.0 + hl * (t[q] + 1.0));
                    sr += w[q] * lagrange(j, t[i] + hr * (t[q] + 1.0));
                }
                left[i][j] = hl * sl;
                right[i][j] = hr * sr;
            }
        }
        Rule { t, w, left, right }
    }
}

/// One quadrature panel `[a, a + h]` with the model sampled at its Gauss nodes.
#[derive(Clone)]
struct Panel {
    a: f64,
    h: f64,
    /// `ln D` at the nodes.
    log_d: [f64; N],
    /// `phi(x_i) - phi(a)`, `phi = int 2m/D` (so `s = exp(-phi)`).
    dphi: [f64; N],
    /// `phi(a + h) - phi(a)`.
    dphi_total: f64,
    /// `phi(a)`, set once the panel is placed in a grid.
    phi_a: f64,
}

impl Panel {
    fn sample(model: &Model1d, a: f64, h: f64) -> Option<(Panel, f64)> {
        let r = rule();
        let mut f = [0.0; N];
        let mut log_d = [0.0; N];
        for i in 0..N {
            let x = a + 0.5 * h * (1.0 + r.t[i]);
            let d = model.variance(x);
            let m = model.ito_drift(x);
            if !(d > 0.0 && d.is_finite() && m.is_finite()) {
                return None;
            }
            f[i] = 2.0 * m / d;
            log_d[i] = d.ln();
        }
        let dphi: [f64; N] = std::array::from_fn(|i| {
            0.5 * h * r.left[i].iter().zip(&f).map(|(s, v)| s * v).sum::<f64>()
        });
        let dphi_total = 0.5 * h * r.w.iter().zip(&f).map(|(w, v)| w * v).sum::<f64>();
        let spread = |v: &[f64]| {
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            hi - lo
        };
        let mut phis = dphi.to_vec();
        phis.push(0.0);
        phis.push(dphi_total);
        let variation = spread(&phis).max(spread(&log_d));
        Some((
            Panel {
                a,
                h,
                log_d,
                dphi,
                dphi_total,
                phi_a: 0.0,
            },
            variation,
        ))
    }

    fn node(&self, i: usize) -> f64 {
        self.a + 0.5 * self.h * (1.0 + rule().t[i])
    }

    fn phi(&self, i: usize) -> f64 {
        self.phi_a + self.dphi[i]
    }

    /// `ln(2 exp(phi) / D)` at the nodes: the log of the inner integrand (2x stationary density).
    fn log_density_nodes(&self) -> [f64; N] {
        std::array::from_fn(|i| LN_2 + self.phi(i) - self.log_d[i])
    }
}

/// Adaptive panels covering `[lo, hi]`, appended left to right (phi not yet placed).
fn build_interval(model: &Model1d, lo: f64, hi: f64, out: &mut Vec<Panel>) -> Option<()> {
    let mut stack = vec![(lo, hi)];
    while let Some((a, b)) = stack.pop() {
        let h = b - a;
        let (panel, variation) = Panel::sample(model, a, h)?;
        let tiny = h <= 1e-13 * (a.abs().max(b.abs()).max(1e-300));
        let accept = tiny || {
            let (l, _) = Panel::sample(model, a, 0.5 * h)?;
            let (r, _) = Panel::sample(model, a + 0.5 * h, 0.5 * h)?;
            variation <= MAX_LOG_VARIATION
                && (panel.dphi_total - l.dphi_total - r.dphi_total).abs() <= PANEL_TOLERANCE
        };
        if accept {
            out.push(panel);
            if out.len() > MAX_PANELS {
                return None;
            }
        } else {
            let m = a + 0.5 * h;
            stack.push((m, b));
            stack.push((a, m));
        }
    }
    Some(())
}

/// Panels over `[lo, hi]` with boundaries at every break inside it, pieces at most `max_piece`
/// wide, `phi(lo) = 0`. Also returns a lookup from a break to the index of the panel starting
/// there (`panels.len()` for `hi`).
fn build_pieces(
    model: &Model1d,
    breaks: &[f64],
    lo: f64,
    hi: f64,
    max_piece: f64,
) -> Option<(Vec<Panel>, impl Fn(f64) -> usize)> {
    let mut pts: Vec<f64> = breaks
        .iter()
        .copied()
        .filter(|&x| x > lo && x < hi)
        .collect();
    pts.push(lo);
    pts.push(hi);
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    let mut panels = Vec::new();
    let mut starts = Vec::with_capacity(pts.len());
    for pair in pts.windows(2) {
        starts.push((pair[0], panels.len()));
        let pieces = ((pair[1] - pair[0]) / max_piece)
            .ceil()
            .clamp(1.0, 10_000.0) as usize;
        let step = (pair[1] - pair[0]) / pieces as f64;
        for p in 0..pieces {
            let a = pair[0] + step * p as f64;
            let b = if p + 1 == pieces { pair[1] } else { a + step };
            build_interval(model, a, b, &mut panels)?;
        }
    }
    let mut phi = 0.0;
    for p in panels.iter_mut() {
        p.phi_a = phi;
        phi += p.dphi_total;
    }
    let end = panels.len();
    let lookup = move |x: f64| {
        starts
            .iter()
            .find(|(s, _)| *s == x)
            .map_or(end, |&(_, i)| i)
    };
    Some((panels, lookup))
}

fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// `ln(h/2 sum_j weights[j] exp(lf[j]))` computed relative to the max.
fn log_panel_sum(h: f64, weights: &[f64; N], lf: &[f64; N]) -> f64 {
    let m = lf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    let s: f64 = weights.iter().zip(lf).map(|(w, l)| w * (l - m).exp()).sum();
    if s > 0.0 {
        m + (0.5 * h * s).ln()
    } else {
        f64::NEG_INFINITY
    }
}

/// Log of `int_{grid start}^{x} exp(lf)` at every node, at every panel start, and in total.
fn forward_log_cumulative(panels: &[Panel], lf: &[[f64; N]]) -> (Vec<[f64; N]>, Vec<f64>, f64) {
    let r = rule();
    let mut running = f64::NEG_INFINITY;
    let mut nodes = Vec::with_capacity(panels.len());
    let mut starts = Vec::with_capacity(panels.len());
    for (p, l) in panels.iter().zip(lf) {
        starts.push(running);
        nodes.push(std::array::from_fn(|i| {
            log_add_exp(running, log_panel_sum(p.h, &r.left[i], l))
        }));
        running = log_add_exp(running, log_panel_sum(p.h, &r.w, l));
    }
    (nodes, starts, running)
}

/// Log of `int_{x}^{grid end} exp(lf)` at every node and at every panel start.
fn backward_log_cumulative(panels: &[Panel], lf: &[[f64; N]]) -> (Vec<[f64; N]>, Vec<f64>) {
    let r = rule();
    let mut running = f64::NEG_INFINITY;
    let mut nodes = vec![[0.0; N]; panels.len()];
    let mut starts = vec![0.0; panels.len()];
    for (k, (p, l)) in panels.iter().zip(lf).enumerate().rev() {
        nodes[k] =
            std::array::from_fn(|i| log_add_exp(running, log_panel_sum(p.h, &r.right[i], l)));
        running = log_add_exp(running, log_panel_sum(p.h, &r.w, l));
        starts[k] = running;
    }
    (nodes, starts)
}

/// Panels from the left truncation point to `b`, with a panel starting at `x0`.
struct MfptGrid {
    panels: Vec<Panel>,
    x0_index: usize,
}

impl MfptGrid {
    fn new(model: &Model1d, x0: f64, b: f64) -> Option<Self> {
        let w = model.length_scale()?;
        let xm = model.potential.minimum().min(x0);
        let mut breaks = model.breakpoints();
        breaks.push(x0);
        let (right, start_of) = build_pieces(model, &breaks, xm, b, 4.0 * w)?;
        let right_x0 = start_of(x0);
        let mut g_max = right
            .iter()
            .flat_map(|p| p.log_density_nodes())
            .fold(f64::NEG_INFINITY, f64::max);
        // Walk left in geometrically growing segments until ln(dist * density) has dropped by
        // LEFT_DROP below the density maximum (polynomial tails of power-law noise need far
        // segments; Gaussian ones stop after a few).
        let mut segments: Vec<Vec<Panel>> = Vec::new();
        let mut hi = xm;
        let mut phi_hi = 0.0;
        let mut width = w;
        let mut done = false;
        for _ in 0..MAX_LEFT_SEGMENTS {
            let lo = hi - width;
            let mut seg = Vec::new();
            build_interval(model, lo, hi, &mut seg)?;
            let total: f64 = seg.iter().map(|p| p.dphi_total).sum();
            let mut phi = phi_hi - total;
            for p in seg.iter_mut() {
                p.phi_a = phi;
                phi += p.dphi_total;
            }
            let mut seg_max = f64::NEG_INFINITY;
            for p in &seg {
                let g = p.log_density_nodes();
                for (i, gi) in g.iter().enumerate() {
                    g_max = g_max.max(*gi);
                    seg_max = seg_max.max(gi + (xm - p.node(i) + w).ln());
                }
            }
            segments.push(seg);
            phi_hi -= total;
            hi = lo;
            width *= 2.0;
            if seg_max < g_max - LEFT_DROP {
                done = true;
                break;
            }
        }
        if !done {
            return None;
        }
        let left_count: usize = segments.iter().map(Vec::len).sum();
        let mut panels = Vec::with_capacity(left_count + right.len());
        for seg in segments.into_iter().rev() {
            panels.extend(seg);
        }
        panels.extend(right);
        Some(MfptGrid {
            panels,
            x0_index: left_count + right_x0,
        })
    }

    /// `ln int_{x0}^{b} exp(-phi(y)) int_{-inf}^{y} exp(lf(z)) dz dy` and the same with `x0`
    /// replaced by every node.
    fn outer(&self, lf: &[[f64; N]]) -> (f64, Vec<[f64; N]>) {
        let (inner, _, _) = forward_log_cumulative(&self.panels, lf);
        let outer_lf: Vec<[f64; N]> = self
            .panels
            .iter()
            .zip(&inner)
            .map(|(p, li)| std::array::from_fn(|i| li[i] - p.phi(i)))
            .collect();
        let (nodes, starts) = backward_log_cumulative(&self.panels, &outer_lf);
        (starts[self.x0_index], nodes)
    }

    /// `ln T1(x0)` and `ln T1` at every node.
    fn first_moment(&self) -> (f64, Vec<[f64; N]>) {
        let lf: Vec<[f64; N]> = self.panels.iter().map(Panel::log_density_nodes).collect();
        self.outer(&lf)
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::potential::Physics;
    use crate::model::{NoiseKind, PotentialKind};

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn gauss_rule_integrates_polynomials_and_indefinite_matrices() {
        let r = rule();
        // int_{-1}^{1} x^38 = 2/39
        let s: f64 = r.t.iter().zip(&r.w).map(|(t, w)| w * t.powi(38)).sum();
        assert!(rel(s, 2.0 / 39.0) < 1e-13);
        // int_{-1}^{t_i} x^5 = (t_i^6 - 1)/6 and int_{t_i}^{1} = (1 - t_i^6)/6
        for i in 0..N {
            let f: Vec<f64> = r.t.iter().map(|t| t.powi(5)).collect();
            let l: f64 = r.left[i].iter().zip(&f).map(|(a, b)| a * b).sum();
            let rr: f64 = r.right[i].iter().zip(&f).map(|(a, b)| a * b).sum();
            assert!((l - (r.t[i].powi(6) - 1.0) / 6.0).abs() < 1e-14);
            assert!((rr - (1.0 - r.t[i].powi(6)) / 6.0).abs() < 1e-14);
        }
    }

    /// The radial double integral of docs/theory.md §9 as written, by composite
    /// Simpson in both variables (independent of the Kummer series).
    fn radial_by_double_integral(d: usize, h: f64, d0: f64, r0: f64, big_r: f64) -> f64 {
        let eps = d0 / 2.0;
        let u = |r: f64| 0.5 * h * r * r;
        let simpson = |f: &dyn Fn(f64) -> f64, lo: f64, hi: f64, n: usize| -> f64 {
            let step = (hi - lo) / n as f64;
            let mut sum = f(lo) + f(hi);
            for i in 1..n {
                sum += f(lo + i as f64 * step) * if i % 2 == 1 { 4.0 } else { 2.0 };
            }
            sum * step / 3.0
        };
        let outer = |y: f64| {
            if y == 0.0 {
                return 0.0;
            }
            let inner = |z: f64| z.powi(d as i32 - 1) * ((u(y) - u(z)) / eps).exp() / eps;
            y.powi(1 - d as i32) * simpson(&inner, 0.0, y, 2000)
        };
        simpson(&outer, r0, big_r, 2000)
    }

    #[test]
    fn radial_quadrature_matches_the_double_integral_and_free_diffusion() {
        // the Kummer-series quadrature against the definition, d = 1, 2, 3, 5, 8
        for d in [1, 2, 3, 5, 8] {
            for (h, d0, r0, big_r) in [
                (1.0, 1.0, 0.0, 2.0),
                (2.0, 0.5, 0.3, 1.5),
                (1.0, 0.2, 0.0, 1.2),
            ] {
                let fast = radial_quadratic_mfpt(d, h, d0, r0, big_r).unwrap();
                let slow = radial_by_double_integral(d, h, d0, r0, big_r);
                assert!(
                    rel(fast, slow) < 1e-8,
                    "d = {d}, H = {h}, D0 = {d0}: {fast} vs {slow}"
                );
            }
        }
        // no drift: E|B_T|^2 = d D0 T, so T = (R^2 - r0^2) / (d D0)
        for d in [1, 3, 8] {
            let t = radial_quadratic_mfpt(d, 1e-12, 0.7, 0.5, 2.0).unwrap();
            assert!(
                rel(t, (4.0 - 0.25) / (d as f64 * 0.7)) < 1e-9,
                "d = {d}: {t}"
            );
        }
        assert_eq!(radial_quadratic_mfpt(3, 1.0, 1.0, 2.0, 2.0), Some(0.0));
        assert_eq!(radial_quadratic_mfpt(3, 1.0, 1.0, 0.0, 40.0), None);
        assert_eq!(radial_quadratic_mfpt(0, 1.0, 1.0, 0.0, 1.0), None);
        // the shifted radius moves outward by 0.5826 sqrt(D0 dt)
        let shifted = radial_quadratic_mfpt_shifted(3, 1.0, 1.0, 0.0, 2.0, 0.01).unwrap();
        let at = radial_quadratic_mfpt(3, 1.0, 1.0, 0.0, 2.0 + 0.05826).unwrap();
        assert!(rel(shifted, at) < 1e-12, "{shifted} vs {at}");
    }

    // ----- independent reference: shooting on the backward equation -------------------------

    /// Crude left cutoff for the ODE reference: walk left (Riemann sums of 2m/D) until
    /// `ln(dist * density)` is 40 below its peak, or 1e7 away.
    fn ode_left_end(model: &Model1d, xm: f64, b: f64) -> f64 {
        let lg = |phi: f64, x: f64| phi - model.variance(x).ln();
        let (mut x, mut phi, mut peak) = (xm, 0.0, lg(0.0, xm));
        while x < b {
            let dx = (1e-3 * (1.0 + (x - xm).abs())).min(b - x);
            phi += 2.0 * model.ito_drift(x) / model.variance(x) * dx;
            x += dx;
            peak = peak.max(lg(phi, x));
        }
        let (mut x, mut phi) = (xm, 0.0);
        loop {
            let dist = xm - x;
            if lg(phi, x) + (1.0 + dist).ln() < peak - 40.0 || dist > 1e7 {
                return x;
            }
            let dx = 1e-3 * (1.0 + dist);
            phi -= 2.0 * model.ito_drift(x) / model.variance(x) * dx;
            x -= dx;
        }
    }

    /// First two moments of the exit time by RK4 shooting on
    /// `T'' = -(2m/D) T' - 2/D` (T'(x_lo) = 0) and `T2'' = -(2m/D) T2' - 4 T1/D`, in the
    /// variable `s` with `x = xm + sinh(s)` (bounded stiffness in power-law tails).
    fn ode_moments(model: &Model1d, x0: f64, b: f64) -> (f64, f64) {
        let xm = model.potential.minimum().min(x0);
        let x_lo = ode_left_end(model, xm, b);
        let to_s = |x: f64| (x - xm).asinh();
        // state: v1, tau1, va, vb, Ia, Ib, I1 (integrals on [x0, b] only when `on`)
        let rhs = |s: f64, y: &[f64; 7], on: bool| -> [f64; 7] {
            let x = xm + s.sinh();
            let j = s.cosh();
            let d = model.variance(x);
            let f = 2.0 * model.ito_drift(x) / d;
            let k = if on { 1.0 } else { 0.0 };
            [
                j * (-f * y[0] - 2.0 / d),
                j * y[0],
                j * (-f * y[2] - 4.0 * y[1] / d),
                j * (-f * y[3] - 4.0 / d),
                k * j * y[2],
                k * j * y[3],
                k * j * y[0],
            ]
        };
        let mut y = [0.0; 7];
        let stiff = |s: f64| {
            let x = xm + s.sinh();
            s.cosh() * (2.0 * model.ito_drift(x) / model.variance(x)).abs()
        };
        // stage boundaries at x0 and at the kink of the barrier (RK4 loses order across it)
        let mut stops = vec![x_lo, x0, b];
        stops.extend(model.potential.kink().filter(|&c| c > x_lo && c < b));
        stops.sort_by(f64::total_cmp);
        for pair in stops.windows(2) {
            let (s_start, s_end, on) = (to_s(pair[0]), to_s(pair[1]), pair[0] >= x0);
            let mut s = s_start;
            while s < s_end {
                let h = (2e-3f64).min(0.05 / stiff(s)).min(s_end - s);
                let k1 = rhs(s, &y, on);
                let y2: [f64; 7] = std::array::from_fn(|i| y[i] + 0.5 * h * k1[i]);
                let k2 = rhs(s + 0.5 * h, &y2, on);
                let y3: [f64; 7] = std::array::from_fn(|i| y[i] + 0.5 * h * k2[i]);
                let k3 = rhs(s + 0.5 * h, &y3, on);
                let y4: [f64; 7] = std::array::from_fn(|i| y[i] + h * k3[i]);
                let k4 = rhs(s + h, &y4, on);
                for i in 0..7 {
                    y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                }
                s += h;
            }
        }
        let c1 = -y[1];
        (-y[6], -(y[4] + c1 * y[5]))
    }

    fn barrier(ha: f64, hb: f64, height: f64, minimum: f64) -> PotentialParams {
        PotentialParams::Barrier(Barrier {
            curvature_min: ha,
            curvature_top: hb,
            height,
            minimum,
        })
    }

    /// (potential, x0, b) cases: barrier to its top and beyond, double-well left well to the top
    /// and past it, quadratic with `b` above the center.
    fn potential_cases() -> Vec<(PotentialParams, f64, f64)> {
        let bar = barrier(1.0, 2.0, 1.0, 0.0);
        let top = bar.top().unwrap();
        let washboard = PotentialParams::Washboard(Washboard::new(1.0, 0.4, 2.0).unwrap());
        vec![
            (bar.clone(), 0.0, top),
            (bar.clone(), -0.5, top + 0.3),
            (
                PotentialParams::DoubleWell(DoubleWell {
                    height: 1.0,
                    half_width: 1.0,
                }),
                -1.0,
                0.0,
            ),
            (
                PotentialParams::DoubleWell(DoubleWell {
                    height: 0.8,
                    half_width: 1.2,
                }),
                -1.2,
                0.4,
            ),
            (
                PotentialParams::Quadratic(Quadratic {
                    curvature: 1.0,
                    center: 0.3,
                }),
                0.3,
                1.8,
            ),
            // level below the minimum, start in the left tail
            (
                PotentialParams::Quadratic(Quadratic {
                    curvature: 1.0,
                    center: 0.3,
                }),
                -2.0,
                -0.5,
            ),
            // start in the right well, both wells reachable
            (
                PotentialParams::DoubleWell(DoubleWell {
                    height: 0.8,
                    half_width: 1.0,
                }),
                1.0,
                1.4,
            ),
            // a tilted periodic potential: wells to the left without end
            (
                washboard.clone(),
                washboard.minimum(),
                washboard.top().unwrap(),
            ),
        ]
    }

    fn noise_cases(center: f64) -> Vec<NoiseParams> {
        vec![
            NoiseParams::Langevin(Langevin { d0: 0.4 }),
            NoiseParams::PowerLaw(PowerLaw {
                d0: 0.4,
                rho: 0.0,
                d2: 0.2,
                center,
            }),
            NoiseParams::PowerLaw(PowerLaw {
                d0: 0.4,
                rho: 0.15,
                d2: 0.2,
                center,
            }),
            NoiseParams::PowerLawLoss(PowerLawLoss { d0: 0.4, k: 0.4 }),
        ]
    }

    #[test]
    fn model_derivatives_match_finite_differences() {
        for (pot, _, _) in potential_cases() {
            for noise in noise_cases(pot.minimum()) {
                let model = Model1d {
                    potential: pot.clone(),
                    noise: noise.clone(),
                    alpha: 0.5,
                };
                for &x in &[-2.3, -0.7, 0.1, 0.45, 1.3, 2.2] {
                    let e = 1e-6;
                    let dl = (pot.value(x + e) - pot.value(x - e)) / (2.0 * e);
                    assert!(
                        (dl - pot.gradient(x)).abs() < 1e-6 * (1.0 + dl.abs()),
                        "{pot:?} {x}"
                    );
                    let dd = (model.variance(x + e) - model.variance(x - e)) / (2.0 * e);
                    let ddv = noise.variance_derivative(x, &pot);
                    assert!((dd - ddv).abs() < 1e-6 * (1.0 + dd.abs()), "{noise:?} {x}");
                }
            }
        }
        // barrier geometry: value continuous at the kink, top value is the height
        let bar = barrier(1.5, 0.7, 2.0, 0.4);
        let c = bar.kink().unwrap();
        let b = bar.top().unwrap();
        assert!((bar.value(c - 1e-12) - bar.value(c + 1e-12)).abs() < 1e-9);
        assert!((bar.value(b) - 2.0).abs() < 1e-12);
        assert!(bar.gradient(b).abs() < 1e-12);
        assert_eq!(bar.minimum(), 0.4);
        assert_eq!(bar.min_value(), 0.0);
    }

    #[test]
    fn exact_mfpt_matches_independent_shooting_on_all_models() {
        let mut worst: f64 = 0.0;
        let mut worst2: f64 = 0.0;
        let mut count = 0;
        for (pot, x0, b) in potential_cases() {
            for noise in noise_cases(pot.minimum()) {
                // Wells without end to the left under a variance growing like x^2:
                // the stationary tail ~ |x|^-2 never meets the truncation rule
                // (the quadrature gives None, tested in `invalid_models_give_none`).
                if pot.kind() == PotentialKind::Washboard && noise.kind() == NoiseKind::PowerLaw {
                    continue;
                }
                for alpha in [0.0, 0.5, 1.0] {
                    let model = Model1d {
                        potential: pot.clone(),
                        noise: noise.clone(),
                        alpha,
                    };
                    let exact = exact_mfpt(&model, x0, b).expect("finite");
                    let (t1, t2) = ode_moments(&model, x0, b);
                    let e = rel(exact, t1);
                    assert!(e < 1e-6, "{model:?} x0={x0} b={b}: quad {exact} ode {t1}");
                    worst = worst.max(e);
                    let second = exact_fpt_second_moment(&model, x0, b).expect("finite");
                    let e2 = rel(second, t2);
                    assert!(e2 < 1e-6, "{model:?}: quad {second} ode {t2}");
                    worst2 = worst2.max(e2);
                    count += 1;
                }
            }
        }
        assert_eq!(count, 90);
        eprintln!("worst relative deviation: T1 {worst:e}, T2 {worst2:e}");
    }

    #[test]
    fn langevin_barrier_tends_to_half_the_kramers_crossing_time() {
        let (ha, hb, height) = (1.0, 2.0, 1.0);
        let pot = barrier(ha, hb, height, 0.0);
        let top = pot.top().unwrap();
        let ratio = |r: f64| {
            let model = Model1d {
                potential: pot.clone(),
                noise: NoiseParams::Langevin(Langevin { d0: height / r }),
                alpha: 0.0,
            };
            exact_mfpt(&model, 0.0, top).unwrap()
                / kramers_crossing_time(ha, hb, height, height / r)
        };
        // For this piecewise-quadratic barrier the corrections are exponentially small
        // (~exp(-2 dL Hb / ((Ha + Hb) D0)) from the truncated Gaussian well).
        let dev: Vec<f64> = [5.0, 10.0, 20.0]
            .iter()
            .map(|&r| (ratio(r) - 0.5).abs())
            .collect();
        assert!(
            dev[0] > 1e-4 && dev[1] < dev[0] / 10.0 && dev[2] < dev[1] / 100.0,
            "{dev:?}"
        );
        for r in [20.0, 30.0, 40.0, 50.0, 60.0, 100.0] {
            assert!((ratio(r) - 0.5).abs() < 1e-7, "r={r}: {}", ratio(r));
        }
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::Langevin(Langevin { d0: height / 100.0 }),
            alpha: 0.0,
        };
        let t = exact_mfpt(&model, 0.0, top).unwrap();
        assert!(t > 1e86 && t.is_finite());
        assert!(rel(t, kramers_top_time(ha, hb, height, height / 100.0)) < 1e-9);
        // dL/D0 = 400: exp(800) overflows f64; the log form still works.
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::Langevin(Langevin { d0: height / 400.0 }),
            alpha: 0.0,
        };
        assert_eq!(exact_mfpt(&model, 0.0, top), None);
        let l = exact_mfpt_log(&model, 0.0, top).unwrap();
        let l_kramers = (PI / (ha * hb).sqrt()).ln() + 800.0;
        assert!((l - l_kramers).abs() < 1e-9, "{l} vs {l_kramers}");
    }

    #[test]
    fn power_law_loss_low_noise_limits() {
        let (ha, hb, height) = (1.0, 2.0, 1.0);
        let pot = barrier(ha, hb, height, 0.0);
        let top = pot.top().unwrap();
        let exact = |d0: f64, kappa: f64, alpha: f64| {
            let model = Model1d {
                potential: pot.clone(),
                noise: NoiseParams::PowerLawLoss(PowerLawLoss { d0, k: 2.0 / kappa }),
                alpha,
            };
            exact_mfpt(&model, 0.0, top).unwrap()
        };
        for kappa in [2.0, 5.0] {
            for alpha in [0.0, 0.5, 1.0] {
                let k = 2.0 / kappa;
                // exact / factorized -> 1 as D0 -> 0 at fixed kappa
                let dev = |d0: f64| {
                    (exact(d0, kappa, alpha)
                        / power_law_loss_factorized_time(ha, hb, height, d0, k, alpha)
                        - 1.0)
                        .abs()
                };
                let (d1, d2) = (dev(1e-2), dev(1e-4));
                assert!(
                    d2 < 1e-5 && d2 < d1,
                    "kappa {kappa} alpha {alpha}: {d1} {d2}"
                );
                // polynomial growth exponent kappa - alpha + 1/2 (docs/theory.md §5.6)
                let slope =
                    (exact(1e-5, kappa, alpha) / exact(1e-4, kappa, alpha)).ln() / 10f64.ln();
                let expected = power_law_growth_exponent(kappa, alpha);
                assert!((slope - expected).abs() < 1e-3, "{slope} vs {expected}");
            }
        }
        // Lemma 6 (alpha = 1): exact / lemma6 tends to a kappa-dependent constant at fixed
        // kappa (0.5774 at kappa = 2 for Ha = 1, Hb = 2), and to 1/2 (top-reach = half a
        // crossing) only as kappa -> inf.
        let ratio = |d0: f64, kappa: f64| {
            exact(d0, kappa, 1.0) / lemma6_time(ha, hb, height, d0, ha / kappa)
        };
        let (r4, r5) = (ratio(1e-4, 2.0), ratio(1e-5, 2.0));
        assert!(
            (r4 - r5).abs() < 1e-4 && (r5 - 0.5774).abs() < 1e-3,
            "{r4} {r5}"
        );
        assert!((ratio(1e-4, 20.0) - 0.5).abs() < 1e-4);
        assert!((ratio(1e-4, 5.0) - 0.5).abs() > 5e-3);
        // and Lemma 6 reduces to Kramers as D2 -> 0
        let d0 = 0.1;
        let l6 = lemma6_time(ha, hb, height, d0, 1e-7);
        assert!(rel(l6, kramers_crossing_time(ha, hb, height, d0)) < 1e-4);
    }

    #[test]
    fn barrier_scaling_symmetry_is_exact() {
        let lambda = 3.0;
        let l2 = lambda * lambda;
        let (ha, hb, height, a) = (1.3, 0.8, 1.1, 0.4);
        let noises = |s: f64| {
            let center = a * s;
            [
                NoiseParams::Langevin(Langevin { d0: 0.3 * s * s }),
                NoiseParams::PowerLaw(PowerLaw {
                    d0: 0.3 * s * s,
                    rho: 0.0,
                    d2: 0.25,
                    center,
                }),
                NoiseParams::PowerLaw(PowerLaw {
                    d0: 0.3 * s * s,
                    rho: 0.1 * s,
                    d2: 0.25,
                    center,
                }),
                NoiseParams::PowerLawLoss(PowerLawLoss {
                    d0: 0.3 * s * s,
                    k: 0.5,
                }),
            ]
        };
        for (i, (n1, n2)) in noises(1.0).into_iter().zip(noises(lambda)).enumerate() {
            for alpha in [0.0, 1.0] {
                let m1 = Model1d {
                    potential: barrier(ha, hb, height, a),
                    noise: n1.clone(),
                    alpha,
                };
                let m2 = Model1d {
                    potential: barrier(ha, hb, height * l2, a * lambda),
                    noise: n2.clone(),
                    alpha,
                };
                let b1 = m1.potential.top().unwrap();
                let b2 = m2.potential.top().unwrap();
                assert!(rel(b2, lambda * b1) < 1e-14);
                for (x0, b) in [(a, b1), (a - 0.3, b1 - 0.2)] {
                    let t1 = exact_mfpt(&m1, x0, b).unwrap();
                    let t2 = exact_mfpt(&m2, lambda * x0, lambda * b).unwrap();
                    assert!(rel(t2, t1) < 1e-9, "noise {i} alpha {alpha}: {t1} {t2}");
                    let s1 = exact_fpt_second_moment(&m1, x0, b).unwrap();
                    let s2 = exact_fpt_second_moment(&m2, lambda * x0, lambda * b).unwrap();
                    assert!(rel(s2, s1) < 1e-9);
                }
            }
        }
        // and it is not a tautology: scaling D0 alone changes T
        let m = |d0: f64| Model1d {
            potential: barrier(ha, hb, height, a),
            noise: NoiseParams::Langevin(Langevin { d0 }),
            alpha: 0.0,
        };
        let b = m(0.3).potential.top().unwrap();
        assert!(
            rel(
                exact_mfpt(&m(0.3 * l2), a, b).unwrap(),
                exact_mfpt(&m(0.3), a, b).unwrap()
            ) > 0.1
        );
    }

    #[test]
    fn high_barrier_second_moment_is_exponential_like() {
        // Escape over a high barrier is nearly exponential: E tau^2 ~ 2 (E tau)^2.
        let pot = barrier(1.0, 1.0, 1.0, 0.0);
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::Langevin(Langevin { d0: 0.1 }),
            alpha: 0.0,
        };
        let b = pot.top().unwrap();
        let t1 = exact_mfpt(&model, 0.0, b).unwrap();
        let t2 = exact_fpt_second_moment(&model, 0.0, b).unwrap();
        assert!(
            (t2 / (2.0 * t1 * t1) - 1.0).abs() < 0.01,
            "{}",
            t2 / (2.0 * t1 * t1)
        );
        assert_eq!(exact_mfpt(&model, b, b), Some(0.0));
        assert_eq!(exact_fpt_second_moment(&model, b + 1.0, b), Some(0.0));
    }

    #[test]
    fn invalid_models_give_none() {
        let pot = PotentialParams::Quadratic(Quadratic {
            curvature: 1.0,
            center: 0.0,
        });
        // D <= 0 somewhere (rho^2 > d0 d2)
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::PowerLaw(PowerLaw {
                d0: 0.1,
                rho: 0.5,
                d2: 0.2,
                center: 0.0,
            }),
            alpha: 0.0,
        };
        assert_eq!(exact_mfpt(&model, 0.0, 1.0), None);
        // density not integrable at -inf: kappa = 0.25, alpha = 1 -> |x|^-0.5
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::PowerLaw(PowerLaw {
                d0: 0.1,
                rho: 0.0,
                d2: 4.0,
                center: 0.0,
            }),
            alpha: 1.0,
        };
        assert_eq!(exact_mfpt(&model, 0.0, 1.0), None);
        assert!(stationary_density_1d(&model, -1.0, -2.0, 10).is_empty());
        // a washboard under power-law noise: wells without end to the left, tail ~ |x|^-2
        let board = Washboard::new(1.0, 0.4, 2.0).unwrap();
        let model = Model1d {
            potential: PotentialParams::Washboard(board),
            noise: NoiseParams::PowerLaw(PowerLaw {
                d0: 0.4,
                rho: 0.0,
                d2: 0.2,
                center: board.minimum(),
            }),
            alpha: 0.0,
        };
        assert_eq!(
            exact_mfpt(&model, board.minimum(), board.top().unwrap()),
            None
        );
        assert_eq!(PowerLawStationary::new(1.0, 0.1, 4.0, 1.0, 0.0), None);
    }

    #[test]
    fn shifted_level_is_the_exact_value_at_the_bgk_level() {
        let pot = barrier(1.0, 2.0, 1.0, 0.0);
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::PowerLawLoss(PowerLawLoss { d0: 0.3, k: 0.5 }),
            alpha: 0.5,
        };
        let b = 0.8;
        let dt = 0.01;
        let shifted = exact_mfpt_shifted(&model, 0.0, b, dt).unwrap();
        let level = b + 0.5826 * (model.variance(b) * dt).sqrt();
        assert_eq!(shifted, exact_mfpt(&model, 0.0, level).unwrap());
        assert!(shifted > exact_mfpt(&model, 0.0, b).unwrap());
        assert_eq!(
            exact_mfpt_shifted(&model, 0.0, b, 0.0),
            exact_mfpt(&model, 0.0, b)
        );
        // a negative step or a non-finite end has no answer (not a time at a shifted level)
        assert_eq!(exact_mfpt_shifted(&model, 0.0, b, -0.01), None);
        for (x0, end) in [(f64::NAN, b), (0.0, f64::INFINITY), (f64::NEG_INFINITY, b)] {
            assert_eq!(exact_mfpt_log(&model, x0, end), None, "{x0} {end}");
            assert_eq!(exact_fpt_second_moment(&model, x0, end), None, "{x0} {end}");
        }
    }

    #[test]
    fn log_sums_of_nothing_are_minus_infinity() {
        let ninf = f64::NEG_INFINITY;
        assert_eq!(log_sum_exp(&[ninf, ninf]), ninf);
        assert_eq!(log_sum_exp(&[]), ninf);
        assert!((log_sum_exp(&[0.0, 2f64.ln(), ninf]) - 3f64.ln()).abs() < 1e-15);
        assert_eq!(log_add_exp(ninf, ninf), ninf);
        assert!((log_add_exp(1.0, 1.0) - (1.0 + 2f64.ln())).abs() < 1e-15);
    }

    // ----- stationary laws --------------------------------------------------------------------

    #[test]
    fn student_t_law_normalizes_and_matches_the_numeric_stationary_law() {
        let (h, d0, d2, center) = (1.0, 0.3, 0.2, 0.5);
        for alpha in [0.0, 0.5, 1.0] {
            let law = PowerLawStationary::new(h, d0, d2, alpha, center).unwrap();
            assert!(rel(law.nu, 2.0 * 5.0 + 1.0 - 2.0 * alpha) < 1e-14);
            assert!(rel(law.tail_exponent(), 2.0 * 5.0 + 2.0 - 2.0 * alpha) < 1e-14);
            // int p dx over R with x = center + scale tan(theta), composite Simpson
            let m = 20_000;
            let dth = PI / m as f64;
            let mut s = 0.0;
            for i in 1..m {
                let th = -PI / 2.0 + i as f64 * dth;
                let x = center + law.scale * th.tan();
                let wt = if i % 2 == 1 { 4.0 } else { 2.0 };
                s += wt * law.pdf(x) * law.scale / th.cos().powi(2);
            }
            assert!((s * dth / 3.0 - 1.0).abs() < 1e-9, "{}", s * dth / 3.0);
            // variance = D0 / (2h - D2), h = H - alpha D2 (the dt -> 0 EM moment)
            let var = law.variance().unwrap();
            assert!(
                rel(
                    var,
                    power_law_em_second_moment(h, d0, d2, alpha, 0.0).unwrap()
                ) < 1e-12
            );

            let model = Model1d {
                potential: PotentialParams::Quadratic(Quadratic {
                    curvature: h,
                    center,
                }),
                noise: NoiseParams::PowerLaw(PowerLaw {
                    d0,
                    rho: 0.0,
                    d2,
                    center,
                }),
                alpha,
            };
            let dens = stationary_density_1d(&model, -300.0, 300.0, 1201);
            let cdf = stationary_cdf_1d(&model, -300.0, 300.0, 1201);
            assert_eq!(dens.len(), 1201);
            for ((x, p), (x2, f)) in dens.iter().zip(&cdf) {
                assert_eq!(x, x2);
                let pe = law.pdf(*x);
                if pe > 1e-12 {
                    assert!(rel(*p, pe) < 1e-9, "{x}: {p} {pe}");
                }
                assert!((f - law.cdf(*x)).abs() < 1e-9, "{x}: {f} {}", law.cdf(*x));
            }
        }
    }

    #[test]
    fn rho_stationary_law_has_the_arctangent_factor() {
        let (h, d0, rho, d2, c) = (1.2, 0.3, 0.12, 0.25, -0.2);
        for alpha in [0.0, 0.5, 1.0] {
            let model = Model1d {
                potential: PotentialParams::Quadratic(Quadratic {
                    curvature: h,
                    center: c,
                }),
                noise: NoiseParams::PowerLaw(PowerLaw {
                    d0,
                    rho,
                    d2,
                    center: c,
                }),
                alpha,
            };
            let kappa = h / d2;
            let delta = (d0 * d2 - rho * rho).sqrt();
            let log_closed = |x: f64| {
                let y = x - c;
                let d = d0 + 2.0 * rho * y + d2 * y * y;
                -(kappa + 1.0 - alpha) * d.ln()
                    + 2.0 * kappa * rho / delta * ((d2 * y + rho) / delta).atan()
            };
            let dens = stationary_density_1d(&model, -20.0, 20.0, 81);
            let offsets: Vec<f64> = dens.iter().map(|&(x, p)| p.ln() - log_closed(x)).collect();
            for o in &offsets {
                assert!(
                    (o - offsets[0]).abs() < 1e-9,
                    "alpha {alpha}: {o} {}",
                    offsets[0]
                );
            }
        }
    }

    #[test]
    fn power_law_loss_density_is_the_theorem4_form() {
        let pot = PotentialParams::Quadratic(Quadratic {
            curvature: 0.7,
            center: 1.0,
        });
        let (d0, k, alpha) = (0.2, 0.6, 0.5);
        let model = Model1d {
            potential: pot.clone(),
            noise: NoiseParams::PowerLawLoss(PowerLawLoss { d0, k }),
            alpha,
        };
        let dens = stationary_density_1d(&model, -10.0, 12.0, 45);
        let offsets: Vec<f64> = dens
            .iter()
            .map(|&(x, p)| p.ln() - power_law_loss_log_density(pot.value(x), d0, k, alpha))
            .collect();
        for o in &offsets {
            assert!((o - offsets[0]).abs() < 1e-9);
        }
    }

    #[test]
    fn euler_maruyama_moments_match_the_moment_recursion() {
        for (h, d0, d2, alpha, dt) in [
            (1.0, 0.5, 0.0, 0.0, 0.1),
            (2.0, 0.3, 0.0, 1.0, 0.5),
            (1.0, 0.5, 0.2, 0.0, 0.1),
            (1.0, 0.5, 0.2, 0.5, 0.3),
            (1.5, 0.2, 0.4, 1.0, 0.05),
        ] {
            let model = Model1d {
                potential: PotentialParams::Quadratic(Quadratic {
                    curvature: h,
                    center: 0.0,
                }),
                noise: NoiseParams::PowerLaw(PowerLaw {
                    d0,
                    rho: 0.0,
                    d2,
                    center: 0.0,
                }),
                alpha,
            };
            // x' = x + m(x) dt + sqrt(D(x) dt) xi with linear m: iterate E x^2.
            let slope = model.ito_drift(1.0) - model.ito_drift(0.0);
            let mut m2 = 0.0;
            for _ in 0..100_000 {
                m2 = (1.0 + slope * dt).powi(2) * m2 + model.variance(m2.sqrt()) * dt;
            }
            let formula = power_law_em_second_moment(h, d0, d2, alpha, dt).unwrap();
            assert!(rel(formula, m2) < 1e-12, "{formula} {m2}");
            if d2 == 0.0 {
                assert!(rel(ou_em_variance(h, d0, dt), m2) < 1e-12);
            }
        }
        assert!(
            rel(
                ou_em_variance(2.0, 0.3, 1e-12),
                ou_stationary_variance(2.0, 0.3)
            ) < 1e-11
        );
        assert!(ou_em_variance(2.0, 0.3, 1.0).is_nan());
        // second moment diverges: 2h - dt h^2 - D2 <= 0
        assert_eq!(power_law_em_second_moment(1.0, 0.5, 2.0, 0.0, 0.1), None);
    }

    // ----- alpha-stable ----------------------------------------------------------------------

    #[test]
    fn stable_references() {
        assert!(rel(levy_density_constant(1.0), 1.0 / PI) < 1e-14);
        assert!(levy_density_constant(2.0).abs() < 1e-15);
        assert!(
            rel(
                levy_density_constant(0.5),
                0.886_226_925_452_758 * 0.5f64.sqrt() / PI
            ) < 1e-12
        );
        // Gaussian (a = 2): increments sigma sqrt(dt) N(0, 2) -> OU variance sigma^2 / H,
        // stable scale s with variance 2 s^2.
        let (sigma, hc) = (0.7, 1.9);
        let s = stable_ou_scale(sigma, 2.0, hc);
        assert!(rel(2.0 * s * s, ou_stationary_variance(hc, 2.0 * sigma * sigma)) < 1e-14);
        // Cauchy (a = 1): scales add linearly, sigma int e^{-Hs} ds = sigma / H
        assert!(rel(stable_ou_scale(sigma, 1.0, hc), sigma / hc) < 1e-14);
        assert!(
            rel(
                stable_characteristic_function(0.5, 2.0, 1.0),
                (-1.0f64).exp()
            ) < 1e-14
        );
        assert!(
            rel(
                stable_characteristic_function(-3.0, 0.5, 1.5),
                (-(1.5f64.powf(1.5))).exp()
            ) < 1e-14
        );
        // The Levy density constant against an independent form: Samorodnitsky and
        // Taqqu's tail constant C_a = (1 - a) / (Gamma(2 - a) cos(pi a / 2)) (P(S > x) ~
        // C_a / 2 sigma^a x^-a for the symmetric law), so c_a = a C_a / 2; and the
        // Cauchy law's density sigma / (pi y^2) far out: c_1 = 1 / pi.
        let tail_constant = |a: f64| (1.0 - a) / (gamma(2.0 - a) * (PI * a / 2.0).cos());
        for a in [0.5, 0.8, 1.2, 1.5, 1.9] {
            assert!(rel(levy_density_constant(a), a * tail_constant(a) / 2.0) < 1e-12);
        }
        assert!(rel(levy_density_constant(1.0), 1.0 / PI) < 1e-14);
        // exit time: 1 / (Levy mass outside [-r1, r2]), the mass from the tail constant
        let (a, r1, r2) = (1.5f64, 2.0f64, 0.7f64);
        let mass = tail_constant(a) / 2.0 * sigma.powf(a) * (r1.powf(-a) + r2.powf(-a));
        assert!(rel(levy_exit_time(a, sigma, r1, r2), 1.0 / mass) < 1e-12);
    }
}
