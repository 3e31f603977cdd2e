//! Seeded initialisation: unique vocabulary-id sampling, soft-prompt initialisation, uniform
//! tensors and PyTorch's default `nn.Linear` initialisation.
//!
//! Every draw comes from a ChaCha8 stream (`rand_chacha::ChaCha8Rng`) seeded from a `u64`.
//! ChaCha8's output is specified bit for bit, and the conversions from raw integers to ranges and
//! floats are written here instead of taken from `rand`'s distributions, whose algorithms may
//! change between `rand` versions. So a seed gives the same initial bytes on every machine.
//!
//! Prompt initialisations follow Lester et al. 2021 ("The Power of Scale for Parameter-Efficient
//! Prompt Tuning"): sampled vocabulary (unique ids from the first 5,000, the most frequent
//! sentencepiece pieces), class labels (each label's subword embeddings averaged, the remaining
//! tokens sampled), or uniform in [-0.5, 0.5].

use candle_core::{DType, Device, Tensor};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::backbone::Backbone;
use crate::error::{MethodError, Result};

/// Independent random streams of one seed, one per purpose. Drawing each purpose from its own
/// stream keeps, for example, the sampled prompt ids of a seed unchanged when a method adds or
/// removes a projection layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Vocabulary ids and uniform values of the soft prompt.
    Prompt = 1,
    /// Weights of reparameterisation and attention layers.
    Layers = 2,
    /// SuperPos coefficients.
    Coefficients = 3,
}

/// Returns the ChaCha8 generator for `stream` of `seed`.
pub fn seeded_rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// Draws an integer uniformly from `0..n` without modulo bias, by rejecting the lowest
/// `2^64 mod n` raw values.
pub fn uniform_below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    assert!(n > 0, "uniform_below needs a non-empty range");
    let threshold = n.wrapping_neg() % n;
    loop {
        let x = rng.next_u64();
        if x >= threshold {
            return x % n;
        }
    }
}

/// Draws a float uniformly from [0, 1) with 24 random mantissa bits.
pub fn uniform_unit(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Samples `count` distinct ids from `0..population` with a partial Fisher-Yates shuffle, in the
/// order drawn.
pub fn sample_unique_ids(rng: &mut ChaCha8Rng, count: usize, population: usize) -> Result<Vec<u32>> {
    if count > population {
        return Err(MethodError::PopulationTooSmall { requested: count, population });
    }
    let mut pool: Vec<u32> = (0..population as u32).collect();
    for i in 0..count {
        let j = i + uniform_below(rng, (population - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(count);
    Ok(pool)
}

/// Returns a float32 tensor of `shape` with values uniform in [low, high).
pub fn uniform_tensor(rng: &mut ChaCha8Rng, shape: &[usize], low: f32, high: f32, device: &Device) -> Result<Tensor> {
    let count: usize = shape.iter().product();
    let values: Vec<f32> = (0..count).map(|_| low + (high - low) * uniform_unit(rng)).collect();
    Ok(Tensor::from_vec(values, shape, device)?)
}

/// Initialises an `nn.Linear(fan_in, fan_out)` as PyTorch does by default: the weight by
/// `kaiming_uniform_(a = sqrt(5))`, which reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the
/// bias from the same interval. Returns the `[fan_out, fan_in]` weight, then the `[fan_out]` bias.
pub fn linear_init(rng: &mut ChaCha8Rng, fan_in: usize, fan_out: usize, device: &Device) -> Result<(Tensor, Tensor)> {
    let weight = linear_weight_init(rng, fan_in, fan_out, device)?;
    let bound = 1.0 / (fan_in as f32).sqrt();
    let bias = uniform_tensor(rng, &[fan_out], -bound, bound, device)?;
    Ok((weight, bias))
}

/// Initialises the `[fan_out, fan_in]` weight of an `nn.Linear` as [`linear_init`] does.
pub fn linear_weight_init(rng: &mut ChaCha8Rng, fan_in: usize, fan_out: usize, device: &Device) -> Result<Tensor> {
    let bound = 1.0 / (fan_in as f32).sqrt();
    uniform_tensor(rng, &[fan_out, fan_in], -bound, bound, device)
}

/// Returns the embedding rows of `ids` as a `[ids.len(), d_model]` tensor, copied out of the table.
pub fn embedding_rows(table: &Tensor, ids: &[u32]) -> Result<Tensor> {
    let index = Tensor::new(ids, table.device())?;
    Ok(table.index_select(&index, 0)?.contiguous()?)
}

/// The vocabulary ids that sampling draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplePopulation {
    /// The first 5,000 ids, which Lester et al. 2021 use as the most common tokens of T5's
    /// sentencepiece vocabulary.
    #[serde(rename = "first_5000")]
    First5000,
    /// The first `n` ids, for example 32,100 to skip T5's 28 padding rows at the end of the table.
    First(usize),
    /// Every row of the embedding table, padding rows included.
    WholeTable,
}

impl SamplePopulation {
    /// Returns how many ids the population covers for a table of `vocab_size` rows. A population
    /// larger than the table shrinks to the table, so `first_5000` also works on small test models.
    pub fn size(self, vocab_size: usize) -> usize {
        match self {
            SamplePopulation::First5000 => vocab_size.min(5000),
            SamplePopulation::First(n) => vocab_size.min(n),
            SamplePopulation::WholeTable => vocab_size,
        }
    }
}

/// The starting values of a soft prompt's vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptInitKind {
    /// Embeddings of unique ids sampled from the population.
    SampledVocab,
    /// One averaged label embedding per class label, the remaining tokens sampled.
    ClassLabel,
    /// Values uniform in [-0.5, 0.5].
    Uniform,
}

/// The initialisation of a soft prompt, shared by prompt tuning, Residual PT and ATTEMPT's target
/// prompt. In YAML: `init: { kind: class_label, population: first_5000 }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptInit {
    pub kind: PromptInitKind,
    #[serde(default = "default_population")]
    pub population: SamplePopulation,
    /// Token ids of each label word, for `class_label`. When absent, the ids come from
    /// [`crate::BuildContext::label_token_ids`], which the harness fills from the task's tokenizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_token_ids: Option<Vec<Vec<u32>>>,
}

fn default_population() -> SamplePopulation {
    SamplePopulation::First5000
}

impl Default for PromptInit {
    fn default() -> Self {
        Self { kind: PromptInitKind::SampledVocab, population: default_population(), label_token_ids: None }
    }
}

impl PromptInit {
    /// Builds the `[length, d_model]` initial prompt. `context_labels` are the label token ids
    /// that the harness supplies, and the config's own `label_token_ids` take precedence.
    pub fn initial_prompt(&self, length: usize, backbone: &Backbone, context_labels: &[Vec<u32>], rng: &mut ChaCha8Rng) -> Result<Tensor> {
        let table = backbone.embedding_table();
        let d_model = backbone.d_model();
        let population = self.population.size(backbone.vocab_size());
        match self.kind {
            PromptInitKind::SampledVocab => {
                let ids = sample_unique_ids(rng, length, population)?;
                embedding_rows(table, &ids)
            }
            PromptInitKind::Uniform => uniform_tensor(rng, &[length, d_model], -0.5, 0.5, table.device()),
            PromptInitKind::ClassLabel => {
                let labels = self.label_token_ids.as_deref().unwrap_or(context_labels);
                self.class_label_prompt(labels, length, backbone, population, rng)
            }
        }
    }

    fn class_label_prompt(&self, labels: &[Vec<u32>], length: usize, backbone: &Backbone, population: usize, rng: &mut ChaCha8Rng) -> Result<Tensor> {
        if labels.is_empty() {
            return Err(MethodError::InvalidConfig {
                field: "init.label_token_ids",
                value: "[]".to_string(),
                reason: "class_label init needs the token ids of each label word, in the config or from the task".to_string(),
            });
        }
        if labels.len() > length {
            return Err(MethodError::InvalidConfig {
                field: "init.label_token_ids",
                value: format!("{} labels", labels.len()),
                reason: format!("class_label init needs at most prompt_length = {length} labels"),
            });
        }
        let table = backbone.embedding_table();
        let mut rows = Vec::with_capacity(length);
        for (label, ids) in labels.iter().enumerate() {
            if ids.is_empty() {
                return Err(MethodError::InvalidLabelTokens { label, reason: "the label has no token ids".to_string() });
            }
            if let Some(bad) = ids.iter().find(|id| **id as usize >= backbone.vocab_size()) {
                return Err(MethodError::InvalidLabelTokens {
                    label,
                    reason: format!("token id {bad} is outside the vocabulary of {} rows", backbone.vocab_size()),
                });
            }
            rows.push(embedding_rows(table, ids)?.mean_keepdim(0)?);
        }
        // The tokens after the labels are sampled vocabulary, as in Lester et al. 2021.
        let rest = length - labels.len();
        if rest > 0 {
            let ids = sample_unique_ids(rng, rest, population)?;
            rows.push(embedding_rows(table, &ids)?);
        }
        Ok(Tensor::cat(&rows, 0)?.to_dtype(DType::F32)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_ids_are_distinct_and_in_range() {
        let mut rng = seeded_rng(7, Stream::Prompt);
        let ids = sample_unique_ids(&mut rng, 128, 5000).unwrap();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 128);
        assert!(ids.iter().all(|id| *id < 5000));
    }

    #[test]
    fn unique_ids_whole_population() {
        let mut rng = seeded_rng(1, Stream::Prompt);
        let mut ids = sample_unique_ids(&mut rng, 10, 10).unwrap();
        ids.sort_unstable();
        assert_eq!(ids, (0..10).collect::<Vec<u32>>());
    }

    #[test]
    fn unique_ids_population_too_small() {
        let mut rng = seeded_rng(1, Stream::Prompt);
        let err = sample_unique_ids(&mut rng, 11, 10).unwrap_err();
        assert!(matches!(err, MethodError::PopulationTooSmall { requested: 11, population: 10 }));
    }

    #[test]
    fn same_seed_same_ids() {
        let a = sample_unique_ids(&mut seeded_rng(3, Stream::Prompt), 20, 1000).unwrap();
        let b = sample_unique_ids(&mut seeded_rng(3, Stream::Prompt), 20, 1000).unwrap();
        let c = sample_unique_ids(&mut seeded_rng(4, Stream::Prompt), 20, 1000).unwrap();
        let d = sample_unique_ids(&mut seeded_rng(3, Stream::Layers), 20, 1000).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn uniform_below_covers_range_evenly() {
        let mut rng = seeded_rng(5, Stream::Prompt);
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[uniform_below(&mut rng, 6) as usize] += 1;
        }
        // Each bucket expects 10,000 with a binomial standard deviation of about 91, so 500 is
        // more than 5 standard deviations.
        for count in counts {
            assert!((count as i64 - 10_000).abs() < 500, "bucket count {count}");
        }
    }

    #[test]
    fn linear_init_within_pytorch_bound() {
        let mut rng = seeded_rng(9, Stream::Layers);
        let (weight, bias) = linear_init(&mut rng, 16, 4, &Device::Cpu).unwrap();
        assert_eq!(weight.dims(), &[4, 16]);
        assert_eq!(bias.dims(), &[4]);
        let bound = 0.25f32;
        let values = weight.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(values.iter().all(|v| v.abs() <= bound));
        // 64 draws from U(-0.25, 0.25) reach beyond 0.2 in magnitude with probability 1 - 0.8^64.
        assert!(values.iter().any(|v| v.abs() > 0.2));
        assert!(bias.to_vec1::<f32>().unwrap().iter().all(|v| v.abs() <= bound));
    }

    #[test]
    fn population_sizes() {
        assert_eq!(SamplePopulation::First5000.size(32_128), 5000);
        assert_eq!(SamplePopulation::First5000.size(1100), 1100);
        assert_eq!(SamplePopulation::First(32_100).size(32_128), 32_100);
        assert_eq!(SamplePopulation::WholeTable.size(32_128), 32_128);
    }
}
