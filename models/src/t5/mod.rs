//! T5 and T5 v1.1 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified
//! Text-to-Text Transformer"), written for training through a frozen backbone.
//!
//! `candle_transformers::models::t5` is inference-only (no attention masks, no `inputs_embeds`,
//! no dropout, a softmax without backward, last-position logits only), so this module
//! implements the model itself, following `modeling_t5.py` in transformers 5.25.
//! Check a checkpoint against reference outputs with
//! `superpos model verify --model DIR --reference reference.safetensors`.

pub mod attention;
pub mod config;
mod generate;
pub mod layers;
pub mod model;
pub mod random;

pub use config::{Activation, FeedForwardKind, T5Config};
pub use model::{cross_entropy, DecoderCache, T5Model};
