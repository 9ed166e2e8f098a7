//! The models: every built-in potential (and, as they move here, noise and
//! exit kind) is one module holding its file fields and their validation, its
//! f64 physics (which the theory reads too), its parameter packing for the
//! kernels, its CPU lanes and its WGSL twin. [`registry`] lists them.

/// The kind enum of a model family, from its registry lines: a variant per
/// kind whose discriminant is the code the kernels see, with the kind's file
/// name, its module (the prefix of its WGSL functions) and its WGSL.
macro_rules! kind_enum {
    ($(#[$doc:meta])* $Kind:ident: $Model:ident, $($Variant:ident $module:ident $name:literal),*) => {
        $(#[$doc])*
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $Kind {
            $(
                #[doc = concat!("`kind = \"", $name, "\"` (module `", stringify!($module), "`).")]
                $Variant,
            )*
        }

        impl $Kind {
            /// Every kind, in registry order (code order).
            pub const ALL: &'static [$Kind] = &[$($Kind::$Variant,)*];

            /// The name used in experiment files.
            pub fn name(self) -> &'static str {
                match self {
                    $($Kind::$Variant => $name,)*
                }
            }

            /// Its module, the prefix of its WGSL functions.
            pub fn module(self) -> &'static str {
                match self {
                    $($Kind::$Variant => stringify!($module),)*
                }
            }

            /// The code the kernels see (the registry's order).
            pub fn code(self) -> u32 {
                self as u32
            }

            /// Its WGSL twin, the functions `<module>_<name>` the generated dispatch calls.
            pub fn wgsl(self) -> &'static str {
                match self {
                    $($Kind::$Variant => <$Variant as $Model>::WGSL,)*
                }
            }

            /// `(module, code, WGSL)` of every kind: what the generated dispatch switches over.
            pub fn sources() -> Vec<(&'static str, u32, &'static str)> {
                Self::ALL
                    .iter()
                    .map(|k| (k.module(), k.code(), k.wgsl()))
                    .collect()
            }
        }
    };
}

pub mod case;
pub mod exit;
pub mod formula;
pub mod noise;
pub mod potential;
pub mod registry;
pub mod shader;

pub use exit::{ExitKind, ExitModel, ExitParams};
pub use noise::{NoiseKind, NoiseModel, NoiseParams};
pub use potential::{PotentialKind, PotentialModel, PotentialParams};

/// A model's lane kernel built for one case: from the kernels' record, the
/// data set it may borrow (`'d`) and the case in physical units (formula
/// models take their compiled programs from it). The kernel's traits
/// (`crate::kernel`) say what a kernel does; this says how a model makes one.
pub trait FromCase<'d>: Sized {
    /// Build the kernel from the case's record `params`, the experiment's `data_set`
    /// (coordinate-major; empty without one) and the case `model`.
    fn from_case(
        params: &crate::kernel::abi::CaseParams,
        data_set: &'d [f32],
        model: &case::CaseModel,
    ) -> Self;
}
