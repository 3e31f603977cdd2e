//! Mapping errors to exit codes: 2 for invalid input, 1 for everything else.

use superpos_models::ModelError;

/// Exit code for a failed check or run.
pub const FAILED: i32 = 1;
/// Exit code for invalid input (files, configs, names).
pub const INVALID_INPUT: i32 = 2;

/// Marks an error as caused by the user's input, so that the command exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Chooses the exit code for an error by the first classified cause in its chain.
pub fn code_for(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.downcast_ref::<InputError>().is_some() {
            return INVALID_INPUT;
        }
        if let Some(model) = cause.downcast_ref::<ModelError>() {
            return if model.is_input_error() { INVALID_INPUT } else { FAILED };
        }
    }
    FAILED
}
