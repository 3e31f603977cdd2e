//! Reading the two inputs a report accepts: a results directory written by `superpos run`
//! (`cells/<id>.json` records and the `grid.yaml` copy) and a long-format score CSV with the
//! columns `model,method,dropout,task,metric,score` (the layout of the SuperPos-Prompt paper's
//! published numbers in `data/paper_table1.csv`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::grid::GridAxes;
use crate::names;
use crate::record::CellRecord;
use crate::scores::ScoreRow;

/// A results directory: its records, sorted by file name, and its grid when it has one.
#[derive(Debug, Clone)]
pub struct ResultsStore {
    pub root: PathBuf,
    pub records: Vec<CellRecord>,
    pub grid: Option<GridAxes>,
}

/// A published or exported average (the `Avg` rows of a score CSV).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportedAverage {
    pub family: String,
    pub model: String,
    pub method: String,
    pub dropout: bool,
    /// Percentage points.
    pub score: f64,
}

/// The rows of a long-format score CSV.
#[derive(Debug, Clone)]
pub struct ScoreFile {
    pub path: PathBuf,
    pub rows: Vec<ScoreRow>,
    /// `Avg` rows, kept apart because they are derived numbers, not a task.
    pub averages: Vec<ReportedAverage>,
}

/// The input of a report.
#[derive(Debug, Clone)]
pub enum Input {
    Store(ResultsStore),
    Scores(ScoreFile),
}

impl Input {
    /// Opens a results directory (one with a `cells/` folder) or a `.csv` score file.
    pub fn open(path: &Path) -> Result<Input> {
        if path.is_dir() && path.join("cells").is_dir() {
            return Ok(Input::Store(ResultsStore::open(path)?));
        }
        let is_csv = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
        if path.is_file() && is_csv {
            return Ok(Input::Scores(ScoreFile::read(path)?));
        }
        if !path.exists() {
            return Err(ReportError::NotFound { path: path.to_path_buf() });
        }
        Err(ReportError::UnknownInput { path: path.to_path_buf() })
    }

    /// Returns the input's file or directory name, for report headers (never the full path, so
    /// that reports do not depend on where the results lie).
    pub fn name(&self) -> String {
        let path = match self {
            Input::Store(store) => &store.root,
            Input::Scores(file) => &file.path,
        };
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
    }
}

impl ResultsStore {
    /// Reads every `cells/*.json` record of a results directory, and `grid.yaml` when present.
    pub fn open(root: &Path) -> Result<ResultsStore> {
        let cells = root.join("cells");
        let entries = std::fs::read_dir(&cells).map_err(|source| ReportError::Read { path: cells.clone(), source })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ReportError::Read { path: cells.clone(), source })?;
            let path = entry.path();
            // The store keeps `<id>.lock` files and `<id>/` artefact folders next to the records.
            if path.is_file() && path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        // read_dir's order depends on the file system; sorting keeps reports reproducible.
        paths.sort();
        if paths.is_empty() {
            return Err(ReportError::NoRecords { path: root.to_path_buf() });
        }
        let mut records = Vec::with_capacity(paths.len());
        for path in &paths {
            records.push(read_record(path)?);
        }
        let grid_path = root.join("grid.yaml");
        let grid = if grid_path.is_file() { Some(GridAxes::from_file(&grid_path)?) } else { None };
        Ok(ResultsStore { root: root.to_path_buf(), records, grid })
    }
}

/// Reads one cell record, naming the line and column of a JSON error.
pub fn read_record(path: &Path) -> Result<CellRecord> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|err| ReportError::Record { path: path.to_path_buf(), line: err.line(), column: err.column(), message: err.to_string() })
}

/// The task name that marks a derived average row in a score CSV.
const AVERAGE_TASK: &str = "avg";

impl ScoreFile {
    /// Reads a long-format score CSV.
    ///
    /// Required columns: `model,method,dropout,task,metric,score`, scores in percentage points
    /// as published. Optional: `family` (else guessed from the model name), `seed` (else 0) and
    /// `invalid_labels` (1 marks a run that never produced a valid label). Task, metric and
    /// method names may use the SuperPos-Prompt paper's spelling (`SST-2`, CB `f1`, `superpos`).
    pub fn read(path: &Path) -> Result<ScoreFile> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
        Self::parse(path, &text)
    }

    /// Parses score CSV text; `path` only names the source in errors.
    pub fn parse(path: &Path, text: &str) -> Result<ScoreFile> {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
        let csv_error = |err: csv::Error| ReportError::csv(path, err);
        let headers = reader.headers().map_err(csv_error)?.clone();
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let required = |name: &str| find(name).ok_or_else(|| ReportError::MissingColumn { path: path.to_path_buf(), column: name.to_string() });
        let model_at = required("model")?;
        let method_at = required("method")?;
        let dropout_at = required("dropout")?;
        let task_at = required("task")?;
        let metric_at = required("metric")?;
        let score_at = required("score")?;
        let family_at = find("family");
        let seed_at = find("seed");
        let invalid_at = find("invalid_labels");

        let mut rows = Vec::new();
        let mut averages = Vec::new();
        let mut seen = HashSet::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let field = |at: usize| record.get(at).unwrap_or("");
            let invalid = |column: &str, value: &str, reason: &str| ReportError::invalid_value(path, line, column, value, reason);

            let model = field(model_at).to_string();
            let family = match family_at.map(field).filter(|f| !f.is_empty()) {
                Some(family) => family.to_ascii_lowercase(),
                None => names::family_from_model(&model)
                    .ok_or_else(|| invalid("model", &model, "the backbone family cannot be told from this name; add a `family` column"))?
                    .to_string(),
            };
            let method = names::canonical_method(field(method_at));
            let dropout = names::parse_flag(field(dropout_at)).ok_or_else(|| invalid("dropout", field(dropout_at), "expected on/off, true/false, yes/no or 1/0"))?;
            let score_text = field(score_at);
            let score: f64 = score_text.parse().map_err(|_| invalid("score", score_text, "expected a number in percentage points"))?;
            if !score.is_finite() {
                return Err(invalid("score", score_text, "expected a finite number"));
            }
            let raw_task = field(task_at);
            if raw_task.eq_ignore_ascii_case(AVERAGE_TASK) {
                averages.push(ReportedAverage { family, model, method, dropout, score });
                continue;
            }
            let task = names::canonical_task(raw_task);
            let metric = names::canonical_metric(&task, field(metric_at));
            let seed = match seed_at.map(field).filter(|s| !s.is_empty()) {
                Some(text) => text.parse().map_err(|_| invalid("seed", text, "expected a non-negative integer"))?,
                None => 0,
            };
            let never_valid = match invalid_at.map(field).filter(|s| !s.is_empty()) {
                Some(text) => names::parse_flag(text).ok_or_else(|| invalid("invalid_labels", text, "expected 0 or 1"))?,
                None => false,
            };
            let key = format!("{family}/{model}/{method}/{task}/{metric}/seed{seed}/dropout-{}", names::dropout_display(dropout));
            if !seen.insert(key.clone()) {
                return Err(ReportError::DuplicateScore { path: path.to_path_buf(), line, key });
            }
            rows.push(ScoreRow {
                family,
                model,
                method,
                dropout,
                task,
                metric,
                seed,
                score,
                never_valid,
                diverged: false,
                cell_id: None,
                code_revision: None,
                data_sha256: Vec::new(),
                weights_sha256: Vec::new(),
            });
        }
        Ok(ScoreFile { path: path.to_path_buf(), rows, averages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "model,method,dropout,task,metric,score,invalid_labels\n\
        t5-small-lm-adapt,superpos,off,CB,f1,80.5,0\n\
        t5-small-lm-adapt,superpos,off,CB,accuracy,85.7,0\n\
        t5-small-lm-adapt,superpos,off,COPA,accuracy,0.0,1\n\
        t5-small-lm-adapt,superpos,off,Avg,mean,55.4,0\n";

    #[test]
    fn score_csv_rows_use_record_names() {
        let file = ScoreFile::parse(Path::new("scores.csv"), SAMPLE).unwrap();
        assert_eq!(file.rows.len(), 3);
        let first = &file.rows[0];
        assert_eq!(first.family, "t5");
        assert_eq!(first.method, "superpos_prompt_tuning");
        assert_eq!(first.task, "cb");
        assert_eq!(first.metric, "macro_f1");
        assert!(!first.dropout);
        assert_eq!(first.score, 80.5);
        assert!(file.rows[2].never_valid);
        assert_eq!(file.averages.len(), 1);
        assert_eq!(file.averages[0].score, 55.4);
    }

    #[test]
    fn score_csv_bad_value_names_line_and_column() {
        let text = "model,method,dropout,task,metric,score\nt5-small-lm-adapt,superpos,maybe,CB,f1,80.5\n";
        let err = ScoreFile::parse(Path::new("scores.csv"), text).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("scores.csv:2"), "{message}");
        assert!(message.contains("`dropout`"), "{message}");
        assert!(message.contains("`maybe`"), "{message}");
    }

    #[test]
    fn score_csv_missing_column_is_named() {
        let err = ScoreFile::parse(Path::new("scores.csv"), "model,method,task,metric,score\n").unwrap_err();
        assert!(matches!(err, ReportError::MissingColumn { ref column, .. } if column == "dropout"), "{err}");
    }

    #[test]
    fn score_csv_duplicate_is_rejected() {
        let text = "model,method,dropout,task,metric,score\nt5-small-lm-adapt,superpos,on,RTE,accuracy,70\nt5-small-lm-adapt,superpos,on,RTE,accuracy,71\n";
        let err = ScoreFile::parse(Path::new("scores.csv"), text).unwrap_err();
        assert!(matches!(err, ReportError::DuplicateScore { line: 3, .. }), "{err}");
    }

    #[test]
    fn score_csv_unknown_family_is_rejected() {
        let text = "model,method,dropout,task,metric,score\ngpt2,superpos,on,RTE,accuracy,70\n";
        let err = ScoreFile::parse(Path::new("scores.csv"), text).unwrap_err();
        assert!(err.to_string().contains("family"), "{err}");
    }
}
