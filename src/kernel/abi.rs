//! The kernels' view of a case: the `#[repr(C)]` record both backends read
//! (the WGSL twin is `CaseParams` in shaders/shared/params.wgsl; naga
//! reflection checks the layout in `backend::gpu`'s tests), packed from a
//! validated case by each model's own slot layout
//! ([`crate::model::case::CaseModel::record`]).

use bytemuck::{Pod, Zeroable};

/// Per-case record read by the kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct CaseParams {
    /// Time step `dt` of the Euler–Maruyama scheme.
    pub dt: f32,
    /// Interpretation `alpha` of multiplicative noise (0 Itô, 0.5 Stratonovich, 1 anti-Itô).
    pub alpha: f32,
    /// Step limit: a trajectory still inside after it is censored.
    pub max_steps: u32,
    /// Index of the case in the experiment: the low bits of the random streams' key word 1.
    pub case_index: u32,
    /// The potential's parameters in its model's slot layout (`Physics::slots`).
    pub potential: [f32; 8],
    /// The noise's parameters at this `dt` in its model's slot layout (`NoisePhysics::slots`).
    pub noise: [f32; 8],
    /// Start point of every trajectory, one coordinate per slot (unused slots 0).
    pub start: [f32; 8],
    /// The exit set's vector (a normal, a centre, box bounds or formula parameters).
    pub exit_vector: [f32; 8],
    /// The exit set's scalars (a threshold, a squared radius, ...).
    pub exit_scalar: [f32; 4],
    /// Underdamped dynamics: `[friction gamma, 1 if the start velocity is
    /// given (else drawn from the Maxwell law), GJF's a, GJF's b]`
    /// ([`crate::kernel::gjf`]); zero when overdamped.
    pub dynamics: [f32; 4],
    /// Underdamped dynamics: the given start velocity, one coordinate per slot.
    pub start_velocity: [f32; 8],
}

/// Bytes of [`CaseParams`] that an overdamped case fills (before the
/// underdamped fields): what experiment fingerprints hash for it, as before
/// those fields existed.
pub const OVERDAMPED_RECORD_BYTES: usize = 160;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_params_is_208_bytes_of_4_byte_words() {
        // shaders/shared/params.wgsl: 4 scalars + 4 arrays of 8 + 1 array of 4,
        // then the underdamped 4 + 8.
        assert_eq!(std::mem::size_of::<CaseParams>(), 208);
        assert_eq!(
            std::mem::offset_of!(CaseParams, dynamics),
            OVERDAMPED_RECORD_BYTES
        );
        assert_eq!(std::mem::align_of::<CaseParams>(), 4);
    }
}
