//! Batched greedy decoding with a key/value cache, for evaluation.
//!
//! Matches `model.generate(do_sample=False, num_beams=1)` in transformers: start from the
//! decoder start token, take the arg-max token each step, and once a row has emitted `</s>`
//! fill it with the padding id. Decoding stops when every row has finished or after
//! `max_new_tokens` steps, so the output may be shorter than `1 + max_new_tokens` columns.

use candle_core::{DType, Tensor, D};

use super::model::T5Model;
use crate::dropout::Dropout;
use crate::error::Result;

impl T5Model {
    /// Greedily generates up to `max_new_tokens` tokens after the start token for each row of
    /// an already-encoded batch. Returns one id sequence per row, starting with the start token.
    pub fn generate_from_encoded(&self, encoder_hidden: &Tensor, encoder_mask: &Tensor, max_new_tokens: usize) -> Result<Vec<Vec<u32>>> {
        let _span = tracing::trace_span!("t5_generate", max_new_tokens).entered();
        let batch = encoder_hidden.dim(0)?;
        let (start, eos, pad) = (self.config.decoder_start_token_id, self.config.eos_token_id, self.config.pad_token_id);
        let mut sequences: Vec<Vec<u32>> = vec![vec![start]; batch];
        let mut finished = vec![false; batch];
        let mut cache = self.start_decoding(encoder_hidden)?;
        let mut next = vec![start; batch];
        for _ in 0..max_new_tokens {
            let ids = Tensor::from_vec(next.clone(), (batch, 1), self.device())?;
            let logits = self.decode_step(&ids, encoder_mask, &mut cache)?;
            let best = logits.argmax(D::Minus1)?.to_dtype(DType::U32)?.to_vec1::<u32>()?;
            for (row, token) in best.into_iter().enumerate() {
                let token = if finished[row] { pad } else { token };
                if token == eos {
                    finished[row] = true;
                }
                sequences[row].push(token);
                next[row] = token;
            }
            if finished.iter().all(|f| *f) {
                break;
            }
        }
        Ok(sequences)
    }

    /// Encodes token ids (or prompt-prefixed embeddings) and decodes greedily.
    pub fn generate(&self, inputs_embeds: &Tensor, attention_mask: &Tensor, max_new_tokens: usize) -> Result<Vec<Vec<u32>>> {
        let encoded = self.encode_embeds(inputs_embeds, attention_mask, &Dropout::off())?;
        self.generate_from_encoded(&encoded, attention_mask, max_new_tokens)
    }
}
