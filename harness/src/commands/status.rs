//! `superpos status GRID.yaml`: how far a grid's run has got, as one row per cell and counts of
//! done, running, failed and pending cells, read from the results directory alone. It works the
//! same whichever way the cells were started (`run`, several runners, or a Slurm array).
//!
//! NOTE: a cell with a lock file but no record is classified as running or pending by taking its
//! lock for a moment (`Store::state`). A runner that tries the same cell in that instant skips it
//! as busy, so the cell stays pending after its task ends; `superpos submit` or `superpos run`
//! picks it up again. Reading the lock holder without taking the lock is not portable across the
//! file systems results directories live on.

use std::path::Path;

use crate::grid::load_cells;
use crate::store::{CellState, Store};

/// The states in the order the counts are printed.
const STATES: [CellState; 4] = [CellState::Done, CellState::Running, CellState::Failed, CellState::Pending];

pub fn run(grid_path: &Path, results: Option<&Path>, json: bool) -> anyhow::Result<i32> {
    let (grid, cells) = load_cells(grid_path)?;
    let results = results.map(Path::to_path_buf).unwrap_or_else(|| grid.results_dir());
    // A results directory that does not exist yet means nothing has started; opening the store
    // would create it, which a read-only command should not do.
    let store = results.join("cells").is_dir().then(|| Store::open(&results)).transpose()?;
    let mut rows = Vec::with_capacity(cells.len());
    for cell in &cells {
        let id = cell.id();
        let state = match &store {
            Some(store) => store.state(&id)?,
            None => CellState::Pending,
        };
        rows.push((id, cell.label(), state));
    }

    let counts: Vec<(&'static str, usize)> = STATES.iter().map(|s| (name(*s), rows.iter().filter(|(_, _, state)| state == s).count())).collect();
    if json {
        let cells: Vec<_> = rows.iter().map(|(id, label, state)| serde_json::json!({"id": id, "label": label, "state": name(*state)})).collect();
        let counts: serde_json::Map<String, serde_json::Value> = counts.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        let report = serde_json::json!({
            "grid": grid.name,
            "results": results.display().to_string(),
            "total": rows.len(),
            "counts": counts,
            "cells": cells,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }

    println!("grid {} ({} cells, results in {})", grid.name, rows.len(), results.display());
    println!("{:<16}  {:<8}  cell", "id", "state");
    for (id, label, state) in &rows {
        println!("{id:<16}  {:<8}  {label}", name(*state));
    }
    let summary: Vec<String> = counts.iter().map(|(state, n)| format!("{n} {state}")).collect();
    println!("{}", summary.join(", "));
    Ok(0)
}

/// Returns the state's name as records and `plan` spell it.
fn name(state: CellState) -> &'static str {
    match state {
        CellState::Done => "done",
        CellState::Running => "running",
        CellState::Failed => "failed",
        CellState::Pending => "pending",
    }
}
