//! `superpos ci` against the committed baseline, and against a baseline moved past tolerance.

use super::{superpos, text, workspace};

#[test]
fn regression_grid_matches_baseline_and_detects_moves() {
    let output = superpos(&["ci"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("values of 8 cells match the baseline"), "{stdout}");

    // Move one training loss by 0.01, ten times its tolerance of 0.001.
    let baseline = std::fs::read_to_string(workspace().join("ci/baseline.csv")).unwrap();
    let target = "t5-tiny-v11/prompt_tuning/cb/seed0/dropout-off,train@epoch1,train_loss,";
    let line = baseline.lines().find(|l| l.starts_with(target)).expect("baseline has the row");
    let value: f64 = line[target.len()..].parse().unwrap();
    let moved = baseline.replace(line, &format!("{target}{}", value + 0.01));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.csv");
    std::fs::write(&path, moved).unwrap();

    let output = superpos(&["ci", "--baseline", path.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("1 values outside tolerance"), "{stderr}");
    assert!(stderr.contains("t5-tiny-v11/prompt_tuning/cb/seed0/dropout-off train@epoch1 train_loss"), "{stderr}");
}
