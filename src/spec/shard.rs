//! Ranges of trajectory indices: shards of a run (`--shard k/n`, Slurm job
//! arrays, Kubernetes Indexed Jobs), and the fingerprint that tells whether two
//! partial results come from the same experiment. A trajectory is named by
//! (case, index), so any split of the indices gives the same draws.

use super::Experiment;
use crate::error::{Error, Result};
use std::ops::Range;

/// The k-th of n equal contiguous slices of every case's trajectories.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which slice this is, `k`, from 0 (below `count`).
    pub index: u32,
    /// Number of slices `n`, at least 1.
    pub count: u32,
    /// Where the shard came from: `--shard`, `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`.
    pub source: String,
}

/// Environment variable that gives the shard count of a Kubernetes Indexed Job
/// (`JOB_COMPLETION_INDEX` gives the index; Kubernetes has no count variable).
pub const SHARD_COUNT_VAR: &str = "KRAMERS_SHARD_COUNT";

impl Shard {
    /// Parse `k/n` (0 <= k < n), as given to `--shard`.
    pub fn parse(text: &str) -> Result<Shard> {
        let invalid = || {
            Error::invalid(
                "--shard",
                format!("{text:?}"),
                "k/n with integers 0 <= k < n, e.g. 0/4 (the first of four)",
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(invalid)?;
        let index: u32 = k.trim().parse().map_err(|_| invalid())?;
        let count: u32 = n.trim().parse().map_err(|_| invalid())?;
        if count == 0 || index >= count {
            return Err(invalid());
        }
        Ok(Shard {
            index,
            count,
            source: "--shard".into(),
        })
    }

    /// The shard that a cluster scheduler's environment names, if any: a Slurm
    /// job array (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, divided by
    /// `SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes
    /// Indexed Job (`JOB_COMPLETION_INDEX` of `KRAMERS_SHARD_COUNT`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>> {
        let number =
            |name: &str| -> Result<Option<u64>> {
                match var(name) {
                    None => Ok(None),
                    Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                        Error::invalid(name, format!("{v:?}"), "a non-negative integer")
                    }),
                }
            };
        let make = |index: u64, count: u64, source: &str, field: &str| -> Result<Option<Shard>> {
            if count == 0 || count > u32::MAX as u64 || index >= count {
                return Err(Error::invalid(
                    field,
                    format!("shard {index} of {count}"),
                    "a shard index from 0 to count - 1",
                ));
            }
            Ok(Some(Shard {
                index: index as u32,
                count: count as u32,
                source: source.into(),
            }))
        };
        if let (Some(id), Some(count)) = (
            number("SLURM_ARRAY_TASK_ID")?,
            number("SLURM_ARRAY_TASK_COUNT")?,
        ) {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            if id < min || (id - min) % step != 0 {
                return Err(Error::invalid(
                    "SLURM_ARRAY_TASK_ID",
                    id,
                    format!("an array index min + j * step (min {min}, step {step})"),
                ));
            }
            return make(
                (id - min) / step,
                count,
                "SLURM_ARRAY_TASK_ID",
                "SLURM_ARRAY_TASK_ID",
            );
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number(SHARD_COUNT_VAR)?.ok_or_else(|| {
                Error::invalid(
                    SHARD_COUNT_VAR,
                    "unset",
                    "the number of completions of the Indexed Job (JOB_COMPLETION_INDEX is set)",
                )
            })?;
            return make(index, count, "JOB_COMPLETION_INDEX", SHARD_COUNT_VAR);
        }
        Ok(None)
    }

    /// Trajectories `[k N / n, (k + 1) N / n)` of `n_trajectories`; needs n <= N.
    pub fn range(&self, n_trajectories: u32) -> Result<Range<u32>> {
        if self.count > n_trajectories {
            return Err(Error::invalid(
                "--shard",
                format!("{}/{}", self.index, self.count),
                format!("at most as many shards as trajectories per case ({n_trajectories})"),
            ));
        }
        let at = |k: u32| (k as u64 * n_trajectories as u64 / self.count as u64) as u32;
        Ok(at(self.index)..at(self.index + 1))
    }
}

impl Experiment {
    /// Simulate only trajectories `range` of every case.
    pub fn with_range(mut self, range: Range<u32>) -> Result<Self> {
        if range.start >= range.end || range.end > self.trajectories {
            return Err(Error::invalid(
                "trajectory range",
                format!("{}..{}", range.start, range.end),
                format!("a non-empty range within 0..{}", self.trajectories),
            ));
        }
        self.range = range;
        Ok(self)
    }

    /// A 128-bit FNV-1a hash (hex) of everything that determines the results:
    /// seed, step limit, trajectories per case, kernel shape, observables, every
    /// case's parameters and record, the data set. Not the name, not the file's
    /// layout or comments, not the trajectory range.
    pub fn fingerprint(&self) -> String {
        let mut hash = Fnv128::new();
        hash.write(&self.seed.to_le_bytes());
        hash.write(&self.max_steps.to_le_bytes());
        hash.write(&self.trajectories.to_le_bytes());
        hash.write(self.shape_text().as_bytes());
        // (spelled as before `extrapolate` existed, which is added only when set)
        let observe = &self.observe;
        hash.write(
            format!(
                "Observe {{ histogram: {:?}, fpt_file: {:?} }}",
                observe.histogram, observe.fpt_file
            )
            .as_bytes(),
        );
        if observe.extrapolate {
            hash.write(b"extrapolate");
        }
        if self.coupled {
            hash.write(b"coupled");
        }
        hash.write(&(self.cases.len() as u64).to_le_bytes());
        for case in &self.cases {
            hash.write(&case.index.to_le_bytes());
            hash.write(format!("{:?}", case.params).as_bytes());
            let record = self.record(case);
            let bytes = bytemuck::bytes_of(&record);
            if self.shape.dynamics.has_velocity() {
                hash.write(bytes);
            } else {
                // as before the underdamped fields existed
                hash.write(&bytes[..crate::kernel::abi::OVERDAMPED_RECORD_BYTES]);
            }
        }
        hash.write(&(self.data_set.len() as u64).to_le_bytes());
        hash.write(bytemuck::cast_slice(&self.data_set));
        if let Some(rare) = &self.rare {
            hash.write(format!("{rare:?}").as_bytes());
        }
        // The formulas of expression models (none for built-ins, whose
        // fingerprints stay as they were); not the bridge's function, which
        // follows from `exit.g` and the shape's bridge flag.
        if let Some(generated) = self
            .cases
            .first()
            .and_then(|first| crate::model::formula::user_formulas_wgsl(&first.model))
        {
            hash.write(generated.as_bytes());
        }
        format!("{:032x}", hash.0)
    }
}

impl Experiment {
    /// The kernel shape as fingerprints have spelled it since they exist (the
    /// Debug text of the shape before the model registry), so that renaming
    /// an internal type never changes a fingerprint: variant names of the
    /// kinds, `None` for no exit, `Box` for a box.
    fn shape_text(&self) -> String {
        let shape = &self.shape;
        let no_exit = self
            .cases
            .iter()
            .all(|c| c.model.exit == super::ExitParams::None);
        let exit = match shape.exit {
            _ if no_exit => "None",
            super::ExitKind::HalfSpace => "HalfSpace",
            super::ExitKind::Ball => "Ball",
            super::ExitKind::BoxSet => "Box",
            super::ExitKind::ExprExit => "Expr",
        };
        let text = format!(
            "KernelShape {{ potential: {:?}, noise: {:?}, exit: {exit}, dim: {}, bridge: {} }}",
            shape.potential, shape.noise, shape.dim, shape.bridge
        );
        // (spelled as before `dynamics` existed, which is added when underdamped)
        match shape.dynamics {
            super::Dynamics::Overdamped => text,
            other => format!("{text} dynamics: {}", other.name()),
        }
    }
}

struct Fnv128(u128);

impl Fnv128 {
    fn new() -> Self {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u128;
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_cover_every_trajectory_once() {
        for n_trajectories in [1u32, 7, 10, 4096, 10_001] {
            for count in 1..=n_trajectories.min(9) {
                let mut next = 0;
                for index in 0..count {
                    let shard = Shard {
                        index,
                        count,
                        source: String::new(),
                    };
                    let r = shard.range(n_trajectories).unwrap();
                    assert_eq!(r.start, next);
                    assert!(r.end > r.start);
                    next = r.end;
                }
                assert_eq!(next, n_trajectories);
            }
        }
        let too_many = Shard::parse("0/8").unwrap();
        assert!(too_many.range(7).is_err());
    }

    #[test]
    fn parse_and_environment() {
        assert_eq!(Shard::parse("2/4").unwrap().index, 2);
        for bad in ["4/4", "1", "-1/4", "a/b", "0/0", "1/2/3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        let slurm = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((slurm.index, slurm.count), (1, 4));
        let stepped = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((stepped.index, stepped.count), (3, 4));
        let k8s = Shard::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            (SHARD_COUNT_VAR, "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((k8s.index, k8s.count), (2, 3));
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).is_err());
        assert!(Shard::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "3"),
            (SHARD_COUNT_VAR, "3")
        ]))
        .is_err());
    }
}
