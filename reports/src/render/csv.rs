//! CSV tables: a header row, then one line per row; a multi-part column becomes one CSV column
//! per part (`MRPC F1`, `MRPC Acc`). Titles, notes and marks are left out so the file stays
//! machine-readable; the leaderboard export carries the flags as columns instead.

use crate::table::{format_number, Content, Table};

/// Renders a table as CSV text.
pub fn render(table: &Table) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = Vec::new();
    for column in &table.columns {
        if column.parts.len() > 1 {
            header.extend(column.parts.iter().map(|part| format!("{} {}", column.name, part)));
        } else {
            header.push(column.name.clone());
        }
    }
    write_record(&mut writer, &header);
    for row in &table.rows {
        let mut fields = Vec::new();
        for (cell, column) in row.iter().zip(&table.columns) {
            match &cell.content {
                Content::Text(text) => fields.push(text.clone()),
                Content::Empty => fields.extend(std::iter::repeat_n(String::new(), column.width())),
                Content::Numbers(values) => {
                    let mut numbers: Vec<String> = values.iter().map(|v| v.map(|v| format_number(v, column.decimals)).unwrap_or_default()).collect();
                    numbers.resize(column.width(), String::new());
                    fields.extend(numbers);
                }
            }
        }
        write_record(&mut writer, &fields);
    }
    let bytes = writer.into_inner().expect("writing CSV into memory cannot fail");
    String::from_utf8(bytes).expect("CSV fields are UTF-8 strings")
}

fn write_record(writer: &mut csv::Writer<Vec<u8>>, fields: &[String]) {
    writer.write_record(fields).expect("writing CSV into memory cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Cell, Column, Joiner};

    #[test]
    fn parts_become_columns() {
        let mut table = Table::new("t", "Title", vec![Column::text("Model"), Column::parts("MRPC", vec!["F1".into(), "Acc".into()], Joiner::Slash, 1), Column::number("Avg", 1)]);
        table.push(vec![Cell::text("t5, base"), Cell::numbers(vec![Some(81.24), Some(68.4)]), Cell::empty()]);
        assert_eq!(render(&table), "Model,MRPC F1,MRPC Acc,Avg\n\"t5, base\",81.2,68.4,\n");
    }
}
