//! The error type of the ONNX cross-check and exporter.
//!
//! Like [`crate::ModelError`], every variant names the path, output or value at fault. The binary
//! maps [`OnnxError::is_input_error`] to exit code 2 and everything else to 1.

use std::path::PathBuf;

use crate::error::ModelError;

/// Errors raised while locating ONNX Runtime, reading or writing ONNX files, or comparing outputs.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("ONNX directory {0} does not exist")]
    DirNotFound(PathBuf),

    #[error("{dir}: no encoder_model.onnx or decoder_model.onnx; pass a directory in Optimum's export layout, or write one with `superpos export-onnx`")]
    NoOnnxFiles { dir: PathBuf },

    #[error("ONNX Runtime library not found: {searched}; run scripts/fetch-onnxruntime.sh, or set ORT_DYLIB_PATH to libonnxruntime.so of ONNX Runtime 1.{minimum_minor} or newer")]
    RuntimeMissing { searched: String, minimum_minor: u32 },

    #[error("{path} is ONNX Runtime {version}, but version 1.{minimum_minor} or newer is needed; run scripts/fetch-onnxruntime.sh, or set ORT_DYLIB_PATH to a newer libonnxruntime.so")]
    RuntimeIncompatible { path: PathBuf, version: String, minimum_minor: u32 },

    #[error("cannot load ONNX Runtime from {path}: {message}; run scripts/fetch-onnxruntime.sh, or set ORT_DYLIB_PATH to libonnxruntime.so")]
    RuntimeLoad { path: PathBuf, message: String },

    #[error("{path}: ONNX Runtime cannot load the model: {message}")]
    Session { path: PathBuf, message: String },

    #[error("{path}: {message}")]
    Interface { path: PathBuf, message: String },

    #[error("{path}: running {output} in ONNX Runtime failed: {message}")]
    Run { path: PathBuf, output: String, message: String },

    #[error("{path}: cannot export: {message}")]
    Unsupported { path: PathBuf, message: String },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error(transparent)]
    Model(#[from] ModelError),

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The result type of the ONNX module.
pub type Result<T> = std::result::Result<T, OnnxError>;

impl OnnxError {
    /// Returns true when the error comes from the user's input (a missing directory, file or
    /// library, a model file of the wrong shape) rather than from a failed computation.
    pub fn is_input_error(&self) -> bool {
        match self {
            OnnxError::Model(model) => model.is_input_error(),
            OnnxError::Run { .. } | OnnxError::Candle(_) => false,
            _ => true,
        }
    }
}
