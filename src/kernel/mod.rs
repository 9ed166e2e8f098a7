//! Per-step mathematics of every dynamic, on lanes of trajectories: the CPU
//! twin of `shaders/` (each function here has a WGSL namesake that reads the
//! same way). Potentials, noise models and exit sets are types, so that
//! `simulate` is specialized for one kernel shape at compile time.

pub mod abi;
pub mod codes;
pub mod exits;
pub mod noise;
pub mod potentials;
pub mod preprocess;
pub mod simulate;

/// Trajectories integrated together by one CPU kernel call (one AVX-512 register of f32).
pub const LANES: usize = 64;
/// One f32 per lane.
pub type Lanes = [f32; LANES];
/// A value on a cache line of its own: the kernels' lane arrays, so that every
/// vector load and store of them is aligned (a split one is slower, and its
/// store does not forward to the next load).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub struct Aligned<T>(pub T);

/// The registers of a model's formula programs on lanes (one file per program; empty for built-ins).
pub type Scratch = Vec<crate::expr::Scratch>;

/// The instruction sets the CPU kernels are compiled for, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Baseline,
}

impl Isa {
    /// The widest instruction set of this CPU that the kernels are compiled for (detected once).
    pub fn detect() -> Isa {
        static DETECTED: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512dq")
                    && std::is_x86_feature_detected!("avx512vl")
                {
                    return Isa::Avx512;
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    return Isa::Avx2;
                }
            }
            Isa::Baseline
        })
    }

    /// The instruction sets this CPU runs: the detected one and every narrower one.
    pub fn available() -> Vec<Isa> {
        match Isa::detect() {
            Isa::Avx512 => vec![Isa::Avx512, Isa::Avx2, Isa::Baseline],
            Isa::Avx2 => vec![Isa::Avx2, Isa::Baseline],
            Isa::Baseline => vec![Isa::Baseline],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "AVX-512",
            Isa::Avx2 => "AVX2",
            Isa::Baseline => "baseline SIMD",
        }
    }
}

/// Items compiled with the target features of [`Isa::Avx512`]: call them only
/// where [`Isa::detect`] found it.
macro_rules! avx512 {
    ($($item:item)*) => {
        $(
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2")]
            $item
        )*
    };
}

/// Items compiled with the target features of [`Isa::Avx2`].
macro_rules! avx2 {
    ($($item:item)*) => {
        $(
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma,bmi1,bmi2")]
            $item
        )*
    };
}
pub(crate) use {avx2, avx512};

/// The dimensions a kernel is compiled for: the array size `DIM` of the
/// integrator's state (1, 2 or [`crate::spec::MAX_DIM`]; `dim <= DIM` coordinates are used).
pub trait Dims {
    /// The one dimension a model is defined in, or 0 for any.
    const DIM: usize;
    /// Call `visitor` with the array size for `dim`.
    fn dispatch<V: DimVisitor>(dim: usize, visitor: V) -> V::Output;
}

/// Something done with a kernel's array size.
pub trait DimVisitor {
    type Output;
    fn visit<const DIM: usize>(self) -> Self::Output;
}

/// Any dimension: kernels for 1, 2 and [`crate::spec::MAX_DIM`] coordinates.
pub struct AnyDim;

impl Dims for AnyDim {
    const DIM: usize = 0;
    fn dispatch<V: DimVisitor>(dim: usize, visitor: V) -> V::Output {
        match dim {
            1 => visitor.visit::<1>(),
            2 => visitor.visit::<2>(),
            _ => visitor.visit::<{ crate::spec::MAX_DIM }>(),
        }
    }
}

/// Exactly `D` dimensions: one kernel.
pub struct Dim<const D: usize>;

impl<const D: usize> Dims for Dim<D> {
    const DIM: usize = D;
    fn dispatch<V: DimVisitor>(_: usize, visitor: V) -> V::Output {
        visitor.visit::<D>()
    }
}

/// The WGSL of kernel `entry` for `variant`, with the models' generated
/// sources in place of their imports (`#import potentials`, `noise`, `exits`).
/// `user` is the experiment's generated module of formulas
/// ([`crate::model::formula::user_wgsl`], or [`preprocess::user_stub`]).
pub fn shader(entry: &str, variant: &preprocess::Variant, user: &str) -> String {
    use std::sync::OnceLock;
    static POTENTIALS: OnceLock<String> = OnceLock::new();
    static NOISES: OnceLock<String> = OnceLock::new();
    static EXITS: OnceLock<String> = OnceLock::new();
    let potentials = POTENTIALS.get_or_init(crate::model::potential::wgsl);
    let noises = NOISES.get_or_init(crate::model::noise::wgsl);
    let exits = EXITS.get_or_init(crate::model::exit::wgsl);
    preprocess::assemble(
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
    use super::preprocess::{dispatch_source, user_stub, Variant};
    use super::shader;
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
        let source = super::preprocess::assemble(
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
