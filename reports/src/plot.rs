//! Validation curves drawn with plotters, as SVG and PNG. A figure shows one backbone, with one
//! row of panels per task and dropout on and off side by side. Each panel has one line per
//! method (the mean over seeds at each epoch) with a band of one sample standard deviation.
//!
//! Text is rendered with the committed DejaVu Sans (`assets/DejaVuSans.ttf`, Bitstream Vera
//! licence) through plotters' ab_glyph feature, so plots need no system fonts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::convergence::CurveStat;
use crate::error::{ReportError, Result};
use crate::names;

const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family name plots ask plotters for; [`register_font`] maps it to the committed font.
const FONT: &str = "sans-serif";

/// Size of one panel in pixels.
pub const PANEL_WIDTH: u32 = 520;
pub const PANEL_HEIGHT: u32 = 320;
/// Height of the figure title in pixels.
const TITLE_HEIGHT: u32 = 44;

/// Okabe and Ito's colour-blind-safe palette, one colour per method in the row order of the
/// SuperPos-Prompt paper's Table 1.
const METHOD_COLOURS: [RGBColor; 7] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(204, 121, 167),
    RGBColor(0, 0, 0),
];

/// Registers the committed font with plotters once per process.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Plot { path: PathBuf::from("assets/DejaVuSans.ttf"), message: "the embedded font could not be parsed".to_string() })
    }
}

/// Returns the pixel size of a figure with `tasks` rows of panels.
pub fn figure_size(tasks: usize) -> (u32, u32) {
    (2 * PANEL_WIDTH, TITLE_HEIGHT + PANEL_HEIGHT * tasks.max(1) as u32)
}

/// Draws the curves of one backbone into `path`, as SVG or PNG by its extension.
pub fn plot_curves(curves: &[CurveStat], family: &str, model: &str, path: &Path) -> Result<()> {
    register_font()?;
    let curves: Vec<&CurveStat> = curves.iter().filter(|c| c.row.family == family && c.row.model == model).collect();
    let mut tasks: Vec<String> = curves.iter().map(|c| c.task.clone()).collect();
    tasks.sort_by_key(|t| (names::task_rank(t), t.clone()));
    tasks.dedup();
    let size = figure_size(tasks.len());
    let title = format!("{model} ({family} family): validation score by epoch, mean ± 1 sd over seeds");
    let plot_error = |message: String| ReportError::Plot { path: path.to_path_buf(), message };
    let is_svg = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("svg"));
    if is_svg {
        let root = SVGBackend::new(path, size).into_drawing_area();
        draw(&root, &title, &tasks, &curves).map_err(|e| plot_error(e.to_string()))?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    } else {
        let root = BitMapBackend::new(path, size).into_drawing_area();
        draw(&root, &title, &tasks, &curves).map_err(|e| plot_error(e.to_string()))?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(())
}

type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, tasks: &[String], curves: &[&CurveStat]) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let body = root.titled(title, (FONT, 22))?;
    let panels = body.split_evenly((tasks.len().max(1), 2));
    for (t, task) in tasks.iter().enumerate() {
        let task_curves: Vec<&CurveStat> = curves.iter().copied().filter(|c| &c.task == task).collect();
        // Both panels of a task share their axes, so dropout on and off compare by eye.
        let x_max = task_curves.iter().map(|c| c.epoch).max().unwrap_or(1).max(1) as f64;
        let lower = task_curves.iter().map(|c| c.mean - c.std.unwrap_or(0.0)).fold(0.0_f64, f64::min);
        let upper = task_curves.iter().map(|c| c.mean + c.std.unwrap_or(0.0)).fold(lower + 1.0, f64::max);
        let pad = (upper - lower) * 0.05;
        for (d, dropout) in [true, false].into_iter().enumerate() {
            let panel_curves: Vec<&CurveStat> = task_curves.iter().copied().filter(|c| c.row.dropout == dropout).collect();
            let caption = format!("{}, dropout {}", names::task_display(task), names::dropout_display(dropout));
            draw_panel(&panels[t * 2 + d], &caption, &panel_curves, x_max, (lower - pad)..(upper + pad))?;
        }
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(panel: &DrawingArea<DB, Shift>, caption: &str, curves: &[&CurveStat], x_max: f64, y_range: std::ops::Range<f64>) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(panel)
        .caption(caption, (FONT, 16))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0.0..x_max, y_range)?;
    chart
        .configure_mesh()
        // Epochs are whole numbers; with up to 10 of them every label lands on one.
        .x_labels((x_max as usize).min(10) + 1)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .light_line_style(RGBColor(236, 236, 236))
        .x_desc("epoch")
        .y_desc("validation score (x100)")
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .draw()?;

    let mut methods: Vec<&str> = curves.iter().map(|c| c.row.method.as_str()).collect();
    methods.sort_by_key(|m| (names::method_rank(m), m.to_string()));
    methods.dedup();
    for method in &methods {
        let points: Vec<&CurveStat> = curves.iter().copied().filter(|c| c.row.method == *method).collect();
        let colour = METHOD_COLOURS[names::method_rank(method).min(METHOD_COLOURS.len() - 1)];
        if points.iter().any(|p| p.std.is_some()) {
            let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.epoch as f64, p.mean + p.std.unwrap_or(0.0))).collect();
            band.extend(points.iter().rev().map(|p| (p.epoch as f64, p.mean - p.std.unwrap_or(0.0))));
            chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.2).filled())))?;
        }
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.epoch as f64, p.mean)), colour.stroke_width(2)))?
            .label(names::method_display(method))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    if !methods.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 12))
            .draw()?;
    }
    Ok(())
}

/// Writes one SVG and one PNG per backbone into `dir`, named `curves-<family>-<model>`, and
/// returns their paths.
pub fn write_curve_plots(curves: &[CurveStat], dir: &Path) -> Result<Vec<PathBuf>> {
    let mut backbones: Vec<(String, String)> = curves.iter().map(|c| (c.row.family.clone(), c.row.model.clone())).collect();
    backbones.sort_by_key(|(family, model)| (family.clone(), names::model_rank(model), model.clone()));
    backbones.dedup();
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
    let mut written = Vec::new();
    for (family, model) in backbones {
        let stem = format!("curves-{}-{}", file_safe(&family), file_safe(&model));
        for extension in ["svg", "png"] {
            let path = dir.join(format!("{stem}.{extension}"));
            plot_curves(curves, &family, &model, &path)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Replaces characters that are unsafe in file names (a hub id's `/`, spaces) with `_`.
pub fn file_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}
