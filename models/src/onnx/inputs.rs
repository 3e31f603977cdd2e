//! The token batches a cross-check feeds to both engines: padded encoder inputs and teacher-forced
//! decoder inputs.
//!
//! The harness builds them from real task examples, tokenized, padded and with labels shifted
//! right as in training. Without a task, [`CrosscheckInputs::fixed`] gives a deterministic set
//! whose lengths reach every kind of relative-position bucket: exact, logarithmic and saturated
//! (160 source and 136 target tokens exceed the largest `relative_attention_max_distance`, 128,
//! of the published T5 checkpoints).

use serde::{Deserialize, Serialize};

use super::error::{OnnxError, Result};
use crate::t5::T5Config;

/// One padded batch, row-major.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputBatch {
    pub rows: usize,
    pub source_len: usize,
    /// `rows x source_len` encoder token ids, padded.
    pub input_ids: Vec<i64>,
    /// `rows x source_len`, 1 for tokens and 0 for padding.
    pub attention_mask: Vec<i64>,
    pub target_len: usize,
    /// `rows x target_len` decoder input ids: the start token, then the labels shifted right.
    pub decoder_input_ids: Vec<i64>,
}

impl InputBatch {
    /// Builds a batch from padded encoder inputs and labels padded with -100, shifting the
    /// labels right behind `decoder_start` and turning ignored positions into `pad`, as
    /// transformers' `_shift_right` does.
    pub fn from_labels(source: (usize, usize), input_ids: &[u32], attention_mask: &[u32], target_len: usize, labels: &[i64], decoder_start: u32, pad: u32) -> Self {
        let (rows, source_len) = source;
        let mut decoder_input_ids = Vec::with_capacity(rows * target_len);
        for row in labels.chunks(target_len.max(1)).take(rows) {
            decoder_input_ids.push(i64::from(decoder_start));
            for &label in &row[..row.len().saturating_sub(1)] {
                decoder_input_ids.push(if label < 0 { i64::from(pad) } else { label });
            }
        }
        Self {
            rows,
            source_len,
            input_ids: input_ids.iter().map(|&id| i64::from(id)).collect(),
            attention_mask: attention_mask.iter().map(|&m| i64::from(m)).collect(),
            target_len,
            decoder_input_ids,
        }
    }

    /// Checks sizes, ids against the vocabulary and the mask's values.
    pub fn validate(&self, index: usize, vocab_size: usize) -> Result<()> {
        let invalid = |message: String| OnnxError::InvalidInput(format!("batch {index}: {message}"));
        if self.rows == 0 || self.source_len == 0 || self.target_len == 0 {
            return Err(invalid(format!("empty batch ({} rows, source {}, target {})", self.rows, self.source_len, self.target_len)));
        }
        for (name, len, expected) in [
            ("input_ids", self.input_ids.len(), self.rows * self.source_len),
            ("attention_mask", self.attention_mask.len(), self.rows * self.source_len),
            ("decoder_input_ids", self.decoder_input_ids.len(), self.rows * self.target_len),
        ] {
            if len != expected {
                return Err(invalid(format!("{name} has {len} values, expected {expected}")));
            }
        }
        if let Some(id) = self.input_ids.iter().chain(&self.decoder_input_ids).find(|&&id| id < 0 || id as usize >= vocab_size) {
            return Err(invalid(format!("token id {id} is outside the vocabulary of {vocab_size}; was the tokenizer made for this model?")));
        }
        if self.attention_mask.iter().any(|&m| m != 0 && m != 1) {
            return Err(invalid("attention_mask holds a value other than 0 and 1".to_string()));
        }
        // A row without any token would make every attention score masked.
        if self.attention_mask.chunks(self.source_len).any(|row| row.iter().all(|&m| m == 0)) {
            return Err(invalid("a row has no unmasked token".to_string()));
        }
        Ok(())
    }
}

/// The batches of one cross-check and where they came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrosscheckInputs {
    /// For the report, for example `fixed` or `cb validation, 16 examples`.
    pub source: String,
    pub batches: Vec<InputBatch>,
}

impl CrosscheckInputs {
    /// Builds a deterministic set of two batches for `config`'s vocabulary: three short rows of
    /// different lengths, and two long rows, one padded.
    pub fn fixed(config: &T5Config) -> Self {
        let batches = vec![
            fixed_batch(config, 0, &[9, 6, 3], &[5, 3, 2]),
            fixed_batch(config, 1, &[160, 97], &[136, 60]),
        ];
        Self { source: "fixed".to_string(), batches }
    }
}

/// Returns a token id from a fixed arithmetic sequence, never padding (0) or `</s>` (1).
fn token(vocab_size: usize, batch: usize, row: usize, position: usize) -> i64 {
    let span = vocab_size.saturating_sub(2).max(1) as u64;
    let mixed = (batch as u64 * 31 + row as u64 * 7919 + position as u64 * 104_729 + 13) % span;
    (mixed + 2) as i64
}

fn fixed_batch(config: &T5Config, batch: usize, source_lens: &[usize], target_lens: &[usize]) -> InputBatch {
    let rows = source_lens.len();
    let source_len = *source_lens.iter().max().unwrap_or(&1);
    let target_len = *target_lens.iter().max().unwrap_or(&1);
    let vocab = config.vocab_size;
    let pad = i64::from(config.pad_token_id);
    let mut input_ids = Vec::with_capacity(rows * source_len);
    let mut attention_mask = Vec::with_capacity(rows * source_len);
    let mut decoder_input_ids = Vec::with_capacity(rows * target_len);
    for (row, (&len, &target)) in source_lens.iter().zip(target_lens).enumerate() {
        for position in 0..source_len {
            let id = match position.cmp(&(len - 1)) {
                std::cmp::Ordering::Less => token(vocab, batch, row, position),
                std::cmp::Ordering::Equal => i64::from(config.eos_token_id),
                std::cmp::Ordering::Greater => pad,
            };
            input_ids.push(id);
            attention_mask.push(i64::from(position < len));
        }
        for position in 0..target_len {
            let id = if position == 0 {
                i64::from(config.decoder_start_token_id)
            } else if position < target {
                token(vocab, batch + 7, row, position)
            } else {
                pad
            };
            decoder_input_ids.push(id);
        }
    }
    InputBatch { rows, source_len, input_ids, attention_mask, target_len, decoder_input_ids }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn labels_are_shifted_right() {
        let batch = InputBatch::from_labels((2, 2), &[5, 1, 6, 1], &[1, 1, 1, 1], 3, &[7, 8, 1, 9, 1, -100], 0, 0);
        assert_eq!(batch.decoder_input_ids, vec![0, 7, 8, 0, 9, 1]);
        batch.validate(0, 10).unwrap();
    }

    #[test]
    fn fixed_set_is_valid_and_padded() {
        let text = r#"{"vocab_size": 100, "d_model": 4, "d_kv": 2, "d_ff": 8, "num_layers": 1, "num_heads": 2}"#;
        let config = T5Config::from_json(text, Path::new("config.json")).unwrap();
        let inputs = CrosscheckInputs::fixed(&config);
        assert_eq!(inputs.batches.len(), 2);
        for (i, batch) in inputs.batches.iter().enumerate() {
            batch.validate(i, config.vocab_size).unwrap();
        }
        let first = &inputs.batches[0];
        // Row 2 has 3 tokens: two drawn ids, then </s>, then padding.
        assert_eq!(&first.attention_mask[18..27], &[1, 1, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(first.input_ids[20], 1);
        assert_eq!(first.input_ids[21], 0);
        assert_eq!(inputs.batches[1].source_len, 160);
    }

    #[test]
    fn out_of_vocabulary_id_is_rejected() {
        let batch = InputBatch::from_labels((1, 2), &[5, 50], &[1, 1], 1, &[1], 0, 0);
        let message = batch.validate(3, 10).unwrap_err().to_string();
        assert!(message.contains("batch 3"), "{message}");
        assert!(message.contains("token id 50"), "{message}");
    }
}
