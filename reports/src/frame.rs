//! Reading the columns of an aggregated polars DataFrame into Rust vectors, for the table
//! builders, which work on plain structs.

use polars::prelude::*;

use crate::aggregate::RowKey;
use crate::error::{ReportError, Result};
use crate::scores::columns::{DROPOUT, FAMILY, METHOD, MODEL};

fn series<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    Ok(df.column(name).map_err(ReportError::polars("reading an aggregated column"))?.as_materialized_series())
}

/// Reads a text column; nulls become empty strings.
pub fn strings(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    let values = series(df, name)?.str().map_err(ReportError::polars("reading a text column"))?;
    Ok(values.iter().map(|v| v.unwrap_or_default().to_string()).collect())
}

/// Reads a boolean column; nulls become false.
pub fn bools(df: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let values = series(df, name)?.bool().map_err(ReportError::polars("reading a yes/no column"))?;
    Ok(values.iter().map(|v| v.unwrap_or(false)).collect())
}

/// Reads a float column. Nulls and NaN become `None`: polars returns them for the standard
/// deviation of one value and the mean of only nulls.
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let values = series(df, name)?.f64().map_err(ReportError::polars("reading a number column"))?;
    Ok(values.iter().map(|v| v.filter(|x| x.is_finite())).collect())
}

/// Reads an Int64 count column; nulls become 0.
pub fn counts(df: &DataFrame, name: &str) -> Result<Vec<usize>> {
    let values = series(df, name)?.i64().map_err(ReportError::polars("reading a count column"))?;
    Ok(values.iter().map(|v| v.unwrap_or(0).max(0) as usize).collect())
}

/// Reads the family, model, method and dropout columns as table row keys.
pub fn row_keys(df: &DataFrame) -> Result<Vec<RowKey>> {
    let family = strings(df, FAMILY)?;
    let model = strings(df, MODEL)?;
    let method = strings(df, METHOD)?;
    let dropout = bools(df, DROPOUT)?;
    Ok((0..df.height()).map(|i| RowKey { family: family[i].clone(), model: model[i].clone(), method: method[i].clone(), dropout: dropout[i] }).collect())
}
