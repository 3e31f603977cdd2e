//! The `TuningMethod` plugin trait and the context methods are built in.
//!
//! A training loop drives every method the same way, without special cases:
//!
//! ```text
//! let embeds = model.embed(&input_ids)?;
//! let (embeds, mask) = match method.encoder_prompt(&embeds, &mask)? {
//!     Some(prompt) => model.prompt_inputs(&prompt, &input_ids, &mask)?,
//!     None => (embeds, mask),
//! };
//! let logits = model.decode(&model.shift_right(&labels)?, &model.encode_embeds(&embeds, &mask, &dropout)?, &mask, &dropout)?;
//! optimizer.backward_step(&cross_entropy(&logits, &labels)?)?;
//! ```
//!
//! where `optimizer = AdamW::new(method.param_groups(), AdamWConfig::default())`.

use std::path::Path;

use candle_core::{Tensor, Var};

use crate::backbone::Backbone;
use crate::config::MethodConfig;
use crate::error::Result;
use crate::optimizer::ParamGroup;
use crate::state;

/// A parameter-efficient (or full) tuning method on a frozen backbone.
pub trait TuningMethod {
    /// Returns the resolved config, with every default filled in, as recorded next to results.
    fn config(&self) -> MethodConfig;

    /// Returns the soft prompt to prepend to the encoder input: `[n, d_model]` when every
    /// instance shares it, `[batch, n, d_model]` when it depends on the instance, or `None` when
    /// the method prepends nothing. `input_embeds` are the `[batch, len, d_model]` token
    /// embeddings of the batch and `attention_mask` its `[batch, len]` 0/1 mask; only
    /// instance-dependent methods read them.
    fn encoder_prompt(&self, input_embeds: &Tensor, attention_mask: &Tensor) -> Result<Option<Tensor>>;

    /// Lists the trainable variables in optimiser groups, each with its learning rate and weight decay.
    fn param_groups(&self) -> Vec<ParamGroup>;

    /// Lists every variable that [`TuningMethod::save`] writes, by name. These are the trainable
    /// ones and any frozen tensors the outputs depend on, such as ATTEMPT's source prompts.
    fn state(&self) -> Vec<(String, Var)>;

    /// Returns the prompt that a plain prompt-tuning run would use in place of this method, when
    /// one exists: the trained prompt with any reparameterisation folded away. Instance-dependent
    /// and prompt-free methods return `None`.
    fn export_prompt(&self) -> Result<Option<Tensor>>;

    /// Counts the trainable values.
    fn trainable_parameters(&self) -> usize {
        self.param_groups().iter().map(ParamGroup::parameter_count).sum()
    }

    /// Writes the state to a safetensors file with deterministic bytes.
    fn save(&self, path: &Path) -> Result<()> {
        state::save_state(path, &self.config(), &self.state())
    }

    /// Replaces the state with the contents of a file that [`TuningMethod::save`] wrote for the
    /// same method and shapes.
    fn load(&mut self, path: &Path) -> Result<()> {
        state::load_state(path, &self.config(), &self.state())
    }
}

/// Everything besides its config that a method is built from.
#[derive(Clone)]
pub struct BuildContext {
    pub backbone: Backbone,
    /// The seed of every random initialisation (see [`crate::init::seeded_rng`]).
    pub seed: u64,
    /// Token ids of each label word of the task, for class-label prompt initialisation. Empty
    /// when the task has no label words.
    pub label_token_ids: Vec<Vec<u32>>,
}

impl BuildContext {
    /// Creates a context without label words.
    pub fn new(backbone: Backbone, seed: u64) -> Self {
        Self { backbone, seed, label_token_ids: Vec::new() }
    }

    /// Sets the label words' token ids.
    pub fn with_label_token_ids(mut self, label_token_ids: Vec<Vec<u32>>) -> Self {
        self.label_token_ids = label_token_ids;
        self
    }
}
