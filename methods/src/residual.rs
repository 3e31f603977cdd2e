//! Residual Prompt Tuning (Razdaibiedina et al. 2023, "Residual Prompt Tuning: Improving Prompt
//! Tuning with Residual Reparameterization").
//!
//! Each prompt vector passes through a bottleneck MLP with a skip connection:
//! `P'_i = LayerNorm(W_up ReLU(W_down P_i + b_down) + b_up) + P_i`. The paper uses one MLP shared
//! by all tokens with bottleneck 128; its authors' code defaults to 800. LayerNorm, the skip
//! connection and sharing are switches for ablations. Linear layers start from PyTorch's default
//! initialisation and LayerNorm from scale 1, shift 0. After training, the MLP is folded away:
//! [`TuningMethod::export_prompt`] returns `P'` itself, a plain prompt.

use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::backbone::BackboneShapes;
use crate::config::{check_non_negative, check_positive, default_prompt_length, MethodConfig};
use crate::error::Result;
use crate::init::{seeded_rng, PromptInit, PromptInitKind, SamplePopulation, Stream};
use crate::layers::{LayerNorm, Linear};
use crate::method::{BuildContext, TuningMethod};
use crate::optimizer::ParamGroup;
use crate::state::PROMPT_TENSOR;

/// Config of Residual Prompt Tuning (`type: residual_prompt_tuning`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidualConfig {
    /// The number of prompt vectors n.
    #[serde(default = "default_prompt_length")]
    pub prompt_length: usize,
    /// The MLP's hidden size: 128 in the paper, 800 in its authors' code.
    #[serde(default = "default_bottleneck")]
    pub bottleneck: usize,
    /// Whether LayerNorm is applied to the MLP output before the skip connection.
    #[serde(default = "enabled")]
    pub layer_norm: bool,
    /// Whether the input prompt is added back (`+ P_i`).
    #[serde(default = "enabled")]
    pub residual: bool,
    /// Whether every prompt token gets its own MLP instead of one shared MLP.
    #[serde(default)]
    pub separate_mlps: bool,
    /// Defaults to sampled rows of the whole table, as the authors' code draws them.
    #[serde(default = "default_init")]
    pub init: PromptInit,
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// 0.01 as the SuperPos-Prompt paper ran it; the authors' code hard-codes 1e-5.
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
}

fn default_bottleneck() -> usize {
    128
}

fn enabled() -> bool {
    true
}

// NOTE: the authors' code samples rows with replacement; this draws unique ids. For 10 ids out
// of 32,128 rows a repeat has probability below 0.2%, so the two rarely differ.
fn default_init() -> PromptInit {
    PromptInit { kind: PromptInitKind::SampledVocab, population: SamplePopulation::WholeTable, label_token_ids: None }
}

fn default_lr() -> f64 {
    0.3
}

fn default_weight_decay() -> f64 {
    0.01
}

impl Default for ResidualConfig {
    fn default() -> Self {
        Self {
            prompt_length: default_prompt_length(),
            bottleneck: default_bottleneck(),
            layer_norm: true,
            residual: true,
            separate_mlps: false,
            init: default_init(),
            lr: default_lr(),
            weight_decay: default_weight_decay(),
        }
    }
}

impl ResidualConfig {
    /// Checks every value that serde cannot.
    pub fn validate(&self) -> Result<()> {
        check_positive("prompt_length", self.prompt_length)?;
        check_positive("bottleneck", self.bottleneck)?;
        check_non_negative("lr", self.lr)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    /// `n d + k (d b + b + b d + d + [2 d with LayerNorm])`, with k = 1 for a shared MLP and
    /// k = n for one MLP per token.
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        let d = shapes.d_model;
        let mlps = if self.separate_mlps { self.prompt_length } else { 1 };
        let norm = if self.layer_norm { LayerNorm::parameter_count(d) } else { 0 };
        let per_mlp = Linear::parameter_count(d, self.bottleneck, true) + Linear::parameter_count(self.bottleneck, d, true) + norm;
        self.prompt_length * d + mlps * per_mlp
    }
}

/// The reparameterisation MLP of one token or of all tokens.
struct ResidualMlp {
    down: Linear,
    up: Linear,
    norm: Option<LayerNorm>,
}

impl ResidualMlp {
    /// Returns `LayerNorm(W_up ReLU(W_down x + b_down) + b_up)`, without the skip connection.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let hidden = self.down.forward(xs)?.relu()?;
        let out = self.up.forward(&hidden)?;
        match &self.norm {
            Some(norm) => norm.forward(&out),
            None => Ok(out),
        }
    }

    fn named_variables(&self, prefix: &str) -> Vec<(String, Var)> {
        let mut vars = self.down.named_variables(&format!("{prefix}.down"));
        vars.extend(self.up.named_variables(&format!("{prefix}.up")));
        if let Some(norm) = &self.norm {
            vars.extend(norm.named_variables(&format!("{prefix}.layer_norm")));
        }
        vars
    }
}

/// A prompt and its residual reparameterisation.
pub struct ResidualPromptTuning {
    config: ResidualConfig,
    prompt: Var,
    /// One MLP, or one per prompt token.
    mlps: Vec<ResidualMlp>,
}

impl ResidualPromptTuning {
    /// Initialises the prompt from stream [`Stream::Prompt`] and the MLPs from
    /// [`Stream::Layers`] of the context's seed.
    pub fn new(config: ResidualConfig, context: &BuildContext) -> Result<Self> {
        config.validate()?;
        let backbone = &context.backbone;
        let device = backbone.device();
        let d = backbone.d_model();
        let mut prompt_rng = seeded_rng(context.seed, Stream::Prompt);
        let initial = config.init.initial_prompt(config.prompt_length, backbone, &context.label_token_ids, &mut prompt_rng)?;

        let mut layer_rng = seeded_rng(context.seed, Stream::Layers);
        let count = if config.separate_mlps { config.prompt_length } else { 1 };
        let mut mlps = Vec::with_capacity(count);
        for _ in 0..count {
            let down = Linear::new(&mut layer_rng, d, config.bottleneck, true, device)?;
            let up = Linear::new(&mut layer_rng, config.bottleneck, d, true, device)?;
            let norm = if config.layer_norm { Some(LayerNorm::new(d, device)?) } else { None };
            mlps.push(ResidualMlp { down, up, norm });
        }
        Ok(Self { config, prompt: Var::from_tensor(&initial)?, mlps })
    }

    /// Computes the reparameterised prompt `P'` of shape `[n, d_model]`.
    pub fn reparameterised_prompt(&self) -> Result<Tensor> {
        let prompt = self.prompt.as_tensor();
        let transformed = if self.config.separate_mlps {
            let mut rows = Vec::with_capacity(self.mlps.len());
            for (i, mlp) in self.mlps.iter().enumerate() {
                rows.push(mlp.forward(&prompt.narrow(0, i, 1)?)?);
            }
            Tensor::cat(&rows, 0)?
        } else {
            self.mlps[0].forward(prompt)?
        };
        if self.config.residual {
            Ok((transformed + prompt)?)
        } else {
            Ok(transformed)
        }
    }

    fn mlp_variables(&self) -> Vec<(String, Var)> {
        if self.config.separate_mlps {
            self.mlps.iter().enumerate().flat_map(|(i, mlp)| mlp.named_variables(&format!("mlp.{i}"))).collect()
        } else {
            self.mlps[0].named_variables("mlp")
        }
    }
}

impl TuningMethod for ResidualPromptTuning {
    fn config(&self) -> MethodConfig {
        MethodConfig::ResidualPromptTuning(self.config.clone())
    }

    fn encoder_prompt(&self, _input_embeds: &Tensor, _attention_mask: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(self.reparameterised_prompt()?))
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        let mlp = self.mlp_variables().into_iter().map(|(_, var)| var).collect();
        vec![
            ParamGroup::new("prompt", vec![self.prompt.clone()], self.config.lr, self.config.weight_decay),
            ParamGroup::new("mlp", mlp, self.config.lr, self.config.weight_decay),
        ]
    }

    fn state(&self) -> Vec<(String, Var)> {
        let mut vars = vec![(PROMPT_TENSOR.to_string(), self.prompt.clone())];
        vars.extend(self.mlp_variables());
        vars
    }

    fn export_prompt(&self) -> Result<Option<Tensor>> {
        Ok(Some(self.reparameterised_prompt()?.detach()))
    }
}
