//! `superpos submit --executor slurm --dry-run` and `superpos status` without a Slurm cluster:
//! the job-array script and cell list written for the 4-cell slurm-tiny grid, which cells a
//! submission includes, input errors, and the state counts of a results directory.
//! scripts/test-slurm.sh runs the same commands against a real single-node Slurm.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{superpos, text, workspace};

const GRID: &str = "harness/tests/grids/slurm-tiny.yaml";

/// Returns the grid's cell ids in plan order.
fn plan_ids() -> Vec<String> {
    let output = superpos(&["plan", GRID, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let cells: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    cells.iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn dry_run(results: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["submit", GRID, "--executor", "slurm", "--results", results.to_str().unwrap(), "--dry-run"];
    args.extend_from_slice(extra);
    let output = superpos(&args);
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// Runs the script's lines that pick the cell for array index `index`, without its final
/// `exec` of superpos, and returns the exit code, the chosen cell id and stderr.
fn lookup(script: &str, index: usize) -> (i32, String, String) {
    let body: String = script.lines().take_while(|l| !l.starts_with("echo \"superpos: array task")).map(|l| format!("{l}\n")).collect();
    let output = Command::new("bash").arg("-c").arg(format!("{body}printf '%s' \"$cell\"\n")).env("SLURM_ARRAY_TASK_ID", index.to_string()).output().unwrap();
    let (stdout, stderr) = text(&output);
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// Writes a record with `status` for cell `id`, as a runner would leave it.
fn write_record(results: &Path, id: &str, status: &str) {
    let cells = results.join("cells");
    std::fs::create_dir_all(&cells).unwrap();
    std::fs::write(cells.join(format!("{id}.json")), serde_json::json!({"id": id, "status": status}).to_string()).unwrap();
}

/// Holds cell `id`'s lock, as a live runner does, until the returned file is dropped.
fn hold_lock(results: &Path, id: &str) -> File {
    let file = File::create(results.join("cells").join(format!("{id}.lock"))).unwrap();
    file.try_lock().unwrap();
    file
}

fn canonical(path: impl AsRef<Path>) -> PathBuf {
    std::fs::canonicalize(path).unwrap()
}

#[test]
fn dry_run_writes_script_and_cells() {
    let dir = tempfile::tempdir().unwrap();
    let results = canonical(dir.path());
    let (code, stdout, stderr) = dry_run(&results, &["--array-parallelism", "2", "--partition", "short", "--time", "01:30:00"]);
    assert_eq!(code, 0, "{stderr}");
    let slurm = results.join("slurm");
    let script_path = slurm.join("submit-001.sh");
    assert_eq!(stdout, format!("{}\n", script_path.display()));
    assert!(stderr.contains("wrote a job array of 4 cells (0 done, 0 running)"), "{stderr}");

    let ids = plan_ids();
    assert_eq!(std::fs::read_to_string(slurm.join("submit-001.cells")).unwrap(), format!("{}\n", ids.join("\n")));
    assert_eq!(std::fs::read(slurm.join("submit-001.yaml")).unwrap(), std::fs::read(workspace().join(GRID)).unwrap(), "the tasks read a copy of the grid");

    let script = std::fs::read_to_string(&script_path).unwrap();
    let sbatch: Vec<&str> = script.lines().filter(|l| l.starts_with("#SBATCH")).collect();
    assert_eq!(
        sbatch,
        [
            "#SBATCH --job-name=superpos-slurm-tiny".to_string(),
            "#SBATCH --array=0-3%2".to_string(),
            "#SBATCH --cpus-per-task=1".to_string(),
            format!("#SBATCH --chdir={}", canonical(workspace()).display()),
            format!("#SBATCH --output={}/%A_%a.out", slurm.display()),
            format!("#SBATCH --error={}/%A_%a.err", slurm.display()),
            "#SBATCH --partition=short".to_string(),
            "#SBATCH --time=01:30:00".to_string(),
        ]
    );
    let exec = format!(
        "exec '{}' run '{}' --cell \"$cell\" --results '{}' --progress jsonl --threads 1",
        canonical(env!("CARGO_BIN_EXE_superpos")).display(),
        slurm.join("submit-001.yaml").display(),
        results.display()
    );
    assert_eq!(script.lines().last(), Some(exec.as_str()), "{script}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&script_path).unwrap().permissions().mode() & 0o777, 0o755);

    // Each array index picks its own line of the cell list; an index past the end is refused.
    for (index, id) in ids.iter().enumerate() {
        let (code, cell, stderr) = lookup(&script, index);
        assert_eq!((code, cell.as_str()), (0, id.as_str()), "index {index}: {stderr}");
    }
    let (code, _, stderr) = lookup(&script, 4);
    assert_eq!(code, 2);
    assert!(stderr.contains("no cell at index 4 of"), "{stderr}");
}

#[test]
fn submit_lists_failed_and_pending() {
    let dir = tempfile::tempdir().unwrap();
    let results = canonical(dir.path());
    let ids = plan_ids();
    write_record(&results, &ids[0], "finished");
    write_record(&results, &ids[1], "failed");
    let _running = hold_lock(&results, &ids[2]);
    let (code, stdout, stderr) = dry_run(&results, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote a job array of 2 cells (1 done, 1 running)"), "{stderr}");
    let slurm = results.join("slurm");
    assert_eq!(stdout, format!("{}\n", slurm.join("submit-001.sh").display()));
    assert_eq!(std::fs::read_to_string(slurm.join("submit-001.cells")).unwrap(), format!("{}\n{}\n", ids[1], ids[3]));
    let script = std::fs::read_to_string(slurm.join("submit-001.sh")).unwrap();
    assert!(script.contains("\n#SBATCH --array=0-1\n"), "no parallelism limit unless asked: {script}");
    assert!(!script.contains("--partition"), "{script}");
    assert!(!script.contains("--time"), "{script}");

    // A second submission gets the next number and leaves the first one as it was.
    let (code, stdout, _) = dry_run(&results, &["--cpus-per-task", "3"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, format!("{}\n", slurm.join("submit-002.sh").display()));
    let second = std::fs::read_to_string(slurm.join("submit-002.sh")).unwrap();
    assert!(second.contains("\n#SBATCH --cpus-per-task=3\n"), "{second}");
    assert!(second.contains("--threads 3\n"), "{second}");
    assert_eq!(std::fs::read_to_string(slurm.join("submit-001.cells")).unwrap(), format!("{}\n{}\n", ids[1], ids[3]));
}

#[test]
fn submit_all_done_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for id in plan_ids() {
        write_record(dir.path(), &id, "finished");
    }
    let (code, stdout, stderr) = dry_run(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("nothing to submit: of 4 cells, 4 are done and 0 running"), "{stderr}");
    assert!(!dir.path().join("slurm").exists(), "no script for an empty array");
}

#[test]
fn missing_sbatch_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty_path = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let output = Command::new(env!("CARGO_BIN_EXE_superpos"))
        .args(["submit", GRID, "--executor", "slurm", "--results", results.to_str().unwrap()])
        .current_dir(workspace())
        .env("PATH", empty_path.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("sbatch not found on PATH"), "{stderr}");
    assert!(stderr.contains("--dry-run"), "{stderr}");
    assert!(!results.exists(), "nothing is written when sbatch is missing");
}

#[test]
fn invalid_submit_values_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = dry_run(dir.path(), &["--time", "2h"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--time \"2h\" is not a Slurm time limit"), "{stderr}");
    let (code, _, stderr) = dry_run(dir.path(), &["--partition", "a b"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--partition \"a b\" is not a Slurm partition name"), "{stderr}");
    let (code, _, stderr) = dry_run(dir.path(), &["--array-parallelism", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--array-parallelism"), "{stderr}");
    let output = superpos(&["submit", GRID, "--executor", "pbs", "--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("invalid value 'pbs'"), "{}", text(&output).1);
    let output = superpos(&["submit", "harness/tests/grids/no-such-grid.yaml", "--executor", "slurm", "--dry-run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("cannot read grid harness/tests/grids/no-such-grid.yaml"), "{}", text(&output).1);
    assert!(!dir.path().join("slurm").exists());
}

#[test]
fn status_counts_each_state() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path();
    let ids = plan_ids();
    write_record(results, &ids[0], "finished");
    write_record(results, &ids[1], "failed");
    let running = hold_lock(results, &ids[2]);
    // A lock file whose holder has gone, as a killed runner leaves it: the cell is pending.
    drop(hold_lock(results, &ids[3]));

    let output = superpos(&["status", GRID, "--results", results.to_str().unwrap(), "--json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["grid"], "slurm-tiny");
    assert_eq!(report["total"], 4);
    assert_eq!(report["counts"], serde_json::json!({"done": 1, "running": 1, "failed": 1, "pending": 1}));
    let states: Vec<(&str, &str)> = report["cells"].as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap(), c["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(ids[0].as_str(), "done"), (ids[1].as_str(), "failed"), (ids[2].as_str(), "running"), (ids[3].as_str(), "pending")]);

    let output = superpos(&["status", GRID, "--results", results.to_str().unwrap()]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(lines[0], format!("grid slurm-tiny (4 cells, results in {})", results.display()));
    assert_eq!(lines[2], format!("{}  done      t5-tiny-v11/prompt_tuning/cb/seed0/dropout-on", ids[0]));
    assert_eq!(lines[4], format!("{}  running   t5-tiny-v11/prompt_tuning/cb/seed1/dropout-on", ids[2]));
    assert_eq!(lines[6], "1 done, 1 running, 1 failed, 1 pending");

    // Once the runner lets go without a record, the cell counts as pending again.
    drop(running);
    let output = superpos(&["status", GRID, "--results", results.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["counts"], serde_json::json!({"done": 1, "running": 0, "failed": 1, "pending": 2}));
}

#[test]
fn status_unrun_grid_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("not-yet");
    let output = superpos(&["status", GRID, "--results", results.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["counts"], serde_json::json!({"done": 0, "running": 0, "failed": 0, "pending": 4}));
    assert!(!results.exists(), "status only reads");
}

#[test]
fn gpu_without_cuda_build_exits_2() {
    let results = tempfile::tempdir().unwrap();
    let (code, _, stderr) = dry_run(results.path(), &["--gpu"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--gpu runs every task with --device cuda, but this superpos binary was built without CUDA"), "{stderr}");
    assert!(!results.path().join("slurm").exists(), "nothing written");
}
