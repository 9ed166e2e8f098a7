//! Observables (docs/theory.md §4) accumulated per case: first-passage counts and sums,
//! log-binned first-passage histogram, final-state moments and histograms.
//! Everything is an integer, so tallies merge exactly in any order: threads,
//! chunks, shards and devices cannot change a bit of the result.

pub mod fpt_bins;
pub mod tally;

pub use fpt_bins::FptBins;
pub use tally::{Histogram, Tally};
