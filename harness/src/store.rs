//! The results store: one JSON file per grid cell, written atomically, with a lock per cell.
//!
//! Layout under the results directory:
//! - `cells/<id>.json`: the cell's final record (finished, diverged or failed). It is written to
//!   a temporary file in the same directory, flushed to disk, then renamed over the final name,
//!   so a reader sees either no file or a complete one, even if the process dies mid-write.
//! - `cells/<id>.lock`: held with an exclusive advisory lock (`File::try_lock`, flock on Linux)
//!   while a runner works on the cell. The operating system releases the lock when the process
//!   exits or is killed, so an interrupted cell is free for the next runner without any
//!   stale-lock guessing. The file's content (pid, host, start time) is informational only.
//! - `cells/<id>/`: artefacts of the cell, such as the saved method state.
//!
//! NOTE: advisory locks on network file systems depend on the server; NFSv4 and Lustre honour
//! them, older NFS setups may not, and two runners on different hosts could then take one cell.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};

/// The state of a cell, from its record and its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellState {
    /// A record shows that the run completed (including a recorded divergence).
    Done,
    /// A record shows that the run failed with an error, so a rerun retries it.
    Failed,
    /// Another live process holds the cell's lock.
    Running,
    /// No record and no process holding the lock.
    Pending,
}

/// A held cell lock; dropping it releases the lock.
pub struct CellLock {
    file: File,
    path: PathBuf,
}

impl Drop for CellLock {
    fn drop(&mut self) {
        // Unlocking can only fail if the descriptor is already closed; the OS releases the lock
        // when the file closes anyway.
        let _ = self.file.unlock();
        tracing::trace!(lock = %self.path.display(), "cell lock released");
    }
}

/// A results directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens (and creates if needed) the store at `root`.
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        let cells = root.join("cells");
        std::fs::create_dir_all(&cells).with_context(|| format!("creating results directory {}", cells.display()))?;
        Ok(Self { root: root.to_path_buf() })
    }

    /// Returns the path of a cell's record.
    pub fn record_path(&self, id: &str) -> PathBuf {
        self.root.join("cells").join(format!("{id}.json"))
    }

    /// Returns the directory for a cell's artefacts, creating it on demand.
    pub fn artefact_dir(&self, id: &str) -> anyhow::Result<PathBuf> {
        let dir = self.root.join("cells").join(id);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    fn lock_path(&self, id: &str) -> PathBuf {
        self.root.join("cells").join(format!("{id}.lock"))
    }

    /// Tries to take the cell's lock without waiting; `None` when another process holds it.
    pub fn try_lock(&self, id: &str) -> anyhow::Result<Option<CellLock>> {
        let path = self.lock_path(id);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
        }
        let note = serde_json::json!({
            "pid": std::process::id(),
            "host": hostname(),
            "started": chrono_like_now(),
        });
        file.set_len(0)?;
        writeln!(file, "{note}")?;
        Ok(Some(CellLock { file, path }))
    }

    /// Reads a cell's record, if one exists.
    pub fn read<T: DeserializeOwned>(&self, id: &str) -> anyhow::Result<Option<T>> {
        let path = self.record_path(id);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("parsing result {}", path.display()))?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes a cell's record atomically: temporary file, flush to disk, rename.
    pub fn write<T: Serialize>(&self, id: &str, record: &T) -> anyhow::Result<PathBuf> {
        let path = self.record_path(id);
        write_atomic(&path, serde_json::to_string_pretty(record)?.as_bytes())?;
        Ok(path)
    }

    /// Returns the state a cell's record gives, or `None` without a record.
    pub fn state_of_record(&self, id: &str) -> anyhow::Result<Option<CellState>> {
        let record = self.read::<serde_json::Value>(id)?;
        Ok(record.map(|r| if r.get("status").and_then(|s| s.as_str()) == Some("failed") { CellState::Failed } else { CellState::Done }))
    }

    /// Returns the state of a cell: from its record, else from its lock.
    pub fn state(&self, id: &str) -> anyhow::Result<CellState> {
        if let Some(state) = self.state_of_record(id)? {
            return Ok(state);
        }
        if !self.lock_path(id).exists() {
            return Ok(CellState::Pending);
        }
        // Probing the lock takes it for a moment. The runner reads only records for that reason,
        // so this probe serves `plan` and status displays.
        Ok(match self.try_lock(id)? {
            Some(_) => CellState::Pending,
            None => CellState::Running,
        })
    }
}

/// Writes `bytes` to `path` so that readers never see a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut file = File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
        file.write_all(bytes).with_context(|| format!("writing {}", temporary.display()))?;
        file.sync_all().with_context(|| format!("flushing {}", temporary.display()))?;
    }
    std::fs::rename(&temporary, path).with_context(|| format!("renaming {} to {}", temporary.display(), path.display()))?;
    // Flushing the directory makes the rename itself durable.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Returns the machine's host name, for provenance and lock notes.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Seconds since the Unix epoch, as a number that sorts and needs no date library.
pub fn chrono_like_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip_and_states() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.state("abc").unwrap(), CellState::Pending);
        store.write("abc", &serde_json::json!({"status": "finished", "score": 0.5})).unwrap();
        let back: serde_json::Value = store.read("abc").unwrap().unwrap();
        assert_eq!(back["score"], 0.5);
        assert_eq!(store.state("abc").unwrap(), CellState::Done);
        store.write("bad", &serde_json::json!({"status": "failed"})).unwrap();
        assert_eq!(store.state("bad").unwrap(), CellState::Failed);
    }

    #[test]
    fn lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let held = store.try_lock("cell").unwrap().expect("first lock");
        assert!(store.try_lock("cell").unwrap().is_none(), "second lock while held");
        assert_eq!(store.state("cell").unwrap(), CellState::Running);
        drop(held);
        assert!(store.try_lock("cell").unwrap().is_some(), "lock after release");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"{}").unwrap();
        write_atomic(&path, b"{\"a\":1}").unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["out.json"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}");
    }
}
