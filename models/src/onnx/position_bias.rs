//! T5's relative position bias and causal mask as ONNX operators, for any sequence length.
//!
//! Source: `T5Attention._relative_position_bucket` and `compute_bias` in transformers'
//! `modeling_t5.py`. The bucket of each (query, key) pair is computed inside the graph from
//! `Range`, `Sub`, `Abs`, `Less`, `Log` and `Where`, following that formula step by step:
//! exact buckets below `max_exact`, logarithmic ones above it, saturating at the last bucket.
//!
//! Why in the graph: a bias precomputed for one length would fix the sequence length. A bucket
//! table precomputed by this crate's own Rust bucket function would repeat any mistake of that
//! function in the exported graph, where the cross-check could not catch it. Written in ONNX
//! operators, the formula is an independent second implementation and lengths stay dynamic.
//!
//! NOTE: transformers computes the log ratio in float32 and truncates it to an integer, so a
//! bucket edge depends on how `Log` rounds in float32. Nothing guarantees that ONNX Runtime's
//! `Log` rounds like the C library's `logf`. A difference in the last bit would move a bucket
//! only where the scaled log lies within one rounding step of an integer. The ONNX tests compare
//! every bucket from -300 to 300 for the published settings and the fixtures' settings.

use super::builder::{Attr, GraphBuilder};

/// Float32's lowest value, the additive mask transformers uses (`torch.finfo(float32).min`).
pub const MASK_VALUE: f32 = f32::MIN;

/// Returns `[1, heads, len, len]` position bias for self-attention over a sequence whose length
/// is dimension 1 of `ids` (a `[batch, len]` tensor), from the `[buckets, heads]` table
/// `table`. Bidirectional buckets are the encoder's, unidirectional (causal) the decoder's.
pub fn self_attention_bias(g: &mut GraphBuilder, ids: &str, table: &str, bidirectional: bool, num_buckets: usize, max_distance: usize) -> String {
    let relative = relative_positions(g, ids);
    let buckets = relative_buckets(g, &relative, bidirectional, num_buckets, max_distance);
    let values = g.op("Gather", &[table, &buckets], vec![("axis", Attr::Int(0))]); // [q, k, heads]
    let per_head = g.op("Transpose", &[&values], vec![("perm", Attr::Ints(vec![2, 0, 1]))]);
    let zero = g.const_i64(&[1], &[0]);
    g.op("Unsqueeze", &[&per_head, &zero], vec![])
}

/// Returns the `[len, len]` matrix of key position minus query position (`memory_position -
/// context_position` in transformers) for the length in dimension 1 of `ids`.
pub fn relative_positions(g: &mut GraphBuilder, ids: &str) -> String {
    let shape = g.op("Shape", &[ids], vec![]);
    let axis = g.scalar_i64(1);
    let len = g.op("Gather", &[&shape, &axis], vec![("axis", Attr::Int(0))]); // a scalar
    let (start, step) = (g.scalar_i64(0), g.scalar_i64(1));
    let positions = g.op("Range", &[&start, &len, &step], vec![]);
    let (row, column) = (g.const_i64(&[1], &[0]), g.const_i64(&[1], &[1]));
    let keys = g.op("Unsqueeze", &[&positions, &row], vec![]); // [1, len], varies along keys
    let queries = g.op("Unsqueeze", &[&positions, &column], vec![]); // [len, 1], varies along queries
    g.op("Sub", &[&keys, &queries], vec![])
}

/// Maps int64 relative positions to bucket ids, as `_relative_position_bucket` does.
pub fn relative_buckets(g: &mut GraphBuilder, relative: &str, bidirectional: bool, num_buckets: usize, max_distance: usize) -> String {
    let zero = g.scalar_i64(0);
    let (buckets, distance, offset) = if bidirectional {
        // Half the buckets go to keys after the query.
        let half = (num_buckets / 2) as i64;
        let after = g.op("Greater", &[relative, &zero], vec![]);
        let after = g.op("Cast", &[&after], vec![("to", Attr::Int(7))]); // int64
        let half_const = g.scalar_i64(half);
        let offset = g.op("Mul", &[&after, &half_const], vec![]);
        let distance = g.op("Abs", &[relative], vec![]);
        (half, distance, Some(offset))
    } else {
        // Only past keys get distinct buckets; future keys share bucket 0.
        let past = g.op("Min", &[relative, &zero], vec![]);
        let distance = g.op("Neg", &[&past], vec![]);
        (num_buckets as i64, distance, None)
    };
    let max_exact = buckets / 2;
    let max_exact_i = g.scalar_i64(max_exact);
    let is_small = g.op("Less", &[&distance, &max_exact_i], vec![]);

    // The logarithmic branch. transformers takes log(0) for distance 0 and discards it in the
    // final `where`. Clamping at max_exact first keeps every value finite, so the float to
    // integer cast below gets no infinity, and it changes no value that the `Where` keeps.
    let clamped = g.op("Max", &[&distance, &max_exact_i], vec![]);
    let as_float = g.op("Cast", &[&clamped], vec![("to", Attr::Int(1))]); // float32
    let max_exact_f = g.scalar_f32(max_exact as f32);
    let ratio = g.op("Div", &[&as_float, &max_exact_f], vec![]);
    let log = g.op("Log", &[&ratio], vec![]);
    // transformers divides by the Python float log(max_distance / max_exact), which PyTorch
    // rounds to float32 for a float32 tensor.
    let denominator = g.scalar_f32((max_distance as f64 / max_exact as f64).ln() as f32);
    let scaled = g.op("Div", &[&log, &denominator], vec![]);
    let span = g.scalar_f32((buckets - max_exact) as f32);
    let scaled = g.op("Mul", &[&scaled, &span], vec![]);
    // Cast truncates toward zero, as `.to(torch.long)` does; the value is never negative here.
    let steps = g.op("Cast", &[&scaled], vec![("to", Attr::Int(7))]);
    let large = g.op("Add", &[&steps, &max_exact_i], vec![]);
    let last = g.scalar_i64(buckets - 1);
    let large = g.op("Min", &[&large, &last], vec![]);

    let chosen = g.op("Where", &[&is_small, &distance, &large], vec![]);
    match offset {
        Some(offset) => g.op("Add", &[&offset, &chosen], vec![]),
        None => chosen,
    }
}

/// Returns the additive `[len, len]` causal mask for the length in dimension 1 of `ids`:
/// 0 where the key is at or before the query, [`MASK_VALUE`] after it.
pub fn causal_mask(g: &mut GraphBuilder, ids: &str) -> String {
    let relative = relative_positions(g, ids);
    let zero = g.scalar_i64(0);
    let future = g.op("Greater", &[&relative, &zero], vec![]);
    let (masked, kept) = (g.scalar_f32(MASK_VALUE), g.scalar_f32(0.0));
    g.op("Where", &[&future, &masked, &kept], vec![])
}

/// Turns a `[batch, len]` 0/1 integer mask into the additive `[batch, 1, 1, len]` float mask:
/// `(mask - 1) * -MASK_VALUE`, which is exactly 0 or [`MASK_VALUE`] without overflow.
pub fn padding_mask(g: &mut GraphBuilder, mask: &str) -> String {
    let keep = g.op("Cast", &[mask], vec![("to", Attr::Int(1))]);
    let one = g.scalar_f32(1.0);
    let shifted = g.op("Sub", &[&keep, &one], vec![]);
    let scale = g.scalar_f32(-MASK_VALUE);
    let additive = g.op("Mul", &[&shifted, &scale], vec![]);
    let axes = g.const_i64(&[2], &[1, 2]);
    g.op("Unsqueeze", &[&additive, &axes], vec![])
}
