//! Submission files for the GLUE and SuperGLUE leaderboards from test-set predictions.
//!
//! File names and formats are those the benchmark servers accept (gluebenchmark.com and
//! super.gluebenchmark.com), as jiant's submission writer also produces them. GLUE takes one TSV
//! per task (`CoLA.tsv`, `MNLI-m.tsv`, ...) with an `index\tprediction` header. SuperGLUE takes
//! one JSON line per example (`CB.jsonl`, ...) as `{"idx": .., "label": ..}`, and MultiRC nests
//! its answer options by paragraph and question.
//!
//! Class indices follow the Hugging Face `glue`/`super_glue` integer labels, the order the
//! harness trains with; each writer maps them to the label the server expects.
//!
//! [`crate::predictions`] feeds these writers from the predictions stored with cell records.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::error::{ReportError, Result};

/// A GLUE submission file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlueTask {
    Cola,
    Sst2,
    Mrpc,
    Stsb,
    Qqp,
    /// MNLI test matched.
    MnliMatched,
    /// MNLI test mismatched.
    MnliMismatched,
    Qnli,
    Rte,
    Wnli,
    /// The diagnostic set, predicted with an MNLI model.
    Ax,
}

const NLI_THREE_WAY: &[&str] = &["entailment", "neutral", "contradiction"];
const NLI_TWO_WAY: &[&str] = &["entailment", "not_entailment"];

impl GlueTask {
    pub fn file_name(self) -> &'static str {
        match self {
            GlueTask::Cola => "CoLA.tsv",
            GlueTask::Sst2 => "SST-2.tsv",
            GlueTask::Mrpc => "MRPC.tsv",
            GlueTask::Stsb => "STS-B.tsv",
            GlueTask::Qqp => "QQP.tsv",
            GlueTask::MnliMatched => "MNLI-m.tsv",
            GlueTask::MnliMismatched => "MNLI-mm.tsv",
            GlueTask::Qnli => "QNLI.tsv",
            GlueTask::Rte => "RTE.tsv",
            GlueTask::Wnli => "WNLI.tsv",
            GlueTask::Ax => "AX.tsv",
        }
    }

    /// Label words the server expects, by class index; `None` where it expects the index itself
    /// (CoLA, SST-2, MRPC, QQP, WNLI) or a score (STS-B).
    fn label_words(self) -> Option<&'static [&'static str]> {
        match self {
            GlueTask::MnliMatched | GlueTask::MnliMismatched | GlueTask::Ax => Some(NLI_THREE_WAY),
            GlueTask::Qnli | GlueTask::Rte => Some(NLI_TWO_WAY),
            _ => None,
        }
    }

    fn classes(self) -> usize {
        match self {
            GlueTask::MnliMatched | GlueTask::MnliMismatched | GlueTask::Ax => 3,
            GlueTask::Stsb => 0,
            _ => 2,
        }
    }
}

/// One GLUE test prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GluePrediction {
    /// A class index (Hugging Face order).
    Class(usize),
    /// An STS-B similarity score, 0 to 5.
    Score(f64),
}

/// Renders a GLUE TSV from (test index, prediction) pairs, sorted by index.
pub fn glue_tsv(task: GlueTask, predictions: &[(usize, GluePrediction)]) -> Result<String> {
    let name = task.file_name();
    let mut sorted: Vec<&(usize, GluePrediction)> = predictions.iter().collect();
    sorted.sort_by_key(|(index, _)| *index);
    let mut out = String::from("index\tprediction\n");
    for (index, prediction) in sorted {
        let text = match (task, prediction) {
            (GlueTask::Stsb, GluePrediction::Score(score)) => {
                if !score.is_finite() {
                    return Err(prediction_error(name, *index, format!("score {score} is not a finite number")));
                }
                // The server scores 0..5; a regression head or decoded text can land outside it.
                format!("{:.3}", score.clamp(0.0, 5.0))
            }
            (GlueTask::Stsb, GluePrediction::Class(_)) => return Err(prediction_error(name, *index, "STS-B takes a score, not a class".to_string())),
            (_, GluePrediction::Score(_)) => return Err(prediction_error(name, *index, "this task takes a class, not a score".to_string())),
            (_, GluePrediction::Class(class)) => {
                if *class >= task.classes() {
                    return Err(prediction_error(name, *index, format!("class {class} is out of range for {} classes", task.classes())));
                }
                match task.label_words() {
                    Some(words) => words[*class].to_string(),
                    None => class.to_string(),
                }
            }
        };
        out.push_str(&format!("{index}\t{text}\n"));
    }
    Ok(out)
}

/// Writes a GLUE TSV into `dir` under the benchmark's file name and returns its path.
pub fn write_glue(dir: &Path, task: GlueTask, predictions: &[(usize, GluePrediction)]) -> Result<PathBuf> {
    let text = glue_tsv(task, predictions)?;
    write(dir, task.file_name(), &text)
}

/// A SuperGLUE submission file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperGlueTask {
    Boolq,
    Cb,
    Copa,
    Multirc,
    Record,
    Rte,
    Wic,
    Wsc,
    /// The broad-coverage diagnostic, predicted with an RTE model.
    AxB,
    /// The Winogender diagnostic, predicted with an RTE model.
    AxG,
}

impl SuperGlueTask {
    pub fn file_name(self) -> &'static str {
        match self {
            SuperGlueTask::Boolq => "BoolQ.jsonl",
            SuperGlueTask::Cb => "CB.jsonl",
            SuperGlueTask::Copa => "COPA.jsonl",
            SuperGlueTask::Multirc => "MultiRC.jsonl",
            SuperGlueTask::Record => "ReCoRD.jsonl",
            SuperGlueTask::Rte => "RTE.jsonl",
            SuperGlueTask::Wic => "WiC.jsonl",
            SuperGlueTask::Wsc => "WSC.jsonl",
            SuperGlueTask::AxB => "AX-b.jsonl",
            SuperGlueTask::AxG => "AX-g.jsonl",
        }
    }

    /// Returns the JSON label of a class index, or `None` when it is out of range.
    fn label(self, class: usize) -> Option<serde_json::Value> {
        let words: &[&str] = match self {
            SuperGlueTask::Boolq | SuperGlueTask::Wic => &["false", "true"],
            SuperGlueTask::Cb => &["entailment", "contradiction", "neutral"],
            SuperGlueTask::Rte | SuperGlueTask::AxB | SuperGlueTask::AxG => NLI_TWO_WAY,
            // NOTE: WSC labels are written as Python prints booleans, as jiant's writer does; the
            // server's parser has not been checked against another spelling.
            SuperGlueTask::Wsc => &["False", "True"],
            // COPA's label is the index of the chosen alternative, a number.
            SuperGlueTask::Copa => return (class < 2).then(|| json!(class)),
            SuperGlueTask::Multirc | SuperGlueTask::Record => return None,
        };
        words.get(class).map(|w| json!(w))
    }
}

/// One SuperGLUE test prediction.
#[derive(Debug, Clone, PartialEq)]
pub enum SuperGluePrediction {
    /// A class index (Hugging Face order) for the example `idx`.
    Class { idx: usize, class: usize },
    /// MultiRC: whether answer option `answer` of question `question` of paragraph `paragraph` is
    /// true (class 1) or false (class 0).
    Answer { paragraph: usize, question: usize, answer: usize, class: usize },
    /// ReCoRD: the entity chosen for query `idx`.
    Entity { idx: usize, entity: String },
}

/// Renders a SuperGLUE JSON-lines file, sorted by example index.
pub fn superglue_jsonl(task: SuperGlueTask, predictions: &[SuperGluePrediction]) -> Result<String> {
    let name = task.file_name();
    let lines: Vec<String> = match task {
        SuperGlueTask::Multirc => multirc_lines(name, predictions)?,
        SuperGlueTask::Record => {
            let mut entities = Vec::new();
            for (position, prediction) in predictions.iter().enumerate() {
                match prediction {
                    SuperGluePrediction::Entity { idx, entity } => entities.push((*idx, entity.clone())),
                    _ => return Err(prediction_error(name, position, "ReCoRD takes an entity".to_string())),
                }
            }
            entities.sort_by_key(|(idx, _)| *idx);
            entities.into_iter().map(|(idx, entity)| to_json(&LabelLine { idx, label: json!(entity) })).collect()
        }
        _ => {
            let mut classes = Vec::new();
            for (position, prediction) in predictions.iter().enumerate() {
                let SuperGluePrediction::Class { idx, class } = prediction else {
                    return Err(prediction_error(name, position, "this task takes a class per example".to_string()));
                };
                let label = task.label(*class).ok_or_else(|| prediction_error(name, *idx, format!("class {class} is out of range")))?;
                classes.push((*idx, label));
            }
            classes.sort_by_key(|(idx, _)| *idx);
            classes.into_iter().map(|(idx, label)| to_json(&LabelLine { idx, label })).collect()
        }
    };
    let mut out = String::new();
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Nests MultiRC predictions as `{"idx": p, "passage": {"questions": [{"idx": q, "answers": [{"idx":
/// a, "label": 0|1}]}]}}`, one line per paragraph, everything sorted by index.
fn multirc_lines(name: &str, predictions: &[SuperGluePrediction]) -> Result<Vec<String>> {
    let mut answers = Vec::new();
    for (position, prediction) in predictions.iter().enumerate() {
        match prediction {
            SuperGluePrediction::Answer { paragraph, question, answer, class } if *class < 2 => answers.push((*paragraph, *question, *answer, *class)),
            SuperGluePrediction::Answer { class, .. } => return Err(prediction_error(name, position, format!("class {class} is out of range for true/false"))),
            _ => return Err(prediction_error(name, position, "MultiRC takes one prediction per answer option".to_string())),
        }
    }
    answers.sort();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < answers.len() {
        let paragraph = answers[start].0;
        let end = start + answers[start..].iter().take_while(|a| a.0 == paragraph).count();
        let mut questions = Vec::new();
        let mut q_start = start;
        while q_start < end {
            let question = answers[q_start].1;
            let q_end = q_start + answers[q_start..end].iter().take_while(|a| a.1 == question).count();
            let options = answers[q_start..q_end].iter().map(|a| LabelLine { idx: a.2, label: json!(a.3) }).collect();
            questions.push(MultircQuestion { idx: question, answers: options });
            q_start = q_end;
        }
        lines.push(to_json(&MultircLine { idx: paragraph, passage: MultircPassage { questions } }));
        start = end;
    }
    Ok(lines)
}

/// One JSON line `{"idx": .., "label": ..}`; structs keep `idx` first whatever serde_json's map order.
#[derive(Serialize)]
struct LabelLine {
    idx: usize,
    label: serde_json::Value,
}

#[derive(Serialize)]
struct MultircLine {
    idx: usize,
    passage: MultircPassage,
}

#[derive(Serialize)]
struct MultircPassage {
    questions: Vec<MultircQuestion>,
}

#[derive(Serialize)]
struct MultircQuestion {
    idx: usize,
    answers: Vec<LabelLine>,
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("submission lines contain only numbers and strings")
}

/// Writes a SuperGLUE JSON-lines file into `dir` under the benchmark's file name and returns its path.
pub fn write_superglue(dir: &Path, task: SuperGlueTask, predictions: &[SuperGluePrediction]) -> Result<PathBuf> {
    let text = superglue_jsonl(task, predictions)?;
    write(dir, task.file_name(), &text)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|source| ReportError::Write { path: path.clone(), source })?;
    Ok(path)
}

fn prediction_error(file: &str, index: usize, reason: String) -> ReportError {
    ReportError::Prediction { task: file.to_string(), index, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_labels_by_task() {
        let mnli = glue_tsv(GlueTask::MnliMatched, &[(1, GluePrediction::Class(2)), (0, GluePrediction::Class(0))]).unwrap();
        assert_eq!(mnli, "index\tprediction\n0\tentailment\n1\tcontradiction\n");
        let cola = glue_tsv(GlueTask::Cola, &[(0, GluePrediction::Class(1))]).unwrap();
        assert_eq!(cola, "index\tprediction\n0\t1\n");
        let stsb = glue_tsv(GlueTask::Stsb, &[(0, GluePrediction::Score(3.14159)), (1, GluePrediction::Score(5.7))]).unwrap();
        assert_eq!(stsb, "index\tprediction\n0\t3.142\n1\t5.000\n");
    }

    #[test]
    fn glue_rejects_out_of_range_class() {
        let err = glue_tsv(GlueTask::Rte, &[(7, GluePrediction::Class(2))]).unwrap_err();
        assert!(matches!(err, ReportError::Prediction { index: 7, .. }), "{err}");
    }

    #[test]
    fn superglue_classes_become_labels() {
        let cb = superglue_jsonl(SuperGlueTask::Cb, &[SuperGluePrediction::Class { idx: 1, class: 2 }, SuperGluePrediction::Class { idx: 0, class: 1 }]).unwrap();
        assert_eq!(cb, "{\"idx\":0,\"label\":\"contradiction\"}\n{\"idx\":1,\"label\":\"neutral\"}\n");
        let copa = superglue_jsonl(SuperGlueTask::Copa, &[SuperGluePrediction::Class { idx: 0, class: 1 }]).unwrap();
        assert_eq!(copa, "{\"idx\":0,\"label\":1}\n");
        let boolq = superglue_jsonl(SuperGlueTask::Boolq, &[SuperGluePrediction::Class { idx: 0, class: 1 }]).unwrap();
        assert_eq!(boolq, "{\"idx\":0,\"label\":\"true\"}\n");
    }

    #[test]
    fn multirc_answers_nest_by_paragraph_and_question() {
        let predictions = [
            SuperGluePrediction::Answer { paragraph: 0, question: 1, answer: 3, class: 1 },
            SuperGluePrediction::Answer { paragraph: 0, question: 0, answer: 1, class: 0 },
            SuperGluePrediction::Answer { paragraph: 0, question: 0, answer: 0, class: 1 },
            SuperGluePrediction::Answer { paragraph: 1, question: 2, answer: 4, class: 0 },
        ];
        let text = superglue_jsonl(SuperGlueTask::Multirc, &predictions).unwrap();
        let expected = concat!(
            "{\"idx\":0,\"passage\":{\"questions\":[{\"idx\":0,\"answers\":[{\"idx\":0,\"label\":1},{\"idx\":1,\"label\":0}]},{\"idx\":1,\"answers\":[{\"idx\":3,\"label\":1}]}]}}\n",
            "{\"idx\":1,\"passage\":{\"questions\":[{\"idx\":2,\"answers\":[{\"idx\":4,\"label\":0}]}]}}\n",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn files_get_benchmark_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_glue(dir.path(), GlueTask::Sst2, &[(0, GluePrediction::Class(0))]).unwrap();
        assert_eq!(path.file_name().unwrap(), "SST-2.tsv");
        let path = write_superglue(dir.path(), SuperGlueTask::AxB, &[SuperGluePrediction::Class { idx: 0, class: 0 }]).unwrap();
        assert_eq!(path.file_name().unwrap(), "AX-b.jsonl");
        assert_eq!(std::fs::read_to_string(path).unwrap(), "{\"idx\":0,\"label\":\"entailment\"}\n");
    }
}
