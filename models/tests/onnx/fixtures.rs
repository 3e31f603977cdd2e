//! The fixtures' `encoder_model.onnx` and `decoder_model.onnx`, exported by `torch.onnx`, agree
//! with candle within 1e-4 on the fixed inputs.

use superpos_models::onnx::{crosscheck, CrosscheckInputs, DEFAULT_TOLERANCE};
use superpos_models::t5::T5Config;

use super::{fixture, require_runtime};

fn fixed_inputs(name: &str) -> CrosscheckInputs {
    CrosscheckInputs::fixed(&T5Config::from_file(&fixture(name).join("config.json")).unwrap())
}

#[test]
fn v1_1_encoder_agrees() {
    require_runtime();
    let dir = fixture("t5-tiny-v11");
    let report = crosscheck(&dir, &dir, &fixed_inputs("t5-tiny-v11"), DEFAULT_TOLERANCE).unwrap();
    assert!(report.passed, "{report:#?}");
    // The v1.1 fixture ships an encoder only.
    assert_eq!(report.outputs.len(), 1);
    let encoder = &report.outputs[0];
    assert_eq!(encoder.output, "last_hidden_state");
    // Batches of 3 x 9 and 2 x 160 tokens, d_model 64.
    assert_eq!(encoder.elements, (3 * 9 + 2 * 160) * 64);
    assert_eq!(encoder.batches, 2);
    assert!(encoder.relative_error < 1e-4, "{encoder:?}");
    assert!(encoder.max_abs_error > 0.0, "{encoder:?}");
    assert!(encoder.max_abs_error < 1e-3, "{encoder:?}");
    assert!(report.runtime.version.starts_with("1."), "{:?}", report.runtime);
}

#[test]
fn original_encoder_and_decoder_agree() {
    require_runtime();
    let dir = fixture("t5-tiny-orig");
    let report = crosscheck(&dir, &dir, &fixed_inputs("t5-tiny-orig"), DEFAULT_TOLERANCE).unwrap();
    assert!(report.passed, "{report:#?}");
    let names: Vec<&str> = report.outputs.iter().map(|o| o.output.as_str()).collect();
    assert_eq!(names, ["last_hidden_state", "logits"]);
    let logits = &report.outputs[1];
    // Targets of 3 x 5 and 2 x 136 tokens over a vocabulary of 1,100.
    assert_eq!(logits.elements, (3 * 5 + 2 * 136) * 1100);
    for output in &report.outputs {
        assert!(output.relative_error < 1e-4, "{output:?}");
        assert_eq!(output.sha256.len(), 64);
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["dtype"], "float32");
    assert_eq!(json["outputs"][1]["output"], "logits");
}
