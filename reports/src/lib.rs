//! Tables, exports, convergence plots and flags from superpos results, for publishing and for
//! comparing with the SuperPos-Prompt paper (Sadraei Javaheri et al., "SuperPos-Prompt:
//! Enhancing Soft Prompt Tuning of Language Models with Superposition of Multi Token
//! Embeddings", arXiv:2406.05279).
//!
//! A report reads a results directory written by `superpos run` or a long-format score CSV and
//! keeps one row per seed in a polars DataFrame. It aggregates mean, sample standard deviation
//! and count over seeds. From those it builds the paper's Table 1 (with its Avg column) and
//! Table 2 (standardised overall scoring), per-task detail tables, comparisons with reported
//! numbers, a leaderboard CSV, convergence measures and plots, and flags. Families (`t5`,
//! `bert`) never share a table.
//!
//! ```no_run
//! use std::path::Path;
//! use superpos_reports::{OutputFormat, Report, ReportOptions};
//!
//! let report = Report::from_path(Path::new("results/quickstart"), &ReportOptions::default())?;
//! println!("{}", report.render(OutputFormat::Markdown)?);
//! # Ok::<(), superpos_reports::ReportError>(())
//! ```
//!
//! The crate depends on no tensor library: it reads JSON records, not models.

pub mod aggregate;
pub mod compare;
pub mod convergence;
pub mod detail;
pub mod error;
pub mod flags;
mod frame;
pub mod grid;
pub mod leaderboard;
pub mod load;
pub mod names;
pub mod paper;
pub mod plot;
pub mod predictions;
pub mod record;
pub mod render;
pub mod report;
pub mod scores;
pub mod submission;
pub mod table;
pub mod table1;
pub mod table2;

pub use aggregate::{MetricStat, RowAverage, RowKey, Summary, TaskScore};
pub use compare::{Comparison, Reference};
pub use error::{ReportError, Result};
pub use load::{Input, ResultsStore, ScoreFile};
pub use report::{OutputFormat, ReferenceSource, Report, ReportOptions, Section};
pub use scores::{ScoreRow, Split};
pub use table::Table;
