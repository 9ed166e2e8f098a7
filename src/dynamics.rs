//! The vocabulary of the dynamics that every floor shares: the largest state
//! dimension and how multiplicative noise is read. A leaf: it imports nothing
//! of the crate.

/// Largest state dimension the kernels support.
pub const MAX_DIM: usize = 8;

/// How multiplicative noise is read (docs/theory.md §1): the `alpha` of the extra drift term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interpretation {
    /// Itô, `alpha = 0`: the limit of SGD and of every Euler–Maruyama update.
    Ito,
    /// Stratonovich, `alpha = 1/2`.
    Stratonovich,
    /// Anti-Itô (Hänggi–Klimontovich, "isothermal"), `alpha = 1`.
    AntiIto,
}

impl Interpretation {
    /// The interpretation named `name` in an experiment file (`"ito"`, `"stratonovich"`,
    /// `"anti-ito"`); `None` for any other name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ito" => Some(Interpretation::Ito),
            "stratonovich" => Some(Interpretation::Stratonovich),
            "anti-ito" => Some(Interpretation::AntiIto),
            _ => None,
        }
    }
    /// The `alpha` of the drift term `alpha/2 dD_j/dx_j`: 0, 0.5 or 1.
    pub fn alpha(self) -> f64 {
        match self {
            Interpretation::Ito => 0.0,
            Interpretation::Stratonovich => 0.5,
            Interpretation::AntiIto => 1.0,
        }
    }
    /// The name [`Self::parse`] reads and reports write.
    pub fn name(self) -> &'static str {
        match self {
            Interpretation::Ito => "ito",
            Interpretation::Stratonovich => "stratonovich",
            Interpretation::AntiIto => "anti-ito",
        }
    }
}
