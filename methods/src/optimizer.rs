//! AdamW with parameter groups, following `torch.optim.AdamW` (Loshchilov and Hutter 2019,
//! "Decoupled Weight Decay Regularization"; PyTorch 2.x `_single_tensor_adamw`).
//!
//! Per parameter and step t, with learning rate lr and weight decay wd of its group:
//!
//! ```text
//! theta <- theta * (1 - lr * wd)                       (decoupled weight decay)
//! m     <- beta1 * m + (1 - beta1) * g
//! v     <- beta2 * v + (1 - beta2) * g^2
//! theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//! ```
//!
//! As in PyTorch, a parameter without a gradient in a step is skipped, and its step count t does
//! not advance. The learning rate is constant: the methods compared here train without a scheduler.

use std::collections::HashSet;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::error::{MethodError, Result};

/// Trainable variables that share one learning rate and weight decay.
#[derive(Clone)]
pub struct ParamGroup {
    /// A short label for logs, such as `prompt` or `coefficients`.
    pub name: String,
    pub vars: Vec<Var>,
    pub lr: f64,
    pub weight_decay: f64,
}

impl ParamGroup {
    /// Creates a group.
    pub fn new(name: impl Into<String>, vars: Vec<Var>, lr: f64, weight_decay: f64) -> Self {
        Self { name: name.into(), vars, lr, weight_decay }
    }

    /// Counts the trainable values in the group.
    pub fn parameter_count(&self) -> usize {
        self.vars.iter().map(|var| var.elem_count()).sum()
    }
}

/// The hyperparameters shared by every group. The defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// Optimiser state of one parameter: PyTorch's `exp_avg`, `exp_avg_sq` and `step`.
struct ParamState {
    var: Var,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    step: u64,
}

struct GroupState {
    name: String,
    lr: f64,
    weight_decay: f64,
    params: Vec<ParamState>,
}

/// The AdamW optimiser over parameter groups.
// TODO: the moments and step counts are not saved, so a run resumed from a method state file
// restarts AdamW from zero moments instead of continuing where it stopped.
pub struct AdamW {
    config: AdamWConfig,
    groups: Vec<GroupState>,
}

impl AdamW {
    /// Creates the optimiser. Fails on a negative learning rate or weight decay, betas outside
    /// [0, 1), a negative epsilon, or a variable listed in two groups (PyTorch rejects that too).
    pub fn new(groups: Vec<ParamGroup>, config: AdamWConfig) -> Result<Self> {
        validate_config(&config)?;
        let mut seen = HashSet::new();
        let mut states = Vec::with_capacity(groups.len());
        for group in groups {
            if group.lr.is_nan() || group.lr < 0.0 {
                return Err(invalid("lr", group.lr, format!("group {} needs a learning rate >= 0", group.name)));
            }
            if group.weight_decay.is_nan() || group.weight_decay < 0.0 {
                return Err(invalid("weight_decay", group.weight_decay, format!("group {} needs a weight decay >= 0", group.name)));
            }
            let mut params = Vec::with_capacity(group.vars.len());
            for var in group.vars {
                if !seen.insert(var.as_tensor().id()) {
                    return Err(MethodError::InvalidConfig {
                        field: "param_groups",
                        value: group.name.clone(),
                        reason: "a variable appears in more than one parameter group".to_string(),
                    });
                }
                let exp_avg = var.as_tensor().zeros_like()?.detach();
                let exp_avg_sq = exp_avg.clone();
                params.push(ParamState { var, exp_avg, exp_avg_sq, step: 0 });
            }
            states.push(GroupState { name: group.name, lr: group.lr, weight_decay: group.weight_decay, params });
        }
        Ok(Self { config, groups: states })
    }

    /// Computes the gradients of `loss` and applies one step.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }

    /// Applies one step with the gradients in `grads`. Variables without a gradient are skipped.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        let AdamWConfig { beta1, beta2, eps } = self.config;
        for group in &mut self.groups {
            for param in &mut group.params {
                let Some(grad) = grads.get(param.var.as_tensor()) else {
                    continue;
                };
                let grad = grad.detach();
                param.step += 1;
                let t = param.step as i32;

                let theta = param.var.as_tensor().detach();
                let theta = if group.weight_decay != 0.0 { theta.affine(1.0 - group.lr * group.weight_decay, 0.0)? } else { theta };

                param.exp_avg = ((&param.exp_avg * beta1)? + (&grad * (1.0 - beta1))?)?;
                param.exp_avg_sq = ((&param.exp_avg_sq * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?;

                let bias_correction1 = 1.0 - beta1.powi(t);
                let bias_correction2_sqrt = (1.0 - beta2.powi(t)).sqrt();
                let step_size = group.lr / bias_correction1;
                let denom = ((param.exp_avg_sq.sqrt()? / bias_correction2_sqrt)? + eps)?;
                let update = (param.exp_avg.div(&denom)? * step_size)?;
                param.var.set(&(theta - update)?)?;
            }
        }
        Ok(())
    }

    /// Returns the name, learning rate and weight decay of each group, in order.
    pub fn group_settings(&self) -> Vec<(&str, f64, f64)> {
        self.groups.iter().map(|g| (g.name.as_str(), g.lr, g.weight_decay)).collect()
    }

    /// Changes the learning rate of group `index`, for callers that schedule it.
    pub fn set_learning_rate(&mut self, index: usize, lr: f64) {
        self.groups[index].lr = lr;
    }
}

fn validate_config(config: &AdamWConfig) -> Result<()> {
    if !(0.0..1.0).contains(&config.beta1) {
        return Err(invalid("beta1", config.beta1, "expected a value in [0, 1)".to_string()));
    }
    if !(0.0..1.0).contains(&config.beta2) {
        return Err(invalid("beta2", config.beta2, "expected a value in [0, 1)".to_string()));
    }
    if config.eps.is_nan() || config.eps < 0.0 {
        return Err(invalid("eps", config.eps, "expected a value >= 0".to_string()));
    }
    Ok(())
}

fn invalid(field: &'static str, value: f64, reason: String) -> MethodError {
    MethodError::InvalidConfig { field, value: value.to_string(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn first_step_moves_by_learning_rate() {
        // At t = 1 the bias-corrected update is g / (|g| + eps), so each value moves by about lr
        // against the sign of its gradient.
        let var = Var::new(&[1f32, -1.0], &Device::Cpu).unwrap();
        let mut adamw = AdamW::new(vec![ParamGroup::new("p", vec![var.clone()], 0.1, 0.0)], AdamWConfig::default()).unwrap();
        let mut grads = GradStore::default();
        grads.insert(var.as_tensor(), Tensor::new(&[2f32, -0.5], &Device::Cpu).unwrap());
        adamw.step(&grads).unwrap();
        let values = var.as_tensor().to_vec1::<f32>().unwrap();
        assert!((values[0] - 0.9).abs() < 1e-6, "{}", values[0]);
        assert!((values[1] + 0.9).abs() < 1e-6, "{}", values[1]);
    }

    #[test]
    fn skips_variables_without_gradient() {
        let var = Var::new(&[1f32], &Device::Cpu).unwrap();
        let mut adamw = AdamW::new(vec![ParamGroup::new("p", vec![var.clone()], 0.1, 0.5)], AdamWConfig::default()).unwrap();
        adamw.step(&GradStore::default()).unwrap();
        assert_eq!(var.as_tensor().to_vec1::<f32>().unwrap(), vec![1.0]);
    }

    #[test]
    fn rejects_duplicate_variable() {
        let var = Var::new(&[1f32], &Device::Cpu).unwrap();
        let groups = vec![ParamGroup::new("a", vec![var.clone()], 0.1, 0.0), ParamGroup::new("b", vec![var], 0.1, 0.0)];
        let err = AdamW::new(groups, AdamWConfig::default()).err().unwrap();
        assert!(err.to_string().contains("more than one parameter group"), "{err}");
    }

    #[test]
    fn rejects_negative_learning_rate() {
        let var = Var::new(&[1f32], &Device::Cpu).unwrap();
        let err = AdamW::new(vec![ParamGroup::new("a", vec![var], -0.1, 0.0)], AdamWConfig::default()).err().unwrap();
        assert!(err.to_string().contains("lr = -0.1"), "{err}");
    }
}
