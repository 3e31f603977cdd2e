//! Hugging Face checkpoint files: locating, reading and checking them.
//!
//! A model directory contains `config.json` and weights in one of three layouts, tried in this
//! order: `model.safetensors`, a sharded `model.safetensors.index.json` with its shards, or a
//! PyTorch `pytorch_model.bin` (a zip of pickled tensors, read with candle's pickle reader).
//! Every tensor is converted to float32 on load, because the golden references and the
//! optimiser state are float32; the stored dtype is kept for `superpos model info`.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

use crate::error::{ModelError, Result};

/// The on-disk layout of a model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightFormat {
    Safetensors,
    ShardedSafetensors,
    PytorchBin,
}

/// The location of a model's files and the weight layout they use.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub format: Option<WeightFormat>,
    pub weights: Vec<PathBuf>,
}

impl ModelFiles {
    /// Finds `config.json` and the weight files in `dir`. Missing weights are not an error here,
    /// because `model info` works from the configuration alone; [`Checkpoint::load`] requires them.
    pub fn locate(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(ModelError::ModelNotFound(dir.display().to_string()));
        }
        let config = dir.join("config.json");
        if !config.is_file() {
            return Err(ModelError::MissingConfig { dir: dir.to_path_buf() });
        }
        let single = dir.join("model.safetensors");
        let index = dir.join("model.safetensors.index.json");
        let bin = dir.join("pytorch_model.bin");
        let (format, weights) = if single.is_file() {
            (Some(WeightFormat::Safetensors), vec![single])
        } else if index.is_file() {
            (Some(WeightFormat::ShardedSafetensors), shard_paths(&index)?)
        } else if bin.is_file() {
            (Some(WeightFormat::PytorchBin), vec![bin])
        } else {
            (None, vec![])
        };
        Ok(Self { dir: dir.to_path_buf(), config, format, weights })
    }

    /// Returns the weight files, or an error naming the directory when there are none.
    pub fn require_weights(&self) -> Result<(WeightFormat, &[PathBuf])> {
        match self.format {
            Some(format) => Ok((format, &self.weights)),
            None => Err(ModelError::MissingWeights { dir: self.dir.clone() }),
        }
    }
}

/// Reads the shard file names from a `model.safetensors.index.json` (its `weight_map` values).
fn shard_paths(index: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(index).map_err(|source| ModelError::Io { path: index.to_path_buf(), source })?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ModelError::CorruptWeights { path: index.to_path_buf(), message: e.to_string() })?;
    let map = json.get("weight_map").and_then(|m| m.as_object()).ok_or_else(|| ModelError::CorruptWeights {
        path: index.to_path_buf(),
        message: "no \"weight_map\" object".to_string(),
    })?;
    let dir = index.parent().unwrap_or(Path::new("."));
    let names: BTreeSet<&str> = map.values().filter_map(|v| v.as_str()).collect();
    let mut paths = Vec::with_capacity(names.len());
    for name in names {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(ModelError::MissingWeights { dir: path });
        }
        paths.push(path);
    }
    Ok(paths)
}

/// All tensors of a checkpoint, converted to float32 on one device.
pub struct Checkpoint {
    pub files: ModelFiles,
    tensors: HashMap<String, Tensor>,
    /// The dtype the tensors were stored in (the first tensor's; checkpoints do not mix).
    pub stored_dtype: Option<DType>,
}

impl Checkpoint {
    /// Loads every tensor of the model's weight files.
    pub fn load(files: ModelFiles, device: &Device) -> Result<Self> {
        let (format, paths) = files.require_weights()?;
        let _span = tracing::info_span!("load_checkpoint", dir = %files.dir.display()).entered();
        let mut tensors = HashMap::new();
        for path in paths {
            let corrupt = |e: candle_core::Error| ModelError::CorruptWeights { path: path.clone(), message: e.to_string() };
            let loaded: Vec<(String, Tensor)> = match format {
                WeightFormat::Safetensors | WeightFormat::ShardedSafetensors => {
                    candle_core::safetensors::load(path, device).map_err(corrupt)?.into_iter().collect()
                }
                WeightFormat::PytorchBin => candle_core::pickle::read_all(path).map_err(corrupt)?,
            };
            tensors.extend(loaded);
        }
        let stored_dtype = tensors.values().next().map(|t| t.dtype());
        let mut converted = HashMap::with_capacity(tensors.len());
        for (name, tensor) in tensors {
            let tensor = tensor.to_dtype(DType::F32)?.to_device(device)?;
            converted.insert(name, tensor);
        }
        tracing::debug!(tensors = converted.len(), "checkpoint loaded");
        Ok(Self { files, tensors: converted, stored_dtype })
    }

    /// Builds a checkpoint from tensors already in memory (tests, random-weight benchmarks).
    pub fn from_tensors(files: ModelFiles, tensors: HashMap<String, Tensor>) -> Self {
        let stored_dtype = tensors.values().next().map(|t| t.dtype());
        Self { files, tensors, stored_dtype }
    }

    /// Returns the tensor `name`, checking its shape against the one the config implies.
    pub fn get(&self, name: &str, expected: &[usize]) -> Result<Tensor> {
        let tensor = self.tensors.get(name).ok_or_else(|| ModelError::MissingTensor {
            path: self.weights_path(),
            name: name.to_string(),
        })?;
        if tensor.dims() != expected {
            return Err(ModelError::ShapeMismatch {
                path: self.weights_path(),
                name: name.to_string(),
                expected: expected.to_vec(),
                actual: tensor.dims().to_vec(),
            });
        }
        Ok(tensor.clone())
    }

    /// Returns the first of `names` that the checkpoint holds, shape-checked. Checkpoints name
    /// the shared embedding differently across transformers versions.
    pub fn get_any(&self, names: &[&str], expected: &[usize]) -> Result<Tensor> {
        for name in names {
            if self.tensors.contains_key(*name) {
                return self.get(name, expected);
            }
        }
        self.get(names[0], expected)
    }

    /// Returns true when the checkpoint contains a tensor called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// Mutable access for deliberate perturbation in cross-checks and tests.
    pub fn tensors_mut(&mut self) -> &mut HashMap<String, Tensor> {
        &mut self.tensors
    }

    fn weights_path(&self) -> PathBuf {
        match self.files.weights.as_slice() {
            [one] => one.clone(),
            _ => self.files.dir.clone(),
        }
    }
}

/// Computes the sha256 of a file as lowercase hex, streaming it so that large weights fit.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
