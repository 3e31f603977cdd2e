//! GitHub-flavoured Markdown tables: a `###` title, a pipe table with numbers right-aligned,
//! then the notes as one paragraph each.

use crate::table::{format_number, Cell, Column, Content, Joiner, Table};

/// Renders a table as Markdown.
pub fn render(table: &Table) -> String {
    let mut out = format!("### {}\n\n", escape(&table.title));
    let headers: Vec<String> = table.columns.iter().map(header).collect();
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    let rules: Vec<&str> = table.columns.iter().map(|c| if c.numeric { "---:" } else { "---" }).collect();
    out.push_str(&format!("| {} |\n", rules.join(" | ")));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().zip(&table.columns).map(|(cell, column)| render_cell(cell, column)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    for note in &table.notes {
        out.push('\n');
        out.push_str(&escape(note));
        out.push('\n');
    }
    out
}

fn joiner(joiner: Joiner) -> &'static str {
    match joiner {
        Joiner::Slash => "/",
        Joiner::PlusMinus => " ± ",
    }
}

fn header(column: &Column) -> String {
    if column.parts.len() > 1 {
        format!("{} {}", escape(&column.name), escape(&column.parts.join(joiner(column.joiner).trim())))
    } else {
        escape(&column.name)
    }
}

fn render_cell(cell: &Cell, column: &Column) -> String {
    let body = match &cell.content {
        Content::Text(text) => escape(text),
        Content::Empty => "–".to_string(),
        Content::Numbers(values) => {
            let shown: Vec<String> = values.iter().flatten().map(|v| format_number(*v, column.decimals)).collect();
            if shown.is_empty() {
                "–".to_string()
            } else {
                shown.join(joiner(column.joiner))
            }
        }
    };
    let marks: String = cell.marks.iter().map(|m| m.symbol()).collect();
    format!("{body}{marks}")
}

/// Escapes the characters that would break a pipe table or start Markdown emphasis.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '|' | '*' | '_' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Mark;

    #[test]
    fn pair_cells_join_with_slash_and_marks() {
        let mut table = Table::new("t", "Title", vec![Column::text("Method"), Column::parts("MRPC", vec!["F1".into(), "Acc".into()], Joiner::Slash, 1)]);
        table.push(vec![Cell::text("Simple PT"), Cell::numbers(vec![Some(81.24), Some(68.4)]).with_mark(Mark::NeverValid, true)]);
        table.notes.push("A note.".into());
        let text = render(&table);
        assert_eq!(text, "### Title\n\n| Method | MRPC F1/Acc |\n| --- | ---: |\n| Simple PT | 81.2/68.4† |\n\nA note.\n");
    }

    #[test]
    fn pipes_and_underscores_are_escaped() {
        assert_eq!(escape("a|b_c"), "a\\|b\\_c");
    }
}
