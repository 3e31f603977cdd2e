//! Leaderboard submission files from the official-test predictions stored with cell records.
//!
//! `superpos run` writes `cells/<id>/test-predictions.jsonl` when a cell's data contains the
//! benchmark's unlabelled test file, and lists it in the record (`official_test`, `artefacts`).
//! [`write_submissions`] turns them into the GLUE and SuperGLUE files of [`crate::submission`],
//! one folder per backbone, method, dropout setting and seed:
//! `<backbone>/<method>/dropout-<on|off>/seed<N>/CB.jsonl`.
//!
//! A cell is left out, with the reason in [`SubmissionOutcome::skipped`], when it did not finish,
//! when the grid's `eval_limit` cut its test split, or when its task has no submission file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{ReportError, Result};
use crate::load::ResultsStore;
use crate::record::CellRecord;
use crate::submission::{write_glue, write_superglue, GluePrediction, GlueTask, SuperGluePrediction, SuperGlueTask};

/// The predictions file's name in a cell's artefact folder.
const PREDICTIONS_FILE: &str = "test-predictions.jsonl";

/// One line of a predictions file.
#[derive(Debug, Clone, Deserialize)]
struct PredictionLine {
    split: String,
    #[serde(default)]
    idx: Option<usize>,
    #[serde(default)]
    paragraph: Option<usize>,
    #[serde(default)]
    question: Option<usize>,
    #[serde(default)]
    answer: Option<usize>,
    #[serde(default)]
    class: Option<usize>,
    #[serde(default)]
    score: Option<f64>,
}

/// The submission file of a task's split.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Glue(GlueTask),
    SuperGlue(SuperGlueTask),
}

/// Maps a task and official test split (names as records write them) to its submission file.
// TODO: the diagnostics (AX.tsv, AX-b.jsonl, AX-g.jsonl) are predicted with an MNLI or RTE
// model on their own test files, which cells do not predict yet, so those files are not written.
fn target(task: &str, split: &str) -> Option<Target> {
    use GlueTask as G;
    use SuperGlueTask as S;
    Some(match (task, split) {
        ("cola", "test") => Target::Glue(G::Cola),
        ("sst2", "test") => Target::Glue(G::Sst2),
        ("mrpc", "test") => Target::Glue(G::Mrpc),
        ("stsb", "test") => Target::Glue(G::Stsb),
        ("qqp", "test") => Target::Glue(G::Qqp),
        ("mnli", "test_matched") => Target::Glue(G::MnliMatched),
        ("mnli", "test_mismatched") => Target::Glue(G::MnliMismatched),
        ("qnli", "test") => Target::Glue(G::Qnli),
        ("glue-rte", "test") => Target::Glue(G::Rte),
        ("wnli", "test") => Target::Glue(G::Wnli),
        ("boolq", "test") => Target::SuperGlue(S::Boolq),
        ("cb", "test") => Target::SuperGlue(S::Cb),
        ("copa", "test") => Target::SuperGlue(S::Copa),
        ("multirc", "test") => Target::SuperGlue(S::Multirc),
        ("rte", "test") => Target::SuperGlue(S::Rte),
        ("wic", "test") => Target::SuperGlue(S::Wic),
        ("wsc", "test") => Target::SuperGlue(S::Wsc),
        _ => return None,
    })
}

/// The files [`write_submissions`] wrote and the cells it left out.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SubmissionOutcome {
    pub written: Vec<PathBuf>,
    /// `(cell label, reason)` for every cell with predictions that produced no file.
    pub skipped: Vec<(String, String)>,
    /// `(file written, warning)` for files with invalid predictions written as the fallback.
    pub warnings: Vec<(PathBuf, String)>,
}

/// Writes the submission files of every finished cell with complete official-test predictions
/// into `dir`. Returns an empty outcome when no record has predictions.
pub fn write_submissions(store: &ResultsStore, dir: &Path) -> Result<SubmissionOutcome> {
    let mut outcome = SubmissionOutcome::default();
    // (folder, file) -> the cell that claimed it, so that two cells never write one file.
    let mut claimed: BTreeMap<(PathBuf, String), String> = BTreeMap::new();
    for record in store.records.iter().filter(|r| !r.official_test.is_empty()) {
        let label = record.display_label();
        if record.status != CellRecord::STATUS_FINISHED {
            outcome.skipped.push((label, format!("status {}", record.status)));
            continue;
        }
        if let Some(cut) = record.official_test.iter().find(|t| t.examples < t.rows) {
            outcome.skipped.push((label, format!("eval_limit kept {} of the {} rows of {}; a submission needs them all", cut.examples, cut.rows, cut.split)));
            continue;
        }
        let Some(artefact) = record.artefacts.iter().find(|a| a.ends_with(PREDICTIONS_FILE)) else {
            outcome.skipped.push((label, format!("the record lists no {PREDICTIONS_FILE}")));
            continue;
        };
        let path = store.root.join("cells").join(artefact);
        let lines = read_lines(&path)?;
        let folder = dir.join(group_folder(&label));
        let task = record.cell.task.as_str();
        for official in &record.official_test {
            let Some(target) = target(task, &official.split) else {
                outcome.skipped.push((label.clone(), format!("task {task} ({}) has no submission file", official.split)));
                continue;
            };
            let rows: Vec<&PredictionLine> = lines.iter().filter(|l| l.split == official.split).collect();
            let file = match target {
                Target::Glue(task) => task.file_name(),
                Target::SuperGlue(task) => task.file_name(),
            };
            if let Some(owner) = claimed.get(&(folder.clone(), file.to_string())) {
                outcome.skipped.push((label.clone(), format!("{file} in {} was already written from {owner}", folder.display())));
                continue;
            }
            let written = match target {
                Target::Glue(task) => write_glue(&folder, task, &glue_predictions(&path, &rows)?)?,
                Target::SuperGlue(task) => write_superglue(&folder, task, &superglue_predictions(&path, task, &rows)?)?,
            };
            claimed.insert((folder.clone(), file.to_string()), label.clone());
            if official.invalid > 0 {
                let warning = format!(
                    "{} of {} rows had no valid label and were written as the fallback {}",
                    official.invalid, official.examples, official.fallback
                );
                outcome.warnings.push((written.clone(), warning));
            }
            outcome.written.push(written);
        }
    }
    Ok(outcome)
}

/// Turns `backbone/method/task/seedN/dropout-x` into `backbone/method/dropout-x/seedN`.
fn group_folder(label: &str) -> PathBuf {
    let parts: Vec<&str> = label.split('/').collect();
    match parts.as_slice() {
        [backbone, method, _task, seed, dropout] => [backbone, method, dropout, seed].iter().collect(),
        _ => PathBuf::from(label.replace('/', "_")),
    }
}

fn read_lines(path: &Path) -> Result<Vec<PredictionLine>> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str(line).map_err(|err| ReportError::Record { path: path.to_path_buf(), line: number + 1, column: err.column(), message: err.to_string() })
        })
        .collect()
}

fn missing(path: &Path, field: &str) -> ReportError {
    ReportError::Prediction { task: path.display().to_string(), index: 0, reason: format!("a line lacks {field}") }
}

fn glue_predictions(path: &Path, rows: &[&PredictionLine]) -> Result<Vec<(usize, GluePrediction)>> {
    rows.iter()
        .map(|row| {
            let idx = row.idx.ok_or_else(|| missing(path, "`idx`"))?;
            let prediction = match (row.class, row.score) {
                (Some(class), _) => GluePrediction::Class(class),
                (None, Some(score)) => GluePrediction::Score(score),
                (None, None) => return Err(missing(path, "`class` or `score`")),
            };
            Ok((idx, prediction))
        })
        .collect()
}

fn superglue_predictions(path: &Path, task: SuperGlueTask, rows: &[&PredictionLine]) -> Result<Vec<SuperGluePrediction>> {
    rows.iter()
        .map(|row| {
            let class = row.class.ok_or_else(|| missing(path, "`class`"))?;
            if task == SuperGlueTask::Multirc {
                return match (row.paragraph, row.question, row.answer) {
                    (Some(paragraph), Some(question), Some(answer)) => Ok(SuperGluePrediction::Answer { paragraph, question, answer, class }),
                    _ => Err(missing(path, "`paragraph`, `question` and `answer`")),
                };
            }
            let idx = row.idx.ok_or_else(|| missing(path, "`idx`"))?;
            Ok(SuperGluePrediction::Class { idx, class })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_folder_drops_task() {
        assert_eq!(group_folder("minilm/prompt_tuning/cb/seed0/dropout-on"), PathBuf::from("minilm/prompt_tuning/dropout-on/seed0"));
    }

    #[test]
    fn targets_by_task_and_split() {
        assert_eq!(target("mnli", "test_mismatched"), Some(Target::Glue(GlueTask::MnliMismatched)));
        assert_eq!(target("glue-rte", "test"), Some(Target::Glue(GlueTask::Rte)));
        assert_eq!(target("rte", "test"), Some(Target::SuperGlue(SuperGlueTask::Rte)));
        assert_eq!(target("record", "test"), None);
    }
}
