//! Golden tests: each tiny fixture model against the outputs transformers computed for it.

use candle_core::Device;
use superpos_models::t5::T5Model;
use superpos_models::verify::{verify_against_reference, FORWARD_TOLERANCE};
use superpos_models::Precision;

use super::fixture;

/// Relative error allowed for bfloat16 products. Bfloat16 keeps 8 significant bits (about 4e-3
/// per product), and the tiny random fixtures compound it over their layers: the measured errors
/// are 1.9e-2 to 9.4e-2 for tensors and below 2e-3 for losses.
const BF16_TOLERANCE: f64 = 0.15;
/// Relative error allowed for the bfloat16 losses.
const BF16_LOSS_TOLERANCE: f64 = 5e-3;

fn check_model(name: &str) {
    let dir = fixture(name);
    let model = T5Model::load(&dir, &Device::Cpu).unwrap();
    let results = verify_against_reference(&model, &dir.join("reference.safetensors"), FORWARD_TOLERANCE).unwrap();
    let outputs: Vec<&str> = results.iter().map(|r| r.output.as_str()).collect();
    assert_eq!(
        outputs,
        ["encoder_last_hidden_state", "logits", "loss", "prompt_logits", "prompt_loss", "prompt_grad", "generated"],
        "every reference output is compared"
    );
    for r in &results {
        assert!(r.passed, "{name}: {} relative error {:.3e} exceeds {:.0e}", r.output, r.relative_error, r.tolerance);
    }
}

#[test]
fn v11_gated_gelu_matches_transformers() {
    check_model("t5-tiny-v11");
}

#[test]
fn original_relu_tied_matches_transformers() {
    check_model("t5-tiny-orig");
}

#[test]
fn prompt_gradient_tolerance_is_one_in_a_thousand() {
    let dir = fixture("t5-tiny-v11");
    let model = T5Model::load(&dir, &Device::Cpu).unwrap();
    let results = verify_against_reference(&model, &dir.join("reference.safetensors"), FORWARD_TOLERANCE).unwrap();
    let grad = results.iter().find(|r| r.output == "prompt_grad").unwrap();
    assert_eq!(grad.tolerance, 1e-3);
    let logits = results.iter().find(|r| r.output == "logits").unwrap();
    assert_eq!(logits.tolerance, 1e-4);
}

#[test]
fn pytorch_bin_checkpoint_matches_transformers() {
    let model = T5Model::load(&fixture("t5-tiny-orig-bin"), &Device::Cpu).unwrap();
    let reference = fixture("t5-tiny-orig").join("reference.safetensors");
    for r in verify_against_reference(&model, &reference, FORWARD_TOLERANCE).unwrap() {
        assert!(r.passed, "{}: relative error {:.3e}", r.output, r.relative_error);
    }
}

#[test]
fn sharded_safetensors_matches_transformers() {
    let source = fixture("t5-tiny-v11");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(source.join("config.json"), dir.path().join("config.json")).unwrap();
    let tensors = candle_core::safetensors::load(source.join("model.safetensors"), &Device::Cpu).unwrap();
    let (mut first, mut second) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    let mut weight_map = serde_json::Map::new();
    for (name, tensor) in tensors {
        let (shard, file) = if name.starts_with("encoder") { (&mut first, "model-00001-of-00002.safetensors") } else { (&mut second, "model-00002-of-00002.safetensors") };
        weight_map.insert(name.clone(), serde_json::Value::from(file));
        shard.insert(name, tensor);
    }
    candle_core::safetensors::save(&first, dir.path().join("model-00001-of-00002.safetensors")).unwrap();
    candle_core::safetensors::save(&second, dir.path().join("model-00002-of-00002.safetensors")).unwrap();
    let index = serde_json::json!({ "metadata": {}, "weight_map": weight_map });
    std::fs::write(dir.path().join("model.safetensors.index.json"), index.to_string()).unwrap();

    let model = T5Model::load(dir.path(), &Device::Cpu).unwrap();
    for r in verify_against_reference(&model, &source.join("reference.safetensors"), FORWARD_TOLERANCE).unwrap() {
        assert!(r.passed, "{}: relative error {:.3e}", r.output, r.relative_error);
    }
}

#[test]
fn bf16_products_stay_near_float32_reference() {
    for name in ["t5-tiny-v11", "t5-tiny-orig"] {
        let dir = fixture(name);
        let model = T5Model::load(&dir, &Device::Cpu).unwrap().with_precision(Precision::Bf16).unwrap();
        let results = verify_against_reference(&model, &dir.join("reference.safetensors"), BF16_TOLERANCE).unwrap();
        for r in results.iter().filter(|r| r.output != "generated") {
            assert!(r.passed, "{name}: {} relative error {:.3e} exceeds {:.0e}", r.output, r.relative_error, r.tolerance);
            if r.output.ends_with("loss") {
                assert!(r.relative_error < BF16_LOSS_TOLERANCE, "{name}: {} relative error {:.3e}", r.output, r.relative_error);
            }
            // Float32 stays below 1e-5 on these outputs, so a larger error shows bfloat16 was used.
            assert!(r.relative_error > 1e-5, "{name}: {} relative error {:.3e} is float32-sized", r.output, r.relative_error);
        }
    }
}
