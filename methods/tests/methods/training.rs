//! Every method on the tiny fixture model: a few AdamW steps lower the training loss, the frozen
//! backbone stays bit-identical, and save -> load reproduces the outputs exactly.

use std::path::Path;

use candle_core::Tensor;
use superpos_methods::{
    AdamW, AdamWConfig, Backbone, BuildContext, CoefficientInit, FullFineTuningConfig, MethodConfig, MethodError, PromptInit, PromptInitKind,
    PromptTuning, PromptTuningConfig, ResidualConfig, SamplePopulation, SuperPosConfig, TuningMethod,
};
use superpos_models::t5::T5Model;

use crate::common::{batch, load_frozen, load_trainable, logits, loss, tensor_bits, weight_bits, Batch};

const STEPS: usize = 6;

/// Trains `method` for [`STEPS`] steps on the fixed batch and returns the loss before each step
/// and after the last.
fn train(model: &T5Model, method: &dyn TuningMethod, batch: &Batch) -> Vec<f32> {
    let mut optimizer = AdamW::new(method.param_groups(), AdamWConfig::default()).unwrap();
    let mut losses = Vec::with_capacity(STEPS + 1);
    for _ in 0..STEPS {
        let loss = loss(model, method, batch);
        losses.push(loss.to_scalar::<f32>().unwrap());
        optimizer.backward_step(&loss).unwrap();
    }
    losses.push(loss(model, method, batch).to_scalar::<f32>().unwrap());
    losses
}

/// Builds `config` twice with the seed, trains one, and checks every property a frozen-backbone
/// method must have.
fn check_frozen_method(label: &str, config: MethodConfig) {
    let (model, mut checkpoint) = load_frozen();
    let before = weight_bits(&mut checkpoint);
    let batch = batch();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 17);
    let dir = tempfile::tempdir().unwrap();

    let method = config.build(&context).unwrap();
    let shapes = context.backbone.shapes();
    assert_eq!(method.trainable_parameters(), config.trainable_parameters(&shapes), "{label}: count from config");

    // Same seed, same initial bytes.
    let twin = config.build(&context).unwrap();
    let (first, second) = (dir.path().join("init-a.safetensors"), dir.path().join("init-b.safetensors"));
    method.save(&first).unwrap();
    twin.save(&second).unwrap();
    assert_eq!(std::fs::read(&first).unwrap(), std::fs::read(&second).unwrap(), "{label}: init bytes");

    let losses = train(&model, method.as_ref(), &batch);
    eprintln!("{label}: losses {losses:?}");
    assert!(losses[STEPS] < losses[0], "{label}: loss did not fall: {losses:?}");

    assert_eq!(weight_bits(&mut checkpoint), before, "{label}: backbone weights changed");

    let other_seed = BuildContext { seed: 99, ..context.clone() };
    check_save_load(label, &model, method.as_ref(), &config, &other_seed, &batch, dir.path());
}

/// Saves the trained method, loads the file into a method built from another seed, and checks
/// that prompts, logits and re-saved bytes are identical.
fn check_save_load(label: &str, model: &T5Model, trained: &dyn TuningMethod, config: &MethodConfig, other: &BuildContext, batch: &Batch, dir: &Path) {
    let path = dir.join("trained.safetensors");
    trained.save(&path).unwrap();
    let mut restored = config.build(other).unwrap();
    let embeds = model.embed(&batch.input_ids).unwrap();
    let trained_prompt = trained.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    let fresh_prompt = restored.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    assert_ne!(tensor_bits(&trained_prompt), tensor_bits(&fresh_prompt), "{label}: other seed gave the same prompt");

    restored.load(&path).unwrap();
    let restored_prompt = restored.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    assert_eq!(tensor_bits(&restored_prompt), tensor_bits(&trained_prompt), "{label}: prompt after load");
    assert_eq!(tensor_bits(&logits(model, restored.as_ref(), batch)), tensor_bits(&logits(model, trained, batch)), "{label}: logits after load");

    let again = dir.join("resaved.safetensors");
    restored.save(&again).unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&path).unwrap(), "{label}: re-saved bytes");
}

#[test]
fn prompt_tuning_sampled_vocab_trains() {
    check_frozen_method("prompt_tuning", MethodConfig::PromptTuning(PromptTuningConfig::default()));
}

#[test]
fn prompt_tuning_uniform_trains() {
    let init = PromptInit { kind: PromptInitKind::Uniform, ..Default::default() };
    check_frozen_method("prompt_tuning uniform", MethodConfig::PromptTuning(PromptTuningConfig { init, ..Default::default() }));
}

#[test]
fn prompt_tuning_class_label_trains() {
    let init = PromptInit { kind: PromptInitKind::ClassLabel, population: SamplePopulation::WholeTable, label_token_ids: Some(vec![vec![5, 6], vec![7]]) };
    check_frozen_method("prompt_tuning class_label", MethodConfig::PromptTuning(PromptTuningConfig { init, ..Default::default() }));
}

#[test]
fn residual_trains() {
    check_frozen_method("residual", MethodConfig::ResidualPromptTuning(ResidualConfig { bottleneck: 16, ..Default::default() }));
}

#[test]
fn residual_separate_mlps_without_norm_trains() {
    let config = ResidualConfig { bottleneck: 8, separate_mlps: true, layer_norm: false, residual: true, ..Default::default() };
    check_frozen_method("residual separate", MethodConfig::ResidualPromptTuning(config));
}

#[test]
fn superpos_trains() {
    check_frozen_method("superpos", MethodConfig::SuperposPromptTuning(SuperPosConfig::default()));
}

#[test]
fn superpos_ablations_train() {
    let shared = SuperPosConfig { shared_embeddings: true, softmax: true, ..Default::default() };
    check_frozen_method("superpos shared softmax", MethodConfig::SuperposPromptTuning(shared));
    let uniform = SuperPosConfig { superposition_tokens: 32, coefficient_init: CoefficientInit::Uniform(0.1), ..Default::default() };
    check_frozen_method("superpos uniform", MethodConfig::SuperposPromptTuning(uniform));
}

#[test]
fn residual_export_folds_mlp_away() {
    let (model, _) = load_frozen();
    let batch = batch();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 3);
    let residual = MethodConfig::ResidualPromptTuning(ResidualConfig { bottleneck: 16, ..Default::default() }).build(&context).unwrap();
    train(&model, residual.as_ref(), &batch);

    let exported = residual.export_prompt().unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prompt.safetensors");
    superpos_methods::save_prompt(&path, &exported).unwrap();
    let prompt = superpos_methods::load_prompt(&path, &candle_core::Device::Cpu).unwrap();
    let plain = PromptTuning::from_prompt(PromptTuningConfig::default(), &prompt, &context.backbone).unwrap();

    assert_eq!(tensor_bits(&logits(&model, &plain, &batch)), tensor_bits(&logits(&model, residual.as_ref(), &batch)));
}

#[test]
fn class_label_init_averages_label_embeddings() {
    let (model, _) = load_frozen();
    let init = PromptInit { kind: PromptInitKind::ClassLabel, ..Default::default() };
    let config = MethodConfig::PromptTuning(PromptTuningConfig { prompt_length: 4, init, ..Default::default() });
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1).with_label_token_ids(vec![vec![5, 6], vec![7]]);
    let method = config.build(&context).unwrap();
    let prompt = method.export_prompt().unwrap().unwrap().to_vec2::<f32>().unwrap();
    let table = model.embedding_table().to_vec2::<f32>().unwrap();
    for j in 0..64 {
        let mean = (table[5][j] + table[6][j]) / 2.0;
        assert!((prompt[0][j] - mean).abs() < 1e-6, "column {j}: {} vs {mean}", prompt[0][j]);
        assert_eq!(prompt[1][j], table[7][j]);
    }
    // The two remaining tokens are sampled vocabulary rows.
    for row in &prompt[2..] {
        assert!(table.iter().any(|t| t == row), "a sampled token is not a table row");
    }
}

#[test]
fn class_label_init_without_labels_fails() {
    let (model, _) = load_frozen();
    let init = PromptInit { kind: PromptInitKind::ClassLabel, ..Default::default() };
    let config = MethodConfig::PromptTuning(PromptTuningConfig { init, ..Default::default() });
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1);
    let message = config.build(&context).err().unwrap().to_string();
    assert!(message.contains("label_token_ids"), "{message}");
}

#[test]
fn full_fine_tuning_trains_every_weight() {
    let (model, vars) = load_trainable();
    let batch = batch();
    let before: Vec<Vec<u32>> = vars.iter().map(|(_, var)| tensor_bits(var.as_tensor())).collect();
    let context = BuildContext::new(Backbone::trainable(model.embedding_table(), vars.clone()).unwrap(), 5);
    let config = MethodConfig::FullFineTuning(FullFineTuningConfig::default());
    let method = config.build(&context).unwrap();
    assert!(method.encoder_prompt(&model.embed(&batch.input_ids).unwrap(), &batch.attention_mask).unwrap().is_none());
    let count = method.trainable_parameters();
    assert_eq!(count, config.trainable_parameters(&context.backbone.shapes()));
    assert_eq!(count, vars.iter().map(|(_, var)| var.elem_count()).sum::<usize>());

    let losses = train(&model, method.as_ref(), &batch);
    eprintln!("full_fine_tuning: losses {losses:?}");
    assert!(losses[STEPS] < losses[0], "loss did not fall: {losses:?}");
    let changed = vars.iter().zip(&before).filter(|((_, var), old)| tensor_bits(var.as_tensor()) != **old).count();
    assert_eq!(changed, vars.len(), "every weight receives a gradient and moves");

    // Save, then load into a second, untouched copy of the model.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.safetensors");
    method.save(&path).unwrap();
    let (fresh_model, fresh_vars) = load_trainable();
    let fresh_context = BuildContext::new(Backbone::trainable(fresh_model.embedding_table(), fresh_vars).unwrap(), 5);
    let mut restored = config.build(&fresh_context).unwrap();
    assert_ne!(tensor_bits(&logits(&fresh_model, restored.as_ref(), &batch)), tensor_bits(&logits(&model, method.as_ref(), &batch)));
    restored.load(&path).unwrap();
    assert_eq!(tensor_bits(&logits(&fresh_model, restored.as_ref(), &batch)), tensor_bits(&logits(&model, method.as_ref(), &batch)));
}

#[test]
fn full_fine_tuning_needs_trainable_backbone() {
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 5);
    let err = MethodConfig::FullFineTuning(FullFineTuningConfig::default()).build(&context).err().unwrap();
    assert!(matches!(err, MethodError::MissingTrainableBackbone), "{err}");
}

#[test]
fn load_rejects_other_method_state() {
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("superpos.safetensors");
    MethodConfig::SuperposPromptTuning(SuperPosConfig::default()).build(&context).unwrap().save(&path).unwrap();
    let mut prompt = MethodConfig::PromptTuning(PromptTuningConfig::default()).build(&context).unwrap();
    let message = prompt.load(&path).unwrap_err().to_string();
    assert!(message.contains("saved by method \"superpos_prompt_tuning\""), "{message}");
    assert!(message.contains("into method \"prompt_tuning\""), "{message}");
}

#[test]
fn load_rejects_shape_mismatch() {
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.safetensors");
    let short = MethodConfig::PromptTuning(PromptTuningConfig { prompt_length: 4, ..Default::default() });
    short.build(&context).unwrap().save(&path).unwrap();
    let mut long = MethodConfig::PromptTuning(PromptTuningConfig::default()).build(&context).unwrap();
    let err = long.load(&path).unwrap_err();
    let MethodError::ShapeMismatch { expected, actual, .. } = err else { panic!("expected a shape mismatch, got {err}") };
    assert_eq!(expected, [10, 64]);
    assert_eq!(actual, [4, 64]);
}

#[test]
fn prompt_inputs_accept_exported_prompt_shape() {
    // The exported prompt of every prompt method is [n, d_model], the shape prompt_inputs shares
    // across the batch.
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 8);
    for config in [
        MethodConfig::PromptTuning(PromptTuningConfig::default()),
        MethodConfig::ResidualPromptTuning(ResidualConfig { bottleneck: 4, ..Default::default() }),
        MethodConfig::SuperposPromptTuning(SuperPosConfig::default()),
    ] {
        let prompt: Tensor = config.build(&context).unwrap().export_prompt().unwrap().unwrap();
        assert_eq!(prompt.dims(), &[10, 64], "{}", config.name());
    }
}
