//! Prints the verification table of a data directory, as `superpos data verify` does:
//! `cargo run -p superpos-datasets --example verify -- DIR`. Exits 1 on a mismatch, 2 on usage.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: verify DATA_DIR");
        return ExitCode::from(2);
    };
    let report = superpos_datasets::verify_data_dir(&dir);
    print!("{report}");
    if report.has_mismatch() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
