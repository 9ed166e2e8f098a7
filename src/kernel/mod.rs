//! Per-step mathematics of every dynamic, on lanes of trajectories: the CPU
//! twin of `shaders/` (each function here has a WGSL namesake that reads the
//! same way). Potentials, noise models and exit sets are types, so that
//! `simulate` is specialized for one kernel shape at compile time.

pub mod exits;
pub mod noise;
pub mod potentials;
pub mod preprocess;
pub mod simulate;

/// Trajectories integrated together by one CPU kernel call (one AVX-512 register of f32).
pub const LANES: usize = 32;
/// One f32 per lane.
pub type Lanes = [f32; LANES];
