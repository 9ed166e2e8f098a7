//! Validates every shader variant with naga, so that a broken shader fails the
//! build rather than a user's run: every entry point, for every dimension
//! class and every kind the model registry (src/model/registry.rs) lists.

#[path = "src/codes.rs"]
#[allow(dead_code, reason = "the crate uses the rest of the codes")]
mod codes;
#[path = "src/kernel/preprocess.rs"]
#[allow(dead_code, reason = "the crate uses the rest of the preprocessor")]
mod preprocess;
#[path = "src/model/registry.rs"]
mod registry;

use preprocess::{assemble, dispatch_source, flag_source, Variant, ENTRIES};

/// The registry's module names, in code order.
macro_rules! modules {
    ($($variant:ident $module:ident $name:literal,)*) => {
        &[$(stringify!($module)),*]
    };
}
const POTENTIALS: &[&str] = registry::potentials!(modules);

/// The registry's noise modules and flags (stable, loss, minibatch), in code order.
macro_rules! noise_modules {
    ($($variant:ident $module:ident $name:literal {
        stable: $stable:literal, loss: $loss:literal, minibatch: $minibatch:literal
    },)*) => {
        &[$((stringify!($module), $stable, $loss, $minibatch)),*]
    };
}
const NOISES: &[(&str, bool, bool, bool)] = registry::noises!(noise_modules);
const EXITS: &[&str] = registry::exits!(modules);

/// The WGSL twins of a model family's modules, as the crate includes them.
fn read_sources(family: &str, modules: &[&str]) -> Vec<(String, u32, String)> {
    modules
        .iter()
        .enumerate()
        .map(|(code, module)| {
            let path = format!("src/model/{family}/{module}.wgsl");
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (every registered {family} needs one)"));
            (module.to_string(), code as u32, source)
        })
        .collect()
}

fn kinds(sources: &[(String, u32, String)]) -> Vec<(&str, u32, &str)> {
    sources
        .iter()
        .map(|(m, c, s)| (m.as_str(), *c, s.as_str()))
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=shaders");
    println!("cargo:rerun-if-changed=src/kernel/preprocess.rs");
    println!("cargo:rerun-if-changed=src/codes.rs");
    println!("cargo:rerun-if-changed=src/model");
    git_commit();

    let potential_sources = read_sources("potential", POTENTIALS);
    let potentials = dispatch_source(
        "POTENTIAL",
        &kinds(&potential_sources),
        registry::POTENTIAL_FUNCTIONS,
    );
    let noise_modules: Vec<&str> = NOISES.iter().map(|n| n.0).collect();
    let noise_sources = read_sources("noise", &noise_modules);
    let flag = |name: &str, pick: fn(&(&str, bool, bool, bool)) -> bool| {
        let codes: Vec<u32> = (0..NOISES.len() as u32)
            .filter(|&c| pick(&NOISES[c as usize]))
            .collect();
        flag_source(name, "NOISE", &codes)
    };
    let noises = flag("NOISE_STABLE", |n| n.1)
        + &flag("NOISE_USES_LOSS", |n| n.2)
        + &flag("NOISE_MINIBATCH", |n| n.3)
        + &dispatch_source("NOISE", &kinds(&noise_sources), registry::NOISE_FUNCTIONS);
    let exit_sources = read_sources("exit", EXITS);
    let exits = dispatch_source("EXIT", &kinds(&exit_sources), registry::EXIT_FUNCTIONS);
    let user = preprocess::user_stub();
    let generated = [
        ("potentials", potentials.as_str()),
        ("noise", noises.as_str()),
        ("exits", exits.as_str()),
        ("user", user.as_str()),
    ];

    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    );
    for (entry, body) in ENTRIES {
        // Kernels that read no model need one variant per dimension.
        let models = body.contains("#import potentials");
        let (potentials, noises, exits) = if models {
            (
                POTENTIALS.len() as u32,
                NOISES.len() as u32,
                EXITS.len() as u32,
            )
        } else {
            (1, 1, 1)
        };
        for dim in [1, 2, 3, 8] {
            for potential in 0..potentials {
                for noise in 0..noises {
                    for exit in 0..exits {
                        for (private_row, bridge, dynamics) in
                            [(131, 0, 0), (2048, 1, 0), (131, 0, 1), (131, 0, 2)]
                        {
                            // heavy ball (dynamics 2) is minibatch SGD's only
                            if dynamics == 2 && (!models || NOISES[noise as usize].0 != "sgd") {
                                continue;
                            }
                            let variant = Variant {
                                dim,
                                potential,
                                noise,
                                exit,
                                private_row,
                                bridge,
                                dynamics,
                                user: 0,
                            };
                            let source = assemble(entry, &variant, &generated);
                            let module =
                                naga::front::wgsl::parse_str(&source).unwrap_or_else(|e| {
                                    panic!(
                                        "shaders/{entry}.wgsl ({variant:?}):\n{}",
                                        e.emit_to_string(&source)
                                    )
                                });
                            if let Err(e) = validator.validate(&module) {
                                panic!(
                                    "shaders/{entry}.wgsl ({variant:?}):\n{}",
                                    e.emit_to_string(&source)
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
/// Provenance: `KRAMERS_GIT_COMMIT` = `git rev-parse HEAD` when built in a git checkout.
fn git_commit() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else {
        return;
    };
    println!("cargo:rustc-env=KRAMERS_GIT_COMMIT={commit}");
    // Rerun when HEAD moves (a commit updates the branch's ref or packed-refs).
    for file in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", file]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}
