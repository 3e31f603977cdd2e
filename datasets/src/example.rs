//! One labelled (or unlabelled) row of a task, and a loaded split of rows.

use serde::Serialize;

use crate::task::{Split, Task};

/// The gold label of an example.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// A class index into [`Task::class_names`].
    Class(u32),
    /// An STS-B similarity score, 0 to 5.
    Score(f64),
    /// The accepted ReCoRD answer strings.
    Answers(Vec<String>),
}

/// The position of an example in the benchmark's own numbering, which leaderboard submission
/// files refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceIndex {
    /// The row's `index` column (GLUE) or `idx` field (SuperGLUE and Hugging Face exports).
    Row(usize),
    /// A MultiRC answer option: the `idx` of its paragraph, question and answer.
    Answer { paragraph: usize, question: usize, answer: usize },
}

/// One example with its text fields named as [`Task::text_fields`] names them, in that order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// The 1-based line of the source file the example came from. MultiRC and ReCoRD put
    /// several examples on one line (one passage).
    pub line: usize,
    pub fields: Vec<(&'static str, String)>,
    /// `None` for unlabelled test rows.
    pub label: Option<Label>,
    /// The MultiRC question an answer option belongs to, numbered 0, 1, ... in file order.
    /// Exact match is computed per group. `None` for every other task.
    pub group: Option<usize>,
    /// The benchmark's index of the example, where the file gives one. Not serialised, so the
    /// data hashes recorded with results cover the text and labels only.
    #[serde(skip)]
    pub idx: Option<SourceIndex>,
}

impl Example {
    /// Returns the text of a field, or `None` when the task has no field of that name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn class(&self) -> Option<u32> {
        match self.label {
            Some(Label::Class(class)) => Some(class),
            _ => None,
        }
    }

    pub fn score(&self) -> Option<f64> {
        match self.label {
            Some(Label::Score(score)) => Some(score),
            _ => None,
        }
    }
}

/// The rows of one split of one task, with where they were read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    pub task: Task,
    pub split: Split,
    /// The file the rows were read from; embedded files read `<embedded>/superglue/...`.
    pub source: String,
    pub examples: Vec<Example>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// Counts the distinct MultiRC questions, or returns `None` for tasks without groups.
    pub fn group_count(&self) -> Option<usize> {
        let mut groups: Vec<usize> = self.examples.iter().filter_map(|e| e.group).collect();
        if groups.is_empty() {
            return None;
        }
        groups.sort_unstable();
        groups.dedup();
        Some(groups.len())
    }
}
