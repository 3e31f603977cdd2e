//! ONNX Runtime as an independent engine to check the candle backbone against, and an ONNX
//! exporter for T5 checkpoints.
//!
//! - [`crosscheck()`]: runs the same batches through candle and through ONNX files in Optimum's
//!   export layout (`encoder_model.onnx`, `decoder_model.onnx`) and reports the largest absolute
//!   and relative error per output as a serializable [`CrosscheckReport`].
//! - [`export_t5`]: writes a checkpoint's encoder and decoder as ONNX graphs built from
//!   standard operators at opset 17, so that any checkpoint can be cross-checked without Python.
//! - [`runtime`]: finds and loads the ONNX Runtime library (`ORT_DYLIB_PATH`, else
//!   `models-cache/onnxruntime/libonnxruntime.so` from `scripts/fetch-onnxruntime.sh`).
//! - [`proto`]: the ONNX protobuf messages, derived by hand from onnx.proto.

pub mod builder;
pub mod crosscheck;
pub mod error;
pub mod inputs;
pub mod position_bias;
pub mod proto;
pub mod runtime;
pub mod t5_export;
pub mod t5_layers;

pub use crosscheck::{crosscheck, crosscheck_model, CrosscheckReport, OnnxFiles, OutputCheck, DEFAULT_TOLERANCE};
pub use error::{OnnxError, Result};
pub use inputs::{CrosscheckInputs, InputBatch};
pub use runtime::{library_path, RuntimeInfo};
pub use t5_export::{decoder_model, encoder_model, export_t5, ExportReport, ExportedFile, DECODER_FILE, ENCODER_FILE};
