//! The models: every built-in potential (and, as they move here, noise and
//! exit kind) is one module holding its file fields and their validation, its
//! f64 physics (which the theory reads too), its parameter packing for the
//! kernels, its CPU lanes and its WGSL twin. [`registry`] lists them.

pub mod exit;
pub mod noise;
pub mod potential;
pub mod registry;

pub use exit::{ExitKind, ExitModel, ExitParams};
pub use noise::{NoiseKind, NoiseModel, NoiseParams};
pub use potential::{PotentialKind, PotentialModel, PotentialParams};
