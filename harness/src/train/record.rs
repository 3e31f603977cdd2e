//! The record of one cell, as stored in `cells/<id>.json`.

use serde::{Deserialize, Serialize};

use crate::grid::Cell;
use crate::provenance::Environment;
use super::official_test::OfficialTest;

/// The outcome of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Training and evaluation completed.
    Finished,
    /// The training loss became NaN or infinite; the record keeps the curve up to that point.
    Diverged,
    /// An error stopped the cell; a rerun retries it.
    Failed,
}

/// One metric value of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRecord {
    pub metric: String,
    pub value: f64,
}

/// The scores of one evaluation pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub metrics: Vec<MetricRecord>,
    /// The mean of the task's metrics, as a fraction.
    pub score: f64,
    pub examples: usize,
    /// Predictions that mapped to no label, each scored as wrong.
    pub invalid: usize,
    pub invalid_rate: f64,
}

/// One point of the validation curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub epoch: usize,
    pub step: usize,
    /// Mean training loss over the steps since the previous point.
    pub train_loss: f64,
    pub validation: Evaluation,
}

/// Wall-clock time of the cell's parts, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub setup_seconds: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub total_seconds: f64,
    pub steps: usize,
}

/// A file that a result depends on, with its sha256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
}

/// Everything needed to tell how a result was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub environment: Environment,
    pub seed: u64,
    pub data: Vec<FileHash>,
    pub weights: Vec<FileHash>,
    pub tokenizer: Option<FileHash>,
    /// The backbone family and the output head, so no table mixes protocols silently.
    pub backbone_family: String,
    pub head: String,
    /// Trainable values of the method plus, for encoder-only backbones, the head.
    pub trainable_parameters: usize,
    /// The ONNX Runtime cross-check of the backbone, when the grid asked for one.
    #[serde(default)]
    pub crosscheck: Option<serde_json::Value>,
}

/// Warnings a report should show next to the numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flags {
    /// No validation prediction of any evaluation mapped to a label. SuperPos-Prompt's Table 1
    /// marks such runs with a dagger and scores them 0.
    pub never_valid: bool,
    /// Training examples whose source or target was cut to fit the length limits.
    pub truncated_train_examples: usize,
}

/// The stored result of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub id: String,
    pub label: String,
    pub status: Status,
    pub cell: Cell,
    /// The validation evaluation of the selected state.
    pub validation: Option<Evaluation>,
    /// The test evaluation of the selected state (absent when the protocol has no test split).
    pub test: Option<Evaluation>,
    pub selected_epoch: Option<usize>,
    pub curve: Vec<CurvePoint>,
    pub flags: Flags,
    pub timing: Timing,
    pub provenance: Option<Provenance>,
    /// The error that stopped a failed cell, or where a diverged one diverged.
    pub error: Option<String>,
    /// Files the cell wrote next to its record (the selected method state), relative to it.
    pub artefacts: Vec<String>,
    /// Predictions on the benchmark's unlabelled test splits, where the data contains them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub official_test: Vec<OfficialTest>,
}
