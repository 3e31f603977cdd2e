//! The small building blocks of BERT (Devlin et al. 2019, "BERT: Pre-training of Deep
//! Bidirectional Transformers for Language Understanding"): linear maps with bias, the layer
//! norm with mean subtraction and bias, and the feed-forward activation.
//!
//! Every function has a complete backward pass in candle's autograd. candle-nn's fused
//! `layer_norm` kernel is avoided because its backward pass is not implemented, and prompt
//! tuning needs gradients through every frozen layer.

use candle_core::{Result, Tensor, D};

use crate::checkpoint::Checkpoint;
use crate::t5::layers::linear;
use crate::t5::Activation;

/// A frozen linear map `x W^T + b` with a `[out, in]` weight, as `torch.nn.Linear` computes it.
pub struct Dense {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Dense {
    /// Reads `{name}.weight` (`[out, in]`) and `{name}.bias` (`[out]`), shape-checked.
    pub fn load(checkpoint: &Checkpoint, name: &str, out_features: usize, in_features: usize) -> crate::Result<Self> {
        Ok(Self {
            weight: checkpoint.get(&format!("{name}.weight"), &[out_features, in_features])?,
            bias: checkpoint.get(&format!("{name}.bias"), &[out_features])?,
        })
    }

    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        linear(xs, &self.weight)?.broadcast_add(&self.bias)
    }
}

/// A frozen layer norm over the last dimension with a learned scale and bias.
pub struct LayerNorm {
    pub weight: Tensor,
    pub bias: Tensor,
    pub eps: f64,
}

impl LayerNorm {
    /// Reads `{name}.weight` and `{name}.bias`, both `[size]`, or `{name}.gamma` and
    /// `{name}.beta`, the names some older hub checkpoints use (bert-base-chinese among them).
    pub fn load(checkpoint: &Checkpoint, name: &str, size: usize, eps: f64) -> crate::Result<Self> {
        Ok(Self {
            weight: checkpoint.get_any(&[&format!("{name}.weight"), &format!("{name}.gamma")], &[size])?,
            bias: checkpoint.get_any(&[&format!("{name}.bias"), &format!("{name}.beta")], &[size])?,
            eps,
        })
    }

    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        layer_norm(xs, &self.weight, &self.bias, self.eps)
    }
}

/// Normalises the last dimension to zero mean and unit variance, then scales and shifts:
/// `(x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance, as
/// `torch.nn.LayerNorm` computes it.
pub fn layer_norm(xs: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let mean = xs.mean_keepdim(D::Minus1)?;
    let centered = xs.broadcast_sub(&mean)?;
    let variance = centered.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = centered.broadcast_div(&(variance + eps)?.sqrt()?)?;
    normed.broadcast_mul(weight)?.broadcast_add(bias)
}

/// Applies the feed-forward nonlinearity named by `hidden_act`.
pub fn activate(xs: &Tensor, activation: Activation) -> Result<Tensor> {
    match activation {
        Activation::Relu => xs.relu(),
        Activation::GeluTanh => xs.gelu(),
        Activation::GeluErf => xs.gelu_erf(),
        Activation::Silu => xs.silu(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn layer_norm_matches_hand_value() {
        let xs = Tensor::new(&[[1f32, 2.0, 3.0]], &Device::Cpu).unwrap();
        let weight = Tensor::new(&[1f32, 2.0, 1.0], &Device::Cpu).unwrap();
        let bias = Tensor::new(&[0f32, 0.0, 0.5], &Device::Cpu).unwrap();
        // mean 2, biased variance 2/3, so the normed row is [-1.2247449, 0, 1.2247449].
        let out = layer_norm(&xs, &weight, &bias, 0.0).unwrap().to_vec2::<f32>().unwrap();
        let expected = [-1.224_744_9f32, 0.0, 1.724_744_9];
        for (value, want) in out[0].iter().zip(expected) {
            assert!((value - want).abs() < 1e-6, "{out:?} vs {expected:?}");
        }
    }

    #[test]
    fn layer_norm_gradient_sums_to_zero() {
        // With unit scale and no bias, the output is invariant to adding a constant to every
        // input, so the gradient of any loss sums to zero over the normalised dimension.
        let var = Var::new(&[0.3f32, -1.0, 2.0, 0.7], &Device::Cpu).unwrap();
        let ones = Tensor::ones(4, candle_core::DType::F32, &Device::Cpu).unwrap();
        let zeros = ones.zeros_like().unwrap();
        let probe = Tensor::new(&[1f32, -2.0, 0.5, 3.0], &Device::Cpu).unwrap();
        let loss = layer_norm(var.as_tensor(), &ones, &zeros, 1e-12).unwrap().mul(&probe).unwrap().sum_all().unwrap();
        let grad = loss.backward().unwrap().get(&var).unwrap().to_vec1::<f32>().unwrap();
        assert!(grad.iter().any(|g| g.abs() > 1e-3), "gradient {grad:?} is zero");
        assert!(grad.iter().sum::<f32>().abs() < 1e-5, "gradient {grad:?} does not sum to zero");
    }
}
