//! Rendering [`Table`]s as Markdown, LaTeX (booktabs) or CSV text.

pub mod csv;
pub mod latex;
pub mod markdown;

use crate::table::Table;

/// A text format for tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Markdown,
    Latex,
    Csv,
}

impl TableFormat {
    /// Returns the file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Markdown => "md",
            TableFormat::Latex => "tex",
            TableFormat::Csv => "csv",
        }
    }
}

/// Renders one table, with its title and notes where the format has room for them.
pub fn render_table(table: &Table, format: TableFormat) -> String {
    match format {
        TableFormat::Markdown => markdown::render(table),
        TableFormat::Latex => latex::render(table),
        TableFormat::Csv => csv::render(table),
    }
}
