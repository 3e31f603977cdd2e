//! Dropout through the whole model: off at rate 0, seeded and reproducible at 0.1.

use candle_core::{Device, Tensor};
use superpos_models::t5::T5Model;
use superpos_models::Dropout;

use super::fixture;

fn inputs(device: &Device) -> (Tensor, Tensor, Tensor) {
    let ids = Tensor::new(&[[5u32, 17, 300, 42, 1], [8, 9, 1, 0, 0]], device).unwrap();
    let mask = Tensor::new(&[[1u32, 1, 1, 1, 1], [1, 1, 1, 0, 0]], device).unwrap();
    let decoder = Tensor::new(&[[0u32, 12, 7], [0, 3, 1]], device).unwrap();
    (ids, mask, decoder)
}

fn logits(model: &T5Model, dropout: &Dropout) -> Vec<f32> {
    let (ids, mask, decoder) = inputs(model.device());
    let encoded = model.encode(&ids, &mask, dropout).unwrap();
    model.decode(&decoder, &encoded, &mask, dropout).unwrap().flatten_all().unwrap().to_vec1().unwrap()
}

#[test]
fn rate_zero_training_equals_evaluation() {
    let model = T5Model::load(&fixture("t5-tiny-v11"), &Device::Cpu).unwrap();
    assert_eq!(logits(&model, &Dropout::new(0.0, 11)), logits(&model, &Dropout::off()));
}

#[test]
fn rate_tenth_is_seeded_and_changes_outputs() {
    let model = T5Model::load(&fixture("t5-tiny-v11"), &Device::Cpu).unwrap();
    let eval = logits(&model, &Dropout::off());
    let first = logits(&model, &Dropout::new(0.1, 11));
    let again = logits(&model, &Dropout::new(0.1, 11));
    let other = logits(&model, &Dropout::new(0.1, 12));
    assert_ne!(first, eval);
    assert_eq!(first, again, "the same seed reproduces the masks bit for bit");
    assert_ne!(first, other);
}
