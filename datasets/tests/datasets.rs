//! Integration tests of the datasets crate: loading real rows from the official layout and
//! Hugging Face exports, golden formatting per task and protocol, splits, tokenization with the
//! real T5 tokenizer, metrics against scikit-learn and SciPy reference values, and verification.
//!
//! Fixtures under `tests/fixtures/`:
//! - `official/` contains the first rows of the real release files, except
//!   `glue/QQP/train.tsv`: two constructed rows in the official column layout, because no QQP
//!   copy is stored.
//! - `hf/` contains the CoLA rows as `Dataset.to_json` writes them, and the official STS-B and
//!   MultiRC validation rows as snappy parquet in the `datasets` schema (float32 STS-B scores,
//!   MultiRC's `idx` as a struct), written with pyarrow 26.0.1.
//! - `hf-invalid/` contains parquet files written with pyarrow 26.0.1 to be rejected: SST-2 with a
//!   null label in row 2, CoLA compressed with zstd.
//! - `t5-tokenizer.json` is the T5 tokenizer shared by t5-small/base and T5 v1.1.
//! - `metrics-reference.json` was produced with scikit-learn 1.9.1 and SciPy 1.17.1.

use std::fs;
use std::path::{Path, PathBuf};

use superpos_datasets::metrics;
use superpos_datasets::split::shuffled_indices;
use superpos_datasets::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Opens the official-layout fixtures, with the embedded CB, COPA and RTE behind them.
fn official() -> DataDir {
    DataDir::new(fixtures().join("official"))
}

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Golden formatting: the first training example of each task (the first validation or test
// example where no training file is stored) under every protocol.

enum Source {
    Exact(&'static str),
    /// Sources with a long passage: the first and last characters and the length in characters.
    Long {
        start: &'static str,
        end: &'static str,
        chars: usize,
    },
}

struct Golden {
    task: Task,
    split: Split,
    /// The `residual-pt` and `official` source; `compacter` adds its prefix and a space.
    source: Source,
    compacter_prefix: &'static str,
    /// The `residual-pt` and `official` target.
    word: &'static str,
    /// The `compacter` target.
    index: &'static str,
    label: Prediction,
}

fn golden_cases() -> Vec<Golden> {
    use Prediction::{Class, Score};
    vec![
        Golden {
            task: Task::Qqp,
            split: Split::Train,
            source: Source::Exact("question1: How do I learn Rust quickly? question2: What is the fastest way to learn Rust?"),
            compacter_prefix: "qqp",
            word: "duplicate",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Qnli,
            split: Split::Validation,
            source: Source::Exact("question: What came into force after the new constitution was herald? sentence: As of that day, the new constitution heralding the Second Republic came into force."),
            compacter_prefix: "qnli",
            word: "entailment",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Mnli,
            split: Split::ValidationMatched,
            source: Source::Exact("premise: The new rights are nice enough hypothesis: Everyone really likes the newest benefits "),
            compacter_prefix: "mnli",
            word: "neutral",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Sst2,
            split: Split::Train,
            source: Source::Exact("sentence: hide new secretions from the parental units "),
            compacter_prefix: "sst2",
            word: "negative",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Stsb,
            split: Split::Train,
            source: Source::Exact("sentence1: A plane is taking off. sentence2: An air plane is taking off."),
            compacter_prefix: "stsb",
            word: "5.0",
            index: "5.0",
            label: Score(5.0),
        },
        Golden {
            task: Task::Mrpc,
            split: Split::Train,
            source: Source::Exact("sentence1: Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence . sentence2: Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence ."),
            compacter_prefix: "mrpc",
            word: "equivalent",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Cola,
            split: Split::Train,
            source: Source::Exact("sentence: Our friends won't buy this analysis, let alone the next one we propose."),
            compacter_prefix: "cola",
            word: "acceptable",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Multirc,
            split: Split::Train,
            source: Source::Long {
                start: "question: What did the high-level effort to persuade Pakistan include? answer: Children, Gerd, or Dorian Popa paragraph: While this process moved along, diplomacy continued its rounds.",
                end: "deal with another issue or two.\" The U.S. effort continued. ",
                chars: 2245,
            },
            compacter_prefix: "superglue-multirc",
            word: "false",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Rte,
            split: Split::Train,
            source: Source::Exact("premise: No Weapons of Mass Destruction Found in Iraq Yet. hypothesis: Weapons of Mass Destruction Found in Iraq."),
            compacter_prefix: "superglue-rte",
            word: "not_entailment",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Cb,
            split: Split::Train,
            source: Source::Exact("premise: It was a complex language. Not written down but handed down. One might say it was peeled down. hypothesis: the language was peeled down"),
            compacter_prefix: "superglue-cb",
            word: "entailment",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Copa,
            split: Split::Train,
            source: Source::Exact("premise: My body cast a shadow over the grass. question: cause choice1: The sun was rising. choice2: The grass was cut."),
            compacter_prefix: "superglue-copa",
            word: "false",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Wic,
            split: Split::Train,
            source: Source::Exact("word: place sentence1: Do you want to come over to my place later? sentence2: A political system with no place for the less prominent groups."),
            compacter_prefix: "superglue-wic",
            word: "false",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Boolq,
            split: Split::Validation,
            source: Source::Long {
                start: "question: does ethanol take more energy make that produces passage: Ethanol fuel -- All biomass goes through at least some of these steps:",
                end: " from corn uses much less petroleum than producing gasoline.",
                chars: 1452,
            },
            compacter_prefix: "superglue-boolq",
            word: "false",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::Wnli,
            split: Split::Train,
            source: Source::Exact("sentence1: I stuck a pin through a carrot. When I pulled the pin out, it had a hole. sentence2: The carrot had a hole."),
            compacter_prefix: "wnli",
            word: "entailment",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::GlueRte,
            split: Split::Train,
            source: Source::Exact("sentence1: No Weapons of Mass Destruction Found in Iraq Yet. sentence2: Weapons of Mass Destruction Found in Iraq."),
            compacter_prefix: "rte",
            word: "not_entailment",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::Wsc,
            split: Split::Train,
            source: Source::Exact("span1_text: Mark span2_text: He text: Mark told Pete many lies about himself, which Pete included in his book. He should have been more skeptical."),
            compacter_prefix: "superglue-wsc.fixed",
            word: "false",
            index: "0",
            label: Class(0),
        },
        Golden {
            task: Task::AxB,
            split: Split::Test,
            source: Source::Exact("sentence1: The cat sat on the mat. sentence2: The cat did not sit on the mat."),
            compacter_prefix: "superglue-axb",
            word: "not_entailment",
            index: "1",
            label: Class(1),
        },
        Golden {
            task: Task::AxG,
            split: Split::Test,
            source: Source::Exact("premise: The taxpayer met with the accountant to get help filing his taxes. hypothesis: The accountant sought help filing taxes."),
            compacter_prefix: "superglue-axg",
            word: "not_entailment",
            index: "1",
            label: Class(1),
        },
    ]
}

fn check_source(actual: &str, expected: &Source, prefix: Option<&str>, context: &str) {
    let strip = |s: &'static str| -> String {
        match prefix {
            Some(p) => format!("{p} {s}"),
            None => s.to_string(),
        }
    };
    match expected {
        Source::Exact(text) => assert_eq!(actual, strip(text), "{context}"),
        Source::Long { start, end, chars } => {
            assert!(
                actual.starts_with(&strip(start)),
                "{context}: {actual:.200}"
            );
            assert!(actual.ends_with(end), "{context}");
            let prefix_chars = prefix.map_or(0, |p| p.chars().count() + 1);
            assert_eq!(actual.chars().count(), chars + prefix_chars, "{context}");
        }
    }
}

#[test]
fn golden_first_example_per_task_and_protocol() {
    let data = official();
    let cases = golden_cases();
    // Every paper task has a golden case.
    for task in Task::PAPER {
        assert!(
            cases.iter().any(|c| c.task == task),
            "no golden case for {task}"
        );
    }
    for case in &cases {
        let dataset = data.load(case.task, case.split).unwrap();
        let example = &dataset.examples[0];
        for protocol in Protocol::ALL {
            let context = format!("{} {} {}", case.task, case.split, protocol);
            let resolved = protocol.resolve(case.task).unwrap();
            let pair = resolved.format(example).unwrap();
            let (prefix, target) = match protocol {
                Protocol::Compacter => (Some(case.compacter_prefix), case.index),
                Protocol::ResidualPt | Protocol::Official => (None, case.word),
            };
            check_source(&pair.source, &case.source, prefix, &context);
            assert_eq!(pair.target.as_deref(), Some(target), "{context}");
            assert_eq!(resolved.parse_prediction(target), case.label, "{context}");
        }
    }
}

#[test]
fn stsb_compacter_target_uses_grid() {
    let dataset = official().load(Task::Stsb, Split::Train).unwrap();
    // The second row's score is 3.800, the third's 3.800 as well; the grid keeps them.
    let compacter = Protocol::Compacter.resolve(Task::Stsb).unwrap();
    let scores: Vec<f64> = dataset
        .examples
        .iter()
        .map(|e| e.score().unwrap())
        .collect();
    assert_eq!(scores, vec![5.0, 3.8, 3.8]);
    let targets: Vec<String> = dataset
        .examples
        .iter()
        .map(|e| compacter.format(e).unwrap().target.unwrap())
        .collect();
    assert_eq!(targets, vec!["5.0", "3.8", "3.8"]);
}

// ---------------------------------------------------------------------------------------------
// Loading.

#[test]
fn mrpc_train_is_rebuilt_without_dev_pairs() {
    let dataset = official().load(Task::Mrpc, Split::Train).unwrap();
    // The fixture has 11 corpus rows, and the pair on line 11 (1355540, 1355592) is a dev pair.
    assert_eq!(dataset.len(), 10);
    assert!(
        dataset.source.ends_with("dev_ids.tsv"),
        "{}",
        dataset.source
    );
    let lines: Vec<usize> = dataset.examples.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
    assert!(dataset.examples.iter().all(|e| !e
        .field("sentence1")
        .unwrap()
        .starts_with("He said the foodservice pie business")));
}

#[test]
fn mrpc_dev_header_with_byte_order_mark() {
    let dataset = official().load(Task::Mrpc, Split::Validation).unwrap();
    assert_eq!(dataset.len(), 3);
    assert_eq!(dataset.examples[0].class(), Some(1));
    assert!(dataset.examples[0]
        .field("sentence1")
        .unwrap()
        .starts_with("He said the foodservice pie business"));
}

#[test]
fn mrpc_test_labels_from_msr_file() {
    let dataset = official().load(Task::Mrpc, Split::Test).unwrap();
    assert!(
        dataset.source.ends_with("msr_paraphrase_test.txt"),
        "{}",
        dataset.source
    );
    let labels: Vec<Option<u32>> = dataset.examples.iter().map(Example::class).collect();
    assert_eq!(labels, vec![Some(1), Some(1), Some(1)]);
}

#[test]
fn multirc_answers_share_question_groups() {
    let dataset = official().load(Task::Multirc, Split::Train).unwrap();
    let first_question = dataset.examples[0].field("question").unwrap().to_string();
    let same_group: Vec<&Example> = dataset
        .examples
        .iter()
        .filter(|e| e.group == Some(0))
        .collect();
    assert!(same_group.len() > 1);
    assert!(same_group
        .iter()
        .all(|e| e.field("question") == Some(first_question.as_str())));
    assert_eq!(
        dataset.group_count(),
        Some(dataset.examples.last().unwrap().group.unwrap() + 1)
    );
}

#[test]
fn embedded_files_match_the_release_copies() {
    for task in Task::EMBEDDED {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let from_disk = DataDir::only(&dir).load(task, Split::Train).unwrap();
        let embedded = DataDir::embedded().load(task, Split::Train).unwrap();
        assert_eq!(embedded.examples, from_disk.examples, "{task}");
        assert!(
            embedded.source.starts_with("<embedded>/superglue/"),
            "{}",
            embedded.source
        );
    }
}

#[test]
fn missing_field_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "superglue/CB/train.jsonl",
        "{\"premise\": \"p\", \"hypothesis\": \"h\", \"label\": \"neutral\", \"idx\": 0}\n{\"premise\": \"p\", \"label\": \"neutral\", \"idx\": 1}\n",
    );
    let err = DataDir::only(dir.path())
        .load(Task::Cb, Split::Train)
        .unwrap_err();
    let path = dir.path().join("superglue/CB/train.jsonl");
    assert_eq!(
        err.to_string(),
        format!("{}:2: missing field `hypothesis`", path.display())
    );
}

#[test]
fn missing_tsv_column_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "glue/RTE/train.tsv",
        "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n1\tA.\tB.\n",
    );
    let err = DataDir::only(dir.path())
        .load(Task::GlueRte, Split::Train)
        .unwrap_err();
    let path = dir.path().join("glue/RTE/train.tsv");
    assert_eq!(
        err.to_string(),
        format!("{}:3: missing field `label`", path.display())
    );
}

#[test]
fn missing_hf_field_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "hf/glue/sst2/train.jsonl",
        "{\"sentence\": \"good\", \"label\": 1, \"idx\": 0}\n{\"sentence\": \"bad\", \"idx\": 1}\n",
    );
    let err = DataDir::only(dir.path())
        .load(Task::Sst2, Split::Train)
        .unwrap_err();
    let path = dir.path().join("hf/glue/sst2/train.jsonl");
    assert_eq!(
        err.to_string(),
        format!("{}:2: missing field `label`", path.display())
    );
}

#[test]
fn invalid_label_value_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "glue/QNLI/dev.tsv",
        "index\tquestion\tsentence\tlabel\n0\tQ?\tS.\tmaybe\n",
    );
    let err = DataDir::only(dir.path())
        .load(Task::Qnli, Split::Validation)
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("dev.tsv:2: invalid value \"maybe\" in field `label`"),
        "{message}"
    );
    assert!(message.contains("entailment, not_entailment"), "{message}");
}

#[test]
fn byte_order_mark_and_no_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "glue/SST-2/train.tsv",
        "\u{feff}sentence\tlabel\nfine film \t1\ndull \t0",
    );
    let dataset = DataDir::only(dir.path())
        .load(Task::Sst2, Split::Train)
        .unwrap();
    assert_eq!(dataset.len(), 2);
    assert_eq!(dataset.examples[1].field("sentence"), Some("dull "));
    assert_eq!(dataset.examples[1].class(), Some(0));
}

#[test]
fn hf_export_matches_official_rows() {
    let hf = DataDir::only(fixtures())
        .load(Task::Cola, Split::Train)
        .unwrap();
    let official = official().load(Task::Cola, Split::Train).unwrap();
    assert!(
        hf.source.ends_with("hf/glue/cola/train.jsonl"),
        "{}",
        hf.source
    );
    // The export numbers its rows with `idx`; the official training file has no index column.
    for (i, (ours, theirs)) in hf.examples.iter().zip(&official.examples).enumerate() {
        assert_eq!(ours.fields, theirs.fields);
        assert_eq!(ours.label, theirs.label);
        assert_eq!(ours.idx, Some(SourceIndex::Row(i)));
        assert_eq!(theirs.idx, None);
    }
    assert_eq!(hf.len(), official.len());
}

#[test]
fn parquet_exports_match_official_rows() {
    // STS-B as a hub shard with float32 scores, MultiRC with its `idx` struct column.
    for (task, file) in [
        (Task::Stsb, "hf/glue/stsb/validation-00000-of-00001.parquet"),
        (Task::Multirc, "hf/super_glue/multirc/validation.parquet"),
    ] {
        let hf = DataDir::only(fixtures())
            .load(task, Split::Validation)
            .unwrap();
        let official = official().load(task, Split::Validation).unwrap();
        assert!(hf.source.ends_with(file), "{}", hf.source);
        assert_eq!(hf.len(), official.len(), "{task}");
        for (ours, theirs) in hf.examples.iter().zip(&official.examples) {
            assert_eq!(ours.fields, theirs.fields, "{task}");
            assert_eq!(ours.label, theirs.label, "{task}");
            assert_eq!(ours.group, theirs.group, "{task}");
        }
    }
    let stsb = DataDir::only(fixtures())
        .load(Task::Stsb, Split::Validation)
        .unwrap();
    assert_eq!(stsb.examples[1].score(), Some(4.75));
}

#[test]
fn parquet_null_label_names_row() {
    let root = fixtures().join("hf-invalid");
    let err = DataDir::only(&root)
        .load(Task::Sst2, Split::Train)
        .unwrap_err();
    let path = root.join("hf/glue/sst2/train.parquet");
    assert_eq!(
        err.to_string(),
        format!("{}:2: missing field `label`", path.display())
    );
}

#[test]
fn parquet_with_unread_codec_names_column_and_fix() {
    let root = fixtures().join("hf-invalid");
    let err = DataDir::only(&root)
        .load(Task::Cola, Split::Train)
        .unwrap_err();
    let message = err.to_string();
    let path = root.join("hf/glue/cola/train.parquet");
    assert!(
        message.starts_with(&format!(
            "{}: column `sentence` is compressed with ZSTD, which this build does not read;",
            path.display()
        )),
        "{message}"
    );
    assert!(message.contains("snappy"), "{message}");
}

#[test]
fn corrupt_parquet_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "hf/super_glue/boolq/train-00000-of-00001.parquet",
        "not parquet",
    );
    let err = DataDir::only(dir.path())
        .load(Task::Boolq, Split::Train)
        .unwrap_err();
    let path = dir
        .path()
        .join("hf/super_glue/boolq/train-00000-of-00001.parquet");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read parquet: ", path.display())),
        "{err}"
    );
}

#[test]
fn data_dir_falls_back_to_embedded() {
    let dataset = official().load(Task::Copa, Split::Validation).unwrap();
    assert_eq!(dataset.source, "<embedded>/superglue/COPA/val.jsonl");
    assert_eq!(dataset.len(), 100);
    let err = DataDir::only(fixtures().join("official"))
        .load(Task::Copa, Split::Validation)
        .unwrap_err();
    assert!(matches!(err, DatasetError::SplitNotFound { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Splits.

#[test]
fn residual_pt_halves_cb_validation() {
    let protocol = Protocol::ResidualPt.resolve(Task::Cb).unwrap();
    let splits = protocol.splits(&DataDir::embedded()).unwrap();
    assert_eq!(splits.train.len(), 250);
    assert_eq!(splits.validation.len(), 28);
    assert_eq!(splits.test.len(), 28);
    // Together the halves are the official validation set, reordered by the seed-0 shuffle.
    let official = DataDir::embedded()
        .load(Task::Cb, Split::Validation)
        .unwrap();
    let order = shuffled_indices(official.len(), 0);
    let lines: Vec<usize> = splits
        .validation
        .iter()
        .chain(&splits.test)
        .map(|e| e.line)
        .collect();
    let expected: Vec<usize> = order.iter().map(|&i| official.examples[i].line).collect();
    assert_eq!(lines, expected);
}

#[test]
fn splits_are_deterministic_per_seed() {
    let data = DataDir::embedded();
    let resolved = Protocol::Compacter.resolve(Task::Rte).unwrap();
    let first = resolved.splits(&data).unwrap();
    let second = resolved.splits(&data).unwrap();
    assert_eq!(first, second);
    let reseeded = resolved.clone().with_split_seed(1).splits(&data).unwrap();
    assert_ne!(reseeded.validation, first.validation);
    assert_eq!(first.validation.len(), 138);
    assert_eq!(first.test.len(), 139);
}

#[test]
fn official_protocol_has_no_test_set() {
    let splits = Protocol::Official
        .resolve(Task::Copa)
        .unwrap()
        .splits(&DataDir::embedded())
        .unwrap();
    assert_eq!(
        (
            splits.train.len(),
            splits.validation.len(),
            splits.test.len()
        ),
        (400, 100, 0)
    );
    assert_eq!(
        splits.sources,
        vec![
            "<embedded>/superglue/COPA/train.jsonl",
            "<embedded>/superglue/COPA/val.jsonl"
        ]
    );
}

#[test]
fn multirc_split_keeps_questions_whole() {
    let splits = Protocol::ResidualPt
        .resolve(Task::Multirc)
        .unwrap()
        .splits(&official())
        .unwrap();
    let validation_groups: Vec<usize> =
        splits.validation.iter().map(|e| e.group.unwrap()).collect();
    assert!(!validation_groups.is_empty());
    assert!(splits
        .test
        .iter()
        .all(|e| !validation_groups.contains(&e.group.unwrap())));
}

// ---------------------------------------------------------------------------------------------
// Tokenization with the real T5 tokenizer.

fn encoder(max_source_len: usize, prompt_len: usize) -> Encoder {
    let tokenizer = tokenizers::Tokenizer::from_file(fixtures().join("t5-tokenizer.json")).unwrap();
    Encoder::new(tokenizer, max_source_len, 8, prompt_len).unwrap()
}

const PAIR_IDS: [u32; 21] = [
    7142, 536, 10, 37, 1712, 3, 7, 144, 30, 8, 6928, 5, 7142, 357, 10, 71, 1712, 19, 3823, 5, 1,
];

#[test]
fn encoder_matches_reference_ids() {
    let pair = TextPair {
        source: "sentence1: The cat sat on the mat. sentence2: A cat is sitting.".to_string(),
        target: Some("not_entailment".to_string()),
    };
    let encoded = encoder(512, 10).encode(&pair).unwrap();
    assert_eq!(encoded.source_ids, PAIR_IDS);
    assert_eq!(encoded.target_ids, vec![59, 834, 35, 5756, 297, 1]);
    assert!(!encoded.truncated);
}

#[test]
fn truncation_counts_prompt_length() {
    let pair = TextPair {
        source: "sentence1: The cat sat on the mat. sentence2: A cat is sitting.".to_string(),
        target: None,
    };
    // 12 positions, 5 taken by the prompt: 6 text tokens and </s>.
    let encoded = encoder(12, 5).encode(&pair).unwrap();
    assert_eq!(encoded.source_ids, vec![7142, 536, 10, 37, 1712, 3, 1]);
    assert!(encoded.truncated);
    assert!(encoded.target_ids.is_empty());
}

#[test]
fn encoder_rejects_prompt_longer_than_limit() {
    let tokenizer = tokenizers::Tokenizer::from_file(fixtures().join("t5-tokenizer.json")).unwrap();
    let err = Encoder::new(tokenizer, 10, 8, 9).err().unwrap();
    assert_eq!(
        err.to_string(),
        "invalid max_source_len = 10: must be at least the prompt length 9 plus 2"
    );
}

#[test]
fn every_target_fits_target_length() {
    let encoder = encoder(512, 0);
    for protocol in Protocol::ALL {
        for task in Task::ALL.into_iter().filter(|&t| t != Task::Record) {
            let resolved = protocol.resolve(task).unwrap();
            let mut targets = resolved.class_targets();
            if task == Task::Stsb {
                targets = (0..=50)
                    .map(|i| {
                        resolved
                            .target_text(&Label::Score(i as f64 / 10.0))
                            .unwrap()
                    })
                    .collect();
            }
            for target in targets {
                let ids = encoder.tokenizer().encode(target.as_str(), false).unwrap();
                assert!(
                    ids.get_ids().len() < resolved.max_target_len,
                    "{protocol} {task} target {target:?} has {} tokens",
                    ids.get_ids().len()
                );
                // Decoding the target's tokens gives back the target, so it parses as valid.
                let decoded = encoder.decode(ids.get_ids()).unwrap();
                assert_ne!(
                    resolved.parse_prediction(&decoded),
                    Prediction::Invalid,
                    "{protocol} {task} {decoded:?}"
                );
            }
        }
    }
}

#[test]
fn batches_from_real_examples() {
    let protocol = Protocol::ResidualPt.resolve(Task::Cb).unwrap();
    let dataset = DataDir::embedded()
        .load(Task::Cb, Split::Validation)
        .unwrap();
    let pairs: Vec<TextPair> = dataset
        .examples
        .iter()
        .map(|e| protocol.format(e).unwrap())
        .collect();
    let encoder = encoder(protocol.max_source_len, 10);
    let encoded = encoder.encode_all(&pairs).unwrap();

    let batches = evaluation_batches(&encoded, 8, encoder.pad_id());
    assert_eq!(batches.len(), 7);
    let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.examples.clone()).collect();
    seen.sort();
    assert_eq!(seen, (0..56).collect::<Vec<_>>());

    for batch in &batches {
        assert_eq!(batch.input_ids.len(), batch.rows * batch.source_len);
        assert_eq!(batch.attention_mask.len(), batch.rows * batch.source_len);
        assert_eq!(batch.labels.len(), batch.rows * batch.target_len);
        // Every row ends its tokens with </s> and its labels with </s> or padding.
        for row in 0..batch.rows {
            let mask = &batch.attention_mask[row * batch.source_len..(row + 1) * batch.source_len];
            let tokens = mask.iter().filter(|&&m| m == 1).count();
            assert_eq!(
                batch.input_ids[row * batch.source_len + tokens - 1],
                encoder.eos_id()
            );
        }
    }

    let lengths: Vec<usize> = batches.iter().map(|b| b.source_len).collect();
    let mut sorted = lengths.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(lengths, sorted, "longest batches first");
}

// ---------------------------------------------------------------------------------------------
// Metrics against scikit-learn 1.9.1 and SciPy 1.17.1.

fn reference() -> serde_json::Value {
    // Python writes undefined correlations as the non-standard token NaN; read them as null,
    // where this crate defines the value as 0.
    let text = fs::read_to_string(fixtures().join("metrics-reference.json")).unwrap();
    serde_json::from_str(&text.replace("NaN", "null")).unwrap()
}

fn numbers<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Vec<T> {
    serde_json::from_value(value.clone()).unwrap()
}

fn expected(value: &serde_json::Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

fn assert_close(actual: f64, expected: f64, context: &str) {
    assert!(
        (actual - expected).abs() < 1e-12,
        "{context}: {actual} != {expected}"
    );
}

#[test]
fn classification_metrics_match_reference() {
    let reference = reference();
    let cases = reference["classification"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let gold: Vec<u32> = numbers(&case["gold"]);
        let pred: Vec<Option<u32>> = numbers::<u32>(&case["pred"])
            .into_iter()
            .map(Some)
            .collect();
        assert_close(
            metrics::accuracy(&gold, &pred).unwrap(),
            expected(&case["accuracy"]),
            name,
        );
        assert_close(
            metrics::mcc(&gold, &pred).unwrap(),
            expected(&case["mcc"]),
            name,
        );
        if let Some(f1) = case.get("f1_binary_pos1") {
            assert_close(
                metrics::f1_binary(&gold, &pred).unwrap(),
                expected(f1),
                name,
            );
        }
        if let Some(f1) = case.get("f1_macro") {
            assert_close(
                metrics::macro_f1(&gold, &pred, 3).unwrap(),
                expected(f1),
                name,
            );
        }
    }
}

#[test]
fn one_class_predictions_give_mcc_zero() {
    let reference = reference();
    let case = &reference["classification"][1];
    assert_eq!(case["name"], "binary_all_one_class_pred");
    let gold: Vec<u32> = numbers(&case["gold"]);
    let pred = vec![Some(1); gold.len()];
    assert_eq!(metrics::mcc(&gold, &pred).unwrap(), 0.0);
    // One class in the gold labels as well.
    assert_eq!(
        metrics::mcc(&[1, 1, 1], &[Some(1), Some(1), Some(0)]).unwrap(),
        0.0
    );
}

#[test]
fn correlations_match_reference_with_ties() {
    let reference = reference();
    let cases = reference["correlation"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let gold: Vec<f64> = numbers(&case["gold"]);
        let pred: Vec<f64> = numbers(&case["pred"]);
        assert_close(
            metrics::pearson(&gold, &pred).unwrap(),
            expected(&case["pearson"]),
            name,
        );
        assert_close(
            metrics::spearman(&gold, &pred).unwrap(),
            expected(&case["spearman_ties_averaged"]),
            name,
        );
    }
}

#[test]
fn constant_predictions_give_correlation_zero() {
    let reference = reference();
    let case = &reference["correlation"][2];
    assert_eq!(case["name"], "constant_pred");
    assert!(case["pearson"].is_null(), "the reference value is NaN");
    let gold: Vec<f64> = numbers(&case["gold"]);
    let pred: Vec<f64> = numbers(&case["pred"]);
    assert_eq!(metrics::pearson(&gold, &pred).unwrap(), 0.0);
    assert_eq!(metrics::spearman(&gold, &pred).unwrap(), 0.0);
}

#[test]
fn multirc_metrics_match_reference() {
    let reference = reference();
    let mut groups = Vec::new();
    let mut gold = Vec::new();
    let mut pred = Vec::new();
    for (group, question) in reference["multirc"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let question_gold: Vec<u32> = numbers(&question["gold"]);
        let question_pred: Vec<u32> = numbers(&question["pred"]);
        groups.extend(std::iter::repeat_n(group, question_gold.len()));
        gold.extend(question_gold);
        pred.extend(question_pred.into_iter().map(Some));
    }
    let (f1a, exact) = metrics::multirc(&groups, &gold, &pred).unwrap();
    assert_close(f1a, expected(&reference["multirc"]["f1a"]), "f1a");
    assert_close(exact, expected(&reference["multirc"]["em"]), "em");
}

#[test]
fn task_score_counts_invalid_generations() {
    let protocol = Protocol::ResidualPt.resolve(Task::Cb).unwrap();
    let dataset = DataDir::embedded()
        .load(Task::Cb, Split::Validation)
        .unwrap();
    let examples = &dataset.examples[..4];
    // Gold: contradiction, neutral, entailment, contradiction (the first four validation rows).
    let gold: Vec<u32> = examples.iter().map(|e| e.class().unwrap()).collect();
    assert_eq!(gold, vec![1, 2, 0, 1]);
    let generated = ["contradiction", "banana", "contradiction", "contradiction"];
    let predictions: Vec<Prediction> = generated
        .iter()
        .map(|g| protocol.parse_prediction(g))
        .collect();
    assert_eq!(predictions[1], Prediction::Invalid);
    let score = score_task(Task::Cb, examples, &predictions).unwrap();
    assert_eq!(score.invalid, 1);
    assert_eq!(
        score.metrics[1],
        MetricValue {
            metric: Metric::Accuracy,
            value: 0.5
        }
    );
    // Per-class F1: entailment 0 (missed), contradiction 2*2/(2*2+1) = 0.8, neutral 0 (missed
    // by the invalid output).
    assert_close(score.metrics[0].value, 0.8 / 3.0, "macro_f1");
    assert_close(score.score, (0.8 / 3.0 + 0.5) / 2.0, "score");
}

// ---------------------------------------------------------------------------------------------
// Verification.

#[test]
fn verify_accepts_complete_official_copy() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/superglue/CB");
    for file in ["train.jsonl", "val.jsonl", "test.jsonl"] {
        write(
            dir.path(),
            &format!("superglue/CB/{file}"),
            &fs::read_to_string(source.join(file)).unwrap(),
        );
    }

    let report = verify_data_dir(dir.path());
    assert!(!report.has_mismatch(), "{report}");
    let found: Vec<(Task, Split, usize)> = report
        .splits
        .iter()
        .map(|s| (s.task, s.split, s.rows))
        .collect();
    assert_eq!(
        found,
        vec![
            (Task::Cb, Split::Train, 250),
            (Task::Cb, Split::Validation, 56),
            (Task::Cb, Split::Test, 250)
        ]
    );
    assert_eq!(report.splits[0].labels["neutral"], 16);

    let missing = report.missing_by_task();
    assert!(
        missing.contains(&"qqp (train, validation)".to_string()),
        "{missing:?}"
    );
    assert!(
        missing.contains(&"mnli (train, validation_matched, validation_mismatched)".to_string()),
        "{missing:?}"
    );
    assert!(!missing.iter().any(|m| m.starts_with("cb ")), "{missing:?}");
    assert!(report
        .to_string()
        .contains("every split present matches the official numbers"));
}

#[test]
fn verify_flags_counts_and_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "glue/RTE/train.tsv",
        "index\tsentence1\tsentence2\tlabel\n0\tA.\tB.\tentailment\n",
    );
    write(dir.path(), "superglue/WiC/val.jsonl", "{\"word\": \"w\"}\n");
    let report = verify_data_dir(dir.path());
    assert!(report.has_mismatch());
    let rte = report
        .splits
        .iter()
        .find(|s| s.task == Task::GlueRte)
        .unwrap();
    assert_eq!(
        rte.problems,
        vec!["1 rows, expected 2490", "no row has label not_entailment"]
    );
    let wic = report.splits.iter().find(|s| s.task == Task::Wic).unwrap();
    assert_eq!(wic.problems.len(), 1);
    assert!(
        wic.problems[0].ends_with("val.jsonl:1: missing field `sentence1`"),
        "{:?}",
        wic.problems
    );
    assert!(report.to_string().contains("MISMATCH"));
}

#[test]
fn verify_loads_every_fixture_split() {
    let report = verify_data_dir(&fixtures().join("official"));
    let found: Vec<String> = report
        .splits
        .iter()
        .map(|s| format!("{} {}", s.task, s.split))
        .collect();
    assert_eq!(
        found,
        vec![
            "cola train",
            "cola validation",
            "cola test",
            "sst2 train",
            "sst2 validation",
            "mrpc train",
            "mrpc validation",
            "mrpc test",
            "stsb train",
            "stsb validation",
            "qqp train",
            "mnli validation_matched",
            "qnli validation",
            "glue-rte train",
            "glue-rte validation",
            "wnli train",
            "wnli validation",
            "ax test",
            "boolq validation",
            "multirc train",
            "multirc validation",
            "wic train",
            "wic validation",
            "wsc train",
            "wsc validation",
            "ax-b test",
            "ax-g test",
        ]
    );
    // Every fixture file parses, so each split names its file and differs only in row counts
    // and label coverage from the full official split.
    for split in &report.splits {
        assert!(
            !split.source.is_empty(),
            "{} {}: {:?}",
            split.task,
            split.split,
            split.problems
        );
        assert!(split.rows > 0, "{} {}", split.task, split.split);
    }
    assert!(report.has_mismatch());
}

// ---------------------------------------------------------------------------------------------
// Benchmark indices, which submission files refer to.

#[test]
fn test_rows_keep_benchmark_index() {
    let cola = official().load(Task::Cola, Split::Test).unwrap();
    let indices: Vec<_> = cola.examples.iter().map(|e| e.idx).collect();
    assert_eq!(indices, vec![Some(SourceIndex::Row(0)), Some(SourceIndex::Row(1)), Some(SourceIndex::Row(2))]);
    assert_eq!(cola.examples[0].label, None);

    let cb = official().load(Task::Cb, Split::Test).unwrap();
    assert_eq!(cb.examples[0].idx, Some(SourceIndex::Row(0)));
    assert_eq!(cb.examples[249].idx, Some(SourceIndex::Row(249)));
}

#[test]
fn multirc_options_keep_paragraph_question_answer() {
    let official = official().load(Task::Multirc, Split::Validation).unwrap();
    assert_eq!(official.examples[0].idx, Some(SourceIndex::Answer { paragraph: 0, question: 0, answer: 0 }));
    // The parquet export carries the same numbering in its `idx` struct.
    let hf = DataDir::only(fixtures()).load(Task::Multirc, Split::Validation).unwrap();
    let ours: Vec<_> = hf.examples.iter().map(|e| e.idx).collect();
    let theirs: Vec<_> = official.examples.iter().map(|e| e.idx).collect();
    assert_eq!(ours, theirs);
    assert!(ours.iter().all(Option::is_some));
}
