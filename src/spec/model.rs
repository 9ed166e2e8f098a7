//! One parameter case in physical units (f64), and its f32 record for the kernels.

pub use crate::model::{
    ExitKind, ExitParams, NoiseKind, NoiseParams, PotentialKind, PotentialParams,
};

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
