//! SuperPos-Prompt (Sadraei Javaheri, Asgari, McHardy and Rabiee 2024, "SuperPos-Prompt:
//! Enhancing Soft Prompt Tuning of Language Models with Superposition of Multi Token
//! Embeddings", arXiv:2406.05279). No official code was published; this follows the paper.
//!
//! Each prompt token is a weighted sum of m sampled vocabulary embeddings:
//! `p_i = E_i p'_i = sum_j p'_ij e_j`, with one trainable `E_i` (d x m) per token and trainable
//! coefficients `p'_i` (m). Every `E_i` starts as the same matrix `E0`, whose columns are the
//! embeddings of m unique sampled ids, and is then trained separately. The backbone's own
//! embedding table stays frozen. AdamW uses lr 0.01, weight decay 1e-5 on the coefficients only
//! and none on the embeddings. Trainable values: n (d m + m), which is 656,640 for d = 512 and
//! 984,320 for d = 768 with n = 10 and m = 128.
//!
//! Ablation switches: one `E` shared by all tokens (`shared_embeddings`), and
//! `p_i = E_i softmax(p'_i)` (`softmax`), which the paper reports as worse (Table 3).

use candle_core::{Tensor, Var, D};
use serde::{Deserialize, Serialize};

use crate::backbone::BackboneShapes;
use crate::config::{check_non_negative, check_positive, default_prompt_length, MethodConfig};
use crate::error::{MethodError, Result};
use crate::init::{embedding_rows, sample_unique_ids, seeded_rng, uniform_tensor, SamplePopulation, Stream};
use crate::method::{BuildContext, TuningMethod};
use crate::optimizer::ParamGroup;

/// The initial values of the coefficients `p'`, which the SuperPos-Prompt paper does not state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoefficientInit {
    /// `p'_i` is the i-th unit vector (index i mod m), so token i starts exactly at the embedding
    /// of the i-th sampled id. The default, because the initial prompt then equals Lester et al.'s
    /// sampled-vocabulary init, a known-good start, with distinct tokens whenever n <= m, and at
    /// the scale of real embeddings that the frozen encoder expects.
    OneHot,
    /// Values uniform in [-bound, bound]. The initial token is then a random mixture whose
    /// expected norm is about bound * sqrt(m / 3) times an embedding's norm, far from any real
    /// token.
    Uniform(f64),
}

/// Config of SuperPos prompt tuning (`type: superpos_prompt_tuning`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuperPosConfig {
    /// The number of prompt vectors n.
    #[serde(default = "default_prompt_length")]
    pub prompt_length: usize,
    /// The number m of sampled embeddings each token superposes; 128 in the paper, where gains
    /// level off in its ablation over 4 to 256.
    #[serde(default = "default_superposition_tokens")]
    pub superposition_tokens: usize,
    /// The ids the m embeddings are sampled from. The SuperPos-Prompt paper does not state it,
    /// so the default follows Lester et al. and ATTEMPT, whose frequent ids have well-trained
    /// embeddings.
    #[serde(default = "default_population")]
    pub population: SamplePopulation,
    /// One `E` shared by all tokens instead of one per token (ablation).
    #[serde(default)]
    pub shared_embeddings: bool,
    /// `p_i = E_i softmax(p'_i)` instead of `E_i p'_i` (ablation).
    #[serde(default)]
    pub softmax: bool,
    #[serde(default = "default_coefficient_init")]
    pub coefficient_init: CoefficientInit,
    #[serde(default = "default_lr")]
    pub lr: f64,
    #[serde(default = "default_coefficient_weight_decay")]
    pub coefficient_weight_decay: f64,
    #[serde(default)]
    pub embedding_weight_decay: f64,
}

fn default_superposition_tokens() -> usize {
    128
}

fn default_population() -> SamplePopulation {
    SamplePopulation::First5000
}

fn default_coefficient_init() -> CoefficientInit {
    CoefficientInit::OneHot
}

fn default_lr() -> f64 {
    0.01
}

fn default_coefficient_weight_decay() -> f64 {
    1e-5
}

impl Default for SuperPosConfig {
    fn default() -> Self {
        Self {
            prompt_length: default_prompt_length(),
            superposition_tokens: default_superposition_tokens(),
            population: default_population(),
            shared_embeddings: false,
            softmax: false,
            coefficient_init: default_coefficient_init(),
            lr: default_lr(),
            coefficient_weight_decay: default_coefficient_weight_decay(),
            embedding_weight_decay: 0.0,
        }
    }
}

impl SuperPosConfig {
    /// Checks every value that serde cannot.
    pub fn validate(&self) -> Result<()> {
        check_positive("prompt_length", self.prompt_length)?;
        check_positive("superposition_tokens", self.superposition_tokens)?;
        check_non_negative("lr", self.lr)?;
        check_non_negative("coefficient_weight_decay", self.coefficient_weight_decay)?;
        check_non_negative("embedding_weight_decay", self.embedding_weight_decay)?;
        if let CoefficientInit::Uniform(bound) = self.coefficient_init {
            if !(bound > 0.0 && bound.is_finite()) {
                return Err(MethodError::InvalidConfig {
                    field: "coefficient_init",
                    value: format!("uniform: {bound}"),
                    reason: "the uniform bound must be a positive number".to_string(),
                });
            }
        }
        Ok(())
    }

    /// `n (d m + m)`, or `d m + n m` with shared embeddings.
    pub fn trainable_parameters(&self, shapes: &BackboneShapes) -> usize {
        let (n, m) = (self.prompt_length, self.superposition_tokens);
        let matrices = if self.shared_embeddings { 1 } else { n };
        matrices * shapes.d_model * m + n * m
    }
}

/// Prompt tokens as trained superpositions of sampled vocabulary embeddings.
pub struct SuperPosPromptTuning {
    config: SuperPosConfig,
    sampled_ids: Vec<u32>,
    /// `[k, d, m]`: the `E_i` stacked, with k = n, or k = 1 when shared.
    embeddings: Var,
    /// `[n, m]`: the `p'_i` stacked.
    coefficients: Var,
}

impl SuperPosPromptTuning {
    /// Samples the m ids from stream [`Stream::Prompt`] of the context's seed and draws uniform
    /// coefficients, when configured, from [`Stream::Coefficients`].
    pub fn new(config: SuperPosConfig, context: &BuildContext) -> Result<Self> {
        config.validate()?;
        let backbone = &context.backbone;
        let device = backbone.device();
        let (n, m, d) = (config.prompt_length, config.superposition_tokens, backbone.d_model());

        let population = config.population.size(backbone.vocab_size());
        let sampled_ids = sample_unique_ids(&mut seeded_rng(context.seed, Stream::Prompt), m, population)?;
        // E0 = [e_1 ... e_m] as columns: [d, m].
        let initial = embedding_rows(backbone.embedding_table(), &sampled_ids)?.t()?;
        let matrices = if config.shared_embeddings { 1 } else { n };
        let embeddings = initial.unsqueeze(0)?.broadcast_as((matrices, d, m))?.contiguous()?;

        let coefficients = match config.coefficient_init {
            CoefficientInit::OneHot => {
                let mut values = vec![0f32; n * m];
                for i in 0..n {
                    values[i * m + i % m] = 1.0;
                }
                Tensor::from_vec(values, (n, m), device)?
            }
            CoefficientInit::Uniform(bound) => {
                let bound = bound as f32;
                uniform_tensor(&mut seeded_rng(context.seed, Stream::Coefficients), &[n, m], -bound, bound, device)?
            }
        };
        Ok(Self { config, sampled_ids, embeddings: Var::from_tensor(&embeddings)?, coefficients: Var::from_tensor(&coefficients)? })
    }

    /// Returns the m sampled vocabulary ids, in column order of `E0`.
    pub fn sampled_ids(&self) -> &[u32] {
        &self.sampled_ids
    }

    /// Returns the stacked `E_i`, `[n, d, m]` (or `[1, d, m]` when shared).
    pub fn embeddings(&self) -> &Var {
        &self.embeddings
    }

    /// Returns the stacked coefficients `p'_i`, `[n, m]`.
    pub fn coefficients(&self) -> &Var {
        &self.coefficients
    }

    /// Computes the prompt `p_i = E_i p'_i` (or `E_i softmax(p'_i)`), `[n, d]`.
    pub fn prompt(&self) -> Result<Tensor> {
        let coefficients = self.coefficients.as_tensor();
        // NOTE: with the one-hot init the softmax variant starts near the mean of the m embeddings,
        // because softmax of a unit vector gives the chosen column weight e / (e + m - 1).
        let weights = if self.config.softmax { candle_nn::ops::softmax(coefficients, D::Minus1)? } else { coefficients.clone() };
        // [k, d, m] x [n, m, 1] -> [n, d, 1], where k = 1 broadcasts over the tokens.
        let prompt = self.embeddings.as_tensor().broadcast_matmul(&weights.unsqueeze(2)?)?;
        Ok(prompt.squeeze(2)?)
    }
}

impl TuningMethod for SuperPosPromptTuning {
    fn config(&self) -> MethodConfig {
        MethodConfig::SuperposPromptTuning(self.config.clone())
    }

    fn encoder_prompt(&self, _input_embeds: &Tensor, _attention_mask: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(self.prompt()?))
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        vec![
            ParamGroup::new("coefficients", vec![self.coefficients.clone()], self.config.lr, self.config.coefficient_weight_decay),
            ParamGroup::new("embeddings", vec![self.embeddings.clone()], self.config.lr, self.config.embedding_weight_decay),
        ]
    }

    fn state(&self) -> Vec<(String, Var)> {
        vec![("coefficients".to_string(), self.coefficients.clone()), ("embeddings".to_string(), self.embeddings.clone())]
    }

    fn export_prompt(&self) -> Result<Option<Tensor>> {
        Ok(Some(self.prompt()?.detach()))
    }
}
