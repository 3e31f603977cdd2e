//! Slurm job arrays for a grid: the sbatch script that `superpos submit` writes, the checks on
//! the values that go into it, and finding `sbatch`.
//!
//! The script runs one array task per listed cell. The cell ids are in a plain file next to the
//! script, one id per line, with line N+1 for array index N. The script so stays short for any
//! grid size, and a reader can look up which task ran which cell. Every task runs
//! `superpos run GRID --cell ID --results DIR --progress jsonl`, so all tasks share the one
//! results directory and the store's per-cell lock keeps a cell from running twice even when a
//! grid is submitted again while an earlier array is still queued or running.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::exit::InputError;

/// Everything a job-array script needs. Paths must be absolute: the tasks start on other hosts
/// and in other directories than the one `submit` ran in.
#[derive(Debug, Clone)]
pub struct ArrayScript<'a> {
    /// The grid's name, for the job name.
    pub grid_name: &'a str,
    /// The `superpos` executable the tasks run.
    pub executable: &'a Path,
    /// The grid file the tasks read.
    pub grid: &'a Path,
    /// The shared results directory.
    pub results: &'a Path,
    /// The file listing one cell id per line.
    pub cells_file: &'a Path,
    /// The number of cells in `cells_file`, so the array size.
    pub cell_count: usize,
    /// The directory for per-task stdout and stderr.
    pub log_dir: &'a Path,
    /// The working directory of the tasks: relative paths inside the grid (model and data
    /// directories) are taken from it, as they were when the grid was planned.
    pub workdir: &'a Path,
    /// At most this many tasks at once (`%P` in `--array`), if set.
    pub parallelism: Option<usize>,
    pub partition: Option<&'a str>,
    /// The time limit of each task, in a format Slurm accepts (see [`check_time`]).
    pub time: Option<&'a str>,
    /// CPUs per task; also the thread count of the task's CPU kernels.
    pub cpus_per_task: usize,
    /// Requests one GPU per task (`--gres=gpu:1`) and runs the cell with `--device cuda`. Slurm
    /// sets CUDA_VISIBLE_DEVICES to the allocated GPU, so it is ordinal 0 inside the task.
    pub gpu: bool,
}

impl ArrayScript<'_> {
    /// Renders the sbatch script. Fails with an input error on values that cannot be written
    /// into `#SBATCH` lines safely.
    pub fn render(&self) -> anyhow::Result<String> {
        for (what, path) in [
            ("superpos executable", self.executable),
            ("grid", self.grid),
            ("results directory", self.results),
            ("cell list", self.cells_file),
            ("log directory", self.log_dir),
            ("working directory", self.workdir),
        ] {
            if !path.is_absolute() {
                // Callers make every path absolute; a relative one here is a bug, not bad input.
                anyhow::bail!("{what} path {} is not absolute", path.display());
            }
            let text = path.to_str().ok_or_else(|| InputError(format!("{what} path {} is not valid UTF-8; use a UTF-8 path", path.display())))?;
            // `#SBATCH` lines are split on whitespace by sbatch, and a quote or newline would
            // break the shell lines below, so such paths are rejected rather than half-quoted.
            if text.chars().any(|c| c.is_whitespace() || c == '\'' || c == '"' || c == '%' || c == '\\') {
                return Err(InputError(format!(
                    "{what} path {text} contains whitespace, a quote, a backslash or '%', which sbatch scripts cannot carry safely; use a path without them"
                ))
                .into());
            }
        }

        if self.cell_count == 0 {
            anyhow::bail!("a job array needs at least one cell");
        }
        // NOTE: sbatch rejects an array longer than the cluster's MaxArraySize (1001 unless
        // slurm.conf sets it), and its message is passed on as it is.
        let mut array = format!("0-{}", self.cell_count - 1);
        if let Some(parallelism) = self.parallelism {
            let _ = write!(array, "%{parallelism}");
        }

        let path = |p: &Path| p.to_str().unwrap_or_default().to_string();
        let mut s = String::new();
        s.push_str("#!/bin/bash\n");
        let _ = writeln!(s, "# Written by `superpos submit` for grid {}: array task N runs the cell on line N+1 of", self.grid_name);
        let _ = writeln!(s, "# {}. Submitting the grid again is safe: finished cells are skipped and", path(self.cells_file));
        s.push_str("# a per-cell lock in the results directory keeps any cell from running twice at once.\n");
        let _ = writeln!(s, "#SBATCH --job-name=superpos-{}", job_name_part(self.grid_name));
        let _ = writeln!(s, "#SBATCH --array={array}");
        let _ = writeln!(s, "#SBATCH --cpus-per-task={}", self.cpus_per_task);
        let _ = writeln!(s, "#SBATCH --chdir={}", path(self.workdir));
        // %A is the array's job id and %a the task index, so each task has its own two logs.
        let _ = writeln!(s, "#SBATCH --output={}/%A_%a.out", path(self.log_dir));
        let _ = writeln!(s, "#SBATCH --error={}/%A_%a.err", path(self.log_dir));
        if let Some(partition) = self.partition {
            let _ = writeln!(s, "#SBATCH --partition={partition}");
        }
        if let Some(time) = self.time {
            let _ = writeln!(s, "#SBATCH --time={time}");
        }
        if self.gpu {
            s.push_str("#SBATCH --gres=gpu:1\n");
        }

        s.push_str("set -euo pipefail\n");
        let _ = writeln!(s, "cells='{}'", path(self.cells_file));
        s.push_str("index=\"${SLURM_ARRAY_TASK_ID:?not running as a Slurm array task}\"\n");
        s.push_str("cell=\"$(sed -n \"$((index + 1))p\" \"$cells\")\"\n");
        s.push_str("if [ -z \"$cell\" ]; then\n");
        s.push_str("    echo \"superpos: no cell at index $index of $cells; was the file edited after submitting?\" >&2\n");
        s.push_str("    exit 2\n");
        s.push_str("fi\n");
        s.push_str("echo \"superpos: array task $index runs cell $cell on $(hostname)\" >&2\n");
        let _ = writeln!(
            s,
            "exec '{}' run '{}' --cell \"$cell\" --results '{}' --progress jsonl --threads {}{}",
            path(self.executable),
            path(self.grid),
            path(self.results),
            self.cpus_per_task,
            if self.gpu { " --device cuda" } else { "" }
        );
        Ok(s)
    }
}

/// Keeps the characters of a grid name that are safe in a job name (letters, digits, `-`, `_`,
/// `.`), replacing the rest with `_`, so `squeue` output stays one word per column.
fn job_name_part(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

/// Checks a partition name: Slurm's names are single words.
pub fn check_partition(partition: &str) -> anyhow::Result<()> {
    if partition.is_empty() || !partition.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ',')) {
        return Err(InputError(format!(
            "--partition {partition:?} is not a Slurm partition name; use letters, digits, '-', '_' or '.' (a comma separates several partitions), as `sinfo -s` lists them"
        ))
        .into());
    }
    Ok(())
}

/// Checks a time limit in one of the formats sbatch accepts: `M`, `M:S`, `H:M:S`, `D-H`,
/// `D-H:M`, `D-H:M:S`, or `UNLIMITED`/`INFINITE`. Checking here turns a typo into an error
/// before anything is written or queued.
pub fn check_time(time: &str) -> anyhow::Result<()> {
    let invalid = || -> anyhow::Error {
        InputError(format!(
            "--time {time:?} is not a Slurm time limit; use minutes (90), MM:SS, HH:MM:SS (01:30:00), D-HH (1-12), D-HH:MM or D-HH:MM:SS"
        ))
        .into()
    };
    if time.eq_ignore_ascii_case("unlimited") || time.eq_ignore_ascii_case("infinite") {
        return Ok(());
    }
    // The number of `:`-separated fields of `part` when all are digits, else `None`.
    let fields = |part: &str| -> Option<usize> { part.split(':').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then(|| part.split(':').count()) };
    let fields_ok = match time.split_once('-') {
        // With days, the rest is hours, hours:minutes or hours:minutes:seconds.
        Some((days, rest)) => fields(days) == Some(1) && fields(rest).is_some_and(|n| (1..=3).contains(&n)),
        None => fields(time).is_some_and(|n| (1..=3).contains(&n)),
    };
    if fields_ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Finds an executable by name on `PATH`, as the shell would.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Reads the job id from `sbatch --parsable` output, which is `ID` or `ID;CLUSTER`.
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let line = stdout.lines().map(str::trim).find(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// Returns the first free numbered pair `submit-NNN.sh` / `submit-NNN.cells` in `dir`, claiming
/// the cell list by creating it exclusively so two submits at once never share a number.
pub fn claim_submission(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf, std::fs::File)> {
    for n in 1..100_000u32 {
        let cells = dir.join(format!("submit-{n:03}.cells"));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&cells) {
            Ok(file) => return Ok((dir.join(format!("submit-{n:03}.sh")), cells, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("creating {}; check that the results directory is writable", cells.display()))),
        }
    }
    anyhow::bail!("{} contains 100000 submissions; remove old submit-* files", dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        for good in ["90", "30:00", "01:30:00", "1-12", "1-12:30", "2-00:00:00", "UNLIMITED", "infinite"] {
            assert!(check_time(good).is_ok(), "{good}");
        }
        for bad in ["", "1h", "1:2:3:4", "-5", "1-", "1-2-3", "1.5", "1-1:2:3:4", " 90"] {
            let err = check_time(bad).unwrap_err();
            assert!(err.downcast_ref::<InputError>().is_some(), "{bad}");
            assert!(err.to_string().contains("HH:MM:SS"), "{err}");
        }
    }

    #[test]
    fn partition_names() {
        assert!(check_partition("gpu-a100").is_ok());
        assert!(check_partition("short,long").is_ok());
        assert!(check_partition("").is_err());
        assert!(check_partition("a b").is_err());
    }

    #[test]
    fn job_ids_from_parsable_output() {
        assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("77;cluster\n").as_deref(), Some("77"));
        assert_eq!(parse_job_id("Submitted batch job 5\n"), None);
        assert_eq!(parse_job_id(""), None);
    }

    #[test]
    fn submissions_are_numbered_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (script, cells, _) = claim_submission(dir.path()).unwrap();
        assert_eq!(script, dir.path().join("submit-001.sh"));
        assert_eq!(cells, dir.path().join("submit-001.cells"));
        let (script, _, _) = claim_submission(dir.path()).unwrap();
        assert_eq!(script, dir.path().join("submit-002.sh"));
    }

    #[test]
    fn paths_with_spaces_rejected() {
        let script = ArrayScript {
            grid_name: "g",
            executable: Path::new("/bin/superpos"),
            grid: Path::new("/my grids/g.yaml"),
            results: Path::new("/r"),
            cells_file: Path::new("/r/slurm/submit-001.cells"),
            cell_count: 2,
            log_dir: Path::new("/r/slurm"),
            workdir: Path::new("/"),
            parallelism: None,
            partition: None,
            time: None,
            cpus_per_task: 1,
            gpu: false,
        };
        let err = script.render().unwrap_err();
        assert!(err.to_string().contains("grid path /my grids/g.yaml contains whitespace"), "{err}");
        let ok = ArrayScript { grid: Path::new("/g.yaml"), ..script };
        let text = ok.render().unwrap();
        assert!(text.contains("#SBATCH --array=0-1\n"), "{text}");
        assert!(!text.contains("--partition"), "{text}");
        assert!(!text.contains("--time"), "{text}");
        assert!(!text.contains("--gres"), "{text}");

        let gpu = ArrayScript { gpu: true, ..ok };
        let text = gpu.render().unwrap();
        assert!(text.contains("#SBATCH --gres=gpu:1\n"), "{text}");
        assert!(text.contains(" --progress jsonl --threads 1 --device cuda\n"), "{text}");
    }
}
