//! The T5 configuration, read from a Hugging Face `config.json`.
//!
//! Covers the original T5 (ReLU feed-forward, tied head with d_model^-0.5 output scaling) and
//! T5 v1.1 (gated-GELU with the tanh approximation, untied head). Defaults follow
//! `transformers.T5Config` (transformers 5.25) for keys that older configs omit, for example
//! `relative_attention_max_distance`, which T5 v1.1 configs do not contain.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The nonlinearity inside the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Relu,
    /// `gelu_new` in transformers: the tanh approximation. T5 v1.1 `gated-gelu` uses it.
    GeluTanh,
    /// The exact erf GELU, which transformers uses for a plain `gelu`.
    GeluErf,
    Silu,
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Activation::Relu => "ReLU",
            Activation::GeluTanh => "GELU, tanh approximation",
            Activation::GeluErf => "GELU, exact",
            Activation::Silu => "SiLU",
        })
    }
}

/// The parsed `feed_forward_proj`: the activation and whether a second, gating projection exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeedForwardKind {
    pub activation: Activation,
    pub gated: bool,
}

fn default_num_buckets() -> usize {
    32
}
fn default_max_distance() -> usize {
    128
}
fn default_dropout() -> f64 {
    0.1
}
fn default_eps() -> f64 {
    1e-6
}
fn default_ff() -> String {
    "relu".to_string()
}
fn default_true() -> bool {
    true
}
fn default_eos() -> u32 {
    1
}

/// The fields of `config.json` that the model needs. Unknown keys are ignored on purpose: real
/// configs carry generation and task settings that do not change the network.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct T5Config {
    pub vocab_size: usize,
    pub d_model: usize,
    pub d_kv: usize,
    pub d_ff: usize,
    pub num_layers: usize,
    #[serde(default)]
    pub num_decoder_layers: Option<usize>,
    pub num_heads: usize,
    #[serde(default = "default_num_buckets")]
    pub relative_attention_num_buckets: usize,
    #[serde(default = "default_max_distance")]
    pub relative_attention_max_distance: usize,
    #[serde(default = "default_dropout")]
    pub dropout_rate: f64,
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
    #[serde(default = "default_ff")]
    pub feed_forward_proj: String,
    #[serde(default = "default_true")]
    pub tie_word_embeddings: bool,
    /// Written by transformers 5; older configs omit it and scale exactly when the head is tied.
    #[serde(default)]
    pub scale_decoder_outputs: Option<bool>,
    #[serde(default)]
    pub pad_token_id: u32,
    #[serde(default = "default_eos")]
    pub eos_token_id: u32,
    #[serde(default)]
    pub decoder_start_token_id: u32,
}

impl T5Config {
    /// Reads and validates a `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_json(&text, path)
    }

    /// Parses and validates config text; `path` is only used in error messages.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let config: T5Config = serde_json::from_str(text).map_err(|e| ModelError::InvalidConfig {
            path: path.to_path_buf(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        config.feed_forward(path)?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let invalid = |message: String| ModelError::InvalidConfig { path: path.to_path_buf(), message };
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("d_model", self.d_model),
            ("d_kv", self.d_kv),
            ("d_ff", self.d_ff),
            ("num_layers", self.num_layers),
            ("num_heads", self.num_heads),
            ("relative_attention_num_buckets", self.relative_attention_num_buckets),
        ] {
            if value == 0 {
                return Err(invalid(format!("{name} must be positive, got 0")));
            }
        }
        if !(0.0..1.0).contains(&self.dropout_rate) {
            return Err(invalid(format!("dropout_rate must lie in [0, 1), got {}", self.dropout_rate)));
        }
        if self.relative_attention_max_distance < self.relative_attention_num_buckets / 2 {
            return Err(invalid(format!(
                "relative_attention_max_distance {} is smaller than half the bucket count {}",
                self.relative_attention_max_distance, self.relative_attention_num_buckets
            )));
        }
        Ok(())
    }

    /// Parses `feed_forward_proj` the way transformers does: `ACT` or `gated-ACT`, where
    /// `gated-gelu` means the tanh approximation (`gelu_new`) for backward compatibility.
    pub fn feed_forward(&self, path: &Path) -> Result<FeedForwardKind> {
        let unknown = || ModelError::UnknownFeedForward { path: path.to_path_buf(), value: self.feed_forward_proj.clone() };
        let (gated, name) = match self.feed_forward_proj.split_once('-') {
            Some(("gated", name)) => (true, name),
            Some(_) => return Err(unknown()),
            None => (false, self.feed_forward_proj.as_str()),
        };
        let activation = match (gated, name) {
            (true, "gelu") => Activation::GeluTanh,
            (_, "gelu_new") | (_, "gelu_pytorch_tanh") => Activation::GeluTanh,
            (false, "gelu") => Activation::GeluErf,
            (_, "relu") => Activation::Relu,
            (_, "silu") | (_, "swish") => Activation::Silu,
            _ => return Err(unknown()),
        };
        Ok(FeedForwardKind { activation, gated })
    }

    /// Returns the number of decoder blocks. Configs without `num_decoder_layers` mirror the encoder.
    pub fn decoder_layers(&self) -> usize {
        self.num_decoder_layers.unwrap_or(self.num_layers)
    }

    /// Returns true when decoder outputs are multiplied by d_model^-0.5 before the head. transformers 4
    /// scales exactly when the embeddings are tied; transformers 5 writes the choice out.
    pub fn scales_decoder_output(&self) -> bool {
        self.scale_decoder_outputs.unwrap_or(self.tie_word_embeddings)
    }

    /// Returns the width of the attention projections (`num_heads * d_kv`), which need not equal d_model.
    pub fn inner_dim(&self) -> usize {
        self.num_heads * self.d_kv
    }

    /// Lists every weight of the model with its shape, in checkpoint naming. The shared
    /// embedding appears once; `lm_head.weight` only when the head is not tied.
    pub fn weight_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let (d, inner, ff) = (self.d_model, self.inner_dim(), self.d_ff);
        let gated = self.feed_forward_proj.starts_with("gated-");
        let mut shapes = vec![("shared.weight".to_string(), vec![self.vocab_size, d])];
        let stacks = [("encoder", self.num_layers, false), ("decoder", self.decoder_layers(), true)];
        for (stack, layers, is_decoder) in stacks {
            for i in 0..layers {
                let block = format!("{stack}.block.{i}.layer");
                let mut attention = |name: String| {
                    for p in ["q", "k", "v"] {
                        shapes.push((format!("{name}.{p}.weight"), vec![inner, d]));
                    }
                    shapes.push((format!("{name}.o.weight"), vec![d, inner]));
                };
                attention(format!("{block}.0.SelfAttention"));
                if is_decoder {
                    attention(format!("{block}.1.EncDecAttention"));
                }
                let ff_index = if is_decoder { 2 } else { 1 };
                for norm in 0..=ff_index {
                    shapes.push((format!("{block}.{norm}.layer_norm.weight"), vec![d]));
                }
                let dense = format!("{block}.{ff_index}.DenseReluDense");
                if gated {
                    shapes.push((format!("{dense}.wi_0.weight"), vec![ff, d]));
                    shapes.push((format!("{dense}.wi_1.weight"), vec![ff, d]));
                } else {
                    shapes.push((format!("{dense}.wi.weight"), vec![ff, d]));
                }
                shapes.push((format!("{dense}.wo.weight"), vec![d, ff]));
            }
            shapes.push((
                format!("{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
                vec![self.relative_attention_num_buckets, self.num_heads],
            ));
            shapes.push((format!("{stack}.final_layer_norm.weight"), vec![d]));
        }
        if !self.tie_word_embeddings {
            shapes.push(("lm_head.weight".to_string(), vec![self.vocab_size, d]));
        }
        shapes
    }

    /// Counts parameters from the configuration alone, the way `model.num_parameters()` counts
    /// them in transformers: the shared embedding once, plus `lm_head` when it is not tied.
    pub fn parameter_count(&self) -> u64 {
        self.weight_shapes().iter().map(|(_, shape)| shape.iter().product::<usize>() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ff: &str) -> T5Config {
        let text = format!(
            r#"{{"vocab_size": 10, "d_model": 4, "d_kv": 2, "d_ff": 8, "num_layers": 1, "num_heads": 2, "feed_forward_proj": "{ff}"}}"#
        );
        T5Config::from_json(&text, Path::new("config.json")).unwrap()
    }

    #[test]
    fn gated_gelu_uses_tanh_approximation() {
        let kind = config("gated-gelu").feed_forward(Path::new("c")).unwrap();
        assert_eq!(kind, FeedForwardKind { activation: Activation::GeluTanh, gated: true });
    }

    #[test]
    fn plain_gelu_is_exact() {
        let kind = config("gelu").feed_forward(Path::new("c")).unwrap();
        assert_eq!(kind, FeedForwardKind { activation: Activation::GeluErf, gated: false });
    }

    #[test]
    fn defaults_fill_missing_keys() {
        let c = config("relu");
        assert_eq!(c.relative_attention_max_distance, 128);
        assert_eq!(c.relative_attention_num_buckets, 32);
        assert_eq!(c.decoder_layers(), 1);
        assert!(c.scales_decoder_output());
    }
}
