//! Integration tests of the tuning methods on the tiny T5 v1.1 fixture model, the AdamW
//! reference values, and config parsing.

mod adamw;
mod attempt;
mod common;
mod config;
mod superpos;
mod training;
