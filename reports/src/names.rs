//! Canonical names of tasks, metrics, methods and backbones, their display forms and the order
//! of the SuperPos-Prompt paper's tables (Sadraei Javaheri et al., arXiv:2406.05279, Table 1).
//!
//! Records use the harness's lowercase names (`sst2`, `macro_f1`, `superpos_prompt_tuning`);
//! published score files use the paper's (`SST-2`, CB `f1`, `superpos`). Both are mapped to the
//! record names on load, so rows from either source group together.

/// A GLUE or SuperGLUE task as the tables show it.
#[derive(Debug, Clone, Copy)]
pub struct TaskInfo {
    /// The harness's name, as in records and grids.
    pub name: &'static str,
    /// The name the paper and the benchmarks print.
    pub display: &'static str,
    /// Metrics in the paper's order for a two-metric task (F1/Acc, Pearson/Spearman, F1a/EM).
    pub metrics: &'static [&'static str],
}

/// The 13 tasks of the paper's Table 1, in its column order.
pub const PAPER_TASKS: [&str; 13] = ["qqp", "qnli", "mnli", "sst2", "stsb", "mrpc", "cola", "multirc", "rte", "cb", "copa", "wic", "boolq"];

const TASKS: &[TaskInfo] = &[
    TaskInfo { name: "qqp", display: "QQP", metrics: &["f1", "accuracy"] },
    TaskInfo { name: "qnli", display: "QNLI", metrics: &["accuracy"] },
    TaskInfo { name: "mnli", display: "MNLI", metrics: &["accuracy"] },
    TaskInfo { name: "sst2", display: "SST-2", metrics: &["accuracy"] },
    TaskInfo { name: "stsb", display: "STS-B", metrics: &["pearson", "spearman"] },
    TaskInfo { name: "mrpc", display: "MRPC", metrics: &["f1", "accuracy"] },
    TaskInfo { name: "cola", display: "CoLA", metrics: &["mcc"] },
    TaskInfo { name: "multirc", display: "MultiRC", metrics: &["multirc_f1a", "multirc_exact_match"] },
    TaskInfo { name: "rte", display: "RTE", metrics: &["accuracy"] },
    TaskInfo { name: "cb", display: "CB", metrics: &["macro_f1", "accuracy"] },
    TaskInfo { name: "copa", display: "COPA", metrics: &["accuracy"] },
    TaskInfo { name: "wic", display: "WiC", metrics: &["accuracy"] },
    TaskInfo { name: "boolq", display: "BoolQ", metrics: &["accuracy"] },
    TaskInfo { name: "glue-rte", display: "RTE (GLUE)", metrics: &["accuracy"] },
    TaskInfo { name: "wnli", display: "WNLI", metrics: &["accuracy"] },
    TaskInfo { name: "ax", display: "AX", metrics: &["mcc"] },
    TaskInfo { name: "record", display: "ReCoRD", metrics: &[] },
    TaskInfo { name: "wsc", display: "WSC", metrics: &["accuracy"] },
    TaskInfo { name: "ax-b", display: "AX-b", metrics: &["mcc"] },
    TaskInfo { name: "ax-g", display: "AX-g", metrics: &["accuracy"] },
];

/// Returns what is known about a task by its harness name.
pub fn task_info(name: &str) -> Option<&'static TaskInfo> {
    TASKS.iter().find(|task| task.name == name)
}

/// Maps a task name as a record or a published table spells it (`SST-2`, `sst2`, `BoolQ`) to
/// the harness name. Unknown names are lowercased and kept, so that new tasks still tabulate.
pub fn canonical_task(name: &str) -> String {
    let folded: String = name.trim().to_ascii_lowercase();
    if let Some(task) = TASKS.iter().find(|task| task.name == folded || task.display.to_ascii_lowercase() == folded) {
        return task.name.to_string();
    }
    // Published tables also write `SST2`, `STSB` and the like without the hyphen.
    let squeezed: String = folded.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    TASKS
        .iter()
        .find(|task| task.name.replace('-', "") == squeezed)
        .map(|task| task.name.to_string())
        .unwrap_or(folded)
}

/// Returns the task's display name, or the name itself for an unknown task.
pub fn task_display(name: &str) -> String {
    task_info(name).map(|task| task.display.to_string()).unwrap_or_else(|| name.to_string())
}

/// Returns the position of a task in table columns: the paper's order, then other known tasks,
/// then unknown ones.
pub fn task_rank(name: &str) -> usize {
    TASKS.iter().position(|task| task.name == name).unwrap_or(TASKS.len())
}

/// Maps a metric name to the harness's, using the task where the paper's short name is
/// ambiguous: CB's `f1` is the macro-F1 over its 3 classes, MultiRC's `f1a` and `em` are its
/// answer-option F1 and per-question exact match.
pub fn canonical_metric(task: &str, metric: &str) -> String {
    let folded = metric.trim().to_ascii_lowercase();
    let name = match (task, folded.as_str()) {
        ("cb", "f1") => "macro_f1",
        ("multirc", "f1a" | "f1") => "multirc_f1a",
        ("multirc", "em" | "exact_match") => "multirc_exact_match",
        (_, "acc") => "accuracy",
        (_, "matthews" | "matthews_correlation") => "mcc",
        _ => return folded,
    };
    name.to_string()
}

/// Returns the short header of a metric as the paper prints it (F1, Acc, P, S, F1a, EM, MCC).
pub fn metric_short(metric: &str) -> String {
    match metric {
        "accuracy" => "Acc",
        "f1" | "macro_f1" => "F1",
        "mcc" => "MCC",
        "pearson" => "P",
        "spearman" => "S",
        "multirc_f1a" => "F1a",
        "multirc_exact_match" => "EM",
        other => return other.to_string(),
    }
    .to_string()
}

/// Returns the long name of a metric for detail tables.
pub fn metric_display(metric: &str) -> String {
    match metric {
        "accuracy" => "Accuracy",
        "f1" => "F1",
        "macro_f1" => "Macro-F1",
        "mcc" => "MCC",
        "pearson" => "Pearson",
        "spearman" => "Spearman",
        "multirc_f1a" => "F1a",
        "multirc_exact_match" => "EM",
        other => return other.to_string(),
    }
    .to_string()
}

/// Returns the position of a metric within its task: the paper's order, then alphabetical.
pub fn metric_rank(task: &str, metric: &str) -> usize {
    task_info(task).and_then(|info| info.metrics.iter().position(|m| *m == metric)).unwrap_or(usize::MAX)
}

/// Method `type` tags in the paper's row order.
const METHODS: &[(&str, &str)] = &[
    ("prompt_tuning", "Simple PT"),
    ("residual_prompt_tuning", "Residual PT"),
    ("attempt", "ATTEMPT"),
    ("superpos_prompt_tuning", "SuperPos PT"),
    ("full_fine_tuning", "Full fine-tuning"),
];

/// The method excluded from the standardised scoring, as in the paper's Table 2: ATTEMPT has no
/// QQP, QNLI, MNLI and SST-2 scores because those tasks train its source prompts.
pub const ATTEMPT: &str = "attempt";

/// Maps a method name to the harness's `type` tag (`superpos` becomes `superpos_prompt_tuning`,
/// `full_finetuning` becomes `full_fine_tuning`). Unknown names are kept.
pub fn canonical_method(name: &str) -> String {
    let folded = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let tag = match folded.as_str() {
        "superpos" | "superpos_pt" | "superpos_prompt" => "superpos_prompt_tuning",
        "full_finetuning" | "fine_tuning" | "finetuning" | "full_ft" => "full_fine_tuning",
        "residual" | "residual_pt" => "residual_prompt_tuning",
        "pt" | "simple_pt" | "simple_prompt_tuning" => "prompt_tuning",
        _ => return folded,
    };
    tag.to_string()
}

/// Returns the method's name as the paper's rows print it.
pub fn method_display(tag: &str) -> String {
    METHODS.iter().find(|(t, _)| *t == tag).map(|(_, display)| display.to_string()).unwrap_or_else(|| tag.to_string())
}

pub fn method_rank(tag: &str) -> usize {
    METHODS.iter().position(|(t, _)| *t == tag).unwrap_or(METHODS.len())
}

/// Backbones in the paper's order (small before base); others follow alphabetically.
const MODELS: &[&str] = &["t5-small-lm-adapt", "t5-base-lm-adapt"];

pub fn model_rank(model: &str) -> usize {
    MODELS.iter().position(|m| *m == model).unwrap_or(MODELS.len())
}

/// Guesses the backbone family from a model name, for score files without a `family` column.
/// Returns `None` when the name gives no hint.
pub fn family_from_model(model: &str) -> Option<&'static str> {
    let folded = model.to_ascii_lowercase();
    if folded.starts_with("t5") || folded.contains("/t5") || folded.contains("-t5") {
        Some("t5")
    } else if folded.contains("bert") || folded.contains("minilm") {
        Some("bert")
    } else {
        None
    }
}

/// Parses a yes/no value: `on`/`off`, `true`/`false`, `yes`/`no` or `1`/`0`, as score files write
/// dropout settings and invalid-label marks.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

pub fn dropout_display(dropout: bool) -> &'static str {
    if dropout {
        "on"
    } else {
        "off"
    }
}

/// The sort key of a table row: backbone, method and dropout in the paper's order (dropout on first).
pub fn row_order(model: &str, method: &str, dropout: bool) -> (usize, String, usize, String, bool) {
    (model_rank(model), model.to_string(), method_rank(method), method.to_string(), !dropout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_task_names_map_to_record_names() {
        assert_eq!(canonical_task("SST-2"), "sst2");
        assert_eq!(canonical_task("STS-B"), "stsb");
        assert_eq!(canonical_task("MultiRC"), "multirc");
        assert_eq!(canonical_task("boolq"), "boolq");
        assert_eq!(canonical_task("SST2"), "sst2");
        assert_eq!(canonical_task("Unknown-Task"), "unknown-task");
    }

    #[test]
    fn ambiguous_metric_names_use_the_task() {
        assert_eq!(canonical_metric("cb", "f1"), "macro_f1");
        assert_eq!(canonical_metric("mrpc", "f1"), "f1");
        assert_eq!(canonical_metric("multirc", "em"), "multirc_exact_match");
        assert_eq!(canonical_metric("multirc", "f1a"), "multirc_f1a");
        assert_eq!(canonical_metric("rte", "Accuracy"), "accuracy");
    }

    #[test]
    fn paper_method_names_map_to_tags() {
        assert_eq!(canonical_method("superpos"), "superpos_prompt_tuning");
        assert_eq!(canonical_method("full_finetuning"), "full_fine_tuning");
        assert_eq!(canonical_method("prompt_tuning"), "prompt_tuning");
        assert_eq!(method_display("superpos_prompt_tuning"), "SuperPos PT");
    }

    #[test]
    fn family_guessed_from_model_name() {
        assert_eq!(family_from_model("t5-base-lm-adapt"), Some("t5"));
        assert_eq!(family_from_model("google/t5-small-lm-adapt"), Some("t5"));
        assert_eq!(family_from_model("all-MiniLM-L6-v2"), Some("bert"));
        assert_eq!(family_from_model("gpt2"), None);
    }
}
