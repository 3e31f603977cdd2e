//! BERT's input embeddings (`BertEmbeddings` in transformers): word, absolute position and
//! token type embeddings summed, then layer norm and dropout, as in Devlin et al. 2019,
//! section 3 ("Input/Output Representations").
//!
//! A soft prompt enters here: its vectors take the place of word embeddings in the first `n`
//! slots, and every slot then gets its position and token type embedding added.

use candle_core::Tensor;

use super::config::BertConfig;
use super::layers::LayerNorm;
use crate::checkpoint::Checkpoint;
use crate::dropout::Dropout;
use crate::error::{ModelError, Result};
use crate::t5::layers::embed;

/// The three embedding tables and the layer norm that follows their sum.
pub struct Embeddings {
    /// `[vocab, hidden]`.
    pub word: Tensor,
    /// `[max_position_embeddings, hidden]`.
    pub position: Tensor,
    /// `[type_vocab_size, hidden]`.
    pub token_type: Tensor,
    pub norm: LayerNorm,
}

impl Embeddings {
    /// Reads the tables under `{prefix}embeddings.`, shape-checked against the config.
    pub fn load(checkpoint: &Checkpoint, prefix: &str, config: &BertConfig) -> Result<Self> {
        let d = config.hidden_size;
        let name = |part: &str| format!("{prefix}embeddings.{part}");
        Ok(Self {
            word: checkpoint.get(&name("word_embeddings.weight"), &[config.vocab_size, d])?,
            position: checkpoint.get(&name("position_embeddings.weight"), &[config.max_position_embeddings, d])?,
            token_type: checkpoint.get(&name("token_type_embeddings.weight"), &[config.type_vocab_size, d])?,
            norm: LayerNorm::load(checkpoint, &name("LayerNorm"), d, config.layer_norm_eps)?,
        })
    }

    /// Looks up word embeddings: `[batch, len]` ids to `[batch, len, hidden]`.
    pub fn words(&self, input_ids: &Tensor) -> Result<Tensor> {
        Ok(embed(input_ids, &self.word)?)
    }

    /// Adds position and token type embeddings to `[batch, len, hidden]` word-slot vectors,
    /// then applies layer norm and dropout.
    ///
    /// Positions run `0..len` over the whole sequence, prompt slots included, which is what
    /// transformers' `BertModel` does for `inputs_embeds` without explicit `position_ids`
    /// (and so what prompt tuning through transformers trains against). Every slot gets token
    /// type 0, the default when `token_type_ids` is omitted.
    ///
    /// NOTE: the second segment of a sentence pair gets token type 0 here, whereas the
    /// tokenizer's pair template would give it type 1. all-MiniLM-L6-v2 was trained on single
    /// sequences, so this matters only for BERT checkpoints pretrained on segment pairs.
    pub fn finish(&self, word_slots: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let (_, len, _) = word_slots.dims3()?;
        let max = self.position.dim(0)?;
        if len > max {
            return Err(ModelError::InvalidInput(format!(
                "sequence of {len} positions (soft prompt included) exceeds max_position_embeddings {max}; shorten the input or the prompt"
            )));
        }
        let positions = self.position.narrow(0, 0, len)?;
        let token_type = self.token_type.narrow(0, 0, 1)?.squeeze(0)?;
        let summed = word_slots.broadcast_add(&positions)?.broadcast_add(&token_type)?;
        let normed = self.norm.forward(&summed)?;
        Ok(dropout.apply(&normed)?)
    }
}
