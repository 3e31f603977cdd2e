//! The timed workloads shared by `superpos bench`, the criterion benchmarks and the side-by-side
//! comparisons with PyTorch: a T5 model with random weights for a configuration, a fixed batch,
//! one prompt-tuning training step, and greedy decoding for evaluation.
//!
//! The batch is deterministic (token ids in the ordinary vocabulary range, each row ending in
//! `</s>`, a full attention mask), so both stacks of a comparison see the same shapes.

use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use serde::Serialize;

use crate::checkpoint::ModelFiles;
use crate::dropout::Dropout;
use crate::error::Result;
use crate::precision::Precision;
use crate::t5::random::random_checkpoint;
use crate::t5::{cross_entropy, T5Config, T5Model};

/// The shape of a benchmark batch.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shape {
    pub batch: usize,
    /// Source tokens per row, not counting the prompt.
    pub source_len: usize,
    pub prompt_len: usize,
    pub target_len: usize,
}

/// A random-weight model with one fixed batch and a soft prompt initialised from vocabulary rows.
pub struct Workload {
    pub model: T5Model,
    pub shape: Shape,
    ids: Tensor,
    mask: Tensor,
    labels: Tensor,
    decoder_ids: Tensor,
    prompt_init: Tensor,
}

impl Workload {
    /// Builds the workload for the `config.json` at `config_path` on `device`.
    pub fn random(config_path: &Path, shape: Shape, device: &Device, precision: Precision) -> Result<Self> {
        let config = T5Config::from_file(config_path)?;
        let dir = config_path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let files = ModelFiles { config: config_path.to_path_buf(), dir, format: None, weights: vec![] };
        let checkpoint = random_checkpoint(&config, files, 0, device)?;
        let model = T5Model::from_checkpoint(config, &checkpoint)?.with_precision(precision)?;
        let Shape { batch, source_len, prompt_len, target_len } = shape;

        // Ids 2.. skip padding (0) and `</s>` (1); the formulas are bench/pytorch_t5.py's.
        let vocab = model.config.vocab_size;
        let token = |i: usize| (2 + i % (vocab - 2)) as u32;
        let ids: Vec<u32> = (0..batch * source_len)
            .map(|i| if i % source_len == source_len - 1 { 1 } else { token(100 + i * 7919) })
            .collect();
        let ids = Tensor::from_vec(ids, (batch, source_len), device)?;
        let mask = Tensor::ones((batch, source_len), DType::U32, device)?;
        let labels: Vec<i64> = (0..batch * target_len).map(|i| if i % target_len == target_len - 1 { 1 } else { token(500 + i) as i64 }).collect();
        let labels = Tensor::from_vec(labels, (batch, target_len), device)?;
        let decoder_ids = model.shift_right(&labels)?;
        let first_row = 1000.min(vocab.saturating_sub(prompt_len));
        let prompt_init = model.embedding_table().narrow(0, first_row, prompt_len)?.contiguous()?;
        Ok(Self { model, shape, ids, mask, labels, decoder_ids, prompt_init })
    }

    /// Returns a trainable prompt and an AdamW optimiser over it, with lr 0.3 and weight decay
    /// 1e-5 as in bench/pytorch_t5.py. The values change the update, not the cost of a step.
    pub fn trainable_prompt(&self) -> Result<(Var, AdamW)> {
        let prompt = Var::from_tensor(&self.prompt_init)?;
        let optimizer = AdamW::new(vec![prompt.clone()], ParamsAdamW { lr: 0.3, weight_decay: 1e-5, ..Default::default() })?;
        Ok((prompt, optimizer))
    }

    /// Runs one training step (forward, backward to the prompt, AdamW update) and returns the loss.
    pub fn train_step(&self, prompt: &Var, optimizer: &mut AdamW, dropout: &Dropout) -> Result<f32> {
        let (embeds, mask) = self.model.prompt_inputs(prompt.as_tensor(), &self.ids, &self.mask)?;
        let encoded = self.model.encode_embeds(&embeds, &mask, dropout)?;
        let logits = self.model.decode(&self.decoder_ids, &encoded, &mask, dropout)?;
        let loss = cross_entropy(&logits, &self.labels)?;
        optimizer.backward_step(&loss)?;
        // Reading the loss waits for the device, so a timed step includes all of its work.
        Ok(loss.to_scalar::<f32>()?)
    }

    /// Encodes the batch behind the initial prompt and decodes greedily for `target_len` tokens,
    /// as evaluation does. Returns the number of tokens generated per row.
    pub fn generate(&self) -> Result<usize> {
        let (embeds, mask) = self.model.prompt_inputs(&self.prompt_init, &self.ids, &self.mask)?;
        let sequences = self.model.generate(&embeds, &mask, self.shape.target_len)?;
        Ok(sequences.first().map_or(0, |s| s.len() - 1))
    }
}

/// Timings of repeated runs of one workload, in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub seconds: Vec<f64>,
    pub median: f64,
}

/// Runs `work` `warmup` times untimed, then `repeats` times timed, and returns the timings.
pub fn time_runs(warmup: usize, repeats: usize, mut work: impl FnMut() -> Result<()>) -> Result<Timings> {
    for _ in 0..warmup {
        work()?;
    }
    let mut seconds = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let started = Instant::now();
        work()?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok(Timings { median: median(&seconds), seconds })
}

/// Returns the median, the mean of the two middle values for an even count (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Returns the process's peak resident memory in MiB (VmHWM from /proc/self/status), or None
/// where that file does not exist.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn tiny_workload_trains_and_generates() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/t5-tiny-v11/config.json");
        let shape = Shape { batch: 2, source_len: 8, prompt_len: 3, target_len: 4 };
        let workload = Workload::random(&config, shape, &Device::Cpu, Precision::F32).unwrap();
        let (prompt, mut optimizer) = workload.trainable_prompt().unwrap();
        let before = prompt.as_tensor().to_vec2::<f32>().unwrap();
        let first = workload.train_step(&prompt, &mut optimizer, &Dropout::off()).unwrap();
        assert!(first.is_finite(), "loss {first}");
        assert!(first > 0.0, "loss {first}");
        assert_ne!(prompt.as_tensor().to_vec2::<f32>().unwrap(), before, "the step moved the prompt");
        let generated = workload.generate().unwrap();
        assert!((1..=4).contains(&generated), "{generated} tokens");
        assert!(peak_memory_mib().unwrap() > 1.0);
    }
}
