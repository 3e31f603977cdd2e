//! GLUE in its official release layout: tab-separated files under `glue/<Task>/`, as the GLUE
//! download script writes them.
//!
//! Rows are split on tabs with no quote handling, because fields contain unbalanced literal `"`
//! (MRPC's first dev row, for example) that a CSV reader would join across lines. MRPC train is rebuilt the way the
//! download script builds it: `msr_paraphrase_train.txt` minus the pairs listed in
//! `dev_ids.tsv`, which gives 3,668 rows (the distributed `train.tsv` lacks one).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{DatasetError, Result};
use crate::example::{Example, Label, SourceIndex};
use crate::jsonl;
use crate::task::{Split, Task};
use crate::text_file::{numbered_lines, read_to_string};

/// The encoding of a label column.
#[derive(Clone, Copy)]
enum LabelEncoding {
    /// The class index as a digit (CoLA, SST-2, MRPC, QQP, WNLI).
    Index,
    /// The class name (MNLI, QNLI, RTE).
    Name,
    /// A decimal score (STS-B).
    Score,
}

/// Column names of CoLA's train and dev files, which have no header line.
const COLA_COLUMNS: &[&str] = &["source", "label", "original_label", "sentence"];

/// How to read one GLUE file.
struct TsvSpec {
    file: &'static str,
    /// `None` when the first line is a header, else the fixed column names.
    fixed_columns: Option<&'static [&'static str]>,
    /// `(canonical field, column)` pairs.
    text: &'static [(&'static str, &'static str)],
    label: Option<(&'static str, LabelEncoding)>,
}

const MRPC_TEXT: &[(&str, &str)] = &[("sentence1", "#1 String"), ("sentence2", "#2 String")];
const MNLI_TEXT: &[(&str, &str)] = &[("premise", "sentence1"), ("hypothesis", "sentence2")];
const PAIR_TEXT: &[(&str, &str)] = &[("sentence1", "sentence1"), ("sentence2", "sentence2")];
const MRPC_LABEL: Option<(&str, LabelEncoding)> = Some(("Quality", LabelEncoding::Index));

/// Lists the files that can contain a split, in the order they are tried.
fn specs(task: Task, split: Split) -> Vec<TsvSpec> {
    use LabelEncoding::*;
    let labelled = !matches!(
        split,
        Split::Test | Split::TestMatched | Split::TestMismatched
    );
    let file = match split {
        Split::Train => "train.tsv",
        Split::Validation => "dev.tsv",
        Split::Test => "test.tsv",
        Split::ValidationMatched => "dev_matched.tsv",
        Split::ValidationMismatched => "dev_mismatched.tsv",
        Split::TestMatched => "test_matched.tsv",
        Split::TestMismatched => "test_mismatched.tsv",
    };
    let header = |text, label: Option<(&'static str, LabelEncoding)>| TsvSpec {
        file,
        fixed_columns: None,
        text,
        label: if labelled { label } else { None },
    };
    match task {
        Task::Cola if labelled => vec![TsvSpec {
            file,
            fixed_columns: Some(COLA_COLUMNS),
            text: &[("sentence", "sentence")],
            label: Some(("label", Index)),
        }],
        Task::Cola | Task::Sst2 => {
            vec![header(&[("sentence", "sentence")], Some(("label", Index)))]
        }
        Task::Mrpc if split == Split::Test => vec![
            // The MSR corpus file carries the public test labels; GLUE's test.tsv does not.
            TsvSpec {
                file: "msr_paraphrase_test.txt",
                fixed_columns: None,
                text: MRPC_TEXT,
                label: MRPC_LABEL,
            },
            header(MRPC_TEXT, None),
        ],
        Task::Mrpc => vec![header(MRPC_TEXT, MRPC_LABEL)],
        Task::Stsb => vec![header(PAIR_TEXT, Some(("score", Score)))],
        Task::Qqp => vec![header(
            &[("question1", "question1"), ("question2", "question2")],
            Some(("is_duplicate", Index)),
        )],
        Task::Mnli => vec![header(MNLI_TEXT, Some(("gold_label", Name)))],
        Task::Qnli => vec![header(
            &[("question", "question"), ("sentence", "sentence")],
            Some(("label", Name)),
        )],
        Task::GlueRte => vec![header(PAIR_TEXT, Some(("label", Name)))],
        Task::Wnli => vec![header(PAIR_TEXT, Some(("label", Index)))],
        Task::Ax => vec![TsvSpec {
            file: "diagnostic.tsv",
            fixed_columns: None,
            text: MNLI_TEXT,
            label: None,
        }],
        _ => Vec::new(),
    }
}

/// MNLI validation matched as the `converted_generative-nli` copy stores it: JSON lines with
/// `premise`, `hypothesis` and a label name, used when `dev_matched.tsv` is absent.
const MNLI_CONVERTED_DEV: &str = "converted_generative-nli/dev.jsonl";

/// Returns every file the split could be read from, for a "not found" message.
pub(crate) fn candidate_paths(task_dir: &Path, task: Task, split: Split) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if task == Task::Mrpc && split == Split::Train {
        paths.push(task_dir.join("msr_paraphrase_train.txt"));
    }
    paths.extend(specs(task, split).iter().map(|s| task_dir.join(s.file)));
    if task == Task::Mnli && split == Split::ValidationMatched {
        paths.push(task_dir.join(MNLI_CONVERTED_DEV));
    }
    paths
}

/// Loads a split from `glue/<Task>/`, or returns `None` when none of its files exists.
pub(crate) fn load(
    task_dir: &Path,
    task: Task,
    split: Split,
) -> Result<Option<(String, Vec<Example>)>> {
    if task == Task::Mrpc && split == Split::Train {
        if let Some(loaded) = load_mrpc_train(task_dir)? {
            return Ok(Some(loaded));
        }
        // Without a train.tsv there is nothing to fall back to, and nothing to warn about.
        if task_dir.join("train.tsv").is_file() {
            tracing::warn!(
                dir = %task_dir.display(),
                "msr_paraphrase_train.txt or dev_ids.tsv not found; reading MRPC train.tsv, which lacks one row"
            );
        }
    }
    for spec in specs(task, split) {
        let path = task_dir.join(spec.file);
        if path.is_file() {
            let text = read_to_string(&path)?;
            let display = path.display().to_string();
            let examples = parse_tsv(task, &spec, &text, &display)?;
            return Ok(Some((display, examples)));
        }
    }
    if task == Task::Mnli && split == Split::ValidationMatched {
        let path = task_dir.join(MNLI_CONVERTED_DEV);
        if path.is_file() {
            let text = read_to_string(&path)?;
            let display = path.display().to_string();
            let examples = parse_mnli_converted(&text, &display)?;
            return Ok(Some((display, examples)));
        }
    }
    Ok(None)
}

/// A row's 1-based line number and its tab-separated fields.
type TsvRow<'t> = (usize, Vec<&'t str>);

/// Splits a TSV file into its column names and rows, checking every row's column count.
fn split_rows<'t>(
    text: &'t str,
    path: &str,
    fixed_columns: Option<&[&str]>,
) -> Result<(Vec<String>, Vec<TsvRow<'t>>)> {
    let mut lines = numbered_lines(text);
    let columns: Vec<String> = match fixed_columns {
        Some(columns) => columns.iter().map(|c| c.to_string()).collect(),
        None => match lines.next() {
            Some((_, header)) => header.split('\t').map(str::to_string).collect(),
            None => {
                return Err(DatasetError::MissingField {
                    path: path.to_string(),
                    line: 1,
                    field: "header".to_string(),
                })
            }
        },
    };
    let mut rows = Vec::new();
    for (line, content) in lines {
        let fields: Vec<&str> = content.split('\t').collect();
        if fields.len() < columns.len() {
            return Err(DatasetError::MissingField {
                path: path.to_string(),
                line,
                field: columns[fields.len()].clone(),
            });
        }
        if fields.len() > columns.len() {
            return Err(DatasetError::TooManyColumns {
                path: path.to_string(),
                line,
                field: columns.last().cloned().unwrap_or_default(),
                expected: columns.len(),
                found: fields.len(),
            });
        }
        rows.push((line, fields));
    }
    Ok((columns, rows))
}

fn column_index(columns: &[String], name: &str, path: &str) -> Result<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| DatasetError::MissingColumn {
            path: path.to_string(),
            column: name.to_string(),
        })
}

fn parse_tsv(task: Task, spec: &TsvSpec, text: &str, path: &str) -> Result<Vec<Example>> {
    let (columns, rows) = split_rows(text, path, spec.fixed_columns)?;
    let text_columns = spec
        .text
        .iter()
        .map(|(field, column)| Ok((*field, column_index(&columns, column, path)?)))
        .collect::<Result<Vec<_>>>()?;
    let label_column = match spec.label {
        Some((column, encoding)) => Some((column, column_index(&columns, column, path)?, encoding)),
        None => None,
    };
    // GLUE's test files number their rows in an `index` column, which submissions refer to.
    let index_column = columns.iter().position(|c| c == "index");

    let mut examples = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        let label = match label_column {
            Some((column, index, encoding)) => Some(parse_label(
                task,
                encoding,
                fields[index],
                path,
                line,
                column,
            )?),
            None => None,
        };
        examples.push(Example {
            line,
            fields: text_columns
                .iter()
                .map(|(field, index)| (*field, fields[*index].to_string()))
                .collect(),
            label,
            group: None,
            idx: index_column
                .and_then(|column| fields[column].trim().parse().ok())
                .map(SourceIndex::Row),
        });
    }
    Ok(examples)
}

fn parse_label(
    task: Task,
    encoding: LabelEncoding,
    value: &str,
    path: &str,
    line: usize,
    column: &str,
) -> Result<Label> {
    let invalid = |expected: String| DatasetError::InvalidField {
        path: path.to_string(),
        line,
        field: column.to_string(),
        value: value.to_string(),
        expected,
    };
    let classes = task.class_names().unwrap_or(&[]);
    match encoding {
        LabelEncoding::Index => match value.parse::<u32>() {
            Ok(class) if (class as usize) < classes.len() => Ok(Label::Class(class)),
            _ => Err(invalid(format!("a class index below {}", classes.len()))),
        },
        LabelEncoding::Name => task
            .class_index(value)
            .map(Label::Class)
            .ok_or_else(|| invalid(format!("one of {}", classes.join(", ")))),
        LabelEncoding::Score => match value.parse::<f64>() {
            Ok(score) if (0.0..=5.0).contains(&score) => Ok(Label::Score(score)),
            _ => Err(invalid("a score from 0 to 5".to_string())),
        },
    }
}

/// Rebuilds MRPC train from the MSR corpus file, or returns `None` when either file is absent.
fn load_mrpc_train(task_dir: &Path) -> Result<Option<(String, Vec<Example>)>> {
    let corpus_path = task_dir.join("msr_paraphrase_train.txt");
    let ids_path = task_dir.join("dev_ids.tsv");
    if !corpus_path.is_file() || !ids_path.is_file() {
        return Ok(None);
    }

    let ids_display = ids_path.display().to_string();
    let ids_text = read_to_string(&ids_path)?;
    let (_, id_rows) = split_rows(&ids_text, &ids_display, Some(&["#1 ID", "#2 ID"]))?;
    let dev_pairs: HashSet<(&str, &str)> = id_rows.iter().map(|(_, f)| (f[0], f[1])).collect();

    let corpus_display = corpus_path.display().to_string();
    let corpus_text = read_to_string(&corpus_path)?;
    let (columns, rows) = split_rows(&corpus_text, &corpus_display, None)?;
    let first_id = column_index(&columns, "#1 ID", &corpus_display)?;
    let second_id = column_index(&columns, "#2 ID", &corpus_display)?;
    let dev_lines: HashSet<usize> = rows
        .iter()
        .filter(|(_, f)| dev_pairs.contains(&(f[first_id], f[second_id])))
        .map(|(line, _)| *line)
        .collect();

    let spec = TsvSpec {
        file: "msr_paraphrase_train.txt",
        fixed_columns: None,
        text: MRPC_TEXT,
        label: MRPC_LABEL,
    };
    let mut examples = parse_tsv(Task::Mrpc, &spec, &corpus_text, &corpus_display)?;
    examples.retain(|e| !dev_lines.contains(&e.line));

    let source = format!("{corpus_display} minus the pairs in {ids_display}");
    Ok(Some((source, examples)))
}

fn parse_mnli_converted(text: &str, path: &str) -> Result<Vec<Example>> {
    let mut examples = Vec::new();
    for row in jsonl::parse_lines(text, path)? {
        let label_value = row.get("label")?;
        let class = match label_value {
            Value::String(name) => Task::Mnli.class_index(name),
            _ => None,
        }
        .ok_or_else(|| row.invalid("label", label_value, "entailment, neutral or contradiction"))?;
        examples.push(Example {
            line: row.line,
            fields: vec![
                ("premise", row.string("premise")?),
                ("hypothesis", row.string("hypothesis")?),
            ],
            label: Some(Label::Class(class)),
            group: None,
            idx: None,
        });
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cola_spec() -> TsvSpec {
        specs(Task::Cola, Split::Train).remove(0)
    }

    #[test]
    fn quotes_are_literal() {
        let text = "gj04\t1\t\tHe said \"hi.\ngj04\t0\t*\tA \"b\" c.\n";
        let examples = parse_tsv(Task::Cola, &cola_spec(), text, "train.tsv").unwrap();
        assert_eq!(examples.len(), 2);
        assert_eq!(examples[0].field("sentence"), Some("He said \"hi."));
        assert_eq!(examples[1].class(), Some(0));
    }

    #[test]
    fn short_row_names_missing_column() {
        let text = "gj04\t1\t\tFine.\ngj04\t1\n";
        let err = parse_tsv(Task::Cola, &cola_spec(), text, "train.tsv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "train.tsv:2: missing field `original_label`"
        );
    }

    #[test]
    fn extra_tab_is_rejected() {
        let text = "gj04\t1\t\tA\tB\n";
        let err = parse_tsv(Task::Cola, &cola_spec(), text, "train.tsv").unwrap_err();
        assert!(
            matches!(
                err,
                DatasetError::TooManyColumns {
                    line: 1,
                    found: 5,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_label_is_rejected() {
        let text = "gj04\t2\t\tA.\n";
        let err = parse_tsv(Task::Cola, &cola_spec(), text, "train.tsv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "train.tsv:1: invalid value \"2\" in field `label`: expected a class index below 2"
        );
    }

    #[test]
    fn mnli_label_names_map_to_indices() {
        let spec = specs(Task::Mnli, Split::ValidationMismatched).remove(0);
        let text = "index\tsentence1\tsentence2\tgold_label\n0\tP.\tH.\tneutral\n1\tP.\tH.\tcontradiction\n";
        let examples = parse_tsv(Task::Mnli, &spec, text, "dev_mismatched.tsv").unwrap();
        assert_eq!(examples[0].class(), Some(1));
        assert_eq!(examples[1].class(), Some(2));
        assert_eq!(examples[0].fields[0], ("premise", "P.".to_string()));
    }
}
