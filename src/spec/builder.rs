//! Experiments made in code (the escape sweep, the paper's figures, a future
//! Python API): the tables and field names of an experiment file, set with
//! typed values and validated exactly as a file is, without writing TOML
//! text and parsing it again. Errors name the same fields a file's would.

use super::Experiment;
use crate::error::Result;
use toml::{Table, Value};

/// A value of a field: a number, a list of numbers (a sweep or a vector), an
/// integer, a string, a list of strings (a swept choice) or a flag.
#[derive(Clone, Debug, PartialEq)]
pub struct Field(Value);

impl From<f64> for Field {
    fn from(v: f64) -> Self {
        Field(Value::Float(v))
    }
}
impl From<&[f64]> for Field {
    fn from(v: &[f64]) -> Self {
        Field(Value::Array(v.iter().map(|&x| Value::Float(x)).collect()))
    }
}
impl From<Vec<f64>> for Field {
    fn from(v: Vec<f64>) -> Self {
        v.as_slice().into()
    }
}
impl From<i64> for Field {
    fn from(v: i64) -> Self {
        Field(Value::Integer(v))
    }
}
impl From<u32> for Field {
    fn from(v: u32) -> Self {
        Field(Value::Integer(v as i64))
    }
}
impl From<usize> for Field {
    fn from(v: usize) -> Self {
        Field(Value::Integer(v as i64))
    }
}
impl From<&str> for Field {
    fn from(v: &str) -> Self {
        Field(Value::String(v.to_string()))
    }
}
impl From<&[&str]> for Field {
    fn from(v: &[&str]) -> Self {
        Field(Value::Array(
            v.iter().map(|s| Value::String(s.to_string())).collect(),
        ))
    }
}
impl From<bool> for Field {
    fn from(v: bool) -> Self {
        Field(Value::Boolean(v))
    }
}

/// The fields of one table, in order.
pub type Fields<'a> = Vec<(&'a str, Field)>;

/// An experiment being assembled: top-level fields and the `[potential]`,
/// `[noise]`, `[exit]` and `[observe]` tables.
#[derive(Clone, Debug, Default)]
pub struct ExperimentBuilder {
    top: Table,
}

impl ExperimentBuilder {
    /// An experiment called `name`.
    pub fn new(name: &str) -> Self {
        ExperimentBuilder::default().set("name", name)
    }

    /// A top-level field (`seed`, `dt`, `max_steps`, `trajectories`, `dim`,
    /// `start`, `start_point`).
    pub fn set(mut self, field: &str, value: impl Into<Field>) -> Self {
        self.top.insert(field.to_string(), value.into().0);
        self
    }

    fn table(mut self, name: &str, kind: &str, fields: &[(&str, Field)]) -> Self {
        let mut table = Table::new();
        table.insert("kind".to_string(), Value::String(kind.to_string()));
        for (field, value) in fields {
            table.insert(field.to_string(), value.0.clone());
        }
        self.top.insert(name.to_string(), Value::Table(table));
        self
    }

    /// `[potential]` of `kind` with `fields`.
    pub fn potential(self, kind: &str, fields: &[(&str, Field)]) -> Self {
        self.table("potential", kind, fields)
    }

    /// `[noise]` of `kind` with `fields`.
    pub fn noise(self, kind: &str, fields: &[(&str, Field)]) -> Self {
        self.table("noise", kind, fields)
    }

    /// `[exit]` of `kind` with `fields`.
    pub fn exit(self, kind: &str, fields: &[(&str, Field)]) -> Self {
        self.table("exit", kind, fields)
    }

    /// Validate as a file from `origin` (named in error messages) would be.
    pub fn build(self, origin: &str) -> Result<Experiment> {
        Experiment::from_value(Value::Table(self.top), origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"b\"\nseed = 3\ndt = 0.01\nmax_steps = 1000\ntrajectories = 10\n\
        [potential]\nkind = \"barrier\"\ncurvature_min = 1.0\ncurvature_top = 2.0\nheight = [0.5, 1.0]\n\
        [noise]\nkind = \"power-law\"\nd0 = 0.5\nd2 = 0.25\ninterpretation = [\"ito\", \"anti-ito\"]\n\
        [exit]\nkind = \"top\"\nbridge = true\n";

    fn built() -> ExperimentBuilder {
        ExperimentBuilder::new("b")
            .set("seed", 3i64)
            .set("dt", 0.01)
            .set("max_steps", 1000i64)
            .set("trajectories", 10i64)
            .potential(
                "barrier",
                &[
                    ("curvature_min", 1.0.into()),
                    ("curvature_top", 2.0.into()),
                    ("height", vec![0.5, 1.0].into()),
                ],
            )
            .noise(
                "power-law",
                &[
                    ("d0", 0.5.into()),
                    ("d2", 0.25.into()),
                    (
                        "interpretation",
                        Field(Value::Array(vec!["ito".into(), "anti-ito".into()])),
                    ),
                ],
            )
            .exit("top", &[("bridge", true.into())])
    }

    #[test]
    fn a_built_experiment_equals_the_same_file() {
        let from_file = Experiment::from_toml(TEXT, "b").unwrap();
        let from_code = built().build("b").unwrap();
        assert_eq!(from_code.fingerprint(), from_file.fingerprint());
        assert_eq!(from_code.cases.len(), 4);
        for (a, b) in from_code.cases.iter().zip(&from_file.cases) {
            assert_eq!(a.model, b.model);
            let record = |e: &Experiment, c| e.record(c);
            assert_eq!(record(&from_code, a), record(&from_file, b));
            assert_eq!(a.params, b.params);
        }
    }

    #[test]
    fn bad_values_name_the_field_as_in_a_file() {
        let e = built().set("dt", -1.0).build("b").unwrap_err().to_string();
        assert!(e.contains("`dt`"), "{e}");
        let e = built()
            .noise("power-law", &[("d0", 0.5.into())])
            .build("b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("d2"), "{e}");
        let e = built()
            .potential("barrier", &[("curvature_min", "steep".into())])
            .build("b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("potential"), "{e}");
    }
}
