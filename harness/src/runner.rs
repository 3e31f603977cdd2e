//! Running the pending cells of a grid: skip finished ones, take each cell's lock, run it, and
//! store its record atomically. Several runners (processes or hosts) can share one results
//! directory; each cell still runs once.

use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::Device;

use crate::grid::Cell;
use crate::progress::Observer;
use crate::store::{CellState, Store};
use crate::train::record::{CellRecord, Status};
use crate::train::run_cell;

/// Counts of what a runner did with the cells it was given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub finished: usize,
    pub diverged: usize,
    pub failed: usize,
    /// Already done before this run.
    pub skipped: usize,
    /// Locked by another runner.
    pub busy: usize,
}

/// Options of a run.
pub struct RunOptions {
    /// Rerun cells that are already done.
    pub force: bool,
    /// Cells run at once; each uses the shared CPU thread pool.
    pub jobs: usize,
    /// ONNX cross-check reports by backbone name, recorded in each cell's provenance.
    pub crosschecks: std::collections::HashMap<String, serde_json::Value>,
    /// The device the models run on, opened by the caller before anything is written.
    pub device: Device,
}

/// Runs `cells`, `options.jobs` at a time, and returns what happened.
pub fn run_cells(cells: &[Cell], store: &Store, options: &RunOptions, observer: &dyn Observer) -> anyhow::Result<RunSummary> {
    let counters: [AtomicUsize; 5] = Default::default();
    let run_one = |cell: &Cell| -> anyhow::Result<()> {
        let id = cell.id();
        // Only the record is read here: probing the lock would briefly take it and could make a
        // concurrent runner skip the cell.
        if !options.force && store.state_of_record(&id)? == Some(CellState::Done) {
            counters[3].fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let Some(lock) = store.try_lock(&id)? else {
            tracing::info!(cell = %id, "cell is locked by another runner; skipped");
            counters[4].fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        // Another runner may have finished the cell between the check above and the lock.
        if !options.force && store.state_of_record(&id)? == Some(CellState::Done) {
            counters[3].fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let record: CellRecord = run_cell(cell, store, observer, options.crosschecks.get(&cell.backbone.name), &options.device);
        let path = store.write(&id, &record)?;
        drop(lock);
        let index = match record.status {
            Status::Finished => 0,
            Status::Diverged => 1,
            Status::Failed => 2,
        };
        counters[index].fetch_add(1, Ordering::Relaxed);
        let status = serde_json::to_value(record.status)?.as_str().unwrap_or_default().to_string();
        observer.cell_ended(&id, &record.label, &status);
        tracing::info!(cell = %id, %status, path = %path.display(), "record written");
        Ok(())
    };
    if options.jobs <= 1 {
        for cell in cells {
            run_one(cell)?;
        }
    } else {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(options.jobs).build()?;
        pool.install(|| {
            use rayon::prelude::*;
            cells.par_iter().try_for_each(run_one)
        })?;
    }
    let [finished, diverged, failed, skipped, busy] = counters.map(|c| c.into_inner());
    Ok(RunSummary { finished, diverged, failed, skipped, busy })
}
