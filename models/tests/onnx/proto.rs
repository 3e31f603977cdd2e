//! The hand-written protobuf structs read a file that `torch.onnx` wrote, which checks their
//! field numbers against onnx.proto as another writer uses them.

use prost::Message;
use superpos_models::onnx::proto::{DataType, ModelProto};

use super::fixture;

#[test]
fn torch_export_decodes() {
    let bytes = std::fs::read(fixture("t5-tiny-orig").join("decoder_model.onnx")).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(model.producer_name.as_deref(), Some("pytorch"));
    assert_eq!(model.opset_import[0].version, Some(20));
    let graph = model.graph.unwrap();
    let inputs: Vec<&str> = graph.input.iter().filter_map(|i| i.name.as_deref()).collect();
    assert_eq!(inputs, ["input_ids", "encoder_attention_mask", "encoder_hidden_states"]);
    assert_eq!(graph.input[0].elem_type(), Some(DataType::Int64 as i32));
    // encoder_hidden_states is [batch, enc_len, 48]: two symbolic sizes and d_model.
    assert_eq!(graph.input[2].dims(), vec![None, None, Some(48)]);
    assert_eq!(graph.output[0].name.as_deref(), Some("logits"));
    assert_eq!(graph.output[0].dims(), vec![None, None, Some(1100)]);
    let shared = graph.initializer.iter().find(|t| t.name.as_deref() == Some("m.shared.weight")).unwrap();
    assert_eq!(shared.dims, vec![1100, 48]);
    assert_eq!(shared.raw_data.as_ref().map(Vec::len), Some(1100 * 48 * 4));
}
