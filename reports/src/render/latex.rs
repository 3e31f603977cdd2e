//! LaTeX tables in the booktabs style (`\toprule`, `\midrule`, `\bottomrule`, no vertical
//! rules). Each is a `table` float with caption and label, and its notes in small type under it.
//!
//! The output needs `\usepackage{booktabs}`; tables wider than [`RESIZE_ABOVE_COLUMNS`] columns
//! are scaled to the line width with `\resizebox`, which needs `\usepackage{graphicx}`.

use crate::table::{format_number, Cell, Column, Content, Joiner, Mark, Table};

/// Tables with more columns than this are scaled to the line width: SuperPos-Prompt's Table 1 layout
/// (3 row labels, 13 tasks and Avg) does not fit a single-column page at normal size.
pub const RESIZE_ABOVE_COLUMNS: usize = 8;

/// Renders a table as a LaTeX `table` float.
pub fn render(table: &Table) -> String {
    let spec: String = table.columns.iter().map(|c| if c.numeric { 'r' } else { 'l' }).collect();
    let resize = table.columns.len() > RESIZE_ABOVE_COLUMNS;
    let mut out = String::new();
    out.push_str("\\begin{table}[htbp]\n");
    out.push_str("  \\centering\n");
    out.push_str(&format!("  \\caption{{{}}}\n", escape(&table.title)));
    out.push_str(&format!("  \\label{{tab:{}}}\n", table.id));
    if resize {
        out.push_str("  \\resizebox{\\linewidth}{!}{%\n");
    }
    out.push_str(&format!("  \\begin{{tabular}}{{{spec}}}\n"));
    out.push_str("    \\toprule\n");
    let headers: Vec<String> = table.columns.iter().map(header).collect();
    out.push_str(&format!("    {} \\\\\n", headers.join(" & ")));
    out.push_str("    \\midrule\n");
    for row in &table.rows {
        let cells: Vec<String> = row.iter().zip(&table.columns).map(|(cell, column)| render_cell(cell, column)).collect();
        out.push_str(&format!("    {} \\\\\n", cells.join(" & ")));
    }
    out.push_str("    \\bottomrule\n");
    out.push_str("  \\end{tabular}");
    out.push_str(if resize { "}\n" } else { "\n" });
    if !table.notes.is_empty() {
        let notes: Vec<String> = table.notes.iter().map(|n| escape(n)).collect();
        out.push_str("\n  \\smallskip\n");
        out.push_str(&format!("  {{\\footnotesize {}\\par}}\n", notes.join(" ")));
    }
    out.push_str("\\end{table}\n");
    out
}

fn joiner(joiner: Joiner) -> &'static str {
    match joiner {
        Joiner::Slash => "/",
        Joiner::PlusMinus => " $\\pm$ ",
    }
}

fn header(column: &Column) -> String {
    if column.parts.len() > 1 {
        let parts: Vec<String> = column.parts.iter().map(|p| escape(p)).collect();
        format!("{} {}", escape(&column.name), parts.join(joiner(column.joiner).trim()))
    } else {
        escape(&column.name)
    }
}

fn mark(mark: Mark) -> &'static str {
    match mark {
        Mark::NeverValid => "$^\\dagger$",
        Mark::Diverged => "$^\\ddagger$",
    }
}

fn render_cell(cell: &Cell, column: &Column) -> String {
    let body = match &cell.content {
        Content::Text(text) => escape(text),
        Content::Empty => "--".to_string(),
        Content::Numbers(values) => {
            let shown: Vec<String> = values.iter().flatten().map(|v| format_number(*v, column.decimals)).collect();
            if shown.is_empty() {
                "--".to_string()
            } else {
                shown.join(joiner(column.joiner))
            }
        }
    };
    let marks: String = cell.marks.iter().map(|m| mark(*m)).collect();
    format!("{body}{marks}")
}

/// Escapes LaTeX's special characters and spells the symbols the tables use (†, ‡, ±, –) as
/// commands, so the output compiles with pdflatex without Unicode setup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '†' => out.push_str("$^\\dagger$"),
            '‡' => out.push_str("$^\\ddagger$"),
            '±' => out.push_str("$\\pm$"),
            '–' => out.push_str("--"),
            '×' => out.push_str("$\\times$"),
            '≥' => out.push_str("$\\geq$"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape("50% of a_b & c†"), "50\\% of a\\_b \\& c$^\\dagger$");
    }

    #[test]
    fn booktabs_rules_surround_rows() {
        let mut table = Table::new("demo", "Demo", vec![Column::text("Method"), Column::parts("Score", vec!["mean".into(), "sd".into()], Joiner::PlusMinus, 1)]);
        table.push(vec![Cell::text("SuperPos PT"), Cell::numbers(vec![Some(70.04), Some(1.26)])]);
        let text = render(&table);
        let expected = "\\begin{table}[htbp]\n  \\centering\n  \\caption{Demo}\n  \\label{tab:demo}\n  \\begin{tabular}{lr}\n    \\toprule\n    Method & Score mean$\\pm$sd \\\\\n    \\midrule\n    SuperPos PT & 70.0 $\\pm$ 1.3 \\\\\n    \\bottomrule\n  \\end{tabular}\n\\end{table}\n";
        assert_eq!(text, expected);
    }
}
