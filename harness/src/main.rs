//! The `superpos` command: runs grids of parameter-efficient tuning runs on frozen backbones
//! and checks the pieces they rest on.
//!
//! Exit codes: 0 on success, 1 when a check or run fails, 2 when the input is invalid (a
//! missing file, a malformed config, an unknown name).

mod cli;
mod commands;
mod exit;
mod grid;
mod progress;
mod provenance;
mod regression;
mod runner;
mod slurm;
mod store;
mod train;

use clap::Parser;

fn main() {
    superpos_models::allocator::retain_freed_memory();
    restore_sigpipe();
    let cli = cli::Cli::parse();
    init_tracing(cli.verbose);
    let code = match commands::dispatch(cli.command) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line, as ripgrep and cargo do.
            eprintln!("error: {err:#}");
            exit::code_for(&err)
        }
    };
    std::process::exit(code);
}

/// Installs the log subscriber on stderr, so stdout stays for machine-readable output.
/// `RUST_LOG` overrides the level that `-v` sets.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

/// Lets a closed pipe end the process quietly, as it does for other Unix tools, instead of a
/// panic in `println!` when output goes to `head` and the like. Rust ignores SIGPIPE by default.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
