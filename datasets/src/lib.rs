//! GLUE and SuperGLUE for soft prompt tuning of T5: loading the official files, turning
//! examples into text-to-text pairs under a named protocol, seeded splits, padded token
//! batches, and the benchmarks' metrics.
//!
//! The tasks are the 13 of the SuperPos-Prompt paper (Sadraei Javaheri et al., 2024, arXiv:2406.05279):
//! QQP, QNLI, MNLI, SST-2, STS-B, MRPC, CoLA, MultiRC, RTE, CB, COPA, WiC and BoolQ, plus WNLI,
//! WSC, ReCoRD and the diagnostics AX, AX-b and AX-g.
//!
//! # Data
//!
//! A [`DataDir`] finds each split in this order:
//! 1. the official release layout: `glue/<Task>/*.tsv` (tab-separated, no quote handling) and
//!    `superglue/<Task>/{train,val,test}.jsonl`;
//! 2. a Hugging Face `datasets` export with integer labels, as JSON lines
//!    (`hf/glue/<config>/<split>.jsonl`, `hf/super_glue/<config>/<split>.jsonl`) or as parquet
//!    (`<split>.parquet` or the hub's `<split>-NNNNN-of-NNNNN.parquet` shards in the same folder);
//! 3. the embedded CB, COPA and RTE SuperGLUE files, compiled into the binary, so the
//!    quickstart and the tests need no data directory ([`DataDir::embedded`]).
//!
//! [`verify_data_dir`] checks a directory against the official row counts and label sets.
//!
//! # Example
//!
//! ```
//! use superpos_datasets::{DataDir, Protocol, Task};
//!
//! let protocol = Protocol::ResidualPt.resolve(Task::Cb)?;
//! let splits = protocol.splits(&DataDir::embedded())?;
//! let pair = protocol.format(&splits.train[0])?;
//! assert!(pair.source.starts_with("premise: "));
//! assert_eq!(pair.target.as_deref(), Some("entailment"));
//! // Record `protocol` (it is `Serialize`) with every result.
//! # Ok::<(), superpos_datasets::DatasetError>(())
//! ```
//!
//! Then [`Encoder`] tokenizes pairs and [`training_batches`] / [`evaluation_batches`] pad them;
//! [`ResolvedProtocol::parse_prediction`] maps generated text back to a label and
//! [`score_task`] computes the task's metrics and the paper's per-task score.

pub mod batch;
pub mod data_dir;
pub mod error;
pub mod example;
mod glue;
mod hf_export;
mod hf_parquet;
mod jsonl;
pub mod metrics;
pub mod protocol;
pub mod score;
pub mod split;
mod superglue;
pub mod task;
mod text_file;
pub mod verify;

pub use batch::{evaluation_batches, training_batches, Batch, Encoded, Encoder, IGNORE_INDEX};
pub use data_dir::DataDir;
pub use error::{DatasetError, Result};
pub use example::{Dataset, Example, Label, SourceIndex};
pub use protocol::{Protocol, ResolvedProtocol, TargetRule, TextPair};
pub use score::{score_task, MetricValue, Prediction, TaskScore};
pub use split::{epoch_order, SplitRule, Splits};
pub use task::{Benchmark, Metric, Split, Task};
pub use verify::{verify_data_dir, VerifyReport};
