//! `superpos model info` and `superpos model verify`.

use std::collections::HashMap;

use candle_core::{Device, Tensor};

use super::{superpos, text, workspace};

#[test]
fn info_counts_t5_v1_1_small_from_config() {
    let output = superpos(&["model", "info", "--model", "configs/backbones/t5-v1_1-small/config.json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("76,961,152"), "{stdout}");
    assert!(stdout.contains("configuration only"), "{stdout}");
}

#[test]
fn verify_passes_on_fixture() {
    let dir = "models/tests/fixtures/t5-tiny-v11";
    let output = superpos(&["model", "verify", "--model", dir, "--reference", &format!("{dir}/reference.safetensors")]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("all 7 outputs within tolerance"), "{stdout}");
}

#[test]
fn verify_fails_on_perturbed_weight() {
    let fixture = workspace().join("models/tests/fixtures/t5-tiny-v11");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("config.json"), dir.path().join("config.json")).unwrap();
    let mut tensors: HashMap<String, Tensor> = candle_core::safetensors::load(fixture.join("model.safetensors"), &Device::Cpu).unwrap();
    let name = "encoder.block.1.layer.1.DenseReluDense.wo.weight";
    let perturbed = (tensors[name].clone() * 1.01).unwrap();
    tensors.insert(name.to_string(), perturbed);
    candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();

    let reference = fixture.join("reference.safetensors");
    let output = superpos(&["model", "verify", "--model", dir.path().to_str().unwrap(), "--reference", reference.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("encoder_last_hidden_state"), "{stderr}");
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn missing_model_exits_two() {
    let output = superpos(&["model", "info", "--model", "no-such-model-dir"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such-model-dir"), "{stderr}");
}

#[test]
fn model_without_weights_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(workspace().join("configs/backbones/t5-small/config.json"), dir.path().join("config.json")).unwrap();
    let reference = workspace().join("models/tests/fixtures/t5-tiny-v11/reference.safetensors");
    let output = superpos(&["model", "verify", "--model", dir.path().to_str().unwrap(), "--reference", reference.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no weights found"), "{stderr}");
}

#[test]
fn verify_bf16_uses_loose_tolerance() {
    let dir = "models/tests/fixtures/t5-tiny-v11";
    let output = superpos(&["model", "verify", "--model", dir, "--reference", &format!("{dir}/reference.safetensors"), "--precision", "bf16"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("device cpu, precision bf16"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("logits") && l.contains("1.50e-1  ok")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("generated") && l.contains("% ids")), "{stdout}");
    // The same outputs fail the float32 tolerance, so the bf16 path was taken.
    let strict = superpos(&["model", "verify", "--model", dir, "--reference", &format!("{dir}/reference.safetensors"), "--precision", "bf16", "--tolerance", "1e-4"]);
    assert_eq!(strict.status.code(), Some(1));
}

