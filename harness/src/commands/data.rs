//! `superpos data verify`: row counts and label sets of a data directory against the official
//! numbers.

use std::path::Path;

use superpos_datasets::verify_data_dir;

use crate::exit::{InputError, FAILED};

pub fn verify(dir: &Path) -> anyhow::Result<i32> {
    if !dir.is_dir() {
        return Err(InputError(format!("data directory {} does not exist", dir.display())).into());
    }
    let report = verify_data_dir(dir);
    print!("{report}");
    Ok(if report.has_mismatch() { FAILED } else { 0 })
}
