//! `superpos run GRID.yaml`: checks the grid's inputs, then runs its pending cells.

use std::collections::{HashMap, HashSet};
use std::path::Path;


use crate::exit::{InputError, FAILED};
use superpos_models::onnx::{crosscheck, CrosscheckInputs};
use superpos_models::t5::T5Config;
use superpos_models::DeviceSpec;

use crate::commands::crosscheck::classify;
use crate::grid::{load_cells, Cell, Family};
use crate::progress::{observer, ProgressMode};
use crate::runner::{run_cells, RunOptions};
use crate::store::Store;

/// Arguments of `superpos run`.
pub struct RunArgs<'a> {
    pub grid: &'a Path,
    pub cells: &'a [String],
    pub force: bool,
    pub jobs: usize,
    pub progress: ProgressMode,
    pub results: Option<&'a Path>,
    pub device: DeviceSpec,
}

pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    let (grid, all_cells) = load_cells(args.grid)?;
    let cells: Vec<Cell> = if args.cells.is_empty() {
        all_cells
    } else {
        let known: HashSet<String> = all_cells.iter().map(Cell::id).collect();
        if let Some(unknown) = args.cells.iter().find(|id| !known.contains(*id)) {
            return Err(InputError(format!("{}: no cell with id {unknown}; `superpos plan {}` lists the ids", args.grid.display(), args.grid.display())).into());
        }
        all_cells.into_iter().filter(|c| args.cells.contains(&c.id())).collect()
    };
    preflight(&cells)?;
    // Opened before the results directory is made, so an unusable device leaves nothing behind.
    let device = args.device.open()?;
    let crosschecks = crosscheck_backbones(&cells)?;
    let results = args.results.map(Path::to_path_buf).unwrap_or_else(|| grid.results_dir());
    let store = Store::open(&results)?;
    crate::store::write_atomic(&results.join("grid.yaml"), std::fs::read(args.grid)?.as_slice())?;
    tracing::info!(grid = %grid.name, cells = cells.len(), results = %results.display(), "run started");
    let observer = observer(args.progress, cells.len());
    let summary = run_cells(&cells, &store, &RunOptions { force: args.force, jobs: args.jobs, crosschecks, device }, observer.as_ref())?;
    eprintln!(
        "{} finished, {} diverged, {} failed, {} already done, {} running elsewhere; results in {}",
        summary.finished,
        summary.diverged,
        summary.failed,
        summary.skipped,
        summary.busy,
        results.display()
    );
    Ok(if summary.failed > 0 { FAILED } else { 0 })
}

/// Runs the ONNX Runtime cross-check of every backbone that requests one, before any training.
/// A failed check stops the run (exit 1) with the outputs named; a passed one is returned by
/// backbone name, for the cells' provenance.
fn crosscheck_backbones(cells: &[Cell]) -> anyhow::Result<HashMap<String, serde_json::Value>> {
    let mut reports = HashMap::new();
    for cell in cells {
        let Some(spec) = &cell.backbone.crosscheck else { continue };
        if reports.contains_key(&cell.backbone.name) {
            continue;
        }
        if cell.backbone.family != Family::T5 {
            return Err(InputError(format!("backbone {}: the ONNX cross-check supports T5 backbones only", cell.backbone.name)).into());
        }
        let dir = superpos_models::hub::resolve_model(&cell.backbone.model)?;
        let config = T5Config::from_file(&dir.join("config.json"))?;
        let inputs = CrosscheckInputs::fixed(&config);
        let report = crosscheck(&dir, &spec.onnx, &inputs, spec.tolerance).map_err(classify)?;
        if !report.passed {
            anyhow::bail!("backbone {}: ONNX cross-check failed for {}; no cell was trained", cell.backbone.name, report.failed_outputs().join(", "));
        }
        tracing::info!(backbone = %cell.backbone.name, "ONNX cross-check passed");
        reports.insert(cell.backbone.name.clone(), serde_json::to_value(&report)?);
    }
    Ok(reports)
}

/// Checks every backbone and task of the cells before any training starts, so a missing model
/// or data file fails at once with its name, not hours into a grid.
pub(super) fn preflight(cells: &[Cell]) -> anyhow::Result<()> {
    let mut checked_models = HashSet::new();
    let mut checked_tasks = HashSet::new();
    for cell in cells {
        cell.method.validate().map_err(|e| InputError(format!("cell {}: method {}: {e}", cell.label(), cell.method.name())))?;
        if checked_models.insert(cell.backbone.model.clone()) {
            let dir = superpos_models::hub::resolve_model(&cell.backbone.model)
                .map_err(|e| InputError(format!("backbone {}: {e}", cell.backbone.name)))?;
            for file in ["config.json", "tokenizer.json"] {
                if !dir.join(file).is_file() {
                    return Err(InputError(format!("backbone {}: {} has no {file}", cell.backbone.name, dir.display())).into());
                }
            }
        }
        let data_key = (cell.task, cell.protocol.protocol, cell.data_dir.clone());
        if checked_tasks.insert(data_key) {
            cell.protocol.splits(&cell.data()).map_err(|e| {
                let hint = match &cell.data_dir {
                    None => "; set `data_dir:` in the grid to a directory in the official GLUE/SuperGLUE layout".to_string(),
                    Some(dir) if !dir.is_dir() => format!("; the grid's data_dir {} does not exist", dir.display()),
                    Some(_) => String::new(),
                };
                InputError(format!("task {}: {e}{hint}", cell.task))
            })?;
        }
    }
    Ok(())
}
