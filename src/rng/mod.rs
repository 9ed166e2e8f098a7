//! Counter-based random numbers (docs/theory.md §6): Threefry-2x32-20 and the samplers
//! built on it. Every draw is a pure function of (seed, case, trajectory,
//! step, draw index); see [`stream`] for the exact layout shared with the WGSL kernels.

pub mod samplers;
pub mod stream;
pub mod threefry;

pub use samplers::{box_muller, exponential, stable, uniform_open_closed, StableSampler};
pub use stream::{Purpose, StreamKey};
pub use threefry::threefry2x32_20;
