//! The SuperPos-Prompt paper's Table 2, "standardized overall scoring" (Sadraei Javaheri et al.,
//! arXiv:2406.05279). It takes the per-task scores of every row (the Avg column's first step)
//! and min-max scales each task to 0..100 across the rows. Each row then gets the mean and the
//! population standard deviation of its scaled scores.
//!
//! The paper scales across its 14 rows (7 method and dropout rows for each of the 2 T5 sizes)
//! and leaves ATTEMPT out because it lacks QQP, QNLI, MNLI and SST-2, which train its source
//! prompts. Here the rows are those of one family, ATTEMPT again left out, and only rows that
//! have every task of the family's table take part, since min-max scaling needs a full matrix.

use serde::Serialize;

use crate::aggregate::{RowKey, Summary};
use crate::names::{self, ATTEMPT};
use crate::table::{Cell, Column, Table};
use crate::table1::{row_label_cells, row_label_columns};

/// Tasks whose scores differ by less than this across the rows (in percentage points) cannot be
/// min-max scaled and are left out.
const CONSTANT_TASK_SPREAD: f64 = 1e-9;

const ATTEMPT_REASON: &str = "left out as in the paper";

/// One row of the standardised scoring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardizedRow {
    pub row: RowKey,
    /// Mean of the row's min-max scaled task scores (0..100).
    pub mean: f64,
    /// Population standard deviation of the same scores.
    pub std: f64,
}

/// The standardised scoring of one family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standardized {
    pub family: String,
    pub rows: Vec<StandardizedRow>,
    /// The tasks scaled and averaged.
    pub tasks: Vec<String>,
    /// Tasks left out because every row scores the same on them.
    pub constant_tasks: Vec<String>,
    /// Rows left out, each with the reason.
    pub excluded: Vec<(RowKey, String)>,
}

/// Computes the standardised scoring of one family's rows.
pub fn standardize(summary: &Summary, family: &str) -> Standardized {
    let all_tasks = summary.task_names(family);
    let mut included = Vec::new();
    let mut excluded = Vec::new();
    for row in summary.rows(family) {
        if row.method == ATTEMPT {
            excluded.push((row, ATTEMPT_REASON.to_string()));
            continue;
        }
        let missing: Vec<String> = all_tasks.iter().filter(|task| summary.task(&row, task).is_none()).map(|task| names::task_display(task)).collect();
        if missing.is_empty() {
            included.push(row);
        } else {
            excluded.push((row, format!("no score for {}", missing.join(", "))));
        }
    }

    let mut tasks = Vec::new();
    let mut constant_tasks = Vec::new();
    // scaled[r] collects row r's scaled score on each kept task.
    let mut scaled: Vec<Vec<f64>> = vec![Vec::new(); included.len()];
    for task in &all_tasks {
        let scores: Vec<f64> = included.iter().map(|row| summary.task(row, task).map(|t| t.score).unwrap_or(f64::NAN)).collect();
        let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if included.len() < 2 || !(max - min > CONSTANT_TASK_SPREAD) {
            constant_tasks.push(task.clone());
            continue;
        }
        tasks.push(task.clone());
        for (row_scores, score) in scaled.iter_mut().zip(&scores) {
            row_scores.push((score - min) / (max - min) * 100.0);
        }
    }

    let rows = if tasks.is_empty() {
        Vec::new()
    } else {
        included
            .into_iter()
            .zip(scaled)
            .map(|(row, values)| {
                let (mean, std) = mean_and_population_std(&values);
                StandardizedRow { row, mean, std }
            })
            .collect()
    };
    Standardized { family: family.to_string(), rows, tasks, constant_tasks, excluded }
}

/// Returns the mean and the population standard deviation (n in the denominator, as the paper's
/// Table 2 uses).
pub fn mean_and_population_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, variance.sqrt())
}

/// Builds Table 2 for one family.
pub fn table(standardized: &Standardized) -> Table {
    let mut columns = row_label_columns();
    columns.push(Column::number("Mean", 1));
    columns.push(Column::number("Std", 1));
    let family = &standardized.family;
    let mut table = Table::new(format!("table2-{family}"), format!("Standardised overall scoring, {family} family (0..100)"), columns);

    for row in &standardized.rows {
        let mut cells = row_label_cells(&row.row);
        cells.push(Cell::number(row.mean));
        cells.push(Cell::number(row.std));
        table.push(cells);
    }

    let tasks = standardized.tasks.len();
    table.notes.push(format!(
        "Each task's scores (metrics averaged) are min-max scaled to 0..100 across the {} rows; Mean and Std are each row's mean and population standard deviation over {tasks} task{}.",
        standardized.rows.len(),
        if tasks == 1 { "" } else { "s" }
    ));
    if !standardized.constant_tasks.is_empty() {
        let tasks: Vec<String> = standardized.constant_tasks.iter().map(|t| names::task_display(t)).collect();
        table.notes.push(format!("Left out because every row scores the same: {}.", tasks.join(", ")));
    }
    let attempt_rows = standardized.excluded.iter().filter(|(_, reason)| reason == ATTEMPT_REASON).count();
    if attempt_rows > 0 {
        table.notes.push(format!(
            "The {attempt_rows} ATTEMPT row(s) are left out, as in the paper, because ATTEMPT has no scores on the tasks that train its source prompts."
        ));
    }
    for (row, reason) in standardized.excluded.iter().filter(|(_, reason)| reason != ATTEMPT_REASON) {
        table.notes.push(format!(
            "Not scored: {} {} dropout {} ({reason}).",
            row.model,
            names::method_display(&row.method),
            names::dropout_display(row.dropout)
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std_divides_by_n() {
        let (mean, std) = mean_and_population_std(&[0.0, 100.0]);
        assert_eq!(mean, 50.0);
        assert_eq!(std, 50.0);
    }
}
