//! Resolving a model name to a local directory.
//!
//! A name is a local directory in Hugging Face layout or, when no such directory exists, a hub
//! id such as `google/t5-small-lm-adapt`. Hub files are fetched with the `hf-hub` crate into its
//! cache, which honours `HF_HOME`; with `HF_HUB_OFFLINE=1` only the cache is read. Every
//! downloaded weight file is checked against its published sha256: the table below for the
//! checkpoints whose hashes ship with this crate, otherwise the cache's blob name, which the hub
//! sets to the sha256 of large (LFS) files.

use std::path::{Path, PathBuf};

use crate::checkpoint::sha256_file;
use crate::error::{ModelError, Result};

/// Published sha256 and size of weight files, from the hub's LFS pointers.
const KNOWN_WEIGHTS: &[(&str, &str, &str, u64)] = &[
    ("google-t5/t5-base", "model.safetensors", "a90903540cc02cbeb7ff9f823f1a80eb778c7e22426a0e620b01c77a5ec8f5b4", 891_646_390),
    ("google-t5/t5-base", "pytorch_model.bin", "ab97165968edc4aacd30554d18d7beca7f18b3a83e1a47abbad29792d984651f", 891_691_430),
    ("google/t5-v1_1-base", "pytorch_model.bin", "1d51351caeff6b750968985458a25b74622657f492c01cc62dbf3a61074725eb", 990_441_433),
    ("google/t5-v1_1-small", "pytorch_model.bin", "7c9a3e998a8c74b52484f3a1ccfdcc9767972ee6b34ae7a527cdf6f972a34163", 307_932_125),
];

/// Returns the published sha256 of `file` in `repo`, when the table above lists it.
pub fn known_sha256(repo: &str, file: &str) -> Option<&'static str> {
    KNOWN_WEIGHTS.iter().find(|(r, f, _, _)| *r == repo && *f == file).map(|(_, _, sha, _)| *sha)
}

/// Returns true when `HF_HUB_OFFLINE` requests cache-only access, as `huggingface_hub` reads it.
pub fn hub_offline() -> bool {
    matches!(std::env::var("HF_HUB_OFFLINE").ok().as_deref().map(str::to_ascii_lowercase).as_deref(), Some("1" | "true" | "yes" | "on"))
}

/// Returns true when `name` has the shape of a hub id (`owner/model`), not a path.
pub fn looks_like_hub_id(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.') && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
}

/// Resolves `name` to a directory that contains `config.json` and weights.
pub fn resolve_model(name: &str) -> Result<PathBuf> {
    let path = Path::new(name);
    // `models-cache/x` has the shape of a hub id too. When its first component is a local
    // directory, the user meant a path, so a typo must not turn into a network request.
    let first_is_local_dir = name.split('/').next().is_some_and(|first| Path::new(first).is_dir());
    if path.exists() || first_is_local_dir || !looks_like_hub_id(name) {
        if !path.is_dir() {
            return Err(ModelError::ModelNotFound(name.to_string()));
        }
        return Ok(path.to_path_buf());
    }
    fetch_from_hub(name)
}

/// Downloads (or, offline, finds in the cache) the files of hub model `repo` and returns the
/// snapshot directory that contains them.
fn fetch_from_hub(repo: &str) -> Result<PathBuf> {
    let _span = tracing::info_span!("hub_fetch", repo).entered();
    let online_error = |file: &str, message: String| ModelError::Hub {
        repo: repo.to_string(),
        file: file.to_string(),
        message: format!("{message}; check the model id and the network, or set HF_HUB_OFFLINE=1 to read only the local cache"),
    };
    let hub_error = |file: &str, message: String| ModelError::Hub { repo: repo.to_string(), file: file.to_string(), message };
    let offline = hub_offline();
    let cache = hf_hub::Cache::from_env().model(repo.to_string());
    let api = if offline {
        None
    } else {
        let api = hf_hub::api::sync::ApiBuilder::from_env().build().map_err(|e| hub_error("the file list", e.to_string()))?;
        Some(api.model(repo.to_string()))
    };
    // Online, the repository's file list decides the layout; offline, whatever the cache holds.
    let listed: Option<Vec<String>> = match &api {
        Some(api) => Some(api.info().map_err(|e| online_error("the file list", e.to_string()))?.siblings.into_iter().map(|s| s.rfilename).collect()),
        None => None,
    };
    let available = |file: &str| match &listed {
        Some(files) => files.iter().any(|f| f == file),
        None => cache.get(file).is_some(),
    };
    let get = |file: &str| -> Result<PathBuf> {
        match &api {
            Some(api) => api.get(file).map_err(|e| online_error(file, e.to_string())),
            None => cache.get(file).ok_or_else(|| {
                hub_error(file, "not in the local cache, and HF_HUB_OFFLINE is set; download the model on a machine with network access, or unset HF_HUB_OFFLINE".to_string())
            }),
        }
    };

    let config = get("config.json")?;
    if available("tokenizer.json") {
        get("tokenizer.json")?;
    }
    let weights: Vec<String> = if available("model.safetensors") {
        vec!["model.safetensors".to_string()]
    } else if available("model.safetensors.index.json") {
        let index = get("model.safetensors.index.json")?;
        let text = std::fs::read_to_string(&index).map_err(|source| ModelError::Io { path: index.clone(), source })?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| hub_error("model.safetensors.index.json", e.to_string()))?;
        let mut shards: Vec<String> = json["weight_map"]
            .as_object()
            .map(|m| m.values().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        shards.sort();
        shards.dedup();
        shards
    } else if available("pytorch_model.bin") {
        vec!["pytorch_model.bin".to_string()]
    } else {
        return Err(hub_error("the weights", "the repository has no model.safetensors, sharded safetensors or pytorch_model.bin".to_string()));
    };
    for file in &weights {
        let path = get(file)?;
        verify_download(repo, file, &path)?;
    }
    Ok(config.parent().map(Path::to_path_buf).unwrap_or_default())
}

/// Checks a cached hub file against its published sha256, when one is known.
fn verify_download(repo: &str, file: &str, path: &Path) -> Result<()> {
    let blob_name = std::fs::canonicalize(path).ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let from_blob = blob_name.filter(|n| n.len() == 64 && n.chars().all(|c| c.is_ascii_hexdigit()));
    let expected = known_sha256(repo, file).map(str::to_string).or(from_blob);
    let Some(expected) = expected else {
        tracing::warn!(repo, file, "no published sha256 known; the file is not verified");
        return Ok(());
    };
    check_sha256(path, &expected)
}

/// Fails with [`ModelError::HashMismatch`] unless the file at `path` has sha256 `expected`.
pub fn check_sha256(path: &Path, expected: &str) -> Result<()> {
    let actual = sha256_file(path)?;
    if actual != expected.to_ascii_lowercase() {
        return Err(ModelError::HashMismatch { path: path.to_path_buf(), expected: expected.to_string(), actual });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_ids_and_paths() {
        assert!(looks_like_hub_id("google/t5-small-lm-adapt"));
        assert!(!looks_like_hub_id("./models/t5"));
        assert!(!looks_like_hub_id("/abs/path"));
        assert!(!looks_like_hub_id("t5-small"));
    }

    #[test]
    fn path_under_local_dir_never_reaches_hub() {
        // Tests run in the crate directory, where `src` exists, so `src/no-such-model` is a
        // mistyped local path, not a hub id.
        let err = resolve_model("src/no-such-model").unwrap_err();
        assert!(matches!(err, ModelError::ModelNotFound(_)), "{err}");
    }

    #[test]
    fn missing_local_name_is_not_found() {
        let err = resolve_model("no/such/dir/anywhere").unwrap_err();
        assert!(matches!(err, ModelError::ModelNotFound(_)), "{err}");
    }

    #[test]
    fn sha256_mismatch_names_both_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        std::fs::write(&path, b"abc").unwrap();
        // sha256("abc"), a standard test vector.
        check_sha256(&path, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").unwrap();
        let err = check_sha256(&path, &"0".repeat(64)).unwrap_err().to_string();
        assert!(err.contains("ba7816bf"), "{err}");
        assert!(err.contains("w.bin"), "{err}");
    }
}
