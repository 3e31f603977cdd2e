//! The soft-prompt path: where prompt vectors sit, how the mask and pooling treat them, and
//! the errors for malformed prompts.

use candle_core::{DType, Device, Tensor};
use superpos_models::bert::{encode_batch, mean_pool, EncodedBatch};
use superpos_models::tokenizer::load_tokenizer;
use superpos_models::{Dropout, ModelError};

use super::{model, model_dir};

const SENTENCES: [&str; 2] = ["A man is eating food.", "The new movie is awesome, I loved it."];

fn batch() -> EncodedBatch {
    let tokenizer = load_tokenizer(&model_dir()).unwrap();
    encode_batch(&tokenizer, &SENTENCES, 0, &Device::Cpu).unwrap()
}

fn max_abs_difference(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
}

/// Returns a deterministic `[n, hidden]` prompt: the word embeddings of vocabulary rows
/// 1000..1000 + n.
fn vocabulary_prompt(n: usize) -> Tensor {
    model().embedding_table().narrow(0, 1000, n).unwrap()
}

#[test]
fn empty_prompt_equals_plain_path() {
    let model = model();
    let batch = batch();
    let off = Dropout::off();
    let plain = model.forward(&batch.input_ids, &batch.attention_mask, &off).unwrap();
    let empty = Tensor::zeros((0, model.hidden_size()), DType::F32, &Device::Cpu).unwrap();
    let prompted = model.forward_with_prompt(Some(&empty), &batch.input_ids, &batch.attention_mask, &off).unwrap();
    assert_eq!(prompted.prompt_len, 0);
    assert_eq!(prompted.hidden.dims(), plain.dims());
    assert_eq!(max_abs_difference(&prompted.hidden, &plain), 0.0);
}

#[test]
fn prompt_of_token_embeddings_equals_tokens() {
    // Prompt vectors take word-embedding slots and get positions 0..n and token type 0, so a
    // prompt made of the embeddings of the first k tokens reproduces the unprompted run.
    let model = model();
    let batch = batch();
    let off = Dropout::off();
    let (_, len) = batch.input_ids.dims2().unwrap();
    let k = 3;
    let plain = model.forward(&batch.input_ids, &batch.attention_mask, &off).unwrap();
    let head_ids = batch.input_ids.narrow(1, 0, k).unwrap();
    let prompt = model.embed(&head_ids).unwrap(); // [batch, k, hidden], one prompt per row
    let tail_ids = batch.input_ids.narrow(1, k, len - k).unwrap();
    let tail_mask = batch.attention_mask.narrow(1, k, len - k).unwrap();
    let prompted = model.forward_with_prompt(Some(&prompt), &tail_ids, &tail_mask, &off).unwrap();
    assert_eq!(prompted.prompt_len, k);
    assert_eq!(prompted.attention_mask.to_vec2::<u32>().unwrap(), batch.attention_mask.to_vec2::<u32>().unwrap());
    let difference = max_abs_difference(&prompted.hidden, &plain);
    assert!(difference < 1e-5, "max abs difference {difference:e}");
}

#[test]
fn shared_prompt_equals_per_row_prompt() {
    let model = model();
    let batch = batch();
    let off = Dropout::off();
    let shared = vocabulary_prompt(4);
    let per_row = Tensor::stack(&[&shared, &shared], 0).unwrap();
    let a = model.forward_with_prompt(Some(&shared), &batch.input_ids, &batch.attention_mask, &off).unwrap();
    let b = model.forward_with_prompt(Some(&per_row), &batch.input_ids, &batch.attention_mask, &off).unwrap();
    assert_eq!(max_abs_difference(&a.hidden, &b.hidden), 0.0);
}

#[test]
fn prompt_extends_mask_with_ones() {
    let model = model();
    let batch = batch();
    let (rows, len) = batch.input_ids.dims2().unwrap();
    let output = model.forward_with_prompt(Some(&vocabulary_prompt(5)), &batch.input_ids, &batch.attention_mask, &Dropout::off()).unwrap();
    assert_eq!(output.hidden.dims(), [rows, 5 + len, model.hidden_size()]);
    let mask = output.attention_mask.to_vec2::<u32>().unwrap();
    let input_mask = batch.attention_mask.to_vec2::<u32>().unwrap();
    for (row, input_row) in mask.iter().zip(&input_mask) {
        assert_eq!(row[..5], [1; 5]);
        assert_eq!(&row[5..], input_row.as_slice());
    }
}

#[test]
fn mean_pool_includes_prompt_positions() {
    let model = model();
    let batch = batch();
    let (_, len) = batch.input_ids.dims2().unwrap();
    let n = 4;
    let output = model.forward_with_prompt(Some(&vocabulary_prompt(n)), &batch.input_ids, &batch.attention_mask, &Dropout::off()).unwrap();
    let pooled = output.mean_pool().unwrap();

    // By hand: sum the prompt states and the unpadded token states, divide by n + tokens.
    let hidden = output.hidden.to_vec3::<f32>().unwrap();
    let input_mask = batch.attention_mask.to_vec2::<u32>().unwrap();
    let pooled_rows = pooled.to_vec2::<f32>().unwrap();
    for (row, states) in hidden.iter().enumerate() {
        let kept: Vec<&Vec<f32>> = states.iter().enumerate().filter(|(i, _)| *i < n || input_mask[row][i - n] == 1).map(|(_, s)| s).collect();
        for (j, value) in pooled_rows[row].iter().enumerate() {
            let expected = kept.iter().map(|s| s[j]).sum::<f32>() / kept.len() as f32;
            assert!((value - expected).abs() < 1e-5, "row {row} dim {j}: {value} vs {expected}");
        }
    }

    let text_only = mean_pool(&output.hidden.narrow(1, n, len).unwrap(), &batch.attention_mask).unwrap();
    assert!(max_abs_difference(&pooled, &text_only) > 1e-3, "pooling ignored the prompt positions");
}

#[test]
fn prompt_with_wrong_width_is_rejected() {
    let model = model();
    let batch = batch();
    let prompt = Tensor::zeros((3, model.hidden_size() + 1), DType::F32, &Device::Cpu).unwrap();
    let error = model.forward_with_prompt(Some(&prompt), &batch.input_ids, &batch.attention_mask, &Dropout::off()).err().unwrap();
    assert!(matches!(error, ModelError::InvalidInput(_)), "{error:?}");
    assert!(error.to_string().contains("expected [n, 384]"), "{error}");
}

#[test]
fn prompt_with_wrong_batch_is_rejected() {
    let model = model();
    let batch = batch();
    let prompt = Tensor::zeros((3, 2, model.hidden_size()), DType::F32, &Device::Cpu).unwrap();
    let error = model.forward_with_prompt(Some(&prompt), &batch.input_ids, &batch.attention_mask, &Dropout::off()).err().unwrap();
    assert!(matches!(error, ModelError::InvalidInput(_)), "{error:?}");
}

#[test]
fn prompt_beyond_max_positions_is_rejected() {
    let model = model();
    let batch = batch();
    let max = model.config.max_position_embeddings;
    let prompt = Tensor::zeros((max, model.hidden_size()), DType::F32, &Device::Cpu).unwrap();
    let error = model.forward_with_prompt(Some(&prompt), &batch.input_ids, &batch.attention_mask, &Dropout::off()).err().unwrap();
    assert!(error.to_string().contains("exceeds max_position_embeddings 512"), "{error}");
}
