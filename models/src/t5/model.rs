//! The T5 encoder-decoder (`T5ForConditionalGeneration` in transformers) with frozen weights.
//!
//! Weights are plain tensors, so no gradient is ever tracked for them; gradients flow only to
//! what the caller feeds in through `inputs_embeds` (a soft prompt). Full fine-tuning is the one
//! exception: [`T5Model::from_checkpoint_trainable`] wraps every weight in a `candle_core::Var`.
//!
//! Dropout sites match transformers' T5: the embedding output (which also hits a soft prompt),
//! the attention probabilities, each sublayer's output before its residual add, the hidden layer
//! of the feed-forward block, and the output of each stack's final layer norm.

use candle_core::{DType, Device, Tensor, Var, D};

use super::attention::{causal_mask, padding_mask, position_bias, Attention, KvCache};
use super::config::{FeedForwardKind, T5Config};
use super::layers::{embed, layer_norm, linear, FeedForward};
use crate::checkpoint::{Checkpoint, ModelFiles};
use crate::dropout::Dropout;
use crate::prompt::prepend_prompt;
use crate::error::{ModelError, Result};
use crate::precision::Precision;

/// One transformer block: self-attention, cross-attention in the decoder, then feed-forward.
struct Block {
    self_attention: Attention,
    self_norm: Tensor,
    cross_attention: Option<(Attention, Tensor)>,
    feed_forward: FeedForward,
    feed_forward_norm: Tensor,
}

/// An encoder or decoder stack.
struct Stack {
    blocks: Vec<Block>,
    final_norm: Tensor,
    /// `[buckets, heads]`, from the first block's self-attention.
    relative_bias: Tensor,
}

/// Per-layer decoder caches for incremental decoding.
pub struct DecoderCache {
    self_kv: Vec<Option<KvCache>>,
    cross_kv: Vec<KvCache>,
    /// The number of decoder positions already processed.
    pub position: usize,
}

/// A loaded T5 model.
pub struct T5Model {
    pub config: T5Config,
    pub feed_forward: FeedForwardKind,
    shared: Tensor,
    lm_head: Tensor,
    encoder: Stack,
    decoder: Stack,
    device: Device,
}

/// Reads named weights out of a checkpoint, optionally turning each into a trainable variable.
struct WeightReader<'a> {
    checkpoint: &'a Checkpoint,
    trainable: Option<Vec<(String, Var)>>,
}

impl WeightReader<'_> {
    fn get(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.wrap(name, self.checkpoint.get(name, shape)?)
    }

    fn wrap(&mut self, name: &str, tensor: Tensor) -> Result<Tensor> {
        match &mut self.trainable {
            None => Ok(tensor),
            Some(vars) => {
                let var = Var::from_tensor(&tensor)?;
                let tensor = var.as_tensor().clone();
                vars.push((name.to_string(), var));
                Ok(tensor)
            }
        }
    }
}

impl T5Model {
    /// Loads a model from a directory in Hugging Face layout.
    pub fn load(dir: &std::path::Path, device: &Device) -> Result<Self> {
        let files = ModelFiles::locate(dir)?;
        let config = T5Config::from_file(&files.config)?;
        let checkpoint = Checkpoint::load(files, device)?;
        Self::from_checkpoint(config, &checkpoint)
    }

    /// Builds the model from loaded tensors, checking every shape against the config.
    pub fn from_checkpoint(config: T5Config, checkpoint: &Checkpoint) -> Result<Self> {
        let mut reader = WeightReader { checkpoint, trainable: None };
        Self::build(config, &mut reader)
    }

    /// Builds the model with every weight a trainable variable (full fine-tuning), returning
    /// the variables by checkpoint name. A tied head shares the embedding's variable.
    pub fn from_checkpoint_trainable(config: T5Config, checkpoint: &Checkpoint) -> Result<(Self, Vec<(String, Var)>)> {
        let mut reader = WeightReader { checkpoint, trainable: Some(Vec::new()) };
        let model = Self::build(config, &mut reader)?;
        Ok((model, reader.trainable.unwrap_or_default()))
    }

    fn build(config: T5Config, reader: &mut WeightReader) -> Result<Self> {
        let config_path = reader.checkpoint.files.config.clone();
        let feed_forward = config.feed_forward(&config_path)?;
        let (vocab, d) = (config.vocab_size, config.d_model);
        let shared_tensor = reader
            .checkpoint
            .get_any(&["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"], &[vocab, d])?;
        let shared = reader.wrap("shared.weight", shared_tensor)?;
        let lm_head = if config.tie_word_embeddings {
            shared.clone()
        } else {
            reader.get("lm_head.weight", &[vocab, d])?
        };
        let encoder = Self::build_stack(&config, feed_forward, reader, "encoder", config.num_layers, false)?;
        let decoder = Self::build_stack(&config, feed_forward, reader, "decoder", config.decoder_layers(), true)?;
        let device = shared.device().clone();
        Ok(Self { config, feed_forward, shared, lm_head, encoder, decoder, device })
    }

    fn build_stack(config: &T5Config, kind: FeedForwardKind, reader: &mut WeightReader, prefix: &str, layers: usize, is_decoder: bool) -> Result<Stack> {
        let (d, inner, ff) = (config.d_model, config.inner_dim(), config.d_ff);
        let attention = |reader: &mut WeightReader, name: &str| -> Result<Attention> {
            Ok(Attention {
                q: reader.get(&format!("{name}.q.weight"), &[inner, d])?,
                k: reader.get(&format!("{name}.k.weight"), &[inner, d])?,
                v: reader.get(&format!("{name}.v.weight"), &[inner, d])?,
                o: reader.get(&format!("{name}.o.weight"), &[d, inner])?,
                heads: config.num_heads,
                d_kv: config.d_kv,
            })
        };
        let mut blocks = Vec::with_capacity(layers);
        for i in 0..layers {
            let block = format!("{prefix}.block.{i}.layer");
            let self_attention = attention(reader, &format!("{block}.0.SelfAttention"))?;
            let self_norm = reader.get(&format!("{block}.0.layer_norm.weight"), &[d])?;
            let (cross_attention, ff_index) = if is_decoder {
                let cross = attention(reader, &format!("{block}.1.EncDecAttention"))?;
                let norm = reader.get(&format!("{block}.1.layer_norm.weight"), &[d])?;
                (Some((cross, norm)), 2)
            } else {
                (None, 1)
            };
            let ff_prefix = format!("{block}.{ff_index}.DenseReluDense");
            let (wi, wi_gate) = if kind.gated {
                (reader.get(&format!("{ff_prefix}.wi_0.weight"), &[ff, d])?, Some(reader.get(&format!("{ff_prefix}.wi_1.weight"), &[ff, d])?))
            } else {
                (reader.get(&format!("{ff_prefix}.wi.weight"), &[ff, d])?, None)
            };
            let wo = reader.get(&format!("{ff_prefix}.wo.weight"), &[d, ff])?;
            let feed_forward_norm = reader.get(&format!("{block}.{ff_index}.layer_norm.weight"), &[d])?;
            blocks.push(Block {
                self_attention,
                self_norm,
                cross_attention,
                feed_forward: FeedForward { kind, wi, wi_gate, wo },
                feed_forward_norm,
            });
        }
        let relative_bias = reader.get(
            &format!("{prefix}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"),
            &[config.relative_attention_num_buckets, config.num_heads],
        )?;
        let final_norm = reader.get(&format!("{prefix}.final_layer_norm.weight"), &[d])?;
        Ok(Stack { blocks, final_norm, relative_bias })
    }

    /// Stores every frozen weight matrix (attention, feed-forward and the output head) in the
    /// dtype of `precision`, which then sets the dtype of their products. Fails for a model
    /// with trainable weights, whose float32 variables the optimiser must update.
    pub fn with_precision(mut self, precision: Precision) -> Result<Self> {
        let dtype = precision.matmul_dtype();
        if dtype == self.lm_head.dtype() {
            return Ok(self);
        }
        if self.shared.track_op() {
            return Err(ModelError::InvalidInput(format!(
                "precision {precision:?} applies to frozen backbones only; full fine-tuning keeps float32 weights"
            )));
        }
        let cast = |weight: &mut Tensor| -> Result<()> {
            *weight = weight.to_dtype(dtype)?;
            Ok(())
        };
        cast(&mut self.lm_head)?;
        for stack in [&mut self.encoder, &mut self.decoder] {
            for block in &mut stack.blocks {
                let attentions = std::iter::once(&mut block.self_attention).chain(block.cross_attention.as_mut().map(|(a, _)| a));
                for attention in attentions {
                    for weight in [&mut attention.q, &mut attention.k, &mut attention.v, &mut attention.o] {
                        cast(weight)?;
                    }
                }
                let ff = &mut block.feed_forward;
                cast(&mut ff.wi)?;
                cast(&mut ff.wo)?;
                if let Some(gate) = &mut ff.wi_gate {
                    cast(gate)?;
                }
            }
        }
        Ok(self)
    }

    /// Returns the device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Returns the shared `[vocab, d_model]` embedding table (frozen unless fine-tuning fully).
    pub fn embedding_table(&self) -> &Tensor {
        &self.shared
    }

    /// Looks up token embeddings: `[batch, len]` ids to `[batch, len, d_model]`.
    pub fn embed(&self, ids: &Tensor) -> Result<Tensor> {
        Ok(embed(ids, &self.shared)?)
    }

    /// Puts a soft prompt in front of every row's token embeddings and `n` ones in front of the
    /// attention mask: `inputs_embeds = concat(P, embed(input_ids))`. The prompt is `[n, d_model]`
    /// (shared by all rows) or `[batch, n, d_model]` (per instance, as ATTEMPT builds it).
    pub fn prompt_inputs(&self, prompt: &Tensor, input_ids: &Tensor, attention_mask: &Tensor) -> Result<(Tensor, Tensor)> {
        prepend_prompt(prompt, &self.embed(input_ids)?, attention_mask)
    }

    /// Runs the encoder on token ids with a `[batch, len]` 0/1 attention mask.
    pub fn encode(&self, input_ids: &Tensor, attention_mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        self.encode_embeds(&self.embed(input_ids)?, attention_mask, dropout)
    }

    /// Runs the encoder on `[batch, len, d_model]` input embeddings, for example a soft prompt
    /// concatenated in front of token embeddings.
    pub fn encode_embeds(&self, inputs_embeds: &Tensor, attention_mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let _span = tracing::trace_span!("t5_encoder").entered();
        let (_, len, _) = inputs_embeds.dims3()?;
        let bias = position_bias(&self.encoder.relative_bias, len, len, 0, true, self.config.relative_attention_max_distance)?;
        let bias = bias.broadcast_add(&padding_mask(attention_mask)?)?;
        let mut hidden = dropout.apply(inputs_embeds)?;
        let eps = self.config.layer_norm_epsilon;
        for block in &self.encoder.blocks {
            let normed = layer_norm(&hidden, &block.self_norm, eps)?;
            let attended = block.self_attention.self_attend(&normed, &bias, dropout, None)?;
            hidden = (hidden + dropout.apply(&attended)?)?;
            hidden = self.feed_forward_residual(block, &hidden, dropout)?;
        }
        let out = layer_norm(&hidden, &self.encoder.final_norm, eps)?;
        Ok(dropout.apply(&out)?)
    }

    fn feed_forward_residual(&self, block: &Block, hidden: &Tensor, dropout: &Dropout) -> candle_core::Result<Tensor> {
        let normed = layer_norm(hidden, &block.feed_forward_norm, self.config.layer_norm_epsilon)?;
        hidden + dropout.apply(&block.feed_forward.forward(&normed, dropout)?)?
    }

    /// Runs the decoder over all positions at once (teacher forcing) and returns the logits
    /// `[batch, tgt_len, vocab]`. Decoder self-attention is causal; `encoder_mask` is the
    /// `[batch, src_len]` mask the encoder ran with.
    pub fn decode(&self, decoder_input_ids: &Tensor, encoder_hidden: &Tensor, encoder_mask: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let _span = tracing::trace_span!("t5_decoder").entered();
        let (_, tgt_len) = decoder_input_ids.dims2()?;
        let self_bias = position_bias(&self.decoder.relative_bias, tgt_len, tgt_len, 0, false, self.config.relative_attention_max_distance)?;
        let self_bias = self_bias.broadcast_add(&causal_mask(tgt_len, tgt_len, 0, &self.device)?)?;
        let cross_bias = padding_mask(encoder_mask)?;
        let mut hidden = dropout.apply(&self.embed(decoder_input_ids)?)?;
        for block in &self.decoder.blocks {
            let (cross, _) = block.cross_attention.as_ref().expect("decoder blocks have cross-attention");
            let kv = cross.project_kv(encoder_hidden)?;
            hidden = self.decoder_block(block, &hidden, &self_bias, &kv, &cross_bias, dropout, None)?;
        }
        self.lm_logits(&hidden, dropout)
    }

    #[allow(clippy::too_many_arguments)]
    fn decoder_block(&self, block: &Block, hidden: &Tensor, self_bias: &Tensor, cross_kv: &KvCache, cross_bias: &Tensor, dropout: &Dropout, cache: Option<&mut Option<KvCache>>) -> Result<Tensor> {
        let eps = self.config.layer_norm_epsilon;
        let normed = layer_norm(hidden, &block.self_norm, eps)?;
        let attended = block.self_attention.self_attend(&normed, self_bias, dropout, cache)?;
        let hidden = (hidden + dropout.apply(&attended)?)?;
        let (cross, cross_norm) = block.cross_attention.as_ref().expect("decoder blocks have cross-attention");
        let normed = layer_norm(&hidden, cross_norm, eps)?;
        let attended = cross.attend(&normed, cross_kv, cross_bias, dropout)?;
        let hidden = (hidden + dropout.apply(&attended)?)?;
        Ok(self.feed_forward_residual(block, &hidden, dropout)?)
    }

    fn lm_logits(&self, hidden: &Tensor, dropout: &Dropout) -> Result<Tensor> {
        let out = layer_norm(hidden, &self.decoder.final_norm, self.config.layer_norm_epsilon)?;
        let mut out = dropout.apply(&out)?;
        if self.config.scales_decoder_output() {
            out = (out * (self.config.d_model as f64).powf(-0.5))?;
        }
        Ok(linear(&out, &self.lm_head)?)
    }

    /// Prepares the per-layer caches for incremental decoding against `encoder_hidden`.
    pub fn start_decoding(&self, encoder_hidden: &Tensor) -> Result<DecoderCache> {
        let mut cross_kv = Vec::with_capacity(self.decoder.blocks.len());
        for block in &self.decoder.blocks {
            let (cross, _) = block.cross_attention.as_ref().expect("decoder blocks have cross-attention");
            cross_kv.push(cross.project_kv(encoder_hidden)?);
        }
        Ok(DecoderCache { self_kv: vec![None; self.decoder.blocks.len()], cross_kv, position: 0 })
    }

    /// Decodes one new position per row, `[batch, 1]` ids, and returns `[batch, vocab]` logits.
    /// Dropout is off: incremental decoding is for evaluation.
    pub fn decode_step(&self, ids: &Tensor, encoder_mask: &Tensor, cache: &mut DecoderCache) -> Result<Tensor> {
        let off = Dropout::off();
        let position = cache.position;
        let self_bias = position_bias(&self.decoder.relative_bias, 1, position + 1, position, false, self.config.relative_attention_max_distance)?;
        let cross_bias = padding_mask(encoder_mask)?;
        let mut hidden = self.embed(ids)?;
        for (i, block) in self.decoder.blocks.iter().enumerate() {
            hidden = self.decoder_block(block, &hidden, &self_bias, &cache.cross_kv[i], &cross_bias, &off, Some(&mut cache.self_kv[i]))?;
        }
        cache.position += 1;
        let logits = self.lm_logits(&hidden, &off)?;
        Ok(logits.squeeze(1)?)
    }

    /// Builds decoder inputs from labels by shifting right and starting with the decoder start
    /// token; ignored label positions (-100) become padding.
    pub fn shift_right(&self, labels: &Tensor) -> Result<Tensor> {
        let (batch, len) = labels.dims2()?;
        let labels = labels.to_dtype(DType::I64)?;
        let start = Tensor::full(self.config.decoder_start_token_id as i64, (batch, 1), labels.device())?;
        let shifted = Tensor::cat(&[&start, &labels.narrow(1, 0, len - 1)?], 1)?;
        let ignored = shifted.lt(0i64)?;
        let pad = Tensor::full(self.config.pad_token_id as i64, (batch, len), labels.device())?;
        Ok(ignored.where_cond(&pad, &shifted)?)
    }
}

/// Mean token cross-entropy over label positions that are not -100, as transformers computes
/// the T5 loss. `logits` is `[batch, len, vocab]`, `labels` `[batch, len]` integers.
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let (batch, len, vocab) = logits.dims3()?;
    let logits = logits.reshape((batch * len, vocab))?.to_dtype(DType::F32)?;
    let labels = labels.reshape(batch * len)?.to_dtype(DType::I64)?;
    let keep = labels.ge(0i64)?;
    let safe = keep.where_cond(&labels, &labels.zeros_like()?)?;
    let max = logits.max_keepdim(D::Minus1)?.detach();
    let shifted = logits.broadcast_sub(&max)?;
    let log_z = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    let picked = shifted.gather(&safe.unsqueeze(1)?, 1)?;
    let nll = (log_z - picked)?.squeeze(1)?;
    let keep = keep.to_dtype(DType::F32)?;
    let count = keep.sum_all()?.to_scalar::<f32>()?;
    if count == 0.0 {
        return Err(crate::error::ModelError::InvalidInput("every label is -100, so the loss is undefined".to_string()));
    }
    Ok((nll.mul(&keep)?.sum_all()? / count as f64)?)
}
