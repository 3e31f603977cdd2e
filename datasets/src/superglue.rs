//! SuperGLUE in its official release layout: JSON lines under `superglue/<Task>/` named
//! `train.jsonl`, `val.jsonl`, `test.jsonl` (`AX-b.jsonl`, `AX-g.jsonl` for the diagnostics), as
//! the SuperGLUE release zips (v1.0.2/v1.0.3) unpack.
//!
//! Labels: BoolQ, WiC and WSC are JSON booleans, CB, RTE and the diagnostics strings, COPA and
//! MultiRC integers. MultiRC nests `passage.questions[].answers[]` and becomes one example per
//! answer option; ReCoRD nests `qas[]` and becomes one example per query.

use serde_json::{Map, Value};

use crate::error::{DatasetError, Result};
use crate::example::{Example, Label, SourceIndex};
use crate::jsonl::{self, as_string, get_in, JsonRow};
use crate::task::{Split, Task};

/// Returns the release file name of a split.
pub(crate) fn file_name(task: Task, split: Split) -> Option<&'static str> {
    match (task, split) {
        (Task::AxB, Split::Test) => Some("AX-b.jsonl"),
        (Task::AxG, Split::Test) => Some("AX-g.jsonl"),
        (Task::AxB | Task::AxG, _) => None,
        (_, Split::Train) => Some("train.jsonl"),
        (_, Split::Validation) => Some("val.jsonl"),
        (_, Split::Test) => Some("test.jsonl"),
        _ => None,
    }
}

/// Parses a SuperGLUE file. `path` is only used in error messages.
pub(crate) fn parse(task: Task, split: Split, text: &str, path: &str) -> Result<Vec<Example>> {
    let labelled = task.official_split_labelled(split);
    let rows = jsonl::parse_lines(text, path)?;
    match task {
        Task::Multirc => parse_multirc(rows, labelled),
        Task::Record => parse_record(rows, labelled),
        _ => rows
            .iter()
            .map(|row| parse_flat(task, row, labelled))
            .collect(),
    }
}

/// Lists the `(canonical field, JSON key)` pairs of the tasks with one example per line.
fn flat_fields(task: Task) -> &'static [(&'static str, &'static str)] {
    match task {
        Task::Boolq => &[("question", "question"), ("passage", "passage")],
        Task::Cb | Task::Rte | Task::AxG => &[("premise", "premise"), ("hypothesis", "hypothesis")],
        Task::Copa => &[
            ("premise", "premise"),
            ("choice1", "choice1"),
            ("choice2", "choice2"),
            ("question", "question"),
        ],
        Task::Wic => &[
            ("word", "word"),
            ("sentence1", "sentence1"),
            ("sentence2", "sentence2"),
        ],
        Task::AxB => &[("sentence1", "sentence1"), ("sentence2", "sentence2")],
        _ => &[],
    }
}

fn parse_flat(task: Task, row: &JsonRow<'_>, labelled: bool) -> Result<Example> {
    let fields = if task == Task::Wsc {
        wsc_fields(row)?
    } else {
        flat_fields(task)
            .iter()
            .map(|(field, key)| Ok((*field, row.string(key)?)))
            .collect::<Result<Vec<_>>>()?
    };
    let label = if labelled || row.has("label") {
        Some(Label::Class(class_label(task, row.get("label")?, row)?))
    } else {
        None
    };
    Ok(Example {
        line: row.line,
        fields,
        label,
        group: None,
        idx: row_index(row.object.get("idx")),
    })
}

/// WSC keeps its spans in a nested `target` object.
fn wsc_fields(row: &JsonRow<'_>) -> Result<Vec<(&'static str, String)>> {
    let target = match row.get("target")? {
        Value::Object(target) => target,
        other => return Err(row.invalid("target", other, "an object")),
    };
    let mut fields = vec![("text", row.string("text")?)];
    for key in ["span1_index", "span2_index", "span1_text", "span2_text"] {
        let value = get_in(target, key, row.path, row.line)?;
        fields.push((key, as_string(value, key, row.path, row.line)?));
    }
    Ok(fields)
}

/// Converts a label as the release writes it to a class index.
fn class_label(task: Task, value: &Value, row: &JsonRow<'_>) -> Result<u32> {
    let classes = task.class_names().unwrap_or(&[]);
    let class = match value {
        Value::Bool(b) => classes.len().eq(&2).then_some(u32::from(*b)),
        Value::String(name) => task.class_index(name),
        Value::Number(n) => n
            .as_u64()
            .filter(|&i| (i as usize) < classes.len())
            .map(|i| i as u32),
        _ => None,
    };
    class.ok_or_else(|| row.invalid("label", value, &format!("one of {}", classes.join(", "))))
}

fn object_field<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    row: &JsonRow<'_>,
) -> Result<&'v Map<String, Value>> {
    match get_in(object, key, row.path, row.line)? {
        Value::Object(inner) => Ok(inner),
        other => Err(row.invalid(key, other, "an object")),
    }
}

fn array_field<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    row: &JsonRow<'_>,
) -> Result<&'v Vec<Value>> {
    match get_in(object, key, row.path, row.line)? {
        Value::Array(items) => Ok(items),
        other => Err(row.invalid(key, other, "an array")),
    }
}

fn object_item<'v>(
    value: &'v Value,
    key: &str,
    row: &JsonRow<'_>,
) -> Result<&'v Map<String, Value>> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(row.invalid(key, other, "an array of objects")),
    }
}

fn parse_multirc(rows: Vec<JsonRow<'_>>, labelled: bool) -> Result<Vec<Example>> {
    let mut examples = Vec::new();
    let mut question_index = 0;
    for row in &rows {
        let passage = object_field(&row.object, "passage", row)?;
        let paragraph = as_string(
            get_in(passage, "text", row.path, row.line)?,
            "passage.text",
            row.path,
            row.line,
        )?;
        for question_value in array_field(passage, "questions", row)? {
            let question = object_item(question_value, "passage.questions", row)?;
            let question_text = as_string(
                get_in(question, "question", row.path, row.line)?,
                "question",
                row.path,
                row.line,
            )?;
            for answer_value in array_field(question, "answers", row)? {
                let answer = object_item(answer_value, "answers", row)?;
                let answer_text = as_string(
                    get_in(answer, "text", row.path, row.line)?,
                    "answers.text",
                    row.path,
                    row.line,
                )?;
                let label = match answer.get("label") {
                    Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v <= 1) => {
                        Some(Label::Class(n.as_u64().unwrap_or_default() as u32))
                    }
                    Some(Value::Bool(b)) => Some(Label::Class(u32::from(*b))),
                    Some(other) if !other.is_null() => {
                        return Err(row.invalid("answers.label", other, "0 or 1"))
                    }
                    _ if labelled => {
                        return Err(DatasetError::MissingField {
                            path: row.path.to_string(),
                            line: row.line,
                            field: "answers.label".to_string(),
                        })
                    }
                    _ => None,
                };
                examples.push(Example {
                    line: row.line,
                    fields: vec![
                        ("paragraph", paragraph.clone()),
                        ("question", question_text.clone()),
                        ("answer", answer_text),
                    ],
                    label,
                    group: Some(question_index),
                    idx: answer_index(row.object.get("idx"), question.get("idx"), answer.get("idx")),
                });
            }
            question_index += 1;
        }
    }
    Ok(examples)
}

/// Cuts `text[start..=end]` by character offsets, as ReCoRD's inclusive entity spans count.
fn char_span(text: &str, start: usize, end: usize) -> Option<String> {
    if end < start {
        return None;
    }
    let span: String = text.chars().skip(start).take(end - start + 1).collect();
    (span.chars().count() == end - start + 1).then_some(span)
}

fn parse_record(rows: Vec<JsonRow<'_>>, labelled: bool) -> Result<Vec<Example>> {
    let mut examples = Vec::new();
    for row in &rows {
        let passage = object_field(&row.object, "passage", row)?;
        let text = as_string(
            get_in(passage, "text", row.path, row.line)?,
            "passage.text",
            row.path,
            row.line,
        )?;
        let mut entities: Vec<String> = Vec::new();
        for entity_value in array_field(passage, "entities", row)? {
            let entity = object_item(entity_value, "passage.entities", row)?;
            let start = get_in(entity, "start", row.path, row.line)?;
            let end = get_in(entity, "end", row.path, row.line)?;
            let span = match (start.as_u64(), end.as_u64()) {
                (Some(s), Some(e)) => char_span(&text, s as usize, e as usize),
                _ => None,
            }
            .ok_or_else(|| {
                row.invalid(
                    "passage.entities",
                    entity_value,
                    "character offsets inside the passage",
                )
            })?;
            if !entities.contains(&span) {
                entities.push(span);
            }
        }
        for qa_value in array_field(&row.object, "qas", row)? {
            let qa = object_item(qa_value, "qas", row)?;
            let query = as_string(
                get_in(qa, "query", row.path, row.line)?,
                "qas.query",
                row.path,
                row.line,
            )?;
            let label = match qa.get("answers") {
                Some(Value::Array(answers)) => {
                    let mut texts = Vec::with_capacity(answers.len());
                    for answer in answers {
                        let answer = object_item(answer, "qas.answers", row)?;
                        texts.push(as_string(
                            get_in(answer, "text", row.path, row.line)?,
                            "qas.answers.text",
                            row.path,
                            row.line,
                        )?);
                    }
                    Some(Label::Answers(texts))
                }
                Some(other) if !other.is_null() => {
                    return Err(row.invalid("qas.answers", other, "an array"))
                }
                _ if labelled => {
                    return Err(DatasetError::MissingField {
                        path: row.path.to_string(),
                        line: row.line,
                        field: "qas.answers".to_string(),
                    })
                }
                _ => None,
            };
            examples.push(Example {
                line: row.line,
                fields: vec![
                    ("passage", text.clone()),
                    ("query", query),
                    ("entities", entities.join(", ")),
                ],
                label,
                group: None,
                idx: row_index(qa.get("idx")),
            });
        }
    }
    Ok(examples)
}

/// Reads an integer `idx` value, the numbering SuperGLUE submissions use.
pub(crate) fn row_index(value: Option<&Value>) -> Option<SourceIndex> {
    value.and_then(Value::as_u64).map(|idx| SourceIndex::Row(idx as usize))
}

/// Builds a MultiRC answer option's index from its paragraph, question and answer `idx`.
pub(crate) fn answer_index(paragraph: Option<&Value>, question: Option<&Value>, answer: Option<&Value>) -> Option<SourceIndex> {
    let number = |value: Option<&Value>| value.and_then(Value::as_u64).map(|n| n as usize);
    Some(SourceIndex::Answer {
        paragraph: number(paragraph)?,
        question: number(question)?,
        answer: number(answer)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boolean_labels_map_to_false_true() {
        let text = "{\"question\": \"q\", \"passage\": \"p\", \"idx\": 0, \"label\": true}";
        let examples = parse(Task::Boolq, Split::Validation, text, "val.jsonl").unwrap();
        assert_eq!(examples[0].class(), Some(1));
        assert_eq!(examples[0].field("passage"), Some("p"));
    }

    #[test]
    fn unlabelled_test_rows_have_no_label() {
        let text = "{\"premise\": \"p\", \"hypothesis\": \"h\", \"idx\": 0}\n";
        let examples = parse(Task::Cb, Split::Test, text, "test.jsonl").unwrap();
        assert_eq!(examples[0].label, None);
    }

    #[test]
    fn missing_label_in_train_is_an_error() {
        let text = "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"neutral\"}\n{\"premise\": \"p\", \"hypothesis\": \"h\"}";
        let err = parse(Task::Cb, Split::Train, text, "train.jsonl").unwrap_err();
        assert_eq!(err.to_string(), "train.jsonl:2: missing field `label`");
    }

    #[test]
    fn wsc_spans_come_from_target() {
        let text = r#"{"text": "Mark lied. He", "target": {"span2_index": 2, "span1_index": 0, "span1_text": "Mark", "span2_text": "He"}, "idx": 0, "label": false}"#;
        let examples = parse(Task::Wsc, Split::Train, text, "train.jsonl").unwrap();
        assert_eq!(examples[0].field("span1_text"), Some("Mark"));
        assert_eq!(examples[0].field("span2_index"), Some("2"));
        assert_eq!(examples[0].class(), Some(0));
    }

    #[test]
    fn multirc_groups_count_questions() {
        let text = r#"{"idx": 0, "passage": {"text": "P", "questions": [{"question": "Q0", "idx": 0, "answers": [{"text": "a", "idx": 0, "label": 1}, {"text": "b", "idx": 1, "label": 0}]}, {"question": "Q1", "idx": 1, "answers": [{"text": "c", "idx": 2, "label": 0}]}]}}"#;
        let examples = parse(Task::Multirc, Split::Train, text, "train.jsonl").unwrap();
        let groups: Vec<_> = examples.iter().map(|e| e.group).collect();
        assert_eq!(groups, vec![Some(0), Some(0), Some(1)]);
        assert_eq!(examples[2].field("question"), Some("Q1"));
        assert_eq!(examples[0].class(), Some(1));
    }

    #[test]
    fn record_expands_queries_and_entities() {
        let text = r#"{"source": "x", "passage": {"text": "Ann met Bob.", "entities": [{"start": 0, "end": 2}, {"start": 8, "end": 10}]}, "qas": [{"query": "@placeholder met Bob", "answers": [{"start": 0, "end": 2, "text": "Ann"}], "idx": 0}], "idx": 0}"#;
        let examples = parse(Task::Record, Split::Train, text, "train.jsonl").unwrap();
        assert_eq!(examples.len(), 1);
        assert_eq!(examples[0].field("entities"), Some("Ann, Bob"));
        assert_eq!(
            examples[0].label,
            Some(Label::Answers(vec!["Ann".to_string()]))
        );
    }
}
