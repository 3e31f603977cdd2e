//! `superpos export-onnx`: writes a T5 checkpoint's encoder and decoder as ONNX files in
//! Optimum's layout, optionally cross-checking them against candle right away.

use std::path::Path;

use superpos_models::onnx::{crosscheck, export_t5, CrosscheckInputs};
use superpos_models::t5::T5Config;

use super::crosscheck::classify;
use crate::exit::FAILED;

pub fn run(model: &Path, out: &Path, check: bool, tolerance: f64) -> anyhow::Result<i32> {
    let report = export_t5(model, out).map_err(classify)?;
    for file in &report.files {
        println!("{:<8} {}  {} nodes, {} initializers, {} bytes", file.component, file.path.display(), file.nodes, file.initializers, file.bytes);
    }
    if !check {
        println!("check with: superpos crosscheck --model {} --onnx {}", model.display(), out.display());
        return Ok(0);
    }
    let config = T5Config::from_file(&model.join("config.json"))?;
    let checked = crosscheck(model, out, &CrosscheckInputs::fixed(&config), tolerance).map_err(classify)?;
    for o in &checked.outputs {
        let status = if o.passed { "ok" } else { "FAILED" };
        println!("{:<20} max abs error {:.3e}  relative error {:.3e}  {status}", o.output, o.max_abs_error, o.relative_error);
    }
    let failed = checked.failed_outputs();
    if failed.is_empty() {
        println!("ONNX Runtime {} agrees with candle within {:e}", checked.runtime.version, tolerance);
        Ok(0)
    } else {
        eprintln!("error: outside tolerance {:e}: {}", tolerance, failed.join(", "));
        Ok(FAILED)
    }
}
