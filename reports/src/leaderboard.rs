//! The leaderboard export: one CSV row per family, backbone, method, dropout setting, task and
//! metric. Each row has the mean, sample standard deviation and number of seeds, the flag
//! counts, and the provenance of its cells (code revisions and data and weight hashes).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::aggregate::Summary;
use crate::names;
use crate::scores::ScoreRow;
use crate::table::format_number;

/// One leaderboard line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaderboardRow {
    pub family: String,
    pub model: String,
    pub method: String,
    pub dropout: bool,
    pub task: String,
    pub metric: String,
    /// Percentage points.
    pub mean: f64,
    pub std: Option<f64>,
    pub seeds: usize,
    pub never_valid_seeds: usize,
    pub diverged_seeds: usize,
    /// Distinct code revisions of the cells, sorted.
    pub code_revisions: Vec<String>,
    /// Distinct sha256 of the data files the cells read, sorted.
    pub data_sha256: Vec<String>,
    /// Distinct sha256 of the backbone weight files, sorted.
    pub weights_sha256: Vec<String>,
    /// The origin of the numbers: `records` or a score file's name.
    pub source: String,
}

/// Builds the leaderboard from aggregated statistics and the per-seed rows they came from.
pub fn leaderboard(summary: &Summary, rows: &[ScoreRow], source: &str) -> Vec<LeaderboardRow> {
    summary
        .metrics
        .iter()
        .map(|stat| {
            let members = rows.iter().filter(|r| {
                r.family == stat.row.family && r.model == stat.row.model && r.method == stat.row.method && r.dropout == stat.row.dropout && r.task == stat.task && r.metric == stat.metric
            });
            let mut code_revisions = BTreeSet::new();
            let mut data_sha256 = BTreeSet::new();
            let mut weights_sha256 = BTreeSet::new();
            for member in members {
                code_revisions.extend(member.code_revision.iter().cloned());
                data_sha256.extend(member.data_sha256.iter().cloned());
                weights_sha256.extend(member.weights_sha256.iter().cloned());
            }
            LeaderboardRow {
                family: stat.row.family.clone(),
                model: stat.row.model.clone(),
                method: stat.row.method.clone(),
                dropout: stat.row.dropout,
                task: stat.task.clone(),
                metric: stat.metric.clone(),
                mean: stat.mean,
                std: stat.std,
                seeds: stat.n,
                never_valid_seeds: stat.never_valid_seeds,
                diverged_seeds: stat.diverged_seeds,
                code_revisions: code_revisions.into_iter().collect(),
                data_sha256: data_sha256.into_iter().collect(),
                weights_sha256: weights_sha256.into_iter().collect(),
                source: source.to_string(),
            }
        })
        .collect()
}

/// The leaderboard's CSV header.
pub const HEADER: [&str; 15] = [
    "family",
    "model",
    "method",
    "dropout",
    "task",
    "metric",
    "mean",
    "std",
    "n_seeds",
    "never_valid_seeds",
    "diverged_seeds",
    "code_revisions",
    "data_sha256",
    "weights_sha256",
    "source",
];

/// Writes the leaderboard as CSV. Scores have 4 decimals (percentage points); lists are joined
/// with `;`; a missing standard deviation (one seed) is an empty field.
pub fn to_csv(rows: &[LeaderboardRow]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).expect("writing CSV into memory cannot fail");
    for row in rows {
        let record = [
            row.family.clone(),
            row.model.clone(),
            row.method.clone(),
            names::dropout_display(row.dropout).to_string(),
            row.task.clone(),
            row.metric.clone(),
            format_number(row.mean, 4),
            row.std.map(|s| format_number(s, 4)).unwrap_or_default(),
            row.seeds.to_string(),
            row.never_valid_seeds.to_string(),
            row.diverged_seeds.to_string(),
            row.code_revisions.join(";"),
            row.data_sha256.join(";"),
            row.weights_sha256.join(";"),
            row.source.clone(),
        ];
        writer.write_record(&record).expect("writing CSV into memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("writing CSV into memory cannot fail")).expect("CSV fields are UTF-8 strings")
}

/// Writes the per-seed rows as CSV, the frame every table is aggregated from.
pub fn scores_csv(rows: &[ScoreRow]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["family", "model", "method", "dropout", "task", "metric", "seed", "score", "never_valid", "diverged", "cell_id", "code_revision"];
    writer.write_record(header).expect("writing CSV into memory cannot fail");
    for row in rows {
        let record = [
            row.family.clone(),
            row.model.clone(),
            row.method.clone(),
            names::dropout_display(row.dropout).to_string(),
            row.task.clone(),
            row.metric.clone(),
            row.seed.to_string(),
            format_number(row.score, 4),
            row.never_valid.to_string(),
            row.diverged.to_string(),
            row.cell_id.clone().unwrap_or_default(),
            row.code_revision.clone().unwrap_or_default(),
        ];
        writer.write_record(&record).expect("writing CSV into memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("writing CSV into memory cannot fail")).expect("CSV fields are UTF-8 strings")
}
