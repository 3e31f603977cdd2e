//! The summary that `superpos model info` prints: the architecture, the parameter count (from
//! `config.json` alone), the stored dtype and the sha256 of each weight file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::checkpoint::{sha256_file, ModelFiles, WeightFormat};
use crate::error::{ModelError, Result};
use crate::t5::T5Config;

/// A weight file and its sha256.
#[derive(Debug, Clone, Serialize)]
pub struct WeightFileInfo {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// A summary of a model, from its configuration and (when present) its weights.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub config_path: PathBuf,
    pub architecture: String,
    pub config: T5Config,
    pub parameters: u64,
    pub weight_format: Option<WeightFormat>,
    pub stored_dtype: Option<String>,
    pub weight_files: Vec<WeightFileInfo>,
}

/// Describes the model at `path`: a model directory, or a `config.json` on its own, in which
/// case no weights are read.
pub fn model_info(path: &Path) -> Result<ModelInfo> {
    let (config_path, files) = if path.is_file() {
        (path.to_path_buf(), None)
    } else {
        let files = ModelFiles::locate(path)?;
        (files.config.clone(), Some(files))
    };
    let config = T5Config::from_file(&config_path)?;
    let kind = config.feed_forward(&config_path)?;
    let head = if config.tie_word_embeddings { "tied head" } else { "untied head" };
    let architecture = format!(
        "T5 encoder-decoder: {} encoder + {} decoder layers, d_model {}, d_ff {} ({}{}), {} heads x d_kv {}, vocab {}, {} relative buckets up to distance {}, {head}{}",
        config.num_layers,
        config.decoder_layers(),
        config.d_model,
        config.d_ff,
        if kind.gated { "gated " } else { "" },
        kind.activation,
        config.num_heads,
        config.d_kv,
        config.vocab_size,
        config.relative_attention_num_buckets,
        config.relative_attention_max_distance,
        if config.scales_decoder_output() { ", output scaled by d_model^-0.5" } else { "" },
    );
    let mut info = ModelInfo {
        config_path,
        architecture,
        parameters: config.parameter_count(),
        config,
        weight_format: None,
        stored_dtype: None,
        weight_files: vec![],
    };
    if let Some(files) = files {
        if let Some(format) = files.format {
            info.weight_format = Some(format);
            for path in &files.weights {
                let bytes = std::fs::metadata(path).map_err(|source| ModelError::Io { path: path.clone(), source })?.len();
                info.weight_files.push(WeightFileInfo { path: path.clone(), bytes, sha256: sha256_file(path)? });
            }
            info.stored_dtype = stored_dtype(format, &files.weights[0]);
        }
    }
    Ok(info)
}

/// Reads the dtype of the first tensor from a safetensors header (an 8-byte little-endian
/// length, then JSON) without loading the data. Returns `None` for pickled PyTorch files,
/// because their dtype is only known after loading.
fn stored_dtype(format: WeightFormat, path: &Path) -> Option<String> {
    use std::io::Read;
    if format == WeightFormat::PytorchBin {
        return None;
    }
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let mut len = [0u8; 8];
    reader.read_exact(&mut len).ok()?;
    let len = u64::from_le_bytes(len);
    // Real headers are a few hundred kilobytes; anything larger is a corrupt length field.
    if len > 100_000_000 {
        return None;
    }
    let mut header = vec![0u8; len as usize];
    reader.read_exact(&mut header).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&header).ok()?;
    json.as_object()?
        .iter()
        .filter(|(k, _)| k.as_str() != "__metadata__")
        .find_map(|(_, v)| v.get("dtype").and_then(|d| d.as_str()).map(str::to_string))
}
