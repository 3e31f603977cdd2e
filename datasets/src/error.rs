//! The crate's error type. Every variant carries the offending path, line, field or value so that
//! a message alone is enough to find and fix the input.

use std::path::PathBuf;

/// Errors from loading, formatting, splitting, batching and scoring.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("failed to read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}: missing field `{field}`")]
    MissingField {
        path: String,
        line: usize,
        field: String,
    },

    #[error("{path}:{line}: invalid value {value:?} in field `{field}`: expected {expected}")]
    InvalidField {
        path: String,
        line: usize,
        field: String,
        value: String,
        expected: String,
    },

    #[error("{path}:{line}: expected {expected} tab-separated columns, found {found} (a literal tab inside field `{field}`?)")]
    TooManyColumns {
        path: String,
        line: usize,
        field: String,
        expected: usize,
        found: usize,
    },

    #[error("{path}:{line}: invalid JSON: {message}")]
    InvalidJson {
        path: String,
        line: usize,
        message: String,
    },

    #[error("{path}: header has no column `{column}`")]
    MissingColumn { path: String, column: String },

    #[error("no file for {task} {split}; looked for: {searched}")]
    SplitNotFound {
        task: String,
        split: String,
        searched: String,
    },

    #[error("{task} has no {split} split; it has: {available}")]
    SplitNotAvailable {
        task: String,
        split: String,
        available: String,
    },

    #[error("{path}: cannot read parquet: {message}; the file is truncated or not parquet, so export it again")]
    Parquet { path: PathBuf, message: String },

    #[error("{path}: column `{column}` is compressed with {codec}, which this build does not read; write the export with snappy (`Dataset.to_parquet` does by default) or as JSON lines (`Dataset.to_json`)")]
    ParquetCodec {
        path: PathBuf,
        column: String,
        codec: String,
    },

    #[error("unknown {kind} {name:?}; expected one of: {expected}")]
    UnknownName {
        kind: &'static str,
        name: String,
        expected: String,
    },

    #[error("protocol {protocol} does not support task {task}: {reason}")]
    UnsupportedTask {
        protocol: String,
        task: String,
        reason: String,
    },

    #[error("example {index} of {task} has no {what}")]
    MissingExampleValue {
        task: String,
        index: usize,
        what: String,
    },

    #[error("{task} example from line {line} has no field `{field}`")]
    MissingExampleField {
        task: String,
        line: usize,
        field: String,
    },

    #[error("failed to load tokenizer {path}: {message}")]
    Tokenizer { path: PathBuf, message: String },

    #[error("failed to tokenize {text:?}: {message}")]
    Tokenize { text: String, message: String },

    #[error("invalid {field} = {value}: {reason}")]
    InvalidConfig {
        field: &'static str,
        value: String,
        reason: String,
    },

    #[error("{metric}: {reason}")]
    MetricInput {
        metric: &'static str,
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = DatasetError> = std::result::Result<T, E>;
