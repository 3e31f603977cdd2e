//! Parameter counts from `config.json` alone, against the counts transformers reports.

use std::path::PathBuf;

use superpos_models::info::model_info;

use super::fixture;

fn backbone_config(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../configs/backbones").join(name).join("config.json")
}

#[test]
fn t5_v1_1_small_count_matches_paper() {
    // 76,961,152 is the count the SuperPos-Prompt paper gives for t5-small-lm-adapt, which has
    // the T5 v1.1 small shape.
    let info = model_info(&backbone_config("t5-v1_1-small")).unwrap();
    assert_eq!(info.parameters, 76_961_152);
    assert!(info.weight_files.is_empty());
}

#[test]
fn t5_v1_1_base_count_matches_paper() {
    let info = model_info(&backbone_config("t5-v1_1-base")).unwrap();
    assert_eq!(info.parameters, 247_577_856);
}

#[test]
fn original_t5_small_count() {
    // transformers reports 60,506,624 for t5-small (tied head, ReLU feed-forward).
    let info = model_info(&backbone_config("t5-small")).unwrap();
    assert_eq!(info.parameters, 60_506_624);
}

#[test]
fn fixture_info_hashes_weights() {
    let info = model_info(&fixture("t5-tiny-v11")).unwrap();
    assert_eq!(info.weight_files.len(), 1);
    assert_eq!(info.weight_files[0].sha256.len(), 64);
    assert_eq!(info.stored_dtype.as_deref(), Some("F32"));
    assert!(info.architecture.contains("gated GELU, tanh approximation"), "{}", info.architecture);
}

#[test]
fn weight_shapes_match_checkpoint_names() {
    for name in ["t5-tiny-v11", "t5-tiny-orig"] {
        let dir = fixture(name);
        let config = superpos_models::t5::T5Config::from_file(&dir.join("config.json")).unwrap();
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &candle_core::Device::Cpu).unwrap();
        let mut stored: Vec<(String, Vec<usize>)> = tensors.iter().map(|(k, v)| (k.clone(), v.dims().to_vec())).collect();
        let mut expected = config.weight_shapes();
        stored.sort();
        expected.sort();
        assert_eq!(stored, expected, "{name}");
    }
}
