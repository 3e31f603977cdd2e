//! Criterion benchmarks of the T5 v1.1 small shape (d_model 512, 8+8 layers, gated-GELU) with
//! random weights: an encoder-decoder forward pass, and one prompt-tuning training step
//! (forward, backward to the prompt, AdamW) at batch 8, 256 source tokens plus 10 prompt
//! vectors, 4 target tokens, with dropout off and at 0.1.
//!
//! Run with `cargo bench -p superpos-models --bench t5_step`. Set `RAYON_NUM_THREADS` to fix
//! the thread count candle's CPU kernels use.

use std::path::PathBuf;

use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use criterion::{criterion_group, criterion_main, Criterion};
use superpos_models::checkpoint::ModelFiles;
use superpos_models::t5::random::random_checkpoint;
use superpos_models::t5::{cross_entropy, T5Config, T5Model};
use superpos_models::Dropout;

const BATCH: usize = 8;
const SOURCE: usize = 256;
const PROMPT: usize = 10;
const TARGET: usize = 4;

fn small_model() -> T5Model {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../configs/backbones/t5-v1_1-small");
    let config = T5Config::from_file(&dir.join("config.json")).unwrap();
    let files = ModelFiles { config: dir.join("config.json"), dir, format: None, weights: vec![] };
    let checkpoint = random_checkpoint(&config, files, 0, &Device::Cpu).unwrap();
    T5Model::from_checkpoint(config, &checkpoint).unwrap()
}

/// Token ids in the ordinary vocabulary range, ending in `</s>` (id 1), with a full mask.
fn batch(device: &Device) -> (Tensor, Tensor, Tensor) {
    let ids: Vec<u32> = (0..BATCH * SOURCE).map(|i| if i % SOURCE == SOURCE - 1 { 1 } else { 100 + (i * 7919 % 30_000) as u32 }).collect();
    let ids = Tensor::from_vec(ids, (BATCH, SOURCE), device).unwrap();
    let mask = Tensor::ones((BATCH, SOURCE), candle_core::DType::U32, device).unwrap();
    let labels = Tensor::from_vec((0..BATCH * TARGET).map(|i| if i % TARGET == TARGET - 1 { 1i64 } else { 500 + i as i64 }).collect::<Vec<_>>(), (BATCH, TARGET), device).unwrap();
    (ids, mask, labels)
}

fn benchmarks(c: &mut Criterion) {
    let model = small_model();
    let device = model.device().clone();
    let (ids, mask, labels) = batch(&device);
    let decoder_ids = model.shift_right(&labels).unwrap();
    let prompt_init = model.embedding_table().narrow(0, 1000, PROMPT).unwrap();

    let mut group = c.benchmark_group("t5_v1_1_small_b8_s256_t4");
    group.sample_size(10);

    group.bench_function("forward_eval", |b| {
        let off = Dropout::off();
        let (embeds, full_mask) = model.prompt_inputs(&prompt_init, &ids, &mask).unwrap();
        b.iter(|| {
            let encoded = model.encode_embeds(&embeds, &full_mask, &off).unwrap();
            model.decode(&decoder_ids, &encoded, &full_mask, &off).unwrap()
        })
    });

    for rate in [0.0f32, 0.1] {
        let name = format!("prompt_train_step_dropout_{rate}");
        group.bench_function(&name, |b| {
            let prompt = Var::from_tensor(&prompt_init).unwrap();
            let mut optimizer = AdamW::new(vec![prompt.clone()], ParamsAdamW { lr: 0.01, weight_decay: 0.01, ..Default::default() }).unwrap();
            let dropout = Dropout::new(rate, 0);
            b.iter(|| {
                let (embeds, full_mask) = model.prompt_inputs(prompt.as_tensor(), &ids, &mask).unwrap();
                let encoded = model.encode_embeds(&embeds, &full_mask, &dropout).unwrap();
                let logits = model.decode(&decoder_ids, &encoded, &full_mask, &dropout).unwrap();
                let loss = cross_entropy(&logits, &labels).unwrap();
                optimizer.backward_step(&loss).unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
