//! The relative-position buckets computed inside an exported graph equal those of the bucket
//! function candle uses, for the published T5 settings (32 buckets, max distance 128) and the
//! fixtures' smaller ones, across exact, logarithmic and saturated distances.

use superpos_models::onnx::builder::{Attr, Dim, GraphBuilder};
use superpos_models::onnx::position_bias::relative_buckets;
use superpos_models::onnx::proto::DataType;
use superpos_models::onnx::runtime::OnnxSession;
use superpos_models::t5::attention::relative_position_bucket;

use super::require_runtime;

/// Runs the bucket subgraph in ONNX Runtime on `relative` positions.
fn onnx_buckets(relative: &[i64], bidirectional: bool, num_buckets: usize, max_distance: usize) -> Vec<u32> {
    let runtime = require_runtime();
    let mut g = GraphBuilder::new();
    let input = g.input("relative", DataType::Int64, &[Dim::Named("n")]);
    g.output("buckets", DataType::Float, &[Dim::Named("n")]);
    let buckets = relative_buckets(&mut g, &input, bidirectional, num_buckets, max_distance);
    // Bucket ids are small integers, exact in float32, which the session reads back.
    g.op_into("Cast", &[&buckets], vec![("to", Attr::Int(1))], "buckets");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buckets.onnx");
    std::fs::write(&path, prost::Message::encode_to_vec(&g.finish("buckets", vec![]))).unwrap();
    let mut session = OnnxSession::open(&runtime, &path).unwrap();
    let feed = session.int_input("relative", &[relative.len()], relative).unwrap();
    let (shape, values) = session.run(vec![("relative".to_string(), feed)], "buckets").unwrap();
    assert_eq!(shape, [relative.len()]);
    values.iter().map(|&v| v as u32).collect()
}

#[test]
fn graph_buckets_match_candle() {
    let relative: Vec<i64> = (-300..=300).collect();
    for (num_buckets, max_distance) in [(32, 128), (16, 32), (8, 20)] {
        for bidirectional in [true, false] {
            let ours = onnx_buckets(&relative, bidirectional, num_buckets, max_distance);
            let expected: Vec<u32> = relative.iter().map(|&r| relative_position_bucket(r, bidirectional, num_buckets, max_distance)).collect();
            assert_eq!(ours, expected, "{num_buckets} buckets, max distance {max_distance}, bidirectional {bidirectional}");
        }
    }
}

#[test]
fn published_t5_buckets_by_hand() {
    // 8 + floor(ln(20 / 8) / ln(128 / 8) * 8) = 10 for a key 20 before the query, 16 more for
    // one 20 after it; 15 and 31 once saturated.
    let buckets = onnx_buckets(&[-20, 20, -1000, 1000, 0, 3], true, 32, 128);
    assert_eq!(buckets, [10, 26, 15, 31, 0, 19]);
}
