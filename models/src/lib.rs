//! Frozen backbones for parameter-efficient tuning, written on candle.
//!
//! - [`t5`]: the T5 / T5 v1.1 encoder-decoder with soft-prompt input, seeded dropout, teacher
//!   forcing and greedy decoding.
//! - [`checkpoint`]: Hugging Face checkpoint files (safetensors, sharded safetensors,
//!   `pytorch_model.bin`), shape checks and hashes.
//! - [`hub`]: resolving a model name to a local directory, downloading from the Hugging Face hub
//!   when online.
//! - [`tokenizer`]: the `tokenizer.json` of a model directory.
//! - [`verify`]: comparing a model against stored reference outputs.
//! - [`onnx`]: exporting T5 to ONNX and cross-checking candle against ONNX Runtime.
//! - [`device`] and [`precision`]: where a model runs (CPU or CUDA) and in which number format
//!   its frozen matrix products are computed.
//! - [`allocator`]: malloc settings that let CPU training reuse freed memory.
//! - [`benchmark`]: the timed T5 workloads behind `superpos bench` and the criterion benchmarks.
//! - [`bert`]: BERT-family encoders (all-MiniLM-L6-v2) with a soft prompt and a trainable head.
//!
//! Invariant: backbone weights are plain tensors, never trainable variables, except when a
//! caller asks for full fine-tuning through `T5Model::from_checkpoint_trainable`.

pub mod allocator;
pub mod benchmark;
pub mod bert;
pub mod checkpoint;
pub mod device;
pub mod dropout;
pub mod error;
pub mod frozen;
pub mod gelu;
pub mod hub;
pub mod info;
pub mod onnx;
pub mod precision;
pub mod prompt;
pub mod t5;
pub mod tokenizer;
pub mod verify;

pub use device::DeviceSpec;
pub use dropout::Dropout;
pub use precision::Precision;
pub use error::{ModelError, Result};
