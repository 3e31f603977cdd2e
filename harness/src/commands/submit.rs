//! `superpos submit GRID.yaml --executor slurm`: writes a Slurm job-array script with one task
//! per cell still to run and submits it with `sbatch`.
//!
//! Everything a submission needs is kept under `<results>/slurm/`: the numbered script
//! (`submit-NNN.sh`), the list of cell ids it runs (`submit-NNN.cells`), a copy of the grid it
//! was made from (`submit-NNN.yaml`) and the tasks' logs (`<job>_<index>.out` and `.err`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::exit::{InputError, FAILED};
use crate::grid::load_cells;
use crate::slurm::{check_partition, check_time, claim_submission, find_on_path, parse_job_id, ArrayScript};
use crate::store::{write_atomic, CellState, Store};

/// The scheduler that runs a submission's cells. Only Slurm exists so far. The flag is required
/// so that adding another scheduler cannot change what an existing command line means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Executor {
    Slurm,
}

/// Arguments of `superpos submit`.
pub struct SubmitArgs<'a> {
    pub grid: &'a Path,
    pub executor: Executor,
    pub array_parallelism: Option<usize>,
    pub partition: Option<&'a str>,
    pub time: Option<&'a str>,
    pub cpus_per_task: usize,
    pub gpu: bool,
    pub results: Option<&'a Path>,
    pub dry_run: bool,
}

pub fn run(args: SubmitArgs) -> anyhow::Result<i32> {
    let Executor::Slurm = args.executor;
    if args.gpu && !cfg!(feature = "cuda") {
        return Err(InputError("--gpu runs every task with --device cuda, but this superpos binary was built without CUDA; build one with scripts/build-cuda.sh and submit with it".to_string()).into());
    }
    if let Some(partition) = args.partition {
        check_partition(partition)?;
    }
    if let Some(time) = args.time {
        check_time(time)?;
    }
    let (grid, cells) = load_cells(args.grid)?;
    // The same checks `run` makes before training, so a missing model or data file fails here
    // instead of in every array task.
    super::run::preflight(&cells)?;
    // Checked before anything is written, so a machine without Slurm is left untouched.
    let sbatch = if args.dry_run {
        None
    } else {
        Some(find_on_path("sbatch").ok_or_else(|| {
            InputError(
                "sbatch not found on PATH; install Slurm's client commands (Debian and Ubuntu: slurm-client), run this on a Slurm login node, or pass --dry-run to write the script without submitting it".to_string(),
            )
        })?)
    };
    let results = absolute(&args.results.map(Path::to_path_buf).unwrap_or_else(|| grid.results_dir()))?;
    let store = Store::open(&results)?;

    // Failed cells are submitted again, as `superpos run` retries them. A running cell is left
    // out; were it listed anyway, its task would find the lock held and end at once.
    let mut todo = Vec::new();
    let (mut done, mut running) = (0, 0);
    for cell in &cells {
        let id = cell.id();
        match store.state(&id)? {
            CellState::Done => done += 1,
            CellState::Running => running += 1,
            CellState::Failed | CellState::Pending => todo.push(id),
        }
    }
    if todo.is_empty() {
        eprintln!("nothing to submit: of {} cells, {done} are done and {running} running; `superpos status {}` lists them", cells.len(), args.grid.display());
        return Ok(0);
    }

    let slurm_dir = results.join("slurm");
    std::fs::create_dir_all(&slurm_dir).with_context(|| format!("creating {}; check that the results directory is writable", slurm_dir.display()))?;
    let (script_path, cells_path, mut cells_file) = claim_submission(&slurm_dir)?;
    let mut list = todo.join("\n");
    list.push('\n');
    cells_file.write_all(list.as_bytes()).and_then(|()| cells_file.sync_all()).with_context(|| format!("writing {}", cells_path.display()))?;
    // The tasks read a copy of the grid as it was at submission: a grid edited while tasks wait
    // in the queue would give other cell ids, and the waiting tasks would find none of theirs.
    let grid_copy = script_path.with_extension("yaml");
    let grid_bytes = std::fs::read(args.grid).map_err(|e| InputError(format!("cannot read grid {}: {e}", args.grid.display())))?;
    write_atomic(&grid_copy, &grid_bytes)?;

    let executable = std::env::current_exe().context("finding the path of the running superpos executable")?;
    let workdir = std::env::current_dir().context("reading the current directory")?;
    let script = ArrayScript {
        grid_name: &grid.name,
        executable: &executable,
        grid: &grid_copy,
        results: &results,
        cells_file: &cells_path,
        cell_count: todo.len(),
        log_dir: &slurm_dir,
        workdir: &workdir,
        parallelism: args.array_parallelism,
        partition: args.partition,
        time: args.time,
        cpus_per_task: args.cpus_per_task,
        gpu: args.gpu,
    }
    .render()?;
    write_atomic(&script_path, script.as_bytes())?;
    set_executable(&script_path)?;

    let Some(sbatch) = sbatch else {
        eprintln!("wrote a job array of {} ({done} done, {running} running); submit it with `sbatch {}`", count(todo.len()), script_path.display());
        println!("{}", script_path.display());
        return Ok(0);
    };
    let output = Command::new(&sbatch)
        .arg("--parsable")
        .arg(&script_path)
        .output()
        .with_context(|| format!("starting {}", sbatch.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!(
            "error: sbatch refused {} ({}): {}; the script is kept, so it can be fixed and submitted by hand",
            script_path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return Ok(FAILED);
    }
    let Some(job) = parse_job_id(&stdout) else {
        eprintln!("error: sbatch accepted {} but printed no job id ({:?}); check `squeue --me`", script_path.display(), stdout.trim());
        return Ok(FAILED);
    };
    let status_command = match args.results {
        Some(_) => format!("superpos status {} --results {}", args.grid.display(), results.display()),
        None => format!("superpos status {}", args.grid.display()),
    };
    eprintln!(
        "submitted job {job}: an array of {} of grid {} ({done} done, {running} running); script {}, logs in {}; `{status_command}` follows it",
        count(todo.len()),
        grid.name,
        script_path.display(),
        slurm_dir.display(),
    );
    // The job id alone on stdout, as `sbatch --parsable` prints it, for scripts to capture.
    println!("{job}");
    Ok(0)
}

/// "1 cell", "4 cells".
fn count(cells: usize) -> String {
    format!("{cells} cell{}", if cells == 1 { "" } else { "s" })
}

/// Makes `path` absolute against the current directory without touching the file system, so a
/// results directory that does not exist yet can be named.
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("making {} absolute", path.display()))
}

fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).with_context(|| format!("making {} executable", path.display()))
}
