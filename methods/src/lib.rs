//! Tuning-method plugins for frozen language models, and the AdamW optimiser that trains them.
//!
//! Methods compared by the SuperPos-Prompt paper (Sadraei Javaheri et al. 2024,
//! arXiv:2406.05279), each behind the [`TuningMethod`] trait and configured by one variant of
//! [`MethodConfig`]:
//!
//! - [`prompt_tuning`]: simple prompt tuning (Lester et al. 2021).
//! - [`residual`]: Residual Prompt Tuning (Razdaibiedina et al. 2023).
//! - [`superpos`]: SuperPos-Prompt, each prompt token a trained superposition of sampled
//!   vocabulary embeddings.
//! - [`attempt`]: ATTEMPT (Asai et al. 2022), per-instance attention over source prompts.
//! - [`full`]: full fine-tuning.
//!
//! Methods see the backbone only through [`Backbone`]: its input embedding table and, for full
//! fine-tuning, its weights as variables. Invariant: no backbone weight is ever in a method's
//! parameter groups unless the method is full fine-tuning.
//!
//! ```no_run
//! use candle_core::Device;
//! use superpos_methods::{AdamW, AdamWConfig, Backbone, BuildContext, MethodConfig};
//! use superpos_models::t5::T5Model;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = T5Model::load(std::path::Path::new("t5-small-lm-adapt"), &Device::Cpu)?;
//! let config: MethodConfig = serde_json::from_str(r#"{"type": "superpos_prompt_tuning"}"#)?;
//! let context = BuildContext::new(Backbone::frozen(model.embedding_table())?, 42);
//! let method = config.build(&context)?;
//! let mut optimizer = AdamW::new(method.param_groups(), AdamWConfig::default())?;
//! # Ok(())
//! # }
//! ```

pub mod attempt;
pub mod backbone;
pub mod config;
pub mod error;
pub mod full;
pub mod init;
pub mod layers;
pub mod method;
pub mod optimizer;
pub mod prompt_tuning;
pub mod residual;
pub mod state;
pub mod superpos;

pub use attempt::{Attempt, AttemptConfig};
pub use backbone::{Backbone, BackboneShapes};
pub use config::MethodConfig;
pub use error::{MethodError, Result};
pub use full::{FullFineTuning, FullFineTuningConfig};
pub use init::{PromptInit, PromptInitKind, SamplePopulation};
pub use method::{BuildContext, TuningMethod};
pub use optimizer::{AdamW, AdamWConfig, ParamGroup};
pub use prompt_tuning::{PromptTuning, PromptTuningConfig};
pub use residual::{ResidualConfig, ResidualPromptTuning};
pub use state::{load_prompt, save_prompt};
pub use superpos::{CoefficientInit, SuperPosConfig, SuperPosPromptTuning};
