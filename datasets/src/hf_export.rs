//! Hugging Face `datasets` exports of the `glue` and `super_glue` datasets, written with
//! `Dataset.to_json` (JSON lines) into `hf/<glue|super_glue>/<config>/<split>.jsonl` under a
//! data directory, for example `hf/glue/mnli/validation_matched.jsonl`, or as parquet
//! (`<split>.parquet` or the hub's `<split>-00000-of-00001.parquet`), which
//! [`crate::hf_parquet`] turns into the same rows.
//!
//! The columns are the Hugging Face ones, which are also this crate's canonical field names,
//! and labels are integers (the class index, `-1` for an unlabelled test row), or a float for
//! STS-B. MultiRC answers carry `idx.paragraph` and `idx.question`, which group them into
//! questions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Result;
use crate::example::{Example, Label};
use crate::jsonl::{self, get_in, JsonRow};
use crate::task::{Benchmark, Split, Task};
use crate::superglue;

/// Returns the folder of a task's export under a data directory.
pub(crate) fn config_dir(root: &Path, task: Task) -> PathBuf {
    let benchmark = match task.benchmark() {
        Benchmark::Glue => "glue",
        Benchmark::SuperGlue => "super_glue",
    };
    root.join("hf").join(benchmark).join(task.hf_config())
}

/// Lists the JSON lines files a split may be exported to, in the order they are tried.
pub(crate) fn candidate_paths(root: &Path, task: Task, split: Split) -> Vec<PathBuf> {
    let dir = config_dir(root, task);
    vec![
        dir.join(format!("{split}.jsonl")),
        dir.join(format!("{split}.json")),
    ]
}

/// Finds the parquet files of a split: `<split>.parquet`, or else every hub shard
/// `<split>-NNNNN-of-NNNNN.parquet` in name order (empty when there is neither).
pub(crate) fn find_parquet(root: &Path, task: Task, split: Split) -> Vec<PathBuf> {
    let dir = config_dir(root, task);
    let single = dir.join(format!("{split}.parquet"));
    if single.is_file() {
        return vec![single];
    }
    let prefix = format!("{split}-");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut shards: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            name.starts_with(&prefix) && name.ends_with(".parquet")
        })
        .collect();
    shards.sort();
    shards
}

/// Names the parquet files `find_parquet` looks for, for "not found" messages.
pub(crate) fn parquet_patterns(root: &Path, task: Task, split: Split) -> Vec<PathBuf> {
    let dir = config_dir(root, task);
    vec![
        dir.join(format!("{split}.parquet")),
        dir.join(format!("{split}-*.parquet")),
    ]
}

/// Parses an export. `path` is only used in error messages.
pub(crate) fn parse(task: Task, text: &str, path: &str) -> Result<Vec<Example>> {
    let rows = jsonl::parse_lines(text, path)?;
    let mut groups: HashMap<(String, String), usize> = HashMap::new();
    let mut examples = Vec::with_capacity(rows.len());
    for row in &rows {
        let fields = task
            .text_fields()
            .iter()
            .map(|field| Ok((*field, text_field(row, field)?)))
            .collect::<Result<Vec<_>>>()?;
        let group = if task == Task::Multirc {
            let idx = match row.get("idx")? {
                Value::Object(idx) => idx,
                other => {
                    return Err(row.invalid("idx", other, "an object with paragraph and question"))
                }
            };
            let key = (
                get_in(idx, "paragraph", row.path, row.line)?.to_string(),
                get_in(idx, "question", row.path, row.line)?.to_string(),
            );
            let next = groups.len();
            Some(*groups.entry(key).or_insert(next))
        } else {
            None
        };
        let idx = match row.object.get("idx") {
            Some(Value::Object(idx)) => superglue::answer_index(idx.get("paragraph"), idx.get("question"), idx.get("answer")),
            other => superglue::row_index(other),
        };
        examples.push(Example {
            line: row.line,
            fields,
            label: label(task, row)?,
            group,
            idx,
        });
    }
    Ok(examples)
}

/// Reads a text column; ReCoRD's `entities` list is joined with ", ".
fn text_field(row: &JsonRow<'_>, field: &str) -> Result<String> {
    match row.get(field)? {
        Value::Array(items) if field == "entities" => {
            let texts = items
                .iter()
                .map(|item| jsonl::as_string(item, field, row.path, row.line))
                .collect::<Result<Vec<_>>>()?;
            Ok(texts.join(", "))
        }
        _ => row.string(field),
    }
}

fn label(task: Task, row: &JsonRow<'_>) -> Result<Option<Label>> {
    if task == Task::Record {
        return match row.get("answers")? {
            Value::Array(answers) if answers.is_empty() => Ok(None),
            Value::Array(answers) => {
                let texts = answers
                    .iter()
                    .map(|a| jsonl::as_string(a, "answers", row.path, row.line))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Some(Label::Answers(texts)))
            }
            other => Err(row.invalid("answers", other, "an array of strings")),
        };
    }

    let value = row.get("label")?;
    if task == Task::Stsb {
        return match value.as_f64() {
            Some(-1.0) => Ok(None),
            Some(score) if (0.0..=5.0).contains(&score) => Ok(Some(Label::Score(score))),
            _ => Err(row.invalid("label", value, "a score from 0 to 5, or -1 for unlabelled")),
        };
    }
    let classes = task.class_names().map_or(0, <[_]>::len);
    match value.as_i64() {
        Some(-1) => Ok(None),
        Some(class) if (0..classes as i64).contains(&class) => Ok(Some(Label::Class(class as u32))),
        _ => Err(row.invalid(
            "label",
            value,
            &format!("an integer class index below {classes}, or -1 for unlabelled"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_labels_and_unlabelled_rows() {
        let text = "{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":2,\"idx\":0}\n{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":-1,\"idx\":1}\n";
        let examples = parse(Task::Mnli, text, "mnli/test_matched.jsonl").unwrap();
        assert_eq!(examples[0].class(), Some(2));
        assert_eq!(examples[1].label, None);
    }

    #[test]
    fn string_label_is_rejected() {
        let text = "{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":\"neutral\",\"idx\":0}";
        let err = parse(Task::Cb, text, "cb/train.jsonl").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cb/train.jsonl:1: invalid value \"\\\"neutral\\\"\" in field `label`"
            ),
            "{err}"
        );
    }

    #[test]
    fn multirc_groups_follow_idx() {
        let row = |p: u32, q: u32, a: u32| {
            format!("{{\"paragraph\":\"P\",\"question\":\"Q\",\"answer\":\"A\",\"idx\":{{\"paragraph\":{p},\"question\":{q},\"answer\":{a}}},\"label\":1}}\n")
        };
        let text = [row(0, 0, 0), row(0, 0, 1), row(0, 1, 2), row(1, 0, 0)].concat();
        let examples = parse(Task::Multirc, &text, "multirc/train.jsonl").unwrap();
        let groups: Vec<_> = examples.iter().map(|e| e.group.unwrap()).collect();
        assert_eq!(groups, vec![0, 0, 1, 2]);
    }

    #[test]
    fn stsb_float_label() {
        let text = "{\"sentence1\":\"a\",\"sentence2\":\"b\",\"label\":3.8,\"idx\":0}";
        let examples = parse(Task::Stsb, text, "stsb/train.jsonl").unwrap();
        assert_eq!(examples[0].score(), Some(3.8));
    }
}
