//! Command-line arguments of `superpos`, parsed with clap's derive API.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Parameter-efficient tuning of frozen language models, reproducibly.
#[derive(Debug, Parser)]
#[command(name = "superpos", version, about)]
pub struct Cli {
    /// Log more on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect and verify backbones.
    #[command(subcommand)]
    Model(ModelCommand),
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print the architecture, parameter count, dtype and weight hashes of a model.
    Info {
        /// A model directory in Hugging Face layout, a `config.json` file, or a hub id.
        #[arg(long)]
        model: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Compare a model with reference outputs and exit 1 when any exceeds the tolerance.
    Verify {
        /// A model directory in Hugging Face layout, or a hub id.
        #[arg(long)]
        model: String,
        /// A safetensors file of inputs and expected outputs (input_ids, attention_mask, labels,
        /// encoder_last_hidden_state, logits, loss, prompt, prompt_logits, prompt_loss,
        /// prompt_grad, generated).
        #[arg(long)]
        reference: PathBuf,
        /// Maximum relative error (max |ours - reference| / max |reference|) for forward
        /// outputs; gradients are allowed at least 1e-3.
        #[arg(long, default_value_t = superpos_models::verify::FORWARD_TOLERANCE)]
        tolerance: f64,
    },
}
