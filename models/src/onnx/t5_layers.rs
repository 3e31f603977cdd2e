//! T5's layers written as ONNX operators: bias-free linear maps, the scale-only layer norm,
//! multi-head attention and the feed-forward block.
//!
//! Source: `T5LayerNorm`, `T5Attention`, `T5DenseActDense` and `T5DenseGatedActDense` in
//! transformers' `modeling_t5.py`, and the activations `NewGELUActivation`, `GELUActivation`
//! and `SiLU` in `activations.py`. Weights are referred to by their checkpoint names and stay
//! in checkpoint layout (`[out, in]`). Each linear map transposes its weight with a `Transpose`
//! node, which ONNX Runtime folds into a constant when it loads the graph. Because the layout is
//! kept, every initializer of an exported file equals the checkpoint tensor of the same name.

use super::builder::{Attr, GraphBuilder};
use crate::t5::{Activation, FeedForwardKind};

/// `x W^T` for a `[out, in]` weight.
pub fn linear(g: &mut GraphBuilder, x: &str, weight: &str) -> String {
    let transposed = g.op("Transpose", &[weight], vec![("perm", Attr::Ints(vec![1, 0]))]);
    g.op("MatMul", &[x, &transposed], vec![])
}

/// T5's layer norm: `w * x / sqrt(mean(x^2) + eps)` over the last axis, no mean subtraction.
pub fn layer_norm(g: &mut GraphBuilder, x: &str, weight: &str, eps: f64) -> String {
    let squared = g.op("Mul", &[x, x], vec![]);
    let variance = g.op("ReduceMean", &[&squared], vec![("axes", Attr::Ints(vec![-1])), ("keepdims", Attr::Int(1))]);
    let eps = g.scalar_f32(eps as f32);
    let shifted = g.op("Add", &[&variance, &eps], vec![]);
    let rms = g.op("Sqrt", &[&shifted], vec![]);
    let normed = g.op("Div", &[x, &rms], vec![]);
    g.op("Mul", &[&normed, weight], vec![])
}

/// The weights and sizes of one attention layer.
pub struct AttentionWeights<'a> {
    /// The checkpoint prefix, for example `encoder.block.0.layer.0.SelfAttention`.
    pub prefix: &'a str,
    pub heads: usize,
    pub d_kv: usize,
}

impl AttentionWeights<'_> {
    fn weight(&self, name: &str) -> String {
        format!("{}.{name}.weight", self.prefix)
    }

    /// Projects `[batch, len, d_model]` to `[batch, heads, len, d_kv]`.
    fn split_heads(&self, g: &mut GraphBuilder, x: &str, name: &str) -> String {
        let projected = linear(g, x, &self.weight(name));
        // 0 copies the input's batch and length.
        let shape = g.const_i64(&[4], &[0, 0, self.heads as i64, self.d_kv as i64]);
        let split = g.op("Reshape", &[&projected, &shape], vec![]);
        g.op("Transpose", &[&split], vec![("perm", Attr::Ints(vec![0, 2, 1, 3]))])
    }

    /// Attends from `queries` to `keys_values` with the additive `bias`, as `T5Attention` does:
    /// no 1/sqrt(d_kv) scaling, softmax over keys, then the output projection.
    pub fn attend(&self, g: &mut GraphBuilder, queries: &str, keys_values: &str, bias: &str) -> String {
        let q = self.split_heads(g, queries, "q");
        let k = self.split_heads(g, keys_values, "k");
        let v = self.split_heads(g, keys_values, "v");
        let k_t = g.op("Transpose", &[&k], vec![("perm", Attr::Ints(vec![0, 1, 3, 2]))]);
        let scores = g.op("MatMul", &[&q, &k_t], vec![]);
        let scores = g.op("Add", &[&scores, bias], vec![]);
        let probs = g.op("Softmax", &[&scores], vec![("axis", Attr::Int(-1))]);
        let context = g.op("MatMul", &[&probs, &v], vec![]); // [batch, heads, q_len, d_kv]
        let context = g.op("Transpose", &[&context], vec![("perm", Attr::Ints(vec![0, 2, 1, 3]))]);
        let shape = g.const_i64(&[3], &[0, 0, (self.heads * self.d_kv) as i64]);
        let merged = g.op("Reshape", &[&context, &shape], vec![]);
        linear(g, &merged, &self.weight("o"))
    }
}

/// Applies the feed-forward block under checkpoint prefix `prefix` (`...DenseReluDense`):
/// `wo(act(wi x))`, or `wo(act(wi_0 x) * wi_1 x)` when gated.
pub fn feed_forward(g: &mut GraphBuilder, x: &str, prefix: &str, kind: FeedForwardKind) -> String {
    let hidden = if kind.gated {
        let gate = linear(g, x, &format!("{prefix}.wi_0.weight"));
        let gate = activate(g, &gate, kind.activation);
        let value = linear(g, x, &format!("{prefix}.wi_1.weight"));
        g.op("Mul", &[&gate, &value], vec![])
    } else {
        let hidden = linear(g, x, &format!("{prefix}.wi.weight"));
        activate(g, &hidden, kind.activation)
    };
    linear(g, &hidden, &format!("{prefix}.wo.weight"))
}

/// Applies an activation from elementary operators (opset 17 has no `Gelu`).
pub fn activate(g: &mut GraphBuilder, x: &str, activation: Activation) -> String {
    match activation {
        Activation::Relu => g.op("Relu", &[x], vec![]),
        Activation::GeluTanh => {
            // NewGELUActivation: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
            let three = g.scalar_f32(3.0);
            let cubed = g.op("Pow", &[x, &three], vec![]);
            let coefficient = g.scalar_f32(0.044715);
            let cubic = g.op("Mul", &[&cubed, &coefficient], vec![]);
            let inner = g.op("Add", &[x, &cubic], vec![]);
            let scale = g.scalar_f32((2.0f64 / std::f64::consts::PI).sqrt() as f32);
            let inner = g.op("Mul", &[&inner, &scale], vec![]);
            let tanh = g.op("Tanh", &[&inner], vec![]);
            half_x_times_one_plus(g, x, &tanh)
        }
        Activation::GeluErf => {
            // GELUActivation: 0.5 x (1 + erf(x / sqrt(2))).
            let root_two = g.scalar_f32(std::f32::consts::SQRT_2);
            let scaled = g.op("Div", &[x, &root_two], vec![]);
            let erf = g.op("Erf", &[&scaled], vec![]);
            half_x_times_one_plus(g, x, &erf)
        }
        Activation::Silu => {
            let sigmoid = g.op("Sigmoid", &[x], vec![]);
            g.op("Mul", &[x, &sigmoid], vec![])
        }
    }
}

/// `0.5 * x * (1 + t)`.
fn half_x_times_one_plus(g: &mut GraphBuilder, x: &str, t: &str) -> String {
    let one = g.scalar_f32(1.0);
    let shifted = g.op("Add", &[&one, t], vec![]);
    let half = g.scalar_f32(0.5);
    let half_x = g.op("Mul", &[&half, x], vec![]);
    g.op("Mul", &[&half_x, &shifted], vec![])
}
