//! The fields of a stored cell record (`cells/<id>.json`, written by the `superpos run` results
//! store) that reports read.
//!
//! These structs mirror only what this crate uses, so that reports need no dependency on the
//! harness. Unknown fields are ignored, which keeps old reports readable when records gain fields.

use serde::Deserialize;

/// One stored cell result.
#[derive(Debug, Clone, Deserialize)]
pub struct CellRecord {
    pub id: String,
    #[serde(default)]
    pub label: String,
    /// `finished`, `diverged` or `failed`; kept as text so that a new status is reported, not rejected.
    pub status: String,
    pub cell: CellSpec,
    /// The validation evaluation of the selected state.
    #[serde(default)]
    pub validation: Option<Evaluation>,
    /// The test evaluation of the selected state; absent when the protocol has no test split.
    #[serde(default)]
    pub test: Option<Evaluation>,
    #[serde(default)]
    pub selected_epoch: Option<usize>,
    /// Validation scores after each evaluated epoch.
    #[serde(default)]
    pub curve: Vec<CurvePoint>,
    #[serde(default)]
    pub flags: RecordFlags,
    #[serde(default)]
    pub provenance: Option<Provenance>,
    /// The error that stopped a failed cell, or where a diverged one diverged.
    #[serde(default)]
    pub error: Option<String>,
    /// Files written next to the record, relative to `cells/`.
    #[serde(default)]
    pub artefacts: Vec<String>,
    /// Predictions on the benchmark's unlabelled test splits.
    #[serde(default)]
    pub official_test: Vec<OfficialTest>,
}

/// A summary of the predictions on one official test split.
#[derive(Debug, Clone, Deserialize)]
pub struct OfficialTest {
    /// `test`, `test_matched` or `test_mismatched`.
    pub split: String,
    /// Rows predicted.
    pub examples: usize,
    /// Rows in the data file.
    pub rows: usize,
    /// Rows whose prediction was invalid and was written as the fallback label.
    #[serde(default)]
    pub invalid: usize,
    /// The label written for invalid predictions.
    #[serde(default)]
    pub fallback: String,
}

impl CellRecord {
    pub const STATUS_FINISHED: &'static str = "finished";
    pub const STATUS_DIVERGED: &'static str = "diverged";
    pub const STATUS_FAILED: &'static str = "failed";

    /// Returns the backbone family, preferring the provenance (what the run used) over the
    /// cell's configuration (what was asked for).
    pub fn family(&self) -> &str {
        match &self.provenance {
            Some(provenance) if !provenance.backbone_family.is_empty() => &provenance.backbone_family,
            _ => &self.cell.backbone.family,
        }
    }

    /// Returns the `backbone/method/task/seedN/dropout-on|off` label, rebuilt from the cell when
    /// the record has none.
    pub fn display_label(&self) -> String {
        if !self.label.is_empty() {
            return self.label.clone();
        }
        format!(
            "{}/{}/{}/seed{}/dropout-{}",
            self.cell.backbone.name,
            self.cell.method.kind,
            self.cell.task,
            self.cell.seed,
            if self.cell.dropout { "on" } else { "off" }
        )
    }
}

/// The resolved configuration of a cell.
#[derive(Debug, Clone, Deserialize)]
pub struct CellSpec {
    #[serde(default)]
    pub grid: String,
    pub backbone: BackboneSpec,
    pub method: MethodSpec,
    pub task: String,
    pub seed: u64,
    pub dropout: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BackboneSpec {
    pub name: String,
    pub family: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MethodSpec {
    /// The method's `type` tag, such as `superpos_prompt_tuning`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The scores of one evaluation pass. Metric values are fractions (accuracy in 0..1,
/// correlations in -1..1).
#[derive(Debug, Clone, Deserialize)]
pub struct Evaluation {
    pub metrics: Vec<MetricValue>,
    /// The mean of the task's metrics, as a fraction.
    pub score: f64,
    #[serde(default)]
    pub examples: usize,
    /// Predictions that mapped to no label.
    #[serde(default)]
    pub invalid: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricValue {
    pub metric: String,
    pub value: f64,
}

/// One point of the validation curve.
#[derive(Debug, Clone, Deserialize)]
pub struct CurvePoint {
    pub epoch: usize,
    pub validation: Evaluation,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecordFlags {
    /// No validation prediction of any evaluation mapped to a label.
    #[serde(default)]
    pub never_valid: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Provenance {
    pub environment: Environment,
    #[serde(default)]
    pub data: Vec<FileHash>,
    #[serde(default)]
    pub weights: Vec<FileHash>,
    #[serde(default)]
    pub backbone_family: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Environment {
    /// `git rev-parse HEAD` of the binary that ran the cell, with `-dirty` for uncommitted changes.
    pub code_revision: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
}
