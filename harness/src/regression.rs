//! Regression checks for CI: the metrics of a small fixed grid against a committed baseline.
//!
//! Every finished cell contributes one row per metric: each validation point's score, metrics
//! and training loss, and the test metrics of the selected state. A row differs when its value
//! moves more than the tolerance the grid states for that metric (or its default), or when a
//! row exists on one side only.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::exit::InputError;
use crate::train::record::{CellRecord, Evaluation};

fn default_tolerance() -> f64 {
    1e-6
}

/// The `regression` section of a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegressionSpec {
    /// Absolute tolerance per metric name (`train_loss`, `score`, `accuracy`, `macro_f1`, ...).
    #[serde(default)]
    pub tolerances: BTreeMap<String, f64>,
    /// Absolute tolerance for metrics not listed.
    #[serde(default = "default_tolerance")]
    pub default_tolerance: f64,
}

impl RegressionSpec {
    fn tolerance(&self, metric: &str) -> f64 {
        self.tolerances.get(metric).copied().unwrap_or(self.default_tolerance)
    }
}

/// One baseline value: a metric of a cell at a point of its run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRow {
    pub cell: String,
    /// `validation@epoch2`, `train@epoch2` or `test`.
    pub point: String,
    pub metric: String,
    pub value: f64,
}

/// Flattens records into baseline rows, sorted by cell label, point and metric.
pub fn rows_from_records(records: &[CellRecord]) -> Vec<BaselineRow> {
    let mut rows = Vec::new();
    let push_evaluation = |cell: &str, point: String, evaluation: &Evaluation, rows: &mut Vec<BaselineRow>| {
        rows.push(BaselineRow { cell: cell.to_string(), point: point.clone(), metric: "score".to_string(), value: evaluation.score });
        rows.push(BaselineRow { cell: cell.to_string(), point: point.clone(), metric: "invalid_rate".to_string(), value: evaluation.invalid_rate });
        for metric in &evaluation.metrics {
            rows.push(BaselineRow { cell: cell.to_string(), point: point.clone(), metric: metric.metric.clone(), value: metric.value });
        }
    };
    for record in records {
        for point in &record.curve {
            rows.push(BaselineRow { cell: record.label.clone(), point: format!("train@epoch{}", point.epoch), metric: "train_loss".to_string(), value: point.train_loss });
            push_evaluation(&record.label, format!("validation@epoch{}", point.epoch), &point.validation, &mut rows);
        }
        if let Some(test) = &record.test {
            push_evaluation(&record.label, "test".to_string(), test, &mut rows);
        }
    }
    rows.sort_by(|a, b| (&a.cell, &a.point, &a.metric).cmp(&(&b.cell, &b.point, &b.metric)));
    rows
}

/// Reads a baseline CSV (`cell,point,metric,value`).
pub fn read_baseline(path: &Path) -> anyhow::Result<Vec<BaselineRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError(format!("cannot read baseline {}: {e}; create it with --update-baseline", path.display())))?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [cell, point, metric, value] = fields.as_slice() else {
            return Err(InputError(format!("{}:{}: expected 4 fields (cell,point,metric,value), found {}", path.display(), index + 1, fields.len())).into());
        };
        let value = value.parse().map_err(|_| InputError(format!("{}:{}: value {value:?} is not a number", path.display(), index + 1)))?;
        rows.push(BaselineRow { cell: cell.to_string(), point: point.to_string(), metric: metric.to_string(), value });
    }
    Ok(rows)
}

/// Writes a baseline CSV atomically. Values use Rust's shortest round-trip form, so reading
/// the file back gives the same bits.
pub fn write_baseline(path: &Path, rows: &[BaselineRow]) -> anyhow::Result<()> {
    let mut text = String::from("cell,point,metric,value\n");
    for row in rows {
        text.push_str(&format!("{},{},{},{}\n", row.cell, row.point, row.metric, row.value));
    }
    crate::store::write_atomic(path, text.as_bytes()).with_context(|| format!("writing baseline {}", path.display()))
}

/// One compared value.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub cell: String,
    pub point: String,
    pub metric: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    pub tolerance: f64,
}

impl Difference {
    /// Returns true when the value is on both sides and within tolerance.
    pub fn passes(&self) -> bool {
        match (self.baseline, self.current) {
            (Some(a), Some(b)) => (a - b).abs() <= self.tolerance || (a.is_nan() && b.is_nan()),
            _ => false,
        }
    }
}

/// Compares current rows with the baseline, keyed by cell, point and metric.
pub fn compare(baseline: &[BaselineRow], current: &[BaselineRow], spec: &RegressionSpec) -> Vec<Difference> {
    let key = |r: &BaselineRow| (r.cell.clone(), r.point.clone(), r.metric.clone());
    let mut merged: BTreeMap<(String, String, String), (Option<f64>, Option<f64>)> = BTreeMap::new();
    for row in baseline {
        merged.entry(key(row)).or_default().0 = Some(row.value);
    }
    for row in current {
        merged.entry(key(row)).or_default().1 = Some(row.value);
    }
    merged
        .into_iter()
        .map(|((cell, point, metric), (baseline, current))| {
            let tolerance = spec.tolerance(&metric);
            Difference { cell, point, metric, baseline, current, tolerance }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, value: f64) -> BaselineRow {
        BaselineRow { cell: "c".to_string(), point: "test".to_string(), metric: metric.to_string(), value }
    }

    #[test]
    fn tolerance_per_metric() {
        let spec = RegressionSpec { tolerances: BTreeMap::from([("accuracy".to_string(), 0.1)]), default_tolerance: 1e-6 };
        let baseline = [row("accuracy", 0.5), row("score", 0.5)];
        let current = [row("accuracy", 0.55), row("score", 0.5001)];
        let diffs = compare(&baseline, &current, &spec);
        assert!(diffs[0].passes(), "accuracy moved 0.05 within 0.1");
        assert!(!diffs[1].passes(), "score moved 1e-4 beyond 1e-6");
    }

    #[test]
    fn one_sided_rows_fail() {
        let spec = RegressionSpec { tolerances: BTreeMap::new(), default_tolerance: 1.0 };
        let diffs = compare(&[row("a", 1.0)], &[row("b", 1.0)], &spec);
        assert_eq!(diffs.len(), 2);
        assert!(diffs.iter().all(|d| !d.passes()));
    }

    #[test]
    fn baseline_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.csv");
        let rows = vec![row("train_loss", 0.1 + 0.2), row("score", 1.0 / 3.0)];
        write_baseline(&path, &rows).unwrap();
        assert_eq!(read_baseline(&path).unwrap(), rows);
    }
}
