//! A whole report: every table, comparison, export and flag built from one input, rendered as
//! one Markdown or LaTeX document, as the leaderboard CSV or as JSON, or written as one file per
//! table into a directory.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::aggregate::Summary;
use crate::compare::{self, Comparison, Reference};
use crate::convergence::{self, CellConvergence, ConvergenceStat, CurveStat};
use crate::detail;
use crate::error::{ReportError, Result};
use crate::flags::{self, Flag};
use crate::leaderboard::{self, LeaderboardRow};
use crate::load::{Input, ReportedAverage, ScoreFile};
use crate::plot;
use crate::render::{render_table, TableFormat};
use crate::scores::{rows_from_records, ScoreRow, Split};
use crate::table::Table;
use crate::table1::{self, Table1Row};
use crate::table2::{self, Standardized};

/// The numbers a report compares results with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceSource {
    /// The SuperPos-Prompt paper's Table 1 and Table 2, embedded in the crate.
    Paper,
    /// A score CSV in the layout of SuperPos-Prompt's Table 1.
    File(PathBuf),
    /// No comparison.
    None,
}

/// Choices a report makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The evaluation the tables report (test by default, as in SuperPos-Prompt's tables).
    pub split: Split,
    pub reference: ReferenceSource,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { split: Split::Test, reference: ReferenceSource::Paper }
    }
}

/// An output format of a whole report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Markdown,
    Latex,
    Csv,
    Json,
}

/// Tables under one heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub tables: Vec<Table>,
}

/// Everything a report computes from its input.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The input's file or directory name.
    pub input: String,
    pub split: Split,
    /// Cell records read; 0 for a score CSV.
    pub records: usize,
    /// The per-seed rows every table is aggregated from.
    pub scores: Vec<ScoreRow>,
    /// `Avg` rows of a score CSV input.
    pub input_averages: Vec<ReportedAverage>,
    pub summary: Summary,
    /// Table 1's Avg column, per family.
    pub averages: Vec<Table1Row>,
    /// Table 2, per family.
    pub standardized: Vec<Standardized>,
    pub comparison: Option<Comparison>,
    pub leaderboard: Vec<LeaderboardRow>,
    pub convergence: Vec<CellConvergence>,
    pub convergence_stats: Vec<ConvergenceStat>,
    pub curves: Vec<CurveStat>,
    pub flags: Vec<Flag>,
}

impl Report {
    /// Opens `path` (a results directory or a score CSV) and builds its report.
    pub fn from_path(path: &Path, options: &ReportOptions) -> Result<Report> {
        let input = Input::open(path)?;
        let reference = match &options.reference {
            ReferenceSource::Paper => Some(Reference::paper()?),
            ReferenceSource::File(path) => Some(Reference::from_score_file(&ScoreFile::read(path)?)?),
            ReferenceSource::None => None,
        };
        Report::build(&input, reference.as_ref(), options.split)
    }

    /// Builds a report from an opened input, comparing with `reference` when given.
    pub fn build(input: &Input, reference: Option<&Reference>, split: Split) -> Result<Report> {
        let (scores, input_averages, mut flags, convergence, curves, records, source) = match input {
            Input::Store(store) => {
                let scores = rows_from_records(&store.records, split);
                let mut flags = flags::record_flags(&store.records, split);
                match &store.grid {
                    Some(grid) => flags.extend(flags::missing_from_grid(&store.records, grid)),
                    None => flags.extend(flags::missing_from_axes(&flags::record_cell_keys(&store.records))),
                }
                let convergence = convergence::cell_convergence(&store.records);
                let curves = convergence::curve_stats(&store.records)?;
                (scores, Vec::new(), flags, convergence, curves, store.records.len(), "records".to_string())
            }
            Input::Scores(file) => {
                let mut flags = flags::score_row_flags(&file.rows);
                flags.extend(flags::missing_from_axes(&flags::score_row_keys(&file.rows)));
                (file.rows.clone(), file.averages.clone(), flags, Vec::new(), Vec::new(), 0, input.name())
            }
        };
        let summary = Summary::from_rows(&scores)?;
        flags.extend(flags::no_spread_flags(&summary));
        flags.sort();

        let families = summary.families();
        let averages = families.iter().flat_map(|family| table1::averages(&summary, family)).collect();
        let standardized: Vec<Standardized> = families.iter().map(|family| table2::standardize(&summary, family)).collect();
        let comparison = reference.map(|reference| compare::compare(&summary, &standardized, reference));
        let leaderboard = leaderboard::leaderboard(&summary, &scores, &source);
        let convergence_stats = convergence::convergence_stats(&convergence)?;
        Ok(Report {
            input: input.name(),
            split,
            records,
            scores,
            input_averages,
            summary,
            averages,
            standardized,
            comparison,
            leaderboard,
            convergence,
            convergence_stats,
            curves,
            flags,
        })
    }

    /// Lists the report's tables under their headings, in document order.
    pub fn sections(&self) -> Vec<Section> {
        let families = self.summary.families();
        let mut sections = Vec::new();
        sections.push(Section { title: "Table 1: scores by task".to_string(), tables: families.iter().map(|f| table1::table(&self.summary, f)).collect() });
        let table2: Vec<Table> = self.standardized.iter().filter(|s| !s.rows.is_empty()).map(table2::table).collect();
        if !table2.is_empty() {
            sections.push(Section { title: "Table 2: standardised overall scoring".to_string(), tables: table2 });
        }
        if let Some(comparison) = &self.comparison {
            let tables: Vec<Table> = families.iter().flat_map(|f| compare::tables(comparison, f)).collect();
            if !tables.is_empty() {
                sections.push(Section { title: "Reproduced against reported".to_string(), tables });
            }
        }
        let details: Vec<Table> = families.iter().flat_map(|f| self.summary.task_names(f).into_iter().map(move |t| (f.clone(), t))).map(|(f, t)| detail::table(&self.summary, &self.flags, &f, &t)).collect();
        sections.push(Section { title: "Per-task detail".to_string(), tables: details });
        let convergence: Vec<Table> = families.iter().filter_map(|f| convergence::table(&self.convergence_stats, f)).collect();
        if !convergence.is_empty() {
            sections.push(Section { title: "Convergence".to_string(), tables: convergence });
        }
        sections.push(Section { title: "Flags".to_string(), tables: vec![flags::table(&self.flags)] });
        sections
    }

    /// Describes the input in one sentence for the document header.
    fn description(&self) -> String {
        let families = self.summary.families().join(", ");
        let source = if self.records > 0 {
            format!("{} cell records, {} split", self.records, self.split.name())
        } else {
            format!("{} score rows", self.scores.len())
        };
        format!("{source}; families: {families}. Scores are percentages (fractions x 100).")
    }

    /// Renders the whole report: a Markdown or LaTeX document, the leaderboard CSV, or JSON.
    pub fn render(&self, format: OutputFormat) -> Result<String> {
        let table_format = match format {
            OutputFormat::Markdown => TableFormat::Markdown,
            OutputFormat::Latex => TableFormat::Latex,
            OutputFormat::Csv => return Ok(leaderboard::to_csv(&self.leaderboard)),
            OutputFormat::Json => return Ok(serde_json::to_string_pretty(self).expect("reports serialize to JSON")),
        };
        let mut out = String::new();
        match table_format {
            TableFormat::Latex => {
                out.push_str(&format!("% Report: {}\n% {}\n", self.input, self.description()));
                out.push_str("% Needs \\usepackage{booktabs} and, for the wide tables, \\usepackage{graphicx}.\n");
            }
            _ => out.push_str(&format!("# Report: {}\n\n{}\n", crate::render::markdown::escape(&self.input), self.description())),
        }
        for section in self.sections() {
            match table_format {
                TableFormat::Latex => out.push_str(&format!("\n\\section*{{{}}}\n", crate::render::latex::escape(&section.title))),
                _ => out.push_str(&format!("\n## {}\n", section.title)),
            }
            for table in &section.tables {
                out.push('\n');
                out.push_str(&render_table(table, table_format));
            }
        }
        Ok(out)
    }

    /// Writes the report into `dir` and returns the paths written.
    ///
    /// Markdown, LaTeX and CSV give one file per table, and `report.md` or `report.tex` contains
    /// them all; JSON gives `report.json`. Every format also writes `leaderboard.csv` and the
    /// per-seed `scores.csv`, and with `plots` the validation curves as SVG and PNG in `plots/`.
    pub fn write(&self, dir: &Path, format: OutputFormat, plots: bool) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Write { path: dir.to_path_buf(), source })?;
        let mut written = Vec::new();
        let mut write = |name: String, text: &str| -> Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| ReportError::Write { path: path.clone(), source })?;
            written.push(path);
            Ok(())
        };
        let table_format = match format {
            OutputFormat::Markdown => Some(TableFormat::Markdown),
            OutputFormat::Latex => Some(TableFormat::Latex),
            OutputFormat::Csv => Some(TableFormat::Csv),
            OutputFormat::Json => None,
        };
        match table_format {
            Some(table_format) => {
                for section in self.sections() {
                    for table in &section.tables {
                        write(format!("{}.{}", plot::file_safe(&table.id), table_format.extension()), &render_table(table, table_format))?;
                    }
                }
                if table_format != TableFormat::Csv {
                    write(format!("report.{}", table_format.extension()), &self.render(format)?)?;
                }
            }
            None => write("report.json".to_string(), &self.render(OutputFormat::Json)?)?,
        }
        write("leaderboard.csv".to_string(), &leaderboard::to_csv(&self.leaderboard))?;
        write("scores.csv".to_string(), &leaderboard::scores_csv(&self.scores))?;
        if plots && !self.curves.is_empty() {
            written.extend(plot::write_curve_plots(&self.curves, &dir.join("plots"))?);
        }
        Ok(written)
    }
}
