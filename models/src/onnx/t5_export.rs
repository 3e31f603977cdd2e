//! Writing a T5 checkpoint's encoder and decoder as ONNX files in Optimum's export layout.
//!
//! Source for the layout: Hugging Face Optimum's seq2seq export (`optimum-cli export onnx`).
//! It writes `encoder_model.onnx`, with inputs `input_ids` and `attention_mask` and output
//! `last_hidden_state`, and `decoder_model.onnx`, with inputs `input_ids`,
//! `encoder_attention_mask` and `encoder_hidden_states` and output `logits`. Integer inputs are
//! int64 and lengths are dynamic.
//! Source for the computation: `T5Stack` and `T5ForConditionalGeneration` in transformers'
//! `modeling_t5.py`, with dropout off.
//!
//! The graphs are built from the checkpoint and `config.json` alone, not from the candle model,
//! so that running them in ONNX Runtime checks candle against a separate implementation.
//!
//! TODO: weights go inside the protobuf, which is limited to 2 GiB, so checkpoints above about
//! 500M parameters per stack (t5-large and up) are refused until external data files are written.

use std::path::{Path, PathBuf};

use prost::Message;
use serde::{Deserialize, Serialize};

use super::builder::{Attr, Dim, GraphBuilder, OPSET};
use super::error::{OnnxError, Result};
use super::position_bias::{causal_mask, padding_mask, self_attention_bias};
use super::proto::{DataType, ModelProto};
use super::t5_layers::{feed_forward, layer_norm, linear, AttentionWeights};
use crate::checkpoint::{Checkpoint, ModelFiles};
use crate::t5::T5Config;

/// The encoder file name in Optimum's layout.
pub const ENCODER_FILE: &str = "encoder_model.onnx";
/// The decoder file name in Optimum's layout (the variant without past key values).
pub const DECODER_FILE: &str = "decoder_model.onnx";

/// Protobuf refuses messages of 2 GiB or more; this leaves room for the graph around the weights.
const PROTOBUF_LIMIT: usize = (1 << 31) - (16 << 20);

/// One written ONNX file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedFile {
    /// `encoder` or `decoder`.
    pub component: String,
    pub path: PathBuf,
    pub nodes: usize,
    pub initializers: usize,
    pub bytes: u64,
}

/// The summary of the files `export_t5` wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportReport {
    pub model_dir: PathBuf,
    pub out_dir: PathBuf,
    pub opset: i64,
    pub files: Vec<ExportedFile>,
}

/// Loads the checkpoint in `model_dir` and writes `encoder_model.onnx` and `decoder_model.onnx`
/// into `out_dir`, creating it if needed.
pub fn export_t5(model_dir: &Path, out_dir: &Path) -> Result<ExportReport> {
    let _span = tracing::info_span!("export_onnx", model = %model_dir.display(), out = %out_dir.display()).entered();
    let files = ModelFiles::locate(model_dir)?;
    let config = T5Config::from_file(&files.config)?;
    let checkpoint = Checkpoint::load(files, &candle_core::Device::Cpu)?;
    std::fs::create_dir_all(out_dir).map_err(|source| OnnxError::Io { path: out_dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for (component, file) in [("encoder", ENCODER_FILE), ("decoder", DECODER_FILE)] {
        let model = if component == "encoder" { encoder_model(&config, &checkpoint)? } else { decoder_model(&config, &checkpoint)? };
        let graph = model.graph.as_ref().expect("the builder always sets a graph");
        let (nodes, initializers) = (graph.node.len(), graph.initializer.len());
        let path = out_dir.join(file);
        let bytes = model.encode_to_vec();
        std::fs::write(&path, &bytes).map_err(|source| OnnxError::Io { path: path.clone(), source })?;
        tracing::info!(component, nodes, initializers, bytes = bytes.len(), "ONNX graph written");
        written.push(ExportedFile { component: component.to_string(), path, nodes, initializers, bytes: bytes.len() as u64 });
    }
    Ok(ExportReport { model_dir: model_dir.to_path_buf(), out_dir: out_dir.to_path_buf(), opset: OPSET, files: written })
}

/// Adds every checkpoint weight whose name `keep` accepts as an initializer, under its
/// checkpoint name, with the shape `config.json` implies.
fn add_weights(g: &mut GraphBuilder, config: &T5Config, checkpoint: &Checkpoint, keep: impl Fn(&str) -> bool) -> Result<()> {
    let mut total = 0usize;
    for (name, shape) in config.weight_shapes() {
        if !keep(&name) {
            continue;
        }
        // Checkpoints name the shared embedding differently across transformers versions.
        let tensor = if name == "shared.weight" {
            checkpoint.get_any(&["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"], &shape)?
        } else {
            checkpoint.get(&name, &shape)?
        };
        let values = tensor.flatten_all()?.to_vec1::<f32>()?;
        total += values.len() * 4;
        if total > PROTOBUF_LIMIT {
            return Err(OnnxError::Unsupported {
                path: checkpoint.files.dir.clone(),
                message: format!("the weights exceed protobuf's 2 GiB limit at {name}; ONNX external data files are not written yet"),
            });
        }
        g.initializer_f32(&name, &shape, &values);
    }
    Ok(())
}

fn metadata(config: &T5Config, checkpoint: &Checkpoint, component: &str) -> Vec<(String, String)> {
    vec![
        ("source_model".to_string(), checkpoint.files.dir.display().to_string()),
        ("component".to_string(), component.to_string()),
        ("feed_forward_proj".to_string(), config.feed_forward_proj.clone()),
    ]
}

/// Builds the encoder graph: `input_ids`, `attention_mask` to `last_hidden_state`.
pub fn encoder_model(config: &T5Config, checkpoint: &Checkpoint) -> Result<ModelProto> {
    let kind = config.feed_forward(&checkpoint.files.config)?;
    let mut g = GraphBuilder::new();
    let ids = g.input("input_ids", DataType::Int64, &[Dim::Named("batch"), Dim::Named("enc_len")]);
    let mask = g.input("attention_mask", DataType::Int64, &[Dim::Named("batch"), Dim::Named("enc_len")]);
    g.output("last_hidden_state", DataType::Float, &[Dim::Named("batch"), Dim::Named("enc_len"), Dim::Fixed(config.d_model)]);
    add_weights(&mut g, config, checkpoint, |name| name == "shared.weight" || name.starts_with("encoder."))?;

    g.set_scope("encoder/embed");
    let mut hidden = g.op("Gather", &["shared.weight", &ids], vec![("axis", Attr::Int(0))]);
    g.set_scope("encoder/bias");
    let table = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    let position = self_attention_bias(&mut g, &ids, table, true, config.relative_attention_num_buckets, config.relative_attention_max_distance);
    let padding = padding_mask(&mut g, &mask);
    let bias = g.op("Add", &[&position, &padding], vec![]);

    let eps = config.layer_norm_epsilon;
    for i in 0..config.num_layers {
        let block = format!("encoder.block.{i}.layer");
        g.set_scope(format!("encoder/block.{i}"));
        let normed = layer_norm(&mut g, &hidden, &format!("{block}.0.layer_norm.weight"), eps);
        let attention = AttentionWeights { prefix: &format!("{block}.0.SelfAttention"), heads: config.num_heads, d_kv: config.d_kv };
        let attended = attention.attend(&mut g, &normed, &normed, &bias);
        hidden = g.op("Add", &[&hidden, &attended], vec![]);
        let normed = layer_norm(&mut g, &hidden, &format!("{block}.1.layer_norm.weight"), eps);
        let ff = feed_forward(&mut g, &normed, &format!("{block}.1.DenseReluDense"), kind);
        hidden = g.op("Add", &[&hidden, &ff], vec![]);
    }
    g.set_scope("encoder/final");
    let out = layer_norm(&mut g, &hidden, "encoder.final_layer_norm.weight", eps);
    g.op_into("Identity", &[&out], vec![], "last_hidden_state");
    Ok(g.finish("t5_encoder", metadata(config, checkpoint, "encoder")))
}

/// Builds the decoder graph (teacher forcing over all positions, no cache): `input_ids`,
/// `encoder_attention_mask`, `encoder_hidden_states` to `logits`.
pub fn decoder_model(config: &T5Config, checkpoint: &Checkpoint) -> Result<ModelProto> {
    let kind = config.feed_forward(&checkpoint.files.config)?;
    let mut g = GraphBuilder::new();
    let ids = g.input("input_ids", DataType::Int64, &[Dim::Named("batch"), Dim::Named("dec_len")]);
    let mask = g.input("encoder_attention_mask", DataType::Int64, &[Dim::Named("batch"), Dim::Named("enc_len")]);
    let encoded = g.input(
        "encoder_hidden_states",
        DataType::Float,
        &[Dim::Named("batch"), Dim::Named("enc_len"), Dim::Fixed(config.d_model)],
    );
    g.output("logits", DataType::Float, &[Dim::Named("batch"), Dim::Named("dec_len"), Dim::Fixed(config.vocab_size)]);
    add_weights(&mut g, config, checkpoint, |name| name == "shared.weight" || name == "lm_head.weight" || name.starts_with("decoder."))?;

    g.set_scope("decoder/embed");
    let mut hidden = g.op("Gather", &["shared.weight", &ids], vec![("axis", Attr::Int(0))]);
    g.set_scope("decoder/bias");
    let table = "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
    let position = self_attention_bias(&mut g, &ids, table, false, config.relative_attention_num_buckets, config.relative_attention_max_distance);
    let causal = causal_mask(&mut g, &ids);
    let self_bias = g.op("Add", &[&position, &causal], vec![]);
    let cross_bias = padding_mask(&mut g, &mask);

    let eps = config.layer_norm_epsilon;
    for i in 0..config.decoder_layers() {
        let block = format!("decoder.block.{i}.layer");
        g.set_scope(format!("decoder/block.{i}"));
        let normed = layer_norm(&mut g, &hidden, &format!("{block}.0.layer_norm.weight"), eps);
        let attention = AttentionWeights { prefix: &format!("{block}.0.SelfAttention"), heads: config.num_heads, d_kv: config.d_kv };
        let attended = attention.attend(&mut g, &normed, &normed, &self_bias);
        hidden = g.op("Add", &[&hidden, &attended], vec![]);
        let normed = layer_norm(&mut g, &hidden, &format!("{block}.1.layer_norm.weight"), eps);
        let cross = AttentionWeights { prefix: &format!("{block}.1.EncDecAttention"), heads: config.num_heads, d_kv: config.d_kv };
        let attended = cross.attend(&mut g, &normed, &encoded, &cross_bias);
        hidden = g.op("Add", &[&hidden, &attended], vec![]);
        let normed = layer_norm(&mut g, &hidden, &format!("{block}.2.layer_norm.weight"), eps);
        let ff = feed_forward(&mut g, &normed, &format!("{block}.2.DenseReluDense"), kind);
        hidden = g.op("Add", &[&hidden, &ff], vec![]);
    }
    g.set_scope("decoder/head");
    let mut out = layer_norm(&mut g, &hidden, "decoder.final_layer_norm.weight", eps);
    if config.scales_decoder_output() {
        // A tied head rescales by d_model^-0.5 (Mesh TensorFlow's convention, kept by transformers).
        let scale = g.scalar_f32((config.d_model as f64).powf(-0.5) as f32);
        out = g.op("Mul", &[&out, &scale], vec![]);
    }
    let head = if config.tie_word_embeddings { "shared.weight" } else { "lm_head.weight" };
    let logits = linear(&mut g, &out, head);
    g.op_into("Identity", &[&logits], vec![], "logits");
    Ok(g.finish("t5_decoder", metadata(config, checkpoint, "decoder")))
}
