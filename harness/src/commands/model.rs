//! `superpos model info` and `superpos model verify`.

use std::path::Path;

use anyhow::Context;
use superpos_models::hub::resolve_model;
use superpos_models::info::model_info;
use superpos_models::t5::T5Model;
use superpos_models::verify::verify_against_reference;
use superpos_models::{DeviceSpec, Precision};

use crate::cli::ModelCommand;
use crate::exit::FAILED;

pub fn run(command: ModelCommand) -> anyhow::Result<i32> {
    match command {
        ModelCommand::Info { model, json } => info(&model, json),
        ModelCommand::Verify { model, reference, tolerance, device, precision } => verify(&model, &reference, tolerance, device, precision),
    }
}

fn info(model: &str, json: bool) -> anyhow::Result<i32> {
    // A config.json on its own is described without weights and without the hub.
    let path = if Path::new(model).is_file() { Path::new(model).to_path_buf() } else { resolve_model(model)? };
    let info = model_info(&path)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(0);
    }
    println!("config:       {}", info.config_path.display());
    println!("architecture: {}", info.architecture);
    println!("parameters:   {} ({})", info.parameters, group_thousands(info.parameters));
    match (&info.weight_format, &info.stored_dtype) {
        (None, _) => println!("weights:      none (configuration only)"),
        (Some(format), dtype) => {
            let format = serde_json::to_value(format)?;
            println!("weights:      {} ({})", format.as_str().unwrap_or_default(), dtype.as_deref().unwrap_or("dtype known after loading"));
        }
    }
    for file in &info.weight_files {
        println!("  {}  {} bytes  sha256 {}", file.path.display(), file.bytes, file.sha256);
    }
    Ok(0)
}

/// The default tolerance of `model verify --precision bf16`. The tiny fixtures compound bfloat16
/// rounding over their layers to relative errors of up to 9.4e-2 (see the golden tests).
const BF16_TOLERANCE: f64 = 0.15;

fn verify(model: &str, reference: &Path, tolerance: Option<f64>, device: DeviceSpec, precision: Precision) -> anyhow::Result<i32> {
    let dir = resolve_model(model)?;
    let opened = device.open()?;
    let model = T5Model::load(&dir, &opened).and_then(|m| m.with_precision(precision)).with_context(|| format!("loading {}", dir.display()))?;
    let tolerance = tolerance.unwrap_or(if precision.is_f32() { superpos_models::verify::FORWARD_TOLERANCE } else { BF16_TOLERANCE });
    println!("device {device}, precision {}", serde_json::to_value(precision)?.as_str().unwrap_or_default());
    let mut results = verify_against_reference(&model, reference, tolerance)?;
    // Rounded products can flip a near-tie in greedy decoding, so in bf16 differing generated ids
    // are shown but not counted as a failure.
    let informational = |output: &str| !precision.is_f32() && output == "generated";
    println!("{:<28} {:>14} {:>14} {:>10}  status", "output", "relative error", "max abs error", "tolerance");
    for r in &mut results {
        let status = match (r.passed, informational(&r.output)) {
            (true, _) => "ok",
            (false, true) => "differs (not checked in bf16)",
            (false, false) => "FAILED",
        };
        if r.output == "generated" {
            println!("{:<28} {:>14} {:>14} {:>10}  {status}", r.output, format!("{:.1}% ids", 100.0 * r.relative_error), "", "exact");
        } else {
            println!("{:<28} {:>14.3e} {:>14.3e} {:>10.2e}  {status}", r.output, r.relative_error, r.max_abs_error, r.tolerance);
        }
        r.passed |= informational(&r.output);
    }
    let failed: Vec<&str> = results.iter().filter(|r| !r.passed).map(|r| r.output.as_str()).collect();
    if failed.is_empty() {
        println!("all {} outputs within tolerance", results.len());
        Ok(0)
    } else {
        eprintln!("error: outside tolerance: {}", failed.join(", "));
        Ok(FAILED)
    }
}

/// Formats 76961152 as 76,961,152.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
