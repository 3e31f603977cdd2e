//! Full fine-tuning: every backbone weight trainable, nothing prepended.
//!
//! The SuperPos-Prompt paper's baseline trains all weights with AdamW at lr 1e-5. It does not
//! state a weight decay, so the default is 0, the default of `transformers.TrainingArguments`.
//! The backbone must be loaded with its weights as variables
//! (`T5Model::from_checkpoint_trainable`). Those variables share storage with the model, so each
//! optimiser step updates the model itself.

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::backbone::BackboneShapes;
use crate::config::{check_non_negative, MethodConfig};
use crate::error::{MethodError, Result};
use crate::method::{BuildContext, TuningMethod};
use crate::optimizer::ParamGroup;

/// Config of full fine-tuning (`type: full_fine_tuning`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullFineTuningConfig {
    #[serde(default = "default_lr")]
    pub lr: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_lr() -> f64 {
    1e-5
}

impl Default for FullFineTuningConfig {
    fn default() -> Self {
        Self { lr: default_lr(), weight_decay: 0.0 }
    }
}

impl FullFineTuningConfig {
    /// Checks every value that serde cannot.
    pub fn validate(&self) -> Result<()> {
        check_non_negative("lr", self.lr)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    /// Returns the backbone's parameter count, because every weight trains.
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        shapes.parameter_count
    }
}

/// The backbone's own weights as the trained state.
pub struct FullFineTuning {
    config: FullFineTuningConfig,
    weights: Vec<(String, Var)>,
}

impl FullFineTuning {
    /// Takes the backbone's trainable variables from the context; fails when the backbone was
    /// loaded frozen.
    pub fn new(config: FullFineTuningConfig, context: &BuildContext) -> Result<Self> {
        config.validate()?;
        let weights = context.backbone.trainable_weights().ok_or(MethodError::MissingTrainableBackbone)?.to_vec();
        Ok(Self { config, weights })
    }
}

impl TuningMethod for FullFineTuning {
    fn config(&self) -> MethodConfig {
        MethodConfig::FullFineTuning(self.config.clone())
    }

    fn encoder_prompt(&self, _input_embeds: &Tensor, _attention_mask: &Tensor) -> Result<Option<Tensor>> {
        Ok(None)
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        let vars = self.weights.iter().map(|(_, var)| var.clone()).collect();
        vec![ParamGroup::new("backbone", vars, self.config.lr, self.config.weight_decay)]
    }

    /// Lists the weights under their checkpoint names, so a saved state is also a checkpoint file.
    fn state(&self) -> Vec<(String, Var)> {
        self.weights.clone()
    }

    fn export_prompt(&self) -> Result<Option<Tensor>> {
        Ok(None)
    }
}
