//! Numbers that the host and the WGSL kernels must agree on, defined once as
//! Rust enums and written into every shader's prelude by
//! [`crate::kernel::preprocess`] (`const OUTCOME_ESCAPED: u32 = 2u;`, ...), so that no
//! WGSL file restates one. Self-contained: build.rs includes this file too.

/// How a trajectory slot stands after a `simulate` dispatch (`progress[g].y`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still stepping.
    Running = 0,
    /// Reached `max_steps` inside the exit set's complement.
    Censored = 1,
    /// Entered the exit set (first passage).
    Escaped = 2,
    /// A coordinate beyond the divergence bound, or NaN/Inf.
    Diverged = 3,
    /// A slot beyond the slice's trajectories: never simulated or counted.
    Padding = 4,
    /// A rare-event segment whose score fell to its return level (back in `A`).
    Returned = 5,
    /// A rare-event segment whose score first exceeded its stop level (a cut).
    Cut = 6,
}

impl Outcome {
    /// Every outcome, in code order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Running,
        Outcome::Censored,
        Outcome::Escaped,
        Outcome::Diverged,
        Outcome::Padding,
        Outcome::Returned,
        Outcome::Cut,
    ];

    /// The WGSL constant's name.
    pub fn constant(self) -> &'static str {
        match self {
            Outcome::Running => "OUTCOME_RUNNING",
            Outcome::Censored => "OUTCOME_CENSORED",
            Outcome::Escaped => "OUTCOME_ESCAPED",
            Outcome::Diverged => "OUTCOME_DIVERGED",
            Outcome::Padding => "OUTCOME_PADDING",
            Outcome::Returned => "OUTCOME_RETURNED",
            Outcome::Cut => "OUTCOME_CUT",
        }
    }

    /// The outcome whose code is `code`; `None` for a code that names none.
    pub fn from_code(code: u32) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| *o as u32 == code)
    }
}

/// What a random stream is used for; each purpose has its own key space
/// (key word 1 = `case | purpose << PURPOSE_SHIFT`, layout in `rng::stream`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The SDE noise (or minibatch indices).
    Dynamics = 0,
    /// Uniforms of the Brownian-bridge exit correction.
    Bridge = 1,
    /// The finite data set of `paper-2d` / `sgd` (drawn once per case).
    DataSet = 2,
    /// Rare-event splitting's segments: counter word 0 is `2 segment` for
    /// their noise and `2 segment + 1` for their bridge uniforms.
    Rare = 3,
}

impl Purpose {
    /// Every purpose, in code order.
    pub const ALL: [Purpose; 4] = [
        Purpose::Dynamics,
        Purpose::Bridge,
        Purpose::DataSet,
        Purpose::Rare,
    ];

    /// The WGSL constant's name: the tag already shifted into place.
    pub fn constant(self) -> &'static str {
        match self {
            Purpose::Dynamics => "STREAM_DYNAMICS",
            Purpose::Bridge => "STREAM_BRIDGE",
            Purpose::DataSet => "STREAM_DATA_SET",
            Purpose::Rare => "STREAM_RARE",
        }
    }

    /// The purpose's bits of key word 1.
    pub const fn tag(self) -> u32 {
        (self as u32) << PURPOSE_SHIFT
    }
}

/// A coordinate beyond this magnitude (or not finite) marks the trajectory as diverged.
pub const DIVERGENCE_BOUND: f32 = 1e9;

/// Bit position of the purpose in key word 1 (the case index takes the bits below).
pub const PURPOSE_SHIFT: u32 = 30;

/// The WGSL `const` lines of every shared code.
pub fn prelude() -> String {
    let mut out = String::new();
    for o in Outcome::ALL {
        out.push_str(&format!("const {}: u32 = {}u;\n", o.constant(), o as u32));
    }
    for p in Purpose::ALL {
        out.push_str(&format!("const {}: u32 = {}u;\n", p.constant(), p.tag()));
    }
    out.push_str(&format!(
        "const DIVERGENCE_BOUND: f32 = {DIVERGENCE_BOUND:e};\n"
    ));
    out
}
