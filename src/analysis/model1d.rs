//! The 1-D model of a case for the analytic references: a [`CaseModel`] read
//! as a [`theory::Model1d`], with its start and exit level.

use super::theory::{self, Model1d, Noise1d, Potential1d};
use crate::spec::{CaseModel, ExitParams, NoiseParams, PotentialParams};

/// `(model, start, exit level)` of a 1-D case leaving through `x >= level`;
/// `None` for other dimensions, exits, potentials or noise models.
pub fn one_dimensional(case: &CaseModel) -> Option<(Model1d, f64, f64)> {
    if case.start.len() != 1 {
        return None;
    }
    let level = match &case.exit {
        ExitParams::HalfSpace { normal, threshold } if normal[0] > 0.0 => threshold / normal[0],
        _ => return None,
    };
    let potential = match case.potential {
        PotentialParams::Quadratic { curvature, center } => {
            Potential1d::Quadratic { curvature, center }
        }
        PotentialParams::DoubleWell { height, half_width } => {
            Potential1d::DoubleWell { height, half_width }
        }
        PotentialParams::Barrier {
            curvature_min,
            curvature_top,
            height,
            minimum,
        } => Potential1d::Barrier {
            curvature_min,
            curvature_top,
            height,
            minimum,
        },
        PotentialParams::Paper2d { .. } => return None,
    };
    let noise = match case.noise {
        NoiseParams::Langevin { d0 } => Noise1d::Langevin { d0 },
        NoiseParams::PowerLaw {
            d0,
            rho,
            d2,
            center,
        } => Noise1d::PowerLaw {
            d0,
            rho,
            d2,
            center,
        },
        NoiseParams::PowerLawLoss { d0, k } => Noise1d::PowerLawLoss { d0, k },
        NoiseParams::AlphaStable { .. } | NoiseParams::Sgd { .. } => return None,
    };
    let model = Model1d {
        potential,
        noise,
        alpha: case.interpretation.alpha(),
    };
    Some((model, case.start[0], level))
}

/// The exact mean first-passage time a 1-D case's Monte Carlo should hit: at
/// the level shifted for once-per-step monitoring (SPEC §5.4), or at the level
/// itself with the Brownian-bridge correction.
pub fn exact_mfpt(case: &CaseModel) -> Option<f64> {
    let (model, start, level) = one_dimensional(case)?;
    if case.bridge {
        theory::exact_mfpt(&model, start, level)
    } else {
        theory::exact_mfpt_shifted(&model, start, level, case.dt)
    }
}
