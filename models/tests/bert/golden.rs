//! Golden tests: all-MiniLM-L6-v2 against the outputs transformers' `BertModel` computed for
//! the same sentences (float32, evaluation mode), with sentence-transformers' mean pooling and
//! L2 normalisation.

use candle_core::{Device, Tensor};
use superpos_models::bert::{encode_batch, l2_normalize, mean_pool, BertConfig, BertModel};
use superpos_models::checkpoint::{Checkpoint, ModelFiles};
use superpos_models::tokenizer::load_tokenizer;
use superpos_models::verify::{relative_error, FORWARD_TOLERANCE};
use superpos_models::Dropout;

use super::{fixture, model, model_dir};

#[derive(serde::Deserialize)]
struct Reference {
    sentences: Vec<String>,
    input_ids: Vec<Vec<u32>>,
    attention_mask: Vec<Vec<u32>>,
    /// The first 8 values of the last hidden state at position 0 ([CLS]) of each sentence.
    last_hidden_state_token0_first8: Vec<Vec<f32>>,
    sentence_embeddings: Vec<Vec<f32>>,
    cosine_0_1: f64,
    cosine_0_2: f64,
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(fixture("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tensor2(rows: &[Vec<f32>]) -> Tensor {
    Tensor::new(rows.to_vec(), &Device::Cpu).unwrap()
}

/// Tokenizes the reference sentences and runs the encoder with dropout off.
fn run_reference(model: &BertModel, reference: &Reference) -> (Tensor, Tensor) {
    let tokenizer = load_tokenizer(&model_dir()).unwrap();
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let batch = encode_batch(&tokenizer, &texts, model.config.pad_token_id, &Device::Cpu).unwrap();
    let hidden = model.forward(&batch.input_ids, &batch.attention_mask, &Dropout::off()).unwrap();
    (hidden, batch.attention_mask)
}

#[test]
fn tokenizer_ids_match_transformers() {
    let reference = reference();
    let tokenizer = load_tokenizer(&model_dir()).unwrap();
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let batch = encode_batch(&tokenizer, &texts, 0, &Device::Cpu).unwrap();
    assert_eq!(batch.input_ids.to_vec2::<u32>().unwrap(), reference.input_ids);
    assert_eq!(batch.attention_mask.to_vec2::<u32>().unwrap(), reference.attention_mask);
}

#[test]
fn hidden_states_match_transformers() {
    let reference = reference();
    let (hidden, _) = run_reference(model(), &reference);
    let first = hidden.narrow(1, 0, 1).unwrap().squeeze(1).unwrap().narrow(1, 0, 8).unwrap();
    let (relative, max_abs) = relative_error(&first, &tensor2(&reference.last_hidden_state_token0_first8)).unwrap();
    eprintln!("last_hidden_state[:, 0, :8]: relative error {relative:.3e}, max abs error {max_abs:.3e}");
    assert!(relative <= FORWARD_TOLERANCE, "relative error {relative:.3e} exceeds {FORWARD_TOLERANCE:.0e}");
}

#[test]
fn sentence_embeddings_match_transformers() {
    let reference = reference();
    let (hidden, mask) = run_reference(model(), &reference);
    let embeddings = l2_normalize(&mean_pool(&hidden, &mask).unwrap()).unwrap();
    let (relative, max_abs) = relative_error(&embeddings, &tensor2(&reference.sentence_embeddings)).unwrap();
    eprintln!("sentence embeddings: relative error {relative:.3e}, max abs error {max_abs:.3e}");
    assert!(relative <= FORWARD_TOLERANCE, "relative error {relative:.3e} exceeds {FORWARD_TOLERANCE:.0e}");

    let rows = embeddings.to_vec2::<f32>().unwrap();
    let cosine = |a: usize, b: usize| rows[a].iter().zip(&rows[b]).map(|(x, y)| (x * y) as f64).sum::<f64>();
    assert!((cosine(0, 1) - reference.cosine_0_1).abs() < FORWARD_TOLERANCE, "cosine(0, 1) = {}", cosine(0, 1));
    assert!((cosine(0, 2) - reference.cosine_0_2).abs() < FORWARD_TOLERANCE, "cosine(0, 2) = {}", cosine(0, 2));
}

/// Loads the model with every checkpoint tensor name passed through `rename`, and returns the
/// largest absolute difference of its hidden states from the unrenamed model's.
fn difference_after_renaming(rename: impl Fn(&str) -> String) -> f32 {
    let files = ModelFiles::locate(&model_dir()).unwrap();
    let config = BertConfig::from_file(&files.config).unwrap();
    let mut checkpoint = Checkpoint::load(files, &Device::Cpu).unwrap();
    let tensors = std::mem::take(checkpoint.tensors_mut());
    checkpoint.tensors_mut().extend(tensors.into_iter().map(|(name, tensor)| (rename(&name), tensor)));
    let renamed = BertModel::from_checkpoint(config, &checkpoint).unwrap();

    let reference = reference();
    let (ours, _) = run_reference(&renamed, &reference);
    let (plain, _) = run_reference(model(), &reference);
    (ours - plain).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn task_model_prefix_loads_same_weights() {
    // `BertForSequenceClassification` checkpoints put `bert.` before every encoder tensor.
    assert_eq!(difference_after_renaming(|name| format!("bert.{name}")), 0.0);
}

#[test]
fn gamma_beta_names_load_same_weights() {
    let rename = |name: &str| name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta");
    assert_eq!(difference_after_renaming(rename), 0.0);
}
