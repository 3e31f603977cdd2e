//! Provenance of a result: code revision, machine, threads and the hashes of its inputs.

use serde::{Deserialize, Serialize};

/// The code revision this binary was built from (`git rev-parse HEAD`, `-dirty` when the work
/// tree had uncommitted changes, `unknown` outside git).
pub const CODE_REVISION: &str = env!("SUPERPOS_GIT_REVISION");

/// Facts about the process that produced a result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Environment {
    pub code_revision: String,
    pub superpos_version: String,
    pub host: String,
    pub os: String,
    pub arch: String,
    pub device: String,
    /// Threads candle's CPU kernels may use (rayon's global pool).
    pub threads: usize,
    pub cpu_model: String,
}

impl Environment {
    /// Describes the current process running on `device`.
    pub fn current(device: &str) -> Self {
        Self {
            code_revision: CODE_REVISION.to_string(),
            superpos_version: env!("CARGO_PKG_VERSION").to_string(),
            host: crate::store::hostname(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            device: device.to_string(),
            threads: rayon_threads(),
            cpu_model: cpu_model(),
        }
    }
}

/// Returns the size of the thread pool candle's CPU backend uses: `RAYON_NUM_THREADS` when set,
/// else the number of available cores, as rayon decides.
pub fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| text.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown".to_string())
}
