//! Turning sentences into padded `input_ids` and `attention_mask` tensors for the encoder, the
//! way transformers' tokenizer call with `padding=True` does.

use candle_core::{Device, Tensor};

use crate::error::{ModelError, Result};

/// A padded batch: both tensors are `[batch, len]` u32, with `len` the longest row.
pub struct EncodedBatch {
    pub input_ids: Tensor,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Tensor,
}

/// Tokenizes `texts` with special tokens (`[CLS] ... [SEP]` for BERT) and right-pads every row
/// with `pad_token_id` to the longest one.
///
/// Padding configured in `tokenizer.json` is discarded, because all-MiniLM-L6-v2's file pads
/// to a fixed 128 tokens, which would make every batch 128 wide. Truncation configured there
/// still applies.
///
/// NOTE: all-MiniLM-L6-v2's `tokenizer.json` truncates at 128 tokens, while
/// sentence-transformers truncates at its `max_seq_length` of 256, so longer texts differ.
pub fn encode_batch(tokenizer: &tokenizers::Tokenizer, texts: &[&str], pad_token_id: u32, device: &Device) -> Result<EncodedBatch> {
    if texts.is_empty() {
        return Err(ModelError::InvalidInput("cannot encode an empty batch of texts".to_string()));
    }
    let mut rows = Vec::with_capacity(texts.len());
    for text in texts {
        let encoding = tokenizer
            .encode(*text, true)
            .map_err(|e| ModelError::InvalidInput(format!("cannot tokenize {text:?}: {e}")))?;
        // Keep only the positions the tokenizer's own padding did not add, wherever it put them.
        let ids: Vec<u32> = encoding
            .get_ids()
            .iter()
            .zip(encoding.get_attention_mask())
            .filter(|(_, keep)| **keep == 1)
            .map(|(id, _)| *id)
            .collect();
        rows.push(ids);
    }
    let len = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(rows.len() * len);
    let mut mask = Vec::with_capacity(rows.len() * len);
    for row in &rows {
        ids.extend_from_slice(row);
        ids.extend(std::iter::repeat_n(pad_token_id, len - row.len()));
        mask.extend(std::iter::repeat_n(1u32, row.len()));
        mask.extend(std::iter::repeat_n(0u32, len - row.len()));
    }
    Ok(EncodedBatch {
        input_ids: Tensor::from_vec(ids, (rows.len(), len), device)?,
        attention_mask: Tensor::from_vec(mask, (rows.len(), len), device)?,
    })
}
