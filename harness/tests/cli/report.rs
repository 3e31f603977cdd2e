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

/// Runs the tiny T5 grid with `eval_limit` replaced by `limit` (or removed) into a temporary
/// results directory, then reports it into a temporary output directory.
fn run_and_report(limit: Option<&str>) -> (tempfile::TempDir, tempfile::TempDir, String) {
    let grid_text = std::fs::read_to_string(workspace().join("harness/tests/grids/tiny-t5.yaml")).unwrap();
    let grid_text = grid_text.replace("  eval_limit: 12\n", &limit.map(|l| format!("  eval_limit: {l}\n")).unwrap_or_default());
    let grid = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(grid.path(), grid_text).unwrap();
    let (results, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let output = superpos(&["run", grid.path().to_str().unwrap(), "--results", results.path().to_str().unwrap(), "--progress", "none"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let output = superpos(&["report", results.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--no-plots"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    (results, out, stderr)
}

#[test]
fn report_writes_superglue_submission_files() {
    let (_results, out, stderr) = run_and_report(None);
    assert!(!stderr.contains("no submission file"), "{stderr}");
    assert!(stderr.contains("CB.jsonl: 250 of 250 rows had no valid label and were written as the fallback class 0 (entailment)"), "{stderr}");
    assert!(stderr.contains("warning: 1 more submission file contains fallback labels"), "{stderr}");
    let cb = out.path().join("submissions/t5-tiny-v11/prompt_tuning/dropout-on/seed0/CB.jsonl");
    let text = std::fs::read_to_string(&cb).unwrap_or_else(|e| panic!("{}: {e}", cb.display()));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 250, "one line per row of the CB test file");
    // The random model emits no label word, so every row carries the training majority class.
    assert_eq!(lines[0], "{\"idx\":0,\"label\":\"entailment\"}");
    assert_eq!(lines[249], "{\"idx\":249,\"label\":\"entailment\"}");
    let superpos_cb = out.path().join("submissions/t5-tiny-v11/superpos_prompt_tuning/dropout-off/seed0/CB.jsonl");
    assert!(superpos_cb.is_file(), "{}", superpos_cb.display());
}

#[test]
fn report_skips_cut_test_split() {
    let (_results, out, stderr) = run_and_report(Some("12"));
    assert!(stderr.contains("eval_limit kept 12 of the 250 rows of test; a submission needs them all"), "{stderr}");
    assert!(!out.path().join("submissions").exists());
}
