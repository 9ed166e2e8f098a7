//! The 1-D model of a case for the analytic references: a [`CaseModel`] read
//! as a [`theory::Model1d`], with its start and exit level.

use super::theory::{self, Model1d};
use crate::model::exit::HalfSpace;
use crate::spec::{CaseModel, ExitParams};

/// `(model, start, exit level)` of a 1-D case leaving through `x >= level`;
/// `None` for other dimensions, exits, potentials or noise models.
pub fn one_dimensional(case: &CaseModel) -> Option<(Model1d, f64, f64)> {
    if case.start.len() != 1 {
        return None;
    }
    let level = match &case.exit {
        ExitParams::HalfSpace(HalfSpace { normal, threshold }) if normal[0] > 0.0 => {
            threshold / normal[0]
        }
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
    Some((model, case.start[0], level))
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
