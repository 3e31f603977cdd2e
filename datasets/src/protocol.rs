//! Named, versioned text-to-text protocols: how an example becomes a source and a target
//! string, how a generated string maps back to a label, the length limits, and how the splits
//! are made. Resolving a protocol for a task gives a [`ResolvedProtocol`], a serializable record
//! of every one of those choices for a result file to store.
//!
//! - `residual-pt`: the setup of the Residual Prompt Tuning code (Razdaibiedina et al., 2023).
//!   The source is `"field1: value1 field2: value2"` with no task prefix, targets are label
//!   words, and STS-B targets are the score with one decimal. The official validation set is
//!   shuffled with seed 0 and halved into validation and test, after large tasks are capped at
//!   500 rows per class (SST-2 at 400). Sources get 512 tokens, and batches hold 8 examples.
//! - `compacter`: the setup shared by the Compacter, ATTEMPT and DePT code. The source starts
//!   with the task name, targets are class-index digits, and STS-B targets are rounded to a 0.2
//!   grid. With seed 42, tasks under 10,000 training rows halve the validation set into
//!   validation and test, while larger tasks hold out 1,000 training rows as validation and
//!   test on the official validation set. MNLI validates on mismatched and tests on matched.
//!   Sources get 256 tokens, and batches hold 32 examples.
//! - `official`: the `residual-pt` formatting with the official train and validation sets
//!   unchanged and no test set.
//!
//! In every protocol a generated string that is not exactly (after trimming whitespace) one of
//! the task's targets is an invalid prediction, scored as wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data_dir::DataDir;
use crate::error::{DatasetError, Result};
use crate::example::{Example, Label};
use crate::score::Prediction;
use crate::split::{is_large, make_splits, SplitRule, Splits};
use crate::task::{join_names, Metric, Task};

/// A named text-to-text protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    ResidualPt,
    Compacter,
    Official,
}

/// The rule that turns a label into a target string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TargetRule {
    /// The word of each class, in class-index order.
    LabelWords { words: Vec<String> },
    /// The class index written as decimal digits ("0", "1", ...).
    ClassIndex { classes: u32 },
    /// The score rounded half away from zero to a multiple of `1 / steps_per_unit` and written
    /// with one decimal ("3.8"). Any plain decimal number parses back as a score.
    Score { steps_per_unit: u32 },
}

/// Every choice a protocol makes for one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolvedProtocol {
    pub protocol: Protocol,
    /// Bumped whenever any choice below changes for an existing protocol name.
    pub version: u32,
    pub task: Task,
    /// Text put before the fields, followed by one space.
    pub source_prefix: Option<String>,
    /// The fields written as `"name: value"`, joined by single spaces, in this order.
    pub source_fields: Vec<String>,
    /// The same as a readable template, for example `"premise: {premise} hypothesis: {hypothesis}"`.
    pub source_template: String,
    /// The task's class names in class-index order (the Hugging Face label order), which a
    /// class-index target refers to. `None` for STS-B.
    pub class_names: Option<Vec<String>>,
    pub target: TargetRule,
    /// Encoder length limit in tokens, counting the soft prompt's vectors and `</s>`.
    pub max_source_len: usize,
    /// Decoder length limit in tokens, counting `</s>`.
    pub max_target_len: usize,
    /// The batch size the protocol's reference code trains with.
    pub batch_size: usize,
    pub split_rule: SplitRule,
    pub metrics: Vec<Metric>,
}

/// A formatted example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextPair {
    pub source: String,
    /// `None` for an unlabelled example.
    pub target: Option<String>,
}

/// The maximum target length of every protocol. The longest label word, `not_equivalent`, is 6
/// T5 tokens with `</s>`, and a test checks that every target of every task fits.
const MAX_TARGET_LEN: usize = 8;

impl Protocol {
    pub const ALL: [Protocol; 3] = [
        Protocol::ResidualPt,
        Protocol::Compacter,
        Protocol::Official,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::ResidualPt => "residual-pt",
            Protocol::Compacter => "compacter",
            Protocol::Official => "official",
        }
    }

    pub fn version(self) -> u32 {
        1
    }

    /// Resolves every choice of this protocol for a task. ReCoRD is rejected because its
    /// span-extraction targets and metrics are not implemented.
    pub fn resolve(self, task: Task) -> Result<ResolvedProtocol> {
        if task == Task::Record {
            return Err(DatasetError::UnsupportedTask {
                protocol: self.name().to_string(),
                task: task.name().to_string(),
                reason:
                    "ReCoRD answers are passage spans; its targets and metrics are not implemented"
                        .to_string(),
            });
        }
        let source_prefix = match self {
            Protocol::Compacter => Some(compacter_prefix(task).to_string()),
            Protocol::ResidualPt | Protocol::Official => None,
        };
        let source_fields: Vec<String> =
            source_fields(task).iter().map(|f| f.to_string()).collect();
        let source_template = template(source_prefix.as_deref(), &source_fields);
        let target = match (self, task.class_names()) {
            (Protocol::Compacter, Some(classes)) => TargetRule::ClassIndex {
                classes: classes.len() as u32,
            },
            (Protocol::Compacter, None) => TargetRule::Score { steps_per_unit: 5 },
            (_, Some(_)) => TargetRule::LabelWords {
                words: residual_label_words(task)
                    .iter()
                    .map(|w| w.to_string())
                    .collect(),
            },
            (_, None) => TargetRule::Score { steps_per_unit: 10 },
        };
        let (max_source_len, batch_size) = match self {
            Protocol::ResidualPt | Protocol::Official => (512, 8),
            Protocol::Compacter => (256, 32),
        };
        Ok(ResolvedProtocol {
            protocol: self,
            version: self.version(),
            task,
            source_prefix,
            source_fields,
            source_template,
            class_names: task
                .class_names()
                .map(|names| names.iter().map(|n| n.to_string()).collect()),
            target,
            max_source_len,
            max_target_len: MAX_TARGET_LEN,
            batch_size,
            split_rule: split_rule(self, task),
            metrics: task.metrics().to_vec(),
        })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = DatasetError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| DatasetError::UnknownName {
                kind: "protocol",
                name: name.to_string(),
                expected: join_names(Protocol::ALL.iter().map(|p| p.name())),
            })
    }
}

/// Lists the fields of the source text. Long passages go last so that truncation cuts them
/// rather than the question or answer.
fn source_fields(task: Task) -> &'static [&'static str] {
    match task {
        Task::Copa => &["premise", "question", "choice1", "choice2"],
        Task::Multirc => &["question", "answer", "paragraph"],
        Task::Wsc => &["span1_text", "span2_text", "text"],
        other => other.text_fields(),
    }
}

/// Returns the task prefix, as the Compacter code names its tasks.
fn compacter_prefix(task: Task) -> &'static str {
    match task {
        Task::GlueRte => "rte",
        Task::Boolq => "superglue-boolq",
        Task::Cb => "superglue-cb",
        Task::Copa => "superglue-copa",
        Task::Multirc => "superglue-multirc",
        Task::Record => "superglue-record",
        Task::Rte => "superglue-rte",
        Task::Wic => "superglue-wic",
        Task::Wsc => "superglue-wsc.fixed",
        Task::AxB => "superglue-axb",
        Task::AxG => "superglue-axg",
        other => other.name(),
    }
}

/// Returns the Residual Prompt Tuning code's label words. WNLI, WSC and the diagnostics, which
/// that code does not train on, get the analogous words.
fn residual_label_words(task: Task) -> &'static [&'static str] {
    match task {
        Task::Cola => &["not_acceptable", "acceptable"],
        Task::Mrpc => &["not_equivalent", "equivalent"],
        Task::Qqp => &["not_duplicate", "duplicate"],
        Task::Sst2 => &["negative", "positive"],
        // COPA's label is the index of the right choice; the code writes it as false/true.
        Task::Boolq | Task::Copa | Task::Wic | Task::Multirc | Task::Wsc => &["false", "true"],
        other => other.class_names().unwrap_or(&[]),
    }
}

fn split_rule(protocol: Protocol, task: Task) -> SplitRule {
    match protocol {
        Protocol::Official => SplitRule::Official,
        Protocol::ResidualPt => SplitRule::HalveValidation {
            seed: 0,
            per_class_cap: match (is_large(task), task) {
                (true, Task::Sst2) => Some(400),
                (true, _) => Some(500),
                (false, _) => None,
            },
        },
        Protocol::Compacter if task == Task::Mnli => SplitRule::MnliMismatchedMatched,
        Protocol::Compacter if is_large(task) => SplitRule::HoldOutTrain {
            seed: 42,
            validation_rows: 1000,
        },
        Protocol::Compacter => SplitRule::HalveValidation {
            seed: 42,
            per_class_cap: None,
        },
    }
}

fn template(prefix: Option<&str>, fields: &[String]) -> String {
    let body: Vec<String> = fields.iter().map(|f| format!("{f}: {{{f}}}")).collect();
    match prefix {
        Some(prefix) => format!("{prefix} {}", body.join(" ")),
        None => body.join(" "),
    }
}

impl ResolvedProtocol {
    /// Replaces the seed of a seeded split rule; the official rules have none.
    pub fn with_split_seed(mut self, new_seed: u64) -> Self {
        match &mut self.split_rule {
            SplitRule::HalveValidation { seed, .. } | SplitRule::HoldOutTrain { seed, .. } => {
                *seed = new_seed
            }
            SplitRule::Official | SplitRule::MnliMismatchedMatched => {}
        }
        self
    }

    /// Loads the official splits this protocol needs and builds train, validation and test.
    pub fn splits(&self, data: &DataDir) -> Result<Splits> {
        make_splits(self.task, &self.split_rule, data)
    }

    /// Formats an example's source and, when labelled, its target.
    pub fn format(&self, example: &Example) -> Result<TextPair> {
        Ok(TextPair {
            source: self.source(example)?,
            target: example
                .label
                .as_ref()
                .map(|l| self.target_text(l))
                .transpose()?,
        })
    }

    fn source(&self, example: &Example) -> Result<String> {
        let mut parts: Vec<String> = Vec::with_capacity(self.source_fields.len() + 1);
        if let Some(prefix) = &self.source_prefix {
            parts.push(prefix.clone());
        }
        for field in &self.source_fields {
            let value = example
                .field(field)
                .ok_or_else(|| DatasetError::MissingExampleField {
                    task: self.task.name().to_string(),
                    line: example.line,
                    field: field.clone(),
                })?;
            parts.push(format!("{field}: {value}"));
        }
        Ok(parts.join(" "))
    }

    /// Writes a label as this protocol's target string.
    pub fn target_text(&self, label: &Label) -> Result<String> {
        let mismatch = || DatasetError::InvalidConfig {
            field: "label",
            value: format!("{label:?}"),
            reason: format!("not a label of {} under {}", self.task, self.protocol),
        };
        match (&self.target, label) {
            (TargetRule::LabelWords { words }, Label::Class(class)) => {
                words.get(*class as usize).cloned().ok_or_else(mismatch)
            }
            (TargetRule::ClassIndex { classes }, Label::Class(class)) if class < classes => {
                Ok(class.to_string())
            }
            (TargetRule::Score { steps_per_unit }, Label::Score(score)) => {
                let steps = f64::from(*steps_per_unit);
                Ok(format!("{:.1}", (score * steps).round() / steps))
            }
            _ => Err(mismatch()),
        }
    }

    /// Lists the target string of every class in class-index order, or nothing for a score task.
    pub fn class_targets(&self) -> Vec<String> {
        match &self.target {
            TargetRule::LabelWords { words } => words.clone(),
            TargetRule::ClassIndex { classes } => (0..*classes).map(|c| c.to_string()).collect(),
            TargetRule::Score { .. } => Vec::new(),
        }
    }

    /// Maps a generated string back to a label. Anything that is not, after trimming
    /// whitespace, exactly a class target (or, for STS-B, a plain decimal number) is invalid.
    pub fn parse_prediction(&self, generated: &str) -> Prediction {
        let text = generated.trim();
        match &self.target {
            TargetRule::Score { .. } => match parse_decimal(text) {
                Some(score) => Prediction::Score(score),
                None => Prediction::Invalid,
            },
            _ => match self.class_targets().iter().position(|t| t == text) {
                Some(class) => Prediction::Class(class as u32),
                None => Prediction::Invalid,
            },
        }
    }
}

/// Parses digits with at most one decimal point ("3", "3.8", ".5"), rejecting signs, exponents,
/// "inf" and "NaN", which `f64::from_str` would accept.
fn parse_decimal(text: &str) -> Option<f64> {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let points = text.chars().filter(|&c| c == '.').count();
    if digits == 0 || points > 1 || digits + points != text.chars().count() {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(fields: Vec<(&'static str, &str)>, label: Label) -> Example {
        Example {
            line: 1,
            fields: fields
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            label: Some(label),
            group: None,
            idx: None,
        }
    }

    #[test]
    fn compacter_prefixes_task_name() {
        let resolved = Protocol::Compacter.resolve(Task::Cb).unwrap();
        let pair = resolved
            .format(&example(
                vec![("premise", "P."), ("hypothesis", "H.")],
                Label::Class(2),
            ))
            .unwrap();
        assert_eq!(pair.source, "superglue-cb premise: P. hypothesis: H.");
        assert_eq!(pair.target.as_deref(), Some("2"));
        assert_eq!(
            resolved.source_template,
            "superglue-cb premise: {premise} hypothesis: {hypothesis}"
        );
    }

    #[test]
    fn stsb_targets_round_to_grid() {
        let residual = Protocol::ResidualPt.resolve(Task::Stsb).unwrap();
        let compacter = Protocol::Compacter.resolve(Task::Stsb).unwrap();
        assert_eq!(residual.target_text(&Label::Score(4.75)).unwrap(), "4.8");
        assert_eq!(residual.target_text(&Label::Score(0.0)).unwrap(), "0.0");
        assert_eq!(compacter.target_text(&Label::Score(3.7)).unwrap(), "3.8");
        assert_eq!(compacter.target_text(&Label::Score(4.75)).unwrap(), "4.8");
        assert_eq!(compacter.target_text(&Label::Score(5.0)).unwrap(), "5.0");
    }

    #[test]
    fn predictions_parse_exactly() {
        let cola = Protocol::ResidualPt.resolve(Task::Cola).unwrap();
        assert_eq!(cola.parse_prediction(" acceptable "), Prediction::Class(1));
        assert_eq!(
            cola.parse_prediction("not_acceptable"),
            Prediction::Class(0)
        );
        assert_eq!(cola.parse_prediction("Acceptable"), Prediction::Invalid);
        assert_eq!(
            cola.parse_prediction("acceptable acceptable"),
            Prediction::Invalid
        );
        let mnli = Protocol::Compacter.resolve(Task::Mnli).unwrap();
        assert_eq!(mnli.parse_prediction("2"), Prediction::Class(2));
        assert_eq!(mnli.parse_prediction("3"), Prediction::Invalid);
        assert_eq!(mnli.parse_prediction("02"), Prediction::Invalid);
        let stsb = Protocol::ResidualPt.resolve(Task::Stsb).unwrap();
        assert_eq!(stsb.parse_prediction("3.8"), Prediction::Score(3.8));
        assert_eq!(stsb.parse_prediction("NaN"), Prediction::Invalid);
        assert_eq!(stsb.parse_prediction("-1"), Prediction::Invalid);
        assert_eq!(stsb.parse_prediction("1e3"), Prediction::Invalid);
        assert_eq!(stsb.parse_prediction("."), Prediction::Invalid);
    }

    #[test]
    fn split_rules_follow_size() {
        let rule = |p: Protocol, t: Task| p.resolve(t).unwrap().split_rule;
        assert_eq!(
            rule(Protocol::ResidualPt, Task::Sst2),
            SplitRule::HalveValidation {
                seed: 0,
                per_class_cap: Some(400)
            }
        );
        assert_eq!(
            rule(Protocol::ResidualPt, Task::Qnli),
            SplitRule::HalveValidation {
                seed: 0,
                per_class_cap: Some(500)
            }
        );
        assert_eq!(
            rule(Protocol::ResidualPt, Task::Cb),
            SplitRule::HalveValidation {
                seed: 0,
                per_class_cap: None
            }
        );
        assert_eq!(
            rule(Protocol::Compacter, Task::Qqp),
            SplitRule::HoldOutTrain {
                seed: 42,
                validation_rows: 1000
            }
        );
        assert_eq!(
            rule(Protocol::Compacter, Task::Mnli),
            SplitRule::MnliMismatchedMatched
        );
        assert_eq!(
            rule(Protocol::Compacter, Task::Multirc),
            SplitRule::HalveValidation {
                seed: 42,
                per_class_cap: None
            }
        );
        assert_eq!(rule(Protocol::Official, Task::Qqp), SplitRule::Official);
    }

    #[test]
    fn resolved_protocol_round_trips() {
        for protocol in Protocol::ALL {
            let resolved = protocol.resolve(Task::Multirc).unwrap().with_split_seed(7);
            let json = serde_json::to_string(&resolved).unwrap();
            let back: ResolvedProtocol = serde_json::from_str(&json).unwrap();
            assert_eq!(back, resolved);
        }
    }

    #[test]
    fn resolved_protocol_json_names_choices() {
        let resolved = Protocol::ResidualPt.resolve(Task::Rte).unwrap();
        let json = serde_json::to_value(&resolved).unwrap();
        assert_eq!(json["protocol"], "residual-pt");
        assert_eq!(json["version"], 1);
        assert_eq!(json["target"]["kind"], "label_words");
        assert_eq!(json["target"]["words"][1], "not_entailment");
        assert_eq!(json["split_rule"]["rule"], "halve_validation");
        assert_eq!(json["split_rule"]["seed"], 0);
        assert_eq!(json["max_source_len"], 512);
        assert_eq!(json["class_names"][0], "entailment");
    }

    #[test]
    fn record_is_unsupported() {
        let err = Protocol::Official.resolve(Task::Record).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("protocol official does not support task record"),
            "{err}"
        );
    }
}
