//! Scoring a task's predictions with its metrics and the SuperPos-Prompt paper's per-task score
//! (the mean of the task's one or two metrics), counting invalid predictions.

use serde::Serialize;

use crate::error::{DatasetError, Result};
use crate::example::Example;
use crate::metrics;
use crate::task::{Metric, Task};

/// A generated string mapped back to a label by a protocol.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prediction {
    Class(u32),
    Score(f64),
    /// Not a valid output of the protocol; scored as wrong.
    Invalid,
}

/// The STS-B value scored for an invalid prediction. It lies outside the 0..5 score range,
/// as the Compacter code's fallback of -1 for an unparseable number does.
pub const INVALID_SCORE_FILL: f64 = -1.0;

/// One metric's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricValue {
    pub metric: Metric,
    pub value: f64,
}

/// A task's metrics on one evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskScore {
    pub task: Task,
    pub metrics: Vec<MetricValue>,
    /// The mean of `metrics`, as a fraction (the SuperPos-Prompt paper prints it x100).
    pub score: f64,
    pub examples: usize,
    /// Predictions that mapped to no label; each is counted as wrong.
    pub invalid: usize,
}

/// Scores predictions against labelled examples, in the same order.
pub fn score_task(
    task: Task,
    examples: &[Example],
    predictions: &[Prediction],
) -> Result<TaskScore> {
    if examples.len() != predictions.len() {
        return Err(DatasetError::MetricInput {
            metric: "score_task",
            reason: format!(
                "{} examples but {} predictions",
                examples.len(),
                predictions.len()
            ),
        });
    }
    let invalid = predictions
        .iter()
        .filter(|p| **p == Prediction::Invalid)
        .count();
    let mut values = Vec::new();
    if task.class_names().is_some() {
        let gold = examples
            .iter()
            .enumerate()
            .map(|(index, e)| e.class().ok_or_else(|| missing(task, index, "class label")))
            .collect::<Result<Vec<u32>>>()?;
        let pred: Vec<Option<u32>> = predictions
            .iter()
            .map(|p| match p {
                Prediction::Class(class) => Some(*class),
                _ => None,
            })
            .collect();
        for &metric in task.metrics() {
            let value = match metric {
                Metric::Accuracy => metrics::accuracy(&gold, &pred)?,
                Metric::F1 => metrics::f1_binary(&gold, &pred)?,
                Metric::MacroF1 => {
                    let classes = task.class_names().map_or(0, <[_]>::len) as u32;
                    metrics::macro_f1(&gold, &pred, classes)?
                }
                Metric::Mcc => metrics::mcc(&gold, &pred)?,
                Metric::MultircF1a | Metric::MultircExactMatch => {
                    let groups = examples
                        .iter()
                        .enumerate()
                        .map(|(index, e)| {
                            e.group
                                .ok_or_else(|| missing(task, index, "question group"))
                        })
                        .collect::<Result<Vec<usize>>>()?;
                    let (f1a, exact) = metrics::multirc(&groups, &gold, &pred)?;
                    if metric == Metric::MultircF1a {
                        f1a
                    } else {
                        exact
                    }
                }
                Metric::Pearson | Metric::Spearman => {
                    unreachable!("classification tasks have no correlation metric")
                }
            };
            values.push(MetricValue { metric, value });
        }
    } else if task == Task::Stsb {
        let gold = examples
            .iter()
            .enumerate()
            .map(|(index, e)| e.score().ok_or_else(|| missing(task, index, "score")))
            .collect::<Result<Vec<f64>>>()?;
        let pred: Vec<f64> = predictions
            .iter()
            .map(|p| match p {
                Prediction::Score(score) => *score,
                _ => INVALID_SCORE_FILL,
            })
            .collect();
        values.push(MetricValue {
            metric: Metric::Pearson,
            value: metrics::pearson(&gold, &pred)?,
        });
        values.push(MetricValue {
            metric: Metric::Spearman,
            value: metrics::spearman(&gold, &pred)?,
        });
    } else {
        return Err(DatasetError::MetricInput {
            metric: "score_task",
            reason: format!("{task} has no implemented metric"),
        });
    }

    let score = metrics::paper_score(&values.iter().map(|v| v.value).collect::<Vec<_>>());
    Ok(TaskScore {
        task,
        metrics: values,
        score,
        examples: examples.len(),
        invalid,
    })
}

fn missing(task: Task, index: usize, what: &str) -> DatasetError {
    DatasetError::MissingExampleValue {
        task: task.name().to_string(),
        index,
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example::Label;

    fn labelled(class: u32) -> Example {
        Example {
            line: 1,
            fields: Vec::new(),
            label: Some(Label::Class(class)),
            group: None,
            idx: None,
        }
    }

    #[test]
    fn mrpc_score_is_mean_of_f1_and_accuracy() {
        let examples: Vec<Example> = [1, 1, 0, 0].into_iter().map(labelled).collect();
        let predictions = [
            Prediction::Class(1),
            Prediction::Invalid,
            Prediction::Class(0),
            Prediction::Class(1),
        ];
        let score = score_task(Task::Mrpc, &examples, &predictions).unwrap();
        // tp 1, fp 1, fn 1: F1 = 0.5; accuracy 2/4 = 0.5.
        assert_eq!(
            score.metrics[0],
            MetricValue {
                metric: Metric::F1,
                value: 0.5
            }
        );
        assert_eq!(
            score.metrics[1],
            MetricValue {
                metric: Metric::Accuracy,
                value: 0.5
            }
        );
        assert_eq!(score.score, 0.5);
        assert_eq!(score.invalid, 1);
    }

    #[test]
    fn unlabelled_examples_are_rejected() {
        let examples = vec![Example {
            line: 1,
            fields: Vec::new(),
            label: None,
            group: None,
            idx: None,
        }];
        let err = score_task(Task::Rte, &examples, &[Prediction::Class(0)]).unwrap_err();
        assert_eq!(err.to_string(), "example 0 of rte has no class label");
    }
}
