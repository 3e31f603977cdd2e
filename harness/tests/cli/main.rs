//! End-to-end tests of the `superpos` binary: output, exit codes and error messages.

mod ci;
mod crosscheck;
mod data;
mod hub;
mod model;
mod report;
mod run;
mod slurm;

use std::path::PathBuf;
use std::process::{Command, Output};

/// Returns the workspace root, so tests can name committed fixtures and configs.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `superpos` with `args` and returns its output.
pub fn superpos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superpos")).args(args).current_dir(workspace()).output().expect("superpos runs")
}

/// Standard output and standard error as text.
pub fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}
