//! The WGSL assembler: a prelude of `const`s that specializes a kernel
//! (dimension, potential, noise, exit set, workgroup size) followed by the
//! entry file with its `#import name` lines replaced by `shaders/shared/name.wgsl`.
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
    (
        "potentials",
        include_str!("../../shaders/shared/potentials.wgsl"),
    ),
    ("noise", include_str!("../../shaders/shared/noise.wgsl")),
    ("exits", include_str!("../../shaders/shared/exits.wgsl")),
];

/// Entry points, one per file; the entry point is named like the file.
pub const ENTRIES: &[(&str, &str)] = &[
    ("init", include_str!("../../shaders/init.wgsl")),
    ("simulate", include_str!("../../shaders/simulate.wgsl")),
    ("tally", include_str!("../../shaders/tally.wgsl")),
    (
        "samplers_kat",
        include_str!("../../shaders/samplers_kat.wgsl"),
    ),
];

/// Workgroup size of every kernel.
pub const WORKGROUP: u32 = 64;
/// Largest per-case count row kept in workgroup memory (u32 words).
pub const MAX_PRIVATE_ROW: u32 = 2048;

/// The structural choices a pipeline is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    pub dim: u32,
    /// 0 quadratic, 1 double-well, 2 barrier, 3 paper-2d.
    pub potential: u32,
    /// 0 langevin, 1 power-law, 2 power-law-loss, 3 alpha-stable, 4 sgd.
    pub noise: u32,
    /// 0 half-space (and none), 1 ball, 2 box.
    pub exit: u32,
    /// Words of the per-case count row counted in workgroup memory.
    pub private_row: u32,
    /// 1: Brownian-bridge exit correction.
    pub bridge: u32,
}

/// The source of entry point `entry` specialized for `variant`.
pub fn assemble(entry: &str, variant: &Variant) -> String {
    let body = ENTRIES
        .iter()
        .find(|(name, _)| *name == entry)
        .map(|(_, source)| *source)
        .unwrap_or_else(|| panic!("no shader entry `{entry}`"));
    let mut out = format!(
        "const DIM: u32 = {}u;\nconst POTENTIAL: u32 = {}u;\nconst NOISE: u32 = {}u;\nconst EXIT: u32 = {}u;\n\
         const WORKGROUP: u32 = {WORKGROUP}u;\nconst MOMENTS: u32 = {}u;\nconst PRIVATE_ROW: u32 = {}u;\n\
         const BRIDGE: u32 = {}u;\n",
        variant.dim,
        variant.potential,
        variant.noise,
        variant.exit,
        2 * variant.dim,
        variant.private_row,
        variant.bridge
    );
    for line in body.lines() {
        match line.trim().strip_prefix("#import ") {
            Some(name) => {
                let name = name.trim();
                let shared = SHARED
                    .iter()
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
