//! The view of the backbone that tuning methods get: its input embedding table and, for full
//! fine-tuning only, its weights as trainable variables.
//!
//! Methods depend on nothing else of the backbone, so the same plugins serve T5 and encoder-only
//! backbones alike. [`BackboneShapes`] is the weight-free summary that parameter counting uses.

use candle_core::{Device, Tensor, Var};

use crate::error::{MethodError, Result};

/// The parts of a loaded backbone that tuning methods build on.
#[derive(Clone)]
pub struct Backbone {
    embedding_table: Tensor,
    trainable_weights: Option<Vec<(String, Var)>>,
}

impl Backbone {
    /// Wraps a frozen backbone's `[vocab, d_model]` input embedding table.
    pub fn frozen(embedding_table: &Tensor) -> Result<Self> {
        if embedding_table.rank() != 2 {
            return Err(MethodError::InvalidEmbeddingTable { shape: embedding_table.dims().to_vec() });
        }
        Ok(Self { embedding_table: embedding_table.clone(), trainable_weights: None })
    }

    /// Wraps a backbone whose weights are trainable variables sharing storage with the model
    /// (full fine-tuning), as `T5Model::from_checkpoint_trainable` returns them.
    pub fn trainable(embedding_table: &Tensor, weights: Vec<(String, Var)>) -> Result<Self> {
        let mut backbone = Self::frozen(embedding_table)?;
        backbone.trainable_weights = Some(weights);
        Ok(backbone)
    }

    /// Returns the `[vocab, d_model]` input embedding table.
    pub fn embedding_table(&self) -> &Tensor {
        &self.embedding_table
    }

    /// Returns the backbone's weights by checkpoint name, when loaded as trainable variables.
    pub fn trainable_weights(&self) -> Option<&[(String, Var)]> {
        self.trainable_weights.as_deref()
    }

    /// Returns the hidden size.
    pub fn d_model(&self) -> usize {
        self.embedding_table.dims()[1]
    }

    /// Returns the number of embedding rows.
    pub fn vocab_size(&self) -> usize {
        self.embedding_table.dims()[0]
    }

    /// Returns the device of the embedding table, where methods create their tensors.
    pub fn device(&self) -> &Device {
        self.embedding_table.device()
    }

    /// Summarises this backbone without weights. The parameter count is known only when the
    /// weights were loaded as trainable variables, and is 0 otherwise.
    pub fn shapes(&self) -> BackboneShapes {
        let parameter_count = self.trainable_weights.as_deref().map_or(0, |weights| weights.iter().map(|(_, var)| var.elem_count()).sum());
        BackboneShapes { d_model: self.d_model(), vocab_size: self.vocab_size(), parameter_count }
    }
}

/// Backbone sizes from its config alone, enough to count a method's trainable parameters
/// without loading weights (`superpos plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackboneShapes {
    pub d_model: usize,
    pub vocab_size: usize,
    /// Every weight of the backbone, counting a tied embedding once. Only full fine-tuning uses it.
    pub parameter_count: usize,
}
