//! `superpos report INPUT`: the SuperPos-Prompt paper's (arXiv:2406.05279) Table 1 and Table 2,
//! per-task tables, the comparison with reported numbers, the leaderboard CSV, convergence and
//! flags. The input is a results directory or a long-format score CSV, and the output is printed
//! or written into a directory (with plots). The `superpos-reports` crate does the work, and this
//! module only maps arguments and errors.

use std::path::{Path, PathBuf};

use superpos_reports::predictions::write_submissions;
use superpos_reports::{Input, OutputFormat, ReferenceSource, Report, ReportError, ReportOptions, Split};

use crate::exit::InputError;

/// The arguments of `superpos report`, as parsed.
pub struct ReportArgs<'a> {
    pub input: &'a Path,
    /// `md`, `latex`, `csv` or `json`; clap has checked the value.
    pub format: &'a str,
    pub out: Option<&'a Path>,
    /// `test` or `validation`; clap has checked the value.
    pub split: &'a str,
    /// `paper`, `none` or the path of a score CSV.
    pub reference: &'a str,
    pub plots: bool,
}

/// Builds the report and prints it, or writes it into `--out` and prints the paths written.
pub fn run(args: ReportArgs<'_>) -> anyhow::Result<i32> {
    let format = match args.format {
        "md" => OutputFormat::Markdown,
        "latex" => OutputFormat::Latex,
        "csv" => OutputFormat::Csv,
        "json" => OutputFormat::Json,
        other => return Err(InputError(format!("unknown report format `{other}`; use md, latex, csv or json")).into()),
    };
    let split = match args.split {
        "test" => Split::Test,
        "validation" => Split::Validation,
        other => return Err(InputError(format!("unknown split `{other}`; use test or validation")).into()),
    };
    let reference = match args.reference {
        "paper" => ReferenceSource::Paper,
        "none" => ReferenceSource::None,
        path => ReferenceSource::File(PathBuf::from(path)),
    };
    let report = Report::from_path(args.input, &ReportOptions { split, reference }).map_err(classify)?;
    match args.out {
        Some(dir) => {
            let written = report.write(dir, format, args.plots).map_err(classify)?;
            for path in written {
                println!("{}", path.display());
            }
            // Leaderboard files, from the cells that predicted the official test splits.
            if let Input::Store(store) = Input::open(args.input).map_err(classify)? {
                let outcome = write_submissions(&store, &dir.join("submissions")).map_err(classify)?;
                for path in &outcome.written {
                    println!("{}", path.display());
                }
                // A smoke-scale grid skips every cell for the same reason, so only a few are named.
                const NAMED: usize = 3;
                for (cell, reason) in outcome.skipped.iter().take(NAMED) {
                    eprintln!("note: no submission file from {cell}: {reason}");
                }
                match outcome.skipped.len().saturating_sub(NAMED) {
                    0 => {}
                    1 => eprintln!("note: 1 more cell has no submission file"),
                    more => eprintln!("note: {more} more cells have no submission file"),
                }
                for (file, warning) in outcome.warnings.iter().take(NAMED) {
                    eprintln!("warning: {}: {warning}", file.display());
                }
                match outcome.warnings.len().saturating_sub(NAMED) {
                    0 => {}
                    1 => eprintln!("warning: 1 more submission file contains fallback labels"),
                    more => eprintln!("warning: {more} more submission files contain fallback labels"),
                }
            }
        }
        None => print!("{}", report.render(format).map_err(classify)?),
    }
    Ok(0)
}

/// Marks errors caused by the input so the command exits with code 2.
fn classify(err: ReportError) -> anyhow::Error {
    if err.is_input_error() {
        InputError(err.to_string()).into()
    } else {
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit;

    fn fixture(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures").join(relative)
    }

    fn args<'a>(input: &'a Path, out: Option<&'a Path>, reference: &'a str) -> ReportArgs<'a> {
        ReportArgs { input, format: "md", out, split: "test", reference, plots: false }
    }

    #[test]
    fn report_writes_tables_into_out() {
        let dir = tempfile::tempdir().unwrap();
        let input = fixture("store");
        let code = run(args(&input, Some(dir.path()), "paper")).unwrap();
        assert_eq!(code, 0);
        for name in ["table1-t5.md", "table1-bert.md", "table2-t5.md", "report.md", "leaderboard.csv", "scores.csv"] {
            assert!(dir.path().join(name).is_file(), "{name} was not written");
        }
    }

    #[test]
    fn missing_input_exits_with_input_code() {
        let input = PathBuf::from("no/such/results");
        let err = run(args(&input, None, "paper")).unwrap_err();
        assert_eq!(exit::code_for(&err), exit::INVALID_INPUT);
        assert!(err.to_string().contains("not found"), "{err}");
    }

    #[test]
    fn missing_reference_exits_with_input_code() {
        let input = fixture("store");
        let err = run(args(&input, None, "no/such/reference.csv")).unwrap_err();
        assert_eq!(exit::code_for(&err), exit::INVALID_INPUT);
    }
}
