//! ATTEMPT (Asai, Salehi, Peters and Hajishirzi 2022, "ATTEMPT: Parameter-Efficient Multi-task
//! Tuning via Attentional Mixtures of Soft Prompts"), single-target-task form.
//!
//! Frozen source prompts, trained beforehand by prompt tuning on source tasks, are mixed with a
//! trainable target prompt per instance. The attention query is the max-pooled input embedding
//! through `LayerNorm(W_up SiLU(W_down x))` with bottleneck 100; each key is a prompt max-pooled
//! over its tokens. The mixture `sum_j a_j P_j` over [source prompts..., target prompt] is added
//! to the target prompt: `P_x = P_target + sum_j a_j P_j`. As in the authors' code, `W_down` and
//! `W_up` have no bias, and LayerNorm has a trainable scale and shift. The score temperature
//! defaults to d_model * e.

use std::path::PathBuf;

use candle_core::{DType, Tensor, Var, D};
use serde::{Deserialize, Serialize};

use crate::backbone::BackboneShapes;
use crate::config::{check_non_negative, check_positive, default_prompt_length, MethodConfig};
use crate::error::{MethodError, Result};
use crate::init::{seeded_rng, PromptInit, Stream};
use crate::layers::{LayerNorm, Linear};
use crate::method::{BuildContext, TuningMethod};
use crate::optimizer::ParamGroup;
use crate::state::load_prompt;

/// Config of ATTEMPT (`type: attempt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttemptConfig {
    /// The number of prompt vectors n, shared by the target and every source prompt.
    #[serde(default = "default_prompt_length")]
    pub prompt_length: usize,
    /// Prompt files from prompt tuning on the source tasks: its `save` state files or files
    /// written by `save_prompt` from `export_prompt`. Required.
    #[serde(default)]
    pub source_prompts: Vec<PathBuf>,
    /// The hidden size of the attention projection.
    #[serde(default = "default_bottleneck")]
    pub bottleneck: usize,
    /// The softmax temperature of the attention scores, d_model * e when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// The target prompt's initialisation.
    #[serde(default)]
    pub init: PromptInit,
    #[serde(default = "default_lr")]
    pub lr: f64,
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
}

fn default_bottleneck() -> usize {
    100
}

fn default_lr() -> f64 {
    0.3
}

fn default_weight_decay() -> f64 {
    1e-5
}

impl Default for AttemptConfig {
    fn default() -> Self {
        Self {
            prompt_length: default_prompt_length(),
            source_prompts: Vec::new(),
            bottleneck: default_bottleneck(),
            temperature: None,
            init: PromptInit::default(),
            lr: default_lr(),
            weight_decay: default_weight_decay(),
        }
    }
}

impl AttemptConfig {
    /// Checks every value that serde cannot, and that the source prompt files exist.
    pub fn validate(&self) -> Result<()> {
        check_positive("prompt_length", self.prompt_length)?;
        check_positive("bottleneck", self.bottleneck)?;
        check_non_negative("lr", self.lr)?;
        check_non_negative("weight_decay", self.weight_decay)?;
        if let Some(temperature) = self.temperature {
            if !(temperature > 0.0 && temperature.is_finite()) {
                return Err(MethodError::InvalidConfig {
                    field: "temperature",
                    value: temperature.to_string(),
                    reason: "expected a positive number".to_string(),
                });
            }
        }
        if self.source_prompts.is_empty() {
            return Err(MethodError::NoSourcePrompts);
        }
        for (index, path) in self.source_prompts.iter().enumerate() {
            if !path.is_file() {
                return Err(MethodError::SourcePromptNotFound { index, path: path.clone() });
            }
        }
        Ok(())
    }

    /// Returns the temperature for a backbone of hidden size `d_model`.
    // NOTE: the d_model * e default is unverified against the ATTEMPT paper and its released
    // configs, so a grid should set `temperature` to record the value a run used.
    pub fn resolved_temperature(&self, d_model: usize) -> f64 {
        self.temperature.unwrap_or(d_model as f64 * std::f64::consts::E)
    }

    /// `n d` (target prompt) + `d b` (W_down) + `b d` (W_up) + `2 d` (LayerNorm).
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        let d = shapes.d_model;
        self.prompt_length * d
            + Linear::parameter_count(d, self.bottleneck, false)
            + Linear::parameter_count(self.bottleneck, d, false)
            + LayerNorm::parameter_count(d)
    }
}

/// A target prompt mixed per instance with frozen source prompts.
pub struct Attempt {
    config: AttemptConfig,
    temperature: f64,
    /// `[k, n, d]`, frozen: kept in a `Var` only so that `load` can restore it, and always read
    /// through `detach` so that no gradient is computed for it.
    source_prompts: Var,
    /// `[n, d]`.
    target_prompt: Var,
    down: Linear,
    up: Linear,
    norm: LayerNorm,
}

impl Attempt {
    /// Reads the source prompts and initialises the target prompt from stream [`Stream::Prompt`]
    /// and the attention layers from [`Stream::Layers`] of the context's seed.
    pub fn new(config: AttemptConfig, context: &BuildContext) -> Result<Self> {
        config.validate()?;
        let backbone = &context.backbone;
        let device = backbone.device();
        let (n, d) = (config.prompt_length, backbone.d_model());

        let mut sources = Vec::with_capacity(config.source_prompts.len());
        for path in &config.source_prompts {
            let prompt = load_prompt(path, device)?;
            if prompt.dims() != [n, d] {
                return Err(MethodError::ShapeMismatch {
                    path: path.clone(),
                    name: crate::state::PROMPT_TENSOR.to_string(),
                    expected: vec![n, d],
                    actual: prompt.dims().to_vec(),
                });
            }
            sources.push(prompt.to_dtype(DType::F32)?);
        }
        let source_prompts = Tensor::stack(&sources, 0)?;

        let mut prompt_rng = seeded_rng(context.seed, Stream::Prompt);
        let target = config.init.initial_prompt(n, backbone, &context.label_token_ids, &mut prompt_rng)?;
        let mut layer_rng = seeded_rng(context.seed, Stream::Layers);
        let down = Linear::new(&mut layer_rng, d, config.bottleneck, false, device)?;
        let up = Linear::new(&mut layer_rng, config.bottleneck, d, false, device)?;
        let norm = LayerNorm::new(d, device)?;
        Ok(Self {
            temperature: config.resolved_temperature(d),
            config,
            source_prompts: Var::from_tensor(&source_prompts)?,
            target_prompt: Var::from_tensor(&target)?,
            down,
            up,
            norm,
        })
    }

    /// Returns the number of source prompts.
    pub fn source_count(&self) -> usize {
        self.source_prompts.dims()[0]
    }

    /// Stacks the frozen source prompts and the target prompt into `[k + 1, n, d]`.
    fn candidate_prompts(&self) -> Result<Tensor> {
        let sources = self.source_prompts.as_tensor().detach();
        Ok(Tensor::cat(&[&sources, &self.target_prompt.as_tensor().unsqueeze(0)?], 0)?)
    }

    /// Returns the `[batch, k + 1]` attention weights over [source prompts..., target prompt].
    pub fn attention_weights(&self, input_embeds: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        self.attention_over(&self.candidate_prompts()?, input_embeds, attention_mask)
    }

    fn attention_over(&self, candidates: &Tensor, input_embeds: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        // Padding positions are excluded from the max-pool, so an instance's prompt does not
        // depend on how much padding its batch has. NOTE: the authors' code pools over padding
        // too; the two agree on unpadded batches.
        let mask = attention_mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let penalty = ((mask.ones_like()? - &mask)? * -1e9)?;
        let pooled = input_embeds.detach().broadcast_add(&penalty)?.max(1)?;

        let query = self.norm.forward(&self.up.forward(&self.down.forward(&pooled)?.silu()?)?)?;
        let keys = candidates.max(1)?;
        let scores = (query.matmul(&keys.t()?)? / self.temperature)?;
        Ok(candle_nn::ops::softmax(&scores, D::Minus1)?)
    }
}

impl TuningMethod for Attempt {
    fn config(&self) -> MethodConfig {
        MethodConfig::Attempt(self.config.clone())
    }

    fn encoder_prompt(&self, input_embeds: &Tensor, attention_mask: &Tensor) -> Result<Option<Tensor>> {
        let candidates = self.candidate_prompts()?;
        let weights = self.attention_over(&candidates, input_embeds, attention_mask)?;
        let (count, n, d) = candidates.dims3()?;
        let batch = weights.dims()[0];
        // [batch, k + 1] x [k + 1, n d] -> [batch, n, d]
        let mixture = weights.matmul(&candidates.reshape((count, n * d))?)?.reshape((batch, n, d))?;
        Ok(Some(mixture.broadcast_add(self.target_prompt.as_tensor())?))
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        let mut attention: Vec<Var> = vec![self.down.weight.clone(), self.up.weight.clone()];
        attention.extend([self.norm.weight.clone(), self.norm.bias.clone()]);
        vec![
            ParamGroup::new("target_prompt", vec![self.target_prompt.clone()], self.config.lr, self.config.weight_decay),
            ParamGroup::new("attention", attention, self.config.lr, self.config.weight_decay),
        ]
    }

    fn state(&self) -> Vec<(String, Var)> {
        let mut vars = vec![
            ("source_prompts".to_string(), self.source_prompts.clone()),
            ("target_prompt".to_string(), self.target_prompt.clone()),
        ];
        vars.extend(self.down.named_variables("attention.down"));
        vars.extend(self.up.named_variables("attention.up"));
        vars.extend(self.norm.named_variables("attention.layer_norm"));
        vars
    }

    /// ATTEMPT's prompt depends on the instance, so there is no single prompt to export.
    fn export_prompt(&self) -> Result<Option<Tensor>> {
        Ok(None)
    }
}
