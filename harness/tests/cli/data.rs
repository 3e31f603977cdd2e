//! `superpos data verify` on the embedded data and on a damaged copy of it.

use super::{superpos, text, workspace};

#[test]
fn embedded_data_verifies() {
    let output = superpos(&["data", "verify", "--data-dir", "datasets/data"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("every split present matches the official numbers"), "{stdout}");
    assert!(stdout.contains("cb        train                     250      250  ok"), "{stdout}");
}

#[test]
fn missing_row_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("superglue/CB");
    std::fs::create_dir_all(&cb).unwrap();
    let train = std::fs::read_to_string(workspace().join("datasets/data/superglue/CB/train.jsonl")).unwrap();
    let shorter: Vec<&str> = train.lines().skip(1).collect();
    std::fs::write(cb.join("train.jsonl"), shorter.join("\n")).unwrap();
    let output = superpos(&["data", "verify", "--data-dir", dir.path().to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("249      250"), "{stdout}");
}

#[test]
fn missing_data_dir_exits_two() {
    let output = superpos(&["data", "verify", "--data-dir", "no-such-data"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("no-such-data"), "{stderr}");
}
