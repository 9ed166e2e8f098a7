//! Per-step mathematics of every dynamic, on lanes of trajectories: the CPU
//! twin of `shaders/` (each function here has a WGSL namesake that reads the
//! same way). Potentials, noise models and exit sets are types, so that
//! `simulate` is specialized for one kernel shape at compile time. The kernel
//! knows lanes, codes and streams only: the models implement its traits
//! (`crate::model`), and the backends build them for a case.

pub mod abi;
pub mod exits;
pub mod gjf;
pub mod noise;
pub mod potentials;
pub mod preprocess;
pub mod simulate;

/// The dimensions a kernel is compiled for: the array size `DIM` of the
/// integrator's state (1, 2 or [`crate::dynamics::MAX_DIM`]; `dim <= DIM` coordinates are used).
pub trait Dims {
    /// The one dimension a model is defined in, or 0 for any.
    const DIM: usize;
    /// Call `visitor` with the array size for `dim`.
    fn dispatch<V: DimVisitor>(dim: usize, visitor: V) -> V::Output;
}

/// Something done with a kernel's array size.
pub trait DimVisitor {
    /// What the visit returns.
    type Output;
    /// Do the work with the kernel's state array size `DIM`.
    fn visit<const DIM: usize>(self) -> Self::Output;
}

/// Any dimension: kernels for 1, 2 and [`crate::dynamics::MAX_DIM`] coordinates.
pub struct AnyDim;

impl Dims for AnyDim {
    const DIM: usize = 0;
    fn dispatch<V: DimVisitor>(dim: usize, visitor: V) -> V::Output {
        match dim {
            1 => visitor.visit::<1>(),
            2 => visitor.visit::<2>(),
            _ => visitor.visit::<{ crate::dynamics::MAX_DIM }>(),
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
