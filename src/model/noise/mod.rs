//! Noise models (docs/theory.md §2), one module each, listed in [`super::registry`]
//! with their structural flags. A module gives its variance law in f64 (the
//! theory's too), its slots in the kernels' case record, its CPU lanes and its
//! WGSL twin (`<module>_step`, `<module>_variance`).

use crate::dynamics::Interpretation;
use crate::error::{Error, Result};
use crate::kernel::noise::{Noise, NoiseFlags};
use crate::model::PotentialParams;
use crate::sweep::{Axes, Axis, Combination, StringSweep};
use serde::Deserialize;

/// What a noise's file table needs to know of the rest of the experiment.
pub struct NoiseSetup {
    /// The potential has a data set (what `sgd` draws its minibatches from).
    pub data_set: bool,
    /// The potential's kind name, for messages.
    pub potential: &'static str,
    /// The experiment's dimension.
    pub dim: usize,
    /// The file's `[params]` (what formulas may read).
    pub params: crate::model::formula::Params,
}

/// Makes one case's noise and interpretation from its combination of swept
/// values and its potential (the default centre of `power-law`).
pub type NoiseBuilder<M> =
    Box<dyn Fn(&Combination, &PotentialParams) -> Result<(M, Interpretation)>>;

/// The variance law in f64 and the kernel slots.
pub trait NoisePhysics {
    /// `D(x)` of one coordinate, given the potential (0 without a Gaussian part).
    fn variance(&self, x: f64, potential: &PotentialParams) -> f64;
    /// `D'(x)`.
    fn variance_derivative(&self, x: f64, potential: &PotentialParams) -> f64;
    /// No noise at all: a deterministic run (for warnings).
    fn is_silent(&self) -> bool;
    /// A point where the quadrature should place a panel boundary.
    fn breakpoint(&self) -> Option<f64> {
        None
    }
    /// The values of the kernels' `noise` slots (at most 8) at step `dt`.
    fn slots(&self, dt: f64, potential: &PotentialParams) -> Vec<f64>;
}

/// A built-in noise model: its file table, its CPU lanes and its WGSL.
pub trait NoiseModel: NoisePhysics + Clone + std::fmt::Debug + PartialEq + 'static {
    /// The fields of its `[noise]` table (besides `kind`).
    type File: for<'de> Deserialize<'de> + std::fmt::Debug;
    /// One case's update on SIMD lanes.
    type Kernel: Noise + for<'d> crate::model::FromCase<'d>;
    /// `fn <module>_step(..)` and `fn <module>_variance(..)` (the registry's
    /// `NOISE_FUNCTIONS`), reading the slots of [`NoisePhysics::slots`].
    const WGSL: &'static str;
    /// Check and register the file's swept fields.
    fn sweep(file: &Self::File, axes: &mut Axes, setup: &NoiseSetup) -> Result<NoiseBuilder<Self>>;
}

/// Something done with a noise's types (the CPU backend's kernel choice).
pub trait NoiseVisitor {
    /// What the visit returns.
    type Output;
    /// Do the work with the noise's model type `M`.
    fn visit<M: NoiseModel>(self) -> Self::Output;
}

/// The `interpretation` axis of a noise with a variance law: Itô unless given.
pub struct InterpretationAxis(Axis);

impl InterpretationAxis {
    /// The interpretation `combination` picks on this axis.
    pub fn pick(&self, combination: &Combination) -> Interpretation {
        Interpretation::parse(combination.text(self.0)).expect("validated")
    }
}

/// Register `noise.interpretation` (sweepable; "ito" when absent).
pub fn interpretation_axis(
    axes: &mut Axes,
    given: Option<&StringSweep>,
) -> Result<InterpretationAxis> {
    let values = given
        .map(|s| s.values())
        .unwrap_or_else(|| vec!["ito".to_string()]);
    if values.is_empty() {
        return Err(Error::invalid(
            "noise.interpretation",
            "[]",
            "an empty list; give \"ito\", \"stratonovich\" or \"anti-ito\"",
        ));
    }
    for v in &values {
        if Interpretation::parse(v).is_none() {
            return Err(Error::invalid(
                "noise.interpretation",
                format!("{v:?}"),
                "one of \"ito\", \"stratonovich\", \"anti-ito\"",
            ));
        }
    }
    Ok(InterpretationAxis(
        axes.text("noise.interpretation", values),
    ))
}

macro_rules! declare {
    ($($Variant:ident $module:ident $name:literal {
        stable: $stable:literal, loss: $loss:literal, minibatch: $minibatch:literal
    },)*) => {
        $(pub mod $module;)*
        $(pub use $module::$Variant;)*

        kind_enum! {
            /// A noise kind.
            NoiseKind: NoiseModel, $($Variant $module $name),*
        }

        impl NoiseKind {
            /// Stable draws (one Threefry block each) instead of Box–Muller normals.
            pub fn stable(self) -> bool {
                match self {
                    $(NoiseKind::$Variant => $stable,)*
                }
            }

            /// The variance reads the loss `L(X)`.
            pub fn uses_loss(self) -> bool {
                match self {
                    $(NoiseKind::$Variant => $loss,)*
                }
            }

            /// The drift is a minibatch gradient and there are no SDE draws.
            pub fn minibatch(self) -> bool {
                match self {
                    $(NoiseKind::$Variant => $minibatch,)*
                }
            }

            /// Call `visitor` with this kind's model type.
            pub fn visit<V: NoiseVisitor>(self, visitor: V) -> V::Output {
                match self {
                    $(NoiseKind::$Variant => visitor.visit::<$Variant>(),)*
                }
            }
        }

        $(
            impl NoiseFlags for $module::Kernel {
                const STABLE: bool = $stable;
                const USES_LOSS: bool = $loss;
                const SGD: bool = $minibatch;
            }
        )*

        /// One case's noise.
        #[derive(Clone, Debug, PartialEq)]
        pub enum NoiseParams {
            $(
                #[doc = concat!("A `", $name, "` noise's numbers.")]
                $Variant($Variant),
            )*
        }

        impl NoiseParams {
            /// Its kind.
            pub fn kind(&self) -> NoiseKind {
                match self {
                    $(NoiseParams::$Variant(_) => NoiseKind::$Variant,)*
                }
            }

            /// Its variance law.
            pub fn physics(&self) -> &dyn NoisePhysics {
                match self {
                    $(NoiseParams::$Variant(n) => n,)*
                }
            }
        }

        $(
            impl From<$Variant> for NoiseParams {
                fn from(n: $Variant) -> Self {
                    NoiseParams::$Variant(n)
                }
            }
        )*

        /// The `[noise]` table of an experiment file.
        #[derive(Debug, Deserialize)]
        #[serde(tag = "kind")]
        pub enum NoiseFile {
            $(
                #[doc = concat!("`kind = \"", $name, "\"` and its fields.")]
                #[serde(rename = $name)]
                $Variant($module::File),
            )*
        }

        impl NoiseFile {
            /// The kind the table names.
            pub fn kind(&self) -> NoiseKind {
                match self {
                    $(NoiseFile::$Variant(_) => NoiseKind::$Variant,)*
                }
            }

            /// Check and register the swept fields; the builder makes each case's noise.
            pub fn sweep(&self, axes: &mut Axes, setup: &NoiseSetup) -> Result<NoiseBuilder<NoiseParams>> {
                match self {
                    $(NoiseFile::$Variant(file) => {
                        let build = $Variant::sweep(file, axes, setup)?;
                        Ok(Box::new(move |combination: &Combination, potential: &PotentialParams| {
                            build(combination, potential).map(|(n, i)| (NoiseParams::$Variant(n), i))
                        }))
                    })*
                }
            }
        }
    };
}

super::registry::noises!(declare);

impl NoiseParams {
    /// `D(x)` of one coordinate under `potential` ([`NoisePhysics::variance`]).
    pub fn variance(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.physics().variance(x, potential)
    }
    /// `D'(x)` of one coordinate under `potential` ([`NoisePhysics::variance_derivative`]).
    pub fn variance_derivative(&self, x: f64, potential: &PotentialParams) -> f64 {
        self.physics().variance_derivative(x, potential)
    }
    /// `(D_j, dD_j/dx_j)` of coordinate `j` at the point `x` of any
    /// dimension, under `potential` (docs/theory.md §2); `None` for a noise
    /// without a variance law (`alpha-stable`, `sgd`).
    pub fn variance_at(
        &self,
        j: usize,
        x: &[f64],
        potential: &PotentialParams,
    ) -> Option<(f64, f64)> {
        match self {
            NoiseParams::Langevin(n) => Some((n.d0, 0.0)),
            NoiseParams::PowerLaw(n) => Some((
                n.variance(x[j], potential),
                n.variance_derivative(x[j], potential),
            )),
            NoiseParams::PowerLawLoss(n) => Some((
                n.d0 + n.k * (potential.value_at(x) - potential.loss_minimum()),
                n.k * potential.gradient_at(x, j),
            )),
            NoiseParams::ExprNoise(n) => {
                Some(n.at(j, x, potential.value_at(x), potential.gradient_at(x, j)))
            }
            NoiseParams::AlphaStable(_) | NoiseParams::Sgd(_) => None,
        }
    }
    /// No noise at all: a deterministic run ([`NoisePhysics::is_silent`]).
    pub fn is_silent(&self) -> bool {
        self.physics().is_silent()
    }
    /// A panel boundary for the quadrature, where the law has one ([`NoisePhysics::breakpoint`]).
    pub fn breakpoint(&self) -> Option<f64> {
        self.physics().breakpoint()
    }
    /// A diffusion with a variance law (not stable, not a minibatch): what the
    /// 1-D theory and the bridge correction apply to.
    pub fn is_gaussian(&self) -> bool {
        let kind = self.kind();
        !kind.stable() && !kind.minibatch()
    }
}

/// The WGSL of every noise, the structural flags of the prelude's `NOISE`
/// (`NOISE_STABLE`, `NOISE_USES_LOSS`, `NOISE_MINIBATCH`) and the dispatch on it.
pub fn wgsl() -> String {
    use crate::kernel::preprocess::{dispatch_source, flag_source};
    let kinds = NoiseKind::sources();
    let codes = |flag: fn(NoiseKind) -> bool| -> Vec<u32> {
        NoiseKind::ALL
            .iter()
            .filter(|k| flag(**k))
            .map(|k| k.code())
            .collect()
    };
    let mut out = flag_source("NOISE_STABLE", "NOISE", &codes(NoiseKind::stable));
    out += &flag_source("NOISE_USES_LOSS", "NOISE", &codes(NoiseKind::uses_loss));
    out += &flag_source("NOISE_MINIBATCH", "NOISE", &codes(NoiseKind::minibatch));
    out + &dispatch_source("NOISE", &kinds, super::registry::NOISE_FUNCTIONS)
}
