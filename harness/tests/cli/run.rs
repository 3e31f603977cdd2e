//! `superpos plan` and `superpos run` on the tiny T5 grid: results, determinism, reruns,
//! interruption, concurrent runners and bad grids.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use super::{superpos, text, workspace};

const GRID: &str = "harness/tests/grids/tiny-t5.yaml";

fn records(dir: &Path) -> Vec<serde_json::Value> {
    let mut records: Vec<serde_json::Value> = std::fs::read_dir(dir.join("cells"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", p.display())))
        .collect();
    records.sort_by_key(|r| r["id"].as_str().unwrap().to_string());
    records
}

fn run_grid(grid: &str, results: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", grid, "--results", results.to_str().unwrap(), "--progress", "none"];
    args.extend_from_slice(extra);
    let output = superpos(&args);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

#[test]
fn plan_lists_cells_with_counts() {
    let output = superpos(&["plan", GRID, "--json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let cells: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(cells.len(), 4);
    // Prompt tuning: 4 vectors x d_model 64. SuperPos: 4 x (64 x 16 + 16).
    assert_eq!(cells[0]["trainable_parameters"], 256);
    assert_eq!(cells[2]["trainable_parameters"], 4160);
    let ids: std::collections::HashSet<&str> = cells.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "ids are distinct");
}

#[test]
fn run_records_every_cell() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_grid(GRID, dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("4 finished, 0 diverged, 0 failed"), "{stderr}");
    let records = records(dir.path());
    assert_eq!(records.len(), 4);
    for record in &records {
        assert_eq!(record["status"], "finished", "{record}");
        assert_eq!(record["curve"].as_array().unwrap().len(), 2, "one validation point per epoch");
        assert!(record["test"]["score"].is_number());
        let provenance = &record["provenance"];
        assert_eq!(provenance["backbone_family"], "t5");
        assert_eq!(provenance["weights"][0]["sha256"].as_str().unwrap().len(), 64);
        // Train, validation and test of the protocol, and the official (unlabelled) CB test.
        assert_eq!(provenance["data"].as_array().unwrap().len(), 4);
        assert!(provenance["environment"]["threads"].as_u64().unwrap() >= 1);
        assert_eq!(record["cell"]["protocol"]["protocol"], "residual-pt");
        let state = dir.path().join("cells").join(record["artefacts"][0].as_str().unwrap());
        assert!(state.is_file(), "{}", state.display());
    }
    // The random tiny model never emits a label word, which the record flags.
    assert_eq!(records[0]["flags"]["never_valid"], true);

    // The embedded CB test file is predicted too, cut to the grid's eval_limit of 12 rows.
    let official = &records[0]["official_test"][0];
    assert_eq!(official["split"], "test");
    assert_eq!(official["examples"], 12);
    assert_eq!(official["rows"], 250);
    assert_eq!(official["invalid"], 12, "no valid label word, so every row takes the fallback");
    assert_eq!(official["fallback"], "class 0 (entailment)");
    let file = dir.path().join("cells").join(records[0]["artefacts"][1].as_str().unwrap());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[3], serde_json::json!({"idx": 3, "split": "test", "class": 0, "valid": false}));
}

#[test]
fn same_seed_gives_identical_results() {
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(run_grid(GRID, first.path(), &[]).0, 0);
    assert_eq!(run_grid(GRID, second.path(), &[]).0, 0);
    for (a, b) in records(first.path()).iter().zip(records(second.path())) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["curve"], b["curve"], "validation curves of {}", a["label"]);
        assert_eq!(a["test"], b["test"]);
        let state = |dir: &Path, r: &serde_json::Value| std::fs::read(dir.join("cells").join(r["artefacts"][0].as_str().unwrap())).unwrap();
        assert_eq!(state(first.path(), a), state(second.path(), &b), "saved prompt bytes of {}", a["label"]);
    }
}

#[test]
fn rerun_skips_done_and_force_reruns() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_grid(GRID, dir.path(), &[]).0, 0);
    let (code, _, stderr) = run_grid(GRID, dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(stderr.contains("0 finished, 0 diverged, 0 failed, 4 already done"), "{stderr}");
    let plan: Vec<serde_json::Value> = serde_json::from_slice(&superpos(&["plan", GRID, "--json", "--results", dir.path().to_str().unwrap()]).stdout).unwrap();
    assert!(plan.iter().all(|c| c["state"] == "done"), "{plan:?}");
    let (code, _, stderr) = run_grid(GRID, dir.path(), &["--force"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("4 finished"), "{stderr}");
}

#[test]
fn single_cell_runs_alone() {
    let dir = tempfile::tempdir().unwrap();
    let plan: Vec<serde_json::Value> = serde_json::from_slice(&superpos(&["plan", GRID, "--json"]).stdout).unwrap();
    let id = plan[1]["id"].as_str().unwrap();
    let (code, _, stderr) = run_grid(GRID, dir.path(), &["--cell", id]);
    assert_eq!(code, 0, "{stderr}");
    let records = records(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], id);
    let (code, _, stderr) = run_grid(GRID, dir.path(), &["--cell", "0000000000000000"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no cell with id 0000000000000000"), "{stderr}");
}

#[test]
fn killed_run_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_superpos"))
        .args(["run", GRID, "--results", dir.path().to_str().unwrap(), "--progress", "jsonl"])
        .current_dir(workspace())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the runner as soon as the second cell has started, so one cell is done and one is
    // interrupted mid-training. Every event names its cell.
    let mut started = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        assert_eq!(event["cell"].as_str().map(str::len), Some(16), "{event}");
        if event["event"] == "cell_started" {
            started += 1;
            if started == 2 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done_before = records(dir.path()).len();
    assert_eq!(done_before, 1, "exactly the first cell finished before the kill");

    let (code, _, stderr) = run_grid(GRID, dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 finished, 0 diverged, 0 failed, 1 already done"), "{stderr}");
    let records = records(dir.path());
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r["status"] == "finished"));
}

#[test]
fn concurrent_runners_share_cells() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_superpos"))
            .args(["run", GRID, "--results", dir.path().to_str().unwrap(), "--progress", "none"])
            .current_dir(workspace())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outputs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let mut finished = 0;
    for output in &outputs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        let summary = stderr.lines().last().unwrap();
        finished += summary.split(' ').next().unwrap().parse::<usize>().unwrap();
    }
    assert_eq!(finished, 4, "each cell is trained by exactly one runner");
    let records = records(dir.path());
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r["status"] == "finished"));
}

/// Writes `grid` with `from` replaced by `to` into a temporary file.
fn edited_grid(from: &str, to: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(workspace().join(GRID)).unwrap();
    assert!(text.contains(from), "grid contains {from}");
    let file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(file.path(), text.replace(from, to)).unwrap();
    file
}

fn bad_grid_error(from: &str, to: &str) -> String {
    let grid = edited_grid(from, to);
    let results = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_grid(grid.path().to_str().unwrap(), results.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(!results.path().join("cells").exists() || records(results.path()).is_empty(), "nothing trained");
    stderr
}

#[test]
fn unknown_method_fails_before_training() {
    let stderr = bad_grid_error("type: prompt_tuning", "type: prompt_tunning");
    assert!(stderr.contains("prompt_tunning"), "{stderr}");
}

#[test]
fn misspelled_key_names_key_and_line() {
    let stderr = bad_grid_error("    lr: 0.3", "    learning_rate: 0.3");
    assert!(stderr.contains("learning_rate"), "{stderr}");
    assert!(stderr.contains("line 12"), "{stderr}");
}

#[test]
fn missing_model_fails_before_training() {
    let stderr = bad_grid_error("models/tests/fixtures/t5-tiny-v11", "models/tests/fixtures/no-such-model");
    assert!(stderr.contains("backbone t5-tiny-v11"), "{stderr}");
    assert!(stderr.contains("no-such-model"), "{stderr}");
    assert!(!stderr.contains("hub request"), "a mistyped local path is not a hub id: {stderr}");
}

#[test]
fn missing_data_fails_before_training() {
    // WiC is not embedded, and the grid names no data directory.
    let stderr = bad_grid_error("tasks: [cb]", "tasks: [cb, wic]");
    assert!(stderr.contains("task wic"), "{stderr}");
    assert!(stderr.contains("set `data_dir:`"), "{stderr}");
}

#[test]
fn exported_prompts_feed_attempt() {
    let results = tempfile::tempdir().unwrap();
    assert_eq!(run_grid(GRID, results.path(), &[]).0, 0);
    let prompts = results.path().join("prompts");
    let output = superpos(&["export-prompts", results.path().to_str().unwrap(), "--out", prompts.to_str().unwrap(), "--seed", "0", "--dropout", "off"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("t5-tiny-v11/cb.safetensors"), "{stdout}");

    // An ATTEMPT grid whose source prompt path names the backbone through `{backbone}`.
    let source = format!("{}/{{backbone}}/cb.safetensors", prompts.display());
    let attempt = edited_grid(
        "  - type: prompt_tuning\n    prompt_length: 4\n    lr: 0.3\n  - type: superpos_prompt_tuning\n    prompt_length: 4\n    superposition_tokens: 16\n",
        &format!("  - type: attempt\n    prompt_length: 4\n    source_prompts: [\"{source}\"]\n"),
    );
    let attempt_results = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_grid(attempt.path().to_str().unwrap(), attempt_results.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let records = records(attempt_results.path());
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["status"] == "finished"), "{records:?}");
    let path = records[0]["cell"]["method"]["source_prompts"][0].as_str().unwrap();
    assert!(path.ends_with("t5-tiny-v11/cb.safetensors"), "{path}");
}

#[test]
fn missing_source_prompt_fails_before_training() {
    let stderr = bad_grid_error(
        "  - type: prompt_tuning\n    prompt_length: 4\n    lr: 0.3\n",
        "  - type: attempt\n    prompt_length: 4\n    source_prompts: [\"no-such-prompts/{backbone}/cb.safetensors\"]\n",
    );
    assert!(stderr.contains("no-such-prompts/t5-tiny-v11/cb.safetensors"), "{stderr}");
}

#[test]
fn crosscheck_switch_records_report() {
    let grid = edited_grid(
        "    model: models/tests/fixtures/t5-tiny-v11\n",
        "    model: models/tests/fixtures/t5-tiny-v11\n    crosscheck:\n      onnx: models/tests/fixtures/t5-tiny-v11\n",
    );
    let results = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_grid(grid.path().to_str().unwrap(), results.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let records = records(results.path());
    assert_eq!(records.len(), 4);
    for record in &records {
        let report = &record["provenance"]["crosscheck"];
        assert_eq!(report["passed"], true, "{report}");
        assert_eq!(report["outputs"][0]["output"], "last_hidden_state", "{report}");
        assert!(report["outputs"][0]["relative_error"].as_f64().unwrap() < 1e-4);
        assert!(report["runtime"]["version"].as_str().is_some_and(|v| v.starts_with("1.")), "{report}");
    }
}

#[test]
fn plan_counts_encoder_head() {
    let output = superpos(&["plan", "configs/quickstart.yaml", "--json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let cells: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let count = |label: &str| cells.iter().find(|c| c["label"] == label).unwrap()["trainable_parameters"].as_u64().unwrap();
    // 10 prompt vectors x 384, plus a head of 3 classes x (384 + 1) for CB and 2 for COPA.
    assert_eq!(count("all-MiniLM-L6-v2/prompt_tuning/cb/seed0/dropout-on"), 3840 + 3 * 385);
    assert_eq!(count("all-MiniLM-L6-v2/prompt_tuning/copa/seed0/dropout-on"), 3840 + 2 * 385);
}

#[test]
fn bf16_precision_is_recorded_and_changes_ids() {
    let grid = edited_grid("  eval_limit: 12", "  eval_limit: 12\n  precision: bf16");
    let (bf16_dir, f32_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (code, _, stderr) = run_grid(grid.path().to_str().unwrap(), bf16_dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_grid(GRID, f32_dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let (bf16, f32) = (records(bf16_dir.path()), records(f32_dir.path()));
    assert_eq!(bf16.len(), 4);
    for record in &bf16 {
        assert_eq!(record["status"], "finished", "{record}");
        assert_eq!(record["cell"]["training"]["precision"], "bf16");
    }
    // Float32 leaves the setting out of the cell, so its ids are those of grids without it.
    assert!(f32[0]["cell"]["training"].get("precision").is_none());
    let bf16_ids: Vec<&str> = bf16.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(f32.iter().all(|r| !bf16_ids.contains(&r["id"].as_str().unwrap())));
    // Same cell, other precision: the first epoch's loss moves, but only a little.
    let loss = |records: &[serde_json::Value], label: &str| -> f64 {
        let record = records.iter().find(|r| r["label"] == label).unwrap();
        record["curve"][0]["train_loss"].as_f64().unwrap()
    };
    let label = f32[0]["label"].as_str().unwrap();
    let (ours, reference) = (loss(&bf16, label), loss(&f32, label));
    assert_ne!(ours, reference);
    assert!((ours - reference).abs() / reference < 0.05, "bf16 loss {ours} vs f32 {reference}");
}

#[test]
fn cuda_device_without_cuda_build_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_grid(GRID, dir.path(), &["--device", "cuda:1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot use device cuda:1: this binary was built without CUDA; build one with scripts/build-cuda.sh"), "{stderr}");
    let (code, _, stderr) = run_grid(GRID, dir.path(), &["--device", "gpu"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("invalid device \"gpu\""), "{stderr}");
}
