//! `superpos plan GRID.yaml`: the cells of a grid with their ids, trainable parameter counts and
//! states, without loading any weights.

use std::collections::HashMap;
use std::path::Path;

use superpos_methods::BackboneShapes;
use superpos_models::bert::BertConfig;
use superpos_models::t5::T5Config;

use crate::exit::InputError;
use crate::grid::{load_cells, BackboneSpec, Cell, Family};
use crate::store::Store;

/// Backbone shapes from `config.json` alone: the spec's `config`, else the model directory's.
pub fn backbone_shapes(spec: &BackboneSpec) -> anyhow::Result<BackboneShapes> {
    let config_path = match &spec.config {
        Some(path) => path.clone(),
        None => Path::new(&spec.model).join("config.json"),
    };
    if !config_path.is_file() {
        return Err(InputError(format!(
            "backbone {}: {} not found; set `config:` to a config.json describing the model, or fetch the model first",
            spec.name,
            config_path.display()
        ))
        .into());
    }
    Ok(match spec.family {
        Family::T5 => {
            let config = T5Config::from_file(&config_path)?;
            BackboneShapes { d_model: config.d_model, vocab_size: config.vocab_size, parameter_count: config.parameter_count() as usize }
        }
        Family::Bert => {
            let config = BertConfig::from_file(&config_path)?;
            BackboneShapes { d_model: config.hidden_size, vocab_size: config.vocab_size, parameter_count: 0 }
        }
    })
}

/// Counts the trainable head an encoder-only backbone adds: a linear map from the pooled state
/// to each class (or to one score for STS-B), with bias. T5 predicts with its frozen LM head.
pub fn head_parameters(cell: &Cell, d_model: usize) -> usize {
    match cell.backbone.family {
        Family::T5 => 0,
        Family::Bert => (d_model + 1) * cell.task.class_names().map_or(1, <[&str]>::len),
    }
}

pub fn run(grid_path: &Path, json: bool, results: Option<&Path>) -> anyhow::Result<i32> {
    let (grid, cells) = load_cells(grid_path)?;
    let mut shapes = HashMap::new();
    for spec in &grid.backbones {
        shapes.insert(spec.name.clone(), backbone_shapes(spec)?);
    }
    let results = results.map(Path::to_path_buf).unwrap_or_else(|| grid.results_dir());
    let store = results.join("cells").is_dir().then(|| Store::open(&results)).transpose()?;
    let mut rows = Vec::new();
    for cell in &cells {
        let shape = &shapes[&cell.backbone.name];
        let trainable = cell.method.trainable_parameters(shape) + head_parameters(cell, shape.d_model);
        let state = match &store {
            Some(store) => serde_json::to_value(store.state(&cell.id())?)?.as_str().unwrap_or_default().to_string(),
            None => "pending".to_string(),
        };
        rows.push((cell.id(), cell.label(), trainable, state));
    }
    if json {
        let list: Vec<_> = rows.iter().map(|(id, label, trainable, state)| serde_json::json!({"id": id, "label": label, "trainable_parameters": trainable, "state": state})).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(0);
    }
    println!("grid {} ({} cells, results in {})", grid.name, cells.len(), results.display());
    println!("{:<16}  {:>12}  {:<8}  cell", "id", "trainable", "state");
    for (id, label, trainable, state) in rows {
        println!("{id:<16}  {trainable:>12}  {state:<8}  {label}");
    }
    Ok(0)
}
