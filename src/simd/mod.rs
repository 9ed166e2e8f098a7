//! SIMD lanes, the floor under every CPU kernel: the lane width and arrays,
//! cache-line alignment, the instruction sets the kernels are compiled for
//! (chosen at run time), the register files of formula programs, and the
//! fast f32 functions shared with the WGSL kernels ([`fastmath`]). A leaf:
//! it imports nothing of the crate.

pub mod fastmath;

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

/// A formula program's registers on SIMD lanes (the constants filled in once
/// per case); the program itself is `crate::expr::Program`, which reads and
/// writes them.
#[derive(Clone, Debug, Default)]
pub struct RegisterFile {
    pub(crate) regs: Vec<Register>,
}

/// One register: cache-line aligned, so that a vector store and the load of
/// the next instruction forward within one line.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(crate) struct Register(pub(crate) Lanes);

/// The registers of a model's formula programs on lanes (one file per program; empty for built-ins).
pub type Scratch = Vec<RegisterFile>;

/// The instruction sets the CPU kernels are compiled for, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512 F, BW, DQ and VL (with AVX2, FMA, BMI1 and BMI2).
    Avx512,
    /// AVX2 with FMA (and BMI1, BMI2).
    Avx2,
    /// The target's default features only: every CPU of the architecture runs it.
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

    /// The name reports print (`"AVX-512"`, `"AVX2"`, `"baseline SIMD"`).
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
