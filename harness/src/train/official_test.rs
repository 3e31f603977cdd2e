//! Predictions on the benchmarks' own unlabelled test splits, which leaderboard submissions
//! need. They are separate from the protocol's test split, which is carved from labelled data.
//!
//! A cell whose data contains the official test file(s) of its task predicts every row with the
//! selected state. It writes `test-predictions.jsonl` next to its record, one JSON object per row
//! with the benchmark's index (`idx`, or `paragraph`/`question`/`answer` for MultiRC), `split`,
//! the `class` or `score`, and `valid`. A server needs a label for every row, so an invalid prediction
//! is written as the training set's most frequent class (STS-B: its mean score) with
//! `"valid": false`, and counted in the record.

use std::path::Path;

use serde::Serialize;
use serde_json::{json, Map, Value};
use superpos_datasets::{DatasetError, Example, Prediction, SourceIndex, Split, Task};
use superpos_methods::TuningMethod;

use super::backbone::Backbone;
use super::evaluate::predict_all;
use super::Prepared;
use crate::store::write_atomic;

/// The name of the predictions file next to a cell's record.
pub const PREDICTIONS_FILE: &str = "test-predictions.jsonl";

/// What a cell predicted on one official test split, as its record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OfficialTest {
    /// `test`, `test_matched` or `test_mismatched`.
    pub split: String,
    /// The data file the rows came from.
    pub source: String,
    /// Rows predicted, fewer than `rows` when the grid's `eval_limit` cut the split.
    pub examples: usize,
    /// Rows in the file.
    pub rows: usize,
    /// Rows whose prediction was invalid and written as `fallback`.
    pub invalid: usize,
    /// The label written for invalid predictions.
    pub fallback: String,
}

/// One loaded official test split.
pub struct OfficialSplit {
    pub split: Split,
    pub source: String,
    /// Rows in the file, before any `eval_limit`.
    pub rows: usize,
    pub prepared: Prepared,
}

/// Returns the task's official test splits, in the task's order.
pub fn test_splits(task: Task) -> Vec<Split> {
    task.splits().iter().copied().filter(|s| matches!(s, Split::Test | Split::TestMatched | Split::TestMismatched)).collect()
}

/// Returns true when a load error only means the split's file is absent.
pub fn is_absent(error: &DatasetError) -> bool {
    matches!(error, DatasetError::SplitNotFound { .. })
}

/// The label written for an invalid prediction: the most frequent training class (the lowest
/// index on a tie), or the mean training score for STS-B.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fallback {
    Class(u32),
    Score(f64),
}

impl Fallback {
    pub fn from_training(task: Task, train: &[Example]) -> Self {
        if task == Task::Stsb {
            let scores: Vec<f64> = train.iter().filter_map(Example::score).collect();
            let mean = if scores.is_empty() { 2.5 } else { scores.iter().sum::<f64>() / scores.len() as f64 };
            return Fallback::Score(mean);
        }
        let classes = task.class_names().map_or(2, <[_]>::len);
        let mut counts = vec![0usize; classes.max(1)];
        for class in train.iter().filter_map(Example::class) {
            if let Some(count) = counts.get_mut(class as usize) {
                *count += 1;
            }
        }
        let best = counts.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |(i, _)| i);
        Fallback::Class(best as u32)
    }

    fn describe(self, task: Task) -> String {
        match self {
            Fallback::Class(class) => match task.class_names().and_then(|names| names.get(class as usize)) {
                Some(name) => format!("class {class} ({name})"),
                None => format!("class {class}"),
            },
            Fallback::Score(score) => format!("score {score:.4}"),
        }
    }
}

/// Predicts every row of each split and writes the predictions file into `artefacts`. Returns
/// one summary per split; nothing is written when `splits` is empty.
pub fn predict_official_test(backbone: &Backbone, method: &dyn TuningMethod, task: Task, splits: &[OfficialSplit], fallback: Fallback, batch_size: usize, artefacts: &Path) -> anyhow::Result<Vec<OfficialTest>> {
    let _span = tracing::debug_span!("official_test", %task, splits = splits.len()).entered();
    let mut lines = String::new();
    let mut summaries = Vec::new();
    for official in splits {
        let examples = &official.prepared.examples;
        let predictions = predict_all(backbone, method, &official.prepared.encoded, batch_size)?;
        let mut invalid = 0;
        for (position, (example, prediction)) in examples.iter().zip(&predictions).enumerate() {
            let (value, valid) = match (prediction, fallback) {
                (Prediction::Class(class), _) => (json!({ "class": class }), true),
                (Prediction::Score(score), _) if score.is_finite() => (json!({ "score": score }), true),
                (_, Fallback::Class(class)) => (json!({ "class": class }), false),
                (_, Fallback::Score(score)) => (json!({ "score": score }), false),
            };
            invalid += usize::from(!valid);
            let mut line = index_fields(example, position);
            line.insert("split".to_string(), json!(official.split.name()));
            if let Value::Object(value) = value {
                line.extend(value);
            }
            line.insert("valid".to_string(), json!(valid));
            lines.push_str(&Value::Object(line).to_string());
            lines.push('\n');
        }
        summaries.push(OfficialTest {
            split: official.split.name().to_string(),
            source: official.source.clone(),
            examples: examples.len(),
            rows: official.rows,
            invalid,
            fallback: fallback.describe(task),
        });
    }
    if !summaries.is_empty() {
        write_atomic(&artefacts.join(PREDICTIONS_FILE), lines.as_bytes())?;
    }
    Ok(summaries)
}

/// Returns the benchmark's index of a row as JSON fields. A file without indices is numbered by
/// position, which is how GLUE and SuperGLUE number their test rows.
fn index_fields(example: &Example, position: usize) -> Map<String, Value> {
    let mut fields = Map::new();
    match example.idx {
        Some(SourceIndex::Answer { paragraph, question, answer }) => {
            fields.insert("paragraph".to_string(), json!(paragraph));
            fields.insert("question".to_string(), json!(question));
            fields.insert("answer".to_string(), json!(answer));
        }
        Some(SourceIndex::Row(idx)) => {
            fields.insert("idx".to_string(), json!(idx));
        }
        None => {
            fields.insert("idx".to_string(), json!(position));
        }
    }
    fields
}
