//! ATTEMPT: source prompts from prompt tuning's own files, training through the frozen model,
//! and errors that name the config field.

use std::path::{Path, PathBuf};

use superpos_methods::{
    AdamW, AdamWConfig, Attempt, AttemptConfig, Backbone, BuildContext, MethodConfig, MethodError, PromptTuningConfig, SuperPosConfig, TuningMethod,
};

use crate::common::{batch, load_frozen, loss, tensor_bits, weight_bits};

/// Trains prompt tuning briefly on the batch with two seeds, standing in for two source tasks,
/// and writes one as a state file and the other as an exported prompt.
fn write_source_prompts(dir: &Path) -> Vec<PathBuf> {
    let (model, _) = load_frozen();
    let batch = batch();
    let mut paths = Vec::new();
    for seed in [21u64, 22] {
        let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), seed);
        let method = MethodConfig::PromptTuning(PromptTuningConfig::default()).build(&context).unwrap();
        let mut optimizer = AdamW::new(method.param_groups(), AdamWConfig::default()).unwrap();
        for _ in 0..2 {
            optimizer.backward_step(&loss(&model, method.as_ref(), &batch)).unwrap();
        }
        let path = dir.join(format!("source-{seed}.safetensors"));
        if seed == 21 {
            method.save(&path).unwrap();
        } else {
            superpos_methods::save_prompt(&path, &method.export_prompt().unwrap().unwrap()).unwrap();
        }
        paths.push(path);
    }
    paths
}

#[test]
fn attempt_trains_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let sources = write_source_prompts(dir.path());
    let (model, mut checkpoint) = load_frozen();
    let before = weight_bits(&mut checkpoint);
    let batch = batch();
    let config = AttemptConfig { source_prompts: sources, ..Default::default() };
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 17);
    let method = Attempt::new(config.clone(), &context).unwrap();
    assert_eq!(method.source_count(), 2);
    assert_eq!(method.trainable_parameters(), MethodConfig::Attempt(config.clone()).trainable_parameters(&context.backbone.shapes()));
    // 10 * 64 + 64 * 100 + 100 * 64 + 2 * 64
    assert_eq!(method.trainable_parameters(), 13_568);

    let embeds = model.embed(&batch.input_ids).unwrap();
    let weights = method.attention_weights(&embeds, &batch.attention_mask).unwrap().to_vec2::<f32>().unwrap();
    for row in &weights {
        assert_eq!(row.len(), 3);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{row:?}");
    }
    let prompt = method.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    assert_eq!(prompt.dims(), &[2, 10, 64]);
    assert!(method.export_prompt().unwrap().is_none());

    let mut optimizer = AdamW::new(method.param_groups(), AdamWConfig::default()).unwrap();
    let mut losses = Vec::new();
    for _ in 0..6 {
        let loss = loss(&model, &method, &batch);
        losses.push(loss.to_scalar::<f32>().unwrap());
        optimizer.backward_step(&loss).unwrap();
    }
    losses.push(loss(&model, &method, &batch).to_scalar::<f32>().unwrap());
    eprintln!("attempt: losses {losses:?}");
    assert!(losses[6] < losses[0], "loss did not fall: {losses:?}");
    assert_eq!(weight_bits(&mut checkpoint), before, "backbone weights changed");

    let path = dir.path().join("attempt.safetensors");
    method.save(&path).unwrap();
    let mut restored = Attempt::new(config, &BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 3)).unwrap();
    restored.load(&path).unwrap();
    let expected = method.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    let actual = restored.encoder_prompt(&embeds, &batch.attention_mask).unwrap().unwrap();
    assert_eq!(tensor_bits(&actual), tensor_bits(&expected));
    assert_eq!(tensor_bits(&loss(&model, &restored, &batch)), tensor_bits(&loss(&model, &method, &batch)));
}

#[test]
fn attempt_prompt_ignores_padding() {
    let dir = tempfile::tempdir().unwrap();
    let sources = write_source_prompts(dir.path());
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 17);
    let method = Attempt::new(AttemptConfig { source_prompts: sources, ..Default::default() }, &context).unwrap();
    let ids = candle_core::Tensor::new(&[[52u32, 640, 18, 999, 1]], &candle_core::Device::Cpu).unwrap();
    let padded = candle_core::Tensor::new(&[[52u32, 640, 18, 999, 1, 0, 0]], &candle_core::Device::Cpu).unwrap();
    let mask = candle_core::Tensor::ones((1, 5), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let padded_mask = candle_core::Tensor::new(&[[1f32, 1., 1., 1., 1., 0., 0.]], &candle_core::Device::Cpu).unwrap();
    let plain = method.encoder_prompt(&model.embed(&ids).unwrap(), &mask).unwrap().unwrap();
    let with_padding = method.encoder_prompt(&model.embed(&padded).unwrap(), &padded_mask).unwrap().unwrap();
    assert_eq!(tensor_bits(&plain), tensor_bits(&with_padding));
}

#[test]
fn attempt_without_sources_names_field() {
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1);
    let err = MethodConfig::Attempt(AttemptConfig::default()).build(&context).err().unwrap();
    assert!(matches!(err, MethodError::NoSourcePrompts));
    assert!(err.to_string().contains("source_prompts"), "{err}");
}

#[test]
fn attempt_missing_source_file_names_field_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources = write_source_prompts(dir.path());
    sources.push(dir.path().join("no-such-task.safetensors"));
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1);
    let message = MethodConfig::Attempt(AttemptConfig { source_prompts: sources, ..Default::default() }).build(&context).err().unwrap().to_string();
    assert!(message.contains("source_prompts[2]"), "{message}");
    assert!(message.contains("no-such-task.safetensors"), "{message}");
}

#[test]
fn attempt_rejects_non_prompt_source() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1);
    let path = dir.path().join("superpos.safetensors");
    MethodConfig::SuperposPromptTuning(SuperPosConfig::default()).build(&context).unwrap().save(&path).unwrap();
    let message = MethodConfig::Attempt(AttemptConfig { source_prompts: vec![path], ..Default::default() }).build(&context).err().unwrap().to_string();
    assert!(message.contains("superpos_prompt_tuning"), "{message}");
    assert!(message.contains("export_prompt"), "{message}");
}

#[test]
fn attempt_rejects_source_of_other_length() {
    let dir = tempfile::tempdir().unwrap();
    let sources = write_source_prompts(dir.path());
    let (model, _) = load_frozen();
    let context = BuildContext::new(Backbone::frozen(model.embedding_table()).unwrap(), 1);
    let config = AttemptConfig { prompt_length: 5, source_prompts: sources, ..Default::default() };
    let err = Attempt::new(config, &context).err().unwrap();
    let MethodError::ShapeMismatch { expected, actual, .. } = err else { panic!("expected a shape mismatch, got {err}") };
    assert_eq!(expected, [5, 64]);
    assert_eq!(actual, [10, 64]);
}
