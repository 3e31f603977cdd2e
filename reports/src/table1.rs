//! The layout of the SuperPos-Prompt paper's Table 1 (Sadraei Javaheri et al., arXiv:2406.05279).
//! It has one row per backbone, method and dropout setting and the tasks as columns in the
//! paper's order. A two-metric task shows a pair (F1/Acc, P/S, F1a/EM), and Avg comes last.
//!
//! Avg follows the paper: the two metrics of a task are averaged first, then the plain mean is
//! taken over the tasks, zeros included. A row that lacks one of the table's tasks gets no Avg
//! (the paper's ATTEMPT rows have none because they lack 4 tasks).

use serde::Serialize;

use crate::aggregate::{RowKey, Summary};
use crate::names::{self, PAPER_TASKS};
use crate::table::{Cell, Column, Joiner, Mark, Table};

/// The Avg of one row, computed from its task scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1Row {
    pub row: RowKey,
    /// `None` when the row lacks a task of its family's table.
    pub average: Option<f64>,
}

/// Returns every row's Avg for one family, in table order.
pub fn averages(summary: &Summary, family: &str) -> Vec<Table1Row> {
    let tasks = summary.task_names(family);
    summary
        .rows(family)
        .into_iter()
        .map(|row| {
            let average = summary.average(&row).filter(|a| a.tasks == tasks.len()).map(|a| a.average);
            Table1Row { row, average }
        })
        .collect()
}

/// The columns naming a row: backbone, method and dropout setting.
pub(crate) fn row_label_columns() -> Vec<Column> {
    vec![Column::text("Model"), Column::text("Method"), Column::text("Dropout")]
}

pub(crate) fn row_label_cells(row: &RowKey) -> Vec<Cell> {
    vec![Cell::text(&row.model), Cell::text(names::method_display(&row.method)), Cell::text(names::dropout_display(row.dropout))]
}

/// Builds Table 1 for one family.
pub fn table(summary: &Summary, family: &str) -> Table {
    let tasks = summary.task_names(family);
    let mut columns = row_label_columns();
    let mut task_metrics = Vec::new();
    for task in &tasks {
        let metrics = summary.metric_names(family, task);
        let name = names::task_display(task);
        if metrics.len() > 1 {
            columns.push(Column::parts(name, metrics.iter().map(|m| names::metric_short(m)).collect(), Joiner::Slash, 1));
        } else {
            columns.push(Column::number(name, 1));
        }
        task_metrics.push(metrics);
    }
    columns.push(Column::number("Avg", 1));

    let mut table = Table::new(format!("table1-{family}"), format!("Scores by task, {family} family (x100)"), columns);
    let mut seed_counts = Vec::new();
    let mut any_never_valid = false;
    let mut any_diverged = false;
    for entry in averages(summary, family) {
        let row = &entry.row;
        let mut cells = row_label_cells(row);
        for (task, metrics) in tasks.iter().zip(&task_metrics) {
            let Some(task_score) = summary.task(row, task) else {
                cells.push(Cell::empty());
                continue;
            };
            let values = metrics.iter().map(|metric| summary.metric(row, task, metric).map(|m| m.mean)).collect();
            seed_counts.push(task_score.n);
            any_never_valid |= task_score.never_valid_seeds > 0;
            any_diverged |= task_score.diverged_seeds > 0;
            cells.push(Cell::numbers(values).with_mark(Mark::NeverValid, task_score.never_valid_seeds > 0).with_mark(Mark::Diverged, task_score.diverged_seeds > 0));
        }
        cells.push(Cell::optional(entry.average));
        table.push(cells);
    }

    table.notes.push(seed_note(&seed_counts));
    table.notes.push(average_note(&tasks));
    if any_never_valid {
        table.notes.push(format!("{} At least one seed never produced a valid label and is scored 0.", Mark::NeverValid.symbol()));
    }
    if any_diverged {
        table.notes.push(format!("{} At least one seed diverged; it is scored at the state selected before the divergence.", Mark::Diverged.symbol()));
    }
    table
}

/// Says how many seeds each number averages, and where their spread is shown.
pub(crate) fn seed_note(seed_counts: &[usize]) -> String {
    let min = seed_counts.iter().copied().min().unwrap_or(0);
    let max = seed_counts.iter().copied().max().unwrap_or(0);
    if max <= 1 {
        return "Each number comes from a single run (1 seed), so there is no spread to show.".to_string();
    }
    let seeds = if min == max { format!("{min}") } else { format!("{min} to {max}") };
    let plural = if max == 1 { "" } else { "s" };
    format!("Each number is the mean over {seeds} seed{plural}; the per-task tables give standard deviations.")
}

fn average_note(tasks: &[String]) -> String {
    let recipe = "Avg averages the metrics of each task, then takes the plain mean over the tasks, zeros included; it is left empty for a row that lacks a task.";
    let is_paper_set = tasks.len() == PAPER_TASKS.len() && PAPER_TASKS.iter().all(|t| tasks.iter().any(|task| task == t));
    if is_paper_set {
        recipe.to_string()
    } else {
        let count = match tasks.len() {
            1 => "this 1 task".to_string(),
            n => format!("these {n} tasks"),
        };
        format!("{recipe} It is over {count}, not the paper's 13.")
    }
}
