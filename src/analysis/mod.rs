//! Analysis: estimators on tallies (escape rate, mean first-passage time and
//! their intervals) and the analytic references they are compared with.

pub mod chain;
pub mod escape;
pub mod extrapolate;
pub mod landscape;
pub mod model1d;
pub mod plane;
pub mod references;
pub mod stats;
pub mod tail_fit;
pub mod theory;
pub mod underdamped;
