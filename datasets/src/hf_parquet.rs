//! Reads Hugging Face `datasets` parquet exports (`Dataset.to_parquet`, or the hub's
//! `refs/convert/parquet` shards) by turning each row into the JSON object that
//! `Dataset.to_json` would have written, so that one row parser serves both export formats.
//!
//! Row numbers (from 1, in file order) stand in for line numbers in error messages.
//!
//! The reader is the `parquet` crate without its arrow layer and with only the snappy codec.
//! `datasets` writes snappy because that is pyarrow's default. Leaving out the other codecs keeps
//! zstd's C build and brotli out of every build of this crate. Another codec is reported with
//! the column and the fix.

use std::fs::File;
use std::path::Path;

use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::{Map, Number, Value};

use crate::error::{DatasetError, Result};

/// Reads every row of a parquet file and returns them as JSON lines, one object per row.
pub(crate) fn to_json_lines(path: &Path) -> Result<String> {
    let _span = tracing::debug_span!("read_parquet", path = %path.display()).entered();
    let file = File::open(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_error(path, e))?;
    check_codecs(path, &reader)?;

    let mut text = String::new();
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| parquet_error(path, e))?;
    for (index, row) in rows.enumerate() {
        let row = row.map_err(|e| DatasetError::Parquet {
            path: path.to_path_buf(),
            message: format!("row {}: {e}", index + 1),
        })?;
        let object: Map<String, Value> = row
            .get_column_iter()
            .map(|(name, field)| (name.clone(), to_json(field)))
            .collect();
        text.push_str(&Value::Object(object).to_string());
        text.push('\n');
    }
    Ok(text)
}

/// Rejects a column chunk compressed with a codec this build leaves out, before any row is read,
/// so that the message names the column and the codec rather than a decoder failure.
fn check_codecs(path: &Path, reader: &SerializedFileReader<File>) -> Result<()> {
    for group in reader.metadata().row_groups() {
        for column in group.columns() {
            let codec = column.compression();
            if !matches!(codec, Compression::UNCOMPRESSED | Compression::SNAPPY) {
                return Err(DatasetError::ParquetCodec {
                    path: path.to_path_buf(),
                    column: column.column_path().string(),
                    // `Display` adds the level, as in `ZSTD(ZstdLevel(1))`; the name is enough.
                    codec: codec.to_string().split('(').next().unwrap_or_default().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Converts one parquet value to the JSON value `Dataset.to_json` writes for it.
fn to_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(v) => Value::from(*v),
        Field::Short(v) => Value::from(*v),
        Field::Int(v) => Value::from(*v),
        Field::Long(v) => Value::from(*v),
        Field::UByte(v) => Value::from(*v),
        Field::UShort(v) => Value::from(*v),
        Field::UInt(v) => Value::from(*v),
        Field::ULong(v) => Value::from(*v),
        // `datasets` stores STS-B scores as float32. Widening 3.8f32 gives 3.7999999523..., so
        // the value goes through its shortest decimal form, which is what the JSON export holds.
        Field::Float(v) => float(v.to_string().parse().unwrap_or(f64::NAN)),
        Field::Float16(v) => float(v.to_string().parse().unwrap_or(f64::NAN)),
        Field::Double(v) => float(*v),
        Field::Str(s) => Value::String(s.clone()),
        Field::Group(row) => Value::Object(
            row.get_column_iter()
                .map(|(name, field)| (name.clone(), to_json(field)))
                .collect(),
        ),
        Field::ListInternal(list) => Value::Array(list.elements().iter().map(to_json).collect()),
        // No GLUE or SuperGLUE column has these types. If one appears where text or a label is
        // expected, the row parser rejects the value and names the field.
        other => Value::String(other.to_string()),
    }
}

/// Converts a float to a JSON number, or to `null` when it is not finite (JSON has no NaN).
fn float(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn parquet_error(path: &Path, error: parquet::errors::ParquetError) -> DatasetError {
    let message = error.to_string();
    DatasetError::Parquet {
        path: path.to_path_buf(),
        message: message.strip_prefix("Parquet error: ").unwrap_or(&message).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_keeps_shortest_decimal() {
        assert_eq!(to_json(&Field::Float(3.8)), serde_json::json!(3.8));
        assert_eq!(to_json(&Field::Double(0.25)), serde_json::json!(0.25));
        assert_eq!(to_json(&Field::Float(f32::NAN)), Value::Null);
    }
}
