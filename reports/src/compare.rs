//! Reproduced numbers beside reported ones: each metric, each row's Avg and each row's
//! standardised score, with the difference and whether the reported value lies within one
//! sample standard deviation of the seeds' mean.
//!
//! Only rows of the same family, backbone name, method and dropout setting are compared, so a
//! BERT-family run is never set against the T5 numbers of the SuperPos-Prompt paper
//! (arXiv:2406.05279).

use serde::Serialize;

use crate::aggregate::{RowKey, Summary};
use crate::error::Result;
use crate::load::{ReportedAverage, ScoreFile};
use crate::names::{self, PAPER_TASKS};
use crate::paper::{self, ReportedStandardized};
use crate::table::{Cell, Column, Table};
use crate::table1::{self, row_label_cells, row_label_columns};
use crate::table2::Standardized;

/// Reported numbers to compare against.
#[derive(Debug, Clone)]
pub struct Reference {
    /// A name for table titles, such as the paper's.
    pub name: String,
    pub summary: Summary,
    pub averages: Vec<ReportedAverage>,
    pub standardized: Vec<ReportedStandardized>,
}

impl Reference {
    /// Builds the reference from SuperPos-Prompt's published Table 1 and Table 2.
    pub fn paper() -> Result<Reference> {
        let table1 = paper::table1()?;
        Ok(Reference { name: paper::SOURCE_NAME.to_string(), summary: Summary::from_rows(&table1.rows)?, averages: table1.averages, standardized: paper::table2()? })
    }

    /// Builds the reference from a score CSV in the layout of SuperPos-Prompt's Table 1, which
    /// has no standardised scores.
    pub fn from_score_file(file: &ScoreFile) -> Result<Reference> {
        let name = file.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.path.display().to_string());
        Ok(Reference { name, summary: Summary::from_rows(&file.rows)?, averages: file.averages.clone(), standardized: Vec::new() })
    }

    /// Returns the reported Avg of a row: the file's own `Avg` row, else one recomputed from its
    /// task scores when the row has all 13 of the paper's tasks.
    fn average(&self, row: &RowKey) -> Option<f64> {
        let stated = self.averages.iter().find(|a| a.family == row.family && a.model == row.model && a.method == row.method && a.dropout == row.dropout);
        if let Some(stated) = stated {
            return Some(stated.score);
        }
        self.summary.average(row).filter(|a| a.tasks == PAPER_TASKS.len()).map(|a| a.average)
    }
}

/// One metric of one row and task, reproduced against reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricComparison {
    pub row: RowKey,
    pub task: String,
    pub metric: String,
    pub reproduced: f64,
    pub std: Option<f64>,
    pub n: usize,
    pub reported: f64,
    /// Reproduced minus reported, in percentage points.
    pub difference: f64,
    /// Whether |difference| is at most one sample standard deviation of the seeds; `None` with
    /// fewer than 2 seeds.
    pub within_one_std: Option<bool>,
}

/// A row's Avg, reproduced against reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AverageComparison {
    pub row: RowKey,
    pub reproduced: f64,
    pub reported: f64,
    pub difference: f64,
}

/// A row's standardised score, reproduced against reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardizedComparison {
    pub row: RowKey,
    pub mean: f64,
    pub reported_mean: f64,
    pub std: f64,
    pub reported_std: f64,
}

/// Every comparison a report makes against one reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub reference: String,
    pub metrics: Vec<MetricComparison>,
    pub averages: Vec<AverageComparison>,
    pub standardized: Vec<StandardizedComparison>,
}

/// Compares reproduced statistics (and their standardised scoring) with a reference.
pub fn compare(summary: &Summary, standardized: &[Standardized], reference: &Reference) -> Comparison {
    let mut metrics = Vec::new();
    for stat in &summary.metrics {
        let Some(reported) = reference.summary.metric(&stat.row, &stat.task, &stat.metric) else { continue };
        let difference = stat.mean - reported.mean;
        let within_one_std = if stat.n >= 2 { stat.std.map(|std| difference.abs() <= std) } else { None };
        metrics.push(MetricComparison {
            row: stat.row.clone(),
            task: stat.task.clone(),
            metric: stat.metric.clone(),
            reproduced: stat.mean,
            std: stat.std,
            n: stat.n,
            reported: reported.mean,
            difference,
            within_one_std,
        });
    }

    let mut averages = Vec::new();
    for family in summary.families() {
        // An Avg over other tasks than the paper's 13 is not comparable with the paper's.
        let tasks = summary.task_names(&family);
        if tasks.len() != PAPER_TASKS.len() || !PAPER_TASKS.iter().all(|t| tasks.iter().any(|task| task == t)) {
            continue;
        }
        for entry in table1::averages(summary, &family) {
            let (Some(reproduced), Some(reported)) = (entry.average, reference.average(&entry.row)) else { continue };
            averages.push(AverageComparison { row: entry.row, reproduced, reported, difference: reproduced - reported });
        }
    }

    let mut standardized_comparisons = Vec::new();
    for scoring in standardized {
        let reported: Vec<&ReportedStandardized> = reference.standardized.iter().filter(|r| r.family == scoring.family).collect();
        // Min-max scaling depends on every row, so scores compare only over the same row set.
        let same_rows = reported.len() == scoring.rows.len()
            && scoring.rows.iter().all(|row| reported.iter().any(|r| matches_row(r, &row.row)))
            && scoring.tasks.len() == PAPER_TASKS.len();
        if !same_rows {
            continue;
        }
        for row in &scoring.rows {
            let Some(reported) = reported.iter().find(|r| matches_row(r, &row.row)) else { continue };
            standardized_comparisons.push(StandardizedComparison { row: row.row.clone(), mean: row.mean, reported_mean: reported.mean, std: row.std, reported_std: reported.std });
        }
    }
    Comparison { reference: reference.name.clone(), metrics, averages, standardized: standardized_comparisons }
}

fn matches_row(reported: &ReportedStandardized, row: &RowKey) -> bool {
    reported.family == row.family && reported.model == row.model && reported.method == row.method && reported.dropout == row.dropout
}

/// Builds the comparison tables of one family; tables without rows are left out.
pub fn tables(comparison: &Comparison, family: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let reference = &comparison.reference;

    let metrics: Vec<&MetricComparison> = comparison.metrics.iter().filter(|m| m.row.family == family).collect();
    if !metrics.is_empty() {
        let mut columns = row_label_columns();
        columns.extend([
            Column::text("Task"),
            Column::text("Metric"),
            Column::number("Reproduced", 1),
            Column::number("Sd", 1),
            Column::number("n", 0),
            Column::number("Reported", 1),
            Column::number("Diff", 1),
            Column::text("Within 1 sd"),
        ]);
        let mut table = Table::new(format!("compare-{family}"), format!("Reproduced against {reference}, {family} family (x100)"), columns);
        for m in &metrics {
            let mut cells = row_label_cells(&m.row);
            let within = match m.within_one_std {
                Some(true) => "yes",
                Some(false) => "no",
                None => "n/a",
            };
            cells.extend([
                Cell::text(names::task_display(&m.task)),
                Cell::text(names::metric_display(&m.metric)),
                Cell::number(m.reproduced),
                Cell::optional(m.std),
                Cell::number(m.n as f64),
                Cell::number(m.reported),
                Cell::number(m.difference),
                Cell::text(within),
            ]);
            table.push(cells);
        }
        table.notes.push("Diff is reproduced minus reported. Within 1 sd says whether the reported value lies within one sample standard deviation of the mean over seeds (n/a with a single seed).".to_string());
        tables.push(table);
    }

    let averages: Vec<&AverageComparison> = comparison.averages.iter().filter(|a| a.row.family == family).collect();
    if !averages.is_empty() {
        let mut columns = row_label_columns();
        columns.extend([Column::number("Avg", 1), Column::number("Reported", 1), Column::number("Diff", 2)]);
        let mut table = Table::new(format!("compare-avg-{family}"), format!("Avg against {reference}, {family} family"), columns);
        for a in &averages {
            let mut cells = row_label_cells(&a.row);
            cells.extend([Cell::number(a.reproduced), Cell::number(a.reported), Cell::number(a.difference)]);
            table.push(cells);
        }
        tables.push(table);
    }

    let standardized: Vec<&StandardizedComparison> = comparison.standardized.iter().filter(|s| s.row.family == family).collect();
    if !standardized.is_empty() {
        let mut columns = row_label_columns();
        columns.extend([
            Column::number("Mean", 1),
            Column::number("Reported", 1),
            Column::number("Diff", 2),
            Column::number("Std", 1),
            Column::number("Reported", 1),
            Column::number("Diff", 2),
        ]);
        let mut table = Table::new(format!("compare-table2-{family}"), format!("Standardised scoring against {reference}, {family} family"), columns);
        for s in &standardized {
            let mut cells = row_label_cells(&s.row);
            cells.extend([
                Cell::number(s.mean),
                Cell::number(s.reported_mean),
                Cell::number(s.mean - s.reported_mean),
                Cell::number(s.std),
                Cell::number(s.reported_std),
                Cell::number(s.std - s.reported_std),
            ]);
            table.push(cells);
        }
        tables.push(table);
    }
    tables
}
