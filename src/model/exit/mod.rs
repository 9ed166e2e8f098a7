//! Exit sets (SPEC §4), one module each, listed in [`super::registry`]: the
//! f64 test (which validation and the theory use), the slots in the kernels'
//! case record, the CPU lanes and the WGSL twin (`<module>_contains`). The
//! file's `none` and `top` are half-spaces (`spec` builds them).

use crate::kernel::exits::ExitSet;

/// The f64 test and the kernel slots.
pub trait ExitPhysics {
    /// Whether `x` lies in the exit set.
    fn contains(&self, x: &[f64]) -> bool;
    /// Fill the kernels' `exit_vector` and `exit_scalar` slots.
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]);
}

/// A built-in exit set: its CPU lanes and its WGSL.
pub trait ExitModel: ExitPhysics + Clone + std::fmt::Debug + PartialEq + 'static {
    type Kernel: ExitSet;
    /// `fn <module>_contains(p: CaseParams, x: array<f32, DIM>) -> bool`.
    const WGSL: &'static str;
}

/// Something done with an exit set's types (the CPU backend's kernel choice).
pub trait ExitVisitor {
    type Output;
    fn visit<M: ExitModel>(self) -> Self::Output;
}

macro_rules! declare {
    ($($Variant:ident $module:ident $name:literal,)*) => {
        $(pub mod $module;)*
        $(pub use $module::$Variant;)*

        kind_enum! {
            /// The kind of exit set a kernel tests.
            ExitKind: ExitModel, $($Variant $module $name),*
        }

        impl ExitKind {
            pub fn visit<V: ExitVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(ExitKind::$Variant => visitor.visit::<$Variant>(),)*
                }
            }
        }

        /// One case's exit set.
        #[derive(Clone, Debug, PartialEq)]
        pub enum ExitParams {
            /// No exit: every trajectory runs `max_steps` (stationary laws); the
            /// kernels test a half-space never reached.
            None,
            $($Variant($Variant),)*
        }

        impl ExitParams {
            /// The kernel that tests it.
            pub fn kind(&self) -> ExitKind {
                match self {
                    ExitParams::None => ExitKind::HalfSpace,
                    $(ExitParams::$Variant(_) => ExitKind::$Variant,)*
                }
            }

            /// Whether `x` lies in the exit set (f64 reference of the kernels' test).
            pub fn contains(&self, x: &[f64]) -> bool {
                match self {
                    ExitParams::None => false,
                    $(ExitParams::$Variant(e) => e.contains(x),)*
                }
            }

            /// Fill the kernels' exit slots (no exit: `theta = +inf`, never reached).
            pub fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]) {
                match self {
                    ExitParams::None => scalar[0] = f32::INFINITY,
                    $(ExitParams::$Variant(e) => e.pack(vector, scalar),)*
                }
            }
        }
    };
}

super::registry::exits!(declare);

/// The WGSL of every exit set and the dispatch `exit_contains` on the prelude's `EXIT`.
pub fn wgsl() -> String {
    let kinds: Vec<(&str, u32, &str)> = ExitKind::ALL
        .iter()
        .map(|k| (k.module(), k.code(), k.wgsl()))
        .collect();
    crate::kernel::preprocess::dispatch_source("EXIT", &kinds, super::registry::EXIT_FUNCTIONS)
}
