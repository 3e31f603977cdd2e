//! Golden tests: each tiny fixture model against the outputs transformers computed for it.

use candle_core::Device;
use superpos_models::t5::T5Model;
use superpos_models::verify::{verify_against_reference, FORWARD_TOLERANCE};

use super::fixture;

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
