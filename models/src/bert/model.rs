//! The BERT encoder (`BertModel` in transformers, without the pooler) with frozen weights and
//! soft-prompt input, after Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional
//! Transformers for Language Understanding".
//!
//! Weights are plain tensors, so autograd never tracks a gradient for them. Gradients flow
//! only to what the caller feeds in (a soft prompt) and to heads built on the output. The pooler
//! (`pooler.dense`) is not loaded because sentence encoders such as all-MiniLM-L6-v2 pool by
//! averaging instead.
//!
//! Load a model fetched with `scripts/fetch-minilm.sh` through [`BertModel::load`].

use std::path::Path;

use candle_core::{Device, Tensor};

use super::config::BertConfig;
use super::embeddings::Embeddings;
use super::encoder::EncoderLayer;
use super::pooling::mean_pool;
use crate::checkpoint::{Checkpoint, ModelFiles};
use crate::dropout::Dropout;
use crate::error::{ModelError, Result};
use crate::prompt::prepend_prompt;
use crate::t5::attention::padding_mask;

/// The prefix `BertFor*` task checkpoints put before every encoder tensor name.
const TASK_MODEL_PREFIX: &str = "bert.";

/// The encoder's output for a batch, with the attention mask it ran with.
pub struct BertOutput {
    /// The last layer's hidden states, `[batch, prompt_len + len, hidden]`, with the soft
    /// prompt's positions first.
    pub hidden: Tensor,
    /// The `[batch, prompt_len + len]` 0/1 mask: `prompt_len` ones, then the input mask.
    pub attention_mask: Tensor,
    /// The number of soft-prompt positions in front of the tokens (0 without a prompt).
    pub prompt_len: usize,
}

impl BertOutput {
    /// Averages the hidden states over every position the mask marks as real, soft-prompt
    /// positions included: `[batch, hidden]`.
    ///
    /// The prompt positions are pooled because sentence-transformers' mean pooling averages
    /// over every position the encoder attended to, and the prompt's output states are then a
    /// direct path from the prompt to the sentence embedding. Pool the text alone with
    /// [`mean_pool`] on `hidden.narrow(1, prompt_len, len)` and the input mask.
    pub fn mean_pool(&self) -> Result<Tensor> {
        mean_pool(&self.hidden, &self.attention_mask)
    }
}

/// A loaded BERT-family encoder.
pub struct BertModel {
    pub config: BertConfig,
    embeddings: Embeddings,
    layers: Vec<EncoderLayer>,
    device: Device,
}

impl BertModel {
    /// Loads an encoder from a directory in Hugging Face layout (`config.json` and
    /// `model.safetensors` or `pytorch_model.bin`).
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        let files = ModelFiles::locate(dir)?;
        let config = BertConfig::from_file(&files.config)?;
        let checkpoint = Checkpoint::load(files, device)?;
        Self::from_checkpoint(config, &checkpoint)
    }

    /// Builds the encoder from loaded tensors, checking every shape against the config. Tensor
    /// names may carry the `bert.` prefix of `BertForSequenceClassification`-style checkpoints.
    pub fn from_checkpoint(config: BertConfig, checkpoint: &Checkpoint) -> Result<Self> {
        let _span = tracing::info_span!("bert_build", layers = config.num_hidden_layers, hidden = config.hidden_size).entered();
        let activation = config.activation(&checkpoint.files.config)?;
        let prefix = if checkpoint.contains(&format!("{TASK_MODEL_PREFIX}embeddings.word_embeddings.weight")) {
            TASK_MODEL_PREFIX
        } else {
            ""
        };
        let embeddings = Embeddings::load(checkpoint, prefix, &config)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            layers.push(EncoderLayer::load(checkpoint, &format!("{prefix}encoder.layer.{i}"), &config, activation)?);
        }
        let device = embeddings.word.device().clone();
        Ok(Self { config, embeddings, layers, device })
    }

    /// Returns the device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Returns the width of every hidden state and embedding row (`hidden_size`).
    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// Returns the frozen `[vocab, hidden]` word embedding table, for initialising prompts
    /// from vocabulary rows.
    pub fn embedding_table(&self) -> &Tensor {
        &self.embeddings.word
    }

    /// Looks up word embeddings: `[batch, len]` ids to `[batch, len, hidden]`, before position
    /// and token type embeddings are added.
    pub fn embed(&self, input_ids: &Tensor) -> Result<Tensor> {
        self.embeddings.words(input_ids)
    }

    /// Returns a dropout switch at the config's `hidden_dropout_prob`, for training.
    ///
    /// NOTE: one [`Dropout`] serves every site, so attention probabilities are dropped at
    /// `hidden_dropout_prob` too. The two rates are equal (0.1) in BERT and MiniLM configs.
    pub fn training_dropout(&self, seed: u64) -> Dropout {
        Dropout::new(self.config.hidden_dropout_prob as f32, seed)
    }

    /// Runs the encoder on token ids with a `[batch, len]` 0/1 attention mask and returns the
    /// last hidden states, `[batch, len, hidden]`.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        Ok(self.forward_with_prompt(None, input_ids, attention_mask, dropout)?.hidden)
    }

    /// Runs the encoder with a soft prompt in front of every row.
    ///
    /// The prompt is `[n, hidden]` (shared by all rows) or `[batch, n, hidden]` (one per row).
    /// Its vectors take the first `n` word-embedding slots, so they get positions `0..n` and
    /// token type 0 added like any token, and the text moves to positions `n..n + len`. This is
    /// what transformers' `BertModel` computes for `inputs_embeds = concat(prompt, embed(ids))`,
    /// the input that prompt tuning through transformers uses, so results stay comparable.
    /// The returned mask has `n` ones in front of `attention_mask`.
    pub fn forward_with_prompt(&self, prompt: Option<&Tensor>, input_ids: &Tensor, attention_mask: &Tensor, dropout: &Dropout) -> Result<BertOutput> {
        let (batch, len) = input_ids.dims2()?;
        if attention_mask.dims() != [batch, len] {
            return Err(ModelError::InvalidInput(format!(
                "attention_mask has shape {:?} but input_ids has shape [{batch}, {len}]",
                attention_mask.dims()
            )));
        }
        let words = self.embed(input_ids)?;
        let (word_slots, attention_mask) = match prompt {
            None => (words, attention_mask.clone()),
            Some(prompt) => prepend_prompt(prompt, &words, attention_mask)?,
        };
        let prompt_len = word_slots.dim(1)? - len;
        let hidden = self.encode_slots(&word_slots, &attention_mask, dropout)?;
        Ok(BertOutput { hidden, attention_mask, prompt_len })
    }

    /// Runs embeddings and every layer on `[batch, len, hidden]` word-slot vectors.
    fn encode_slots(&self, word_slots: &Tensor, attention_mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let _span = tracing::trace_span!("bert_encoder").entered();
        let mask = padding_mask(attention_mask)?;
        let mut hidden = self.embeddings.finish(word_slots, dropout)?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &mask, dropout)?;
        }
        Ok(hidden)
    }
}
