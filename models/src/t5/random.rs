//! Randomly initialised T5 weights for a configuration, for benchmarks and tests that need
//! real shapes without downloaded checkpoints.
//!
//! Values are uniform in [-scale, scale] from a seeded ChaCha8 stream; layer-norm weights are 1,
//! as in a freshly initialised transformers model. The values are not a trained model's, so
//! they suit timing and shape checks, not accuracy.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::T5Config;
use crate::checkpoint::{Checkpoint, ModelFiles};
use crate::error::Result;

/// Builds a checkpoint with every weight `config` implies. `files` only names the (possibly
/// absent) directory in error messages.
pub fn random_checkpoint(config: &T5Config, files: ModelFiles, seed: u64, device: &Device) -> Result<Checkpoint> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tensors = HashMap::new();
    for (name, shape) in config.weight_shapes() {
        let count: usize = shape.iter().product();
        let values: Vec<f32> = if name.ends_with("layer_norm.weight") {
            vec![1.0; count]
        } else {
            // 1/sqrt(fan_in) keeps activations of random layers in a sane range.
            let scale = 1.0 / (*shape.last().unwrap() as f32).sqrt();
            (0..count).map(|_| rng.random_range(-scale..scale)).collect()
        };
        tensors.insert(name, Tensor::from_vec(values, shape, device)?);
    }
    Ok(Checkpoint::from_tensors(files, tensors))
}
