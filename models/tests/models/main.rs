//! Integration tests of the `superpos-models` crate: golden outputs of the tiny T5 fixtures
//! (produced by transformers 5.25 in float32), the real T5 tokenizer, dropout behaviour, and
//! the errors a user meets with broken model directories.

mod dropout;
mod errors;
mod golden;
mod info;
mod tokenizer;

use std::path::PathBuf;

/// The path of a file or folder under `models/tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}
