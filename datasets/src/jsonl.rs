//! JSON lines parsing shared by the SuperGLUE release files and Hugging Face exports: one object
//! per line, with typed field access whose errors name the file, line and field.

use serde_json::{Map, Value};

use crate::error::{DatasetError, Result};
use crate::text_file::numbered_lines;

/// One parsed line: its 1-based number and its JSON object.
pub(crate) struct JsonRow<'a> {
    pub path: &'a str,
    pub line: usize,
    pub object: Map<String, Value>,
}

/// Parses every line of `text` as a JSON object.
pub(crate) fn parse_lines<'a>(text: &'a str, path: &'a str) -> Result<Vec<JsonRow<'a>>> {
    let mut rows = Vec::new();
    for (line, content) in numbered_lines(text) {
        let value: Value =
            serde_json::from_str(content).map_err(|e| DatasetError::InvalidJson {
                path: path.to_string(),
                line,
                message: e.to_string(),
            })?;
        let Value::Object(object) = value else {
            return Err(DatasetError::InvalidJson {
                path: path.to_string(),
                line,
                message: format!("expected an object, found {}", type_name(&value)),
            });
        };
        rows.push(JsonRow { path, line, object });
    }
    Ok(rows)
}

impl JsonRow<'_> {
    pub fn get(&self, field: &str) -> Result<&Value> {
        get_in(&self.object, field, self.path, self.line)
    }

    pub fn has(&self, field: &str) -> bool {
        self.object.get(field).is_some_and(|v| !v.is_null())
    }

    pub fn string(&self, field: &str) -> Result<String> {
        as_string(self.get(field)?, field, self.path, self.line)
    }

    pub fn invalid(&self, field: &str, value: &Value, expected: &str) -> DatasetError {
        invalid(self.path, self.line, field, value, expected)
    }
}

/// Looks up a field of a nested object, reporting it as missing when absent or null.
pub(crate) fn get_in<'v>(
    object: &'v Map<String, Value>,
    field: &str,
    path: &str,
    line: usize,
) -> Result<&'v Value> {
    match object.get(field) {
        Some(Value::Null) | None => Err(DatasetError::MissingField {
            path: path.to_string(),
            line,
            field: field.to_string(),
        }),
        Some(value) => Ok(value),
    }
}

/// Reads a string field. Numbers are accepted and printed as JSON writes them, because
/// Hugging Face exports store WSC span indices and ids as integers.
pub(crate) fn as_string(value: &Value, field: &str, path: &str, line: usize) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(invalid(path, line, field, other, "a string")),
    }
}

pub(crate) fn invalid(
    path: &str,
    line: usize,
    field: &str,
    value: &Value,
    expected: &str,
) -> DatasetError {
    DatasetError::InvalidField {
        path: path.to_string(),
        line,
        field: field.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
