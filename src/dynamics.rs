//! The vocabulary of the dynamics that every floor shares: the largest state
//! dimension and how multiplicative noise is read. A leaf: it imports nothing
//! of the crate.

/// Largest state dimension the kernels support.
pub const MAX_DIM: usize = 8;

/// How multiplicative noise is read (docs/theory.md §1): the `alpha` of the extra drift term.
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
