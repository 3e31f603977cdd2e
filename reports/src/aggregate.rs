//! Aggregation over seeds with polars: mean, sample standard deviation and count per backbone,
//! method, dropout setting, task and metric.
//!
//! Two further steps give the Avg column of the SuperPos-Prompt paper's Table 1 (Sadraei
//! Javaheri et al., arXiv:2406.05279): the task score is the mean of a task's metrics, and each
//! row's average is the plain mean of its task scores.

use polars::prelude::*;
use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::frame;
use crate::names;
use crate::scores::columns::*;
use crate::scores::{scores_frame, ScoreRow};

/// A row of the paper's tables: one backbone, method and dropout setting within one family.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RowKey {
    pub family: String,
    pub model: String,
    pub method: String,
    pub dropout: bool,
}

impl RowKey {
    /// The key that orders rows as the paper does: backbone, method, dropout on before off.
    pub fn order(&self) -> impl Ord {
        (self.family.clone(), names::row_order(&self.model, &self.method, self.dropout))
    }
}

/// One metric of one row and task, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricStat {
    pub row: RowKey,
    pub task: String,
    pub metric: String,
    /// Mean over seeds, in percentage points.
    pub mean: f64,
    /// Sample standard deviation over seeds (n - 1 in the denominator); `None` for one seed.
    pub std: Option<f64>,
    pub n: usize,
    pub never_valid_seeds: usize,
    pub diverged_seeds: usize,
}

/// One task of one row: the mean of its metrics' means, as the paper averages a two-metric task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskScore {
    pub row: RowKey,
    pub task: String,
    pub score: f64,
    /// The maximum seed count over the task's metrics (metrics of one cell share their seeds).
    pub n: usize,
    pub never_valid_seeds: usize,
    pub diverged_seeds: usize,
}

/// A row's plain mean of task scores, zeros included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowAverage {
    pub row: RowKey,
    pub average: f64,
    /// The number of tasks averaged; a table shows the average only when the row has them all.
    pub tasks: usize,
}

/// Everything aggregated from the per-seed rows, sorted in table order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub metrics: Vec<MetricStat>,
    pub tasks: Vec<TaskScore>,
    pub averages: Vec<RowAverage>,
}

const MEAN: &str = "mean";
const STD: &str = "std";
const N: &str = "n";
const NEVER_VALID_SEEDS: &str = "never_valid_seeds";
const DIVERGED_SEEDS: &str = "diverged_seeds";
const TASK_SCORE: &str = "task_score";
const AVERAGE: &str = "average";
const TASKS: &str = "tasks";

fn row_keys() -> [Expr; 4] {
    [col(FAMILY), col(MODEL), col(METHOD), col(DROPOUT)]
}

/// Groups the per-seed frame by row, task and metric: mean, sample std and seed count.
pub fn metric_stats_frame(scores: &DataFrame) -> Result<DataFrame> {
    let [family, model, method, dropout] = row_keys();
    scores
        .clone()
        .lazy()
        .group_by([family, model, method, dropout, col(TASK), col(METRIC)])
        .agg([
            col(SCORE).mean().alias(MEAN),
            col(SCORE).std(1).alias(STD),
            col(SCORE).count().cast(DataType::Int64).alias(N),
            col(NEVER_VALID).cast(DataType::Int64).sum().alias(NEVER_VALID_SEEDS),
            col(DIVERGED).cast(DataType::Int64).sum().alias(DIVERGED_SEEDS),
        ])
        .collect()
        .map_err(ReportError::polars("aggregating scores over seeds"))
}

/// Averages the metric means of each task (F1 and accuracy of MRPC give one MRPC score).
pub fn task_scores_frame(metric_stats: &DataFrame) -> Result<DataFrame> {
    let [family, model, method, dropout] = row_keys();
    metric_stats
        .clone()
        .lazy()
        .group_by([family, model, method, dropout, col(TASK)])
        .agg([
            col(MEAN).mean().alias(TASK_SCORE),
            col(N).max().alias(N),
            col(NEVER_VALID_SEEDS).max().alias(NEVER_VALID_SEEDS),
            col(DIVERGED_SEEDS).max().alias(DIVERGED_SEEDS),
        ])
        .collect()
        .map_err(ReportError::polars("averaging the metrics of each task"))
}

/// Takes each row's plain mean over its task scores and counts the tasks.
pub fn row_averages_frame(task_scores: &DataFrame) -> Result<DataFrame> {
    task_scores
        .clone()
        .lazy()
        .group_by(row_keys())
        .agg([col(TASK_SCORE).mean().alias(AVERAGE), col(TASK).count().cast(DataType::Int64).alias(TASKS)])
        .collect()
        .map_err(ReportError::polars("averaging task scores per row"))
}

impl Summary {
    /// Aggregates per-seed rows into metric, task and row statistics.
    pub fn from_rows(rows: &[ScoreRow]) -> Result<Summary> {
        if rows.is_empty() {
            return Ok(Summary::default());
        }
        let scores = scores_frame(rows)?;
        let metric_frame = metric_stats_frame(&scores)?;
        let task_frame = task_scores_frame(&metric_frame)?;
        let average_frame = row_averages_frame(&task_frame)?;

        let mut metrics = extract_metric_stats(&metric_frame)?;
        metrics.sort_by_key(|m| (m.row.order(), names::task_rank(&m.task), m.task.clone(), names::metric_rank(&m.task, &m.metric), m.metric.clone()));
        let mut tasks = extract_task_scores(&task_frame)?;
        tasks.sort_by_key(|t| (t.row.order(), names::task_rank(&t.task), t.task.clone()));
        let mut averages = extract_row_averages(&average_frame)?;
        averages.sort_by_key(|a| a.row.order());
        Ok(Summary { metrics, tasks, averages })
    }

    /// Lists the families present, sorted.
    pub fn families(&self) -> Vec<String> {
        let mut families: Vec<String> = self.tasks.iter().map(|t| t.row.family.clone()).collect();
        families.sort();
        families.dedup();
        families
    }

    /// Lists a family's rows in table order.
    pub fn rows(&self, family: &str) -> Vec<RowKey> {
        let mut rows: Vec<RowKey> = self.tasks.iter().filter(|t| t.row.family == family).map(|t| t.row.clone()).collect();
        rows.dedup();
        rows
    }

    /// Lists a family's tasks in the paper's column order.
    pub fn task_names(&self, family: &str) -> Vec<String> {
        let mut tasks: Vec<String> = self.tasks.iter().filter(|t| t.row.family == family).map(|t| t.task.clone()).collect();
        tasks.sort_by_key(|t| (names::task_rank(t), t.clone()));
        tasks.dedup();
        tasks
    }

    /// Lists the metrics a family reports for a task, in the paper's order.
    pub fn metric_names(&self, family: &str, task: &str) -> Vec<String> {
        let mut metrics: Vec<String> = self.metrics.iter().filter(|m| m.row.family == family && m.task == task).map(|m| m.metric.clone()).collect();
        metrics.sort_by_key(|m| (names::metric_rank(task, m), m.clone()));
        metrics.dedup();
        metrics
    }

    pub fn metric(&self, row: &RowKey, task: &str, metric: &str) -> Option<&MetricStat> {
        self.metrics.iter().find(|m| &m.row == row && m.task == task && m.metric == metric)
    }

    pub fn task(&self, row: &RowKey, task: &str) -> Option<&TaskScore> {
        self.tasks.iter().find(|t| &t.row == row && t.task == task)
    }

    pub fn average(&self, row: &RowKey) -> Option<&RowAverage> {
        self.averages.iter().find(|a| &a.row == row)
    }
}

fn extract_metric_stats(df: &DataFrame) -> Result<Vec<MetricStat>> {
    let rows = frame::row_keys(df)?;
    let task = frame::strings(df, TASK)?;
    let metric = frame::strings(df, METRIC)?;
    let mean = frame::floats(df, MEAN)?;
    let std = frame::floats(df, STD)?;
    let n = frame::counts(df, N)?;
    let never_valid = frame::counts(df, NEVER_VALID_SEEDS)?;
    let diverged = frame::counts(df, DIVERGED_SEEDS)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| MetricStat {
            row,
            task: task[i].clone(),
            metric: metric[i].clone(),
            mean: mean[i].unwrap_or(f64::NAN),
            std: std[i],
            n: n[i],
            never_valid_seeds: never_valid[i],
            diverged_seeds: diverged[i],
        })
        .collect())
}

fn extract_task_scores(df: &DataFrame) -> Result<Vec<TaskScore>> {
    let rows = frame::row_keys(df)?;
    let task = frame::strings(df, TASK)?;
    let score = frame::floats(df, TASK_SCORE)?;
    let n = frame::counts(df, N)?;
    let never_valid = frame::counts(df, NEVER_VALID_SEEDS)?;
    let diverged = frame::counts(df, DIVERGED_SEEDS)?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| TaskScore {
            row,
            task: task[i].clone(),
            score: score[i].unwrap_or(f64::NAN),
            n: n[i],
            never_valid_seeds: never_valid[i],
            diverged_seeds: diverged[i],
        })
        .collect())
}

fn extract_row_averages(df: &DataFrame) -> Result<Vec<RowAverage>> {
    let rows = frame::row_keys(df)?;
    let average = frame::floats(df, AVERAGE)?;
    let tasks = frame::counts(df, TASKS)?;
    Ok(rows.into_iter().enumerate().map(|(i, row)| RowAverage { row, average: average[i].unwrap_or(f64::NAN), tasks: tasks[i] }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(task: &str, metric: &str, seed: u64, score: f64) -> ScoreRow {
        ScoreRow {
            family: "t5".into(),
            model: "t5-base-lm-adapt".into(),
            method: "superpos_prompt_tuning".into(),
            dropout: false,
            task: task.into(),
            metric: metric.into(),
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
    fn metric_stats_use_sample_std() {
        let summary = Summary::from_rows(&[row("rte", "accuracy", 0, 60.0), row("rte", "accuracy", 1, 70.0), row("rte", "accuracy", 2, 80.0)]).unwrap();
        assert_eq!(summary.metrics.len(), 1);
        let stat = &summary.metrics[0];
        assert_eq!(stat.n, 3);
        assert!((stat.mean - 70.0).abs() < 1e-12);
        // Sample variance: (100 + 0 + 100) / 2 = 100.
        assert!((stat.std.unwrap() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn single_seed_has_no_std() {
        let summary = Summary::from_rows(&[row("rte", "accuracy", 0, 60.0)]).unwrap();
        assert_eq!(summary.metrics[0].std, None);
    }

    #[test]
    fn two_metric_task_is_averaged_before_the_row() {
        let summary = Summary::from_rows(&[row("mrpc", "f1", 0, 90.0), row("mrpc", "accuracy", 0, 80.0), row("rte", "accuracy", 0, 60.0)]).unwrap();
        let mrpc = summary.tasks.iter().find(|t| t.task == "mrpc").unwrap();
        assert!((mrpc.score - 85.0).abs() < 1e-12);
        assert_eq!(summary.averages.len(), 1);
        assert!((summary.averages[0].average - 72.5).abs() < 1e-12);
        assert_eq!(summary.averages[0].tasks, 2);
    }

    #[test]
    fn tasks_follow_paper_column_order() {
        let summary = Summary::from_rows(&[row("boolq", "accuracy", 0, 1.0), row("qqp", "f1", 0, 1.0), row("qqp", "accuracy", 0, 1.0), row("cola", "mcc", 0, 1.0)]).unwrap();
        assert_eq!(summary.task_names("t5"), vec!["qqp", "cola", "boolq"]);
        assert_eq!(summary.metric_names("t5", "qqp"), vec!["f1", "accuracy"]);
    }
}
