//! `superpos ci`: runs a small fixed grid from scratch and compares every metric with a
//! committed baseline under the grid's tolerances; exit 1 on any regression.

use std::path::Path;

use superpos_models::DeviceSpec;

use crate::exit::{InputError, FAILED};
use crate::grid::load_cells;
use crate::progress::Silent;
use crate::regression::{compare, read_baseline, rows_from_records, write_baseline};
use crate::runner::{run_cells, RunOptions};
use crate::store::Store;
use crate::train::record::{CellRecord, Status};

pub fn run(grid_path: &Path, baseline: &Path, update: bool, results: Option<&Path>, device: DeviceSpec) -> anyhow::Result<i32> {
    let (grid, cells) = load_cells(grid_path)?;
    let device = device.open()?;
    let Some(spec) = grid.regression.clone() else {
        return Err(InputError(format!("{}: a CI grid needs a `regression` section with its tolerances", grid_path.display())).into());
    };

    // A fresh directory each time: a regression check must not reuse earlier results.
    let scratch = tempfile::tempdir()?;
    let results = results.map(Path::to_path_buf).unwrap_or_else(|| scratch.path().to_path_buf());
    let store = Store::open(&results)?;
    let summary = run_cells(&cells, &store, &RunOptions { force: true, jobs: 1, crosschecks: Default::default(), device }, &Silent)?;

    let mut records: Vec<CellRecord> = Vec::new();
    for cell in &cells {
        let record: CellRecord = store.read(&cell.id())?.ok_or_else(|| anyhow::anyhow!("cell {} left no record", cell.label()))?;
        if record.status != Status::Finished {
            eprintln!("error: cell {} ended {:?}: {}", record.label, record.status, record.error.as_deref().unwrap_or(""));
        }
        records.push(record);
    }

    let current = rows_from_records(&records);
    if update {
        write_baseline(baseline, &current)?;
        println!("baseline {} written: {} values from {} cells", baseline.display(), current.len(), cells.len());
        return Ok(if summary.failed > 0 { FAILED } else { 0 });
    }

    let differences = compare(&read_baseline(baseline)?, &current, &spec);
    let show = |v: Option<f64>| v.map_or("missing".to_string(), |v| format!("{v:.6}"));
    println!("{:<60} {:<20} {:<14} {:>12} {:>12} {:>10}  status", "cell", "point", "metric", "baseline", "current", "tolerance");

    let mut failed = Vec::new();
    for d in &differences {
        let status = if d.passes() { "ok" } else { "REGRESSION" };
        println!("{:<60} {:<20} {:<14} {:>12} {:>12} {:>10.0e}  {status}", d.cell, d.point, d.metric, show(d.baseline), show(d.current), d.tolerance);
        if !d.passes() {
            failed.push(format!("{} {} {}", d.cell, d.point, d.metric));
        }
    }

    if failed.is_empty() && summary.failed == 0 {
        println!("{} values of {} cells match the baseline", differences.len(), cells.len());
        Ok(0)
    } else {
        eprintln!("error: {} values outside tolerance: {}", failed.len(), failed.join("; "));
        Ok(FAILED)
    }
}
