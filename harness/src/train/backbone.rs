//! The two backbone families behind one interface for the training loop. T5 generates label
//! text that the protocol parses back, and a BERT encoder pools its states into a trainable head.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor, Var};
use superpos_datasets::{Batch, Encoded, Encoder, Example, Prediction, ResolvedProtocol, Task, TextPair};
use superpos_methods::{ParamGroup, TuningMethod};
use superpos_models::bert::{BertModel, ClassificationHead, RegressionHead};
use superpos_models::checkpoint::{Checkpoint, ModelFiles};
use superpos_models::prompt::prepend_prompt;
use superpos_models::t5::{cross_entropy, T5Config, T5Model};
use superpos_models::Dropout;

use crate::exit::InputError;
use crate::grid::{Cell, Family};

/// The learning rate and weight decay of the BERT head. The head is not part of any method, so
/// it trains with the settings of a linear probe: AdamW at 1e-3 without decay.
const HEAD_LR: f64 = 1e-3;

/// The output head of an encoder-only backbone.
pub enum Head {
    Classes(ClassificationHead),
    Regression(RegressionHead),
}

impl Head {
    fn named_vars(&self) -> Vec<(String, Var)> {
        match self {
            Head::Classes(head) => head.named_vars(),
            Head::Regression(head) => head.named_vars(),
        }
    }
}

/// A loaded backbone with what it needs to turn text into losses and predictions.
pub enum Backbone {
    T5 { model: T5Model, encoder: Encoder, protocol: ResolvedProtocol },
    Bert { model: BertModel, tokenizer: tokenizers::Tokenizer, head: Head, max_len: usize, task: Task },
}

/// A loaded backbone with the files it came from, for provenance.
pub struct Loaded {
    pub backbone: Backbone,
    /// The backbone's weights as trainable variables, for full fine-tuning only.
    pub trainable_weights: Option<Vec<(String, Var)>>,
    pub weight_files: Vec<PathBuf>,
    pub tokenizer_file: PathBuf,
    pub dropout_rate: f64,
}

/// Loads the cell's backbone from `dir` and prepares its tokenizer for a prompt of
/// `prompt_len` vectors.
pub fn load(cell: &Cell, dir: &Path, protocol: &ResolvedProtocol, prompt_len: usize, device: &Device) -> anyhow::Result<Loaded> {
    let tokenizer_file = dir.join("tokenizer.json");
    if !tokenizer_file.is_file() {
        return Err(InputError(format!("{}: missing tokenizer.json, which the harness needs to encode task text", dir.display())).into());
    }
    let files = ModelFiles::locate(dir)?;
    let weight_files = files.weights.clone();
    match cell.backbone.family {
        Family::T5 => {
            let config = T5Config::from_file(&files.config)?;
            let dropout_rate = cell.backbone.dropout_rate.unwrap_or(config.dropout_rate);
            let checkpoint = Checkpoint::load(files, device)?;
            let precision = cell.training.precision;
            let (model, trainable_weights) = if cell.method.needs_trainable_backbone() {
                if !precision.is_f32() {
                    bail!(InputError(format!("training.precision {precision:?} applies to frozen backbones; method {} trains every weight in float32, so remove the setting", cell.method.name())));
                }
                let (model, vars) = T5Model::from_checkpoint_trainable(config, &checkpoint)?;
                (model, Some(vars))
            } else {
                (T5Model::from_checkpoint(config, &checkpoint)?.with_precision(precision)?, None)
            };
            let encoder = Encoder::from_file(&tokenizer_file, protocol, prompt_len)?;
            let backbone = Backbone::T5 { model, encoder, protocol: protocol.clone() };
            Ok(Loaded { backbone, trainable_weights, weight_files, tokenizer_file, dropout_rate })
        }
        Family::Bert => {
            if cell.method.needs_trainable_backbone() {
                bail!(InputError(format!(
                    "method {} is not supported on the encoder-only backbone {}; use a T5 backbone",
                    cell.method.name(),
                    cell.backbone.name
                )));
            }
            if !cell.training.precision.is_f32() {
                // NOTE: the BERT encoder's linear layers keep their own float32 path; bfloat16
                // products are implemented for T5, the paper's backbone.
                bail!(InputError(format!("training.precision {:?} is implemented for T5 backbones only; backbone {} is encoder-only", cell.training.precision, cell.backbone.name)));
            }
            let model = BertModel::load(dir, device)?;
            let dropout_rate = cell.backbone.dropout_rate.unwrap_or(model.config.hidden_dropout_prob);
            let tokenizer = superpos_models::tokenizer::load_tokenizer(&tokenizer_file)?;
            let head_seed = cell.seed.wrapping_add(0x4845_4144); // A seed stream apart from the method's.
            let d = model.hidden_size();
            let head = match cell.task.class_names() {
                Some(classes) => Head::Classes(ClassificationHead::new(d, classes.len(), head_seed, device)?),
                None if cell.task == Task::Stsb => Head::Regression(RegressionHead::new(d, head_seed, device)?),
                None => bail!(InputError(format!("task {} has no classes or score; it cannot run on an encoder-only backbone", cell.task))),
            };
            let max_len = cell.training.max_source_len.unwrap_or(protocol.max_source_len).min(model.config.max_position_embeddings);
            let backbone = Backbone::Bert { model, tokenizer, head, max_len: max_len.saturating_sub(prompt_len), task: cell.task };
            Ok(Loaded { backbone, trainable_weights: None, weight_files, tokenizer_file, dropout_rate })
        }
    }
}

/// Runs the T5 encoder on the batch with the method's prompt in front, looking the tokens up
/// once, and returns the encoder states with the prompt-extended mask.
fn encode_with_prompt(model: &T5Model, method: &dyn TuningMethod, ids: &Tensor, mask: &Tensor, dropout: &Dropout) -> anyhow::Result<(Tensor, Tensor)> {
    let embeds = model.embed(ids)?;
    let (embeds, mask) = match method.encoder_prompt(&embeds, mask)? {
        Some(prompt) => prepend_prompt(&prompt, &embeds, mask)?,
        None => (embeds, mask.clone()),
    };
    Ok((model.encode_embeds(&embeds, &mask, dropout)?, mask))
}

impl Backbone {
    /// Returns the frozen `[vocab, d_model]` table that methods sample prompts from.
    pub fn embedding_table(&self) -> &Tensor {
        match self {
            Backbone::T5 { model, .. } => model.embedding_table(),
            Backbone::Bert { model, .. } => model.embedding_table(),
        }
    }

    pub fn family(&self) -> &'static str {
        match self {
            Backbone::T5 { .. } => "t5",
            Backbone::Bert { .. } => "bert",
        }
    }

    /// Describes how predictions are made, recorded with every result.
    pub fn head_description(&self) -> String {
        match self {
            Backbone::T5 { .. } => "generated label text, parsed by the protocol".to_string(),
            Backbone::Bert { head: Head::Classes(head), .. } => format!("mean pooling, linear head over {} classes", head.classes()),
            Backbone::Bert { head: Head::Regression(_), .. } => "mean pooling, linear regression head".to_string(),
        }
    }

    /// Optimiser groups of backbone-owned trainables (the BERT head); empty for T5.
    pub fn extra_param_groups(&self) -> Vec<ParamGroup> {
        match self {
            Backbone::T5 { .. } => vec![],
            Backbone::Bert { head, .. } => {
                vec![ParamGroup::new("head", head.named_vars().into_iter().map(|(_, v)| v).collect(), HEAD_LR, 0.0)]
            }
        }
    }

    /// Backbone-owned state saved next to the method's (the BERT head).
    pub fn extra_state(&self) -> Vec<(String, Var)> {
        match self {
            Backbone::T5 { .. } => vec![],
            Backbone::Bert { head, .. } => head.named_vars(),
        }
    }

    /// Tokenizes formatted pairs. T5 encodes source and target; BERT encodes the source text
    /// with `[CLS]`/`[SEP]` and takes its labels from the examples.
    pub fn encode(&self, pairs: &[TextPair]) -> anyhow::Result<Vec<Encoded>> {
        match self {
            Backbone::T5 { encoder, .. } => Ok(encoder.encode_all(pairs)?),
            Backbone::Bert { tokenizer, max_len, .. } => pairs
                .iter()
                .map(|pair| {
                    let encoding = tokenizer.encode(pair.source.as_str(), true).map_err(|e| anyhow::anyhow!("cannot tokenize {:?}: {e}", pair.source))?;
                    let mut ids: Vec<u32> = encoding.get_ids().iter().zip(encoding.get_attention_mask()).filter(|(_, m)| **m == 1).map(|(id, _)| *id).collect();
                    let truncated = ids.len() > *max_len;
                    if truncated {
                        // Keep the final [SEP], as BERT tokenizers truncate.
                        let sep = *ids.last().unwrap();
                        ids.truncate(max_len.saturating_sub(1));
                        ids.push(sep);
                    }
                    Ok(Encoded { source_ids: ids, target_ids: vec![], truncated })
                })
                .collect(),
        }
    }

    /// Returns the padding id of the tokenizer.
    pub fn pad_id(&self) -> u32 {
        match self {
            Backbone::T5 { encoder, .. } => encoder.pad_id(),
            Backbone::Bert { model, .. } => model.config.pad_token_id,
        }
    }

    fn inputs(&self, batch: &Batch, device: &Device) -> anyhow::Result<(Tensor, Tensor)> {
        let ids = Tensor::from_vec(batch.input_ids.clone(), (batch.rows, batch.source_len), device)?;
        let mask = Tensor::from_vec(batch.attention_mask.clone(), (batch.rows, batch.source_len), device)?;
        Ok((ids, mask))
    }

    pub fn device(&self) -> &Device {
        match self {
            Backbone::T5 { model, .. } => model.device(),
            Backbone::Bert { model, .. } => model.device(),
        }
    }

    /// Computes the training loss of a batch. `examples` are the split's examples that
    /// `batch.examples` indexes, which encoder-only backbones read their labels from.
    pub fn loss(&self, method: &dyn TuningMethod, batch: &Batch, examples: &[Example], dropout: &Dropout) -> anyhow::Result<Tensor> {
        let device = self.device();
        let (ids, mask) = self.inputs(batch, device)?;
        match self {
            Backbone::T5 { model, .. } => {
                let labels = Tensor::from_vec(batch.labels.clone(), (batch.rows, batch.target_len), device)?;
                let (encoded, mask) = encode_with_prompt(model, method, &ids, &mask, dropout)?;
                let logits = model.decode(&model.shift_right(&labels)?, &encoded, &mask, dropout)?;
                Ok(cross_entropy(&logits, &labels)?)
            }
            Backbone::Bert { model, head, .. } => {
                let prompt = method.encoder_prompt(&model.embed(&ids)?, &mask)?;
                let pooled = model.forward_with_prompt(prompt.as_ref(), &ids, &mask, dropout)?.mean_pool()?;
                let rows: Vec<&Example> = batch.examples.iter().map(|&i| &examples[i]).collect();
                match head {
                    Head::Classes(head) => {
                        let gold: Vec<i64> = rows.iter().map(|e| e.class().map_or(-100, i64::from)).collect();
                        let gold = Tensor::from_vec(gold, batch.rows, device)?;
                        Ok(head.loss(&head.forward(&pooled)?, &gold)?)
                    }
                    Head::Regression(head) => {
                        let gold: Vec<f32> = rows.iter().map(|e| e.score().unwrap_or(0.0) as f32).collect();
                        let gold = Tensor::from_vec(gold, batch.rows, device)?;
                        Ok(head.loss(&head.forward(&pooled)?, &gold)?)
                    }
                }
            }
        }
    }

    /// Predictions for a batch with dropout off, in the batch's row order.
    pub fn predict(&self, method: &dyn TuningMethod, batch: &Batch) -> anyhow::Result<Vec<Prediction>> {
        let device = self.device();
        let (ids, mask) = self.inputs(batch, device)?;
        let off = Dropout::off();
        match self {
            Backbone::T5 { model, encoder, protocol } => {
                let (encoded, mask) = encode_with_prompt(model, method, &ids, &mask, &off)?;
                let generated = model.generate_from_encoded(&encoded, &mask, protocol.max_target_len)?;
                generated
                    .iter()
                    .map(|row| {
                        // Drop the start token; decoding skips `</s>` and padding.
                        let text = encoder.decode(&row[1..]).context("decoding generated ids")?;
                        Ok(protocol.parse_prediction(&text))
                    })
                    .collect()
            }
            Backbone::Bert { model, head, task, .. } => {
                let prompt = method.encoder_prompt(&model.embed(&ids)?, &mask)?;
                let pooled = model.forward_with_prompt(prompt.as_ref(), &ids, &mask, &off)?.mean_pool()?;
                match head {
                    Head::Classes(head) => {
                        let best = head.forward(&pooled)?.argmax(candle_core::D::Minus1)?.to_dtype(DType::U32)?.to_vec1::<u32>()?;
                        Ok(best.into_iter().map(Prediction::Class).collect())
                    }
                    Head::Regression(head) => {
                        let values = head.forward(&pooled)?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
                        debug_assert_eq!(*task, Task::Stsb);
                        Ok(values.into_iter().map(Prediction::Score).collect())
                    }
                }
            }
        }
    }
}
