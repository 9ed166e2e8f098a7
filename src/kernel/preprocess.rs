//! The WGSL assembler: a prelude of `const`s that specializes a kernel
//! (dimension, potential, noise, exit set, workgroup size) and carries the
//! codes shared with the host ([`crate::codes`]), followed by the entry file
//! with its `#import name` lines replaced by `shaders/shared/name.wgsl` or by a
//! generated source (the models' WGSL and their dispatch, [`dispatch_source`]).
//! Shared with build.rs, which validates every variant with naga.

/// Shared WGSL files by import name.
pub const SHARED: &[(&str, &str)] = &[
    ("params", include_str!("../../shaders/shared/params.wgsl")),
    (
        "fastmath",
        include_str!("../../shaders/shared/fastmath.wgsl"),
    ),
    (
        "threefry",
        include_str!("../../shaders/shared/threefry.wgsl"),
    ),
    (
        "samplers",
        include_str!("../../shaders/shared/samplers.wgsl"),
    ),
    ("gjf", include_str!("../../shaders/shared/gjf.wgsl")),
];

/// Entry points, one per file; the entry point is named like the file.
pub const ENTRIES: &[(&str, &str)] = &[
    ("init", include_str!("../../shaders/init.wgsl")),
    ("simulate", include_str!("../../shaders/simulate.wgsl")),
    // rare-event segments: an entry point of simulate.wgsl (it shares `advance`)
    ("segment", include_str!("../../shaders/simulate.wgsl")),
    ("tally", include_str!("../../shaders/tally.wgsl")),
    (
        "samplers_kat",
        include_str!("../../shaders/samplers_kat.wgsl"),
    ),
];

/// The `user` module of an experiment without formulas (and build.rs's
/// validation): the state flags off and functions that are never called.
pub fn user_stub() -> String {
    format!(
        "const POTENTIAL_STATE: bool = false;\nconst NOISE_STATE: bool = false;\nconst NOISE_READS_LOSS: bool = true;\n{USER_POTENTIAL_STUB}{USER_NOISE_STUB}{USER_EXIT_STUB}{USER_EXIT_BRIDGE_STUB}"
    )
}

/// The parts of [`user_stub`] for a family without a formula in an experiment with others.
pub const USER_POTENTIAL_STUB: &str =
    "fn user_potential_gradient(p: CaseParams, x: array<f32, DIM>) -> array<f32, DIM> {
    return array<f32, DIM>();
}
fn user_potential_value(p: CaseParams, x: array<f32, DIM>) -> f32 {
    return 3.0e38;
}
";
/// The noise part of [`user_stub`]: `user_noise_step` and `user_noise_variance` that are
/// never called (they return `3.0e38`).
pub const USER_NOISE_STUB: &str = "fn user_noise_step(p: CaseParams, c: u32, x: array<f32, DIM>, xc: f32, gradient: f32, loss: f32, dt: f32, alpha: f32, draw: f32) -> f32 {
    return 3.0e38;
}
fn user_noise_variance(p: CaseParams, c: u32, x: array<f32, DIM>, loss: f32, gradient: f32) -> f32 {
    return 3.0e38;
}
";
/// The exit part of [`user_stub`]: `user_exit_contains` (always true) and `user_exit_value`
/// (0) that are never called.
pub const USER_EXIT_STUB: &str =
    "fn user_exit_contains(p: CaseParams, x: array<f32, DIM>) -> bool {
    return true;
}
fn user_exit_value(p: CaseParams, x: array<f32, DIM>) -> f32 {
    return 0.0;
}
";
/// The bridge part of the `user` module without a formula exit:
/// `user_exit_bridge` (zeros), never called.
pub const USER_EXIT_BRIDGE_STUB: &str =
    "fn user_exit_bridge(p: CaseParams, x: array<f32, DIM>) -> ExitBridge {
    return ExitBridge();
}
";

/// Workgroup size of every kernel.
pub const WORKGROUP: u32 = 64;
/// Largest per-case count row kept in workgroup memory (u32 words).
pub const MAX_PRIVATE_ROW: u32 = 2048;

/// The structural choices a pipeline is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    /// State dimension: the shader's `DIM` (1 to 8).
    pub dim: u32,
    /// The potential's code (`PotentialKind`, the registry's order).
    pub potential: u32,
    /// The noise's code (`NoiseKind`, the registry's order).
    pub noise: u32,
    /// The exit set's code (`ExitKind`, the registry's order).
    pub exit: u32,
    /// Words of the per-case count row counted in workgroup memory.
    pub private_row: u32,
    /// 1: Brownian-bridge exit correction.
    pub bridge: u32,
    /// The scheme ([`crate::dynamics::Dynamics::code`]): 0 overdamped (Euler–Maruyama),
    /// 1 underdamped (GJF), 2 heavy-ball SGD; 1 and 2 carry a velocity block in the state.
    pub dynamics: u32,
    /// [`user_key`] of the experiment's generated `user` module (its formulas).
    pub user: u64,
}

/// The 128-bit moment sums the tally keeps per trajectory (`MOMENTS`) for
/// `dim` coordinates under the scheme `dynamics` ([`Variant::dynamics`]):
/// each coordinate's sum and sum of squares, of the position and, for
/// underdamped dynamics, of the velocity.
pub fn moments(dim: u32, dynamics: u32) -> u32 {
    // underdamped is code 1, as `UNDERDAMPED` below (the build script
    // includes this file, so it cannot name `crate::dynamics`)
    2 * dim * if dynamics == 1 { 2 } else { 1 }
}

/// A 64-bit FNV-1a hash of a generated `user` module: what tells pipelines
/// of different formulas apart.
pub fn user_key(source: &str) -> u64 {
    source.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The source of entry point `entry` specialized for `variant`; `generated`
/// holds the imports made at run time (`("potentials", source)`, `("noise", source)`).
pub fn assemble(entry: &str, variant: &Variant, generated: &[(&str, &str)]) -> String {
    let body = ENTRIES
        .iter()
        .find(|(name, _)| *name == entry)
        .map(|(_, source)| *source)
        .unwrap_or_else(|| panic!("no shader entry `{entry}`"));
    let mut out = format!(
        "const DIM: u32 = {}u;\nconst POTENTIAL: u32 = {}u;\nconst NOISE: u32 = {}u;\nconst EXIT: u32 = {}u;\n\
         const WORKGROUP: u32 = {WORKGROUP}u;\nconst MOMENTS: u32 = {}u;\nconst PRIVATE_ROW: u32 = {}u;\n\
         const BRIDGE: u32 = {}u;\nconst UNDERDAMPED: bool = {};\nconst HEAVY_BALL: bool = {};\n",
        variant.dim,
        variant.potential,
        variant.noise,
        variant.exit,
        moments(variant.dim, variant.dynamics),
        variant.private_row,
        variant.bridge,
        variant.dynamics == 1,
        variant.dynamics == 2
    );
    out.push_str(&crate::codes::prelude());
    for line in body.lines() {
        match line.trim().strip_prefix("#import ") {
            Some(name) => {
                let name = name.trim();
                let shared = SHARED
                    .iter()
                    .chain(generated)
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("no shared shader `{name}`"));
                out.push_str(shared.1);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The WGSL of one model family: every kind's source, a `const_assert` that
/// the prelude's `selector` constant is a registered code, and for each of
/// `functions` (`(name, parameters, arguments, return type)`) a dispatch
/// `fn <family>_<name>` that switches on `selector` to `<module>_<name>`.
/// `kinds` is `(module, code, source)` for every registered kind. The default
/// arm cannot run (`unreachable_value`): it never runs another model's physics.
pub fn dispatch_source(
    selector: &str,
    kinds: &[(&str, u32, &str)],
    functions: &[(&str, &str, &str, &str)],
) -> String {
    let family = selector.to_lowercase();
    let mut out = String::new();
    for (module, code, source) in kinds {
        out.push_str(&format!("// {family} {code}: {module}\n{source}\n"));
    }
    out.push_str(&format!(
        "const_assert {selector} < {}u;\n",
        kinds.iter().map(|k| k.1 + 1).max().unwrap_or(0)
    ));
    for (name, parameters, arguments, returns) in functions {
        out.push_str(&format!(
            "fn {family}_{name}({parameters}) -> {returns} {{\n    var out = {};\n    switch {selector} {{\n",
            unreachable_value(returns)
        ));
        for (module, code, _) in kinds {
            out.push_str(&format!(
                "        case {code}u: {{ out = {module}_{name}({arguments}); }}\n"
            ));
        }
        out.push_str("        default: {}\n    }\n    return out;\n}\n");
    }
    out
}

/// What a dispatch returns for a code no kind has (unreachable past the
/// `const_assert`): beyond the divergence bound for a number, `true` (exited
/// at once) for a test, so that a trajectory never quietly runs on.
fn unreachable_value(returns: &str) -> &'static str {
    match returns {
        "bool" => "true",
        _ => "3.0e38",
    }
}

/// `const <name>: bool = <selector> == c1 || ...;` for the kinds (codes) that
/// have a structural flag, so that kernels branch on the flag, not on codes.
pub fn flag_source(name: &str, selector: &str, codes: &[u32]) -> String {
    let test: Vec<String> = codes
        .iter()
        .map(|c| format!("{selector} == {c}u"))
        .collect();
    let test = if test.is_empty() {
        "false".to_string()
    } else {
        test.join(" || ")
    };
    format!("const {name}: bool = {test};\n")
}
