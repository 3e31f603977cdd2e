//! T5 multi-head attention with relative position bias, and the attention masks.
//!
//! Follows `T5Attention` in transformers 5.25: no 1/sqrt(d_kv) scaling (T5 folds it into the
//! initialisation), a learned bias per head and relative-position bucket that lives in the
//! first block of each stack and is shared by the later blocks, bidirectional buckets in the
//! encoder and unidirectional (causal) buckets in the decoder, and no bias for cross-attention.

use candle_core::{Device, Result, Tensor};

use super::layers::{linear, softmax_last_dim};
use crate::dropout::Dropout;

/// The additive value for masked positions: `torch.finfo(float32).min`, as transformers uses.
pub const MASK_VALUE: f32 = f32::MIN;

/// Maps a relative position (key index minus query index) to a bucket, as
/// `T5Attention._relative_position_bucket` does: exact buckets for small distances, then
/// logarithmically wider ones up to `max_distance`. Bidirectional stacks give half the buckets
/// to positive offsets; causal stacks bucket only past positions.
pub fn relative_position_bucket(relative_position: i64, bidirectional: bool, num_buckets: usize, max_distance: usize) -> u32 {
    let mut num_buckets = num_buckets as i64;
    let mut bucket = 0i64;
    let distance = if bidirectional {
        num_buckets /= 2;
        if relative_position > 0 {
            bucket += num_buckets;
        }
        relative_position.abs()
    } else {
        (-relative_position).max(0)
    };
    let max_exact = num_buckets / 2;
    if distance < max_exact {
        bucket += distance;
    } else {
        // transformers computes the log ratio in float32, with the denominator in double
        // precision (a Python float) rounded to float32; mirroring that keeps bucket edges equal.
        let ratio = (distance as f32 / max_exact as f32).ln();
        let denominator = (max_distance as f64 / max_exact as f64).ln() as f32;
        let large = max_exact + (ratio / denominator * (num_buckets - max_exact) as f32) as i64;
        bucket += large.min(num_buckets - 1);
    }
    bucket as u32
}

/// Builds the `[1, heads, q_len, k_len]` position bias for queries at positions
/// `offset..offset + q_len` against keys `0..k_len`, from a `[buckets, heads]` table.
pub fn position_bias(table: &Tensor, q_len: usize, k_len: usize, offset: usize, bidirectional: bool, max_distance: usize) -> Result<Tensor> {
    let (num_buckets, heads) = table.dims2()?;
    let mut buckets = Vec::with_capacity(q_len * k_len);
    for q in 0..q_len {
        for k in 0..k_len {
            let relative = k as i64 - (q + offset) as i64;
            buckets.push(relative_position_bucket(relative, bidirectional, num_buckets, max_distance));
        }
    }
    let ids = Tensor::from_vec(buckets, q_len * k_len, table.device())?;
    let values = table.index_select(&ids, 0)?; // [q * k, heads]
    values.reshape((q_len, k_len, heads))?.permute((2, 0, 1))?.unsqueeze(0)?.contiguous()
}

/// Turns a `[batch, k_len]` 0/1 key mask into an additive `[batch, 1, 1, k_len]` mask.
pub fn padding_mask(attention_mask: &Tensor) -> Result<Tensor> {
    let (batch, k_len) = attention_mask.dims2()?;
    let keep = attention_mask.to_dtype(candle_core::DType::F32)?;
    // (1 - keep) * MASK_VALUE, written without overflow: keep is exactly 0 or 1.
    let masked = ((keep - 1.0)? * (-(MASK_VALUE as f64)))?;
    masked.reshape((batch, 1, 1, k_len))
}

/// Builds the additive `[1, 1, q_len, k_len]` causal mask for queries at `offset..offset + q_len`.
pub fn causal_mask(q_len: usize, k_len: usize, offset: usize, device: &Device) -> Result<Tensor> {
    let mut values = Vec::with_capacity(q_len * k_len);
    for q in 0..q_len {
        for k in 0..k_len {
            values.push(if k > q + offset { MASK_VALUE } else { 0.0 });
        }
    }
    Tensor::from_vec(values, (1, 1, q_len, k_len), device)
}

/// Keys and values kept between decoding steps.
#[derive(Clone)]
pub struct KvCache {
    pub keys: Tensor,
    pub values: Tensor,
}

/// The four projections of one attention layer, as `[out, in]` weights.
pub struct Attention {
    pub q: Tensor,
    pub k: Tensor,
    pub v: Tensor,
    pub o: Tensor,
    pub heads: usize,
    pub d_kv: usize,
}

impl Attention {
    /// Projects `[batch, len, d_model]` to `[batch, heads, len, d_kv]`.
    fn split_heads(&self, xs: &Tensor, weight: &Tensor) -> Result<Tensor> {
        let (batch, len, _) = xs.dims3()?;
        linear(xs, weight)?.reshape((batch, len, self.heads, self.d_kv))?.transpose(1, 2)?.contiguous()
    }

    /// Computes the keys and values of `source` (for cross-attention, once per encoder output).
    pub fn project_kv(&self, source: &Tensor) -> Result<KvCache> {
        Ok(KvCache { keys: self.split_heads(source, &self.k)?, values: self.split_heads(source, &self.v)? })
    }

    /// Attends from `xs` to `kv` with the additive `bias` (position bias plus masks).
    pub fn attend(&self, xs: &Tensor, kv: &KvCache, bias: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let (batch, q_len, _) = xs.dims3()?;
        let queries = self.split_heads(xs, &self.q)?;
        let scores = queries.matmul(&kv.keys.t()?)?.broadcast_add(bias)?;
        let probs = dropout.apply(&softmax_last_dim(&scores)?)?;
        let context = probs.matmul(&kv.values)?; // [batch, heads, q_len, d_kv]
        let context = context.transpose(1, 2)?.reshape((batch, q_len, self.heads * self.d_kv))?;
        linear(&context, &self.o)
    }

    /// Self-attention over `xs`; with a cache, the new keys and values are appended to it.
    pub fn self_attend(&self, xs: &Tensor, bias: &Tensor, dropout: &Dropout, cache: Option<&mut Option<KvCache>>) -> Result<Tensor> {
        let fresh = self.project_kv(xs)?;
        match cache {
            None => self.attend(xs, &fresh, bias, dropout),
            Some(slot) => {
                let kv = match slot.take() {
                    None => fresh,
                    Some(past) => KvCache {
                        keys: Tensor::cat(&[&past.keys, &fresh.keys], 2)?,
                        values: Tensor::cat(&[&past.values, &fresh.values], 2)?,
                    },
                };
                let out = self.attend(xs, &kv, bias, dropout)?;
                *slot = Some(kv);
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values computed by hand from the transformers formula with 32 buckets and max distance 128.
    #[test]
    fn bidirectional_buckets() {
        let b = |r| relative_position_bucket(r, true, 32, 128);
        assert_eq!(b(0), 0);
        assert_eq!(b(-3), 3);
        assert_eq!(b(3), 19);
        assert_eq!(b(-7), 7);
        // 8 + floor(ln(20 / 8) / ln(128 / 8) * 8) = 8 + floor(2.64) = 10.
        assert_eq!(b(-20), 10);
        assert_eq!(b(-1000), 15);
        assert_eq!(b(1000), 31);
    }

    #[test]
    fn causal_buckets_ignore_future() {
        let b = |r| relative_position_bucket(r, false, 32, 128);
        assert_eq!(b(5), 0);
        assert_eq!(b(-5), 5);
        // 16 + floor(ln(40 / 16) / ln(128 / 16) * 16) = 16 + floor(7.05) = 23.
        assert_eq!(b(-40), 23);
        assert_eq!(b(-500), 31);
    }
}
