//! Shared helpers: the tiny fixture model, a fixed batch, and the forward pass a training loop
//! runs for any method.

use std::collections::BTreeMap;
use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};
use superpos_methods::TuningMethod;
use superpos_models::checkpoint::{Checkpoint, ModelFiles};
use superpos_models::t5::{cross_entropy, T5Config, T5Model};
use superpos_models::Dropout;

/// Returns the directory of the tiny T5 v1.1 model (d_model 64, vocab 1100) in the models crate's tests.
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/tests/fixtures/t5-tiny-v11")
}

/// Loads the tiny model frozen, and the checkpoint whose tensors the model shares.
pub fn load_frozen() -> (T5Model, Checkpoint) {
    let files = ModelFiles::locate(&fixture_dir()).unwrap();
    let config = T5Config::from_file(&files.config).unwrap();
    let checkpoint = Checkpoint::load(files, &Device::Cpu).unwrap();
    let model = T5Model::from_checkpoint(config, &checkpoint).unwrap();
    (model, checkpoint)
}

/// Loads the tiny model with every weight a trainable variable.
pub fn load_trainable() -> (T5Model, Vec<(String, candle_core::Var)>) {
    let files = ModelFiles::locate(&fixture_dir()).unwrap();
    let config = T5Config::from_file(&files.config).unwrap();
    let checkpoint = Checkpoint::load(files, &Device::Cpu).unwrap();
    T5Model::from_checkpoint_trainable(config, &checkpoint).unwrap()
}

/// Returns every tensor of the checkpoint as raw float32 bits, by name.
pub fn weight_bits(checkpoint: &mut Checkpoint) -> BTreeMap<String, Vec<u32>> {
    checkpoint.tensors_mut().iter().map(|(name, tensor)| (name.clone(), tensor_bits(tensor))).collect()
}

pub fn tensor_bits(tensor: &Tensor) -> Vec<u32> {
    tensor.flatten_all().unwrap().to_dtype(DType::F32).unwrap().to_vec1::<f32>().unwrap().iter().map(|v| v.to_bits()).collect()
}

/// Two instances: the second has two padding positions, and one ignored label position.
pub struct Batch {
    pub input_ids: Tensor,
    pub attention_mask: Tensor,
    pub labels: Tensor,
}

pub fn batch() -> Batch {
    let device = Device::Cpu;
    let input_ids = Tensor::new(&[[37u32, 420, 9, 815, 77, 301, 1], [52, 640, 18, 999, 1, 0, 0]], &device).unwrap();
    let attention_mask = Tensor::new(&[[1f32, 1., 1., 1., 1., 1., 1.], [1., 1., 1., 1., 1., 0., 0.]], &device).unwrap();
    let labels = Tensor::new(&[[250i64, 31, 1], [610, 1, -100]], &device).unwrap();
    Batch { input_ids, attention_mask, labels }
}

/// Runs the encoder with the method's prompt and the decoder with teacher forcing, and returns
/// the logits, exactly as a training loop does for every method.
pub fn logits(model: &T5Model, method: &dyn TuningMethod, batch: &Batch) -> Tensor {
    let off = Dropout::off();
    let embeds = model.embed(&batch.input_ids).unwrap();
    let (embeds, mask) = match method.encoder_prompt(&embeds, &batch.attention_mask).unwrap() {
        Some(prompt) => model.prompt_inputs(&prompt, &batch.input_ids, &batch.attention_mask).unwrap(),
        None => (embeds, batch.attention_mask.clone()),
    };
    let encoded = model.encode_embeds(&embeds, &mask, &off).unwrap();
    let decoder_input_ids = model.shift_right(&batch.labels).unwrap();
    model.decode(&decoder_input_ids, &encoded, &mask, &off).unwrap()
}

pub fn loss(model: &T5Model, method: &dyn TuningMethod, batch: &Batch) -> Tensor {
    cross_entropy(&logits(model, method, batch), &batch.labels).unwrap()
}
