//! The error type of the `superpos-methods` crate.
//!
//! Every variant carries the offending config field, value, tensor name, shape or path, so that a
//! user can fix a grid file or a state file from the message alone.

use std::path::PathBuf;

/// Errors raised while building, running, saving or loading a tuning method.
#[derive(Debug, thiserror::Error)]
pub enum MethodError {
    #[error("invalid method config: {field} = {value}: {reason}")]
    InvalidConfig { field: &'static str, value: String, reason: String },

    #[error("attempt: the config field `source_prompts` is empty; list the prompt files (safetensors) that prompt tuning saved on the source tasks")]
    NoSourcePrompts,

    #[error("attempt: source_prompts[{index}] = {path}: file not found; train prompt tuning on that source task first, or fix the path")]
    SourcePromptNotFound { index: usize, path: PathBuf },

    #[error("cannot sample {requested} unique ids from a population of {population}; lower the count or widen the population")]
    PopulationTooSmall { requested: usize, population: usize },

    #[error("label_token_ids[{label}]: {reason}")]
    InvalidLabelTokens { label: usize, reason: String },

    #[error("the embedding table has shape {shape:?}; expected a rank-2 [vocab, d_model] table")]
    InvalidEmbeddingTable { shape: Vec<usize> },

    #[error("full fine-tuning needs the backbone weights as trainable variables; load the backbone with T5Model::from_checkpoint_trainable when MethodConfig::needs_trainable_backbone() is true")]
    MissingTrainableBackbone,

    #[error("{path}: tensor {name} is missing from the state file")]
    MissingTensor { path: PathBuf, name: String },

    #[error("{path}: unexpected tensor {name}; the file was saved by a different method or configuration")]
    UnexpectedTensor { path: PathBuf, name: String },

    #[error("{path}: tensor {name} has shape {actual:?}, expected {expected:?}")]
    ShapeMismatch { path: PathBuf, name: String, expected: Vec<usize>, actual: Vec<usize> },

    #[error("{path}: the state was saved by method {found:?} and cannot be loaded into method {expected:?}")]
    MethodMismatch { path: PathBuf, expected: String, found: String },

    #[error("{path}: invalid state file: {message}")]
    InvalidStateFile { path: PathBuf, message: String },

    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error(transparent)]
    Model(#[from] superpos_models::ModelError),

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, MethodError>;

impl MethodError {
    /// Returns true when the error comes from the user's input (a config value, a file) rather
    /// than from a failed computation, so that a binary can exit with code 2.
    pub fn is_input_error(&self) -> bool {
        match self {
            MethodError::Candle(_) => false,
            MethodError::Model(inner) => inner.is_input_error(),
            _ => true,
        }
    }
}
