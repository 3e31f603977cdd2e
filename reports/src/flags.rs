//! Warnings to read next to the numbers. They name cells that never produced a valid label,
//! cells whose predictions look collapsed to a constant, groups of seeds without spread,
//! diverged and failed cells, cells without the reported evaluation, and missing grid cells.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aggregate::{RowKey, Summary};
use crate::grid::GridAxes;
use crate::names;
use crate::record::{CellRecord, Evaluation};
use crate::scores::{ScoreRow, Split};
use crate::table::{Cell, Column, Table};

/// The kind of problem a flag reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// No validation prediction of any evaluation mapped to a label; the cell scores 0.
    NeverValid,
    /// The cell's scores look like those of a constant predictor.
    Collapsed,
    /// Every seed of a group has the same score on every metric.
    NoSpread,
    /// The training loss became NaN or infinite.
    Diverged,
    /// An error stopped the cell; it has no scores.
    Failed,
    /// The cell has no evaluation of the reported split.
    NoEvaluation,
    /// A cell the grid expects has no record.
    Missing,
}

impl FlagKind {
    pub fn display(self) -> &'static str {
        match self {
            FlagKind::NeverValid => "never valid",
            FlagKind::Collapsed => "collapsed",
            FlagKind::NoSpread => "no spread",
            FlagKind::Diverged => "diverged",
            FlagKind::Failed => "failed",
            FlagKind::NoEvaluation => "no evaluation",
            FlagKind::Missing => "missing",
        }
    }
}

/// One warning, with the cell or group it concerns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    pub family: String,
    pub model: String,
    pub method: String,
    pub dropout: Option<bool>,
    pub task: Option<String>,
    pub seed: Option<u64>,
    pub cell_id: Option<String>,
    pub detail: String,
}

impl Flag {
    /// Returns the `backbone/method/task/seedN/dropout-on|off` label of the flagged cell or group,
    /// with `*` for an axis the flag spans.
    pub fn label(&self) -> String {
        let task = self.task.clone().unwrap_or_else(|| "*".to_string());
        let seed = self.seed.map(|s| format!("seed{s}")).unwrap_or_else(|| "*".to_string());
        let dropout = self.dropout.map(|d| format!("dropout-{}", names::dropout_display(d))).unwrap_or_else(|| "*".to_string());
        format!("{}/{}/{}/{}/{}", self.model, self.method, task, seed, dropout)
    }

    /// Tells whether the flag concerns one task of a table row.
    pub fn concerns(&self, row: &RowKey, task: &str) -> bool {
        self.family == row.family && self.model == row.model && self.method == row.method && self.dropout == Some(row.dropout) && self.task.as_deref() == Some(task)
    }
}

/// The largest score (as a fraction) a constant predictor is expected to reach on SuperPos-Prompt's 13
/// tasks. It is an estimate: the most unbalanced validation sets among them (CoLA, MRPC) have a
/// majority class of roughly 0.68 to 0.69, and the bound adds a margin. A flat curve above it is
/// a model that learned quickly, not a collapse.
pub const CONSTANT_PREDICTOR_MAX_SCORE: f64 = 0.75;

/// Metrics that are 0 for a constant predictor (correlations are undefined and reported as 0).
const ZERO_AT_CONSTANT: &[&str] = &["mcc", "pearson", "spearman"];

/// Scores differing by less than this count as equal.
const EQUAL_SCORE: f64 = 1e-9;

/// Returns why a cell looks collapsed to a constant prediction, or `None`.
///
/// NOTE: records contain no predictions, so collapse is inferred from the scores. A cell counts
/// as collapsed when a metric that is 0 for constant predictions (MCC, Pearson, Spearman) is
/// exactly 0, or when its validation metrics never changed over at least 2 evaluations while
/// the score stayed at or below [`CONSTANT_PREDICTOR_MAX_SCORE`].
pub fn collapse_reason(record: &CellRecord, evaluation: &Evaluation) -> Option<String> {
    for metric in &evaluation.metrics {
        if ZERO_AT_CONSTANT.contains(&metric.metric.as_str()) && metric.value.abs() < EQUAL_SCORE {
            return Some(format!("{} is 0, as for a constant prediction", names::metric_display(&metric.metric)));
        }
    }
    let curve = &record.curve;
    if curve.len() >= 2 && evaluation.score <= CONSTANT_PREDICTOR_MAX_SCORE {
        let first = &curve[0].validation;
        let unchanged = curve.iter().all(|point| {
            point.validation.metrics.len() == first.metrics.len()
                && point.validation.metrics.iter().zip(&first.metrics).all(|(a, b)| a.metric == b.metric && (a.value - b.value).abs() < EQUAL_SCORE)
        });
        if unchanged {
            return Some(format!("validation score {:.1} unchanged over {} evaluations", first.score * 100.0, curve.len()));
        }
    }
    None
}

fn cell_flag(record: &CellRecord, kind: FlagKind, detail: String) -> Flag {
    Flag {
        kind,
        family: record.family().to_string(),
        model: record.cell.backbone.name.clone(),
        method: record.cell.method.kind.clone(),
        dropout: Some(record.cell.dropout),
        task: Some(record.cell.task.clone()),
        seed: Some(record.cell.seed),
        cell_id: Some(record.id.clone()),
        detail,
    }
}

/// Flags every record that failed, diverged, never produced a valid label, lacks the reported
/// evaluation or looks collapsed.
pub fn record_flags(records: &[CellRecord], split: Split) -> Vec<Flag> {
    let mut flags = Vec::new();
    for record in records {
        let error = record.error.clone().unwrap_or_default();
        match record.status.as_str() {
            CellRecord::STATUS_FAILED => {
                flags.push(cell_flag(record, FlagKind::Failed, error));
                continue;
            }
            CellRecord::STATUS_DIVERGED => flags.push(cell_flag(record, FlagKind::Diverged, error)),
            CellRecord::STATUS_FINISHED => {}
            other => flags.push(cell_flag(record, FlagKind::Failed, format!("unknown status `{other}`; its scores are still reported"))),
        }
        if record.flags.never_valid {
            flags.push(cell_flag(record, FlagKind::NeverValid, "no prediction mapped to a label; scored 0".to_string()));
        }
        let evaluation = match split {
            Split::Test => record.test.as_ref(),
            Split::Validation => record.validation.as_ref(),
        };
        let Some(evaluation) = evaluation else {
            flags.push(cell_flag(record, FlagKind::NoEvaluation, format!("no {} evaluation; left out of the tables", split.name())));
            continue;
        };
        if !record.flags.never_valid {
            if let Some(reason) = collapse_reason(record, evaluation) {
                flags.push(cell_flag(record, FlagKind::Collapsed, reason));
            }
        }
    }
    flags
}

/// Flags score rows marked as never valid (score files have no records to flag).
pub fn score_row_flags(rows: &[ScoreRow]) -> Vec<Flag> {
    let mut seen = BTreeSet::new();
    let mut flags = Vec::new();
    for row in rows.iter().filter(|r| r.never_valid) {
        let key = (row.family.clone(), row.model.clone(), row.method.clone(), row.dropout, row.task.clone(), row.seed);
        if !seen.insert(key) {
            continue;
        }
        flags.push(Flag {
            kind: FlagKind::NeverValid,
            family: row.family.clone(),
            model: row.model.clone(),
            method: row.method.clone(),
            dropout: Some(row.dropout),
            task: Some(row.task.clone()),
            seed: Some(row.seed),
            cell_id: row.cell_id.clone(),
            detail: "marked as never producing a valid label; scored 0".to_string(),
        });
    }
    flags
}

/// Flags groups of at least 2 seeds whose every metric has a standard deviation of 0, the
/// pattern of runs that all collapsed to the same constant prediction.
pub fn no_spread_flags(summary: &Summary) -> Vec<Flag> {
    let mut flags = Vec::new();
    for task in &summary.tasks {
        if task.n < 2 {
            continue;
        }
        let metrics: Vec<_> = summary.metrics.iter().filter(|m| m.row == task.row && m.task == task.task).collect();
        if metrics.iter().all(|m| m.std.is_some_and(|std| std < EQUAL_SCORE)) {
            flags.push(Flag {
                kind: FlagKind::NoSpread,
                family: task.row.family.clone(),
                model: task.row.model.clone(),
                method: task.row.method.clone(),
                dropout: Some(task.row.dropout),
                task: Some(task.task.clone()),
                seed: None,
                cell_id: None,
                detail: format!("all {} seeds score {:.1}", task.n, task.score),
            });
        }
    }
    flags
}

/// The cells present, as (family, model, method, task, seed, dropout).
type CellKey = (String, String, String, String, u64, bool);

fn record_keys(records: &[CellRecord]) -> BTreeSet<CellKey> {
    records
        .iter()
        .map(|r| (r.family().to_string(), r.cell.backbone.name.clone(), r.cell.method.kind.clone(), r.cell.task.clone(), r.cell.seed, r.cell.dropout))
        .collect()
}

/// Lists the grid's cells that have no record, one flag per backbone, method, seed and dropout
/// setting with the missing tasks in its detail.
pub fn missing_from_grid(records: &[CellRecord], grid: &GridAxes) -> Vec<Flag> {
    let present = record_keys(records);
    let mut expected = Vec::new();
    for (model, family) in &grid.backbones {
        for method in &grid.methods {
            for &dropout in &grid.dropout {
                for &seed in &grid.seeds {
                    for task in &grid.tasks {
                        expected.push((family.clone(), model.clone(), method.clone(), task.clone(), seed, dropout));
                    }
                }
            }
        }
    }
    missing_flags(expected, &present, &format!("expected by grid `{}`", grid.name))
}

/// Lists combinations of the seen axes (per family: backbones x methods x dropout settings x
/// seeds x tasks) that have no scores, for inputs without a grid file.
pub fn missing_from_axes(keys: &BTreeSet<CellKey>) -> Vec<Flag> {
    let mut by_family: BTreeMap<&str, Vec<&CellKey>> = BTreeMap::new();
    for key in keys {
        by_family.entry(key.0.as_str()).or_default().push(key);
    }
    let mut expected = Vec::new();
    for (family, family_keys) in by_family {
        let models = ordered(family_keys.iter().map(|k| k.1.clone()), |m| (names::model_rank(m), m.clone()));
        let methods = ordered(family_keys.iter().map(|k| k.2.clone()), |m| (names::method_rank(m), m.clone()));
        let tasks = ordered(family_keys.iter().map(|k| k.3.clone()), |t| (names::task_rank(t), t.clone()));
        let seeds = ordered(family_keys.iter().map(|k| k.4), |s| *s);
        let dropouts = ordered(family_keys.iter().map(|k| k.5), |d| !*d);
        for model in &models {
            for method in &methods {
                for &dropout in &dropouts {
                    for &seed in &seeds {
                        for task in &tasks {
                            expected.push((family.to_string(), model.clone(), method.clone(), task.clone(), seed, dropout));
                        }
                    }
                }
            }
        }
    }
    missing_flags(expected, keys, "absent from the combinations of the backbones, methods, dropout settings, seeds and tasks seen")
}

/// Collects the cells present in score rows, for [`missing_from_axes`].
pub fn score_row_keys(rows: &[ScoreRow]) -> BTreeSet<CellKey> {
    rows.iter().map(|r| (r.family.clone(), r.model.clone(), r.method.clone(), r.task.clone(), r.seed, r.dropout)).collect()
}

/// Collects the cells present in records, for [`missing_from_axes`].
pub fn record_cell_keys(records: &[CellRecord]) -> BTreeSet<CellKey> {
    record_keys(records)
}

fn ordered<T: Clone + Ord, K: Ord>(values: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut values: Vec<T> = values.collect::<BTreeSet<T>>().into_iter().collect();
    values.sort_by_key(|v| key(v));
    values
}

fn missing_flags(expected: Vec<CellKey>, present: &BTreeSet<CellKey>, reason: &str) -> Vec<Flag> {
    // Group the missing tasks of one backbone, method, seed and dropout setting into one flag.
    let mut groups: Vec<((String, String, String, u64, bool), Vec<String>)> = Vec::new();
    for key in expected {
        if present.contains(&key) {
            continue;
        }
        let (family, model, method, task, seed, dropout) = key;
        let group = (family, model, method, seed, dropout);
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, tasks)) => tasks.push(task),
            None => groups.push((group, vec![task])),
        }
    }
    groups
        .into_iter()
        .map(|((family, model, method, seed, dropout), tasks)| {
            let shown: Vec<String> = tasks.iter().map(|t| names::task_display(t)).collect();
            let single = tasks.len() == 1;
            Flag {
                kind: FlagKind::Missing,
                family,
                model,
                method,
                dropout: Some(dropout),
                task: if single { tasks.first().cloned() } else { None },
                seed: Some(seed),
                cell_id: None,
                detail: format!("{}: {reason}", shown.join(", ")),
            }
        })
        .collect()
}

/// Builds the flags table, one row per flag, in the order given.
pub fn table(flags: &[Flag]) -> Table {
    let columns = vec![Column::text("Flag"), Column::text("Family"), Column::text("Cell"), Column::text("Id"), Column::text("Detail")];
    let mut table = Table::new("flags", "Flags", columns);
    for flag in flags {
        table.push(vec![
            Cell::text(flag.kind.display()),
            Cell::text(&flag.family),
            Cell::text(flag.label()),
            Cell::text(flag.cell_id.clone().unwrap_or_default()),
            Cell::text(&flag.detail),
        ]);
    }
    if flags.is_empty() {
        table.notes.push("Nothing to flag.".to_string());
    } else {
        table.notes.push(
            "Never valid means that no prediction mapped to a label, so the cell scores 0. Collapsed means the scores are those of a constant prediction; records hold no predictions, so this is inferred from the scores. No spread means every seed of the group scores the same. Diverged means the training loss became NaN or infinite. Missing means an expected cell has no result."
                .to_string(),
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(seed: u64, task: &str, value: f64) -> ScoreRow {
        ScoreRow {
            family: "bert".into(),
            model: "all-MiniLM-L6-v2".into(),
            method: "prompt_tuning".into(),
            dropout: true,
            task: task.into(),
            metric: "accuracy".into(),
            seed,
            score: value,
            never_valid: false,
            diverged: false,
            cell_id: None,
            code_revision: None,
            data_sha256: Vec::new(),
            weights_sha256: Vec::new(),
        }
    }

    #[test]
    fn identical_seeds_have_no_spread() {
        let summary = Summary::from_rows(&[score(0, "cb", 31.4), score(1, "cb", 31.4), score(0, "rte", 50.0), score(1, "rte", 52.5)]).unwrap();
        let flags = no_spread_flags(&summary);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].label(), "all-MiniLM-L6-v2/prompt_tuning/cb/*/dropout-on");
        assert_eq!(flags[0].detail, "all 2 seeds score 31.4");
    }

    #[test]
    fn missing_tasks_group_by_cell() {
        let mut present = BTreeSet::new();
        present.insert(("t5".to_string(), "m".to_string(), "prompt_tuning".to_string(), "rte".to_string(), 0, true));
        present.insert(("t5".to_string(), "m".to_string(), "prompt_tuning".to_string(), "cb".to_string(), 0, false));
        let flags = missing_from_axes(&present);
        assert_eq!(flags.len(), 2);
        assert_eq!(flags[0].label(), "m/prompt_tuning/cb/seed0/dropout-on");
        assert_eq!(flags[1].label(), "m/prompt_tuning/rte/seed0/dropout-off");
    }
}
