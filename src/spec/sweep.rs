//! A scalar parameter that may be swept: one number, or a list of numbers.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// `x = 1.0` or `x = [0.5, 1.0, 1.5]` in an experiment file.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep(pub Vec<f64>);

impl Sweep {
    pub fn one(value: f64) -> Self {
        Sweep(vec![value])
    }
}

impl<'de> Deserialize<'de> for Sweep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SweepVisitor;
        impl<'de> Visitor<'de> for SweepVisitor {
            type Value = Sweep;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Sweep, E> {
                Ok(Sweep(vec![v]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Sweep, E> {
                Ok(Sweep(vec![v as f64]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Sweep, E> {
                Ok(Sweep(vec![v as f64]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sweep, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<Number>()? {
                    values.push(v.0);
                }
                Ok(Sweep(values))
            }
        }
        deserializer.deserialize_any(SweepVisitor)
    }
}

/// One number, integer or float, as TOML allows both.
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A string parameter that may be swept (used for `interpretation`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum StringSweep {
    One(String),
    Many(Vec<String>),
}

impl StringSweep {
    pub fn values(&self) -> Vec<String> {
        match self {
            StringSweep::One(s) => vec![s.clone()],
            StringSweep::Many(v) => v.clone(),
        }
    }
}
