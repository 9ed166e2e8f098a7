//! The one list of built-in model kinds, read by the crate (`src/model/*/mod.rs`
//! expands it into the kind enums, the parameter enums, the file tables, the
//! CPU dispatch and the WGSL dispatch) and by build.rs (which validates the
//! WGSL of every kind with naga). Self-contained: build.rs includes this file.
//!
//! A line is `Variant module "kind"`: the enum variant, the module
//! (`src/model/<family>/<module>.rs`, with its WGSL twin `<module>.wgsl` beside
//! it) and the `kind` string of experiment files; a noise line adds the
//! structural flags that choose the integrator's path (stable draws instead of
//! normals; a variance that reads the loss; a minibatch gradient instead of
//! the potential's). The code a kernel sees is the line's position. Adding a
//! kind is its module and one line here.

macro_rules! potentials {
    ($then:ident) => {
        $then! {
            Quadratic quadratic "quadratic",
            DoubleWell double_well "double-well",
            Barrier barrier "barrier",
            Paper2d paper_2d "paper-2d",
            Washboard washboard "washboard",
            Expr expr "expr",
        }
    };
}
pub(crate) use potentials;

macro_rules! noises {
    ($then:ident) => {
        $then! {
            Langevin langevin "langevin" { stable: false, loss: false, minibatch: false },
            PowerLaw power_law "power-law" { stable: false, loss: false, minibatch: false },
            PowerLawLoss power_law_loss "power-law-loss" { stable: false, loss: true, minibatch: false },
            AlphaStable alpha_stable "alpha-stable" { stable: true, loss: false, minibatch: false },
            Sgd sgd "sgd" { stable: false, loss: false, minibatch: true },
            ExprNoise expr "expr" { stable: false, loss: true, minibatch: false },
        }
    };
}
pub(crate) use noises;

macro_rules! exits {
    ($then:ident) => {
        $then! {
            HalfSpace half_space "half-space",
            Ball ball "ball",
            BoxSet box_set "box",
            ExprExit expr "expr",
        }
    };
}
pub(crate) use exits;

/// The functions every potential's WGSL defines as `<module>_<name>`, which the
/// generated dispatch `potential_<name>` forwards to: name, parameters,
/// arguments, return type.
pub const POTENTIAL_FUNCTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "gradient",
        "p: CaseParams, c: u32, x: f32",
        "p, c, x",
        "f32",
    ),
    ("value", "p: CaseParams, c: u32, x: f32", "p, c, x", "f32"),
];

/// The same for noises: `noise_step` (one coordinate's Euler–Maruyama update
/// given its draw) and `noise_variance` (`D(x)`, for the bridge correction).
pub const NOISE_FUNCTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "step",
        "p: CaseParams, x: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32",
        "p, x, gradient, loss, dt, alpha, draw",
        "f32",
    ),
    (
        "variance",
        "p: CaseParams, x: f32, loss: f32",
        "p, x, loss",
        "f32",
    ),
];

/// The same for exit sets: `exit_contains`, whether a state lies in the exit set,
/// `exit_score` and `exit_crossing`.
pub const EXIT_FUNCTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "contains",
        "p: CaseParams, x: array<f32, DIM>",
        "p, x",
        "bool",
    ),
    // rare-event splitting's score (src/kernel/exits.rs `ExitSet::score`)
    ("score", "p: CaseParams, x: array<f32, DIM>", "p, x", "f32"),
    // the Brownian bridge's crossing probability (`ExitSet::crossing`)
    (
        "crossing",
        "p: CaseParams, before: array<f32, DIM>, after: array<f32, DIM>, variance: array<f32, DIM>, dt: f32",
        "p, before, after, variance, dt",
        "f32",
    ),
];
