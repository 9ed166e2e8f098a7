//! The analytic references that apply to one case of an experiment (docs/theory.md §5), and the z scores
//! of its Monte Carlo tally against them: in 1-D the exact mean first-passage time, Kramers,
//! Lemma 6, Lévy exit and the stationary laws; in any dimension the radial exact time of the
//! isotropic quadratic with a ball exit (§9), and the 1-D time of one coordinate where a
//! separable case leaves through a half-space normal to that axis. With `exit.bridge = true`
//! the exact times are compared unshifted. Not covered: `paper-2d`, and other escapes in d > 1.

use super::escape::EscapeStats;
use super::landscape::{self, EyringKramers};
use super::model1d::one_dimensional;
use super::plane::{self, PlaneReference};
use super::theory::{self, PowerLawStationary};
use crate::model::exit::{Ball, HalfSpace};
use crate::model::noise::{AlphaStable, Langevin, PowerLaw, PowerLawLoss};
use crate::model::potential::{Barrier, Quadratic};
use crate::observables::Tally;
use crate::spec::{CaseModel, ExitParams, Experiment, NoiseParams, PotentialParams};
use serde::{Deserialize, Serialize};

/// How the kernels check the exit: the discrete-monitoring note of every first-passage reference.
pub const EXIT_MONITORING: &str = "once per step";
/// What `exit_monitoring` says with `exit.bridge = true`.
pub const EXIT_MONITORING_BRIDGE: &str = "once per step with the Brownian-bridge correction";

/// Every analytic reference of one case; absent fields do not apply.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TheoryReferences {
    /// Exact mean time to first reach the exit level (continuous monitoring), docs/theory.md §5.4;
    /// for Langevin noise in the isotropic quadratic with a ball exit around its minimum, the
    /// radial quadrature of §9 in any dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_mfpt: Option<f64>,
    /// [`Self::exact_mfpt`] at the level (radius) shifted by `0.5826 sqrt(D(b) dt)`: the reference
    /// for a once-per-step exit check (Broadie–Glasserman–Kou).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_mfpt_shifted: Option<f64>,
    /// `"once per step"` wherever a first-passage reference is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_monitoring: Option<String>,
    /// Kramers' low-noise times: 1-D `langevin` noise over a barrier, exit at its top.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kramers: Option<KramersReference>,
    /// Lemma 6: 1-D `power-law-loss` noise on the `barrier` potential, exit at its top.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lemma6: Option<Lemma6Reference>,
    /// Small-noise exit time of 1-D `alpha-stable` noise through a ball or a half-space.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levy_exit: Option<LevyExitReference>,
    /// The stationary law of a case without exit, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stationary: Option<StationaryReference>,
    /// The Monte Carlo's z scores against these references; only with an observed tally.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<ZScores>,
    /// A formula potential (1-D): the minimum the run starts from, the top
    /// of `exit.kind = "top"` and the kink the quadrature splits at, as found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub located: Option<LocatedReference>,
    /// A 2-D case: the backward equation's solve behind `exact_mfpt` (its
    /// grids, convergence, saddle level and cut; docs/theory.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_2d: Option<PlaneReference>,
    /// A 2-D case with constant noise: the Eyring–Kramers time through the
    /// saddle the exact solve found, with the minimum and the saddle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyring_kramers: Option<EyringKramers>,
    /// A 2-D case with `power-law-loss` noise: the paper's Theorem 7 in the
    /// engine's convention, through the same saddle (docs/theory.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theorem7: Option<EyringKramers>,
    /// Underdamped dynamics: the references at this friction (docs/theory.md
    /// §8); the overdamped ones above are then absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underdamped: Option<UnderdampedReference>,
    /// Why a reference that applies to the case could not be given (the
    /// exact 2-D solve's or the saddle search's message).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl TheoryReferences {
    /// `z.mfpt_extrapolated` of an extrapolated estimate `mean ± standard_error`
    /// against [`Self::exact_mfpt`] (the SDE's own value, never the shifted
    /// one); nothing when no exact value applies.
    pub fn set_extrapolated_z(&mut self, mean: f64, standard_error: f64) {
        if let Some(exact) = self.exact_mfpt {
            let z = self.z.get_or_insert_with(ZScores::default);
            z.mfpt_extrapolated = Some(super::stats::z_score(mean, exact, standard_error));
        }
    }
}

/// The references of an underdamped case (docs/theory.md §8).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct UnderdampedReference {
    /// The friction `gamma`.
    pub friction: f64,
    /// The high-friction limit: `gamma` x the exact mean first-passage time
    /// of the same case overdamped (Itô), by the quadrature of §5.4 (1-D and
    /// separable cases). The underdamped time approaches it as `gamma`
    /// grows, with a relative error of order `(omega / gamma)^2`, `omega^2`
    /// the largest curvature the path crosses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_friction_mfpt: Option<f64>,
    /// The low-friction limit, 1-D `langevin` noise with the exit at the
    /// barrier top: the energy-diffusion limit of `gamma x` the mean time to
    /// reach the top, from the start with a Maxwell velocity
    /// ([`super::underdamped::energy_diffusion_time`]); the mean time itself
    /// approaches it over `gamma` as `gamma -> 0`, with a relative error that
    /// falls like `gamma I(E_b) / kT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_diffusion_limit: Option<f64>,
    /// [`Self::energy_diffusion_limit`] over `gamma`: the mean exit time it predicts at this friction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_diffusion_mfpt: Option<f64>,
    /// Mel'nikov–Meshkov's `Delta = gamma I(E_b) / kT`, the energy lost per
    /// orbit at the barrier over `kT`: below 0.005 the energy-diffusion
    /// limit holds within a few percent (its z score is given only there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// `omega`, the largest `sqrt|L''|` between the start and the exit level:
    /// from `gamma >= 10 omega` the high-friction limit holds within about 1%
    /// for an exit beyond the barrier (its z score is given only there; at
    /// an exit on the barrier top the kinetic boundary layer, of width
    /// about `sqrt(kT)/gamma`, shifts the time by order `1/gamma`, 6% at
    /// gamma = 30 in `assets/underdamped-double-well.toml`, and no z score is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omega: Option<f64>,
    /// 1-D `langevin` over a barrier: one over Kramers' spatial-diffusion
    /// rate out of the well, `(λ+/ω_b)(ω_a/2π) e^{-dL/kT}`: a low-noise
    /// asymptote for `Delta >> 1` (docs/theory.md §8), for the time to leave
    /// the well (an exit beyond the barrier; at an exit on the top it is
    /// about twice the time as `gamma` grows). No z score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kramers_mfpt: Option<f64>,
    /// The same with Mel'nikov–Meshkov's factor `Υ(Delta)`, the turnover
    /// across all frictions: `1 / (Υ(Delta) k_Kramers)`. No z score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub melnikov_meshkov_mfpt: Option<f64>,
}

/// Points of a formula potential found numerically ([`crate::model::potential::expr::Expr::locate`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LocatedReference {
    /// The minimum of the basin the run starts in.
    pub minimum: f64,
    /// The nearest local maximum right of the minimum; `None` when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<f64>,
    /// A point between minimum and top where the formula switches branch; `None` if none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kink: Option<f64>,
}

/// Kramers' low-noise times (docs/theory.md §5.5) for constant noise over a barrier.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KramersReference {
    /// `2 pi / sqrt(Ha Hb) exp(2 dL / D0)`.
    pub crossing_time: f64,
    /// Half of it: the low-noise mean time to first reach the top.
    pub top_time: f64,
}

/// Lemma 6 (docs/theory.md §5.6) for `power-law-loss` noise over a barrier.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Lemma6Reference {
    /// `kappa = Ha / D2 = 2 / k` (`D2 = k Ha / 2` near the minimum).
    pub kappa: f64,
    /// The paper's crossing time (alpha = 1, Laplace form); null for `kappa <= 1/2`.
    pub crossing_time: Option<f64>,
    /// Low-noise mean time to the top at fixed kappa, under this case's interpretation.
    pub factorized_top_time: Option<f64>,
    /// Growth exponent `kappa - alpha + 1/2` of the exact MFPT in `1 + 2 dL D2 / (Ha D0)`.
    pub growth_exponent: f64,
}

/// Imkeller–Pavlyukevich small-noise exit time (docs/theory.md §5.7).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LevyExitReference {
    /// Distance from the minimum to the left end of the interval (null: none, infinite).
    pub r_minus: Option<f64>,
    /// Distance from the minimum to the right end of the interval (null: none, infinite).
    pub r_plus: Option<f64>,
    /// Mean exit time `a / (c_a sigma^a (r-^-a + r+^-a))`.
    pub time: f64,
}

/// Stationary-law parameters of a stationary study (no exit).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StationaryReference {
    /// `"normal"`, `"student-t"` or `"alpha-stable"`.
    pub law: String,
    /// Centre of the law (the potential's centre `c`; the quadrature's mean for a formula).
    pub center: f64,
    /// Continuous-time variance (normal: `D0 / 2H`; Student-t: `scale^2 nu / (nu - 2)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
    /// Euler–Maruyama's exact stationary variance `D0 / (H (2 - H dt))` (OU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub em_variance: Option<f64>,
    /// Underdamped OU: GJF's stationary position variance, `D0 / 2H` at
    /// every stable step (Grønbech-Jensen & Farago 2013).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gjf_variance: Option<f64>,
    /// Underdamped: the Maxwell law's velocity variance `kT = D0/2` per
    /// coordinate (continuous time, any potential with a Gibbs law).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity_variance: Option<f64>,
    /// Underdamped OU: GJF's stationary velocity variance at the step,
    /// `(D0/2)(1 - H dt^2/4)` (the scheme's on-site velocity is cooler than
    /// Maxwell's by `H dt^2/4`; exact on a flat potential, docs/theory.md §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gjf_velocity_variance: Option<f64>,
    /// Student-t degrees of freedom `2 kappa + 1 - 2 alpha`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nu: Option<f64>,
    /// Student-t or stable scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// Tail index `kappa = H / D2` of the power-law (Student-t) law.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kappa: Option<f64>,
    /// Euler–Maruyama's exact stationary `E (x - c)^2` for power-law noise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub em_second_moment: Option<f64>,
    /// Stable index of the alpha-stable OU law.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable_index: Option<f64>,
}

/// Monte Carlo against theory, in standard errors.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ZScores {
    /// `(mean - exact_mfpt_shifted) / SE` (`exact_mfpt` with the bridge
    /// correction), when every trajectory escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfpt: Option<f64>,
    /// `(extrapolated mean - exact_mfpt) / SE`: the Richardson estimate of an
    /// extrapolated run (`observe.extrapolate`) against the SDE's own value,
    /// never the shifted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfpt_extrapolated: Option<f64>,
    /// Underdamped: `(mean - high_friction_mfpt) / SE`, when every trajectory
    /// escaped; a test of the limit only where `gamma` is large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfpt_high_friction: Option<f64>,
    /// Underdamped: `(mean - energy_diffusion_mfpt) / SE`, where `Delta <= 0.005`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfpt_energy_diffusion: Option<f64>,
    /// OU, coordinate 0: `(var - em_variance) / (sqrt(2/(n-1)) em_variance)`
    /// (Gaussian SE); underdamped, the same against `gjf_variance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_variance: Option<f64>,
    /// Underdamped OU, coordinate 0: `(var - gjf_velocity_variance) / (sqrt(2/(n-1)) gjf_velocity_variance)`
    /// of the final velocity (Gaussian SE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_velocity_variance: Option<f64>,
}

/// What a run observed of one case: its tally and its escape statistics
/// (computed once, by the caller that reports them).
#[derive(Clone, Copy)]
pub struct Observed<'a> {
    /// The case's merged tally (final-state moments for the variance z score).
    pub tally: &'a Tally,
    /// The case's escape statistics (mean and standard error for the MFPT z score).
    pub escape: &'a EscapeStats,
}

/// One case's theory as `kramers theory --json` (and Python's `kramers.theory`)
/// give it: the index, the swept parameters as `name=value` (short names) and
/// the references.
#[derive(Clone, Debug, Serialize)]
pub struct TheoryRow {
    /// Index of the case in the experiment.
    pub index: usize,
    /// The case's swept parameters, `name=value` separated by spaces (last part of each name).
    pub params: String,
    /// The case's references; `None` when none applies.
    pub theory: Option<TheoryReferences>,
}

/// The theory of every case of `experiment`, without simulating.
pub fn theory_rows(experiment: &Experiment) -> Vec<TheoryRow> {
    (0..experiment.cases.len())
        .map(|index| TheoryRow {
            index,
            params: case_label(experiment, index),
            theory: case_references(experiment, index, None),
        })
        .collect()
}

/// A case's swept values as `name=value` pairs (the last part of each field's name).
pub fn case_label(experiment: &Experiment, index: usize) -> String {
    let params: Vec<String> = experiment.cases[index]
        .params
        .iter()
        .map(|(k, v)| {
            let v = serde_json::to_value(v).unwrap_or_default();
            format!(
                "{}={}",
                k.rsplit('.').next().unwrap_or(k),
                v.to_string().trim_matches('"')
            )
        })
        .collect();
    params.join(" ")
}

/// The references of case `case_index`; `observed` adds the z scores. `None` when nothing applies.
pub fn case_references(
    experiment: &Experiment,
    case_index: usize,
    observed: Option<Observed>,
) -> Option<TheoryReferences> {
    let case = &experiment.cases.get(case_index)?.model;
    if case.friction > 0.0 {
        return underdamped_references(case, observed);
    }
    let mut refs = TheoryReferences::default();
    if let Some((model, start, level)) = one_dimensional(case) {
        if level > start {
            refs.exact_mfpt = theory::exact_mfpt(&model, start, level);
            refs.exact_mfpt_shifted = theory::exact_mfpt_shifted(&model, start, level, case.dt);
        }
    }
    if let Some((d, curvature, d0, r0, radius)) = radial(case) {
        refs.exact_mfpt = theory::radial_quadratic_mfpt(d, curvature, d0, r0, radius);
        refs.exact_mfpt_shifted =
            theory::radial_quadratic_mfpt_shifted(d, curvature, d0, r0, radius, case.dt);
    }
    if refs.exact_mfpt.is_none() && experiment.theory.exact && plane::applies(case) {
        let options = experiment.theory.into();
        match plane::solve(case, None, options) {
            Ok(exact) => {
                refs.exact_mfpt = Some(exact.mfpt);
                refs.exact_mfpt_shifted = match case.bridge {
                    true => None,
                    false => plane::solve(case, Some(case.dt), options)
                        .ok()
                        .map(|s| s.mfpt),
                };
                let side = (exact.bounds[0][1] - exact.bounds[0][0])
                    .max(exact.bounds[1][1] - exact.bounds[1][0]);
                let start = [case.start[0], case.start[1]];
                let spacing = 0.05 * side;
                match case.noise {
                    NoiseParams::Langevin(Langevin { d0 }) => {
                        match landscape::eyring_kramers(
                            &case.potential,
                            start,
                            exact.saddle,
                            spacing,
                            d0,
                        ) {
                            Ok(ek) => refs.eyring_kramers = Some(ek),
                            Err(why) => refs.notes.push(format!("Eyring–Kramers: {why}")),
                        }
                    }
                    NoiseParams::PowerLawLoss(PowerLawLoss { d0, k }) => {
                        let alpha = case.interpretation.alpha();
                        match landscape::theorem7(
                            &case.potential,
                            start,
                            exact.saddle,
                            spacing,
                            d0,
                            k,
                            alpha,
                        ) {
                            Ok(t7) => refs.theorem7 = Some(t7),
                            Err(why) => refs.notes.push(format!("Theorem 7: {why}")),
                        }
                    }
                    _ => {}
                }
                refs.exact_2d = Some(exact);
            }
            Err(why) => refs.notes.push(format!("exact 2-D solve: {why}")),
        }
    }
    if case.start.len() == 1 {
        refs.kramers = kramers(case);
        refs.lemma6 = lemma6(case);
        refs.levy_exit = levy_exit(case);
    }
    refs.stationary = stationary(case).or_else(|| formula_stationary(experiment, case));
    if let PotentialParams::Expr(e) = &case.potential {
        if case.start.len() == 1 {
            refs.located = Some(LocatedReference {
                minimum: e.located.minimum[0],
                top: e.located.top,
                kink: e.located.kink,
            });
        }
    }
    if refs.exact_mfpt.is_some() || refs.levy_exit.is_some() || refs.kramers.is_some() {
        let monitoring = if case.bridge {
            EXIT_MONITORING_BRIDGE
        } else {
            EXIT_MONITORING
        };
        refs.exit_monitoring = Some(monitoring.to_string());
    }
    if let Some(observed) = observed {
        refs.z = z_scores(&refs, observed, case.bridge);
    }
    (refs != TheoryReferences::default()).then_some(refs)
}

/// [`case_references`] of an underdamped case: the high-friction limit of
/// the mean exit time and GJF's stationary harmonic variance.
fn underdamped_references(
    case: &CaseModel,
    observed: Option<Observed>,
) -> Option<TheoryReferences> {
    let gamma = case.friction;
    let at_top = exits_at_top(case);
    let mut reference = UnderdampedReference {
        friction: gamma,
        high_friction_mfpt: None,
        energy_diffusion_limit: None,
        energy_diffusion_mfpt: None,
        delta: None,
        omega: None,
        kramers_mfpt: None,
        melnikov_meshkov_mfpt: None,
    };
    // 1-D constant noise: the orbit's action at the barrier energy gives
    // Mel'nikov–Meshkov's Delta, read by the energy-diffusion and turnover references
    let d0 = match (&case.noise, case.start.len()) {
        (NoiseParams::Langevin(Langevin { d0 }), 1) => Some(*d0),
        _ => None,
    };
    let potential = |x: f64| case.potential.value(x);
    let minimum = case.potential.minimum();
    let delta = d0.zip(case.potential.top()).and_then(|(d0, top)| {
        super::underdamped::action(&potential, minimum, top, potential(top))
            .map(|i| gamma * i / (d0 / 2.0))
    });
    if let (Some(d0), Some(top), true) = (d0, case.potential.top(), at_top) {
        let limit =
            super::underdamped::energy_diffusion_time(&potential, minimum, top, d0, case.start[0]);
        reference.energy_diffusion_limit = limit;
        reference.energy_diffusion_mfpt = limit.map(|t| t / gamma);
        reference.delta = delta;
    }
    if let (Some(d0), Some((ha, hb, height))) = (d0, case.potential.barrier_shape()) {
        let rate = super::underdamped::kramers_rate(ha, hb, height, d0 / 2.0, gamma);
        reference.kramers_mfpt = Some(1.0 / rate);
        reference.melnikov_meshkov_mfpt =
            delta.map(|delta| 1.0 / (super::underdamped::depopulation_factor(delta) * rate));
    }
    if let Some((model, start, level)) = one_dimensional(case) {
        if level > start {
            reference.high_friction_mfpt =
                theory::exact_mfpt(&model, start, level).map(|t| gamma * t);
            // the largest |L''| on the way, by central differences on a grid
            let (lo, hi) = (start.min(case.potential.minimum()), level);
            let h = 1e-4 * (1.0 + (hi - lo).abs());
            let l = |y: f64| model.potential.value(y);
            let curvature = |x: f64| ((l(x + h) - 2.0 * l(x) + l(x - h)) / (h * h)).abs();
            let largest = (0..=400)
                .map(|i| curvature(lo + (hi - lo) * i as f64 / 400.0))
                .fold(0.0f64, f64::max);
            reference.omega = Some(largest.sqrt());
        }
    }
    let stationary = stationary(case).and_then(|s| match (&case.noise, &case.potential) {
        (
            NoiseParams::Langevin(Langevin { d0 }),
            PotentialParams::Quadratic(Quadratic { curvature, .. }),
        ) => Some(StationaryReference {
            em_variance: None,
            gjf_variance: s.variance,
            velocity_variance: Some(d0 / 2.0),
            gjf_velocity_variance: Some(gjf_velocity_variance(*curvature, *d0, case.dt)),
            ..s
        }),
        _ => None,
    });
    let mut refs = TheoryReferences {
        stationary,
        ..Default::default()
    };
    if reference.high_friction_mfpt.is_some() {
        refs.exit_monitoring = Some(EXIT_MONITORING.to_string());
    }
    if let Some(observed) = observed {
        let stats = observed.escape;
        let z = |t: f64| Some(theory_z(stats.mean?, t, stats.mean_standard_error?));
        let mfpt_high_friction = reference
            .high_friction_mfpt
            .filter(|_| reference.omega.is_some_and(|w| gamma >= 10.0 * w) && !at_top)
            .and_then(z);
        let mfpt_energy_diffusion = reference
            .energy_diffusion_mfpt
            .filter(|_| reference.delta.is_some_and(|d| d <= 0.005))
            .and_then(z);
        let final_variance = refs
            .stationary
            .as_ref()
            .and_then(|s| s.gjf_variance)
            .and_then(|v| final_variance_z(observed.tally, v));
        let final_velocity_variance = refs
            .stationary
            .as_ref()
            .and_then(|s| s.gjf_velocity_variance)
            .and_then(|v| {
                gaussian_variance_z(observed.tally, &observed.tally.velocity_variance(), v)
            });
        if mfpt_high_friction.is_some()
            || mfpt_energy_diffusion.is_some()
            || final_variance.is_some()
            || final_velocity_variance.is_some()
        {
            refs.z = Some(ZScores {
                mfpt_high_friction,
                mfpt_energy_diffusion,
                final_variance,
                final_velocity_variance,
                ..Default::default()
            });
        }
    }
    refs.underdamped = Some(reference);
    Some(refs)
}

/// `(d, H, D0, r0, R)` of a radial case (docs/theory.md §9): Langevin noise in
/// the isotropic `quadratic`, leaving the ball of radius `R` centred at its
/// minimum, from distance `r0` of it; any dimension.
fn radial(case: &CaseModel) -> Option<(usize, f64, f64, f64, f64)> {
    let (
        PotentialParams::Quadratic(Quadratic { curvature, center }),
        NoiseParams::Langevin(Langevin { d0 }),
        ExitParams::Ball(Ball {
            center: ball,
            radius,
        }),
    ) = (&case.potential, &case.noise, &case.exit)
    else {
        return None;
    };
    let centred = ball
        .iter()
        .all(|c| (c - center).abs() <= 1e-12 * (1.0 + center.abs()));
    if !centred {
        return None;
    }
    let r0 = case
        .start
        .iter()
        .map(|x| (x - center).powi(2))
        .sum::<f64>()
        .sqrt();
    Some((case.start.len(), *curvature, *d0, r0, *radius))
}

/// Whether the case exits through the barrier top (a half-space at the top).
fn exits_at_top(case: &CaseModel) -> bool {
    match (&case.exit, case.potential.top()) {
        (ExitParams::HalfSpace(HalfSpace { normal, threshold }), Some(top)) => {
            normal[0] > 0.0 && (threshold / normal[0] - top).abs() <= 1e-9 * (1.0 + top.abs())
        }
        _ => false,
    }
}

fn kramers(case: &CaseModel) -> Option<KramersReference> {
    let NoiseParams::Langevin(Langevin { d0 }) = case.noise else {
        return None;
    };
    let (ha, hb, height) = case.potential.barrier_shape()?;
    if !exits_at_top(case) {
        return None;
    }
    Some(KramersReference {
        crossing_time: theory::kramers_crossing_time(ha, hb, height, d0),
        top_time: theory::kramers_top_time(ha, hb, height, d0),
    })
}

fn lemma6(case: &CaseModel) -> Option<Lemma6Reference> {
    let NoiseParams::PowerLawLoss(PowerLawLoss { d0, k }) = case.noise else {
        return None;
    };
    let PotentialParams::Barrier(Barrier {
        curvature_min: ha,
        curvature_top: hb,
        height,
        ..
    }) = case.potential
    else {
        return None;
    };
    if !exits_at_top(case) {
        return None;
    }
    let d2 = k * ha / 2.0;
    let kappa = ha / d2;
    let alpha = case.interpretation.alpha();
    let finite = |t: f64| t.is_finite().then_some(t);
    Some(Lemma6Reference {
        kappa,
        crossing_time: finite(theory::lemma6_time(ha, hb, height, d0, d2)),
        factorized_top_time: finite(theory::power_law_loss_factorized_time(
            ha, hb, height, d0, k, alpha,
        )),
        growth_exponent: theory::power_law_growth_exponent(kappa, alpha),
    })
}

fn levy_exit(case: &CaseModel) -> Option<LevyExitReference> {
    let NoiseParams::AlphaStable(AlphaStable { index, sigma, .. }) = case.noise else {
        return None;
    };
    let minimum = case.potential.minimum();
    let (r_minus, r_plus) = match &case.exit {
        ExitParams::Ball(Ball { center, radius }) => {
            (minimum - (center[0] - radius), center[0] + radius - minimum)
        }
        ExitParams::HalfSpace(HalfSpace { normal, threshold }) if normal[0] > 0.0 => {
            (f64::INFINITY, threshold / normal[0] - minimum)
        }
        _ => return None,
    };
    if !(r_minus > 0.0 && r_plus > 0.0) {
        return None;
    }
    let finite = |r: f64| r.is_finite().then_some(r);
    Some(LevyExitReference {
        r_minus: finite(r_minus),
        r_plus: finite(r_plus),
        time: theory::levy_exit_time(index, sigma, r_minus, r_plus),
    })
}

/// A 1-D formula potential without an exit under Gaussian noise: the mean and
/// variance of the exact stationary density `p ∝ exp(-int 2 m / D) / D`
/// (quadrature of the same formulas) on the histogram's window.
fn formula_stationary(experiment: &Experiment, case: &CaseModel) -> Option<StationaryReference> {
    if case.exit != ExitParams::None
        || case.start.len() != 1
        || !matches!(case.potential, PotentialParams::Expr(_))
        || !case.noise.is_gaussian()
    {
        return None;
    }
    let model = theory::Model1d {
        potential: case.potential.clone(),
        noise: case.noise.clone(),
        alpha: case.interpretation.alpha(),
    };
    let window = experiment.observe.histogram;
    let density = theory::stationary_density_1d(&model, window.lo, window.hi, 4001);
    if density.len() < 2 {
        return None;
    }
    let h = (window.hi - window.lo) / (density.len() - 1) as f64;
    let moment = |f: &dyn Fn(f64) -> f64| -> f64 {
        density
            .iter()
            .enumerate()
            .map(|(i, &(x, p))| {
                let w = if i == 0 || i == density.len() - 1 {
                    0.5
                } else {
                    1.0
                };
                w * h * p * f(x)
            })
            .sum()
    };
    let mass = moment(&|_| 1.0);
    let mean = moment(&|x| x) / mass;
    let variance = moment(&|x| (x - mean).powi(2)) / mass;
    (mean.is_finite() && variance.is_finite()).then(|| StationaryReference {
        law: "quadrature of the formulas on the histogram range".into(),
        center: mean,
        variance: Some(variance),
        ..Default::default()
    })
}

fn stationary(case: &CaseModel) -> Option<StationaryReference> {
    if case.exit != ExitParams::None {
        return None;
    }
    let PotentialParams::Quadratic(Quadratic { curvature, center }) = case.potential else {
        return None;
    };
    let empty = StationaryReference {
        center,
        ..Default::default()
    };
    match case.noise {
        NoiseParams::Langevin(Langevin { d0 }) => {
            let em = theory::ou_em_variance(curvature, d0, case.dt);
            Some(StationaryReference {
                law: "normal".into(),
                variance: Some(theory::ou_stationary_variance(curvature, d0)),
                em_variance: em.is_finite().then_some(em),
                ..empty
            })
        }
        NoiseParams::PowerLaw(PowerLaw {
            d0,
            rho,
            d2,
            center: noise_center,
        }) if rho == 0.0 && noise_center == center => {
            // per coordinate in any dimension: the quadratic and the noise act
            // on each coordinate by its own value (docs/theory.md §9)
            let alpha = case.interpretation.alpha();
            let law = PowerLawStationary::new(curvature, d0, d2, alpha, center)?;
            Some(StationaryReference {
                law: "student-t".into(),
                variance: law.variance(),
                nu: Some(law.nu),
                scale: Some(law.scale),
                kappa: Some(law.kappa),
                em_second_moment: theory::power_law_em_second_moment(
                    curvature, d0, d2, alpha, case.dt,
                ),
                ..empty
            })
        }
        NoiseParams::AlphaStable(AlphaStable {
            index,
            sigma,
            beta: 0.0,
        }) => Some(StationaryReference {
            law: "alpha-stable".into(),
            scale: Some(theory::stable_ou_scale(sigma, index, curvature)),
            stable_index: Some(index),
            ..empty
        }),
        _ => None,
    }
}

/// With the bridge correction the Monte Carlo mean is compared with the exact
/// value itself, without it with the value at the shifted level.
fn z_scores(refs: &TheoryReferences, observed: Observed, bridge: bool) -> Option<ZScores> {
    let reference = if bridge {
        refs.exact_mfpt
    } else {
        refs.exact_mfpt_shifted
    };
    let stats = observed.escape;
    let mfpt =
        reference.and_then(|exact| Some(theory_z(stats.mean?, exact, stats.mean_standard_error?)));
    let final_variance = refs
        .stationary
        .as_ref()
        .and_then(|s| s.em_variance)
        .and_then(|em| final_variance_z(observed.tally, em));
    (mfpt.is_some() || final_variance.is_some()).then_some(ZScores {
        mfpt,
        final_variance,
        ..Default::default()
    })
}

/// Coordinate 0's final variance against `reference`, in Gaussian standard
/// errors `sqrt(2/(n-1)) reference`.
fn final_variance_z(tally: &Tally, reference: f64) -> Option<f64> {
    gaussian_variance_z(tally, &tally.final_variance(), reference)
}

/// The z score of coordinate 0 of `variances` (of the tally's finite
/// trajectories) against `reference`, with the Gaussian standard error
/// `sqrt(2/(n-1)) reference`.
fn gaussian_variance_z(tally: &Tally, variances: &[f64], reference: f64) -> Option<f64> {
    let n = tally.finite() as f64;
    let var = *variances.first()?;
    (n > 1.0).then(|| theory_z(var, reference, (2.0 / (n - 1.0)).sqrt() * reference))
}

/// GJF's stationary velocity variance in the quadratic of curvature `H`
/// with `D0` at step `dt`: `(D0/2)(1 - H dt^2/4)` (docs/theory.md §8).
pub fn gjf_velocity_variance(curvature: f64, d0: f64, dt: f64) -> f64 {
    d0 / 2.0 * (1.0 - curvature * dt * dt / 4.0)
}

fn theory_z(value: f64, reference: f64, standard_error: f64) -> f64 {
    super::stats::z_score(value, reference, standard_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARRIER: &str = r#"
name = "t"
seed = 1
dt = 0.01
max_steps = 1000
trajectories = 10
[potential]
kind = "barrier"
curvature_min = 1.0
curvature_top = 2.0
height = 1.0
[noise]
kind = "langevin"
d0 = 0.5
[exit]
kind = "top"
"#;

    #[test]
    fn barrier_langevin_has_exact_and_kramers() {
        let e = Experiment::from_toml(BARRIER, "test").unwrap();
        let r = case_references(&e, 0, None).unwrap();
        let exact = r.exact_mfpt.unwrap();
        let shifted = r.exact_mfpt_shifted.unwrap();
        assert!(shifted > exact);
        let k = r.kramers.unwrap();
        assert!((k.top_time / exact - 1.0).abs() < 0.3, "{k:?} {exact}");
        assert_eq!(r.exit_monitoring.as_deref(), Some(EXIT_MONITORING));
        assert!(r.stationary.is_none() && r.lemma6.is_none());
    }

    #[test]
    fn ou_stationary_without_exit() {
        let text = r#"
name = "t"
seed = 1
dt = 0.01
max_steps = 10
trajectories = 10
[potential]
kind = "quadratic"
curvature = 2.0
[noise]
kind = "langevin"
d0 = 1.0
[exit]
kind = "none"
"#;
        let e = Experiment::from_toml(text, "test").unwrap();
        let s = case_references(&e, 0, None).unwrap().stationary.unwrap();
        assert_eq!(s.law, "normal");
        assert!((s.em_variance.unwrap() - 1.0 / (2.0 * 1.98)).abs() < 1e-12);
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("nu"), "{json}");
    }

    /// GJF's stationary velocity variance against the fixed point of the
    /// scheme's own covariance recursion, iterated here from its update
    /// equations (docs/theory.md §8) rather than from the closed form: the
    /// linear map `(x, v) -> (x', v')` in `L = H x^2/2` and its noise vector,
    /// `S <- A S A^T + gamma D0 dt n n^T` until it stops moving. Also the
    /// position's `D0/2H` and no x-v correlation, at steps up to `omega dt = 1.9`.
    #[test]
    fn gjf_velocity_variance_is_the_fixed_point_of_the_schemes_covariance() {
        for (h, gamma, dt, d0) in [
            (1.0, 1.0, 1.0, 0.5),
            (1.0, 1.0, 0.5, 0.5),
            (4.0, 0.3, 0.4, 0.2),
            (1.0, 5.0, 0.2, 2.0),
            (1.0, 0.5, 1.9, 1.0),
        ] {
            let b = 1.0 / (1.0 + gamma * dt / 2.0);
            let a = (1.0 - gamma * dt / 2.0) * b;
            // x' = (1 - b dt^2 H/2) x + b dt v + (b dt/2) beta
            let (xx, xv, xb) = (1.0 - b * dt * dt * h / 2.0, b * dt, b * dt / 2.0);
            // v' = a v + (dt/2)(-a H x - H x') + b beta
            let vx = -(dt / 2.0) * a * h - (dt / 2.0) * h * xx;
            let vv = a - (dt / 2.0) * h * xv;
            let vb = b - (dt / 2.0) * h * xb;
            let m = [[xx, xv], [vx, vv]];
            let n = [xb, vb];
            let q = gamma * d0 * dt;
            let mut s = [[0.0f64; 2]; 2];
            for _ in 0..100_000 {
                let mut next = [[0.0; 2]; 2];
                for i in 0..2 {
                    for j in 0..2 {
                        let mut sum = q * n[i] * n[j];
                        for k in 0..2 {
                            for l in 0..2 {
                                sum += m[i][k] * s[k][l] * m[j][l];
                            }
                        }
                        next[i][j] = sum;
                    }
                }
                let moved = (0..4).map(|k| (next[k / 2][k % 2] - s[k / 2][k % 2]).abs());
                let done = moved.fold(0.0, f64::max) < 1e-16;
                s = next;
                if done {
                    break;
                }
            }
            let closed = gjf_velocity_variance(h, d0, dt);
            assert!(
                (s[1][1] - closed).abs() < 1e-12,
                "{h} {gamma} {dt}: {} vs {closed}",
                s[1][1]
            );
            assert!(
                (s[0][0] - d0 / (2.0 * h)).abs() < 1e-12,
                "position {}",
                s[0][0]
            );
            assert!(s[0][1].abs() < 1e-12, "x-v correlation {}", s[0][1]);
        }
    }
}
