//! Command-line arguments of `superpos`, parsed with clap's derive API.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use superpos_models::{DeviceSpec, Precision};

use crate::progress::ProgressMode;

/// Parameter-efficient tuning of frozen language models, reproducibly.
#[derive(Debug, Parser)]
#[command(name = "superpos", version, about)]
pub struct Cli {
    /// Log more on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect and verify backbones.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Check task data.
    #[command(subcommand)]
    Data(DataCommand),
    /// Run a small fixed grid and compare its metrics with a baseline; exit 1 on a regression.
    Ci {
        /// The regression grid, with a `regression` section stating tolerances.
        #[arg(long, default_value = "ci/regression.yaml")]
        grid: PathBuf,
        /// The baseline CSV (cell,point,metric,value).
        #[arg(long, default_value = "ci/baseline.csv")]
        baseline: PathBuf,
        /// Rewrite the baseline from this run instead of comparing.
        #[arg(long)]
        update_baseline: bool,
        /// Keep the run's results here (default: a temporary directory).
        #[arg(long)]
        results: Option<PathBuf>,
        /// The device the models run on: cpu, cuda or cuda:N. The baseline was recorded on the CPU.
        #[arg(long, default_value = "cpu")]
        device: DeviceSpec,
    },
    /// Run the same inputs through the candle backbone and through ONNX Runtime, and report the
    /// largest error per output. Exit 1 when one is outside tolerance. Both engines run on the
    /// CPU; `model verify --device cuda` checks the CUDA backend against reference outputs.
    Crosscheck {
        /// A local T5 model directory in Hugging Face layout.
        #[arg(long)]
        model: PathBuf,
        /// A directory with encoder_model.onnx, decoder_model.onnx or both (Optimum's layout).
        #[arg(long)]
        onnx: PathBuf,
        /// Use padded batches of this task's validation examples instead of the fixed inputs.
        #[arg(long)]
        task: Option<String>,
        /// Task data directory for --task (default: the embedded CB, COPA and RTE files).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Validation examples to use with --task.
        #[arg(long, default_value_t = 32)]
        examples: usize,
        /// Rows per batch with --task.
        #[arg(long, default_value_t = 8)]
        batch_size: usize,
        /// Maximum relative error (max |candle - onnx| / max |onnx|), float32.
        #[arg(long, default_value_t = superpos_models::onnx::DEFAULT_TOLERANCE)]
        tolerance: f64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Time a prompt-tuning training step, or greedy evaluation, of a T5 configuration with
    /// random weights on a fixed batch. Prints the median over repeated runs and peak memory.
    Bench {
        /// A T5 config.json, such as configs/backbones/t5-v1_1-small/config.json, or a model
        /// directory that contains one (its weights are not read).
        #[arg(long)]
        config: PathBuf,
        /// `step`: forward, backward to the prompt and AdamW; `generate`: encode and decode
        /// greedily for --target-len tokens.
        #[arg(long, value_enum)]
        workload: crate::commands::bench::BenchWorkload,
        /// Rows per batch.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
        batch: u32,
        /// Source tokens per row, not counting the prompt.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(2..))]
        source_len: u32,
        /// Soft-prompt vectors in front of the source.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        prompt_len: u32,
        /// Target tokens: the teacher-forced labels of a step, or the tokens generated.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
        target_len: u32,
        /// Dropout rate during training steps, from 0 (off) to below 1.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        dropout: f32,
        /// Untimed runs before the timed ones.
        #[arg(long, default_value_t = 2)]
        warmup: usize,
        /// Timed runs; the median is reported.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        repeats: u32,
        /// Threads for the CPU kernels (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
        /// The device the model runs on: cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: DeviceSpec,
        /// The format of the frozen matrix products: f32 or bf16.
        #[arg(long, default_value = "f32")]
        precision: Precision,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a T5 checkpoint's encoder and decoder as ONNX graphs (encoder_model.onnx,
    /// decoder_model.onnx) for `superpos crosscheck`.
    ExportOnnx {
        /// A local T5 model directory in Hugging Face layout.
        #[arg(long)]
        model: PathBuf,
        /// The directory to write the ONNX files to.
        #[arg(long)]
        out: PathBuf,
        /// Cross-check the written files against candle on the fixed inputs.
        #[arg(long)]
        check: bool,
        /// Maximum relative error for --check.
        #[arg(long, default_value_t = superpos_models::onnx::DEFAULT_TOLERANCE)]
        tolerance: f64,
    },
    /// Copy the prompts of finished simple prompt-tuning cells to OUT/<backbone>/<task>.safetensors,
    /// for use as ATTEMPT source prompts.
    ExportPrompts {
        /// The results directory of a grid run.
        results: PathBuf,
        /// The directory to write prompts to.
        #[arg(long)]
        out: PathBuf,
        /// The seed of the cells to export.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The backbone dropout of the cells to export.
        #[arg(long, value_enum, default_value_t = OnOff::Off)]
        dropout: OnOff,
    },
    /// List a grid's cells with their ids, trainable parameter counts and states.
    Plan {
        /// The grid file (YAML).
        grid: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Results directory whose cell states to show (default: the grid's `results_dir`, else
        /// results/<grid name>).
        #[arg(long)]
        results: Option<PathBuf>,
    },
    /// Print or write report tables (SuperPos-Prompt's Table 1 and Table 2, per-task tables, the
    /// comparison with reported numbers), the leaderboard CSV, convergence, flags and plots.
    Report {
        /// A results directory (with `cells/`) or a long-format score CSV with the columns
        /// model,method,dropout,task,metric,score (scores in percent, as published).
        input: PathBuf,
        /// Output format; `csv` prints the leaderboard, and with --out writes one CSV per table.
        #[arg(long, default_value = "md", value_parser = ["md", "latex", "csv", "json"])]
        format: String,
        /// Write one file per table, leaderboard.csv, scores.csv and plots/ into this directory
        /// and print their paths, instead of printing the report. Cells that predicted the
        /// official test splits also get GLUE/SuperGLUE submission files in submissions/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The evaluation of each cell to report.
        #[arg(long, default_value = "test", value_parser = ["test", "validation"])]
        split: String,
        /// Numbers to compare with: `paper` (the SuperPos-Prompt paper's tables), `none`, or the
        /// path of a score CSV.
        #[arg(long, default_value = "paper")]
        reference: String,
        /// Do not draw validation-curve plots when writing to --out.
        #[arg(long)]
        no_plots: bool,
    },
    /// Run a grid's pending cells and store one result file per cell.
    Run {
        /// The grid file (YAML).
        grid: PathBuf,
        /// Run only the cell with this id (repeatable); ids come from `superpos plan`.
        #[arg(long)]
        cell: Vec<String>,
        /// Rerun cells that already have a result.
        #[arg(long)]
        force: bool,
        /// Cells to run at once.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Threads for the CPU kernels (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Progress output: bars on stderr, JSON lines on stdout, or none.
        #[arg(long, value_enum, default_value_t = ProgressMode::Bar)]
        progress: ProgressMode,
        /// Results directory (default: the grid's `results_dir`, else results/<grid name>).
        #[arg(long)]
        results: Option<PathBuf>,
        /// The device the models run on: cpu, cuda or cuda:N (CUDA needs a binary built with
        /// scripts/build-cuda.sh). The device is recorded with every result.
        #[arg(long, default_value = "cpu")]
        device: DeviceSpec,
    },
    /// Count a grid's done, running, failed and pending cells and list each cell's state.
    Status {
        /// The grid file (YAML).
        grid: PathBuf,
        /// Results directory (default: the grid's `results_dir`, else results/<grid name>).
        #[arg(long)]
        results: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a job-array script with one task per pending or failed cell and submit it to a
    /// scheduler. Every task writes to the one results directory, so resubmitting is safe.
    Submit {
        /// The grid file (YAML).
        grid: PathBuf,
        /// The scheduler to submit to.
        #[arg(long, value_enum)]
        executor: crate::commands::submit::Executor,
        /// Run at most this many array tasks at once.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        array_parallelism: Option<u32>,
        /// The Slurm partition to submit to (default: the cluster's default partition).
        #[arg(long)]
        partition: Option<String>,
        /// The time limit of each task, as sbatch takes it: minutes, HH:MM:SS or D-HH:MM:SS.
        #[arg(long)]
        time: Option<String>,
        /// CPUs for each task; also the thread count of its CPU kernels.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        cpus_per_task: u32,
        /// Request one GPU per task (--gres=gpu:1) and run each cell with --device cuda; the
        /// executable must be a CUDA build (scripts/build-cuda.sh).
        #[arg(long)]
        gpu: bool,
        /// Results directory (default: the grid's `results_dir`, else results/<grid name>).
        #[arg(long)]
        results: Option<PathBuf>,
        /// Write the script and print its path without calling sbatch.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Backbone dropout of the cells to select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Check row counts and label sets of every task file against the official numbers; exit 1
    /// on any mismatch.
    Verify {
        /// A data directory: the official release layout (glue/<Task>/*.tsv,
        /// superglue/<Task>/*.jsonl) and/or Hugging Face `datasets` exports under
        /// hf/glue/<config>/ and hf/super_glue/<config>/, one <split>.jsonl, <split>.parquet or
        /// the hub's <split>-NNNNN-of-NNNNN.parquet shards per split (parquet: snappy or none).
        #[arg(long)]
        data_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print the architecture, parameter count, dtype and weight hashes of a model.
    Info {
        /// A model directory in Hugging Face layout, a `config.json` file, or a hub id.
        #[arg(long)]
        model: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Compare a model with reference outputs and exit 1 when any exceeds the tolerance.
    Verify {
        /// A model directory in Hugging Face layout, or a hub id.
        #[arg(long)]
        model: String,
        /// A safetensors file of inputs and expected outputs (input_ids, attention_mask, labels,
        /// encoder_last_hidden_state, logits, loss, prompt, prompt_logits, prompt_loss,
        /// prompt_grad, generated).
        #[arg(long)]
        reference: PathBuf,
        /// Maximum relative error (max |ours - reference| / max |reference|) for forward
        /// outputs; gradients are allowed at least 1e-3. Default: 1e-4 in f32, 0.15 in bf16.
        #[arg(long)]
        tolerance: Option<f64>,
        /// The device the model runs on: cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: DeviceSpec,
        /// The format of the frozen matrix products: f32 or bf16. In bf16 the generated ids are
        /// shown but not checked, since rounding can flip a near-tie in greedy decoding.
        #[arg(long, default_value = "f32")]
        precision: Precision,
    },
}
