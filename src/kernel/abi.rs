//! The kernels' view of a case: the `#[repr(C)]` record both backends read
//! (the WGSL twin is `CaseParams` in shaders/shared/params.wgsl; naga
//! reflection checks the layout in `backend::gpu`'s tests), packed from a
//! validated case by each model's own slot layout.

use crate::spec::{Case, CaseModel, Experiment};
use bytemuck::{Pod, Zeroable};

/// Per-case record read by the kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct CaseParams {
    pub dt: f32,
    pub alpha: f32,
    pub max_steps: u32,
    pub case_index: u32,
    pub potential: [f32; 8],
    pub noise: [f32; 8],
    pub start: [f32; 8],
    pub exit_vector: [f32; 8],
    pub exit_scalar: [f32; 4],
}

/// The f32 record of `model`. Slots:
/// - potential: its module's [`crate::model::potential::Physics::slots`];
/// - noise: its module's [`crate::model::noise::NoisePhysics::slots`];
/// - exit: its module's [`crate::model::exit::ExitPhysics::pack`] (none: a
///   half-space never reached, `scalar[0] = +inf`).
pub fn pack(model: &CaseModel, case_index: u32, max_steps: u32) -> CaseParams {
    let mut p = CaseParams::zeroed();
    p.dt = model.dt as f32;
    p.alpha = model.interpretation.alpha() as f32;
    p.max_steps = max_steps;
    p.case_index = case_index;
    let potential = model.potential.slots();
    let noise = model.noise.physics().slots(model.dt, &model.potential);
    for (slot, v) in p.potential.iter_mut().zip(&potential) {
        *slot = *v as f32;
    }
    for (slot, v) in p.noise.iter_mut().zip(&noise) {
        *slot = *v as f32;
    }
    for (slot, v) in p.start.iter_mut().zip(&model.start) {
        *slot = *v as f32;
    }
    model.exit.pack(&mut p.exit_vector, &mut p.exit_scalar);
    p
}

/// The record of `case` of `experiment`.
pub fn record(experiment: &Experiment, case: &Case) -> CaseParams {
    pack(&case.model, case.index, experiment.max_steps)
}

/// The records of every case of `experiment`, in case order.
pub fn records(experiment: &Experiment) -> Vec<CaseParams> {
    experiment
        .cases
        .iter()
        .map(|case| record(experiment, case))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_params_is_160_bytes_of_4_byte_words() {
        // shaders/shared/params.wgsl: 4 scalars + 4 arrays of 8 + 1 array of 4.
        assert_eq!(std::mem::size_of::<CaseParams>(), 160);
        assert_eq!(std::mem::align_of::<CaseParams>(), 4);
    }
}
