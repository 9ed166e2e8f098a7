//! Noise models (SPEC §2): the Euler–Maruyama update of one coordinate given
//! its random draw. Twin of `shaders/shared/noise.wgsl`.

use crate::rng::StableSampler;
use crate::spec::CaseParams;

pub trait Noise: Copy + Send + Sync {
    /// Alpha-stable draws (one Threefry block each) instead of Box–Muller normals.
    const STABLE: bool;
    /// The variance depends on `L(X)` (power-law-loss).
    const USES_LOSS: bool;
    /// Minibatch SGD: the drift is a minibatch gradient and there are no normal draws.
    const SGD: bool = false;
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

/// `D = D0`.
#[derive(Clone, Copy)]
pub struct Langevin {
    d0: f32,
}

impl Noise for Langevin {
    const STABLE: bool = false;
    const USES_LOSS: bool = false;
    fn new(p: &CaseParams) -> Self {
        Langevin { d0: p.noise[0] }
    }
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, z: f32) -> f32 {
        x - gradient * dt + (self.d0 * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, _: f32, _: f32) -> f32 {
        self.d0
    }
}

/// `D = D0 + 2 rho (x - c) + D2 (x - c)^2`.
#[derive(Clone, Copy)]
pub struct PowerLaw {
    d0: f32,
    rho: f32,
    d2: f32,
    center: f32,
}

impl Noise for PowerLaw {
    const STABLE: bool = false;
    const USES_LOSS: bool = false;
    fn new(p: &CaseParams) -> Self {
        PowerLaw {
            d0: p.noise[0],
            rho: p.noise[1],
            d2: p.noise[2],
            center: p.noise[3],
        }
    }
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, alpha: f32, z: f32) -> f32 {
        let y = x - self.center;
        let variance = self.d0 + (2.0 * self.rho + self.d2 * y) * y;
        let drift = alpha * (self.rho + self.d2 * y) - gradient;
        x + drift * dt + (variance.max(0.0) * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, x: f32, _: f32) -> f32 {
        let y = x - self.center;
        (self.d0 + (2.0 * self.rho + self.d2 * y) * y).max(0.0)
    }
}

/// `D = D0 + k (L(X) - L_min)` in every coordinate.
#[derive(Clone, Copy)]
pub struct PowerLawLoss {
    d0: f32,
    k: f32,
    loss_minimum: f32,
}

impl Noise for PowerLawLoss {
    const STABLE: bool = false;
    const USES_LOSS: bool = true;
    fn new(p: &CaseParams) -> Self {
        PowerLawLoss {
            d0: p.noise[0],
            k: p.noise[1],
            loss_minimum: p.noise[2],
        }
    }
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, z: f32) -> f32 {
        let variance = self.d0 + self.k * (loss - self.loss_minimum);
        let drift = (alpha * 0.5 * self.k - 1.0) * gradient;
        x + drift * dt + (variance.max(0.0) * dt).sqrt() * z
    }
    #[inline(always)]
    fn variance(&self, _: f32, loss: f32) -> f32 {
        (self.d0 + self.k * (loss - self.loss_minimum)).max(0.0)
    }
}

/// Increment `sigma dt^(1/a) S`, `S ~ S_a(1, beta, 0)`.
#[derive(Clone, Copy)]
pub struct AlphaStable {
    increment_scale: f32,
    law: StableSampler,
}

impl Noise for AlphaStable {
    const STABLE: bool = true;
    const USES_LOSS: bool = false;
    fn new(p: &CaseParams) -> Self {
        AlphaStable {
            increment_scale: p.noise[0],
            law: StableSampler {
                alpha: p.noise[1],
                beta: p.noise[2],
                shift: p.noise[3],
                scale: p.noise[4],
            },
        }
    }
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, s: f32) -> f32 {
        x - gradient * dt + self.increment_scale * s
    }
    fn variance(&self, _: f32, _: f32) -> f32 {
        0.0
    }
    fn stable_law(&self) -> StableSampler {
        self.law
    }
}

/// Minibatch SGD (SPEC §2): `x - dt g_B(x)`; the minibatch gradient `g_B`
/// arrives as `gradient` (see [`super::simulate`]), there is no SDE noise.
#[derive(Clone, Copy)]
pub struct Sgd {
    batch: u32,
}

impl Noise for Sgd {
    const STABLE: bool = false;
    const USES_LOSS: bool = false;
    const SGD: bool = true;
    fn new(p: &CaseParams) -> Self {
        Sgd {
            batch: p.noise[0] as u32,
        }
    }
    #[inline(always)]
    fn step(&self, x: f32, gradient: f32, _: f32, dt: f32, _: f32, _: f32) -> f32 {
        x - gradient * dt
    }
    fn variance(&self, _: f32, _: f32) -> f32 {
        0.0
    }
    fn batch(&self) -> u32 {
        self.batch
    }
}
