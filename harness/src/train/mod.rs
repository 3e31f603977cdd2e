//! Training and evaluating one grid cell.
//!
//! The loop: AdamW at a constant learning rate over seeded epoch orders; validation after every
//! `eval_every_epochs` epochs with greedy decoding (or the head, for encoder-only backbones);
//! the best-validation (or last) state evaluated on test. A NaN or infinite loss ends the cell
//! as diverged; any error ends it as failed. Neither stops the rest of the grid.

pub mod backbone;
mod evaluate;
mod official_test;
pub mod record;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use candle_core::{Device, Var};
use sha2::{Digest, Sha256};
use superpos_datasets::{epoch_order, training_batches, Encoded, Example, TextPair};
use superpos_methods::{AdamW, AdamWConfig, BuildContext, TuningMethod};
use superpos_models::Dropout;

use crate::grid::{Cell, Selection};
use crate::progress::Observer;
use crate::provenance::Environment;
use crate::store::Store;
use backbone::Backbone;
use evaluate::evaluate;
use official_test::{is_absent, predict_official_test, test_splits, Fallback, OfficialSplit, PREDICTIONS_FILE};
use record::{CellRecord, CurvePoint, FileHash, Flags, Provenance, Status, Timing};

/// The name of the selected method state next to a cell's record.
pub const STATE_FILE: &str = "method.safetensors";

/// Runs a cell to completion and returns its record. Errors become a `failed` record, so the
/// caller can always store one.
pub fn run_cell(cell: &Cell, store: &Store, observer: &dyn Observer, crosscheck: Option<&serde_json::Value>, device: &Device) -> CellRecord {
    let started = Instant::now();
    let mut record = CellRecord {
        id: cell.id(),
        label: cell.label(),
        status: Status::Failed,
        cell: cell.clone(),
        validation: None,
        test: None,
        selected_epoch: None,
        curve: vec![],
        flags: Flags::default(),
        timing: Timing::default(),
        provenance: None,
        error: None,
        artefacts: vec![],
        official_test: vec![],
    };
    let span = tracing::info_span!("cell", id = %record.id, label = %record.label);
    let _entered = span.enter();
    tracing::info!("cell started");
    if let Err(err) = train_and_evaluate(cell, store, observer, crosscheck, device, &mut record) {
        tracing::error!(error = %format!("{err:#}"), "cell failed");
        record.status = Status::Failed;
        record.error = Some(format!("{err:#}"));
    }
    record.timing.total_seconds = started.elapsed().as_secs_f64();
    tracing::info!(status = ?record.status, seconds = record.timing.total_seconds, "cell ended");
    record
}

/// Training data of one split, formatted and tokenized.
struct Prepared {
    examples: Vec<Example>,
    encoded: Vec<Encoded>,
}

fn prepare(backbone: &Backbone, cell: &Cell, examples: Vec<Example>) -> anyhow::Result<Prepared> {
    let pairs: Vec<TextPair> = examples.iter().map(|e| cell.protocol.format(e)).collect::<Result<_, _>>()?;
    let encoded = backbone.encode(&pairs)?;
    Ok(Prepared { examples, encoded })
}

fn limit(mut examples: Vec<Example>, limit: Option<usize>) -> Vec<Example> {
    if let Some(n) = limit {
        examples.truncate(n);
    }
    examples
}

fn train_and_evaluate(cell: &Cell, store: &Store, observer: &dyn Observer, crosscheck: Option<&serde_json::Value>, device: &Device, record: &mut CellRecord) -> anyhow::Result<()> {
    let setup = Instant::now();
    let model_dir = superpos_models::hub::resolve_model(&cell.backbone.model)?;
    let mut protocol = cell.protocol.clone();
    if let Some(max) = cell.training.max_source_len {
        protocol.max_source_len = max;
    }
    let splits = protocol.splits(&cell.data()).with_context(|| format!("loading task {}", cell.task))?;
    let prompt_len = cell.method.prompt_length();
    let loaded = backbone::load(cell, &model_dir, &protocol, prompt_len, device)?;
    let backbone = &loaded.backbone;

    let table = backbone.embedding_table();
    let method_backbone = match &loaded.trainable_weights {
        Some(vars) => superpos_methods::Backbone::trainable(table, vars.clone())?,
        None => superpos_methods::Backbone::frozen(table)?,
    };
    let context = BuildContext::new(method_backbone, cell.seed).with_label_token_ids(label_token_ids(backbone, cell)?);
    let mut method = cell.method.build(&context)?;
    let mut groups = method.param_groups();
    groups.extend(backbone.extra_param_groups());
    let mut optimizer = AdamW::new(groups, AdamWConfig::default())?;

    let train = prepare(backbone, cell, limit(splits.train, cell.training.train_limit))?;
    let validation = prepare(backbone, cell, limit(splits.validation, cell.training.eval_limit))?;
    let test = prepare(backbone, cell, limit(splits.test, cell.training.eval_limit))?;
    let official = load_official_test(backbone, cell)?;
    let fallback = Fallback::from_training(cell.task, &train.examples);
    if train.examples.is_empty() || validation.examples.is_empty() {
        anyhow::bail!("task {} has {} training and {} validation examples under protocol {}; both must be non-empty", cell.task, train.examples.len(), validation.examples.len(), protocol.protocol);
    }
    record.flags.truncated_train_examples = train.encoded.iter().filter(|e| e.truncated).count();
    let head: usize = backbone.extra_state().iter().map(|(_, var)| var.elem_count()).sum();
    let mut provenance = provenance(cell, &loaded, &splits.sources, [&train, &validation, &test], &official, method.trainable_parameters() + head)?;
    provenance.crosscheck = crosscheck.cloned();
    record.provenance = Some(provenance);
    record.timing.setup_seconds = setup.elapsed().as_secs_f64();

    let dropout = if cell.dropout { Dropout::new(loaded.dropout_rate as f32, dropout_seed(cell.seed)) } else { Dropout::off() };
    let batch_size = cell.training.batch_size.unwrap_or(protocol.batch_size);
    let eval_batch_size = cell.training.eval_batch_size.unwrap_or(batch_size);
    let artefacts = store.artefact_dir(&record.id)?;
    let best_path = artefacts.join("best.safetensors");
    let mut best: Option<(f64, usize)> = None;
    let mut step = 0usize;
    let epochs = cell.training.epochs;
    observer.cell_started(&record.id, &record.label, epochs);

    'epochs: for epoch in 1..=epochs {
        let train_started = Instant::now();
        let order = epoch_order(train.encoded.len(), cell.seed, epoch as u64);
        let batches = training_batches(&train.encoded, &order, batch_size, backbone.pad_id());
        observer.epoch_started(&record.id, epoch, batches.len());
        let (mut loss_sum, mut loss_count) = (0.0f64, 0usize);
        let mut stop = false;
        for batch in &batches {
            let loss = backbone.loss(method.as_ref(), batch, &train.examples, &dropout)?;
            let value = loss.to_scalar::<f32>()? as f64;
            if !value.is_finite() {
                record.status = Status::Diverged;
                record.error = Some(format!("training loss became {value} at epoch {epoch}, step {}", step + 1));
                tracing::warn!(epoch, step = step + 1, loss = value, "cell diverged");
                record.timing.train_seconds += train_started.elapsed().as_secs_f64();
                record.timing.steps = step;
                record.flags.never_valid = never_valid(&record.curve);
                return Ok(());
            }
            optimizer.backward_step(&loss)?;
            step += 1;
            loss_sum += value;
            loss_count += 1;
            observer.step(&record.id, step, value);
            if cell.training.max_steps.is_some_and(|max| step >= max) {
                stop = true;
                break;
            }
        }
        record.timing.train_seconds += train_started.elapsed().as_secs_f64();

        let last = epoch == epochs || stop;
        if epoch % cell.training.eval_every_epochs == 0 || last {
            let eval_started = Instant::now();
            let validation_score = evaluate(backbone, method.as_ref(), cell.task, &validation.examples, &validation.encoded, eval_batch_size)?;
            record.timing.eval_seconds += eval_started.elapsed().as_secs_f64();
            observer.evaluated(&record.id, epoch, validation_score.score, validation_score.invalid_rate);
            tracing::info!(epoch, step, score = validation_score.score, invalid = validation_score.invalid, "validation");
            let improved = best.is_none_or(|(score, _)| validation_score.score > score);
            record.curve.push(CurvePoint { epoch, step, train_loss: loss_sum / loss_count.max(1) as f64, validation: validation_score });
            if improved && cell.training.selection == Selection::BestValidation {
                best = Some((record.curve.last().unwrap().validation.score, epoch));
                save_state(method.as_ref(), backbone, &best_path)?;
            }
        }
        if stop {
            break 'epochs;
        }
    }
    record.timing.steps = step;
    record.flags.never_valid = never_valid(&record.curve);

    let eval_started = Instant::now();
    let selected_epoch = match (cell.training.selection, best) {
        (Selection::BestValidation, Some((_, epoch))) => {
            load_state(method.as_mut(), backbone, &best_path)?;
            epoch
        }
        _ => record.curve.last().map_or(epochs, |p| p.epoch),
    };
    record.selected_epoch = Some(selected_epoch);
    record.validation = record.curve.iter().find(|p| p.epoch == selected_epoch).map(|p| p.validation.clone());
    if !test.examples.is_empty() {
        record.test = Some(evaluate(backbone, method.as_ref(), cell.task, &test.examples, &test.encoded, eval_batch_size)?);
    }
    record.official_test = predict_official_test(backbone, method.as_ref(), cell.task, &official, fallback, eval_batch_size, &artefacts)?;
    record.timing.eval_seconds += eval_started.elapsed().as_secs_f64();

    let state_path = artefacts.join(STATE_FILE);
    save_state(method.as_ref(), backbone, &state_path)?;
    for path in [best_path.clone(), head_path(&best_path)] {
        if path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    record.artefacts = vec![format!("{}/{STATE_FILE}", record.id)];
    if !record.official_test.is_empty() {
        record.artefacts.push(format!("{}/{PREDICTIONS_FILE}", record.id));
    }
    if head_path(&state_path).exists() {
        record.artefacts.push(format!("{}/{}", record.id, head_path(Path::new(STATE_FILE)).display()));
    }
    record.status = Status::Finished;
    Ok(())
}

/// Loads and encodes the official test splits present in the cell's data. An absent file is
/// skipped, and a malformed one fails the cell before training.
fn load_official_test(backbone: &Backbone, cell: &Cell) -> anyhow::Result<Vec<OfficialSplit>> {
    let data = cell.data();
    let mut loaded = Vec::new();
    for split in test_splits(cell.task) {
        let dataset = match data.load(cell.task, split) {
            Ok(dataset) => dataset,
            Err(error) if is_absent(&error) => continue,
            Err(error) => return Err(anyhow::Error::new(error).context(format!("loading the official {split} split of {}", cell.task))),
        };
        let rows = dataset.examples.len();
        let prepared = prepare(backbone, cell, limit(dataset.examples, cell.training.eval_limit))?;
        loaded.push(OfficialSplit { split, source: dataset.source, rows, prepared });
    }
    Ok(loaded)
}

/// True when every evaluation so far produced only invalid predictions.
fn never_valid(curve: &[CurvePoint]) -> bool {
    !curve.is_empty() && curve.iter().all(|p| p.validation.invalid == p.validation.examples)
}

/// Derives the dropout stream's seed, kept apart from the method's initialisation and the epoch order,
/// which use the cell seed directly.
fn dropout_seed(seed: u64) -> u64 {
    seed ^ 0x6472_6f70_6f75_7421
}

/// Token ids of each class's label word, for class-label prompt initialisation. T5 reads the
/// protocol's targets; encoder-only backbones read the class names.
fn label_token_ids(backbone: &Backbone, cell: &Cell) -> anyhow::Result<Vec<Vec<u32>>> {
    let words: Vec<String> = match backbone {
        Backbone::T5 { protocol, .. } => protocol.class_targets(),
        Backbone::Bert { .. } => cell.task.class_names().map(|c| c.iter().map(|s| s.replace('_', " ")).collect()).unwrap_or_default(),
    };
    let tokenizer = match backbone {
        Backbone::T5 { encoder, .. } => encoder.tokenizer(),
        Backbone::Bert { tokenizer, .. } => tokenizer,
    };
    words
        .iter()
        .map(|word| {
            let encoding = tokenizer.encode(word.as_str(), false).map_err(|e| anyhow::anyhow!("cannot tokenize label word {word:?}: {e}"))?;
            Ok(encoding.get_ids().to_vec())
        })
        .collect()
}

/// Writes the method's state and any backbone-owned trainables (the BERT head) to one file.
fn save_state(method: &dyn TuningMethod, backbone: &Backbone, path: &Path) -> anyhow::Result<()> {
    method.save(path)?;
    let extra = backbone.extra_state();
    if !extra.is_empty() {
        let tensors: HashMap<String, candle_core::Tensor> = extra.iter().map(|(n, v)| (n.clone(), v.as_tensor().clone())).collect();
        candle_core::safetensors::save(&tensors, head_path(path))?;
    }
    Ok(())
}

fn load_state(method: &mut dyn TuningMethod, backbone: &Backbone, path: &Path) -> anyhow::Result<()> {
    method.load(path)?;
    let extra: Vec<(String, Var)> = backbone.extra_state();
    if !extra.is_empty() {
        let stored = candle_core::safetensors::load(head_path(path), backbone.device())?;
        for (name, var) in extra {
            let tensor = stored.get(&name).with_context(|| format!("{} lacks {name}", head_path(path).display()))?;
            var.set(tensor)?;
        }
    }
    Ok(())
}

/// Names a device as `--device` does: `cpu` or `cuda:N`.
fn describe(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".to_string(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        other => format!("{other:?}"),
    }
}

fn head_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("head.safetensors")
}

/// Hashes of weights are cached per path: a grid loads the same backbone for many cells.
static WEIGHT_HASHES: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

fn hash_file_cached(path: &Path) -> anyhow::Result<FileHash> {
    let key = path.display().to_string();
    if let Some(hash) = WEIGHT_HASHES.lock().unwrap().as_ref().and_then(|m| m.get(&key).cloned()) {
        return Ok(FileHash { path: key, sha256: hash });
    }
    let hash = superpos_models::checkpoint::sha256_file(path)?;
    WEIGHT_HASHES.lock().unwrap().get_or_insert_with(HashMap::new).insert(key.clone(), hash.clone());
    Ok(FileHash { path: key, sha256: hash })
}

fn provenance(cell: &Cell, loaded: &backbone::Loaded, sources: &[String], splits: [&Prepared; 3], official: &[OfficialSplit], trainable: usize) -> anyhow::Result<Provenance> {
    // The data hash covers the rows as loaded (after the protocol's split), in JSON, so it is
    // the same whether they came from a file or from the embedded copies.
    let mut data = Vec::new();
    for (index, (name, split)) in ["train", "validation", "test"].into_iter().zip(splits).enumerate() {
        let json = serde_json::to_vec(&split.examples)?;
        let source = sources.get(index).map_or("no file", String::as_str);
        data.push(FileHash { path: format!("{name} rows from {source}"), sha256: hex::encode(Sha256::digest(&json)) });
    }
    for split in official {
        let json = serde_json::to_vec(&split.prepared.examples)?;
        data.push(FileHash { path: format!("official {} rows from {}", split.split, split.source), sha256: hex::encode(Sha256::digest(&json)) });
    }
    let weights = loaded.weight_files.iter().map(|p| hash_file_cached(p)).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Provenance {
        environment: Environment::current(&describe(loaded.backbone.device())),
        seed: cell.seed,
        data,
        weights,
        tokenizer: Some(hash_file_cached(&loaded.tokenizer_file)?),
        backbone_family: loaded.backbone.family().to_string(),
        head: loaded.backbone.head_description(),
        trainable_parameters: trainable,
        crosscheck: None,
    })
}
