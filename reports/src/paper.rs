//! The numbers the SuperPos-Prompt paper reports (Sadraei Javaheri et al., arXiv:2406.05279),
//! embedded from `data/`: Table 1 in long format (`model,method,dropout,task,metric,score,
//! invalid_labels`, percentages, `Avg` rows included) and Table 2
//! (`model,method,dropout,standardized_mean,standardized_std`).

use std::path::Path;

use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::load::ScoreFile;
use crate::names;

/// The paper's Table 1 as published, in the long score-CSV layout.
pub const TABLE1_CSV: &str = include_str!("../data/paper_table1.csv");
/// The paper's Table 2 as published.
pub const TABLE2_CSV: &str = include_str!("../data/paper_table2.csv");

/// The name reports give the embedded numbers.
pub const SOURCE_NAME: &str = "the SuperPos-Prompt paper, arXiv:2406.05279";

/// One row of a published standardised scoring (Table 2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportedStandardized {
    pub family: String,
    pub model: String,
    pub method: String,
    pub dropout: bool,
    pub mean: f64,
    pub std: f64,
}

/// Parses the embedded Table 1.
pub fn table1() -> Result<ScoreFile> {
    ScoreFile::parse(Path::new("data/paper_table1.csv"), TABLE1_CSV)
}

/// Parses the embedded Table 2.
pub fn table2() -> Result<Vec<ReportedStandardized>> {
    parse_standardized(Path::new("data/paper_table2.csv"), TABLE2_CSV)
}

/// Parses a standardised-scoring CSV with the columns
/// `model,method,dropout,standardized_mean,standardized_std`; `path` only names the source in errors.
pub fn parse_standardized(path: &Path, text: &str) -> Result<Vec<ReportedStandardized>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let csv_error = |err: csv::Error| ReportError::csv(path, err);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| ReportError::MissingColumn { path: path.to_path_buf(), column: name.to_string() });
    let (model_at, method_at, dropout_at) = (column("model")?, column("method")?, column("dropout")?);
    let (mean_at, std_at) = (column("standardized_mean")?, column("standardized_std")?);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |at: usize| record.get(at).unwrap_or("");
        let invalid = |column: &str, value: &str, reason: &str| ReportError::invalid_value(path, line, column, value, reason);
        let model = field(model_at).to_string();
        let family = names::family_from_model(&model).ok_or_else(|| invalid("model", &model, "the backbone family cannot be told from this name"))?.to_string();
        let dropout = names::parse_flag(field(dropout_at)).ok_or_else(|| invalid("dropout", field(dropout_at), "expected on or off"))?;
        let number = |at: usize, name: &str| field(at).parse::<f64>().map_err(|_| invalid(name, field(at), "expected a number"));
        rows.push(ReportedStandardized {
            family,
            model,
            method: names::canonical_method(field(method_at)),
            dropout,
            mean: number(mean_at, "standardized_mean")?,
            std: number(std_at, "standardized_std")?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table1_parses() {
        let file = table1().unwrap();
        // 14 complete rows x 18 metric values, plus 4 ATTEMPT rows x 13 metric values.
        assert_eq!(file.rows.len(), 14 * 18 + 4 * 13);
        assert_eq!(file.averages.len(), 14);
        assert!(file.rows.iter().all(|r| r.family == "t5"));
    }

    #[test]
    fn embedded_table2_parses() {
        let rows = table2().unwrap();
        assert_eq!(rows.len(), 14);
        assert_eq!(rows[0].method, "prompt_tuning");
        assert_eq!(rows[0].mean, 17.1);
        assert_eq!(rows[13].method, "full_fine_tuning");
    }
}
