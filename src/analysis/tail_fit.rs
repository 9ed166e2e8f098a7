//! Heavy-tail fits of a sample (`kramers fit-tail`, the paper's Fig. 8 idea): read the values from
//! a `.npy` (float32/float64, any shape, flattened) or a CSV column, fit a Student-t by maximum
//! likelihood and the Hill tail index, and give the Q-Q points against the normal law and the
//! fitted Student-t. No NaN or infinite values are accepted.

use super::stats::{hill_estimator, student_t_fit, Interval, StudentTFit};
use crate::error::{Error, Result};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use std::path::Path;

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Parse {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The values of a `.npy` array: little- or big-endian `f4`/`f8`, C or Fortran order
/// (flattened, so the order does not matter).
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Vec<f64>> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad(path, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad(path, format!("unsupported .npy version {major}"))),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or_else(|| bad(path, "truncated .npy header"))?;
    let header = String::from_utf8_lossy(header);
    let descr = header
        .split("'descr':")
        .nth(1)
        .and_then(|rest| rest.split('\'').nth(1))
        .ok_or_else(|| bad(path, "no 'descr' in the .npy header"))?;
    let data = &bytes[start + header_len..];
    let (little, width) = match descr {
        "<f4" | "|f4" => (true, 4),
        ">f4" => (false, 4),
        "<f8" | "|f8" => (true, 8),
        ">f8" => (false, 8),
        other => {
            return Err(bad(
                path,
                format!("dtype {other}: only float32 and float64 (f4, f8) are read"),
            ))
        }
    };
    if !data.len().is_multiple_of(width) {
        return Err(bad(
            path,
            "the data length is not a multiple of the dtype size",
        ));
    }
    Ok(data
        .chunks_exact(width)
        .map(|c| match (width, little) {
            (4, true) => f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64,
            (4, false) => f32::from_be_bytes(c.try_into().expect("4 bytes")) as f64,
            (_, true) => f64::from_le_bytes(c.try_into().expect("8 bytes")),
            (_, false) => f64::from_be_bytes(c.try_into().expect("8 bytes")),
        })
        .collect())
}

/// The values of one CSV column (by header name; the first column by default).
pub fn parse_csv_column(text: &str, column: Option<&str>, path: &Path) -> Result<Vec<f64>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(path, e.to_string()))?
        .clone();
    let index = match column {
        None => 0,
        Some(name) => headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                bad(
                    path,
                    format!(
                        "no column `{name}`; the columns are: {}",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?,
    };
    let mut values = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(path, e.to_string()))?;
        let field = record.get(index).unwrap_or("").trim();
        let v: f64 = field
            .parse()
            .map_err(|_| bad(path, format!("row {}: `{field}` is not a number", line + 2)))?;
        values.push(v);
    }
    Ok(values)
}

/// Read the samples of `path`: `.npy` by extension or magic, else CSV.
pub fn read_samples(path: &Path, column: Option<&str>) -> Result<Vec<f64>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let values = if bytes.starts_with(b"\x93NUMPY") {
        parse_npy(&bytes, path)?
    } else {
        let text = String::from_utf8(bytes).map_err(|_| bad(path, "neither .npy nor UTF-8 CSV"))?;
        parse_csv_column(&text, column, path)?
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(bad(path, format!("value {i} is not finite")));
    }
    if values.len() < 10 {
        return Err(bad(
            path,
            format!("{} values: at least 10 needed", values.len()),
        ));
    }
    Ok(values)
}

/// One Hill estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HillEstimate {
    /// Number of upper order statistics of `|x - median|` used.
    pub k: usize,
    /// Tail index `a` of `P(|X| > x) ~ x^-a` (a Student-t's `nu`).
    pub index: f64,
    /// 95% interval of `index` (upper end `inf` for `k <= 1.96^2`).
    pub interval: Interval,
}

/// Everything `fit-tail` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct TailFit {
    /// Sample size.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (denominator `n - 1`).
    pub sd: f64,
    /// Student-t maximum-likelihood fit; `None` when it fails (e.g. Gaussian data, `nu -> inf`).
    pub student_t: Option<StudentTFit>,
    /// At `k` = 0.5%, 2% and 5% of the sample (at least 10).
    pub hill: Vec<HillEstimate>,
}

/// Fit a sample (Student-t MLE and Hill estimates of the centered sample).
pub fn fit_tail(samples: &[f64]) -> TailFit {
    let n = samples.len();
    let mean = samples.iter().sum::<f64>() / n as f64;
    let sd = (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[n / 2];
    let centered: Vec<f64> = samples.iter().map(|x| x - median).collect();
    let hill = [0.005, 0.02, 0.05]
        .iter()
        .map(|f| ((f * n as f64) as usize).max(10).min(n - 1))
        .map(|k| {
            let (index, interval) = hill_estimator(&centered, k);
            HillEstimate { k, index, interval }
        })
        .collect();
    TailFit {
        n,
        mean,
        sd,
        student_t: student_t_fit(samples),
        hill,
    }
}

/// Q-Q points `(theoretical quantile, sample quantile)` at plotting positions `(i - 1/2)/n`,
/// thinned to at most about `max_points` (every one of the 200 most extreme on each side kept).
pub fn qq_points(
    samples: &[f64],
    quantile: impl Fn(f64) -> f64,
    max_points: usize,
) -> Vec<(f64, f64)> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let stride = (n / max_points.max(1)).max(1);
    (0..n)
        .filter(|&i| i < 200 || i + 200 >= n || i.is_multiple_of(stride))
        .map(|i| (quantile((i as f64 + 0.5) / n as f64), sorted[i]))
        .collect()
}

/// Q-Q points against the normal law with the sample mean and standard deviation.
pub fn qq_normal(samples: &[f64], fit: &TailFit) -> Vec<(f64, f64)> {
    let law = Normal::new(fit.mean, fit.sd.max(f64::MIN_POSITIVE)).expect("valid normal");
    qq_points(samples, |p| law.inverse_cdf(p), 4000)
}

/// Q-Q points against the fitted Student-t; `None` without a fit.
pub fn qq_student_t(samples: &[f64], fit: &TailFit) -> Option<Vec<(f64, f64)>> {
    let t = fit.student_t?;
    let law = StudentsT::new(t.location, t.scale, t.nu).ok()?;
    Some(qq_points(samples, |p| law.inverse_cdf(p), 4000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_f4_and_f8_round_trip() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((h.len() as u16).to_le_bytes());
        bytes.extend(h.as_bytes());
        for v in [1.0f64, -2.5, 3.25, 0.0] {
            bytes.extend(v.to_le_bytes());
        }
        let v = parse_npy(&bytes, Path::new("x.npy")).unwrap();
        assert_eq!(v, vec![1.0, -2.5, 3.25, 0.0]);
    }

    #[test]
    fn csv_column_by_name() {
        let v = parse_csv_column("a,b\n1,2\n3,4\n", Some("b"), Path::new("x.csv")).unwrap();
        assert_eq!(v, vec![2.0, 4.0]);
        assert!(parse_csv_column("a\nz\n", None, Path::new("x.csv")).is_err());
    }
}
