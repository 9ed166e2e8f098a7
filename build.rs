//! Validates every shader variant with naga, so that a broken shader fails the
//! build rather than a user's run.

#[path = "src/kernel/preprocess.rs"]
#[allow(dead_code, reason = "the crate uses the rest of the preprocessor")]
mod preprocess;

use preprocess::{assemble, Variant, ENTRIES};

fn main() {
    println!("cargo:rerun-if-changed=shaders");
    println!("cargo:rerun-if-changed=src/kernel/preprocess.rs");
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    );
    for (entry, _) in ENTRIES {
        for dim in [1, 2, 3, 8] {
            for potential in 0..4 {
                for noise in 0..4 {
                    for exit in 0..2 {
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
