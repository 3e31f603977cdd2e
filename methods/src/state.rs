//! Method state files: safetensors with the method's resolved config in the header.
//!
//! A state file contains every tensor a method needs to reproduce its outputs, by name, plus one
//! metadata entry, `superpos.method_config`, the JSON of the method's config. The bytes are
//! deterministic: safetensors orders tensors by dtype and name, and a single metadata entry
//! leaves no map-ordering freedom. An exported prompt file contains one tensor, `prompt`, of shape
//! `[n, d_model]`, and prompt tuning's own state file has the same layout, so either can serve
//! as an ATTEMPT source prompt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};

use crate::config::{MethodConfig, PROMPT_TUNING_TAG};
use crate::error::{MethodError, Result};

/// The header metadata key holding the config JSON.
pub const CONFIG_METADATA_KEY: &str = "superpos.method_config";

/// The tensor name of a prompt in exported prompt files and prompt tuning state files.
pub const PROMPT_TENSOR: &str = "prompt";

/// The tensors and config metadata read from a state file.
pub struct StateFile {
    pub path: PathBuf,
    /// The `type` tag of the method that wrote the file, when the header records it.
    pub method: Option<String>,
    pub tensors: HashMap<String, Tensor>,
}

/// Writes `tensors` and the config to `path`.
pub fn save_state(path: &Path, config: &MethodConfig, tensors: &[(String, Var)]) -> Result<()> {
    let config_json = serde_json::to_string(config).map_err(|e| MethodError::InvalidStateFile {
        path: path.to_path_buf(),
        message: format!("cannot serialise the method config: {e}"),
    })?;
    let metadata = HashMap::from([(CONFIG_METADATA_KEY.to_string(), config_json)]);
    let named: Vec<(String, Tensor)> = tensors.iter().map(|(name, var)| (name.clone(), var.as_tensor().detach())).collect();
    write_safetensors(path, &named, Some(metadata))
}

/// Writes a prompt of shape `[n, d_model]` as the single tensor `prompt`.
pub fn save_prompt(path: &Path, prompt: &Tensor) -> Result<()> {
    write_safetensors(path, &[(PROMPT_TENSOR.to_string(), prompt.detach())], None)
}

/// Reads the `prompt` tensor of an exported prompt file or a prompt tuning state file. The state
/// file of any other method is rejected, because its `prompt` tensor (if any) is not the prompt
/// the method prepends.
pub fn load_prompt(path: &Path, device: &Device) -> Result<Tensor> {
    let mut file = read_state(path, device)?;
    if let Some(method) = file.method.as_deref() {
        if method != PROMPT_TUNING_TAG {
            return Err(MethodError::InvalidStateFile {
                path: path.to_path_buf(),
                message: format!("this is a state file of {method}, not a prompt; write the method's export_prompt() with save_prompt and use that file"),
            });
        }
    }
    file.tensors.remove(PROMPT_TENSOR).ok_or_else(|| MethodError::MissingTensor { path: path.to_path_buf(), name: PROMPT_TENSOR.to_string() })
}

/// Reads every tensor of a safetensors file, and the method tag from its header when present.
pub fn read_state(path: &Path, device: &Device) -> Result<StateFile> {
    let bytes = std::fs::read(path).map_err(|source| MethodError::Io { path: path.to_path_buf(), source })?;
    let invalid = |message: String| MethodError::InvalidStateFile { path: path.to_path_buf(), message };
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| invalid(e.to_string()))?;
    let method = match metadata.metadata().as_ref().and_then(|m| m.get(CONFIG_METADATA_KEY)) {
        None => None,
        Some(json) => {
            let value: serde_json::Value = serde_json::from_str(json).map_err(|e| invalid(format!("{CONFIG_METADATA_KEY} is not JSON: {e}")))?;
            value.get("type").and_then(|tag| tag.as_str()).map(str::to_string)
        }
    };
    let tensors = candle_core::safetensors::load_buffer(&bytes, device).map_err(|e| invalid(e.to_string()))?;
    Ok(StateFile { path: path.to_path_buf(), method, tensors })
}

/// Loads a state file into `vars`, checking the method tag, every name and every shape. The file
/// must hold exactly the named variables, so a file from another configuration fails loudly
/// instead of loading half of its values.
pub fn load_state(path: &Path, config: &MethodConfig, vars: &[(String, Var)]) -> Result<()> {
    let device = vars.first().map_or(Device::Cpu, |(_, var)| var.device().clone());
    let file = read_state(path, &device)?;
    if let Some(found) = &file.method {
        if found != config.name() {
            return Err(MethodError::MethodMismatch { path: path.to_path_buf(), expected: config.name().to_string(), found: found.clone() });
        }
    }
    for (name, var) in vars {
        let tensor = file.tensors.get(name).ok_or_else(|| MethodError::MissingTensor { path: path.to_path_buf(), name: name.clone() })?;
        if tensor.dims() != var.dims() {
            return Err(MethodError::ShapeMismatch {
                path: path.to_path_buf(),
                name: name.clone(),
                expected: var.dims().to_vec(),
                actual: tensor.dims().to_vec(),
            });
        }
    }
    let mut unexpected: Vec<&String> = file.tensors.keys().filter(|name| !vars.iter().any(|(n, _)| n == *name)).collect();
    unexpected.sort();
    if let Some(name) = unexpected.first() {
        return Err(MethodError::UnexpectedTensor { path: path.to_path_buf(), name: (*name).clone() });
    }
    for (name, var) in vars {
        var.set(&file.tensors[name].to_dtype(var.dtype())?)?;
    }
    Ok(())
}

fn write_safetensors(path: &Path, tensors: &[(String, Tensor)], metadata: Option<HashMap<String, String>>) -> Result<()> {
    let mut contiguous = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        // Stored as float32 because every method trains in float32 (see `Checkpoint::load`).
        let tensor = if tensor.dtype() == DType::F32 { tensor.contiguous()? } else { tensor.to_dtype(DType::F32)?.contiguous()? };
        contiguous.push((name.clone(), tensor));
    }
    let bytes = safetensors::serialize(contiguous.iter().map(|(name, tensor)| (name.as_str(), tensor)), metadata)
        .map_err(|e| MethodError::InvalidStateFile { path: path.to_path_buf(), message: e.to_string() })?;
    std::fs::write(path, bytes).map_err(|source| MethodError::Io { path: path.to_path_buf(), source })
}
