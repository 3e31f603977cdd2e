//! Running the same batches through the candle backbone and through ONNX Runtime, and
//! reporting the largest differences per output.
//!
//! The ONNX directory follows Optimum's export layout (see [`super::t5_export`]). It contains
//! `encoder_model.onnx`, `decoder_model.onnx` or both, and each file present is checked. The
//! decoder is fed candle's encoder output on both sides, so an encoder difference is reported
//! under `last_hidden_state` alone and does not reappear under `logits`.
//!
//! The errors are those of [`crate::verify::relative_error`]: max |candle - onnx| / max |onnx|
//! per batch, with ONNX Runtime as the reference; the report keeps the largest over all batches.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::error::{OnnxError, Result};
use super::inputs::CrosscheckInputs;
use super::runtime::{runtime, OnnxSession, RuntimeInfo};
use super::t5_export::{DECODER_FILE, ENCODER_FILE};
use crate::checkpoint::sha256_file;
use crate::dropout::Dropout;
use crate::t5::T5Model;
use crate::verify::relative_error;

/// The default tolerance on relative error, the same as `superpos model verify` uses.
pub const DEFAULT_TOLERANCE: f64 = crate::verify::FORWARD_TOLERANCE;

/// The encoder output's name in Optimum's layout.
pub const ENCODER_OUTPUT: &str = "last_hidden_state";
/// The decoder output's name in Optimum's layout.
pub const DECODER_OUTPUT: &str = "logits";

/// The comparison of one output over every batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputCheck {
    /// `last_hidden_state` or `logits`.
    pub output: String,
    /// The ONNX file that produced it, and the file's sha256.
    pub file: PathBuf,
    pub sha256: String,
    pub batches: usize,
    /// Values compared, over all batches.
    pub elements: usize,
    /// The largest |candle - onnx| of any value.
    pub max_abs_error: f64,
    /// The largest per-batch max |candle - onnx| / max |onnx|.
    pub relative_error: f64,
    pub tolerance: f64,
    pub passed: bool,
}

/// The result of a cross-check, serializable so that a run can record it with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrosscheckReport {
    pub model_dir: PathBuf,
    pub onnx_dir: PathBuf,
    pub runtime: RuntimeInfo,
    /// The origin of the batches (`fixed`, or a task and split).
    pub inputs: String,
    pub batches: usize,
    /// Both engines compute in float32.
    pub dtype: String,
    pub tolerance: f64,
    pub outputs: Vec<OutputCheck>,
    pub passed: bool,
}

impl CrosscheckReport {
    /// Returns the names of the outputs outside tolerance.
    pub fn failed_outputs(&self) -> Vec<&str> {
        self.outputs.iter().filter(|o| !o.passed).map(|o| o.output.as_str()).collect()
    }
}

/// The ONNX files found in a directory.
#[derive(Debug, Clone)]
pub struct OnnxFiles {
    pub encoder: Option<PathBuf>,
    pub decoder: Option<PathBuf>,
}

impl OnnxFiles {
    /// Finds `encoder_model.onnx` and `decoder_model.onnx` in `dir`; at least one must exist.
    pub fn locate(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(OnnxError::DirNotFound(dir.to_path_buf()));
        }
        let found = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        let files = Self { encoder: found(ENCODER_FILE), decoder: found(DECODER_FILE) };
        if files.encoder.is_none() && files.decoder.is_none() {
            return Err(OnnxError::NoOnnxFiles { dir: dir.to_path_buf() });
        }
        Ok(files)
    }
}

/// Loads the T5 model in `model_dir` and cross-checks it against the ONNX files in `onnx_dir`
/// on `inputs`, passing each output whose relative error is at most `tolerance`.
pub fn crosscheck(model_dir: &Path, onnx_dir: &Path, inputs: &CrosscheckInputs, tolerance: f64) -> Result<CrosscheckReport> {
    let files = OnnxFiles::locate(onnx_dir)?;
    let model = T5Model::load(model_dir, &Device::Cpu)?;
    check(&model, model_dir, onnx_dir, &files, inputs, tolerance)
}

/// Cross-checks an already loaded model (for example one changed on purpose); `model_dir` is
/// only recorded in the report.
pub fn crosscheck_model(model: &T5Model, model_dir: &Path, onnx_dir: &Path, inputs: &CrosscheckInputs, tolerance: f64) -> Result<CrosscheckReport> {
    let files = OnnxFiles::locate(onnx_dir)?;
    check(model, model_dir, onnx_dir, &files, inputs, tolerance)
}

fn check(model: &T5Model, model_dir: &Path, onnx_dir: &Path, files: &OnnxFiles, inputs: &CrosscheckInputs, tolerance: f64) -> Result<CrosscheckReport> {
    let _span = tracing::info_span!("crosscheck", model = %model_dir.display(), onnx = %onnx_dir.display()).entered();
    if inputs.batches.is_empty() {
        return Err(OnnxError::InvalidInput(format!("no batches to compare in {}", inputs.source)));
    }
    for (i, batch) in inputs.batches.iter().enumerate() {
        batch.validate(i, model.config.vocab_size)?;
    }
    let runtime = runtime()?;
    let mut encoder = files.encoder.as_deref().map(|p| open(&runtime, p, &["input_ids", "attention_mask"], ENCODER_OUTPUT)).transpose()?;
    let mut decoder = files
        .decoder
        .as_deref()
        .map(|p| open(&runtime, p, &["input_ids", "encoder_attention_mask", "encoder_hidden_states"], DECODER_OUTPUT))
        .transpose()?;

    let mut outputs = Vec::new();
    let mut encoder_stats = Stats::default();
    let mut decoder_stats = Stats::default();
    let off = Dropout::off();
    for (index, batch) in inputs.batches.iter().enumerate() {
        let _span = tracing::debug_span!("batch", index, rows = batch.rows, source_len = batch.source_len, target_len = batch.target_len).entered();
        let device = model.device();
        let source_shape = (batch.rows, batch.source_len);
        let ids = Tensor::from_slice(&batch.input_ids, source_shape, device)?;
        let mask = Tensor::from_slice(&batch.attention_mask, source_shape, device)?;
        let encoded = model.encode(&ids, &mask, &off)?;
        if let Some(session) = encoder.as_mut() {
            let feeds = vec![
                ("input_ids".to_string(), session.int_input("input_ids", &[batch.rows, batch.source_len], &batch.input_ids)?),
                ("attention_mask".to_string(), session.int_input("attention_mask", &[batch.rows, batch.source_len], &batch.attention_mask)?),
            ];
            let theirs = session.run(feeds, ENCODER_OUTPUT)?;
            encoder_stats.add(session, ENCODER_OUTPUT, &encoded, theirs)?;
        }
        if let Some(session) = decoder.as_mut() {
            let decoder_ids = Tensor::from_slice(&batch.decoder_input_ids, (batch.rows, batch.target_len), device)?;
            let logits = model.decode(&decoder_ids, &encoded, &mask, &off)?;
            let hidden: Vec<f32> = encoded.flatten_all()?.to_vec1()?;
            let feeds = vec![
                ("input_ids".to_string(), session.int_input("input_ids", &[batch.rows, batch.target_len], &batch.decoder_input_ids)?),
                ("encoder_attention_mask".to_string(), session.int_input("encoder_attention_mask", &[batch.rows, batch.source_len], &batch.attention_mask)?),
                ("encoder_hidden_states".to_string(), session.float_input("encoder_hidden_states", encoded.dims(), hidden)?),
            ];
            let theirs = session.run(feeds, DECODER_OUTPUT)?;
            decoder_stats.add(session, DECODER_OUTPUT, &logits, theirs)?;
        }
    }
    for (session, output, stats) in [(&encoder, ENCODER_OUTPUT, encoder_stats), (&decoder, DECODER_OUTPUT, decoder_stats)] {
        if let Some(session) = session {
            let check = stats.finish(session, output, tolerance)?;
            tracing::info!(output, relative = check.relative_error, max_abs = check.max_abs_error, passed = check.passed, "compared");
            outputs.push(check);
        }
    }
    let passed = outputs.iter().all(|o| o.passed);
    Ok(CrosscheckReport {
        model_dir: model_dir.to_path_buf(),
        onnx_dir: onnx_dir.to_path_buf(),
        runtime: runtime.info.clone(),
        inputs: inputs.source.clone(),
        batches: inputs.batches.len(),
        dtype: "float32".to_string(),
        tolerance,
        outputs,
        passed,
    })
}

fn open(runtime: &super::runtime::Runtime, path: &Path, inputs: &[&str], output: &str) -> Result<OnnxSession> {
    let session = OnnxSession::open(runtime, path)?;
    session.expect_interface(inputs, output)?;
    Ok(session)
}

/// Running maxima of one output's errors.
#[derive(Default)]
struct Stats {
    batches: usize,
    elements: usize,
    max_abs: f64,
    relative: f64,
}

impl Stats {
    fn add(&mut self, session: &OnnxSession, output: &str, ours: &Tensor, theirs: (Vec<usize>, Vec<f32>)) -> Result<()> {
        let (shape, values) = theirs;
        if shape != ours.dims() {
            return Err(OnnxError::Interface {
                path: session.path.clone(),
                message: format!("{output} has shape {shape:?} in ONNX Runtime but {:?} in candle", ours.dims()),
            });
        }
        let reference = Tensor::from_vec(values, shape, ours.device())?;
        let (relative, max_abs) = relative_error(ours, &reference)?;
        // A NaN on either side must fail the check, and `f64::max` would drop it.
        let (relative, max_abs) = if relative.is_nan() || max_abs.is_nan() { (f64::INFINITY, f64::INFINITY) } else { (relative, max_abs) };
        self.batches += 1;
        self.elements += ours.elem_count();
        self.max_abs = self.max_abs.max(max_abs);
        self.relative = self.relative.max(relative);
        Ok(())
    }

    fn finish(self, session: &OnnxSession, output: &str, tolerance: f64) -> Result<OutputCheck> {
        Ok(OutputCheck {
            output: output.to_string(),
            file: session.path.clone(),
            sha256: sha256_file(&session.path)?,
            batches: self.batches,
            elements: self.elements,
            max_abs_error: self.max_abs,
            relative_error: self.relative,
            tolerance,
            passed: self.relative <= tolerance,
        })
    }
}
