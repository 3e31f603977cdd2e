//! `superpos crosscheck`: runs the same batches through the candle backbone and through ONNX
//! Runtime, prints the largest errors per output and exits 1 when one is outside tolerance.
//!
//! With `--task`, the batches are real examples of that task's validation split under the
//! Residual PT protocol, tokenized with the model directory's `tokenizer.json` and padded as
//! evaluation pads them. Without it, the batches are a fixed set that reaches every
//! relative-position bucket.

use std::path::{Path, PathBuf};

use superpos_datasets::{evaluation_batches, DataDir, Encoder, Protocol, Task};
use superpos_models::onnx::{crosscheck, CrosscheckInputs, CrosscheckReport, InputBatch, OnnxError};
use superpos_models::t5::T5Config;

use crate::exit::{InputError, FAILED};

/// The arguments of `superpos crosscheck`.
pub struct CrosscheckArgs<'a> {
    pub model: &'a Path,
    pub onnx: &'a Path,
    pub task: Option<&'a str>,
    pub data_dir: Option<&'a Path>,
    pub examples: usize,
    pub batch_size: usize,
    pub tolerance: f64,
    pub json: bool,
}

pub fn run(args: CrosscheckArgs) -> anyhow::Result<i32> {
    let inputs = match args.task {
        Some(task) => task_inputs(args.model, task, args.data_dir, args.examples, args.batch_size)?,
        None => CrosscheckInputs::fixed(&load_config(args.model)?),
    };
    let report = crosscheck(args.model, args.onnx, &inputs, args.tolerance).map_err(classify)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    let failed = report.failed_outputs();
    if failed.is_empty() {
        Ok(0)
    } else {
        eprintln!("error: outside tolerance {:e}: {}", report.tolerance, failed.join(", "));
        Ok(FAILED)
    }
}

/// Marks input errors (missing files, a missing library, a file of the wrong shape) for exit
/// code 2; failed computations keep code 1.
pub fn classify(err: OnnxError) -> anyhow::Error {
    if err.is_input_error() {
        InputError(err.to_string()).into()
    } else {
        err.into()
    }
}

fn load_config(model: &Path) -> anyhow::Result<T5Config> {
    if !model.is_dir() {
        return Err(InputError(format!("model directory {} does not exist", model.display())).into());
    }
    Ok(T5Config::from_file(&model.join("config.json"))?)
}

/// Builds padded batches of the first `examples` validation examples of `task`, for this
/// command and for runs that record a cross-check.
pub(crate) fn task_inputs(model: &Path, task: &str, data_dir: Option<&Path>, examples: usize, batch_size: usize) -> anyhow::Result<CrosscheckInputs> {
    let config = load_config(model)?;
    let input_error = |e: superpos_datasets::DatasetError| InputError(format!("task {task}: {e}"));
    let task: Task = task.parse().map_err(input_error)?;
    let protocol = Protocol::ResidualPt.resolve(task).map_err(input_error)?;
    let splits = protocol.splits(&DataDir::new_or_embedded(data_dir)).map_err(input_error)?;

    let tokenizer: PathBuf = model.join("tokenizer.json");
    if !tokenizer.is_file() {
        return Err(InputError(format!("{}: not found; --task needs the model's tokenizer.json", tokenizer.display())).into());
    }
    // No soft prompt: the backbone alone is compared, so the whole length limit is for tokens.
    let encoder = Encoder::from_file(&tokenizer, &protocol, 0).map_err(input_error)?;
    let pairs = splits.validation.iter().take(examples).map(|e| protocol.format(e)).collect::<Result<Vec<_>, _>>().map_err(input_error)?;
    let encoded = encoder.encode_all(&pairs).map_err(input_error)?;

    let batches = evaluation_batches(&encoded, batch_size.max(1), encoder.pad_id())
        .iter()
        .map(|b| {
            InputBatch::from_labels(
                b.input_shape(),
                &b.input_ids,
                &b.attention_mask,
                b.target_len,
                &b.labels,
                config.decoder_start_token_id,
                config.pad_token_id,
            )
        })
        .collect();
    Ok(CrosscheckInputs { source: format!("{task} validation, {} examples, {} protocol", pairs.len(), protocol.protocol.name()), batches })
}

fn print_report(report: &CrosscheckReport) {
    println!("model:    {}", report.model_dir.display());
    println!("onnx:     {}", report.onnx_dir.display());
    println!("runtime:  ONNX Runtime {} ({})", report.runtime.version, report.runtime.library.display());
    println!("inputs:   {}, {} batches, {}", report.inputs, report.batches, report.dtype);
    println!("{:<20} {:>15} {:>15} {:>10}  status", "output", "max abs error", "relative error", "tolerance");
    for o in &report.outputs {
        let status = if o.passed { "ok" } else { "FAILED" };
        println!("{:<20} {:>15.3e} {:>15.3e} {:>10.0e}  {status}", o.output, o.max_abs_error, o.relative_error, o.tolerance);
    }
    if report.passed {
        println!("all {} outputs within tolerance", report.outputs.len());
    }
}
