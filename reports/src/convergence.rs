//! Convergence: how many epochs each cell needed to reach 90% of its best validation score, the
//! mean of that over seeds for each method, and the validation curves' mean and standard
//! deviation per epoch for plots.
//!
//! The SuperPos-Prompt paper (arXiv:2406.05279) shows only smoothed learning curves (validation
//! score against epoch on T5 v1.1 base) and gives no number. Epochs to 90% of the run's best
//! score is the measure used here.

use polars::prelude::*;
use serde::Serialize;

use crate::aggregate::RowKey;
use crate::error::{ReportError, Result};
use crate::frame;
use crate::names;
use crate::record::CellRecord;
use crate::scores::columns::{DROPOUT, FAMILY, METHOD, MODEL, SCORE, TASK};
use crate::table::{Cell, Column, Table};
use crate::table1::{row_label_cells, row_label_columns};

/// The fraction of the best validation score a cell must reach to count as converged.
pub const CONVERGED_FRACTION: f64 = 0.9;

/// Convergence of one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellConvergence {
    pub row: RowKey,
    pub task: String,
    pub seed: u64,
    pub cell_id: String,
    /// The best validation score of the curve, in percentage points.
    pub best: f64,
    pub best_epoch: usize,
    /// The first epoch whose validation score is at least 90% of the best. It is `None` when the
    /// best score is not above 0, which MCC and correlations allow.
    pub epochs_to_90: Option<usize>,
}

/// Returns the first epoch at which `curve` (epoch, score) reaches `fraction` of its best score,
/// or `None` when the curve is empty or its best score is not positive.
pub fn epochs_to_fraction(curve: &[(usize, f64)], fraction: f64) -> Option<usize> {
    let best = curve.iter().map(|(_, score)| *score).fold(f64::NEG_INFINITY, f64::max);
    if !(best > 0.0) {
        return None;
    }
    curve.iter().find(|(_, score)| *score >= fraction * best).map(|(epoch, _)| *epoch)
}

/// Computes the convergence of every record with a validation curve (failed cells included up to
/// where they stopped, since their curve is what they trained).
pub fn cell_convergence(records: &[CellRecord]) -> Vec<CellConvergence> {
    let mut cells = Vec::new();
    for record in records {
        let curve: Vec<(usize, f64)> = record.curve.iter().map(|p| (p.epoch, p.validation.score * 100.0)).collect();
        let Some(&(best_epoch, best)) = curve.iter().fold(None, |best: Option<&(usize, f64)>, point| match best {
            Some(b) if b.1 >= point.1 => Some(b),
            _ => Some(point),
        }) else {
            continue;
        };
        cells.push(CellConvergence {
            row: RowKey { family: record.family().to_string(), model: record.cell.backbone.name.clone(), method: record.cell.method.kind.clone(), dropout: record.cell.dropout },
            task: record.cell.task.clone(),
            seed: record.cell.seed,
            cell_id: record.id.clone(),
            best,
            best_epoch,
            epochs_to_90: epochs_to_fraction(&curve, CONVERGED_FRACTION),
        });
    }
    cells
}

/// Epochs to 90% of the best score for one row and task, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvergenceStat {
    pub row: RowKey,
    pub task: String,
    /// Mean over the seeds that reached it.
    pub mean_epochs: Option<f64>,
    /// Seeds with a defined epoch count.
    pub reached: usize,
    pub seeds: usize,
}

/// The mean, standard deviation and count over seeds of the validation score at one epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveStat {
    pub row: RowKey,
    pub task: String,
    pub epoch: usize,
    /// Percentage points.
    pub mean: f64,
    /// Sample standard deviation; `None` with one seed.
    pub std: Option<f64>,
    pub n: usize,
}

/// Averages epochs to 90% over seeds with polars, one result per row and task.
pub fn convergence_stats(cells: &[CellConvergence]) -> Result<Vec<ConvergenceStat>> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let frame = df!(
        FAMILY => cells.iter().map(|c| c.row.family.as_str()).collect::<Vec<_>>(),
        MODEL => cells.iter().map(|c| c.row.model.as_str()).collect::<Vec<_>>(),
        METHOD => cells.iter().map(|c| c.row.method.as_str()).collect::<Vec<_>>(),
        DROPOUT => cells.iter().map(|c| c.row.dropout).collect::<Vec<_>>(),
        TASK => cells.iter().map(|c| c.task.as_str()).collect::<Vec<_>>(),
        "epochs" => cells.iter().map(|c| c.epochs_to_90.map(|e| e as f64)).collect::<Vec<_>>(),
    )
    .map_err(ReportError::polars("building the convergence frame"))?;

    let stats = frame
        .lazy()
        .group_by([col(FAMILY), col(MODEL), col(METHOD), col(DROPOUT), col(TASK)])
        .agg([
            col("epochs").mean().alias("mean_epochs"),
            // `count` skips nulls (cells that never reached 90%); `len` counts every seed.
            col("epochs").count().cast(DataType::Int64).alias("reached"),
            col("epochs").len().cast(DataType::Int64).alias("seeds"),
        ])
        .collect()
        .map_err(ReportError::polars("averaging epochs to convergence"))?;

    let rows = frame::row_keys(&stats)?;
    let task = frame::strings(&stats, TASK)?;
    let mean = frame::floats(&stats, "mean_epochs")?;
    let reached = frame::counts(&stats, "reached")?;
    let seeds = frame::counts(&stats, "seeds")?;
    let mut out: Vec<ConvergenceStat> = (0..stats.height())
        .map(|i| ConvergenceStat { row: rows[i].clone(), task: task[i].clone(), mean_epochs: mean[i], reached: reached[i], seeds: seeds[i] })
        .collect();
    out.sort_by_key(|s| (s.row.order(), names::task_rank(&s.task), s.task.clone()));
    Ok(out)
}

/// Aggregates validation curves over seeds with polars: mean and sample standard deviation of
/// the score (x100) per row, task and epoch.
pub fn curve_stats(records: &[CellRecord]) -> Result<Vec<CurveStat>> {
    let points: Vec<(&CellRecord, usize, f64)> = records.iter().flat_map(|r| r.curve.iter().map(move |p| (r, p.epoch, p.validation.score * 100.0))).collect();
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let frame = df!(
        FAMILY => points.iter().map(|(r, _, _)| r.family()).collect::<Vec<_>>(),
        MODEL => points.iter().map(|(r, _, _)| r.cell.backbone.name.as_str()).collect::<Vec<_>>(),
        METHOD => points.iter().map(|(r, _, _)| r.cell.method.kind.as_str()).collect::<Vec<_>>(),
        DROPOUT => points.iter().map(|(r, _, _)| r.cell.dropout).collect::<Vec<_>>(),
        TASK => points.iter().map(|(r, _, _)| r.cell.task.as_str()).collect::<Vec<_>>(),
        "epoch" => points.iter().map(|(_, e, _)| *e as i64).collect::<Vec<_>>(),
        SCORE => points.iter().map(|(_, _, s)| *s).collect::<Vec<_>>(),
    )
    .map_err(ReportError::polars("building the curve frame"))?;

    let stats = frame
        .lazy()
        .group_by([col(FAMILY), col(MODEL), col(METHOD), col(DROPOUT), col(TASK), col("epoch")])
        .agg([col(SCORE).mean().alias("mean"), col(SCORE).std(1).alias("std"), col(SCORE).count().cast(DataType::Int64).alias("n")])
        .collect()
        .map_err(ReportError::polars("averaging validation curves over seeds"))?;

    let rows = frame::row_keys(&stats)?;
    let task = frame::strings(&stats, TASK)?;
    let epoch = frame::counts(&stats, "epoch")?;
    let mean = frame::floats(&stats, "mean")?;
    let std = frame::floats(&stats, "std")?;
    let n = frame::counts(&stats, "n")?;
    let mut out: Vec<CurveStat> = (0..stats.height())
        .map(|i| CurveStat { row: rows[i].clone(), task: task[i].clone(), epoch: epoch[i], mean: mean[i].unwrap_or(f64::NAN), std: std[i], n: n[i] })
        .collect();
    out.sort_by_key(|s| (s.row.order(), names::task_rank(&s.task), s.task.clone(), s.epoch));
    Ok(out)
}

/// Builds the convergence table of one family. Rows are backbone, method and dropout, columns
/// are tasks, and each number is the mean over seeds of the epochs to 90% of the best score.
pub fn table(stats: &[ConvergenceStat], family: &str) -> Option<Table> {
    let stats: Vec<&ConvergenceStat> = stats.iter().filter(|s| s.row.family == family).collect();
    if stats.is_empty() {
        return None;
    }
    let mut tasks: Vec<String> = stats.iter().map(|s| s.task.clone()).collect();
    tasks.sort_by_key(|t| (names::task_rank(t), t.clone()));
    tasks.dedup();
    let mut rows: Vec<RowKey> = stats.iter().map(|s| s.row.clone()).collect();
    rows.dedup();

    let mut columns = row_label_columns();
    columns.extend(tasks.iter().map(|t| Column::number(names::task_display(t), 1)));
    let mut table = Table::new(format!("convergence-{family}"), format!("Epochs to 90% of the best validation score, {family} family"), columns);
    let mut unreached = 0;
    for row in &rows {
        let mut cells = row_label_cells(row);
        for task in &tasks {
            let stat = stats.iter().find(|s| &s.row == row && &s.task == task);
            unreached += stat.map(|s| s.seeds - s.reached).unwrap_or(0);
            cells.push(Cell::optional(stat.and_then(|s| s.mean_epochs)));
        }
        table.push(cells);
    }
    table.notes.push("Per cell, the first evaluated epoch whose validation score reaches 90% of the cell's best; each number is the mean over seeds.".to_string());
    if unreached > 0 {
        table.notes.push(format!("{unreached} cell(s) whose best validation score is not above 0 have no epoch count and are left out of the means."));
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_epoch_at_ninety_percent_of_best() {
        let curve = [(1, 10.0), (2, 50.0), (3, 72.0), (4, 80.0), (5, 75.0)];
        // 90% of 80 is 72, first reached at epoch 3.
        assert_eq!(epochs_to_fraction(&curve, 0.9), Some(3));
    }

    #[test]
    fn non_positive_best_has_no_epoch() {
        assert_eq!(epochs_to_fraction(&[(1, 0.0), (2, 0.0)], 0.9), None);
        assert_eq!(epochs_to_fraction(&[(1, -5.0), (2, -1.0)], 0.9), None);
        assert_eq!(epochs_to_fraction(&[], 0.9), None);
    }
}
