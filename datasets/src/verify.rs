//! Checking a data directory against the official split sizes and label sets, for
//! `superpos data verify --data-dir DIR`.
//!
//! Every split found is loaded (which also checks every row), its row count compared with
//! [`Task::official_rows`] (and MultiRC's question count with [`Task::official_groups`]), and
//! its labels compared with the task's classes: a labelled split must label every row and use
//! every class. Absent train and validation splits of the SuperPos-Prompt paper's 13 tasks are
//! listed as missing. Other absent splits (test sets, tasks outside those 13) are listed apart
//! and are not an error. Only the directory itself is read, never the embedded files.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::data_dir::DataDir;
use crate::example::{Dataset, Label};
use crate::task::{Split, Task};

/// The check of one split that was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedSplit {
    pub task: Task,
    pub split: Split,
    /// The file read; empty when loading failed before a file was chosen.
    pub source: String,
    pub rows: usize,
    pub expected_rows: usize,
    /// MultiRC questions, found and expected.
    pub groups: Option<(usize, usize)>,
    /// Rows per label, for example `entailment: 1249`; `unlabelled` counts rows without one.
    pub labels: BTreeMap<String, usize>,
    /// Every difference from the official numbers, or the load error. Empty when it matches.
    pub problems: Vec<String>,
}

/// A split that is not in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AbsentSplit {
    pub task: Task,
    pub split: Split,
}

/// The outcome of [`verify_data_dir`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    pub data_dir: PathBuf,
    pub splits: Vec<VerifiedSplit>,
    /// Absent train and validation splits of the SuperPos-Prompt paper's 13 tasks.
    pub missing: Vec<AbsentSplit>,
    /// Other official splits that are absent; informational only.
    pub absent_optional: Vec<AbsentSplit>,
}

impl VerifyReport {
    /// Tells whether any split found differs from the official numbers or failed to load.
    pub fn has_mismatch(&self) -> bool {
        self.splits.iter().any(|s| !s.problems.is_empty())
    }

    /// Lists the missing splits grouped by task, for example `mnli (train, validation_mismatched)`.
    pub fn missing_by_task(&self) -> Vec<String> {
        group_by_task(&self.missing)
    }
}

fn group_by_task(absent: &[AbsentSplit]) -> Vec<String> {
    let mut grouped: Vec<(Task, Vec<&str>)> = Vec::new();
    for entry in absent {
        match grouped.last_mut() {
            Some((task, splits)) if *task == entry.task => splits.push(entry.split.name()),
            _ => grouped.push((entry.task, vec![entry.split.name()])),
        }
    }
    grouped
        .into_iter()
        .map(|(task, splits)| format!("{task} ({})", splits.join(", ")))
        .collect()
}

/// Tells whether an absent split stops a paper experiment: the train and validation sets of the
/// 13 tasks.
fn required(task: Task, split: Split) -> bool {
    Task::PAPER.contains(&task)
        && matches!(
            split,
            Split::Train
                | Split::Validation
                | Split::ValidationMatched
                | Split::ValidationMismatched
        )
}

/// Loads and checks every split of every task found under `root`.
pub fn verify_data_dir(root: &Path) -> VerifyReport {
    let data = DataDir::only(root);
    let mut report = VerifyReport {
        data_dir: root.to_path_buf(),
        splits: Vec::new(),
        missing: Vec::new(),
        absent_optional: Vec::new(),
    };
    for task in Task::ALL {
        for &split in task.splits() {
            let expected_rows = task.official_rows(split).unwrap_or(0);
            match data.try_load(task, split) {
                Ok(Some(dataset)) => report.splits.push(check(&dataset, expected_rows)),
                Ok(None) if required(task, split) => {
                    report.missing.push(AbsentSplit { task, split })
                }
                Ok(None) => report.absent_optional.push(AbsentSplit { task, split }),
                Err(error) => report.splits.push(VerifiedSplit {
                    task,
                    split,
                    source: String::new(),
                    rows: 0,
                    expected_rows,
                    groups: None,
                    labels: BTreeMap::new(),
                    problems: vec![error.to_string()],
                }),
            }
        }
    }
    tracing::info!(
        found = report.splits.len(),
        mismatched = report
            .splits
            .iter()
            .filter(|s| !s.problems.is_empty())
            .count(),
        missing = report.missing.len(),
        "verified data directory"
    );
    report
}

fn check(dataset: &Dataset, expected_rows: usize) -> VerifiedSplit {
    let task = dataset.task;
    let split = dataset.split;
    let mut problems = Vec::new();
    if dataset.len() != expected_rows {
        problems.push(format!("{} rows, expected {expected_rows}", dataset.len()));
    }
    let groups = task.official_groups(split).map(|expected| {
        let found = dataset.group_count().unwrap_or(0);
        if found != expected {
            problems.push(format!("{found} questions, expected {expected}"));
        }
        (found, expected)
    });

    let labels = count_labels(dataset);
    let unlabelled = labels.get(UNLABELLED).copied().unwrap_or(0);
    let labelled = dataset.len() - unlabelled;
    if task.official_split_labelled(split) && unlabelled > 0 {
        problems.push(format!("{unlabelled} rows without a label"));
    }
    if labelled > 0 && unlabelled > 0 && !task.official_split_labelled(split) {
        problems.push(format!(
            "{labelled} labelled and {unlabelled} unlabelled rows"
        ));
    }
    if labelled > 0 {
        for class in task.class_names().unwrap_or(&[]) {
            if !labels.contains_key(*class) {
                problems.push(format!("no row has label {class}"));
            }
        }
    }

    VerifiedSplit {
        task,
        split,
        source: dataset.source.clone(),
        rows: dataset.len(),
        expected_rows,
        groups,
        labels,
        problems,
    }
}

const UNLABELLED: &str = "unlabelled";

fn count_labels(dataset: &Dataset) -> BTreeMap<String, usize> {
    let classes = dataset.task.class_names().unwrap_or(&[]);
    let mut counts = BTreeMap::new();
    for example in &dataset.examples {
        let key = match &example.label {
            Some(Label::Class(class)) => classes
                .get(*class as usize)
                .copied()
                .unwrap_or("?")
                .to_string(),
            Some(Label::Score(_)) => "score".to_string(),
            Some(Label::Answers(_)) => "answers".to_string(),
            None => UNLABELLED.to_string(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data directory: {}", self.data_dir.display())?;
        writeln!(
            f,
            "{:<9} {:<21} {:>7} {:>8}  {:<8} {:<50} source",
            "task", "split", "rows", "expected", "status", "labels"
        )?;
        for split in &self.splits {
            let labels: Vec<String> = split
                .labels
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let status = if split.problems.is_empty() {
                "ok"
            } else {
                "MISMATCH"
            };
            writeln!(
                f,
                "{:<9} {:<21} {:>7} {:>8}  {:<8} {:<50} {}",
                split.task.name(),
                split.split.name(),
                split.rows,
                split.expected_rows,
                status,
                labels.join(", "),
                split.source
            )?;
            if let Some((found, expected)) = split.groups {
                writeln!(f, "{:<31} questions {found}, expected {expected}", "")?;
            }
            for problem in &split.problems {
                writeln!(f, "{:<31} {problem}", "")?;
            }
        }
        let missing = self.missing_by_task();
        if missing.is_empty() {
            writeln!(f, "missing: none")?;
        } else {
            writeln!(
                f,
                "missing (needed by the paper's tasks): {}",
                missing.join("; ")
            )?;
        }
        let optional = group_by_task(&self.absent_optional);
        if !optional.is_empty() {
            writeln!(f, "not present (optional): {}", optional.join("; "))?;
        }
        let verdict = if self.has_mismatch() {
            "MISMATCH: at least one split differs from the official numbers"
        } else {
            "every split present matches the official numbers"
        };
        writeln!(f, "{verdict}")
    }
}
