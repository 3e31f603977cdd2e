//! The error type of the crate. Every variant names the file, and where one is known the line,
//! column and value, that caused it.

use std::path::PathBuf;

/// Everything that can go wrong while reading results or writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },

    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{path} not found; give a results directory or a score CSV")]
    NotFound { path: PathBuf },

    #[error("{path} is neither a results directory (one with a `cells/` folder) nor a `.csv` score file")]
    UnknownInput { path: PathBuf },

    #[error("{path} contains no cell records (`cells/*.json`)")]
    NoRecords { path: PathBuf },

    #[error("{path}:{line}:{column}: invalid cell record: {message}")]
    Record { path: PathBuf, line: usize, column: usize, message: String },

    #[error("{path}: invalid grid file: {message}")]
    Grid { path: PathBuf, message: String },

    #[error("{path}:{line}: malformed CSV: {message}")]
    Csv { path: PathBuf, line: u64, message: String },

    #[error("{path}: missing column `{column}`; a score CSV needs the columns model,method,dropout,task,metric,score")]
    MissingColumn { path: PathBuf, column: String },

    #[error("{path}:{line}: column `{column}` has the invalid value `{value}`: {reason}")]
    InvalidValue { path: PathBuf, line: u64, column: String, value: String, reason: String },

    #[error("{path}:{line}: duplicate score for {key}; add a `seed` column to keep several runs of one cell")]
    DuplicateScore { path: PathBuf, line: u64, key: String },

    #[error("polars failed while {context}: {source}")]
    Polars { context: &'static str, source: polars::error::PolarsError },

    #[error("cannot draw {path}: {message}")]
    Plot { path: PathBuf, message: String },

    #[error("{task} prediction {index}: {reason}")]
    Prediction { task: String, index: usize, reason: String },
}

impl ReportError {
    /// Wraps a CSV reader error with the file and the line it happened on.
    pub fn csv(path: &std::path::Path, err: csv::Error) -> Self {
        ReportError::Csv { path: path.to_path_buf(), line: err.position().map(|p| p.line()).unwrap_or(0), message: err.to_string() }
    }

    /// Reports a value of a CSV column that cannot be used, and why.
    pub fn invalid_value(path: &std::path::Path, line: u64, column: &str, value: &str, reason: &str) -> Self {
        ReportError::InvalidValue { path: path.to_path_buf(), line, column: column.to_string(), value: value.to_string(), reason: reason.to_string() }
    }

    /// Tells whether the error comes from the user's input (a file, a value, a name) rather than
    /// from writing or drawing, so a command line can exit with its input-error code.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            ReportError::Read { .. }
                | ReportError::NotFound { .. }
                | ReportError::UnknownInput { .. }
                | ReportError::NoRecords { .. }
                | ReportError::Record { .. }
                | ReportError::Grid { .. }
                | ReportError::Csv { .. }
                | ReportError::MissingColumn { .. }
                | ReportError::InvalidValue { .. }
                | ReportError::DuplicateScore { .. }
                | ReportError::Prediction { .. }
        )
    }

    pub(crate) fn polars(context: &'static str) -> impl FnOnce(polars::error::PolarsError) -> ReportError {
        move |source| ReportError::Polars { context, source }
    }
}

/// The crate's result type.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
