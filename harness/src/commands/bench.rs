//! `superpos bench`: times one T5 workload with random weights (see
//! `superpos_models::benchmark`) and prints the median, the throughput and the peak memory.
//! `bench/compare_pytorch.sh` and `scripts/gpu-check.sh` run it next to the same workload in
//! PyTorch and read its JSON.

use std::path::Path;

use serde::Serialize;
use superpos_models::benchmark::{peak_memory_mib, time_runs, Shape, Workload};
use superpos_models::{DeviceSpec, Dropout, Precision};

use crate::exit::InputError;
use crate::provenance::rayon_threads;

/// The work that is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchWorkload {
    /// Forward, backward to the prompt and an AdamW step.
    Step,
    /// Encoding and greedy decoding, as evaluation runs them.
    Generate,
}

pub struct BenchArgs<'a> {
    pub config: &'a Path,
    pub workload: BenchWorkload,
    pub shape: Shape,
    pub dropout: f32,
    pub warmup: usize,
    pub repeats: usize,
    pub device: DeviceSpec,
    pub precision: Precision,
    pub json: bool,
}

/// The printed result.
#[derive(Debug, Serialize)]
struct BenchReport {
    workload: BenchWorkload,
    config: String,
    shape: Shape,
    dropout: f32,
    device: String,
    precision: Precision,
    threads: usize,
    seconds: Vec<f64>,
    median_seconds: f64,
    /// Batch rows per second at the median.
    examples_per_second: f64,
    /// Tokens generated per row (generate only); a row stops early at `</s>`.
    generated_tokens: Option<usize>,
    peak_memory_mib: Option<f64>,
}

pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    if !(0.0..1.0).contains(&args.dropout) {
        return Err(InputError(format!("invalid --dropout {}: expected a rate from 0 up to but not including 1", args.dropout)).into());
    }
    if args.workload == BenchWorkload::Generate && args.dropout > 0.0 {
        return Err(InputError("--dropout applies to --workload step; evaluation runs without dropout".to_string()).into());
    }
    let config = if args.config.is_dir() { args.config.join("config.json") } else { args.config.to_path_buf() };
    if !config.is_file() {
        return Err(InputError(format!("--config {}: no such file; pass a T5 config.json such as configs/backbones/t5-v1_1-small/config.json", config.display())).into());
    }
    let device = args.device.open()?;
    let workload = Workload::random(&config, args.shape, &device, args.precision)?;
    let mut generated_tokens = None;
    let timings = match args.workload {
        BenchWorkload::Step => {
            let (prompt, mut optimizer) = workload.trainable_prompt()?;
            let dropout = if args.dropout > 0.0 { Dropout::new(args.dropout, 0) } else { Dropout::off() };
            time_runs(args.warmup, args.repeats, || workload.train_step(&prompt, &mut optimizer, &dropout).map(|_| ()))?
        }
        BenchWorkload::Generate => time_runs(args.warmup, args.repeats, || {
            generated_tokens = Some(workload.generate()?);
            Ok(())
        })?,
    };
    let report = BenchReport {
        workload: args.workload,
        config: config.display().to_string(),
        shape: args.shape,
        dropout: args.dropout,
        device: args.device.to_string(),
        precision: args.precision,
        threads: rayon_threads(),
        examples_per_second: args.shape.batch as f64 / timings.median,
        median_seconds: timings.median,
        seconds: timings.seconds,
        generated_tokens,
        peak_memory_mib: peak_memory_mib(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let Shape { batch, source_len, prompt_len, target_len } = report.shape;
        let plural = |n: usize, noun: &str| if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") };
        let workload = serde_json::to_value(report.workload)?;
        let precision = serde_json::to_value(report.precision)?;
        println!(
            "{} on {} ({}, {}): batch {batch}, source {source_len} + prompt {prompt_len}, target {target_len}",
            workload.as_str().unwrap_or_default(),
            report.device,
            precision.as_str().unwrap_or_default(),
            plural(report.threads, "thread")
        );
        println!(
            "median {:.4} s over {}, {:.2} examples/s, peak memory {}",
            report.median_seconds,
            plural(report.seconds.len(), "run"),
            report.examples_per_second,
            report.peak_memory_mib.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"))
        );
    }
    Ok(0)
}
