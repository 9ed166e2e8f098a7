//! One parameter case in physical units (f64), and its f32 record for the kernels.

pub use crate::model::{
    ExitKind, ExitParams, NoiseKind, NoiseParams, PotentialKind, PotentialParams,
};
use bytemuck::{Pod, Zeroable};

/// Largest state dimension the kernels support.
pub const MAX_DIM: usize = 8;

/// How multiplicative noise is read (SPEC §1): the `alpha` of the extra drift term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interpretation {
    Ito,
    Stratonovich,
    AntiIto,
}

impl Interpretation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ito" => Some(Interpretation::Ito),
            "stratonovich" => Some(Interpretation::Stratonovich),
            "anti-ito" => Some(Interpretation::AntiIto),
            _ => None,
        }
    }
    pub fn alpha(self) -> f64 {
        match self {
            Interpretation::Ito => 0.0,
            Interpretation::Stratonovich => 0.5,
            Interpretation::AntiIto => 1.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Interpretation::Ito => "ito",
            Interpretation::Stratonovich => "stratonovich",
            Interpretation::AntiIto => "anti-ito",
        }
    }
}

/// What selects a kernel: everything structural, nothing numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    pub potential: PotentialKind,
    pub noise: NoiseKind,
    pub exit: ExitKind,
    pub dim: usize,
    /// Brownian-bridge exit correction (half-space exits, Gaussian noise).
    pub bridge: bool,
}

/// Everything numeric about one case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseModel {
    pub dt: f64,
    pub interpretation: Interpretation,
    pub potential: PotentialParams,
    pub noise: NoiseParams,
    pub start: Vec<f64>,
    pub exit: ExitParams,
    /// Exits are checked once per step with the Brownian-bridge correction.
    pub bridge: bool,
}

/// Per-case record read by the kernels. Keep in sync with `shaders/shared/params.wgsl`.
/// Slot meanings by kind are listed in [`CaseModel::record`].
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

impl CaseModel {
    /// The f32 record. Slots:
    /// - potential: its module's [`crate::model::potential::Physics::slots`].
    /// - noise: its module's [`crate::model::noise::NoisePhysics::slots`].
    /// - exit: its module's [`crate::model::exit::ExitPhysics::pack`] (none: a
    ///   half-space never reached, `scalar[0] = +inf`).
    pub fn record(&self, case_index: u32, max_steps: u32) -> CaseParams {
        let mut p = CaseParams::zeroed();
        p.dt = self.dt as f32;
        p.alpha = self.interpretation.alpha() as f32;
        p.max_steps = max_steps;
        p.case_index = case_index;
        let pot = self.potential.slots();
        let noise = self.noise.physics().slots(self.dt);
        for (slot, v) in p.potential.iter_mut().zip(&pot) {
            *slot = *v as f32;
        }
        for (slot, v) in p.noise.iter_mut().zip(&noise) {
            *slot = *v as f32;
        }
        for (slot, v) in p.start.iter_mut().zip(&self.start) {
            *slot = *v as f32;
        }
        self.exit.pack(&mut p.exit_vector, &mut p.exit_scalar);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_params_layout_matches_wgsl() {
        // shaders/shared/params.wgsl: 4 scalars + 4 arrays of 8 + 1 array of 4.
        assert_eq!(std::mem::size_of::<CaseParams>(), 160);
        assert_eq!(std::mem::align_of::<CaseParams>(), 4);
    }
}
