//! One parameter case in physical units (f64), and its f32 record for the kernels.

use bytemuck::{Pod, Zeroable};

/// Largest state dimension the kernels support.
pub const MAX_DIM: usize = 8;

/// How multiplicative noise is read (SPEC §1): the `alpha` of the extra drift term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interpretation {
    Ito,
    Stratonovich,
    AntiIto,
}

impl Interpretation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ito" => Some(Interpretation::Ito),
            "stratonovich" => Some(Interpretation::Stratonovich),
            "anti-ito" => Some(Interpretation::AntiIto),
            _ => None,
        }
    }
    pub fn alpha(self) -> f64 {
        match self {
            Interpretation::Ito => 0.0,
            Interpretation::Stratonovich => 0.5,
            Interpretation::AntiIto => 1.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Interpretation::Ito => "ito",
            Interpretation::Stratonovich => "stratonovich",
            Interpretation::AntiIto => "anti-ito",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PotentialKind {
    Quadratic,
    DoubleWell,
    Barrier,
    Paper2d,
}

impl PotentialKind {
    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            PotentialKind::Quadratic => "quadratic",
            PotentialKind::DoubleWell => "double-well",
            PotentialKind::Barrier => "barrier",
            PotentialKind::Paper2d => "paper-2d",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoiseKind {
    Langevin,
    PowerLaw,
    PowerLawLoss,
    AlphaStable,
    Sgd,
}

impl NoiseKind {
    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            NoiseKind::Langevin => "langevin",
            NoiseKind::PowerLaw => "power-law",
            NoiseKind::PowerLawLoss => "power-law-loss",
            NoiseKind::AlphaStable => "alpha-stable",
            NoiseKind::Sgd => "sgd",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitKind {
    None,
    HalfSpace,
    Ball,
    Box,
}

/// What selects a kernel: everything structural, nothing numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelShape {
    pub potential: PotentialKind,
    pub noise: NoiseKind,
    pub exit: ExitKind,
    pub dim: usize,
    /// Brownian-bridge exit correction (half-space exits, Gaussian noise).
    pub bridge: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PotentialParams {
    /// `1/2 H sum (x_j - c)^2`.
    Quadratic { curvature: f64, center: f64 },
    /// `h ((x/a)^2 - 1)^2` per coordinate.
    DoubleWell { height: f64, half_width: f64 },
    /// SPEC §3 `barrier`: minimum at `minimum` (curvature Ha), top (curvature -Hb), height dL.
    Barrier {
        curvature_min: f64,
        curvature_top: f64,
        height: f64,
        minimum: f64,
    },
    /// SPEC §3 `paper-2d`, `scale * |w-1|^2.5 |w+1|^3` per coordinate, averaged over the data set.
    Paper2d { scale: f64 },
}

impl PotentialParams {
    pub fn kind(&self) -> PotentialKind {
        match self {
            PotentialParams::Quadratic { .. } => PotentialKind::Quadratic,
            PotentialParams::DoubleWell { .. } => PotentialKind::DoubleWell,
            PotentialParams::Barrier { .. } => PotentialKind::Barrier,
            PotentialParams::Paper2d { .. } => PotentialKind::Paper2d,
        }
    }

    /// Barrier geometry `(kink c, top b)`.
    pub fn barrier_geometry(ha: f64, hb: f64, height: f64, minimum: f64) -> (f64, f64) {
        let u = (2.0 * height * hb / (ha * (ha + hb))).sqrt();
        let v = ha * u / hb;
        (minimum + u, minimum + u + v)
    }

    /// The coordinate of the (left) minimum, the default start and noise centre.
    pub fn minimum(&self) -> f64 {
        match *self {
            PotentialParams::Quadratic { center, .. } => center,
            PotentialParams::DoubleWell { half_width, .. } => -half_width,
            PotentialParams::Barrier { minimum, .. } => minimum,
            PotentialParams::Paper2d { .. } => -1.0,
        }
    }

    /// The top of the barrier along coordinate 0, where there is one.
    pub fn top(&self) -> Option<f64> {
        match *self {
            PotentialParams::DoubleWell { .. } => Some(0.0),
            PotentialParams::Barrier {
                curvature_min,
                curvature_top,
                height,
                minimum,
            } => Some(Self::barrier_geometry(curvature_min, curvature_top, height, minimum).1),
            _ => None,
        }
    }

    /// The largest curvature in the basin (for the step-size stability check).
    pub fn basin_curvature(&self) -> Option<f64> {
        match *self {
            PotentialParams::Quadratic { curvature, .. } => Some(curvature),
            PotentialParams::DoubleWell { height, half_width } => {
                Some(8.0 * height / (half_width * half_width))
            }
            PotentialParams::Barrier { curvature_min, .. } => Some(curvature_min),
            PotentialParams::Paper2d { .. } => None,
        }
    }

    /// One coordinate's contribution to L (f64 reference of the kernels' `potential_value`).
    pub fn value_1d(&self, x: f64) -> f64 {
        match *self {
            PotentialParams::Quadratic { curvature, center } => {
                0.5 * curvature * (x - center) * (x - center)
            }
            PotentialParams::DoubleWell { height, half_width } => {
                let s = (x / half_width).powi(2) - 1.0;
                height * s * s
            }
            PotentialParams::Barrier {
                curvature_min,
                curvature_top,
                height,
                minimum,
            } => {
                let (c, b) = Self::barrier_geometry(curvature_min, curvature_top, height, minimum);
                if x <= c {
                    0.5 * curvature_min * (x - minimum).powi(2)
                } else {
                    height - 0.5 * curvature_top * (x - b).powi(2)
                }
            }
            PotentialParams::Paper2d { scale } => {
                scale * (x - 1.0).abs().powf(2.5) * (x + 1.0).abs().powi(3)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoiseParams {
    Langevin {
        d0: f64,
    },
    PowerLaw {
        d0: f64,
        rho: f64,
        d2: f64,
        center: f64,
    },
    PowerLawLoss {
        d0: f64,
        k: f64,
    },
    AlphaStable {
        index: f64,
        sigma: f64,
        beta: f64,
    },
    /// Minibatch SGD: batch size `B` (drift from `B` data points drawn with replacement).
    Sgd {
        batch: u32,
    },
}

impl NoiseParams {
    pub fn kind(&self) -> NoiseKind {
        match self {
            NoiseParams::Langevin { .. } => NoiseKind::Langevin,
            NoiseParams::PowerLaw { .. } => NoiseKind::PowerLaw,
            NoiseParams::PowerLawLoss { .. } => NoiseKind::PowerLawLoss,
            NoiseParams::AlphaStable { .. } => NoiseKind::AlphaStable,
            NoiseParams::Sgd { .. } => NoiseKind::Sgd,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExitParams {
    /// No exit: every trajectory runs `max_steps` (stationary laws).
    None,
    /// `normal . x >= threshold`.
    HalfSpace { normal: Vec<f64>, threshold: f64 },
    /// `|x - center| >= radius`.
    Ball { center: Vec<f64>, radius: f64 },
    /// Outside `lower <= x <= upper` in some coordinate.
    Box { lower: Vec<f64>, upper: Vec<f64> },
}

/// Everything numeric about one case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseModel {
    pub dt: f64,
    pub interpretation: Interpretation,
    pub potential: PotentialParams,
    pub noise: NoiseParams,
    pub start: Vec<f64>,
    pub exit: ExitParams,
    /// Exits are checked once per step with the Brownian-bridge correction.
    pub bridge: bool,
}

/// Per-case record read by the kernels. Keep in sync with `shaders/shared/params.wgsl`.
/// Slot meanings by kind are listed in [`CaseModel::record`].
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

impl CaseModel {
    /// The f32 record. Slots:
    /// - potential: quadratic `[H, c]`; double-well `[h, a, 4h/a^2, 1/a^2]`;
    ///   barrier `[Ha, Hb, dL, a, kink, top]`; paper-2d `[scale, n]`.
    /// - noise: langevin `[D0]`; power-law `[D0, rho, D2, c]`; power-law-loss
    ///   `[D0, k, L_min]`; alpha-stable `[sigma dt^(1/a), a, beta, B, S]`; sgd `[batch]`.
    /// - exit: none `scalar[0] = +inf` (a half-space never reached); half-space `vector = normal`, `scalar[0] = threshold`;
    ///   ball `vector = center`, `scalar[0] = radius^2`; box `vector = [lower[0..4], upper[0..4]]`.
    pub fn record(&self, case_index: u32, max_steps: u32, data_size: usize) -> CaseParams {
        let mut p = CaseParams::zeroed();
        p.dt = self.dt as f32;
        p.alpha = self.interpretation.alpha() as f32;
        p.max_steps = max_steps;
        p.case_index = case_index;
        let pot: Vec<f64> = match self.potential {
            PotentialParams::Quadratic { curvature, center } => vec![curvature, center],
            PotentialParams::DoubleWell { height, half_width } => vec![
                height,
                half_width,
                4.0 * height / (half_width * half_width),
                1.0 / (half_width * half_width),
            ],
            PotentialParams::Barrier {
                curvature_min,
                curvature_top,
                height,
                minimum,
            } => {
                let (c, b) = PotentialParams::barrier_geometry(
                    curvature_min,
                    curvature_top,
                    height,
                    minimum,
                );
                vec![curvature_min, curvature_top, height, minimum, c, b]
            }
            PotentialParams::Paper2d { scale } => vec![scale, data_size as f64],
        };
        let noise: Vec<f64> = match self.noise {
            NoiseParams::Langevin { d0 } => vec![d0],
            NoiseParams::PowerLaw {
                d0,
                rho,
                d2,
                center,
            } => vec![d0, rho, d2, center],
            NoiseParams::PowerLawLoss { d0, k } => vec![d0, k, self.loss_minimum()],
            NoiseParams::AlphaStable { index, sigma, beta } => {
                let law = crate::rng::StableSampler::new(index, beta);
                vec![
                    sigma * self.dt.powf(1.0 / index),
                    index,
                    beta,
                    law.shift as f64,
                    law.scale as f64,
                ]
            }
            NoiseParams::Sgd { batch } => vec![batch as f64],
        };
        for (slot, v) in p.potential.iter_mut().zip(&pot) {
            *slot = *v as f32;
        }
        for (slot, v) in p.noise.iter_mut().zip(&noise) {
            *slot = *v as f32;
        }
        for (slot, v) in p.start.iter_mut().zip(&self.start) {
            *slot = *v as f32;
        }
        match &self.exit {
            ExitParams::None => p.exit_scalar[0] = f32::INFINITY,
            ExitParams::HalfSpace { normal, threshold } => {
                for (slot, v) in p.exit_vector.iter_mut().zip(normal) {
                    *slot = *v as f32;
                }
                p.exit_scalar[0] = *threshold as f32;
            }
            ExitParams::Ball { center, radius } => {
                for (slot, v) in p.exit_vector.iter_mut().zip(center) {
                    *slot = *v as f32;
                }
                p.exit_scalar[0] = (radius * radius) as f32;
            }
            ExitParams::Box { lower, upper } => {
                for (c, (lo, hi)) in lower.iter().zip(upper).enumerate() {
                    p.exit_vector[c] = *lo as f32;
                    p.exit_vector[4 + c] = *hi as f32;
                }
            }
        }
        p
    }

    /// L at the potential's minimum (0 for the analytic potentials).
    pub fn loss_minimum(&self) -> f64 {
        0.0
    }

    /// Whether `x` lies in the exit set (f64 reference of the kernels' test).
    pub fn is_exit(&self, x: &[f64]) -> bool {
        match &self.exit {
            ExitParams::None => false,
            ExitParams::HalfSpace { normal, threshold } => {
                normal.iter().zip(x).map(|(n, x)| n * x).sum::<f64>() >= *threshold
            }
            ExitParams::Ball { center, radius } => {
                center
                    .iter()
                    .zip(x)
                    .map(|(c, x)| (x - c).powi(2))
                    .sum::<f64>()
                    >= radius * radius
            }
            ExitParams::Box { lower, upper } => x
                .iter()
                .zip(lower.iter().zip(upper))
                .any(|(x, (lo, hi))| !(lo <= x && x <= hi)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_params_layout_matches_wgsl() {
        // shaders/shared/params.wgsl: 4 scalars + 4 arrays of 8 + 1 array of 4.
        assert_eq!(std::mem::size_of::<CaseParams>(), 160);
        assert_eq!(std::mem::align_of::<CaseParams>(), 4);
    }

    #[test]
    fn barrier_value_and_slope_are_continuous() {
        let p = PotentialParams::Barrier {
            curvature_min: 1.0,
            curvature_top: 2.0,
            height: 1.5,
            minimum: 0.3,
        };
        let (c, b) = PotentialParams::barrier_geometry(1.0, 2.0, 1.5, 0.3);
        let eps = 1e-7;
        assert!((p.value_1d(c - eps) - p.value_1d(c + eps)).abs() < 1e-6);
        assert!((p.value_1d(b) - 1.5).abs() < 1e-12);
        let slope_left = (p.value_1d(c) - p.value_1d(c - 1e-4)) / 1e-4;
        let slope_right = (p.value_1d(c + 1e-4) - p.value_1d(c)) / 1e-4;
        assert!((slope_left - slope_right).abs() < 1e-3);
    }
}
