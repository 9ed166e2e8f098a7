//! Exit sets (docs/theory.md §4), one module each, listed in [`super::registry`]: the
//! file fields and their validation, the f64 test (which validation and the
//! theory use), the slots in the kernels' case record, the CPU lanes and the
//! WGSL twin (`<module>_contains`). The file's `top` is a half-space at the
//! potential's barrier top ([`half_space::top`]); `none` is no exit.

use crate::error::{Error, Result};
use crate::kernel::exits::ExitSet;
use crate::model::PotentialParams;
use crate::sweep::{Axes, Combination};
use serde::Deserialize;

/// What an exit's file table needs to know of the rest of the experiment.
pub struct ExitSetup {
    /// The experiment's dimension.
    pub dim: usize,
    /// The potential's kind name, for messages.
    pub potential: &'static str,
    /// The potential has a barrier top (what `top` needs).
    pub has_top: bool,
    /// The file's `[params]` (what formulas may read).
    pub params: crate::model::formula::Params,
}

/// Makes one case's exit set from its combination of swept values, its
/// potential (the top of `top`) and its start (the default centre of `ball`).
pub type ExitBuilder = Box<dyn Fn(&Combination, &PotentialParams, &[f64]) -> Result<ExitParams>>;

/// The f64 test and the kernel slots.
pub trait ExitPhysics {
    /// Whether `x` lies in the exit set.
    fn contains(&self, x: &[f64]) -> bool;
    /// How deep `x` lies in the exit set: its signed distance to the
    /// boundary, > 0 inside (`contains`), < 0 outside; for a formula
    /// `g / |grad g|`, the distance of the boundary's tangent plane. What the
    /// exact references shift the boundary by for once-per-step monitoring.
    fn depth(&self, x: &[f64]) -> f64;
    /// Fill the kernels' `exit_vector` and `exit_scalar` slots.
    fn pack(&self, vector: &mut [f32; 8], scalar: &mut [f32; 4]);
}

/// A built-in exit set: its file table, its CPU lanes and its WGSL.
pub trait ExitModel: ExitPhysics + Clone + std::fmt::Debug + PartialEq + 'static {
    /// The fields of its `[exit]` table (besides `kind`).
    type File: for<'de> Deserialize<'de> + std::fmt::Debug;
    /// One case's test on SIMD lanes.
    type Kernel: ExitSet + for<'d> crate::model::FromCase<'d>;
    /// Check and register the file's swept fields.
    fn sweep(file: &Self::File, axes: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder>;
    /// Whether the file asks for the Brownian-bridge correction.
    fn bridge(_file: &Self::File) -> bool {
        false
    }
    /// `fn <module>_contains(p: CaseParams, x: array<f32, DIM>) -> bool`.
    const WGSL: &'static str;
}

/// Something done with an exit set's types (the CPU backend's kernel choice).
pub trait ExitVisitor {
    /// What the visit returns.
    type Output;
    /// Do the work with the exit set's model type `M`.
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
            /// Call `visitor` with this kind's model type.
            pub fn visit<V: ExitVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(ExitKind::$Variant => visitor.visit::<$Variant>(),)*
                }
            }
        }

        /// The `[exit]` table of an experiment file: every registered set, `top`, `none`.
        #[derive(Debug, Deserialize)]
        #[serde(tag = "kind")]
        pub enum ExitFile {
            /// `kind = "none"`: no exit (stationary runs).
            #[serde(rename = "none")]
            None,
            /// `kind = "top"`: the half-space beyond the potential's barrier top.
            #[serde(rename = "top")]
            Top(half_space::TopFile),
            $(
                #[doc = concat!("`kind = \"", $name, "\"` and its fields.")]
                #[serde(rename = $name)]
                $Variant($module::File),
            )*
        }

        impl ExitFile {
            /// The kernel that tests it (no exit: a half-space never reached).
            pub fn kind(&self) -> ExitKind {
                match self {
                    ExitFile::None | ExitFile::Top(_) => ExitKind::HalfSpace,
                    $(ExitFile::$Variant(_) => ExitKind::$Variant,)*
                }
            }

            /// Whether it asks for the Brownian-bridge correction.
            pub fn bridge(&self) -> bool {
                match self {
                    ExitFile::None => false,
                    ExitFile::Top(top) => top.bridge(),
                    $(ExitFile::$Variant(file) => $Variant::bridge(file),)*
                }
            }

            /// Check and register the swept fields; the builder makes each case's exit set.
            pub fn sweep(&self, axes: &mut Axes, setup: &ExitSetup) -> Result<ExitBuilder> {
                match self {
                    ExitFile::None => Ok(Box::new(|_, _, _| Ok(ExitParams::None))),
                    ExitFile::Top(_) => half_space::top(setup),
                    $(ExitFile::$Variant(file) => $Variant::sweep(file, axes, setup),)*
                }
            }
        }

        /// One case's exit set.
        #[derive(Clone, Debug, PartialEq)]
        pub enum ExitParams {
            /// No exit: every trajectory runs `max_steps` (stationary laws); the
            /// kernels test a half-space never reached.
            None,
            $(
                #[doc = concat!("A `", $name, "` exit set's numbers.")]
                $Variant($Variant),
            )*
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

            /// [`ExitPhysics::depth`] (no exit: `-inf`).
            pub fn depth(&self, x: &[f64]) -> f64 {
                match self {
                    ExitParams::None => f64::NEG_INFINITY,
                    $(ExitParams::$Variant(e) => e.depth(x),)*
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
    let kinds = ExitKind::sources();
    crate::kernel::preprocess::dispatch_source("EXIT", &kinds, super::registry::EXIT_FUNCTIONS)
}

/// `exit.kind = "top"` on a potential without a top.
fn no_top(potential: &str) -> Error {
    if potential == "expr" {
        return Error::invalid(
            "exit.kind",
            "\"top\"",
            "\"top\" needs a local maximum of potential.u right of the start's minimum (1-D), and none was found within 1000 of it; use \"half-space\", \"ball\" or \"expr\"",
        );
    }
    Error::invalid(
        "exit.kind",
        "\"top\"",
        format!(
            "\"top\" needs a potential with a barrier top, which \"{potential}\" has not; use \"half-space\" or \"ball\""
        ),
    )
}
