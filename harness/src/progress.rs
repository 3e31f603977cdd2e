//! Progress output for long runs, selectable as bars (indicatif, on stderr), JSON lines (on
//! stdout, one object per event) or nothing.

use std::io::Write;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Callbacks from the training loop. Implementations must be cheap: `step` runs every batch.
pub trait Observer: Sync {
    fn cell_started(&self, _id: &str, _label: &str, _epochs: usize) {}
    fn epoch_started(&self, _id: &str, _epoch: usize, _steps: usize) {}
    fn step(&self, _id: &str, _step: usize, _loss: f64) {}
    fn evaluated(&self, _id: &str, _epoch: usize, _score: f64, _invalid_rate: f64) {}
    fn cell_ended(&self, _id: &str, _label: &str, _status: &str) {}
}

/// The `--progress` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Bar,
    Jsonl,
    None,
}

/// Prints nothing.
pub struct Silent;
impl Observer for Silent {}

/// One JSON object per event on stdout, for schedulers and dashboards.
pub struct JsonLines {
    out: Mutex<std::io::Stdout>,
}

impl JsonLines {
    pub fn new() -> Self {
        Self { out: Mutex::new(std::io::stdout()) }
    }

    fn emit(&self, value: serde_json::Value) {
        let mut out = self.out.lock().unwrap();
        // A closed stdout (a consumer that went away) must not stop training.
        let _ = writeln!(out, "{value}");
    }
}

impl Observer for JsonLines {
    fn cell_started(&self, id: &str, label: &str, epochs: usize) {
        self.emit(serde_json::json!({"event": "cell_started", "cell": id, "label": label, "epochs": epochs}));
    }
    fn epoch_started(&self, id: &str, epoch: usize, steps: usize) {
        self.emit(serde_json::json!({"event": "epoch_started", "cell": id, "epoch": epoch, "steps": steps}));
    }
    fn step(&self, id: &str, step: usize, loss: f64) {
        self.emit(serde_json::json!({"event": "step", "cell": id, "step": step, "loss": loss}));
    }
    fn evaluated(&self, id: &str, epoch: usize, score: f64, invalid_rate: f64) {
        self.emit(serde_json::json!({"event": "evaluated", "cell": id, "epoch": epoch, "score": score, "invalid_rate": invalid_rate}));
    }
    fn cell_ended(&self, id: &str, label: &str, status: &str) {
        self.emit(serde_json::json!({"event": "cell_ended", "cell": id, "label": label, "status": status}));
    }
}

/// Bars on stderr: cells of the grid, epochs of the current cell, steps of the current epoch
/// with the loss and an ETA. indicatif draws nothing when stderr is not a terminal (a log file,
/// CI), so then each finished cell prints one line instead.
pub struct Bars {
    terminal: bool,
    finished: std::sync::atomic::AtomicUsize,
    total: usize,
    cells: ProgressBar,
    epochs: ProgressBar,
    steps: ProgressBar,
}

impl Bars {
    pub fn new(total_cells: usize) -> Self {
        let multi = MultiProgress::new();
        let style = |template: &str| ProgressStyle::with_template(template).expect("static template").progress_chars("=> ");
        let cells = multi.add(ProgressBar::new(total_cells as u64));
        cells.set_style(style("cells  [{bar:30}] {pos}/{len} {msg}"));
        let epochs = multi.add(ProgressBar::new(0));
        epochs.set_style(style("epochs [{bar:30}] {pos}/{len} {msg}"));
        let steps = multi.add(ProgressBar::new(0));
        steps.set_style(style("steps  [{bar:30}] {pos}/{len} loss {msg} eta {eta}"));
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        Self { terminal, finished: Default::default(), total: total_cells, cells, epochs, steps }
    }
}

impl Observer for Bars {
    fn cell_started(&self, _id: &str, label: &str, epochs: usize) {
        self.cells.set_message(label.to_string());
        self.epochs.set_length(epochs as u64);
        self.epochs.set_position(0);
    }
    fn epoch_started(&self, _id: &str, epoch: usize, steps: usize) {
        self.epochs.set_position(epoch.saturating_sub(1) as u64);
        self.steps.set_length(steps as u64);
        self.steps.set_position(0);
    }
    fn step(&self, _id: &str, _step: usize, loss: f64) {
        self.steps.inc(1);
        self.steps.set_message(format!("{loss:.4}"));
    }
    fn evaluated(&self, _id: &str, epoch: usize, score: f64, invalid_rate: f64) {
        self.epochs.set_position(epoch as u64);
        self.epochs.set_message(format!("validation {:.2} (invalid {:.0}%)", score * 100.0, invalid_rate * 100.0));
    }
    fn cell_ended(&self, id: &str, label: &str, status: &str) {
        self.cells.inc(1);
        if !self.terminal {
            let done = self.finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            eprintln!("cell {done}/{} {status}: {label} ({id})", self.total);
        }
    }
}

/// Builds the observer for a mode.
pub fn observer(mode: ProgressMode, total_cells: usize) -> Box<dyn Observer> {
    match mode {
        ProgressMode::Bar => Box::new(Bars::new(total_cells)),
        ProgressMode::Jsonl => Box::new(JsonLines::new()),
        ProgressMode::None => Box::new(Silent),
    }
}
