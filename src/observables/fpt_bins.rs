//! Log-spaced first-passage-time bins: four per octave of steps, with integer
//! edges `ceil(2^(k/4))`, so that CPU and GPU bin a step count identically.

/// Bins per octave of steps.
pub const BINS_PER_OCTAVE: u32 = 4;
/// Number of edges (covers every u32 step count).
pub const EDGE_COUNT: usize = 128;

/// The bin edges in steps: bin `k` holds steps `n` with `edges[k] <= n < edges[k+1]`
/// (bins whose edges coincide stay empty).
#[derive(Clone, Debug, PartialEq)]
pub struct FptBins {
    /// Edges `ceil(2^(k/4))` in steps, non-decreasing, from 1 to the first above `max_steps`.
    pub edges: Vec<u64>,
}

impl FptBins {
    /// Edges up to the first one above `max_steps`.
    pub fn new(max_steps: u32) -> Self {
        let mut edges = Vec::new();
        for k in 0..EDGE_COUNT as u32 {
            let edge = (2f64.powf(k as f64 / BINS_PER_OCTAVE as f64)).ceil() as u64;
            edges.push(edge);
            if edge > max_steps as u64 {
                break;
            }
        }
        FptBins { edges }
    }

    /// Number of bins: one fewer than the edges.
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// The bin of a first-passage step `n >= 1`.
    #[inline]
    pub fn bin(&self, n: u32) -> usize {
        self.edges.partition_point(|&e| e <= n as u64) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_step_once() {
        let bins = FptBins::new(100_000);
        assert_eq!(bins.edges[0], 1);
        assert!(*bins.edges.last().unwrap() > 100_000);
        for n in [1u32, 2, 3, 7, 8, 9, 1000, 99_999, 100_000] {
            let k = bins.bin(n);
            assert!(
                bins.edges[k] <= n as u64 && (n as u64) < bins.edges[k + 1],
                "n = {n}"
            );
        }
        // four bins per octave at large n
        assert_eq!(bins.bin(1 << 12) - bins.bin(1 << 11), 4);
    }
}
