//! Per-task detail tables: for one family and task, every backbone, method and dropout row with
//! each metric's mean and sample standard deviation over seeds, the task score, the number of
//! seeds and the flags that concern the row.

use crate::aggregate::Summary;
use crate::flags::{Flag, FlagKind};
use crate::names;
use crate::table::{Cell, Column, Joiner, Mark, Table};
use crate::table1::{row_label_cells, row_label_columns};

/// Builds the detail table of one family's task.
pub fn table(summary: &Summary, flags: &[Flag], family: &str, task: &str) -> Table {
    let metrics = summary.metric_names(family, task);
    let mut columns = row_label_columns();
    for metric in &metrics {
        columns.push(Column::parts(names::metric_display(metric), vec!["mean".to_string(), "sd".to_string()], Joiner::PlusMinus, 1));
    }
    columns.push(Column::number("Score", 1));
    columns.push(Column::number("n", 0));
    columns.push(Column::text("Flags"));

    let display = names::task_display(task);
    let mut table = Table::new(format!("detail-{family}-{task}"), format!("{display}, {family} family (x100)"), columns);
    for row in summary.rows(family) {
        let Some(task_score) = summary.task(&row, task) else { continue };
        let mut cells = row_label_cells(&row);
        for metric in &metrics {
            let cell = match summary.metric(&row, task, metric) {
                Some(stat) => Cell::numbers(vec![Some(stat.mean), stat.std]),
                None => Cell::empty(),
            };
            cells.push(cell);
        }
        cells.push(Cell::number(task_score.score).with_mark(Mark::NeverValid, task_score.never_valid_seeds > 0).with_mark(Mark::Diverged, task_score.diverged_seeds > 0));
        cells.push(Cell::number(task_score.n as f64));
        cells.push(Cell::text(flag_summary(flags, &row, task, task_score.n)));
        table.push(cells);
    }
    table.notes.push("Mean ± sample standard deviation over seeds; Score is the mean of the task's metrics, the number Table 1's Avg averages.".to_string());
    table
}

/// Counts the flagged seeds of one row and task, such as `never valid 1/3, collapsed 2/3`.
fn flag_summary(flags: &[Flag], row: &crate::aggregate::RowKey, task: &str, seeds: usize) -> String {
    let mut parts = Vec::new();
    for kind in [FlagKind::NeverValid, FlagKind::Collapsed, FlagKind::Diverged] {
        let count = flags.iter().filter(|f| f.kind == kind && f.concerns(row, task)).count();
        if count > 0 {
            parts.push(format!("{} {count}/{seeds}", kind.display()));
        }
    }
    if flags.iter().any(|f| f.kind == FlagKind::NoSpread && f.concerns(row, task)) {
        parts.push(FlagKind::NoSpread.display().to_string());
    }
    parts.join(", ")
}
