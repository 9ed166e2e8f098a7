//! What the integrator asks of a noise model on SIMD lanes: the Euler–Maruyama
//! update of one coordinate given its random draw. Built-in noises read their
//! own coordinate; a noise with [`Noise::STATE`] (a formula) reads the whole
//! state before the step. Each noise's implementation lives in its module
//! under `crate::model::noise`, beside its WGSL twin; its [`NoiseFlags`] come
//! from its line in the model registry.

use crate::rng::StableSampler;
use crate::simd::{Lanes, Scratch};

/// The structural flags of a noise (its registry line), which choose the integrator's path.
pub trait NoiseFlags {
    /// Alpha-stable draws (one Threefry block each) instead of Box–Muller normals.
    const STABLE: bool;
    /// The variance depends on `L(X)` (power-law-loss, formulas).
    const USES_LOSS: bool;
    /// Minibatch SGD: the drift is a minibatch gradient and there are no normal draws.
    const SGD: bool;
}

/// A noise model as the CPU kernel steps it: one coordinate's Euler–Maruyama update on lanes.
pub trait Noise: NoiseFlags + Send + Sync {
    /// Steps with [`Self::prepare_state`], [`Self::step_state`] and
    /// [`Self::variance_state`], which read the whole state, instead of
    /// [`Self::step`] and [`Self::variance`].
    const STATE: bool = false;

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
    /// The heavy-ball momentum, for SGD (0: plain SGD).
    fn momentum(&self) -> f32 {
        0.0
    }
    /// The stable law, for stable noise.
    fn stable_law(&self) -> StableSampler {
        unreachable!("Gaussian noise has no stable law")
    }

    /// Whether this case's variance reads `u` (built-ins: [`NoiseFlags::USES_LOSS`]).
    fn reads_loss(&self) -> bool {
        Self::USES_LOSS
    }

    /// Registers for the state methods (none for built-ins).
    fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// [`Self::STATE`] noises: evaluate coordinate `c`'s formulas on the
    /// state before the step, into `scratch` (every coordinate is prepared
    /// before any is stepped with [`Self::step_state`]).
    #[inline(always)]
    fn prepare_state<const DIM: usize>(
        &self,
        _scratch: &mut Scratch,
        _c: usize,
        _x: &[Lanes; DIM],
        _gradient: &Lanes,
        _loss: &Lanes,
    ) {
        unreachable!("only formula noises read the whole state")
    }

    /// [`Self::STATE`] noises: step coordinate `c` in place, `xc` its value
    /// before the step, from what [`Self::prepare_state`] left in `scratch`
    /// (a negative variance gives `+inf`: diverged), on the lanes where
    /// `running` is 1; the others keep their value.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn step_state(
        &self,
        _scratch: &Scratch,
        _c: usize,
        _xc: &mut Lanes,
        _gradient: &Lanes,
        _dt: f32,
        _alpha: f32,
        _draw: &Lanes,
        _running: &[u32; crate::simd::LANES],
    ) {
        unreachable!("only formula noises read the whole state")
    }

    /// [`Self::STATE`] noises: `D_c(X)` for the bridge correction.
    #[inline(always)]
    fn variance_state<const DIM: usize>(
        &self,
        _scratch: &mut Scratch,
        _c: usize,
        _x: &[Lanes; DIM],
        _loss: &Lanes,
        _gradient: &Lanes,
        _out: &mut Lanes,
    ) {
        unreachable!("only formula noises read the whole state")
    }
}
