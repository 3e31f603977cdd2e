//! Comparing a T5 model with reference outputs stored in a safetensors file.
//!
//! The reference file holds inputs (`input_ids`, `attention_mask`, `labels`,
//! `decoder_input_ids`, optionally a soft `prompt`) and the outputs a reference implementation
//! produced for them in float32 with dropout off: `encoder_last_hidden_state`, `logits`, `loss`,
//! `prompt_logits`, `prompt_loss`, `prompt_grad` (d prompt_loss / d prompt) and `generated`
//! (greedy ids, start token first). Outputs absent from the file are skipped.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Tensor, Var};
use serde::Serialize;

use crate::dropout::Dropout;
use crate::error::{ModelError, Result};
use crate::t5::{cross_entropy, T5Model};

/// Default tolerance on relative error for forward outputs.
pub const FORWARD_TOLERANCE: f64 = 1e-4;
/// Default tolerance on relative error for gradients, which accumulate more rounding.
pub const GRADIENT_TOLERANCE: f64 = 1e-3;

/// One compared output.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub output: String,
    /// max |ours - reference| / max |reference|; for token ids, the fraction that differ.
    pub relative_error: f64,
    pub max_abs_error: f64,
    pub tolerance: f64,
    pub passed: bool,
}

/// Relative error as max |a - b| / max |b|, with the max absolute difference.
pub fn relative_error(ours: &Tensor, reference: &Tensor) -> Result<(f64, f64)> {
    let ours = ours.to_dtype(DType::F64)?.flatten_all()?;
    let reference = reference.to_dtype(DType::F64)?.flatten_all()?;
    if ours.dims() != reference.dims() {
        return Err(ModelError::InvalidInput(format!("shape {:?} differs from the reference {:?}", ours.dims(), reference.dims())));
    }
    let max_abs = (ours - &reference)?.abs()?.max_all()?.to_scalar::<f64>()?;
    let scale = reference.abs()?.max_all()?.to_scalar::<f64>()?;
    let relative = if scale == 0.0 { max_abs } else { max_abs / scale };
    Ok((relative, max_abs))
}

fn compare(output: &str, ours: &Tensor, reference: &Tensor, tolerance: f64) -> Result<Comparison> {
    let (relative_error, max_abs_error) = relative_error(ours, reference)?;
    Ok(Comparison { output: output.to_string(), relative_error, max_abs_error, tolerance, passed: relative_error <= tolerance })
}

/// Runs `model` on the inputs of the reference file at `path` and compares every output.
pub fn verify_against_reference(model: &T5Model, path: &Path, tolerance: f64) -> Result<Vec<Comparison>> {
    let device = model.device();
    let tensors: HashMap<String, Tensor> = candle_core::safetensors::load(path, device)
        .map_err(|e| ModelError::CorruptWeights { path: path.to_path_buf(), message: e.to_string() })?;
    let need = |name: &str| {
        tensors.get(name).cloned().ok_or_else(|| ModelError::MissingTensor { path: path.to_path_buf(), name: name.to_string() })
    };
    let input_ids = need("input_ids")?;
    let attention_mask = need("attention_mask")?;
    let labels = need("labels")?;
    let decoder_input_ids = match tensors.get("decoder_input_ids") {
        Some(t) => t.clone(),
        None => model.shift_right(&labels)?,
    };
    let off = Dropout::off();
    let mut results = Vec::new();

    let encoded = model.encode(&input_ids, &attention_mask, &off)?;
    if let Some(reference) = tensors.get("encoder_last_hidden_state") {
        results.push(compare("encoder_last_hidden_state", &encoded, reference, tolerance)?);
    }
    let logits = model.decode(&decoder_input_ids, &encoded, &attention_mask, &off)?;
    if let Some(reference) = tensors.get("logits") {
        results.push(compare("logits", &logits, reference, tolerance)?);
    }
    if let Some(reference) = tensors.get("loss") {
        let loss = cross_entropy(&logits, &labels)?.reshape(1)?;
        results.push(compare("loss", &loss, reference, tolerance)?);
    }

    if let Some(prompt) = tensors.get("prompt") {
        let prompt = Var::from_tensor(prompt)?;
        let (embeds, mask) = model.prompt_inputs(prompt.as_tensor(), &input_ids, &attention_mask)?;
        let encoded = model.encode_embeds(&embeds, &mask, &off)?;
        let logits = model.decode(&decoder_input_ids, &encoded, &mask, &off)?;
        if let Some(reference) = tensors.get("prompt_logits") {
            results.push(compare("prompt_logits", &logits, reference, tolerance)?);
        }
        let loss = cross_entropy(&logits, &labels)?;
        if let Some(reference) = tensors.get("prompt_loss") {
            results.push(compare("prompt_loss", &loss.reshape(1)?, reference, tolerance)?);
        }
        if let Some(reference) = tensors.get("prompt_grad") {
            let grads = loss.backward()?;
            let grad = grads.get(prompt.as_tensor()).ok_or_else(|| ModelError::InvalidInput("no gradient reached the prompt".to_string()))?;
            results.push(compare("prompt_grad", grad, reference, tolerance.max(GRADIENT_TOLERANCE))?);
        }
    }

    if let Some(reference) = tensors.get("generated") {
        let steps = reference.dim(1)?.saturating_sub(1);
        let generated = model.generate(&model.embed(&input_ids)?, &attention_mask, steps)?;
        let reference_rows = reference.to_dtype(DType::I64)?.to_vec2::<i64>()?;
        let mut differing = 0usize;
        let mut total = 0usize;
        for (ours, theirs) in generated.iter().zip(&reference_rows) {
            for (i, expected) in theirs.iter().enumerate() {
                total += 1;
                if ours.get(i).map(|t| *t as i64) != Some(*expected) {
                    differing += 1;
                }
            }
            // A longer output than the reference is a difference too.
            differing += ours.len().saturating_sub(theirs.len());
        }
        let fraction = differing as f64 / total.max(1) as f64;
        results.push(Comparison { output: "generated".to_string(), relative_error: fraction, max_abs_error: differing as f64, tolerance: 0.0, passed: differing == 0 });
    }
    Ok(results)
}
