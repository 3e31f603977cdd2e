//! Grids: the YAML file a user runs, and its expansion into cells.
//!
//! A grid is backbones x methods x tasks x seeds x dropout settings, under one protocol and one
//! training schedule. Each combination is a cell, identified by the sha256 of its fully resolved
//! configuration (method defaults filled in, the protocol's every choice written out), so the id
//! changes whenever anything that could change the numbers changes, and only then.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use superpos_datasets::{DataDir, Protocol, ResolvedProtocol, Task};
use superpos_methods::MethodConfig;
use superpos_models::Precision;

use crate::exit::InputError;

/// The backbone families the training loop supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Encoder-decoder: the decoder generates the label text, as in SuperPos-Prompt's protocol.
    T5,
    /// Encoder only: mean pooling and a trainable linear head over the classes (or a regression
    /// head for STS-B). Scores are not comparable with the T5 protocol.
    Bert,
}

/// One backbone of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackboneSpec {
    /// A short name for tables, such as `t5-small-lm-adapt`.
    pub name: String,
    pub family: Family,
    /// A local directory in Hugging Face layout or a hub id.
    pub model: String,
    /// Dropout rate of the backbone when a cell has dropout on; defaults to the checkpoint's
    /// `config.json` value.
    #[serde(default)]
    pub dropout_rate: Option<f64>,
    /// A `config.json` that describes the backbone for `superpos plan` without its weights.
    #[serde(default)]
    pub config: Option<PathBuf>,
    /// Cross-checks the backbone against ONNX Runtime before any training (T5 only); the report
    /// goes into every cell's provenance. Absent from the id's input when not set, so existing
    /// grids keep their cell ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crosscheck: Option<CrosscheckSpec>,
}

fn default_crosscheck_tolerance() -> f64 {
    1e-4
}

/// The location of a backbone's ONNX graphs and the tolerance candle must meet against them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrosscheckSpec {
    /// A directory with `encoder_model.onnx`, `decoder_model.onnx` or both.
    pub onnx: PathBuf,
    /// Maximum relative error (max |candle - onnx| / max |onnx|), float32.
    #[serde(default = "default_crosscheck_tolerance")]
    pub tolerance: f64,
}

/// The rule that picks the state evaluated on the test set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The state after the epoch with the best validation score (the first, on ties).
    BestValidation,
    /// The state after the last epoch.
    Last,
}

fn default_eval_every() -> usize {
    1
}
fn default_selection() -> Selection {
    Selection::BestValidation
}
fn default_dropout() -> Vec<bool> {
    vec![true, false]
}

/// The training schedule shared by every cell of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// Training batch size; defaults to the protocol's.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Evaluation batch size; defaults to the training batch size.
    #[serde(default)]
    pub eval_batch_size: Option<usize>,
    pub epochs: usize,
    /// Stops training after this many optimiser steps in all, if set.
    #[serde(default)]
    pub max_steps: Option<usize>,
    /// Evaluates on validation every this many epochs (and after the last).
    #[serde(default = "default_eval_every")]
    pub eval_every_epochs: usize,
    #[serde(default = "default_selection")]
    pub selection: Selection,
    /// Encoder length limit in tokens, counting the prompt; defaults to the protocol's.
    #[serde(default)]
    pub max_source_len: Option<usize>,
    /// Uses only the first this many training examples (after the protocol's split), if set.
    #[serde(default)]
    pub train_limit: Option<usize>,
    /// Uses only the first this many validation and test examples, if set.
    #[serde(default)]
    pub eval_limit: Option<usize>,
    /// The format of the frozen backbone's matrix products: `f32` (default) or `bf16`. Left out
    /// of the serialised cell when `f32`, so that cell ids made before the setting existed hold.
    #[serde(default, skip_serializing_if = "Precision::is_f32")]
    pub precision: Precision,
}

/// A grid file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    pub name: String,
    /// The results directory; a relative path is taken from the current directory.
    #[serde(default)]
    pub results_dir: Option<PathBuf>,
    /// A data directory in the official release layout; the embedded CB, COPA and RTE are used
    /// when it is absent or lacks a task.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    pub protocol: Protocol,
    pub backbones: Vec<BackboneSpec>,
    pub methods: Vec<MethodConfig>,
    pub tasks: Vec<Task>,
    pub seeds: Vec<u64>,
    /// Backbone dropout on (`true`) and off (`false`); both by default.
    #[serde(default = "default_dropout")]
    pub dropout: Vec<bool>,
    pub training: TrainingSpec,
    /// Tolerances for `superpos ci`, which compares the grid's metrics with a baseline.
    #[serde(default)]
    pub regression: Option<crate::regression::RegressionSpec>,
}

/// One run of the grid, fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub grid: String,
    pub backbone: BackboneSpec,
    pub method: MethodConfig,
    pub task: Task,
    pub protocol: ResolvedProtocol,
    pub seed: u64,
    pub dropout: bool,
    pub training: TrainingSpec,
    pub data_dir: Option<PathBuf>,
}

impl Cell {
    /// Returns the cell's stable id: the first 16 hex digits of the sha256 of its JSON form.
    pub fn id(&self) -> String {
        let json = serde_json::to_vec(self).expect("cells serialize");
        hex::encode(&Sha256::digest(&json)[..8])
    }

    /// Returns where the cell's task data is read from: the grid's data directory (falling back
    /// to the embedded CB, COPA and RTE), or only the embedded files.
    pub fn data(&self) -> DataDir {
        DataDir::new_or_embedded(self.data_dir.as_deref())
    }

    /// Returns a readable label such as `minilm/superpos_prompt_tuning/cb/seed0/dropout-on`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}/{}/seed{}/dropout-{}",
            self.backbone.name,
            self.method.name(),
            self.task.name(),
            self.seed,
            if self.dropout { "on" } else { "off" }
        )
    }
}

impl Grid {
    /// Reads a grid file. Syntax errors and unknown keys name the line and column.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError(format!("cannot read grid {}: {e}", path.display())))?;
        let grid: Grid = serde_saphyr::from_str(&text).map_err(|e| {
            // serde-saphyr's message starts with its own "error: " and names the text `<input>`.
            let message = e.to_string().replace("<input>", &path.display().to_string());
            InputError(format!("{}: {}", path.display(), message.strip_prefix("error: ").unwrap_or(&message)))
        })?;
        grid.validate(path)?;
        Ok(grid)
    }

    fn validate(&self, path: &Path) -> anyhow::Result<()> {
        let fail = |message: String| -> anyhow::Result<()> { Err(InputError(format!("{}: {message}", path.display())).into()) };
        for (field, empty) in [
            ("backbones", self.backbones.is_empty()),
            ("methods", self.methods.is_empty()),
            ("tasks", self.tasks.is_empty()),
            ("seeds", self.seeds.is_empty()),
            ("dropout", self.dropout.is_empty()),
        ] {
            if empty {
                return fail(format!("`{field}` is empty; list at least one"));
            }
        }
        if self.training.epochs == 0 {
            return fail("`training.epochs` must be at least 1".to_string());
        }
        if self.training.eval_every_epochs == 0 {
            return fail("`training.eval_every_epochs` must be at least 1".to_string());
        }
        // Method values (learning rates, source prompt files) are checked per cell before a run
        // starts, not here: `plan` must work before files that earlier grids produce exist.
        Ok(())
    }

    /// Expands the grid into cells in a fixed order: backbone, method, task, seed, dropout.
    pub fn cells(&self) -> anyhow::Result<Vec<Cell>> {
        let mut cells = Vec::new();
        for backbone in &self.backbones {
            for method in &self.methods {
                let method = method_for_backbone(method, &backbone.name)?;
                for &task in &self.tasks {
                    let protocol = self.protocol.resolve(task).map_err(|e| InputError(format!("task {task}: {e}")))?;
                    for &seed in &self.seeds {
                        for &dropout in &self.dropout {
                            cells.push(Cell {
                                grid: self.name.clone(),
                                backbone: backbone.clone(),
                                method: method.clone(),
                                task,
                                protocol: protocol.clone(),
                                seed,
                                dropout,
                                training: self.training.clone(),
                                data_dir: self.data_dir.clone(),
                            });
                        }
                    }
                }
            }
        }
        Ok(cells)
    }

    /// Returns the results directory: the grid's `results_dir`, else `results/<name>`.
    pub fn results_dir(&self) -> PathBuf {
        self.results_dir.clone().unwrap_or_else(|| PathBuf::from("results").join(&self.name))
    }
}

/// Replaces `{backbone}` in every string of a method config with the backbone's name, so one
/// method entry can point at per-backbone files (such as ATTEMPT's source prompts, which differ
/// in width between backbones).
fn method_for_backbone(method: &MethodConfig, backbone: &str) -> anyhow::Result<MethodConfig> {
    fn substitute(value: &mut serde_json::Value, backbone: &str) {
        match value {
            serde_json::Value::String(text) => *text = text.replace("{backbone}", backbone),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| substitute(item, backbone)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|item| substitute(item, backbone)),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(method)?;
    substitute(&mut value, backbone);
    Ok(serde_json::from_value(value)?)
}

/// Reads a grid and returns it with its cells, adding the file name to errors.
pub fn load_cells(path: &Path) -> anyhow::Result<(Grid, Vec<Cell>)> {
    let grid = Grid::load(path)?;
    let cells = grid.cells().with_context(|| format!("expanding grid {}", path.display()))?;
    Ok((grid, cells))
}
