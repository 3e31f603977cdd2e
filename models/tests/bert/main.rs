//! Integration tests of the BERT encoder on the real pretrained all-MiniLM-L6-v2: golden
//! outputs against transformers (`reference.json`, float32, dropout off), the soft-prompt path,
//! gradients, a few training steps on the heads and prompt, and configuration errors.
//!
//! The model is not stored in the repository because it is 87 MiB. Run
//! `scripts/fetch-minilm.sh` first, or point `SUPERPOS_MINILM_DIR` at a directory that
//! contains it. Without it the tests fail instead of skipping.

mod config;
mod golden;
mod prompt;
mod training;

use std::path::PathBuf;
use std::sync::OnceLock;

use candle_core::Device;
use superpos_models::bert::BertModel;

/// The environment variable that overrides where the model directory is.
const MODEL_DIR_VAR: &str = "SUPERPOS_MINILM_DIR";

/// Returns the path of a file under `models/tests/fixtures/minilm`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm").join(name)
}

/// Returns the all-MiniLM-L6-v2 directory: `$SUPERPOS_MINILM_DIR`, or
/// `models-cache/all-MiniLM-L6-v2` at the workspace root. Panics with the fix when the
/// directory does not hold the model.
pub fn model_dir() -> PathBuf {
    let dir = match std::env::var_os(MODEL_DIR_VAR) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models-cache/all-MiniLM-L6-v2"),
    };
    let missing: Vec<&str> = ["config.json", "model.safetensors", "tokenizer.json"]
        .into_iter()
        .filter(|file| !dir.join(file).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "all-MiniLM-L6-v2 not found: {} lacks {}; run scripts/fetch-minilm.sh (optionally with a destination, then set {MODEL_DIR_VAR} to it)",
        dir.display(),
        missing.join(", ")
    );
    dir
}

/// Returns the model, loaded once for all tests of this binary.
pub fn model() -> &'static BertModel {
    static MODEL: OnceLock<BertModel> = OnceLock::new();
    MODEL.get_or_init(|| BertModel::load(&model_dir(), &Device::Cpu).expect("all-MiniLM-L6-v2 loads"))
}
