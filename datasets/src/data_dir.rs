//! Finding and loading a task's split: from a data directory in the official release layout or
//! as a Hugging Face export, with the embedded CB, COPA and RTE files as the fallback.
//!
//! The embedded files are the unchanged SuperGLUE release JSON lines, compiled into the binary
//! with `include_str!` (about 2.5 MB). A release binary moved to another machine therefore still
//! finds them, which a path from `env!("CARGO_MANIFEST_DIR")` would not, because that path
//! exists only on the build machine.

use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};
use crate::example::Dataset;
use crate::task::{join_names, Benchmark, Split, Task};
use crate::text_file::read_to_string;
use crate::{glue, hf_export, hf_parquet, superglue};

/// The embedded SuperGLUE files: `(task, split, path in the release layout, contents)`.
const EMBEDDED: &[(Task, Split, &str, &str)] = &[
    (
        Task::Cb,
        Split::Train,
        "superglue/CB/train.jsonl",
        include_str!("../data/superglue/CB/train.jsonl"),
    ),
    (
        Task::Cb,
        Split::Validation,
        "superglue/CB/val.jsonl",
        include_str!("../data/superglue/CB/val.jsonl"),
    ),
    (
        Task::Cb,
        Split::Test,
        "superglue/CB/test.jsonl",
        include_str!("../data/superglue/CB/test.jsonl"),
    ),
    (
        Task::Copa,
        Split::Train,
        "superglue/COPA/train.jsonl",
        include_str!("../data/superglue/COPA/train.jsonl"),
    ),
    (
        Task::Copa,
        Split::Validation,
        "superglue/COPA/val.jsonl",
        include_str!("../data/superglue/COPA/val.jsonl"),
    ),
    (
        Task::Copa,
        Split::Test,
        "superglue/COPA/test.jsonl",
        include_str!("../data/superglue/COPA/test.jsonl"),
    ),
    (
        Task::Rte,
        Split::Train,
        "superglue/RTE/train.jsonl",
        include_str!("../data/superglue/RTE/train.jsonl"),
    ),
    (
        Task::Rte,
        Split::Validation,
        "superglue/RTE/val.jsonl",
        include_str!("../data/superglue/RTE/val.jsonl"),
    ),
    (
        Task::Rte,
        Split::Test,
        "superglue/RTE/test.jsonl",
        include_str!("../data/superglue/RTE/test.jsonl"),
    ),
];

/// The places task files are looked up in.
///
/// For each split, in order: the official layout under the root (`glue/<Task>/*.tsv`,
/// `superglue/<Task>/*.jsonl`), then a Hugging Face export under `<root>/hf/`, then (unless
/// disabled) the embedded CB, COPA and RTE files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: Option<PathBuf>,
    use_embedded: bool,
}

impl DataDir {
    /// Creates a source of only the embedded CB, COPA and RTE files.
    pub fn embedded() -> Self {
        DataDir {
            root: None,
            use_embedded: true,
        }
    }

    /// Creates a data directory at `root` when one is given (see [`DataDir::new`]), else a
    /// source of only the embedded files.
    pub fn new_or_embedded(root: Option<&Path>) -> Self {
        match root {
            Some(root) => Self::new(root),
            None => Self::embedded(),
        }
    }

    /// Creates a data directory that falls back to the embedded files for splits it lacks.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir {
            root: Some(root.into()),
            use_embedded: true,
        }
    }

    /// Creates a data directory with no embedded fallback, so every split comes from `root`.
    pub fn only(root: impl Into<PathBuf>) -> Self {
        DataDir {
            root: Some(root.into()),
            use_embedded: false,
        }
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Loads one split, or fails with the list of places searched.
    pub fn load(&self, task: Task, split: Split) -> Result<Dataset> {
        check_split(task, split)?;
        match self.try_load(task, split)? {
            Some(dataset) => Ok(dataset),
            None => Err(DatasetError::SplitNotFound {
                task: task.name().to_string(),
                split: split.name().to_string(),
                searched: self.searched(task, split),
            }),
        }
    }

    /// Loads one split, or returns `None` when no file for it exists.
    pub(crate) fn try_load(&self, task: Task, split: Split) -> Result<Option<Dataset>> {
        let found = match &self.root {
            Some(root) => load_from_root(root, task, split)?,
            None => None,
        };
        let found = match found {
            Some(found) => Some(found),
            None if self.use_embedded => load_embedded(task, split)?,
            None => None,
        };
        Ok(found.map(|(source, examples)| {
            tracing::debug!(%task, %split, %source, rows = examples.len(), "loaded split");
            Dataset {
                task,
                split,
                source,
                examples,
            }
        }))
    }

    fn searched(&self, task: Task, split: Split) -> String {
        let mut places: Vec<String> = Vec::new();
        if let Some(root) = &self.root {
            places.extend(
                official_paths(root, task, split)
                    .iter()
                    .map(|p| p.display().to_string()),
            );
            places.extend(
                hf_export::candidate_paths(root, task, split)
                    .iter()
                    .chain(&hf_export::parquet_patterns(root, task, split))
                    .map(|p| p.display().to_string()),
            );
        }
        if self.use_embedded {
            places.push(format!(
                "the embedded files ({} only)",
                join_names(Task::EMBEDDED.iter().map(|t| t.name()))
            ));
        }
        places.join(", ")
    }
}

fn check_split(task: Task, split: Split) -> Result<()> {
    if task.splits().contains(&split) {
        return Ok(());
    }
    Err(DatasetError::SplitNotAvailable {
        task: task.name().to_string(),
        split: split.name().to_string(),
        available: join_names(task.splits().iter().map(|s| s.name())),
    })
}

fn official_dir(root: &Path, task: Task) -> PathBuf {
    let benchmark = match task.benchmark() {
        Benchmark::Glue => "glue",
        Benchmark::SuperGlue => "superglue",
    };
    root.join(benchmark).join(task.official_dir())
}

fn official_paths(root: &Path, task: Task, split: Split) -> Vec<PathBuf> {
    let dir = official_dir(root, task);
    match task.benchmark() {
        Benchmark::Glue => glue::candidate_paths(&dir, task, split),
        Benchmark::SuperGlue => superglue::file_name(task, split)
            .map(|name| dir.join(name))
            .into_iter()
            .collect(),
    }
}

type Loaded = Option<(String, Vec<crate::example::Example>)>;

fn load_from_root(root: &Path, task: Task, split: Split) -> Result<Loaded> {
    let dir = official_dir(root, task);
    let official = match task.benchmark() {
        Benchmark::Glue => glue::load(&dir, task, split)?,
        Benchmark::SuperGlue => match superglue::file_name(task, split).map(|n| dir.join(n)) {
            Some(path) if path.is_file() => {
                let text = read_to_string(&path)?;
                let display = path.display().to_string();
                let examples = superglue::parse(task, split, &text, &display)?;
                Some((display, examples))
            }
            _ => None,
        },
    };
    if official.is_some() {
        return Ok(official);
    }

    for path in hf_export::candidate_paths(root, task, split) {
        if path.is_file() {
            let text = read_to_string(&path)?;
            let display = path.display().to_string();
            let examples = hf_export::parse(task, &text, &display)?;
            return Ok(Some((display, examples)));
        }
    }
    let shards = hf_export::find_parquet(root, task, split);
    if let [first, ..] = shards.as_slice() {
        // Shards are read as one file, so that a MultiRC question split across two shards stays
        // one group. Row numbers in messages then count on from shard to shard.
        let mut text = String::new();
        for shard in &shards {
            text.push_str(&hf_parquet::to_json_lines(shard)?);
        }
        let display = if shards.len() == 1 {
            first.display().to_string()
        } else {
            let more = shards.len() - 1;
            let noun = if more == 1 { "shard" } else { "shards" };
            format!(
                "{} (and {more} more {noun}, rows counted across them)",
                first.display()
            )
        };
        let examples = hf_export::parse(task, &text, &display)?;
        return Ok(Some((display, examples)));
    }
    Ok(None)
}

fn load_embedded(task: Task, split: Split) -> Result<Loaded> {
    let Some((_, _, path, text)) = EMBEDDED
        .iter()
        .find(|(t, s, _, _)| *t == task && *s == split)
    else {
        return Ok(None);
    };
    let display = format!("<embedded>/{path}");
    let examples = superglue::parse(task, split, text, &display)?;
    Ok(Some((display, examples)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_splits_have_official_sizes() {
        let data = DataDir::embedded();
        for task in Task::EMBEDDED {
            for &split in task.splits() {
                let dataset = data.load(task, split).unwrap();
                assert_eq!(
                    Some(dataset.len()),
                    task.official_rows(split),
                    "{task} {split}"
                );
            }
        }
    }

    #[test]
    fn missing_split_lists_searched_places() {
        let err = DataDir::only("/nonexistent")
            .load(Task::Qqp, Split::Train)
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("/nonexistent/glue/QQP/train.tsv"),
            "{message}"
        );
        assert!(
            message.contains("/nonexistent/hf/glue/qqp/train.jsonl"),
            "{message}"
        );
    }

    #[test]
    fn mnli_has_no_plain_validation() {
        let err = DataDir::embedded()
            .load(Task::Mnli, Split::Validation)
            .unwrap_err();
        assert!(err.to_string().contains("validation_matched"), "{err}");
    }
}
