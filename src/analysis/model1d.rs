//! The 1-D model of a case for the analytic references: a [`CaseModel`] read
//! as a [`theory::Model1d`], with its start and exit level.

use super::theory::{self, Model1d};
use crate::model::exit::HalfSpace;
use crate::spec::{CaseModel, ExitParams, NoiseParams, PotentialParams};

/// `(model, start, exit level)` of a case whose first passage is that of a
/// 1-D diffusion through `x >= level`: a 1-D case, or in `d > 1` a separable
/// one (docs/theory.md §9): a built-in potential `sum_j l(x_j)` (not
/// `paper-2d`, whose physics is a one-point stand-in), noise that acts on
/// each coordinate by its own value (`langevin`, `power-law`) and a
/// half-space exit normal to one axis, `x_k >= level`, so that coordinate `k`
/// moves alone. `None` otherwise.
pub fn one_dimensional(case: &CaseModel) -> Option<(Model1d, f64, f64)> {
    let ExitParams::HalfSpace(HalfSpace { normal, threshold }) = &case.exit else {
        return None;
    };
    let axis = if case.start.len() == 1 {
        0
    } else {
        let separable = !matches!(
            case.potential,
            PotentialParams::Expr(_) | PotentialParams::Paper2d(_)
        ) && matches!(
            case.noise,
            NoiseParams::Langevin(_) | NoiseParams::PowerLaw(_)
        );
        let mut axes = normal.iter().enumerate().filter(|(_, n)| **n != 0.0);
        match (separable, axes.next(), axes.next()) {
            (true, Some((k, _)), None) => k,
            _ => return None,
        }
    };
    let level = match normal[axis] {
        n if n > 0.0 => threshold / n,
        _ => return None,
    };
    let potential = case.potential.clone();
    if !case.noise.is_gaussian() {
        return None;
    }
    let noise = case.noise.clone();
    let model = Model1d {
        potential,
        noise,
        alpha: case.interpretation.alpha(),
    };
    Some((model, case.start[axis], level))
}

/// The exact mean first-passage time a 1-D case's Monte Carlo should hit: at
/// the level shifted for once-per-step monitoring (docs/theory.md §5.4), or at the level
/// itself with the Brownian-bridge correction.
pub fn exact_mfpt(case: &CaseModel) -> Option<f64> {
    let (model, start, level) = one_dimensional(case)?;
    if case.bridge {
        theory::exact_mfpt(&model, start, level)
    } else {
        theory::exact_mfpt_shifted(&model, start, level, case.dt)
    }
}
