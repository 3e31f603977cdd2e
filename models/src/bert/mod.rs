//! BERT-family encoders (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional
//! Transformers for Language Understanding"), written for training through a frozen backbone:
//! a soft prompt in front of the word embeddings, seeded dropout at every BERT dropout site,
//! sentence-transformers' mean pooling, and trainable classification and regression heads.
//!
//! The encoder is written here, following `modeling_bert.py` in transformers, because
//! training through it needs a soft-prompt input, seeded dropout, and a layer norm and softmax
//! with backward passes. candle-nn 0.11's fused `layer_norm` and `softmax_last_dim` kernels
//! have no backward pass. The golden model is all-MiniLM-L6-v2, which
//! `scripts/fetch-minilm.sh` downloads.

pub mod batch;
pub mod config;
pub mod embeddings;
pub mod encoder;
pub mod head;
pub mod layers;
pub mod model;
pub mod pooling;

pub use batch::{encode_batch, EncodedBatch};
pub use config::BertConfig;
pub use head::{mse_loss, ClassificationHead, RegressionHead};
pub use model::{BertModel, BertOutput};
pub use pooling::{l2_normalize, mean_pool};
