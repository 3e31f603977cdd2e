//! Graphs written by `export_t5` run in ONNX Runtime and agree with candle, for the original
//! T5 (ReLU, tied and scaled head) and T5 v1.1 (gated GELU) fixtures.

use prost::Message;
use superpos_models::checkpoint::{Checkpoint, ModelFiles};
use superpos_models::onnx::proto::ModelProto;
use superpos_models::onnx::{crosscheck, export_t5, CrosscheckInputs, DEFAULT_TOLERANCE};
use superpos_models::t5::T5Config;

use super::{fixture, require_runtime};

fn export_and_check(name: &str) -> superpos_models::onnx::CrosscheckReport {
    require_runtime();
    let model_dir = fixture(name);
    let out = tempfile::tempdir().unwrap();
    let exported = export_t5(&model_dir, out.path()).unwrap();
    assert_eq!(exported.opset, 17);
    let names: Vec<&str> = exported.files.iter().map(|f| f.component.as_str()).collect();
    assert_eq!(names, ["encoder", "decoder"]);
    let config = T5Config::from_file(&model_dir.join("config.json")).unwrap();
    let report = crosscheck(&model_dir, out.path(), &CrosscheckInputs::fixed(&config), DEFAULT_TOLERANCE).unwrap();
    assert!(report.passed, "{report:#?}");
    assert_eq!(report.outputs.len(), 2);
    for output in &report.outputs {
        assert!(output.relative_error < 1e-4, "{output:?}");
    }
    report
}

#[test]
fn exported_original_t5_agrees() {
    let report = export_and_check("t5-tiny-orig");
    assert_eq!(report.outputs[1].elements, (3 * 5 + 2 * 136) * 1100);
}

#[test]
fn exported_v1_1_agrees() {
    let report = export_and_check("t5-tiny-v11");
    assert_eq!(report.outputs[0].elements, (3 * 9 + 2 * 160) * 64);
}

#[test]
fn exported_initializers_equal_checkpoint_tensors() {
    let model_dir = fixture("t5-tiny-v11");
    let files = ModelFiles::locate(&model_dir).unwrap();
    let config = T5Config::from_file(&files.config).unwrap();
    let checkpoint = Checkpoint::load(files, &candle_core::Device::Cpu).unwrap();
    let bytes = superpos_models::onnx::encoder_model(&config, &checkpoint).unwrap().encode_to_vec();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    let graph = model.graph.unwrap();
    let name = "encoder.block.1.layer.1.DenseReluDense.wi_1.weight";
    let initializer = graph.initializer.iter().find(|t| t.name.as_deref() == Some(name)).unwrap();
    assert_eq!(initializer.dims, vec![96, 64]);
    let stored: Vec<f32> = initializer.raw_data.as_ref().unwrap().chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    let expected: Vec<f32> = checkpoint.get(name, &[96, 64]).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(stored, expected);
    // The encoder contains the shared embedding and the encoder's weights, none of the decoder's.
    assert!(graph.initializer.iter().all(|t| !t.name.as_deref().unwrap_or("").starts_with("decoder.")));
    assert_eq!(graph.output[0].name.as_deref(), Some("last_hidden_state"));
}
