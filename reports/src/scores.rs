//! Per-seed score rows, from cell records or score CSVs, and their polars DataFrame.
//!
//! Every table starts from these rows: one per backbone, method, dropout setting, task, metric
//! and seed. Records store fractions (0..1) and SuperPos-Prompt's tables print percentages, so every score is
//! kept in percentage points (fraction x 100) from here on.

use polars::prelude::*;
use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::record::CellRecord;

/// The evaluation of a cell that the tables report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// The test evaluation of the selected state, as in SuperPos-Prompt's tables.
    Test,
    /// The validation evaluation of the selected state.
    Validation,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Test => "test",
            Split::Validation => "validation",
        }
    }
}

/// One metric of one seed of one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    /// The backbone family (`t5`, `bert`); tables never mix families.
    pub family: String,
    /// The backbone name, such as `t5-base-lm-adapt`.
    pub model: String,
    /// The method's `type` tag.
    pub method: String,
    /// Backbone dropout on (true) or off.
    pub dropout: bool,
    pub task: String,
    pub metric: String,
    pub seed: u64,
    /// The score in percentage points.
    pub score: f64,
    /// The run never produced a valid label, so it is scored 0 (SuperPos-Prompt's Table 1 marks such runs with a dagger).
    pub never_valid: bool,
    /// The training loss became NaN or infinite; the score is that of the state selected before it.
    pub diverged: bool,
    /// The record's id; `None` for rows from a score CSV.
    pub cell_id: Option<String>,
    pub code_revision: Option<String>,
    /// sha256 of the data files the cell read (train, validation and test rows).
    pub data_sha256: Vec<String>,
    /// sha256 of the backbone weight files.
    pub weights_sha256: Vec<String>,
}

/// Turns records into score rows from the `split` evaluation.
///
/// Failed cells and cells without that evaluation give no rows (the flags list them). A cell
/// flagged `never_valid` scores 0 on every metric, SuperPos-Prompt's rule for runs that never emit a
/// valid label, whatever its metric function returned for all-invalid predictions.
pub fn rows_from_records(records: &[CellRecord], split: Split) -> Vec<ScoreRow> {
    let mut rows = Vec::new();
    for record in records {
        if record.status == CellRecord::STATUS_FAILED {
            continue;
        }
        let evaluation = match split {
            Split::Test => record.test.as_ref(),
            Split::Validation => record.validation.as_ref(),
        };
        let Some(evaluation) = evaluation else { continue };
        let provenance = record.provenance.as_ref();
        for metric in &evaluation.metrics {
            let score = if record.flags.never_valid { 0.0 } else { metric.value * 100.0 };
            rows.push(ScoreRow {
                family: record.family().to_string(),
                model: record.cell.backbone.name.clone(),
                method: record.cell.method.kind.clone(),
                dropout: record.cell.dropout,
                task: record.cell.task.clone(),
                metric: metric.metric.clone(),
                seed: record.cell.seed,
                score,
                never_valid: record.flags.never_valid,
                diverged: record.status == CellRecord::STATUS_DIVERGED,
                cell_id: Some(record.id.clone()),
                code_revision: provenance.map(|p| p.environment.code_revision.clone()),
                data_sha256: provenance.map(|p| p.data.iter().map(|f| f.sha256.clone()).collect()).unwrap_or_default(),
                weights_sha256: provenance.map(|p| p.weights.iter().map(|f| f.sha256.clone()).collect()).unwrap_or_default(),
            });
        }
    }
    rows
}

/// Column names of the per-seed frame.
pub mod columns {
    pub const FAMILY: &str = "family";
    pub const MODEL: &str = "model";
    pub const METHOD: &str = "method";
    pub const DROPOUT: &str = "dropout";
    pub const TASK: &str = "task";
    pub const METRIC: &str = "metric";
    pub const SEED: &str = "seed";
    pub const SCORE: &str = "score";
    pub const NEVER_VALID: &str = "never_valid";
    pub const DIVERGED: &str = "diverged";
    pub const CELL_ID: &str = "cell_id";
    pub const CODE_REVISION: &str = "code_revision";
}

/// Builds the per-seed DataFrame: one row per score row, in the given order.
pub fn scores_frame(rows: &[ScoreRow]) -> Result<DataFrame> {
    use columns::*;
    df!(
        FAMILY => rows.iter().map(|r| r.family.as_str()).collect::<Vec<_>>(),
        MODEL => rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
        METHOD => rows.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        DROPOUT => rows.iter().map(|r| r.dropout).collect::<Vec<_>>(),
        TASK => rows.iter().map(|r| r.task.as_str()).collect::<Vec<_>>(),
        METRIC => rows.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>(),
        SEED => rows.iter().map(|r| r.seed).collect::<Vec<_>>(),
        SCORE => rows.iter().map(|r| r.score).collect::<Vec<_>>(),
        NEVER_VALID => rows.iter().map(|r| r.never_valid).collect::<Vec<_>>(),
        DIVERGED => rows.iter().map(|r| r.diverged).collect::<Vec<_>>(),
        CELL_ID => rows.iter().map(|r| r.cell_id.as_deref()).collect::<Vec<_>>(),
        CODE_REVISION => rows.iter().map(|r| r.code_revision.as_deref()).collect::<Vec<_>>(),
    )
    .map_err(ReportError::polars("building the per-seed score frame"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seed: u64, score: f64) -> ScoreRow {
        ScoreRow {
            family: "t5".into(),
            model: "t5-small-lm-adapt".into(),
            method: "prompt_tuning".into(),
            dropout: true,
            task: "rte".into(),
            metric: "accuracy".into(),
            seed,
            score,
            never_valid: false,
            diverged: false,
            cell_id: None,
            code_revision: None,
            data_sha256: Vec::new(),
            weights_sha256: Vec::new(),
        }
    }

    #[test]
    fn frame_keeps_one_row_per_seed() {
        let frame = scores_frame(&[row(0, 50.0), row(1, 60.0)]).unwrap();
        assert_eq!(frame.height(), 2);
        assert_eq!(frame.width(), 12);
    }
}
