//! `superpos report` on a small fixed results store, on SuperPos-Prompt's published numbers, and on
//! missing input.

use super::{superpos, text, workspace};

#[test]
fn report_renders_tables_of_store() {
    let output = superpos(&["report", "reports/tests/fixtures/store", "--format", "md", "--reference", "none"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("## Table 1: scores by task"), "{stdout}");
    assert!(stdout.contains("## Table 2: standardised overall scoring"), "{stdout}");
}

#[test]
fn report_writes_files_to_out() {
    let dir = tempfile::tempdir().unwrap();
    let output = superpos(&["report", "reports/tests/fixtures/store", "--format", "latex", "--out", dir.path().to_str().unwrap(), "--no-plots"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(dir.path().join("leaderboard.csv").is_file(), "{stdout}");
    assert!(dir.path().join("report.tex").is_file(), "{stdout}");
    let leaderboard = std::fs::read_to_string(dir.path().join("leaderboard.csv")).unwrap();
    assert!(leaderboard.lines().count() > 1, "{leaderboard}");
}

#[test]
fn report_of_paper_csv_has_avg_column() {
    let csv = workspace().join("reports/data/paper_table1.csv");
    let output = superpos(&["report", csv.to_str().unwrap(), "--format", "md", "--reference", "none"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("| Avg |"), "{stdout}");
}

#[test]
fn report_of_missing_input_exits_two() {
    let output = superpos(&["report", "no-such-results"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such-results"), "{stderr}");
}
