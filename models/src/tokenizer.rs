//! The tokenizer of a model, read from its `tokenizer.json` with the `tokenizers` crate.
//!
//! T5 checkpoints ship a SentencePiece unigram model; its `tokenizer.json` form (written by
//! transformers' fast tokenizer) adds `</s>` after every sequence through its post-processor,
//! as the Python tokenizer does.

use std::path::{Path, PathBuf};

use crate::error::{ModelError, Result};

/// Loads `tokenizer.json` from a model directory, or from the file itself when given one.
pub fn load_tokenizer(path: &Path) -> Result<tokenizers::Tokenizer> {
    let file: PathBuf = if path.is_dir() { path.join("tokenizer.json") } else { path.to_path_buf() };
    if !file.is_file() {
        return Err(ModelError::Tokenizer {
            path: file,
            message: "file not found; a Hugging Face model directory contains tokenizer.json".to_string(),
        });
    }
    tokenizers::Tokenizer::from_file(&file).map_err(|e| ModelError::Tokenizer { path: file.clone(), message: e.to_string() })
}

/// Encodes `text` with special tokens (T5 appends `</s>`) and returns the ids.
pub fn encode_ids(tokenizer: &tokenizers::Tokenizer, text: &str) -> Result<Vec<u32>> {
    let encoding = tokenizer
        .encode(text, true)
        .map_err(|e| ModelError::InvalidInput(format!("cannot tokenize {text:?}: {e}")))?;
    Ok(encoding.get_ids().to_vec())
}
