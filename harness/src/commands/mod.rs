//! One module per subcommand; [`dispatch`] routes the parsed command and returns the exit code.

mod model;

use crate::cli::Command;

/// Runs a command and returns its exit code; errors carry their own code (see `exit`).
pub fn dispatch(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Model(command) => model::run(command),
    }
}
