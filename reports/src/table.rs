//! A format-neutral table: what every report table is built as before the Markdown, LaTeX or
//! CSV renderer turns it into text.

use serde::Serialize;

/// The header and number layout of a table column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The header, such as `MRPC`.
    pub name: String,
    /// Names of the numbers a cell of this column contains, such as `["F1", "Acc"]` for a
    /// two-metric task or `["mean", "sd"]`. Empty for a text column or a single number. CSV
    /// writes one column per part; Markdown and LaTeX join them with `joiner`.
    pub parts: Vec<String>,
    pub joiner: Joiner,
    /// Digits after the decimal point for numbers.
    pub decimals: usize,
    pub numeric: bool,
}

impl Column {
    pub fn text(name: impl Into<String>) -> Column {
        Column { name: name.into(), parts: Vec::new(), joiner: Joiner::Slash, decimals: 0, numeric: false }
    }

    pub fn number(name: impl Into<String>, decimals: usize) -> Column {
        Column { name: name.into(), parts: Vec::new(), joiner: Joiner::Slash, decimals, numeric: true }
    }

    /// Creates a column of several numbers per cell, shown as `a/b` (or `a ± b`).
    pub fn parts(name: impl Into<String>, parts: Vec<String>, joiner: Joiner, decimals: usize) -> Column {
        Column { name: name.into(), parts, joiner, decimals, numeric: true }
    }

    /// Returns how many CSV columns a cell of this column fills.
    pub fn width(&self) -> usize {
        self.parts.len().max(1)
    }
}

/// The separator between the numbers of a multi-part cell in Markdown and LaTeX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Joiner {
    /// `58.2/65.5`, SuperPos-Prompt's form for two-metric tasks.
    Slash,
    /// `58.2 ± 1.3`, a mean and its standard deviation.
    PlusMinus,
}

/// A footnote mark on a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Mark {
    /// At least one seed never produced a valid label and scores 0 (SuperPos-Prompt's dagger).
    NeverValid,
    /// At least one seed diverged (the training loss became NaN or infinite).
    Diverged,
}

impl Mark {
    /// Returns the mark's symbol in Markdown and plain text.
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::NeverValid => "†",
            Mark::Diverged => "‡",
        }
    }
}

/// The content of one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Content {
    Text(String),
    /// One number per part of the column; `None` where a part is missing.
    Numbers(Vec<Option<f64>>),
    /// Nothing to show, rendered as a dash.
    Empty,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub content: Content,
    pub marks: Vec<Mark>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell { content: Content::Text(text.into()), marks: Vec::new() }
    }

    pub fn number(value: f64) -> Cell {
        Cell { content: Content::Numbers(vec![Some(value)]), marks: Vec::new() }
    }

    pub fn numbers(values: Vec<Option<f64>>) -> Cell {
        Cell { content: Content::Numbers(values), marks: Vec::new() }
    }

    pub fn optional(value: Option<f64>) -> Cell {
        value.map(Cell::number).unwrap_or_else(Cell::empty)
    }

    pub fn empty() -> Cell {
        Cell { content: Content::Empty, marks: Vec::new() }
    }

    /// Adds a footnote mark, keeping marks sorted and unique.
    pub fn with_mark(mut self, mark: Mark, present: bool) -> Cell {
        if present && !self.marks.contains(&mark) {
            self.marks.push(mark);
            self.marks.sort();
        }
        self
    }
}

/// A titled table with notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// A file-name-safe id such as `table1-t5`, also the LaTeX label.
    pub id: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Sentences printed under the table.
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(id: impl Into<String>, title: impl Into<String>, columns: Vec<Column>) -> Table {
        Table { id: id.into(), title: title.into(), columns, rows: Vec::new(), notes: Vec::new() }
    }

    /// Appends a row.
    ///
    /// # Panics
    /// When the row's length differs from the number of columns, a bug in the table builder.
    pub fn push(&mut self, row: Vec<Cell>) {
        assert_eq!(row.len(), self.columns.len(), "table {} row has {} cells for {} columns", self.id, row.len(), self.columns.len());
        self.rows.push(row);
    }
}

/// Formats a number with a fixed number of decimals, without a negative zero.
pub fn format_number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    // `-0.0` after rounding a tiny negative value reads as a sign error in a table.
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_zero_prints_as_zero() {
        assert_eq!(format_number(-0.04, 1), "0.0");
        assert_eq!(format_number(-0.06, 1), "-0.1");
        assert_eq!(format_number(37.123, 1), "37.1");
    }

    #[test]
    fn marks_stay_sorted_and_unique() {
        let cell = Cell::number(1.0).with_mark(Mark::Diverged, true).with_mark(Mark::NeverValid, true).with_mark(Mark::NeverValid, true);
        assert_eq!(cell.marks, vec![Mark::NeverValid, Mark::Diverged]);
    }
}
