//! The error type of the `superpos-models` crate.
//!
//! Every variant carries the offending path, tensor name, value or shape, so that a user can act
//! on the message without reading the source.

use std::path::PathBuf;

/// Errors raised while loading or running a backbone.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model directory {0} does not exist; pass a local Hugging Face model directory or a hub id such as google/t5-small-lm-adapt")]
    ModelNotFound(String),

    #[error("{dir}: missing config.json; a Hugging Face model directory holds config.json next to its weights")]
    MissingConfig { dir: PathBuf },

    #[error("{path}: invalid config: {message}")]
    InvalidConfig { path: PathBuf, message: String },

    #[error("{path}: unknown feed_forward_proj {value:?}; expected \"relu\", \"gated-gelu\", \"gelu\" or \"gated-relu\"")]
    UnknownFeedForward { path: PathBuf, value: String },

    #[error("{dir}: no weights found; expected model.safetensors, model.safetensors.index.json or pytorch_model.bin")]
    MissingWeights { dir: PathBuf },

    #[error("{path}: cannot read weights ({message}); the file is truncated or corrupt, download it again")]
    CorruptWeights { path: PathBuf, message: String },

    #[error("{path}: tensor {name} is missing from the checkpoint")]
    MissingTensor { path: PathBuf, name: String },

    #[error("{path}: tensor {name} has shape {actual:?} but config.json implies {expected:?}")]
    ShapeMismatch { path: PathBuf, name: String, expected: Vec<usize>, actual: Vec<usize> },

    #[error("{path}: sha256 {actual} does not match the published {expected}; delete the file and download it again")]
    HashMismatch { path: PathBuf, expected: String, actual: String },

    #[error("hub request for {file} of {repo} failed: {message} (no local directory {repo} exists either)")]
    Hub { repo: String, file: String, message: String },

    #[error("{path}: cannot load tokenizer: {message}")]
    Tokenizer { path: PathBuf, message: String },

    #[error("cannot use device {device}: {message}")]
    Device { device: String, message: String },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, ModelError>;

impl ModelError {
    /// Returns true when the error comes from the user's input (a file, a name, a value) rather
    /// than from a failed computation, so that the binary can exit with code 2.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ModelError::Candle(_))
    }
}
