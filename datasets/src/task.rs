//! The GLUE and SuperGLUE tasks, their splits, class names, metrics and official split sizes.
//!
//! Sources: the GLUE paper (Wang et al., ICLR 2019) and SuperGLUE paper (Wang et al., NeurIPS
//! 2019) for tasks and metrics; the benchmarks' release files and the Hugging Face `glue` and
//! `super_glue` dataset cards for split sizes. Class indices follow the Hugging Face integer
//! labels, so a Hugging Face export needs no remapping and a class-index target is the same
//! digit the Compacter code trains on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::DatasetError;

/// A benchmark task. RTE exists twice because GLUE and SuperGLUE ship it with different column
/// names: [`Task::Rte`] is the SuperGLUE copy (the one SuperGLUE scores and the embedded
/// default), [`Task::GlueRte`] the GLUE copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    Cola,
    Sst2,
    Mrpc,
    Stsb,
    Qqp,
    Mnli,
    Qnli,
    GlueRte,
    Wnli,
    Ax,
    Boolq,
    Cb,
    Copa,
    Multirc,
    Record,
    Rte,
    Wic,
    Wsc,
    AxB,
    AxG,
}

/// The benchmark a task belongs to, which decides its folder and file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Benchmark {
    Glue,
    SuperGlue,
}

/// A split name as the Hugging Face `datasets` exports spell it. MNLI has matched and mismatched
/// validation and test sets in place of `validation` and `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Validation,
    ValidationMatched,
    ValidationMismatched,
    Test,
    TestMatched,
    TestMismatched,
}

/// An evaluation metric. Values are fractions (accuracy in 0..1, correlations in -1..1), not
/// the percentages the papers print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Accuracy,
    /// F1 of the positive class (index 1).
    F1,
    /// Unweighted mean of the per-class F1 over every class of the task.
    MacroF1,
    /// Matthews correlation coefficient.
    Mcc,
    Pearson,
    /// Spearman rank correlation with tied values given their average rank.
    Spearman,
    /// MultiRC F1 over all answer options (F1a).
    MultircF1a,
    /// MultiRC exact match: the fraction of questions whose answer options are all correct.
    MultircExactMatch,
}

const BINARY_NLI: &[&str] = &["entailment", "not_entailment"];
const THREE_WAY_NLI: &[&str] = &["entailment", "neutral", "contradiction"];
const FALSE_TRUE: &[&str] = &["false", "true"];

impl Task {
    /// Every task this crate loads.
    pub const ALL: [Task; 20] = [
        Task::Cola,
        Task::Sst2,
        Task::Mrpc,
        Task::Stsb,
        Task::Qqp,
        Task::Mnli,
        Task::Qnli,
        Task::GlueRte,
        Task::Wnli,
        Task::Ax,
        Task::Boolq,
        Task::Cb,
        Task::Copa,
        Task::Multirc,
        Task::Record,
        Task::Rte,
        Task::Wic,
        Task::Wsc,
        Task::AxB,
        Task::AxG,
    ];

    /// The 13 tasks of the SuperPos-Prompt paper's Table 1, in its column order.
    pub const PAPER: [Task; 13] = [
        Task::Qqp,
        Task::Qnli,
        Task::Mnli,
        Task::Sst2,
        Task::Stsb,
        Task::Mrpc,
        Task::Cola,
        Task::Multirc,
        Task::Rte,
        Task::Cb,
        Task::Copa,
        Task::Wic,
        Task::Boolq,
    ];

    /// The tasks whose SuperGLUE files are embedded in the crate.
    pub const EMBEDDED: [Task; 3] = [Task::Cb, Task::Copa, Task::Rte];

    /// Returns the lowercase name used in configs, results and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Cola => "cola",
            Task::Sst2 => "sst2",
            Task::Mrpc => "mrpc",
            Task::Stsb => "stsb",
            Task::Qqp => "qqp",
            Task::Mnli => "mnli",
            Task::Qnli => "qnli",
            Task::GlueRte => "glue-rte",
            Task::Wnli => "wnli",
            Task::Ax => "ax",
            Task::Boolq => "boolq",
            Task::Cb => "cb",
            Task::Copa => "copa",
            Task::Multirc => "multirc",
            Task::Record => "record",
            Task::Rte => "rte",
            Task::Wic => "wic",
            Task::Wsc => "wsc",
            Task::AxB => "ax-b",
            Task::AxG => "ax-g",
        }
    }

    pub fn benchmark(self) -> Benchmark {
        match self {
            Task::Cola
            | Task::Sst2
            | Task::Mrpc
            | Task::Stsb
            | Task::Qqp
            | Task::Mnli
            | Task::Qnli
            | Task::GlueRte
            | Task::Wnli
            | Task::Ax => Benchmark::Glue,
            _ => Benchmark::SuperGlue,
        }
    }

    /// Returns the task's folder in the official release layout (`glue/<dir>` or `superglue/<dir>`).
    pub fn official_dir(self) -> &'static str {
        match self {
            Task::Cola => "CoLA",
            Task::Sst2 => "SST-2",
            Task::Mrpc => "MRPC",
            Task::Stsb => "STS-B",
            Task::Qqp => "QQP",
            Task::Mnli => "MNLI",
            Task::Qnli => "QNLI",
            Task::GlueRte => "RTE",
            Task::Wnli => "WNLI",
            Task::Ax => "AX",
            Task::Boolq => "BoolQ",
            Task::Cb => "CB",
            Task::Copa => "COPA",
            Task::Multirc => "MultiRC",
            Task::Record => "ReCoRD",
            Task::Rte => "RTE",
            Task::Wic => "WiC",
            Task::Wsc => "WSC",
            Task::AxB => "AX-b",
            Task::AxG => "AX-g",
        }
    }

    /// Returns the Hugging Face `glue` or `super_glue` config name, which is also the folder of
    /// a Hugging Face export.
    pub fn hf_config(self) -> &'static str {
        match self {
            Task::GlueRte | Task::Rte => "rte",
            Task::Wsc => "wsc.fixed",
            Task::AxB => "axb",
            Task::AxG => "axg",
            other => other.name(),
        }
    }

    /// Lists the splits the benchmark publishes for this task.
    pub fn splits(self) -> &'static [Split] {
        match self {
            Task::Mnli => &[
                Split::Train,
                Split::ValidationMatched,
                Split::ValidationMismatched,
                Split::TestMatched,
                Split::TestMismatched,
            ],
            Task::Ax | Task::AxB | Task::AxG => &[Split::Test],
            _ => &[Split::Train, Split::Validation, Split::Test],
        }
    }

    /// Returns the split that plays the role of the official validation set. MNLI uses the
    /// matched one.
    pub fn default_validation(self) -> Option<Split> {
        match self {
            Task::Mnli => Some(Split::ValidationMatched),
            Task::Ax | Task::AxB | Task::AxG => None,
            _ => Some(Split::Validation),
        }
    }

    /// Class names in class-index order, or `None` for STS-B (a score) and ReCoRD (spans).
    pub fn class_names(self) -> Option<&'static [&'static str]> {
        let names: &'static [&'static str] = match self {
            Task::Cola => &["unacceptable", "acceptable"],
            Task::Sst2 => &["negative", "positive"],
            Task::Mrpc => &["not_equivalent", "equivalent"],
            Task::Qqp => &["not_duplicate", "duplicate"],
            Task::Mnli | Task::Ax => THREE_WAY_NLI,
            Task::Qnli | Task::GlueRte | Task::Rte | Task::AxB | Task::AxG => BINARY_NLI,
            // GLUE and Hugging Face both encode WNLI entailment as 1.
            Task::Wnli => &["not_entailment", "entailment"],
            Task::Cb => &["entailment", "contradiction", "neutral"],
            Task::Copa => &["choice1", "choice2"],
            Task::Boolq | Task::Multirc | Task::Wic | Task::Wsc => FALSE_TRUE,
            Task::Stsb | Task::Record => return None,
        };
        Some(names)
    }

    /// Finds the class index of a label name as the official files write it.
    pub fn class_index(self, name: &str) -> Option<u32> {
        let names = self.class_names()?;
        names.iter().position(|n| *n == name).map(|i| i as u32)
    }

    /// Lists the canonical text fields of an example, named as the Hugging Face columns are.
    pub fn text_fields(self) -> &'static [&'static str] {
        match self {
            Task::Cola | Task::Sst2 => &["sentence"],
            Task::Mrpc | Task::Stsb | Task::GlueRte | Task::Wnli | Task::AxB => {
                &["sentence1", "sentence2"]
            }
            Task::Qqp => &["question1", "question2"],
            Task::Mnli | Task::Ax | Task::Cb | Task::Rte | Task::AxG => &["premise", "hypothesis"],
            Task::Qnli => &["question", "sentence"],
            Task::Boolq => &["question", "passage"],
            Task::Copa => &["premise", "choice1", "choice2", "question"],
            Task::Multirc => &["paragraph", "question", "answer"],
            Task::Record => &["passage", "query", "entities"],
            Task::Wic => &["word", "sentence1", "sentence2"],
            Task::Wsc => &[
                "text",
                "span1_index",
                "span2_index",
                "span1_text",
                "span2_text",
            ],
        }
    }

    /// Lists the metrics the benchmark reports, in the order the SuperPos-Prompt paper prints them.
    /// The paper's per-task score is their mean.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Task::Qqp | Task::Mrpc => &[Metric::F1, Metric::Accuracy],
            Task::Stsb => &[Metric::Pearson, Metric::Spearman],
            Task::Cola | Task::Ax | Task::AxB => &[Metric::Mcc],
            Task::Multirc => &[Metric::MultircF1a, Metric::MultircExactMatch],
            Task::Cb => &[Metric::MacroF1, Metric::Accuracy],
            // NOTE: ReCoRD's token-level F1 and exact match over entity answers are not
            // implemented, so it can be loaded but not scored.
            Task::Record => &[],
            _ => &[Metric::Accuracy],
        }
    }

    /// Returns the number of rows in an official split: answer options for MultiRC, queries for
    /// ReCoRD, examples otherwise. `None` when the benchmark has no such split.
    pub fn official_rows(self, split: Split) -> Option<usize> {
        use Split::*;
        let rows = match (self, split) {
            (Task::Cola, Train) => 8551,
            (Task::Cola, Validation) => 1043,
            (Task::Cola, Test) => 1063,
            (Task::Sst2, Train) => 67349,
            (Task::Sst2, Validation) => 872,
            (Task::Sst2, Test) => 1821,
            (Task::Mrpc, Train) => 3668,
            (Task::Mrpc, Validation) => 408,
            (Task::Mrpc, Test) => 1725,
            (Task::Stsb, Train) => 5749,
            (Task::Stsb, Validation) => 1500,
            (Task::Stsb, Test) => 1379,
            (Task::Qqp, Train) => 363846,
            (Task::Qqp, Validation) => 40430,
            (Task::Qqp, Test) => 390965,
            (Task::Mnli, Train) => 392702,
            (Task::Mnli, ValidationMatched) => 9815,
            (Task::Mnli, ValidationMismatched) => 9832,
            (Task::Mnli, TestMatched) => 9796,
            (Task::Mnli, TestMismatched) => 9847,
            (Task::Qnli, Train) => 104743,
            (Task::Qnli, Validation) => 5463,
            (Task::Qnli, Test) => 5463,
            (Task::GlueRte | Task::Rte, Train) => 2490,
            (Task::GlueRte | Task::Rte, Validation) => 277,
            (Task::GlueRte | Task::Rte, Test) => 3000,
            (Task::Wnli, Train) => 635,
            (Task::Wnli, Validation) => 71,
            (Task::Wnli, Test) => 146,
            (Task::Ax, Test) => 1104,
            (Task::Boolq, Train) => 9427,
            (Task::Boolq, Validation) => 3270,
            (Task::Boolq, Test) => 3245,
            (Task::Cb, Train) => 250,
            (Task::Cb, Validation) => 56,
            (Task::Cb, Test) => 250,
            (Task::Copa, Train) => 400,
            (Task::Copa, Validation) => 100,
            (Task::Copa, Test) => 500,
            (Task::Multirc, Train) => 27243,
            (Task::Multirc, Validation) => 4848,
            (Task::Multirc, Test) => 9693,
            (Task::Record, Train) => 100730,
            (Task::Record, Validation) => 10000,
            (Task::Record, Test) => 10000,
            (Task::Wic, Train) => 5428,
            (Task::Wic, Validation) => 638,
            (Task::Wic, Test) => 1400,
            (Task::Wsc, Train) => 554,
            (Task::Wsc, Validation) => 104,
            (Task::Wsc, Test) => 146,
            (Task::AxB, Test) => 1104,
            (Task::AxG, Test) => 356,
            _ => return None,
        };
        Some(rows)
    }

    /// Returns the number of MultiRC questions in an official split (the exact-match groups).
    pub fn official_groups(self, split: Split) -> Option<usize> {
        match (self, split) {
            (Task::Multirc, Split::Train) => Some(5131),
            (Task::Multirc, Split::Validation) => Some(953),
            (Task::Multirc, Split::Test) => Some(1820),
            _ => None,
        }
    }

    /// Tells whether the official release labels this split. Test splits are unlabelled except the
    /// diagnostic sets, and MRPC test when read from `msr_paraphrase_test.txt`.
    pub fn official_split_labelled(self, split: Split) -> bool {
        match split {
            Split::Test | Split::TestMatched | Split::TestMismatched => {
                matches!(self, Task::AxB | Task::AxG)
            }
            _ => true,
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Task {
    type Err = DatasetError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let lower = name.to_ascii_lowercase();
        Task::ALL
            .into_iter()
            .find(|t| t.name() == lower)
            .ok_or_else(|| DatasetError::UnknownName {
                kind: "task",
                name: name.to_string(),
                expected: join_names(Task::ALL.iter().map(|t| t.name())),
            })
    }
}

impl Split {
    /// Every split name, in display order.
    pub const ALL: [Split; 7] = [
        Split::Train,
        Split::Validation,
        Split::ValidationMatched,
        Split::ValidationMismatched,
        Split::Test,
        Split::TestMatched,
        Split::TestMismatched,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::ValidationMatched => "validation_matched",
            Split::ValidationMismatched => "validation_mismatched",
            Split::Test => "test",
            Split::TestMatched => "test_matched",
            Split::TestMismatched => "test_mismatched",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Split {
    type Err = DatasetError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Split::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| DatasetError::UnknownName {
                kind: "split",
                name: name.to_string(),
                expected: join_names(Split::ALL.iter().map(|s| s.name())),
            })
    }
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::F1 => "f1",
            Metric::MacroF1 => "macro_f1",
            Metric::Mcc => "mcc",
            Metric::Pearson => "pearson",
            Metric::Spearman => "spearman",
            Metric::MultircF1a => "multirc_f1a",
            Metric::MultircExactMatch => "multirc_exact_match",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_round_trip() {
        for task in Task::ALL {
            assert_eq!(task.name().parse::<Task>().unwrap(), task);
            let json = serde_json::to_string(&task).unwrap();
            assert_eq!(json, format!("\"{}\"", task.name()));
        }
    }

    #[test]
    fn split_names_match_serde() {
        for split in Split::ALL {
            let json = serde_json::to_string(&split).unwrap();
            assert_eq!(json, format!("\"{}\"", split.name()));
            assert_eq!(split.name().parse::<Split>().unwrap(), split);
        }
    }

    #[test]
    fn every_published_split_has_a_row_count() {
        for task in Task::ALL {
            for &split in task.splits() {
                assert!(task.official_rows(split).is_some(), "{task} {split}");
            }
        }
    }

    #[test]
    fn unknown_task_lists_choices() {
        let message = "glue".parse::<Task>().unwrap_err().to_string();
        assert!(message.contains("\"glue\""), "{message}");
        assert!(message.contains("multirc"), "{message}");
    }
}
