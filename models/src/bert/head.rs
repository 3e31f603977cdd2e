//! Trainable task heads on top of pooled sentence embeddings: a linear classifier with
//! cross-entropy loss, and a one-output linear regressor with mean squared error for STS-B
//! style similarity scores. Both mirror the `classifier` of transformers'
//! `BertForSequenceClassification` (which uses MSE when it has one label), except that they
//! read mean-pooled embeddings instead of the `[CLS]` pooler output and apply no dropout.
//!
//! The heads and the soft prompt are the only trainable variables, and the backbone stays
//! frozen. Initial weights follow `torch.nn.Linear`'s default initialisation and come from a
//! seeded ChaCha8 stream, so the same seed gives the same head on every machine.

use candle_core::{DType, Device, Tensor, Var};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{ModelError, Result};
use crate::t5::cross_entropy;
use crate::t5::layers::linear;

/// A trainable linear map `x W^T + b` with a `[out, in]` weight.
struct TrainableLinear {
    weight: Var,
    bias: Var,
}

impl TrainableLinear {
    /// Draws weight and bias uniformly from [-1/sqrt(in), 1/sqrt(in)), the bound that
    /// `torch.nn.Linear.reset_parameters` gives both (Kaiming uniform with a = sqrt(5) for
    /// the weight). The weight is drawn first, row by row, then the bias.
    fn new(in_features: usize, out_features: usize, seed: u64, device: &Device) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(ModelError::InvalidInput(format!(
                "a linear head needs positive sizes, got {out_features} outputs over {in_features} inputs"
            )));
        }
        let bound = 1.0 / (in_features as f32).sqrt();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut draw = |count: usize| -> Vec<f32> { (0..count).map(|_| uniform_symmetric(&mut rng, bound)).collect() };
        let weight = Tensor::from_vec(draw(out_features * in_features), (out_features, in_features), device)?;
        let bias = Tensor::from_vec(draw(out_features), out_features, device)?;
        Ok(Self { weight: Var::from_tensor(&weight)?, bias: Var::from_tensor(&bias)? })
    }

    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        Ok(linear(xs, self.weight.as_tensor())?.broadcast_add(self.bias.as_tensor())?)
    }

    /// Returns the variables under the names `BertForSequenceClassification` gives its
    /// classifier, so that exported heads read like a transformers checkpoint.
    fn named_vars(&self) -> Vec<(String, Var)> {
        vec![("classifier.weight".to_string(), self.weight.clone()), ("classifier.bias".to_string(), self.bias.clone())]
    }
}

/// Draws a float32 uniformly from [-bound, bound) using the top 24 bits of one 32-bit draw, so
/// the value depends only on the ChaCha8 stream and not on a `rand` version's float sampling.
fn uniform_symmetric(rng: &mut ChaCha8Rng, bound: f32) -> f32 {
    let unit = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
    (2.0 * unit - 1.0) * bound
}

/// A linear classifier over pooled `[batch, hidden]` embeddings.
pub struct ClassificationHead {
    linear: TrainableLinear,
    classes: usize,
}

impl ClassificationHead {
    /// Creates a head with a `[classes, hidden]` weight and a `[classes]` bias, initialised
    /// from `seed`.
    pub fn new(hidden_size: usize, classes: usize, seed: u64, device: &Device) -> Result<Self> {
        Ok(Self { linear: TrainableLinear::new(hidden_size, classes, seed, device)?, classes })
    }

    /// Returns the number of classes, which is the number of logits per row.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Maps `[batch, hidden]` pooled embeddings to `[batch, classes]` logits.
    pub fn forward(&self, pooled: &Tensor) -> Result<Tensor> {
        self.linear.forward(pooled)
    }

    /// Computes the mean cross-entropy of `[batch, classes]` logits against `[batch]` class
    /// indices. Rows labelled -100 are ignored, as in `torch.nn.CrossEntropyLoss`.
    pub fn loss(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let (batch, classes) = logits.dims2()?;
        if labels.dims() != [batch] {
            return Err(ModelError::InvalidInput(format!("labels have shape {:?}; expected [{batch}]", labels.dims())));
        }
        let max_label = labels.to_dtype(DType::I64)?.max_all()?.to_scalar::<i64>()?;
        if max_label >= classes as i64 {
            return Err(ModelError::InvalidInput(format!("label {max_label} is out of range for {classes} classes")));
        }
        cross_entropy(&logits.unsqueeze(1)?, &labels.unsqueeze(1)?)
    }

    /// Returns the trainable weight and bias, for an optimiser.
    pub fn vars(&self) -> Vec<Var> {
        vec![self.linear.weight.clone(), self.linear.bias.clone()]
    }

    /// Returns the trainable variables with their names (`classifier.weight`, `classifier.bias`).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        self.linear.named_vars()
    }
}

/// A one-output linear regressor over pooled `[batch, hidden]` embeddings.
pub struct RegressionHead {
    linear: TrainableLinear,
}

impl RegressionHead {
    /// Creates a head with a `[1, hidden]` weight and a `[1]` bias, initialised from `seed`.
    pub fn new(hidden_size: usize, seed: u64, device: &Device) -> Result<Self> {
        Ok(Self { linear: TrainableLinear::new(hidden_size, 1, seed, device)? })
    }

    /// Maps `[batch, hidden]` pooled embeddings to `[batch]` scores.
    pub fn forward(&self, pooled: &Tensor) -> Result<Tensor> {
        Ok(self.linear.forward(pooled)?.squeeze(1)?)
    }

    /// Computes the mean squared error of `[batch]` predictions against `[batch]` float targets.
    pub fn loss(&self, predictions: &Tensor, targets: &Tensor) -> Result<Tensor> {
        mse_loss(predictions, targets)
    }

    /// Returns the trainable weight and bias, for an optimiser.
    pub fn vars(&self) -> Vec<Var> {
        vec![self.linear.weight.clone(), self.linear.bias.clone()]
    }

    /// Returns the trainable variables with their names (`classifier.weight`, `classifier.bias`).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        self.linear.named_vars()
    }
}

/// Computes the mean squared error over all elements, as `torch.nn.MSELoss` with mean reduction.
pub fn mse_loss(predictions: &Tensor, targets: &Tensor) -> Result<Tensor> {
    if predictions.dims() != targets.dims() {
        return Err(ModelError::InvalidInput(format!(
            "predictions have shape {:?} but targets have shape {:?}",
            predictions.dims(),
            targets.dims()
        )));
    }
    let targets = targets.to_dtype(predictions.dtype())?;
    Ok((predictions - targets)?.sqr()?.mean_all()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_seeded_and_bounded() {
        let a = ClassificationHead::new(16, 3, 5, &Device::Cpu).unwrap();
        let b = ClassificationHead::new(16, 3, 5, &Device::Cpu).unwrap();
        let c = ClassificationHead::new(16, 3, 6, &Device::Cpu).unwrap();
        let weights = |head: &ClassificationHead| head.vars()[0].as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(weights(&a), weights(&b));
        assert_ne!(weights(&a), weights(&c));
        // bound = 1 / sqrt(16) = 0.25
        assert!(weights(&a).iter().all(|w| (-0.25..0.25).contains(w)));
        let bias = a.vars()[1].as_tensor().to_vec1::<f32>().unwrap();
        assert!(bias.iter().all(|w| (-0.25..0.25).contains(w)));
    }

    #[test]
    fn mse_matches_hand_value() {
        let predictions = Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        let targets = Tensor::new(&[0f32, 4.0], &Device::Cpu).unwrap();
        let loss = mse_loss(&predictions, &targets).unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(loss, 2.5);
    }

    #[test]
    fn label_out_of_range_is_rejected() {
        let head = ClassificationHead::new(4, 2, 0, &Device::Cpu).unwrap();
        let logits = Tensor::zeros((1, 2), DType::F32, &Device::Cpu).unwrap();
        let labels = Tensor::new(&[2i64], &Device::Cpu).unwrap();
        let error = head.loss(&logits, &labels).unwrap_err().to_string();
        assert!(error.contains("label 2 is out of range for 2 classes"), "{error}");
    }
}
