//! One module per subcommand; [`dispatch`] routes the parsed command and returns the exit code.

pub(crate) mod bench;
mod ci;
pub(crate) mod crosscheck;
mod data;
mod export;
mod export_onnx;
mod model;
pub mod plan;
mod report;
mod run;
mod status;
pub mod submit;

use crate::cli::{Command, DataCommand, OnOff};

/// Runs a command and returns its exit code; errors carry their own code (see `exit`).
pub fn dispatch(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Model(command) => model::run(command),
        Command::Data(DataCommand::Verify { data_dir }) => data::verify(&data_dir),
        Command::Ci { grid, baseline, update_baseline, results, device } => ci::run(&grid, &baseline, update_baseline, results.as_deref(), device),
        Command::Crosscheck { model, onnx, task, data_dir, examples, batch_size, tolerance, json } => crosscheck::run(crosscheck::CrosscheckArgs {
            model: &model,
            onnx: &onnx,
            task: task.as_deref(),
            data_dir: data_dir.as_deref(),
            examples,
            batch_size,
            tolerance,
            json,
        }),
        Command::Bench { config, workload, batch, source_len, prompt_len, target_len, dropout, warmup, repeats, threads, device, precision, json } => {
            use_cpu_threads(threads.map(|n| n as usize));
            let shape = superpos_models::benchmark::Shape { batch: batch as usize, source_len: source_len as usize, prompt_len: prompt_len as usize, target_len: target_len as usize };
            bench::run(bench::BenchArgs { config: &config, workload, shape, dropout, warmup, repeats: repeats as usize, device, precision, json })
        }
        Command::ExportOnnx { model, out, check, tolerance } => export_onnx::run(&model, &out, check, tolerance),
        Command::ExportPrompts { results, out, seed, dropout } => export::export_prompts(&results, &out, seed, dropout == OnOff::On),
        Command::Plan { grid, json, results } => plan::run(&grid, json, results.as_deref()),
        Command::Report { input, format, out, split, reference, no_plots } => report::run(report::ReportArgs {
            input: &input,
            format: &format,
            out: out.as_deref(),
            split: &split,
            reference: &reference,
            plots: !no_plots,
        }),
        Command::Status { grid, results, json } => status::run(&grid, results.as_deref(), json),
        Command::Submit { grid, executor, array_parallelism, partition, time, cpus_per_task, gpu, results, dry_run } => submit::run(submit::SubmitArgs {
            grid: &grid,
            executor,
            array_parallelism: array_parallelism.map(|n| n as usize),
            partition: partition.as_deref(),
            time: time.as_deref(),
            cpus_per_task: cpus_per_task as usize,
            gpu,
            results: results.as_deref(),
            dry_run,
        }),
        Command::Run { grid, cell, force, jobs, threads, progress, results, device } => {
            use_cpu_threads(threads);
            run::run(run::RunArgs { grid: &grid, cells: &cell, force, jobs, progress, results: results.as_deref(), device })
        }
    }
}

/// Sets the thread count of candle's CPU kernels, when given. They size their thread pool from
/// RAYON_NUM_THREADS on first use, which has not happened yet when a command starts.
fn use_cpu_threads(threads: Option<usize>) {
    if let Some(threads) = threads {
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    }
}

