//! What the integrator asks of a noise model on SIMD lanes: the Euler–Maruyama
//! update of one coordinate given its random draw. Each noise's implementation
//! lives in its module under `crate::model::noise`, beside its WGSL twin; its
//! [`NoiseFlags`] come from its line in the model registry.

use crate::kernel::abi::CaseParams;
use crate::rng::StableSampler;

/// The structural flags of a noise (its registry line), which choose the integrator's path.
pub trait NoiseFlags {
    /// Alpha-stable draws (one Threefry block each) instead of Box–Muller normals.
    const STABLE: bool;
    /// The variance depends on `L(X)` (power-law-loss).
    const USES_LOSS: bool;
    /// Minibatch SGD: the drift is a minibatch gradient and there are no normal draws.
    const SGD: bool;
}

pub trait Noise: NoiseFlags + Copy + Send + Sync {
    fn new(params: &CaseParams) -> Self;
    /// `x_{n+1}` from `x_n`: Itô drift `-grad + alpha/2 dD/dx`, then
    /// `sqrt(D dt) z` (Gaussian) or `sigma dt^(1/a) S` (stable).
    fn step(&self, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32;
    /// The variance `D(x)` of one coordinate (0 for stable noise), for the
    /// Brownian-bridge exit correction.
    fn variance(&self, x: f32, loss: f32) -> f32;
    /// The minibatch size, for SGD.
    fn batch(&self) -> u32 {
        unreachable!("only SGD has a minibatch")
    }
    /// The stable law, for stable noise.
    fn stable_law(&self) -> StableSampler {
        unreachable!("Gaussian noise has no stable law")
    }
}
