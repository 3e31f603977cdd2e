//! The BERT configuration, read from a Hugging Face `config.json`.
//!
//! Field names and defaults follow `transformers.BertConfig` (transformers 4.x and 5.x), so any
//! BERT-family encoder config with absolute position embeddings parses, for example
//! all-MiniLM-L6-v2 (6 layers, hidden size 384, 12 heads). The size fields have no default,
//! because a config without them cannot describe a real checkpoint.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::t5::Activation;

fn default_hidden_act() -> String {
    "gelu".to_string()
}
fn default_dropout() -> f64 {
    0.1
}
fn default_max_position_embeddings() -> usize {
    512
}
fn default_type_vocab_size() -> usize {
    2
}
fn default_layer_norm_eps() -> f64 {
    1e-12
}
fn default_position_embedding_type() -> String {
    "absolute".to_string()
}

/// The fields of `config.json` that the encoder needs. Unknown keys (`architectures`,
/// `use_cache`, `transformers_version`, ...) are ignored because they do not change the network.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    /// The feed-forward nonlinearity. transformers' `gelu` is the exact erf form.
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    #[serde(default = "default_max_position_embeddings")]
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab_size")]
    pub type_vocab_size: usize,
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    #[serde(default)]
    pub pad_token_id: u32,
    /// The position encoding. Only `absolute` is implemented, because the relative variants
    /// add terms to the attention scores.
    #[serde(default = "default_position_embedding_type")]
    pub position_embedding_type: String,
}

impl BertConfig {
    /// Reads and validates a `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_json(&text, path)
    }

    /// Parses and validates config text. `path` is only used in error messages.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let config: BertConfig = serde_json::from_str(text).map_err(|e| ModelError::InvalidConfig {
            path: path.to_path_buf(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    // `usize::is_multiple_of` would need Rust 1.87, above the workspace's rust-version 1.85.
    #[allow(clippy::manual_is_multiple_of)]
    fn validate(&self, path: &Path) -> Result<()> {
        let invalid = |message: String| ModelError::InvalidConfig { path: path.to_path_buf(), message };
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if value == 0 {
                return Err(invalid(format!("{name} must be positive, got 0")));
            }
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(invalid(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        for (name, value) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            ("attention_probs_dropout_prob", self.attention_probs_dropout_prob),
        ] {
            if !(0.0..1.0).contains(&value) {
                return Err(invalid(format!("{name} must lie in [0, 1), got {value}")));
            }
        }
        if self.layer_norm_eps.is_nan() || self.layer_norm_eps <= 0.0 {
            return Err(invalid(format!("layer_norm_eps must be positive, got {}", self.layer_norm_eps)));
        }
        if self.position_embedding_type != "absolute" {
            return Err(invalid(format!(
                "position_embedding_type {:?} is not supported; only \"absolute\" is implemented",
                self.position_embedding_type
            )));
        }
        self.activation(path)?;
        Ok(())
    }

    /// Parses `hidden_act` with transformers' names: `gelu` is the exact erf GELU, `gelu_new` and
    /// `gelu_pytorch_tanh` the tanh approximation.
    pub fn activation(&self, path: &Path) -> Result<Activation> {
        match self.hidden_act.as_str() {
            "gelu" => Ok(Activation::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" => Ok(Activation::GeluTanh),
            "relu" => Ok(Activation::Relu),
            "silu" | "swish" => Ok(Activation::Silu),
            other => Err(ModelError::InvalidConfig {
                path: path.to_path_buf(),
                message: format!(
                    "unknown hidden_act {other:?}; expected \"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\", \"relu\", \"silu\" or \"swish\""
                ),
            }),
        }
    }

    /// Returns the width of one attention head (`hidden_size / num_attention_heads`).
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16}"#;

    #[test]
    fn defaults_follow_transformers() {
        let config = BertConfig::from_json(MINIMAL, Path::new("config.json")).unwrap();
        assert_eq!(config.hidden_act, "gelu");
        assert_eq!(config.max_position_embeddings, 512);
        assert_eq!(config.type_vocab_size, 2);
        assert_eq!(config.layer_norm_eps, 1e-12);
        assert_eq!(config.hidden_dropout_prob, 0.1);
        assert_eq!(config.head_dim(), 4);
    }

    #[test]
    fn gelu_is_exact_erf() {
        let config = BertConfig::from_json(MINIMAL, Path::new("config.json")).unwrap();
        assert_eq!(config.activation(Path::new("config.json")).unwrap(), Activation::GeluErf);
    }

    #[test]
    fn heads_must_divide_hidden_size() {
        let text = MINIMAL.replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3");
        let error = BertConfig::from_json(&text, Path::new("config.json")).unwrap_err().to_string();
        assert!(error.contains("not a multiple of num_attention_heads 3"), "{error}");
    }

    #[test]
    fn unknown_activation_is_rejected() {
        let text = MINIMAL.replace('}', r#", "hidden_act": "mish"}"#);
        let error = BertConfig::from_json(&text, Path::new("config.json")).unwrap_err().to_string();
        assert!(error.contains("unknown hidden_act \"mish\""), "{error}");
    }
}
