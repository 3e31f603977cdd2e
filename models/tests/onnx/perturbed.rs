//! A weight changed on purpose in the candle model makes the cross-check fail, naming the
//! output it changes and only that one.

use candle_core::Device;
use superpos_models::checkpoint::{Checkpoint, ModelFiles};
use superpos_models::onnx::{crosscheck_model, CrosscheckInputs, DEFAULT_TOLERANCE};
use superpos_models::t5::{T5Config, T5Model};

use super::{fixture, require_runtime};

/// Loads `t5-tiny-orig` with one weight scaled by 1.01.
fn perturbed_model(name: &str) -> T5Model {
    let files = ModelFiles::locate(&fixture("t5-tiny-orig")).unwrap();
    let config = T5Config::from_file(&files.config).unwrap();
    let mut checkpoint = Checkpoint::load(files, &Device::Cpu).unwrap();
    let tensors = checkpoint.tensors_mut();
    let scaled = (tensors[name].clone() * 1.01).unwrap();
    tensors.insert(name.to_string(), scaled);
    T5Model::from_checkpoint(config, &checkpoint).unwrap()
}

fn check(model: &T5Model) -> superpos_models::onnx::CrosscheckReport {
    require_runtime();
    let dir = fixture("t5-tiny-orig");
    crosscheck_model(model, &dir, &dir, &CrosscheckInputs::fixed(&model.config), DEFAULT_TOLERANCE).unwrap()
}

#[test]
fn encoder_weight_change_names_last_hidden_state() {
    let report = check(&perturbed_model("encoder.block.1.layer.1.DenseReluDense.wo.weight"));
    assert!(!report.passed);
    assert_eq!(report.failed_outputs(), ["last_hidden_state"]);
    let encoder = &report.outputs[0];
    // A 1% change of one feed-forward weight moves the output by far more than the tolerance.
    assert!(encoder.relative_error > 1e-3, "{encoder:?}");
}

#[test]
fn decoder_weight_change_names_logits() {
    let report = check(&perturbed_model("decoder.block.0.layer.1.EncDecAttention.v.weight"));
    assert_eq!(report.failed_outputs(), ["logits"]);
    assert!(report.outputs[1].relative_error > 1e-3, "{:?}", report.outputs[1]);
}
