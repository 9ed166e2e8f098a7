//! Shader assembly: the WGSL of a kernel entry point with the models'
//! generated sources (the registry's dispatch over every potential, noise and
//! exit) and the experiment's formulas in place of their `#import`s. The
//! preprocessor itself is generic ([`crate::kernel::preprocess`]); what it
//! splices in is the models', so assembly lives here, above the kernel.

#[cfg(doc)]
use crate::kernel::preprocess::user_stub;
use crate::kernel::preprocess::Variant;

/// The WGSL of kernel `entry` for `variant`, with the models' generated
/// sources in place of their imports (`#import potentials`, `noise`, `exits`).
/// `user` is the experiment's generated module of formulas
/// ([`crate::model::formula::user_wgsl`], or [`user_stub`]).
pub fn shader(entry: &str, variant: &Variant, user: &str) -> String {
    use std::sync::OnceLock;
    static POTENTIALS: OnceLock<String> = OnceLock::new();
    static NOISES: OnceLock<String> = OnceLock::new();
    static EXITS: OnceLock<String> = OnceLock::new();
    let potentials = POTENTIALS.get_or_init(crate::model::potential::wgsl);
    let noises = NOISES.get_or_init(crate::model::noise::wgsl);
    let exits = EXITS.get_or_init(crate::model::exit::wgsl);
    crate::kernel::preprocess::assemble(
        entry,
        variant,
        &[
            ("potentials", potentials),
            ("noise", noises),
            ("exits", exits),
            ("user", user),
        ],
    )
}

#[cfg(test)]
mod tests {
    //! The CPU/GPU contract is generated from the registry: every kind code
    //! reaches its own WGSL, an unknown code or a missing WGSL function fails
    //! to compile, never runs another model's physics.
    use super::shader;
    use crate::kernel::preprocess::{dispatch_source, user_stub, Variant};
    use crate::model::registry::POTENTIAL_FUNCTIONS;
    use crate::model::{ExitKind, NoiseKind, PotentialKind};

    fn variant(potential: u32, noise: u32, exit: u32) -> Variant {
        Variant {
            dim: 1,
            potential,
            noise,
            exit,
            private_row: 131,
            bridge: 0,
            dynamics: 0,
            user: 0,
        }
    }

    fn compiles(source: &str) -> Result<(), String> {
        crate::model::formula::validate(source)
    }

    #[test]
    fn every_registered_kind_compiles_and_dispatches_to_its_own_wgsl() {
        let source = shader("simulate", &variant(0, 0, 0), &user_stub());
        for kind in PotentialKind::ALL {
            let m = kind.module();
            assert!(source.contains(&format!("case {}u: {{ out = {m}_gradient(", kind.code())));
            assert!(source.contains(&format!("case {}u: {{ out = {m}_value(", kind.code())));
            compiles(&shader(
                "simulate",
                &variant(kind.code(), 0, 0),
                &user_stub(),
            ))
            .unwrap();
        }
        for kind in NoiseKind::ALL {
            let m = kind.module();
            assert!(source.contains(&format!("case {}u: {{ out = {m}_step(", kind.code())));
            compiles(&shader(
                "simulate",
                &variant(0, kind.code(), 0),
                &user_stub(),
            ))
            .unwrap();
        }
        for kind in ExitKind::ALL {
            let m = kind.module();
            assert!(source.contains(&format!("case {}u: {{ out = {m}_contains(", kind.code())));
            compiles(&shader(
                "simulate",
                &variant(0, 0, kind.code()),
                &user_stub(),
            ))
            .unwrap();
        }
    }

    #[test]
    fn a_kind_code_the_shader_does_not_know_fails_to_compile() {
        let unknown = [
            variant(PotentialKind::ALL.len() as u32, 0, 0),
            variant(0, NoiseKind::ALL.len() as u32, 0),
            variant(0, 0, ExitKind::ALL.len() as u32),
        ];
        for v in unknown {
            let error = compiles(&shader("simulate", &v, &user_stub()))
                .expect_err("an unknown code compiled");
            assert!(error.contains("const_assert"), "{v:?}: {error}");
        }
    }

    #[test]
    fn a_registered_kind_without_its_wgsl_function_fails_to_compile() {
        // The registry's kinds, one of whose WGSL forgot `<module>_value`.
        let sources: Vec<(&str, u32, String)> = PotentialKind::ALL
            .iter()
            .map(|k| {
                let source = k.wgsl().to_string();
                let source = if *k == PotentialKind::Barrier {
                    source.replace("fn barrier_value(", "fn barrier_value_forgotten(")
                } else {
                    source
                };
                (k.module(), k.code(), source)
            })
            .collect();
        let kinds: Vec<(&str, u32, &str)> = sources
            .iter()
            .map(|(m, c, s)| (*m, *c, s.as_str()))
            .collect();
        let potentials = dispatch_source("POTENTIAL", &kinds, POTENTIAL_FUNCTIONS);
        let source = crate::kernel::preprocess::assemble(
            "simulate",
            &variant(PotentialKind::Barrier.code(), 0, 0),
            &[
                ("potentials", &potentials),
                ("noise", &crate::model::noise::wgsl()),
                ("exits", &crate::model::exit::wgsl()),
                ("user", &user_stub()),
            ],
        );
        let error = compiles(&source).expect_err("a missing WGSL function compiled");
        assert!(error.contains("barrier_value"), "{error}");
    }
}
