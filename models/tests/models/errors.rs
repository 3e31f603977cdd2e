//! The errors a user meets with a broken model directory: each names the file, tensor or value.

use std::path::Path;

use candle_core::Device;
use superpos_models::t5::T5Model;
use superpos_models::ModelError;

use super::fixture;

/// Copies the tiny v1.1 fixture's config and weights into a fresh directory.
fn copy_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture("t5-tiny-v11").join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn edit_config(dir: &Path, from: &str, to: &str) {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "fixture config contains {from}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

fn load_error(dir: &Path) -> ModelError {
    match T5Model::load(dir, &Device::Cpu) {
        Ok(_) => panic!("loading {} should fail", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn missing_config_names_directory() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_error(dir.path());
    assert!(matches!(err, ModelError::MissingConfig { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("config.json"), "{message}");
    assert!(message.contains(&dir.path().display().to_string()), "{message}");
}

#[test]
fn missing_weights_lists_expected_files() {
    let dir = copy_fixture();
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let err = load_error(dir.path());
    assert!(matches!(err, ModelError::MissingWeights { .. }), "{err}");
    assert!(err.to_string().contains("pytorch_model.bin"), "{err}");
}

#[test]
fn shape_mismatch_names_tensor_and_shapes() {
    let dir = copy_fixture();
    edit_config(dir.path(), "\"d_ff\": 96", "\"d_ff\": 100");
    let err = load_error(dir.path());
    let message = err.to_string();
    assert!(matches!(err, ModelError::ShapeMismatch { .. }), "{message}");
    assert!(message.contains("encoder.block.0.layer.1.DenseReluDense.wi_0.weight"), "{message}");
    assert!(message.contains("[96, 64]"), "{message}");
    assert!(message.contains("[100, 64]"), "{message}");
}

#[test]
fn truncated_safetensors_is_reported_as_corrupt() {
    let dir = copy_fixture();
    let path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_error(dir.path());
    let message = err.to_string();
    assert!(matches!(err, ModelError::CorruptWeights { .. }), "{message}");
    assert!(message.contains("model.safetensors"), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn unknown_feed_forward_is_rejected() {
    let dir = copy_fixture();
    edit_config(dir.path(), "\"feed_forward_proj\": \"gated-gelu\"", "\"feed_forward_proj\": \"gated-banana\"");
    let err = load_error(dir.path());
    assert!(matches!(err, ModelError::UnknownFeedForward { .. }), "{err}");
    assert!(err.to_string().contains("gated-banana"), "{err}");
}

#[test]
fn missing_tensor_is_named() {
    let dir = copy_fixture();
    edit_config(dir.path(), "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
    let err = load_error(dir.path());
    assert!(matches!(err, ModelError::MissingTensor { .. }), "{err}");
    assert!(err.to_string().contains("lm_head.weight"), "{err}");
}
