//! `superpos export-prompts`: copies the trained prompts of finished simple prompt-tuning cells
//! to `OUT/<backbone>/<task>.safetensors`, the layout ATTEMPT's source prompts are named by.

use std::path::Path;

use anyhow::Context;

use crate::exit::InputError;
use crate::store::write_atomic;
use crate::train::record::{CellRecord, Status};
use crate::train::STATE_FILE;

pub fn export_prompts(results: &Path, out: &Path, seed: u64, dropout: bool) -> anyhow::Result<i32> {
    let cells = results.join("cells");
    if !cells.is_dir() {
        return Err(InputError(format!("{} has no cells/ directory; pass the results directory of a grid run", results.display())).into());
    }
    let mut paths: Vec<_> = std::fs::read_dir(&cells)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    paths.sort();
    let mut exported = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let record: CellRecord = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let cell = &record.cell;
        if record.status != Status::Finished || cell.method.name() != "prompt_tuning" || cell.seed != seed || cell.dropout != dropout {
            continue;
        }
        let source = cells.join(&record.id).join(STATE_FILE);
        let target = out.join(&cell.backbone.name).join(format!("{}.safetensors", cell.task.name()));
        std::fs::create_dir_all(target.parent().unwrap()).with_context(|| format!("creating {}", target.display()))?;
        let bytes = std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        write_atomic(&target, &bytes)?;
        println!("{}  {}", target.display(), record.label);
        exported += 1;
    }
    if exported == 0 {
        return Err(InputError(format!(
            "{}: no finished prompt_tuning cell with seed {seed} and dropout {}",
            results.display(),
            if dropout { "on" } else { "off" }
        ))
        .into());
    }
    eprintln!("{exported} prompts written under {}", out.display());
    Ok(0)
}
