//! A scalar parameter that may be swept: one number, or a list of numbers;
//! the axes of a batch and the combination that makes one case. The grammar
//! of every model's file fields, below the models (it imports only the
//! error type).

use crate::error::Error;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde::Serialize;
use std::fmt;

/// A value in a case's parameter table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A numeric field's value (written as a JSON number).
    Number(f64),
    /// A text field's value, e.g. an `interpretation` (written as a JSON string).
    Text(String),
}

/// `x = 1.0` or `x = [0.5, 1.0, 1.5]` in an experiment file.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep(pub Vec<f64>);

impl Sweep {
    /// A single value: a field that is not swept.
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
    /// `field = "value"`: not swept.
    One(String),
    /// `field = ["a", "b"]`: one case per value.
    Many(Vec<String>),
}

impl StringSweep {
    /// The values in file order (one for [`StringSweep::One`]).
    pub fn values(&self) -> Vec<String> {
        match self {
            StringSweep::One(s) => vec![s.clone()],
            StringSweep::Many(v) => v.clone(),
        }
    }
}

/// The swept axes of a batch, in declaration order; the last varies fastest.
#[derive(Default)]
pub struct Axes {
    names: Vec<String>,
    values: Vec<Vec<ParamValue>>,
}

/// A handle on one axis of an [`Axes`], to read its value in a [`Combination`].
#[derive(Clone, Copy)]
pub struct Axis(usize);

impl Axes {
    /// Register a numeric axis after checking each value with `valid`.
    pub fn number(
        &mut self,
        field: &str,
        sweep: &Sweep,
        valid: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> crate::error::Result<Axis> {
        Self::check(field, sweep, valid, allowed)?;
        self.names.push(field.to_string());
        self.values
            .push(sweep.0.iter().map(|&v| ParamValue::Number(v)).collect());
        Ok(Axis(self.names.len() - 1))
    }

    /// Check each value of a numeric field with `valid` without registering it.
    pub fn check(
        field: &str,
        sweep: &Sweep,
        valid: impl Fn(f64) -> bool,
        allowed: &str,
    ) -> crate::error::Result<()> {
        if sweep.0.is_empty() {
            return Err(Error::invalid(
                field,
                "[]",
                format!("an empty list; give {allowed}"),
            ));
        }
        for &v in &sweep.0 {
            if !v.is_finite() || !valid(v) {
                return Err(Error::invalid(field, v, allowed));
            }
        }
        Ok(())
    }

    /// Register a text axis (values checked by the caller).
    pub fn text(&mut self, field: &str, values: Vec<String>) -> Axis {
        self.names.push(field.to_string());
        self.values
            .push(values.into_iter().map(ParamValue::Text).collect());
        Axis(self.names.len() - 1)
    }

    /// Number of combinations: the product of the axes' lengths (the number of cases).
    pub fn count(&self) -> u64 {
        self.values.iter().map(|v| v.len() as u64).product()
    }

    /// The combination with flat index `flat`.
    pub fn combination(&self, mut flat: u64) -> Vec<usize> {
        let mut picks = vec![0; self.values.len()];
        for (pick, values) in picks.iter_mut().zip(&self.values).rev() {
            *pick = (flat % values.len() as u64) as usize;
            flat /= values.len() as u64;
        }
        picks
    }
}

/// One point of the cartesian product: one value picked on every axis (one case).
pub struct Combination<'a> {
    /// The axes the picks index.
    pub axes: &'a Axes,
    /// Per axis, in declaration order, the index of the value picked ([`Axes::combination`]).
    pub picks: Vec<usize>,
}

impl Combination<'_> {
    /// The value picked on numeric `axis` (panics on a text axis).
    pub fn number(&self, axis: Axis) -> f64 {
        match &self.axes.values[axis.0][self.picks[axis.0]] {
            ParamValue::Number(v) => *v,
            ParamValue::Text(_) => unreachable!("numeric axis"),
        }
    }
    /// The value picked on text `axis` (panics on a numeric axis).
    pub fn text(&self, axis: Axis) -> &str {
        match &self.axes.values[axis.0][self.picks[axis.0]] {
            ParamValue::Text(v) => v,
            ParamValue::Number(_) => unreachable!("text axis"),
        }
    }
    /// Every axis's field name (dotted) with the value picked, in declaration order.
    pub fn params(&self) -> Vec<(String, ParamValue)> {
        self.axes
            .names
            .iter()
            .zip(&self.picks)
            .zip(&self.axes.values)
            .map(|((name, &pick), values)| (name.clone(), values[pick].clone()))
            .collect()
    }
}

/// Validity check for [`Axes::number`]: `v > 0`.
pub fn positive(v: f64) -> bool {
    v > 0.0
}
/// Validity check for [`Axes::number`]: `v >= 0`.
pub fn non_negative(v: f64) -> bool {
    v >= 0.0
}
/// Validity check for [`Axes::number`] that accepts every (finite) value.
pub fn any(_: f64) -> bool {
    true
}

/// A vector field of `dim` finite numbers (not sweepable).
pub fn vector_field(field: &str, v: &[f64], dim: usize) -> crate::error::Result<Vec<f64>> {
    if v.len() != dim {
        return Err(Error::invalid(
            field,
            format!("{v:?}"),
            format!("a list of {dim} numbers, one per coordinate (dim = {dim})"),
        ));
    }
    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(field, bad, "finite numbers"));
    }
    Ok(v.to_vec())
}

/// A box bound: `dim` numbers, each finite or infinite (not NaN).
pub fn bound_field(field: &str, values: &[f64], dim: usize) -> crate::error::Result<Vec<f64>> {
    if values.len() != dim || values.iter().any(|v| v.is_nan()) {
        return Err(Error::invalid(
            field,
            format!("{values:?}"),
            format!("{dim} numbers (one per coordinate; inf and -inf allowed)"),
        ));
    }
    Ok(values.to_vec())
}
