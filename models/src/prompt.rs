//! Putting a soft prompt in front of a batch's token embeddings, shared by every backbone.
//!
//! `inputs_embeds = concat(P, embeddings)` along the sequence, and the attention mask gets `n`
//! ones in front, as prompt tuning (Lester et al., 2021) prepends to the encoder input.

use candle_core::{DType, Tensor};

use crate::error::{ModelError, Result};

/// Prepends `prompt` to `[batch, len, d]` embeddings and `n` ones to the `[batch, len]` mask.
/// The prompt is `[n, d]` (shared by all rows) or `[batch, n, d]` (per instance, as ATTEMPT
/// builds it), in float32.
pub fn prepend_prompt(prompt: &Tensor, embeddings: &Tensor, attention_mask: &Tensor) -> Result<(Tensor, Tensor)> {
    let (batch, _, d) = embeddings.dims3()?;
    if prompt.dtype() != DType::F32 {
        return Err(ModelError::InvalidInput(format!("soft prompt has dtype {:?}; expected f32", prompt.dtype())));
    }
    let prompt = match *prompt.dims() {
        [n, width] if width == d => prompt.unsqueeze(0)?.broadcast_as((batch, n, d))?,
        [rows, _, width] if rows == batch && width == d => prompt.clone(),
        _ => {
            return Err(ModelError::InvalidInput(format!(
                "soft prompt has shape {:?}; expected [n, {d}] or [{batch}, n, {d}]",
                prompt.dims()
            )))
        }
    };
    let n = prompt.dim(1)?;
    let embeddings = Tensor::cat(&[&prompt, embeddings], 1)?;
    let ones = Tensor::ones((batch, n), attention_mask.dtype(), attention_mask.device())?;
    let mask = Tensor::cat(&[&ones, attention_mask], 1)?;
    Ok((embeddings, mask))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn shared_prompt_goes_before_every_row() {
        let device = Device::Cpu;
        let prompt = Tensor::new(&[[9f32, 9.0]], &device).unwrap(); // [1, 2]
        let embeddings = Tensor::new(&[[[1f32, 2.0]], [[3.0, 4.0]]], &device).unwrap(); // [2, 1, 2]
        let mask = Tensor::new(&[[1u32], [0]], &device).unwrap();
        let (out, out_mask) = prepend_prompt(&prompt, &embeddings, &mask).unwrap();
        assert_eq!(out.to_vec3::<f32>().unwrap(), vec![vec![vec![9.0, 9.0], vec![1.0, 2.0]], vec![vec![9.0, 9.0], vec![3.0, 4.0]]]);
        assert_eq!(out_mask.to_vec2::<u32>().unwrap(), vec![vec![1, 1], vec![1, 0]]);
    }

    #[test]
    fn wrong_width_is_rejected() {
        let device = Device::Cpu;
        let prompt = Tensor::zeros((3, 5), DType::F32, &device).unwrap();
        let embeddings = Tensor::zeros((2, 4, 8), DType::F32, &device).unwrap();
        let mask = Tensor::ones((2, 4), DType::U32, &device).unwrap();
        let err = prepend_prompt(&prompt, &embeddings, &mask).unwrap_err().to_string();
        assert!(err.contains("[3, 5]"), "{err}");
        assert!(err.contains("[n, 8]"), "{err}");
    }
}
