//! Hub ids resolved from a Hugging Face cache laid out as `huggingface_hub` writes it, with
//! `HF_HUB_OFFLINE=1` so nothing touches the network: snapshot files are links to blobs named
//! by their sha256, which the harness checks.

use std::path::Path;

use super::{text, workspace};

/// Lays out `HF_HOME/hub/models--org--tiny-t5` with the tiny fixture's files. The weights' blob
/// is named by `blob_name`, normally their sha256.
fn fake_cache(home: &Path, blob_name: &str) {
    let fixture = workspace().join("models/tests/fixtures/t5-tiny-v11");
    let repo = home.join("hub/models--org--tiny-t5");
    let revision = "0123456789abcdef0123456789abcdef01234567";
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), revision).unwrap();
    let snapshot = repo.join("snapshots").join(revision);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    for (file, blob) in [("config.json", "config-blob"), ("tokenizer.json", "tokenizer-blob"), ("model.safetensors", blob_name)] {
        std::fs::copy(fixture.join(file), repo.join("blobs").join(blob)).unwrap();
        std::os::unix::fs::symlink(format!("../../blobs/{blob}"), snapshot.join(file)).unwrap();
    }
}

fn model_info_offline(home: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_superpos"))
        .args(["model", "info", "--model", "org/tiny-t5"])
        .env("HF_HOME", home)
        .env("HF_HUB_OFFLINE", "1")
        .current_dir(workspace())
        .output()
        .unwrap()
}

#[test]
fn offline_cache_resolves_hub_id() {
    let home = tempfile::tempdir().unwrap();
    let sha = superpos_models::checkpoint::sha256_file(&workspace().join("models/tests/fixtures/t5-tiny-v11/model.safetensors")).unwrap();
    fake_cache(home.path(), &sha);
    let output = model_info_offline(home.path());
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("models--org--tiny-t5/snapshots/0123456789abcdef"), "{stdout}");
    assert!(stdout.contains(&sha), "{stdout}");
}

#[test]
fn corrupted_cached_blob_fails_hash_check() {
    let home = tempfile::tempdir().unwrap();
    let wrong = "f".repeat(64);
    fake_cache(home.path(), &wrong);
    let output = model_info_offline(home.path());
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not match the published"), "{stderr}");
    assert!(stderr.contains(&wrong), "{stderr}");
}

#[test]
fn offline_without_cache_names_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let output = model_info_offline(home.path());
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("org/tiny-t5"), "{stderr}");
    assert!(stderr.contains("HF_HUB_OFFLINE"), "{stderr}");
}
