//! The trainable layers that reparameterise prompts: `nn.Linear` and `nn.LayerNorm` with PyTorch's
//! default initialisation, written with differentiable candle ops.
//!
//! candle-nn's fused `layer_norm` has no backward pass, so [`LayerNorm`] is built from mean,
//! subtraction and square root, which candle differentiates.

use candle_core::{Device, Tensor, Var, D};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::init::{linear_init, linear_weight_init};

/// PyTorch's `nn.LayerNorm` default epsilon.
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// An affine layer `y = x W^T + b` with `W` of shape `[out, in]`, as `torch.nn.Linear` stores it.
pub struct Linear {
    pub weight: Var,
    /// `None` for `nn.Linear(.., bias=False)`.
    pub bias: Option<Var>,
}

impl Linear {
    /// Creates the layer with PyTorch's default initialisation (see [`linear_init`]). Without a
    /// bias, the bias values are not drawn, as in PyTorch.
    pub fn new(rng: &mut ChaCha8Rng, fan_in: usize, fan_out: usize, with_bias: bool, device: &Device) -> Result<Self> {
        if with_bias {
            let (weight, bias) = linear_init(rng, fan_in, fan_out, device)?;
            Ok(Self { weight: Var::from_tensor(&weight)?, bias: Some(Var::from_tensor(&bias)?) })
        } else {
            let weight = linear_weight_init(rng, fan_in, fan_out, device)?;
            Ok(Self { weight: Var::from_tensor(&weight)?, bias: None })
        }
    }

    /// Applies the layer to `[.., in]` inputs.
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let weight_t = self.weight.as_tensor().t()?;
        let out = xs.broadcast_matmul(&weight_t)?;
        match &self.bias {
            Some(bias) => Ok(out.broadcast_add(bias.as_tensor())?),
            None => Ok(out),
        }
    }

    /// Lists the weight and bias under `prefix`.
    pub fn named_variables(&self, prefix: &str) -> Vec<(String, Var)> {
        let mut vars = vec![(format!("{prefix}.weight"), self.weight.clone())];
        if let Some(bias) = &self.bias {
            vars.push((format!("{prefix}.bias"), bias.clone()));
        }
        vars
    }

    /// Counts the trainable values of an `nn.Linear(fan_in, fan_out, bias=with_bias)`.
    pub fn parameter_count(fan_in: usize, fan_out: usize, with_bias: bool) -> usize {
        fan_in * fan_out + if with_bias { fan_out } else { 0 }
    }
}

/// Layer normalisation over the last dimension with a trainable scale and shift, as
/// `torch.nn.LayerNorm(d)` (scale starts at 1, shift at 0, epsilon 1e-5, biased variance).
pub struct LayerNorm {
    pub weight: Var,
    pub bias: Var,
}

impl LayerNorm {
    /// Creates the layer for `d`-dimensional inputs.
    pub fn new(d: usize, device: &Device) -> Result<Self> {
        Ok(Self {
            weight: Var::ones(d, candle_core::DType::F32, device)?,
            bias: Var::zeros(d, candle_core::DType::F32, device)?,
        })
    }

    /// Normalises `[.., d]` inputs.
    pub fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let mean = xs.mean_keepdim(D::Minus1)?;
        let centered = xs.broadcast_sub(&mean)?;
        let variance = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(variance + LAYER_NORM_EPS)?.sqrt()?)?;
        Ok(normed.broadcast_mul(self.weight.as_tensor())?.broadcast_add(self.bias.as_tensor())?)
    }

    /// Lists the scale and shift under `prefix`.
    pub fn named_variables(&self, prefix: &str) -> Vec<(String, Var)> {
        vec![(format!("{prefix}.weight"), self.weight.clone()), (format!("{prefix}.bias"), self.bias.clone())]
    }

    /// Counts the trainable values of an `nn.LayerNorm(d)`.
    pub fn parameter_count(d: usize) -> usize {
        2 * d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::{seeded_rng, Stream};

    #[test]
    fn layer_norm_matches_definition() {
        let norm = LayerNorm::new(4, &Device::Cpu).unwrap();
        let xs = Tensor::new(&[[1f32, 2.0, 3.0, 4.0], [-2.0, 0.0, 0.0, 2.0]], &Device::Cpu).unwrap();
        let out = norm.forward(&xs).unwrap().to_vec2::<f32>().unwrap();
        // Row 1: mean 2.5, biased variance 1.25.
        let scale = 1.0 / (1.25f64 + 1e-5).sqrt();
        let expected = [-1.5 * scale, -0.5 * scale, 0.5 * scale, 1.5 * scale];
        for (got, want) in out[0].iter().zip(expected) {
            assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
        }
        // Row 2: mean 0, biased variance 2.
        let scale = 1.0 / (2.0f64 + 1e-5).sqrt();
        assert!((out[1][0] as f64 + 2.0 * scale).abs() < 1e-6);
        assert_eq!(out[1][1], 0.0);
    }

    #[test]
    fn layer_norm_has_gradients() {
        let norm = LayerNorm::new(3, &Device::Cpu).unwrap();
        let xs = Var::new(&[[1f32, 5.0, 2.0]], &Device::Cpu).unwrap();
        let loss = norm.forward(xs.as_tensor()).unwrap().sqr().unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        assert!(grads.get(norm.weight.as_tensor()).is_some());
        assert!(grads.get(norm.bias.as_tensor()).is_some());
        assert!(grads.get(xs.as_tensor()).is_some());
    }

    #[test]
    fn linear_forward_matches_matmul() {
        let mut rng = seeded_rng(0, Stream::Layers);
        let layer = Linear::new(&mut rng, 3, 2, true, &Device::Cpu).unwrap();
        let xs = Tensor::new(&[[1f32, 0.0, 0.0]], &Device::Cpu).unwrap();
        let out = layer.forward(&xs).unwrap().to_vec2::<f32>().unwrap();
        let weight = layer.weight.as_tensor().to_vec2::<f32>().unwrap();
        let bias = layer.bias.as_ref().unwrap().as_tensor().to_vec1::<f32>().unwrap();
        assert_eq!(out[0][0], weight[0][0] + bias[0]);
        assert_eq!(out[0][1], weight[1][0] + bias[1]);
        assert_eq!(Linear::parameter_count(3, 2, true), 8);
        assert_eq!(Linear::parameter_count(3, 2, false), 6);
    }
}
