//! Simple prompt tuning (Lester et al. 2021, "The Power of Scale for Parameter-Efficient Prompt
//! Tuning"): n trainable vectors prepended to the encoder input, the backbone frozen.
//!
//! Hyperparameters of the SuperPos-Prompt paper's baseline (Sadraei Javaheri et al. 2024,
//! Table 1): n = 10, AdamW with lr 0.01 and weight decay 0.01, init from unique sampled
//! vocabulary embeddings.

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::backbone::{Backbone, BackboneShapes};
use crate::config::{check_non_negative, check_positive, default_prompt_length, MethodConfig};
use crate::error::Result;
use crate::init::{seeded_rng, PromptInit, Stream};
use crate::method::{BuildContext, TuningMethod};
use crate::optimizer::ParamGroup;
use crate::state::PROMPT_TENSOR;

/// Config of simple prompt tuning (`type: prompt_tuning`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptTuningConfig {
    /// The number of prompt vectors n.
    #[serde(default = "default_prompt_length")]
    pub prompt_length: usize,
    #[serde(default)]
    pub init: PromptInit,
    #[serde(default = "default_lr")]
    pub lr: f64,
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
}

fn default_lr() -> f64 {
    0.01
}

fn default_weight_decay() -> f64 {
    0.01
}

impl Default for PromptTuningConfig {
    fn default() -> Self {
        Self { prompt_length: default_prompt_length(), init: PromptInit::default(), lr: default_lr(), weight_decay: default_weight_decay() }
    }
}

impl PromptTuningConfig {
    /// Checks every value that serde cannot.
    pub fn validate(&self) -> Result<()> {
        check_positive("prompt_length", self.prompt_length)?;
        check_non_negative("lr", self.lr)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    /// n x d_model.
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        self.prompt_length * shapes.d_model
    }
}

/// A trained or initial soft prompt of shape `[n, d_model]`.
pub struct PromptTuning {
    config: PromptTuningConfig,
    prompt: Var,
}

impl PromptTuning {
    /// Initialises the prompt from the context's seed (stream [`Stream::Prompt`]).
    pub fn new(config: PromptTuningConfig, context: &BuildContext) -> Result<Self> {
        config.validate()?;
        let mut rng = seeded_rng(context.seed, Stream::Prompt);
        let initial = config.init.initial_prompt(config.prompt_length, &context.backbone, &context.label_token_ids, &mut rng)?;
        Ok(Self { config, prompt: Var::from_tensor(&initial)? })
    }

    /// Wraps an existing prompt, for example one read with [`crate::state::load_prompt`].
    pub fn from_prompt(config: PromptTuningConfig, prompt: &Tensor, backbone: &Backbone) -> Result<Self> {
        config.validate()?;
        let expected = [config.prompt_length, backbone.d_model()];
        if prompt.dims() != expected {
            return Err(crate::error::MethodError::InvalidConfig {
                field: "prompt_length",
                value: config.prompt_length.to_string(),
                reason: format!("the given prompt has shape {:?}, expected {expected:?}", prompt.dims()),
            });
        }
        Ok(Self { config, prompt: Var::from_tensor(&prompt.detach().contiguous()?)? })
    }

    /// Returns the prompt variable.
    pub fn prompt(&self) -> &Var {
        &self.prompt
    }
}

impl TuningMethod for PromptTuning {
    fn config(&self) -> MethodConfig {
        MethodConfig::PromptTuning(self.config.clone())
    }

    fn encoder_prompt(&self, _input_embeds: &Tensor, _attention_mask: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(self.prompt.as_tensor().clone()))
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        vec![ParamGroup::new("prompt", vec![self.prompt.clone()], self.config.lr, self.config.weight_decay)]
    }

    fn state(&self) -> Vec<(String, Var)> {
        vec![(PROMPT_TENSOR.to_string(), self.prompt.clone())]
    }

    fn export_prompt(&self) -> Result<Option<Tensor>> {
        Ok(Some(self.prompt.as_tensor().detach()))
    }
}
