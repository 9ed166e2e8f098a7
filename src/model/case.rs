//! One parameter case in physical units (f64) and the kernel shape that
//! selects its kernel: both are made of the model kinds and parameters, so
//! they sit on the model floor; the backends pack a case into the kernels'
//! record ([`crate::kernel::abi::CaseParams`]) through [`CaseModel::record`].

pub use crate::dynamics::{Dynamics, Interpretation, MAX_DIM};
use crate::kernel::abi::CaseParams;
use crate::model::{ExitKind, ExitParams, NoiseKind, NoiseParams, PotentialKind, PotentialParams};

/// What selects a kernel: everything structural, nothing numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    /// The potential's kind (`potential.kind`).
    pub potential: PotentialKind,
    /// The noise's kind (`noise.kind`).
    pub noise: NoiseKind,
    /// The kind of exit set the kernel tests (`none` and `top` are half-spaces).
    pub exit: ExitKind,
    /// State dimension `d`, 1 to [`MAX_DIM`] (the file's `dim`).
    pub dim: usize,
    /// Brownian-bridge exit correction (half-space exits, Gaussian noise).
    pub bridge: bool,
    /// The equations of motion, and so the scheme (`dynamics.kind`).
    pub dynamics: Dynamics,
}

/// Everything numeric about one case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseModel {
    /// Time step `dt` (> 0) of the Euler–Maruyama scheme.
    pub dt: f64,
    /// How multiplicative noise is read (Itô for noises without a variance law).
    pub interpretation: Interpretation,
    /// The potential `L` and its parameters.
    pub potential: PotentialParams,
    /// The noise model and its parameters.
    pub noise: NoiseParams,
    /// Start point of every trajectory, `dim` numbers (default: the potential's minimum).
    pub start: Vec<f64>,
    /// The exit set (`None`: no exit).
    pub exit: ExitParams,
    /// Exits are checked once per step with the Brownian-bridge correction.
    pub bridge: bool,
    /// Underdamped dynamics: the friction `gamma` (> 0; 0 for overdamped).
    pub friction: f64,
    /// Underdamped dynamics: the start velocity of every trajectory, `dim`
    /// numbers (`None`: each trajectory draws it from the Maxwell law).
    pub start_velocity: Option<Vec<f64>>,
}

impl CaseModel {
    /// The f32 record the kernels read for this case. Slots:
    /// - potential: its module's [`crate::model::potential::Physics::slots`];
    /// - noise: its module's [`crate::model::noise::NoisePhysics::slots`];
    /// - exit: its module's [`crate::model::exit::ExitPhysics::pack`] (none: a
    ///   half-space never reached, `scalar[0] = +inf`).
    pub fn record(&self, case_index: u32, max_steps: u32) -> CaseParams {
        use bytemuck::Zeroable;
        let model = self;
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
        if model.friction > 0.0 {
            let (a, b) = crate::kernel::gjf::coefficients(model.friction, model.dt);
            p.dynamics = [model.friction as f32, 0.0, a as f32, b as f32];
        }
        if let Some(v) = &model.start_velocity {
            p.dynamics[1] = 1.0;
            for (slot, v) in p.start_velocity.iter_mut().zip(v) {
                *slot = *v as f32;
            }
        }
        p
    }
}
