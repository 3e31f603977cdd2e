//! The small building blocks of T5: bias-free linear maps, the scale-only layer norm, a
//! differentiable softmax and the feed-forward block.
//!
//! Every function here has a complete backward pass in candle's autograd. candle-nn's fused
//! `softmax_last_dim` and `rms_norm` kernels are avoided because their backward passes are not
//! implemented, and prompt tuning needs gradients through every frozen layer.

use candle_core::{DType, Module, Result, Tensor, D};

use super::config::{Activation, FeedForwardKind};
use crate::dropout::Dropout;
use crate::frozen::frozen_matmul;
use crate::gelu::gelu_tanh;

/// Applies `x W^T` for a `[out, in]` weight, as `torch.nn.Linear(bias=False)` does. A frozen
/// weight gets no gradient (see [`crate::frozen`]). A weight stored in another dtype (bfloat16,
/// see [`crate::precision`]) sets the dtype of the product, and the result is cast back to the
/// input's dtype.
pub fn linear(xs: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let dims = xs.dims();
    let (rows, last) = (dims[..dims.len() - 1].iter().product::<usize>(), dims[dims.len() - 1]);
    let flat = xs.reshape((rows, last))?.to_dtype(weight.dtype())?;
    let out = frozen_matmul(&flat, &weight.t()?)?.to_dtype(xs.dtype())?;
    let mut shape = dims.to_vec();
    *shape.last_mut().unwrap() = weight.dim(0)?;
    out.reshape(shape)
}

/// T5's layer norm: scale only, no mean subtraction and no bias (root mean square norm),
/// computed in float32 as transformers does.
pub fn layer_norm(xs: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    let dtype = xs.dtype();
    let xs = xs.to_dtype(DType::F32)?;
    let variance = xs.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = xs.broadcast_div(&(variance + eps)?.sqrt()?)?;
    normed.to_dtype(dtype)?.broadcast_mul(weight)
}

/// Softmax over the last dimension. The row maximum is subtracted for stability and detached:
/// the shift does not change the result, so it needs no gradient of its own.
pub fn softmax_last_dim(xs: &Tensor) -> Result<Tensor> {
    let max = xs.max_keepdim(D::Minus1)?.detach();
    let exp = xs.broadcast_sub(&max)?.exp()?;
    let sum = exp.sum_keepdim(D::Minus1)?;
    exp.broadcast_div(&sum)
}

fn activate(xs: &Tensor, activation: Activation) -> Result<Tensor> {
    match activation {
        Activation::Relu => xs.relu(),
        Activation::GeluTanh => gelu_tanh(xs),
        Activation::GeluErf => xs.gelu_erf(),
        Activation::Silu => xs.silu(),
    }
}

/// The feed-forward block (`T5DenseActDense` or `T5DenseGatedActDense` in transformers):
/// `wo(dropout(act(wi x)))`, or `wo(dropout(act(wi_0 x) * wi_1 x))` when gated.
pub struct FeedForward {
    pub kind: FeedForwardKind,
    pub wi: Tensor,
    pub wi_gate: Option<Tensor>,
    pub wo: Tensor,
}

impl FeedForward {
    pub fn forward(&self, xs: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let hidden = activate(&linear(xs, &self.wi)?, self.kind.activation)?;
        let hidden = match &self.wi_gate {
            Some(gate) => hidden.mul(&linear(xs, gate)?)?,
            None => hidden,
        };
        linear(&dropout.apply(&hidden)?, &self.wo)
    }
}

/// Looks up rows of an embedding table with a `[vocab, d]` weight.
pub fn embed(ids: &Tensor, table: &Tensor) -> Result<Tensor> {
    candle_nn::Embedding::new(table.clone(), table.dim(1)?).forward(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn layer_norm_matches_hand_value() {
        let xs = Tensor::new(&[[3f32, 4.0]], &Device::Cpu).unwrap();
        let w = Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        // rms = sqrt((9 + 16) / 2) = 3.5355339, so the output is [0.8485281, 2.2627417].
        let out = layer_norm(&xs, &w, 0.0).unwrap().to_vec2::<f32>().unwrap();
        assert!((out[0][0] - 0.848_528_1).abs() < 1e-6);
        assert!((out[0][1] - 2.262_741_7).abs() < 1e-6);
    }

    #[test]
    fn softmax_gradient_matches_analytic() {
        let var = Var::new(&[1f32, 2.0, 0.5], &Device::Cpu).unwrap();
        let weights = Tensor::new(&[1f32, 0.0, 0.0], &Device::Cpu).unwrap();
        let probs = softmax_last_dim(var.as_tensor()).unwrap();
        let loss = probs.mul(&weights).unwrap().sum_all().unwrap();
        let grad = loss.backward().unwrap().get(&var).unwrap().to_vec1::<f32>().unwrap();
        let p = probs.to_vec1::<f32>().unwrap();
        // d p0 / d x_j = p0 (delta_0j - p_j).
        let expected = [p[0] * (1.0 - p[0]), -p[0] * p[1], -p[0] * p[2]];
        for (g, e) in grad.iter().zip(expected) {
            assert!((g - e).abs() < 1e-6, "{grad:?} vs {expected:?}");
        }
    }
}
