//! Validates every shader variant with naga, so that a broken shader fails the
//! build rather than a user's run.

#[path = "src/kernel/preprocess.rs"]
#[allow(dead_code, reason = "the crate uses the rest of the preprocessor")]
mod preprocess;

use preprocess::{assemble, Variant, ENTRIES};

fn main() {
    println!("cargo:rerun-if-changed=shaders");
    println!("cargo:rerun-if-changed=src/kernel/preprocess.rs");
    git_commit();
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    );
    for (entry, _) in ENTRIES {
        for dim in [1, 2, 3, 8] {
            for potential in 0..4 {
                for noise in 0..5 {
                    for exit in 0..3 {
                        for (private_row, bridge) in [(131, 0), (2048, 1)] {
                            let variant = Variant {
                                dim,
                                potential,
                                noise,
                                exit,
                                private_row,
                                bridge,
                            };
                            let source = assemble(entry, &variant);
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
