//! Criterion benchmarks of the T5 v1.1 small shape (d_model 512, 8+8 layers, gated-GELU) with
//! random weights: an encoder-decoder forward pass, and one prompt-tuning training step
//! (forward, backward to the prompt, AdamW) at batch 8, 256 source tokens plus 10 prompt
//! vectors, 4 target tokens, with dropout off and at 0.1. Also the step's most common matrix
//! product on its own (2,128 tokens x d_model 512 times 512 x d_ff 1,024), for its FLOP rate.
//!
//! Run with `cargo bench -p superpos-models --bench t5_step`. Set `RAYON_NUM_THREADS` to fix
//! the thread count candle's CPU kernels use. `superpos bench` times the same workloads from the
//! command line, which `bench/compare_pytorch.sh` uses for the side-by-side comparison.

use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use superpos_models::benchmark::{Shape, Workload};
use superpos_models::{Dropout, Precision};

const SHAPE: Shape = Shape { batch: 8, source_len: 256, prompt_len: 10, target_len: 4 };

fn benchmarks(c: &mut Criterion) {
    superpos_models::allocator::retain_freed_memory();
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../configs/backbones/t5-v1_1-small/config.json");
    let workload = Workload::random(&config, SHAPE, &Device::Cpu, Precision::F32).unwrap();

    let mut group = c.benchmark_group("t5_v1_1_small_b8_s256_t4");
    group.sample_size(10);

    group.bench_function("generate_eval", |b| b.iter(|| workload.generate().unwrap()));

    // 2 * 2128 * 512 * 1024 = 2.23 GFLOP per product.
    let lhs = Tensor::ones((SHAPE.batch * (SHAPE.source_len + SHAPE.prompt_len), 512), DType::F32, &Device::Cpu).unwrap();
    let rhs = Tensor::ones((512, 1024), DType::F32, &Device::Cpu).unwrap();
    group.bench_function("matmul_2128x512x1024", |b| b.iter(|| lhs.matmul(&rhs).unwrap()));

    for rate in [0.0f32, 0.1] {
        let name = format!("prompt_train_step_dropout_{rate}");
        group.bench_function(&name, |b| {
            let (prompt, mut optimizer) = workload.trainable_prompt().unwrap();
            let dropout = Dropout::new(rate, 0);
            b.iter(|| workload.train_step(&prompt, &mut optimizer, &dropout).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
