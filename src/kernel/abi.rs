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
