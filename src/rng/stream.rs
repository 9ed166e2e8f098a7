//! The layout of every random stream (docs/theory.md §6), shared with the WGSL kernels.
//!
//! Key `[seed, case | purpose << 30]`, counter `[trajectory, block]`, where
//! `trajectory` is the index within its case. Gaussian noise: normal number
//! `j = step * dim + coordinate` of a trajectory is half `j & 1` (cos, sin) of the
//! Box–Muller pair from block `j >> 1`. Alpha-stable noise: draw
//! `step * dim + coordinate` takes one whole block. Brownian-bridge uniforms
//! (purpose `Bridge`): step `n` (0-based) uses word 0 of block `n`. SGD
//! minibatch member `b` of step `n` (purpose `Dynamics`) is word `b & 1` of
//! block `n * ceil(B/2) + b/2`, modulo the data size. Nothing depends on threads,
//! chunks, workgroups, shards or devices.

pub use crate::codes::Purpose;

/// Largest number of cases in one experiment (the case index shares a key word with the purpose).
pub const MAX_CASES: u32 = 1 << crate::codes::PURPOSE_SHIFT;

/// The Threefry key of one (seed, case, purpose) stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey(pub [u32; 2]);

impl StreamKey {
    /// The key `[seed, case | purpose << 30]`; `case` must be below [`MAX_CASES`].
    pub fn new(seed: u32, case: u32, purpose: Purpose) -> Self {
        debug_assert!(case < MAX_CASES);
        StreamKey([seed, case | purpose.tag()])
    }
}
