//! The library's error type: each variant is a sentence a user can act on.

use std::path::PathBuf;

/// Every error of the library; its message is a sentence a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The experiment file is not valid TOML or does not match the schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file (or other origin) that failed to parse.
        path: String,
        /// What is wrong, as the parser says it (field path included when known).
        message: String,
    },
    /// A field has a value outside what is allowed.
    #[error("invalid value for `{field}`: {value} ({allowed})")]
    InvalidField {
        /// The field, option or flag (e.g. `--devices`).
        field: String,
        /// The value given, as text.
        value: String,
        /// What would have been accepted.
        allowed: String,
    },
    /// A formula (expression model) that does not parse or names what it may not.
    #[error("invalid expression for `{field}` at column {column}: {message}\n    {formula}\n    {caret}^\n  allowed: {allowed}", caret = " ".repeat(column.saturating_sub(1)))]
    Expression {
        /// The field that holds the formula.
        field: String,
        /// The formula as written.
        formula: String,
        /// 1-based character column of the error in `formula`.
        column: usize,
        /// What is wrong at `column`.
        message: String,
        /// What the formula may contain there.
        allowed: String,
    },
    /// A file or directory cannot be read, created or written.
    #[error("cannot {action} {path}")]
    Io {
        /// The verb that failed: `"read"`, `"create"` or `"write"`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No usable GPU adapter, or the GPU backend failed.
    #[error("GPU backend: {0}")]
    Gpu(String),
    /// A result file cannot be used for what was asked.
    #[error("{0}")]
    Result(String),
    /// Shard results or a checkpoint that do not fit together or with the
    /// experiment (`kramers merge`, `--resume`): the user picked the wrong files.
    #[error("{0}")]
    Incompatible(String),
    /// The caller asked the run to stop (`RunOptions::cancel`) before it finished.
    #[error("the run was cancelled")]
    Cancelled,
}

impl Error {
    /// An [`Error::InvalidField`]: `value` of `field` is not one of `allowed`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl ToString,
        allowed: impl Into<String>,
    ) -> Self {
        Error::InvalidField {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// Errors caused by the user's input (exit code 2 in the CLI), an unreadable
    /// experiment file included.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Parse { .. }
                | Error::InvalidField { .. }
                | Error::Expression { .. }
                | Error::Incompatible(_)
                | Error::Io { action: "read", .. }
        )
    }
}

/// The library's result type, with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
