//! The configuration and the errors a user meets with incomplete model directories.

use std::path::Path;

use candle_core::Device;
use superpos_models::bert::{BertConfig, BertModel};
use superpos_models::t5::Activation;
use superpos_models::ModelError;

use super::fixture;

#[test]
fn minilm_config_parses() {
    let config = BertConfig::from_file(&fixture("config.json")).unwrap();
    assert_eq!(config.vocab_size, 30522);
    assert_eq!(config.hidden_size, 384);
    assert_eq!(config.num_hidden_layers, 6);
    assert_eq!(config.num_attention_heads, 12);
    assert_eq!(config.head_dim(), 32);
    assert_eq!(config.intermediate_size, 1536);
    assert_eq!(config.layer_norm_eps, 1e-12);
    assert_eq!(config.activation(Path::new("config.json")).unwrap(), Activation::GeluErf);
}

#[test]
fn relative_positions_are_rejected() {
    let text = std::fs::read_to_string(fixture("config.json")).unwrap();
    let text = text.replace("\"absolute\"", "\"relative_key\"");
    let error = BertConfig::from_json(&text, Path::new("config.json")).unwrap_err();
    assert!(matches!(error, ModelError::InvalidConfig { .. }), "{error:?}");
    assert!(error.to_string().contains("only \"absolute\" is implemented"), "{error}");
}

#[test]
fn directory_without_weights_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("config.json"), dir.path().join("config.json")).unwrap();
    let error = BertModel::load(dir.path(), &Device::Cpu).err().expect("loading without weights fails");
    assert!(matches!(error, ModelError::MissingWeights { .. }), "{error:?}");
}

#[test]
fn directory_without_config_fails() {
    let dir = tempfile::tempdir().unwrap();
    let error = BertModel::load(dir.path(), &Device::Cpu).err().expect("loading without config.json fails");
    assert!(matches!(error, ModelError::MissingConfig { .. }), "{error:?}");
}
