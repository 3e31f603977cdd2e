//! `superpos crosscheck` and `superpos export-onnx`: agreement on the tiny fixtures with fixed
//! and task inputs, a changed weight named on failure, and exit code 2 for missing files.
//!
//! These run ONNX Runtime from scripts/fetch-onnxruntime.sh. Without it they fail, and the
//! command's message in the failure names that script as the fix.

use std::collections::HashMap;
use std::process::Output;

use candle_core::{Device, Tensor};

use super::{superpos, text, workspace};

const ORIG: &str = "models/tests/fixtures/t5-tiny-orig";
const V11: &str = "models/tests/fixtures/t5-tiny-v11";

/// Asserts exit code `code`, printing both streams on failure (a missing ONNX Runtime shows up
/// there as the instruction to run scripts/fetch-onnxruntime.sh).
fn expect_code(output: &Output, code: i32) -> (String, String) {
    let (stdout, stderr) = text(output);
    assert_eq!(output.status.code(), Some(code), "stdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

#[test]
fn task_batches_agree_on_original_fixture() {
    let output = superpos(&["crosscheck", "--model", ORIG, "--onnx", ORIG, "--task", "cb", "--examples", "12"]);
    let (stdout, _) = expect_code(&output, 0);
    assert!(stdout.contains("cb validation, 12 examples"), "{stdout}");
    assert!(stdout.contains("last_hidden_state"), "{stdout}");
    assert!(stdout.contains("logits"), "{stdout}");
    assert!(stdout.contains("all 2 outputs within tolerance"), "{stdout}");
}

#[test]
fn json_report_records_runtime_and_errors() {
    let output = superpos(&["crosscheck", "--model", V11, "--onnx", V11, "--json"]);
    let (stdout, _) = expect_code(&output, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["inputs"], "fixed");
    assert_eq!(report["tolerance"], 1e-4);
    assert!(report["runtime"]["version"].as_str().unwrap().starts_with("1."), "{report}");
    assert!(report["runtime"]["library"].as_str().unwrap().ends_with(".so"), "{report}");
    let encoder = &report["outputs"][0];
    assert_eq!(encoder["output"], "last_hidden_state");
    assert!(encoder["relative_error"].as_f64().unwrap() < 1e-4, "{encoder}");
}

#[test]
fn changed_weight_fails_naming_the_output() {
    let fixture = workspace().join(ORIG);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("config.json"), dir.path().join("config.json")).unwrap();
    let mut tensors: HashMap<String, Tensor> = candle_core::safetensors::load(fixture.join("model.safetensors"), &Device::Cpu).unwrap();
    let name = "decoder.block.1.layer.2.DenseReluDense.wi.weight";
    let changed = (tensors[name].clone() * 1.01).unwrap();
    tensors.insert(name.to_string(), changed);
    candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();

    let output = superpos(&["crosscheck", "--model", dir.path().to_str().unwrap(), "--onnx", ORIG]);
    let (stdout, stderr) = expect_code(&output, 1);
    assert!(stderr.contains("outside tolerance"), "{stderr}");
    assert!(stderr.contains("logits"), "{stderr}");
    assert!(!stderr.contains("last_hidden_state"), "{stderr}");
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn export_then_check_agrees() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let output = superpos(&["export-onnx", "--model", V11, "--out", out_dir, "--check"]);
    let (stdout, _) = expect_code(&output, 0);
    assert!(out.path().join("encoder_model.onnx").is_file());
    assert!(out.path().join("decoder_model.onnx").is_file());
    assert!(stdout.contains("agrees with candle within 1e-4"), "{stdout}");

    let output = superpos(&["crosscheck", "--model", V11, "--onnx", out_dir, "--task", "rte", "--examples", "8"]);
    let (stdout, _) = expect_code(&output, 0);
    assert!(stdout.contains("all 2 outputs within tolerance"), "{stdout}");
}

#[test]
fn missing_onnx_dir_exits_two() {
    let output = superpos(&["crosscheck", "--model", ORIG, "--onnx", "no-such-onnx-dir"]);
    let (_, stderr) = expect_code(&output, 2);
    assert!(stderr.contains("no-such-onnx-dir"), "{stderr}");
}

#[test]
fn dir_without_onnx_files_exits_two() {
    let output = superpos(&["crosscheck", "--model", ORIG, "--onnx", "models/tests/fixtures/t5-tiny-orig-bin"]);
    let (_, stderr) = expect_code(&output, 2);
    assert!(stderr.contains("t5-tiny-orig-bin"), "{stderr}");
    assert!(stderr.contains("encoder_model.onnx"), "{stderr}");
}

#[test]
fn missing_model_dir_exits_two() {
    let output = superpos(&["crosscheck", "--model", "no-such-model-dir", "--onnx", ORIG]);
    let (_, stderr) = expect_code(&output, 2);
    assert!(stderr.contains("no-such-model-dir"), "{stderr}");
}

#[test]
fn missing_runtime_says_how_to_get_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_superpos"))
        .args(["crosscheck", "--model", ORIG, "--onnx", ORIG])
        .env("ORT_DYLIB_PATH", "no-such-dir/libonnxruntime.so")
        .current_dir(workspace())
        .output()
        .unwrap();
    let (_, stderr) = expect_code(&output, 2);
    assert!(stderr.contains("no-such-dir/libonnxruntime.so"), "{stderr}");
    assert!(stderr.contains("scripts/fetch-onnxruntime.sh"), "{stderr}");
}
