//! Warnings about a valid experiment that will probably not measure what was
//! meant: a step size close to the stability limit, or a dynamic without noise
//! whose exit set cannot be reached. (What cannot work at all, such as
//! `dt * curvature >= 2` or a start inside the exit set, is refused by
//! validation in `spec::build`.)

use super::{ExitParams, Experiment};

/// `dt * curvature` above which the Euler–Maruyama step overshoots the minimum
/// (the deterministic part changes sign every step).
pub const OVERSHOOT: f64 = 1.0;

impl Experiment {
    /// One line per problem, naming the case and the numbers.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for case in &self.cases {
            let model = &case.model;
            if let Some(h) = model.potential.basin_curvature() {
                let product = model.dt * h;
                if product >= OVERSHOOT {
                    out.push(format!(
                        "case {}: dt * curvature = {} * {h} = {product:.3} is close to the stability limit 2: \
                         the Euler–Maruyama step overshoots the minimum and its stationary variance is \
                         {:.2}x the SDE's; a smaller dt is advised",
                        case.index,
                        model.dt,
                        2.0 / (2.0 - product)
                    ));
                }
            }
            if !model.noise.is_silent() || matches!(model.exit, ExitParams::None) {
                continue;
            }
            let minimum = model.potential.minimum();
            if model.start.iter().all(|&x| x == minimum) {
                out.push(format!(
                    "case {}: no noise and the start is the potential's minimum: no trajectory \
                     moves, so none can reach the exit set (all will be censored)",
                    case.index
                ));
            } else {
                out.push(format!(
                    "case {}: no noise: the dynamic is deterministic (every trajectory the same)",
                    case.index
                ));
            }
        }
        out
    }
}
