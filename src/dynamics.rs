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

/// Which equations of motion a run integrates, and so which scheme steps them
/// (docs/theory.md §8): the `[dynamics]` table's `kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dynamics {
    /// `dX = -grad L dt + sqrt(D) dW` (with the interpretation's drift), stepped by Euler–Maruyama.
    #[default]
    Overdamped,
    /// `dX = V dt`, `dV = (-grad L - gamma V) dt + sqrt(gamma D(X)) dW` (unit
    /// mass), stepped by Grønbech-Jensen–Farago; the state carries `V`.
    Underdamped,
    /// Heavy-ball SGD, `v <- mu v - eta g_B(x)`, `x <- x + v` (minibatch SGD
    /// with `[noise] momentum` > 0); the state carries `v`. Not a `[dynamics]`
    /// kind: the `sgd` noise's momentum selects it.
    HeavyBall,
}

impl Dynamics {
    /// The dynamics named `name` in `[dynamics] kind` (`"overdamped"`,
    /// `"underdamped"`); `None` for any other.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "overdamped" => Some(Dynamics::Overdamped),
            "underdamped" => Some(Dynamics::Underdamped),
            _ => None,
        }
    }
    /// The name [`Self::parse`] reads and reports write.
    pub fn name(self) -> &'static str {
        match self {
            Dynamics::Overdamped => "overdamped",
            Dynamics::Underdamped => "underdamped",
            Dynamics::HeavyBall => "heavy-ball",
        }
    }
    /// Whether the state carries a velocity block.
    pub fn has_velocity(self) -> bool {
        self != Dynamics::Overdamped
    }
    /// Whether runs report the final velocity's moments (underdamped
    /// dynamics; the heavy ball's velocity is the last step, not reported).
    pub fn tallies_velocity(self) -> bool {
        self == Dynamics::Underdamped
    }
    /// The scheme's code in the shader variant (`UNDERDAMPED`, `HEAVY_BALL`).
    pub fn code(self) -> u32 {
        self as u32
    }
}
