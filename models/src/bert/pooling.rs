//! Sentence embeddings from token states: mean pooling over the attention mask and L2
//! normalisation, as sentence-transformers' `Pooling` (mode `mean_tokens`) and `Normalize`
//! modules compute them for all-MiniLM-L6-v2 (Reimers and Gurevych 2019, "Sentence-BERT").

use candle_core::{Tensor, D};

use crate::error::{ModelError, Result};

/// The floor on the token count, as sentence-transformers clamps it, so that an all-zero mask
/// gives a zero vector instead of a division by zero.
const MIN_TOKEN_COUNT: f64 = 1e-9;

/// The floor on the norm, as `torch.nn.functional.normalize` uses by default.
const MIN_NORM: f64 = 1e-12;

/// Averages `[batch, len, hidden]` states over the positions where the `[batch, len]` mask is
/// 1, returning `[batch, hidden]`. Differentiable with respect to `hidden`.
pub fn mean_pool(hidden: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
    let (batch, len, _) = hidden.dims3()?;
    if attention_mask.dims() != [batch, len] {
        return Err(ModelError::InvalidInput(format!(
            "attention_mask has shape {:?} but the hidden states have {:?}",
            attention_mask.dims(),
            hidden.dims()
        )));
    }
    let weights = attention_mask.to_dtype(hidden.dtype())?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
    let count = weights.sum(1)?.maximum(MIN_TOKEN_COUNT)?;
    Ok(summed.broadcast_div(&count)?)
}

/// Divides every row of `[batch, hidden]` by its L2 norm, so cosine similarity becomes a dot
/// product.
pub fn l2_normalize(xs: &Tensor) -> Result<Tensor> {
    let norm = xs.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.maximum(MIN_NORM)?;
    Ok(xs.broadcast_div(&norm)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn mean_pool_skips_padding() {
        let hidden = Tensor::new(&[[[1f32, 2.0], [3.0, 4.0], [100.0, 100.0]]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[1u32, 1, 0]], &Device::Cpu).unwrap();
        let pooled = mean_pool(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(pooled, [[2.0, 3.0]]);
    }

    #[test]
    fn mean_pool_of_empty_mask_is_zero() {
        let hidden = Tensor::new(&[[[1f32, 2.0]]], &Device::Cpu).unwrap();
        let mask = Tensor::new(&[[0u32]], &Device::Cpu).unwrap();
        let pooled = mean_pool(&hidden, &mask).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(pooled, [[0.0, 0.0]]);
    }

    #[test]
    fn l2_normalize_gives_unit_rows() {
        let xs = Tensor::new(&[[3f32, 4.0], [0.0, 0.0]], &Device::Cpu).unwrap();
        let normed = l2_normalize(&xs).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(normed, [[0.6, 0.8], [0.0, 0.0]]);
    }
}
