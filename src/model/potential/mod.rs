//! Potentials (docs/theory.md §3), one module each, listed in [`super::registry`]. All
//! are separable, `L(x) = sum_j l(x_j)`: a module gives one coordinate's `l`
//! and `l'` in f64 (the theory's too), the points the theory needs, its slots
//! in the kernels' case record, its CPU lanes and its WGSL twin.

use crate::error::Result;
use crate::kernel::potentials::Potential as LanePotential;
use crate::kernel::Dims;
use crate::sweep::{Axes, Combination};
use serde::Deserialize;
use std::path::Path;

/// What a potential's file table sets up besides its cases.
pub struct Setup<'a> {
    /// The experiment's dimension.
    pub dim: usize,
    /// The experiment's seed: `paper-2d` draws its data set from it.
    pub seed: u32,
    /// The folder of the experiment file (relative data paths).
    pub base: Option<&'a Path>,
    /// A finite data set the loss averages over (`paper-2d`), set by the potential.
    pub data: Option<DataSet>,
    /// The file's `[params]` (what formulas may read).
    pub params: &'a crate::model::formula::Params,
}

/// A potential's data points, coordinate-major (`points[c * n + i]`).
#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    /// The points, `dim` coordinates each: `points[c * n + i]` is coordinate `c` of point `i`.
    pub points: Vec<f32>,
    /// Variance of the drawn points.
    pub variance: f64,
    /// Read from a file (a new seed keeps it).
    pub from_file: bool,
}

/// Makes one case's potential from its combination of swept values.
pub type Builder<M> = Box<dyn Fn(&Combination) -> Result<M>>;

/// The f64 physics of one coordinate, and the kernel slots: what every part
/// of kramers asks of a potential's numbers.
pub trait Physics {
    /// `l(x)`.
    fn value(&self, x: f64) -> f64;
    /// `l'(x)`.
    fn gradient(&self, x: f64) -> f64;
    /// The minimum a run starts in by default (the left well of a double well).
    fn minimum(&self) -> f64;
    /// The barrier top to the right of [`Self::minimum`], where there is one.
    fn top(&self) -> Option<f64> {
        None
    }
    /// A point where `l''` jumps (a panel boundary for the quadrature).
    fn kink(&self) -> Option<f64> {
        None
    }
    /// `l''` at [`Self::minimum`].
    fn curvature_at_minimum(&self) -> f64;
    /// The largest curvature in the basin, for the step-size stability check
    /// (`None`: not known in closed form).
    fn basin_curvature(&self) -> Option<f64>;
    /// `(Ha, Hb, dL)` of the barrier between [`Self::minimum`] and [`Self::top`]:
    /// the curvatures at both and the height, for the low-noise formulas.
    fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        None
    }
    /// The values of the kernels' `potential` slots (at most 8).
    fn slots(&self) -> Vec<f64>;
    /// `L_min`, which `power-law-loss` subtracts in the kernels: `L` at the
    /// minimum a run starts in, over all coordinates. 0 for the built-ins
    /// whose minima sit at 0.
    fn loss_minimum(&self) -> f64 {
        0.0
    }
}

/// A built-in potential: its file table, its CPU lanes and its WGSL.
pub trait PotentialModel: Physics + Clone + std::fmt::Debug + PartialEq + 'static {
    /// The fields of its `[potential]` table (besides `kind`).
    type File: for<'de> Deserialize<'de> + std::fmt::Debug;
    /// One case's numbers on SIMD lanes (`'d`: the data set it may borrow).
    type Kernel<'d>: LanePotential<'d> + crate::model::FromCase<'d>;
    /// The dimensions it is defined in ([`crate::kernel::AnyDim`] or
    /// [`crate::kernel::Dim`]): which kernels the CPU backend compiles for it.
    type Dims: Dims;
    /// The WGSL twin: `fn <module>_gradient(p: CaseParams, c: u32, x: f32) -> f32`
    /// and `fn <module>_value(..)`, reading the slots of [`Physics::slots`].
    const WGSL: &'static str;
    /// Check and register the file's swept fields; the builder makes each
    /// case's potential (and checks what involves several fields).
    fn sweep(file: &Self::File, axes: &mut Axes, setup: &mut Setup) -> Result<Builder<Self>>;
}

/// Something done with a potential's types (the CPU backend's kernel choice).
pub trait PotentialVisitor<'d> {
    /// What the visit returns.
    type Output;
    /// Do the work with the potential's model type `M`.
    fn visit<M: PotentialModel>(self) -> Self::Output;
}

macro_rules! declare {
    ($($Variant:ident $module:ident $name:literal,)*) => {
        $(pub mod $module;)*
        $(pub use $module::$Variant;)*

        kind_enum! {
            /// A potential kind.
            PotentialKind: PotentialModel, $($Variant $module $name),*
        }

        impl PotentialKind {
            /// The one dimension it is defined in, or 0 for any.
            pub fn dim(self) -> usize {
                match self {
                    $(PotentialKind::$Variant => <<$Variant as PotentialModel>::Dims as Dims>::DIM,)*
                }
            }

            /// Call `visitor` with this kind's model type.
            pub fn visit<'d, V: PotentialVisitor<'d>>(self, visitor: V) -> V::Output {
                match self {
                    $(PotentialKind::$Variant => visitor.visit::<$Variant>(),)*
                }
            }
        }

        /// One case's potential.
        #[derive(Clone, Debug, PartialEq)]
        pub enum PotentialParams {
            $(
                #[doc = concat!("A `", $name, "` potential's numbers.")]
                $Variant($Variant),
            )*
        }

        impl PotentialParams {
            /// Its kind.
            pub fn kind(&self) -> PotentialKind {
                match self {
                    $(PotentialParams::$Variant(_) => PotentialKind::$Variant,)*
                }
            }

            /// Its physics.
            pub fn physics(&self) -> &dyn Physics {
                match self {
                    $(PotentialParams::$Variant(p) => p,)*
                }
            }
        }

        $(
            impl From<$Variant> for PotentialParams {
                fn from(p: $Variant) -> Self {
                    PotentialParams::$Variant(p)
                }
            }
        )*

        /// The `[potential]` table of an experiment file.
        #[derive(Debug, Deserialize)]
        #[serde(tag = "kind")]
        pub enum PotentialFile {
            $(
                #[doc = concat!("`kind = \"", $name, "\"` and its fields.")]
                #[serde(rename = $name)]
                $Variant($module::File),
            )*
        }

        impl PotentialFile {
            /// The kind the table names.
            pub fn kind(&self) -> PotentialKind {
                match self {
                    $(PotentialFile::$Variant(_) => PotentialKind::$Variant,)*
                }
            }

            /// Check and register the swept fields; the builder makes each case's potential.
            pub fn sweep(&self, axes: &mut Axes, setup: &mut Setup) -> Result<Builder<PotentialParams>> {
                match self {
                    $(PotentialFile::$Variant(file) => {
                        let build = $Variant::sweep(file, axes, setup)?;
                        Ok(Box::new(move |combination: &Combination| {
                            build(combination).map(PotentialParams::$Variant)
                        }))
                    })*
                }
            }
        }
    };
}

super::registry::potentials!(declare);

impl PotentialParams {
    /// One coordinate's `l(x)` ([`Physics::value`]).
    pub fn value(&self, x: f64) -> f64 {
        self.physics().value(x)
    }
    /// One coordinate's `l'(x)` ([`Physics::gradient`]).
    pub fn gradient(&self, x: f64) -> f64 {
        self.physics().gradient(x)
    }
    /// The minimum a run starts in by default ([`Physics::minimum`]).
    pub fn minimum(&self) -> f64 {
        self.physics().minimum()
    }
    /// The barrier top right of the minimum, where there is one ([`Physics::top`]).
    pub fn top(&self) -> Option<f64> {
        self.physics().top()
    }
    /// A point where `l''` jumps, where there is one ([`Physics::kink`]).
    pub fn kink(&self) -> Option<f64> {
        self.physics().kink()
    }
    /// `L_min`, the value at [`Self::minimum`].
    pub fn min_value(&self) -> f64 {
        self.value(self.minimum())
    }
    /// `l''` at the minimum ([`Physics::curvature_at_minimum`]).
    pub fn curvature_at_minimum(&self) -> f64 {
        self.physics().curvature_at_minimum()
    }
    /// The largest curvature in the basin, for the `dt` stability check; `None`: not known.
    pub fn basin_curvature(&self) -> Option<f64> {
        self.physics().basin_curvature()
    }
    /// `(Ha, Hb, dL)` of the barrier between minimum and top ([`Physics::barrier_shape`]).
    pub fn barrier_shape(&self) -> Option<(f64, f64, f64)> {
        self.physics().barrier_shape()
    }
    /// The values of the kernels' `potential` slots ([`Physics::slots`]).
    pub fn slots(&self) -> Vec<f64> {
        self.physics().slots()
    }
    /// `L_min` that `power-law-loss` subtracts in the kernels ([`Physics::loss_minimum`]).
    pub fn loss_minimum(&self) -> f64 {
        self.physics().loss_minimum()
    }
    /// `L` at a point of every coordinate (the sum of the coordinates' `l`
    /// for the separable built-ins).
    pub fn value_at(&self, x: &[f64]) -> f64 {
        match self {
            PotentialParams::Expr(e) => e.value_at(x),
            PotentialParams::Paper2d(p) => p.value_at(x),
            _ => x.iter().map(|&v| self.value(v)).sum(),
        }
    }
    /// `dL/dx_j` at a point.
    pub fn gradient_at(&self, x: &[f64], j: usize) -> f64 {
        match self {
            PotentialParams::Expr(e) => e.gradient_at(x)[j],
            PotentialParams::Paper2d(p) => p.gradient_at(x, j),
            _ => self.gradient(x[j]),
        }
    }
    /// Find where a formula potential's run starts and leaves, from the
    /// file's start point when it gives one ([`expr::Expr::locate`]); the
    /// built-ins know theirs.
    pub fn locate(&mut self, start: Option<&[f64]>) -> Result<()> {
        match self {
            PotentialParams::Expr(e) => e.locate(start),
            _ => Ok(()),
        }
    }
}

/// The WGSL of every potential and the dispatch on the prelude's `POTENTIAL`:
/// a `switch` with one case per registered kind, whose default (a code no kind
/// has, which the prelude's `const_assert` already refuses) yields NaN, which
/// the kernel counts as a diverged trajectory: never another model's physics.
pub fn wgsl() -> String {
    let kinds = PotentialKind::sources();
    crate::kernel::preprocess::dispatch_source(
        "POTENTIAL",
        &kinds,
        super::registry::POTENTIAL_FUNCTIONS,
    )
}
