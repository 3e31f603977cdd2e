//! Integration tests of the ONNX cross-check and exporter: the tiny T5 fixtures' ONNX files
//! (written by `torch.onnx` in Optimum's layout) and graphs written by `export_t5` must agree
//! with candle, and a weight changed on purpose must be caught and named.
//!
//! These tests need the ONNX Runtime library that `scripts/fetch-onnxruntime.sh` installs; when
//! it is missing they fail with a message saying so, rather than being skipped.

mod buckets;
mod export;
mod fixtures;
mod perturbed;
mod proto;

use std::path::PathBuf;
use std::sync::Arc;

use superpos_models::onnx::runtime::{runtime, Runtime};

/// Returns the path of a folder under `models/tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Loads ONNX Runtime, or fails the test with the loader's message, which names
/// scripts/fetch-onnxruntime.sh as the fix.
pub fn require_runtime() -> Arc<Runtime> {
    match runtime() {
        Ok(runtime) => runtime,
        Err(e) => panic!("ONNX Runtime is required for this test: {e}"),
    }
}
