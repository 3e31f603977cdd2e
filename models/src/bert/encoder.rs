//! One post-LN BERT encoder layer (`BertLayer` in transformers): multi-head self-attention and
//! a GELU feed-forward block, each followed by dropout, a residual add and layer norm, as in
//! Vaswani et al. 2017 and Devlin et al. 2019.
//!
//! Dropout sites match transformers' BERT: the attention probabilities, the attention output
//! projection before its residual add, and the feed-forward output projection before its
//! residual add. The feed-forward hidden layer has no dropout in BERT, unlike T5.

use candle_core::{Result, Tensor};

use super::config::BertConfig;
use super::layers::{activate, Dense, LayerNorm};
use crate::checkpoint::Checkpoint;
use crate::dropout::Dropout;
use crate::t5::layers::softmax_last_dim;
use crate::t5::Activation;

/// Multi-head self-attention with biased query, key and value projections.
pub struct SelfAttention {
    pub query: Dense,
    pub key: Dense,
    pub value: Dense,
    pub heads: usize,
    pub head_dim: usize,
}

impl SelfAttention {
    /// Projects `[batch, len, hidden]` to `[batch, heads, len, head_dim]`.
    fn split_heads(&self, xs: &Tensor, projection: &Dense) -> Result<Tensor> {
        let (batch, len, _) = xs.dims3()?;
        projection.forward(xs)?.reshape((batch, len, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    /// Attends from every position to every position. `mask` is additive, broadcastable to
    /// `[batch, heads, len, len]`: 0 for keys to keep, a large negative value for padding.
    /// Returns the concatenated heads, `[batch, len, hidden]`, before the output projection.
    pub fn forward(&self, xs: &Tensor, mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let (batch, len, _) = xs.dims3()?;
        let queries = self.split_heads(xs, &self.query)?;
        let keys = self.split_heads(xs, &self.key)?;
        let values = self.split_heads(xs, &self.value)?;
        // Scaled dot-product attention: dividing by sqrt(head_dim) keeps the logits' variance
        // independent of the head width (Vaswani et al. 2017, section 3.2.1).
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = (queries.matmul(&keys.t()?)? * scale)?.broadcast_add(mask)?;
        let probs = dropout.apply(&softmax_last_dim(&scores)?)?;
        let context = probs.matmul(&values)?;
        context.transpose(1, 2)?.reshape((batch, len, self.heads * self.head_dim))
    }
}

/// A projection followed by dropout, a residual add and layer norm (`BertSelfOutput` and
/// `BertOutput` in transformers).
pub struct ResidualNorm {
    pub dense: Dense,
    pub norm: LayerNorm,
}

impl ResidualNorm {
    fn load(checkpoint: &Checkpoint, name: &str, out_features: usize, in_features: usize, eps: f64) -> crate::Result<Self> {
        Ok(Self {
            dense: Dense::load(checkpoint, &format!("{name}.dense"), out_features, in_features)?,
            norm: LayerNorm::load(checkpoint, &format!("{name}.LayerNorm"), out_features, eps)?,
        })
    }

    /// Computes `LayerNorm(dropout(dense(xs)) + residual)`.
    pub fn forward(&self, xs: &Tensor, residual: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let projected = dropout.apply(&self.dense.forward(xs)?)?;
        self.norm.forward(&(projected + residual)?)
    }
}

/// One encoder layer.
pub struct EncoderLayer {
    pub attention: SelfAttention,
    pub attention_output: ResidualNorm,
    pub intermediate: Dense,
    pub activation: Activation,
    pub output: ResidualNorm,
}

impl EncoderLayer {
    /// Reads the layer's weights under `name` (for example `encoder.layer.0`), shape-checked.
    pub fn load(checkpoint: &Checkpoint, name: &str, config: &BertConfig, activation: Activation) -> crate::Result<Self> {
        let (d, ff, eps) = (config.hidden_size, config.intermediate_size, config.layer_norm_eps);
        let attention = SelfAttention {
            query: Dense::load(checkpoint, &format!("{name}.attention.self.query"), d, d)?,
            key: Dense::load(checkpoint, &format!("{name}.attention.self.key"), d, d)?,
            value: Dense::load(checkpoint, &format!("{name}.attention.self.value"), d, d)?,
            heads: config.num_attention_heads,
            head_dim: config.head_dim(),
        };
        Ok(Self {
            attention,
            attention_output: ResidualNorm::load(checkpoint, &format!("{name}.attention.output"), d, d, eps)?,
            intermediate: Dense::load(checkpoint, &format!("{name}.intermediate.dense"), ff, d)?,
            activation,
            output: ResidualNorm::load(checkpoint, &format!("{name}.output"), d, ff, eps)?,
        })
    }

    /// Runs the layer on `[batch, len, hidden]` with an additive `[batch, 1, 1, len]` mask.
    pub fn forward(&self, hidden: &Tensor, mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let attended = self.attention.forward(hidden, mask, dropout)?;
        let hidden = self.attention_output.forward(&attended, hidden, dropout)?;
        let intermediate = activate(&self.intermediate.forward(&hidden)?, self.activation)?;
        self.output.forward(&intermediate, &hidden, dropout)
    }
}
