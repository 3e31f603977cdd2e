//! Tokenizing formatted examples with a Hugging Face `tokenizer.json` and packing them into
//! padded batches as flat row-major vectors plus a shape, ready for `Tensor::from_vec`.
//!
//! Truncation keeps room for the soft prompt: a source gets at most `max_source_len - prompt_len`
//! tokens, its last one always `</s>`, because the model prepends `prompt_len` vectors to the
//! encoder input and `max_source_len` bounds that whole sequence. Attention masks here cover
//! only the tokens; the model adds the prompt's ones in front. Batches are padded to their own
//! longest row, not to the limit.

use std::path::Path;

use tokenizers::Tokenizer;

use crate::error::{DatasetError, Result};
use crate::protocol::{ResolvedProtocol, TextPair};

/// The label value the loss ignores (PyTorch's and candle's cross-entropy convention).
pub const IGNORE_INDEX: i64 = -100;

/// Token ids of one example, with `</s>` at the end of each sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub source_ids: Vec<u32>,
    /// Empty for an unlabelled example.
    pub target_ids: Vec<u32>,
    /// Whether the source or target was cut to fit.
    pub truncated: bool,
}

/// Tokenizes text pairs within a protocol's length limits.
pub struct Encoder {
    tokenizer: Tokenizer,
    max_source_tokens: usize,
    max_target_len: usize,
    eos_id: u32,
    pad_id: u32,
}

impl Encoder {
    /// Loads `tokenizer.json` and applies the protocol's limits for a prompt of `prompt_len`
    /// vectors (0 for full fine-tuning).
    pub fn from_file(path: &Path, protocol: &ResolvedProtocol, prompt_len: usize) -> Result<Self> {
        let tokenizer = Tokenizer::from_file(path).map_err(|e| DatasetError::Tokenizer {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::new(
            tokenizer,
            protocol.max_source_len,
            protocol.max_target_len,
            prompt_len,
        )
    }

    /// Wraps a tokenizer that has T5's `</s>` and `<pad>` tokens.
    pub fn new(
        tokenizer: Tokenizer,
        max_source_len: usize,
        max_target_len: usize,
        prompt_len: usize,
    ) -> Result<Self> {
        let token_id = |token: &str| {
            tokenizer
                .token_to_id(token)
                .ok_or_else(|| DatasetError::InvalidConfig {
                    field: "tokenizer",
                    value: token.to_string(),
                    reason: "the vocabulary has no such token; a T5 tokenizer has </s> and <pad>"
                        .to_string(),
                })
        };
        let eos_id = token_id("</s>")?;
        let pad_id = token_id("<pad>")?;
        // Two tokens is the minimum: one text token and `</s>`.
        if max_source_len < prompt_len + 2 {
            return Err(DatasetError::InvalidConfig {
                field: "max_source_len",
                value: max_source_len.to_string(),
                reason: format!("must be at least the prompt length {prompt_len} plus 2"),
            });
        }
        if max_target_len < 2 {
            return Err(DatasetError::InvalidConfig {
                field: "max_target_len",
                value: max_target_len.to_string(),
                reason: "must be at least 2".to_string(),
            });
        }
        Ok(Encoder {
            tokenizer,
            max_source_tokens: max_source_len - prompt_len,
            max_target_len,
            eos_id,
            pad_id,
        })
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    pub fn eos_id(&self) -> u32 {
        self.eos_id
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Tokenizes a text, cuts it to `limit - 1` tokens and appends `</s>`.
    fn ids(&self, text: &str, limit: usize) -> Result<(Vec<u32>, bool)> {
        // Special tokens are added by hand so the result does not depend on whether the
        // tokenizer file carries a post-processor.
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| DatasetError::Tokenize {
                text: text.chars().take(80).collect(),
                message: e.to_string(),
            })?;
        let mut ids = encoding.get_ids().to_vec();
        let truncated = ids.len() + 1 > limit;
        ids.truncate(limit - 1);
        ids.push(self.eos_id);
        Ok((ids, truncated))
    }

    pub fn encode(&self, pair: &TextPair) -> Result<Encoded> {
        let (source_ids, source_cut) = self.ids(&pair.source, self.max_source_tokens)?;
        let (target_ids, target_cut) = match &pair.target {
            Some(target) => self.ids(target, self.max_target_len)?,
            None => (Vec::new(), false),
        };
        Ok(Encoded {
            source_ids,
            target_ids,
            truncated: source_cut || target_cut,
        })
    }

    /// Encodes every pair and logs how many were truncated.
    pub fn encode_all(&self, pairs: &[TextPair]) -> Result<Vec<Encoded>> {
        let encoded = pairs
            .iter()
            .map(|p| self.encode(p))
            .collect::<Result<Vec<_>>>()?;
        let truncated = encoded.iter().filter(|e| e.truncated).count();
        if truncated > 0 {
            tracing::info!(
                truncated,
                total = encoded.len(),
                max_source_tokens = self.max_source_tokens,
                "examples truncated to the length limits"
            );
        }
        Ok(encoded)
    }

    /// Decodes generated ids to text, dropping special tokens, for
    /// [`ResolvedProtocol::parse_prediction`].
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| DatasetError::Tokenize {
                text: format!("{ids:?}"),
                message: e.to_string(),
            })
    }
}

/// A padded batch. `input_ids` and `attention_mask` are `rows x source_len`, `labels` is
/// `rows x target_len`, all row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub rows: usize,
    pub source_len: usize,
    /// 0 when no example of the batch has a target.
    pub target_len: usize,
    /// Padded with the `<pad>` id.
    pub input_ids: Vec<u32>,
    /// 1 for tokens, 0 for padding.
    pub attention_mask: Vec<u32>,
    /// Target ids, padded with [`IGNORE_INDEX`].
    pub labels: Vec<i64>,
    /// The position of each row's example in the encoded list, to put predictions back in order.
    pub examples: Vec<usize>,
}

impl Batch {
    /// Returns the shape of `input_ids` and `attention_mask`: `(rows, source_len)`.
    pub fn input_shape(&self) -> (usize, usize) {
        (self.rows, self.source_len)
    }

    /// Returns the shape of `labels`: `(rows, target_len)`.
    pub fn labels_shape(&self) -> (usize, usize) {
        (self.rows, self.target_len)
    }

    /// Pads the given examples into one batch.
    pub fn new(encoded: &[Encoded], indices: &[usize], pad_id: u32) -> Batch {
        let rows = indices.len();
        let source_len = indices
            .iter()
            .map(|&i| encoded[i].source_ids.len())
            .max()
            .unwrap_or(0);
        let target_len = indices
            .iter()
            .map(|&i| encoded[i].target_ids.len())
            .max()
            .unwrap_or(0);
        let mut input_ids = Vec::with_capacity(rows * source_len);
        let mut attention_mask = Vec::with_capacity(rows * source_len);
        let mut labels = Vec::with_capacity(rows * target_len);
        for &i in indices {
            let source = &encoded[i].source_ids;
            input_ids.extend_from_slice(source);
            input_ids.resize(input_ids.len() + source_len - source.len(), pad_id);
            attention_mask.extend(std::iter::repeat_n(1, source.len()));
            attention_mask.extend(std::iter::repeat_n(0, source_len - source.len()));
            let target = &encoded[i].target_ids;
            labels.extend(target.iter().map(|&id| i64::from(id)));
            labels.extend(std::iter::repeat_n(IGNORE_INDEX, target_len - target.len()));
        }
        Batch {
            rows,
            source_len,
            target_len,
            input_ids,
            attention_mask,
            labels,
            examples: indices.to_vec(),
        }
    }
}

/// Training batches in the given order (for example from [`crate::split::epoch_order`]). The
/// last batch may be smaller.
pub fn training_batches(
    encoded: &[Encoded],
    order: &[usize],
    batch_size: usize,
    pad_id: u32,
) -> Vec<Batch> {
    order
        .chunks(batch_size.max(1))
        .map(|chunk| Batch::new(encoded, chunk, pad_id))
        .collect()
}

/// Evaluation batches of examples with similar source lengths, longest first, so padding is
/// small and an out-of-memory error shows up on the first batch. Use [`Batch::examples`] to
/// restore the original order.
pub fn evaluation_batches(encoded: &[Encoded], batch_size: usize, pad_id: u32) -> Vec<Batch> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    // A stable sort keeps file order among equal lengths, so batches are deterministic.
    order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].source_ids.len()));
    training_batches(encoded, &order, batch_size, pad_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(source: &[u32], target: &[u32]) -> Encoded {
        Encoded {
            source_ids: source.to_vec(),
            target_ids: target.to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn batch_pads_inputs_and_labels() {
        let rows = vec![encoded(&[5, 6, 1], &[7, 1]), encoded(&[8, 1], &[9, 10, 1])];
        let batch = Batch::new(&rows, &[0, 1], 0);
        assert_eq!(batch.input_shape(), (2, 3));
        assert_eq!(batch.labels_shape(), (2, 3));
        assert_eq!(batch.input_ids, vec![5, 6, 1, 8, 1, 0]);
        assert_eq!(batch.attention_mask, vec![1, 1, 1, 1, 1, 0]);
        assert_eq!(batch.labels, vec![7, 1, -100, 9, 10, 1]);
    }

    #[test]
    fn evaluation_batches_bucket_by_length() {
        let rows = vec![
            encoded(&[1], &[]),
            encoded(&[2, 2, 2, 1], &[]),
            encoded(&[3, 1], &[]),
            encoded(&[4, 4, 4, 1], &[]),
        ];
        let batches = evaluation_batches(&rows, 2, 0);
        assert_eq!(batches[0].examples, vec![1, 3]);
        assert_eq!(batches[1].examples, vec![2, 0]);
        assert_eq!(batches[1].source_len, 2);
        assert_eq!(batches[0].target_len, 0);
        assert!(batches[0].labels.is_empty());
    }

    #[test]
    fn training_batches_follow_order() {
        let rows: Vec<Encoded> = (0..5).map(|i| encoded(&[i, 1], &[1])).collect();
        let batches = training_batches(&rows, &[4, 0, 3, 1, 2], 2, 0);
        let order: Vec<Vec<usize>> = batches.iter().map(|b| b.examples.clone()).collect();
        assert_eq!(order, vec![vec![4, 0], vec![3, 1], vec![2]]);
    }
}
