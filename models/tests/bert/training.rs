//! Training through the frozen encoder: gradients reach the soft prompt and the heads, a few
//! SGD steps lower a small classification loss, and the backbone does not change.

use candle_core::backprop::GradStore;
use candle_core::{Device, Tensor, Var};
use candle_nn::{Optimizer, SGD};
use superpos_models::bert::{encode_batch, BertModel, ClassificationHead, EncodedBatch, RegressionHead};
use superpos_models::tokenizer::load_tokenizer;
use superpos_models::Dropout;

use super::{model, model_dir};

/// Two sentences about food (class 0) and two about films (class 1).
const SENTENCES: [&str; 4] = ["A man is eating food.", "The new movie is awesome.", "She is cooking some pasta.", "That film was boring."];
const LABELS: [u32; 4] = [0, 1, 0, 1];

fn batch() -> EncodedBatch {
    let tokenizer = load_tokenizer(&model_dir()).unwrap();
    encode_batch(&tokenizer, &SENTENCES, 0, &Device::Cpu).unwrap()
}

/// Creates a trainable `[n, hidden]` prompt from vocabulary rows, as prompt tuning initialises it.
fn vocabulary_prompt(model: &BertModel, n: usize) -> Var {
    let ids = Tensor::new(&[2000u32, 2001, 2002, 2003, 2004, 2005, 2006, 2007][..n], &Device::Cpu).unwrap();
    Var::from_tensor(&model.embedding_table().index_select(&ids, 0).unwrap()).unwrap()
}

fn classification_loss(model: &BertModel, prompt: &Var, head: &ClassificationHead, batch: &EncodedBatch, dropout: &Dropout) -> Tensor {
    let labels = Tensor::new(&LABELS, &Device::Cpu).unwrap();
    let output = model.forward_with_prompt(Some(prompt.as_tensor()), &batch.input_ids, &batch.attention_mask, dropout).unwrap();
    let logits = head.forward(&output.mean_pool().unwrap()).unwrap();
    head.loss(&logits, &labels).unwrap()
}

/// Asserts that `var` has a gradient with a non-zero, finite entry and no non-finite ones.
fn assert_useful_gradient(grads: &GradStore, var: &Var, name: &str) {
    let grad = grads.get(var).unwrap_or_else(|| panic!("{name} has no gradient"));
    let values = grad.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(values.iter().all(|g| g.is_finite()), "{name} gradient has non-finite entries");
    assert!(values.iter().any(|g| *g != 0.0), "{name} gradient is all zero");
}

#[test]
fn gradients_reach_prompt_and_head() {
    let model = model();
    let batch = batch();
    let prompt = vocabulary_prompt(model, 4);
    let head = ClassificationHead::new(model.hidden_size(), 2, 11, &Device::Cpu).unwrap();
    let dropout = model.training_dropout(3);
    let loss = classification_loss(model, &prompt, &head, &batch, &dropout);
    let grads = loss.backward().unwrap();

    assert_useful_gradient(&grads, &prompt, "prompt");
    for (name, var) in head.named_vars() {
        assert_useful_gradient(&grads, &var, &name);
    }
    assert!(grads.get(model.embedding_table()).is_none(), "the frozen embedding table received a gradient");
}

#[test]
fn gradients_reach_regression_head() {
    let model = model();
    let batch = batch();
    let prompt = vocabulary_prompt(model, 2);
    let head = RegressionHead::new(model.hidden_size(), 5, &Device::Cpu).unwrap();
    let targets = Tensor::new(&[0.9f32, 0.1, 0.8, 0.2], &Device::Cpu).unwrap();
    let output = model.forward_with_prompt(Some(prompt.as_tensor()), &batch.input_ids, &batch.attention_mask, &Dropout::off()).unwrap();
    let predictions = head.forward(&output.mean_pool().unwrap()).unwrap();
    assert_eq!(predictions.dims(), [4]);
    let grads = head.loss(&predictions, &targets).unwrap().backward().unwrap();

    assert_useful_gradient(&grads, &prompt, "prompt");
    for (name, var) in head.named_vars() {
        assert_useful_gradient(&grads, &var, &name);
    }
}

#[test]
fn sgd_steps_lower_loss_and_keep_backbone() {
    let model = model();
    let batch = batch();
    let off = Dropout::off();
    let table_before = model.embedding_table().copy().unwrap();
    let hidden_before = model.forward(&batch.input_ids, &batch.attention_mask, &off).unwrap();

    let prompt = vocabulary_prompt(model, 4);
    let head = ClassificationHead::new(model.hidden_size(), 2, 11, &Device::Cpu).unwrap();
    let mut vars = head.vars();
    vars.push(prompt.clone());
    let prompt_before = prompt.as_tensor().copy().unwrap();
    // A large step size, because the head starts near zero logits and five steps must show a
    // clear drop. The value was picked by hand, not tuned.
    let mut optimizer = SGD::new(vars, 0.5).unwrap();

    let initial = classification_loss(model, &prompt, &head, &batch, &off).to_scalar::<f32>().unwrap();
    let dropout = model.training_dropout(17);
    for _ in 0..5 {
        let loss = classification_loss(model, &prompt, &head, &batch, &dropout);
        optimizer.backward_step(&loss).unwrap();
    }
    let trained = classification_loss(model, &prompt, &head, &batch, &off).to_scalar::<f32>().unwrap();
    eprintln!("classification loss before {initial:.4}, after 5 SGD steps {trained:.4}");
    assert!(trained < initial, "loss rose from {initial} to {trained}");

    let prompt_change = (prompt.as_tensor() - prompt_before).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert!(prompt_change > 0.0, "the prompt did not change");
    let table_change = (model.embedding_table() - table_before).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert_eq!(table_change, 0.0, "the embedding table changed");
    // Any changed backbone weight would change the unprompted output.
    let hidden_after = model.forward(&batch.input_ids, &batch.attention_mask, &off).unwrap();
    let hidden_change = (hidden_after - hidden_before).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
    assert_eq!(hidden_change, 0.0, "the encoder output changed");
}
